"""Plan page: the whole plan of the active recipe, the Line page's line and the Cell page's cell, as
``pouchline plan`` makes it (:func:`pouchline.plan.make_plan`): its headline blocks, warnings and
charts, and the plan folder as one zip (:func:`pouchline.export.plan_report.write_plan`)."""

from __future__ import annotations

import streamlit as st

from app_pages._shared import (
    active_line,
    cell_args_text,
    cell_request,
    describe_request,
    line_choice,
    line_key,
    pd_rows,
    plan_cached,
    plan_zip,
    recipe_choice,
    recipe_label,
    recipe_or_stop,
    recipe_overrides,
    request_key,
    show_problems,
    show_warnings,
    sticky,
)
from pouchline.display import fmt_number
from pouchline.errors import InputError
from pouchline.line.defaults import DEFAULT_DAYS, DEFAULT_REPLICATIONS, DEFAULT_SEED, DEFAULT_WARMUP_DAYS

st.title("Plan")
st.caption("Everything `pouchline plan` computes for the active recipe, the line of the Line page and the cell of "
           "the Cell design page: the headline blocks, the warnings and the charts of the plan folder, and the "
           "folder itself as one zip.")

recipe, materials, recipe_key = recipe_or_stop()
try:
    line = active_line()
except InputError as err:
    show_problems(err)
    st.stop()
req = cell_request()
lc, rc = line_choice(), recipe_choice()

for k, v in {"plan_days": int(DEFAULT_DAYS), "plan_warmup": int(DEFAULT_WARMUP_DAYS), "plan_reps": DEFAULT_REPLICATIONS,
             "plan_seed": DEFAULT_SEED, "plan_rampup": 0}.items():
    sticky(k, v)
st.markdown(f"`{recipe_label(recipe)}` · line **{line.name}** · cell {describe_request(req)}")
with st.form("plan_form"):
    f = st.columns(5)
    f[0].number_input("Simulated days", min_value=1, max_value=365, step=1, key="plan_days")
    f[1].number_input("Warm-up days", min_value=0, max_value=60, step=1, key="plan_warmup")
    f[2].number_input("Replications", min_value=1, max_value=10, step=1, key="plan_reps")
    f[3].number_input("Seed", min_value=0, step=1, key="plan_seed")
    f[4].number_input("Ramp-up months", min_value=0, max_value=36, step=1, key="plan_rampup",
                      help="0: no ramp-up section. `pouchline plan` ramps up over 24 months unless given "
                           "--rampup-months 0; each month is a simulation, so this takes a while.")
    go = st.form_submit_button("Make the plan", type="primary", icon=":material/play_arrow:")

days, warmup = float(st.session_state["plan_days"]), float(st.session_state["plan_warmup"])
reps, seed, ramp = int(st.session_state["plan_reps"]), int(st.session_state["plan_seed"]), int(st.session_state["plan_rampup"])
recipe_path = f"recipes/{rc['name']}" if rc["kind"] == "shipped" else rc["name"]
line_path = f"recipes/lines/{lc['name']}" if lc["kind"] == "shipped" else lc["name"]
inputs = (("recipe", recipe_path), ("line", line_path), ("cell_args", cell_args_text(req)))
key = (recipe_key, line_key(), request_key(req), days, warmup, reps, seed, ramp)
if go:
    st.session_state["plan_key"] = key
if st.session_state.get("plan_key") != key:
    st.info("Set the run length and press **Make the plan** (the same run length as on the Line page gives the same "
            "figures).", icon=":material/play_circle:")
    st.stop()
try:
    with st.spinner("Planning: cell, line simulation, cost, sensitivity…"):
        plan = plan_cached(key, recipe, materials, line, request_key(req), days, warmup, reps, seed, ramp, inputs)
except InputError as err:
    show_problems(err)
    st.stop()
except ValueError as exc:
    st.error(f"This plan cannot be made: {exc}", icon=":material/block:")
    st.stop()

from pouchline.export import charts  # noqa: E402
from pouchline.export.plan_report import CHART_CAPTIONS, plan_figures  # noqa: E402
from pouchline.plan import bottleneck_rows, fixture_rows, headline_rows, output_rows  # noqa: E402

cmd = (f"pouchline plan {recipe_path} --line {line_path} {cell_args_text(req)} --days {fmt_number(days)} "
       f"--warmup-days {fmt_number(warmup)} --replications {reps} --seed {seed} --rampup-months {ramp}")
if rc["kind"] == "shipped" and lc["kind"] == "shipped" and not recipe_overrides() and not line_key()[3]:
    st.caption(f"The same folder from `{cmd} --out plan`")
else:
    st.caption("An uploaded or edited recipe or line: the zip holds the revision the plan worked on.")
st.download_button("Download the whole plan (zip)", data=plan_zip(key, plan),
                   file_name=f"plan-{plan.recipe.id}-rev{plan.recipe.revision}.zip", mime="application/zip",
                   on_click="ignore", type="primary", icon=":material/folder_zip:", key="plan_zip_download")
show_warnings(plan.warnings)
c1, c2 = st.columns(2, gap="large")
with c1:
    st.markdown("**Cell and cost**")
    st.table(pd_rows(headline_rows(plan)))
    st.markdown("**Pressure fixture**")
    # an alert box, not an emoji: a plant PC offline may have no emoji font (the screenshot showed a blank box)
    (st.success if plan.fixture.go else st.warning)(plan.fixture.verdict[0].upper() + plan.fixture.verdict[1:],
                                                    icon=":material/compress:")
    st.table(pd_rows(fixture_rows(plan)))
with c2:
    st.markdown("**Annual output**")
    st.table(pd_rows(output_rows(plan)))
    st.markdown("**Near-bottlenecks, ranked**")
    st.dataframe(bottleneck_rows(plan), hide_index=True, width="stretch", key="plan_bottleneck_df")

st.markdown("**Charts** (the plan folder's `charts/`)")
figs = plan_figures(plan)
cols = st.columns(2, gap="large")
for i, (name, fig) in enumerate(figs.items()):
    with cols[i % 2]:
        st.image(charts.figure_png(fig), caption=CHART_CAPTIONS.get(name, name), width="stretch")
    charts.plt.close(fig)
