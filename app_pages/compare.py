"""Compare page: two scenarios side by side (rev A vs an edited revision, the pilot line vs the GWh
line, one cell vs another), each a whole plan (:func:`pouchline.plan.make_plan`) with the same run
length, shown through the plan's own headline rows and warnings."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._shared import (
    DEFAULT_RECIPE_NAME,
    LINE_DESIGN_CELLS,
    CELL_DEFAULTS,
    cell_args_text,
    cell_request,
    describe_request,
    load_line_cached,
    plan_cached,
    recipe_label,
    recipe_or_stop,
    recipe_overrides,
    request_key,
    shipped_lines,
    show_problems,
    show_warnings,
    sticky,
    try_recipe,
)
from pouchline.errors import InputError

st.title("Compare")
st.caption("Two scenarios side by side, each planned as `pouchline plan` plans it, with one run length for both. "
           "A difference smaller than the 95 % intervals is simulation noise.")

active, active_materials, active_key = recipe_or_stop()
lines = shipped_lines()
RECIPES = {"file": f"the shipped file ({DEFAULT_RECIPE_NAME})", "active": "the active recipe (Recipe page, with edits)"}
CELLS = {"design": "the line's design cell", "page": "the Cell design page's cell"}


def design_request(line_name: str) -> dict:
    """The cell request of a shipped line's design cell (as the Cell page would make it)."""
    settings = {**CELL_DEFAULTS, **LINE_DESIGN_CELLS.get(line_name, {})}
    req: dict = ({"layers": int(settings["cell_layers"])} if settings["cell_mode"] == "Layers"
                 else {"capacity_Ah": float(settings["cell_capacity"])} if settings["cell_mode"] == "Capacity"
                 else {"energy_Wh": float(settings["cell_energy"])})
    req["format"] = settings["cell_format"]
    return req


defaults = {"cmp_a_recipe": "file", "cmp_a_line": "pilot-line.yaml" if "pilot-line.yaml" in lines else lines[0],
            "cmp_a_cell": "design", "cmp_b_recipe": "file",
            "cmp_b_line": "gwh-line.yaml" if "gwh-line.yaml" in lines else lines[-1], "cmp_b_cell": "design",
            "cmp_days": 10, "cmp_warmup": 2, "cmp_reps": 3, "cmp_seed": 1}
for k, v in defaults.items():
    sticky(k, v)

with st.form("cmp_form"):
    cols = st.columns(2, gap="large")
    for col, tag in zip(cols, ("a", "b")):
        col.markdown(f"**Scenario {tag.upper()}**")
        col.selectbox("Recipe", list(RECIPES), format_func=RECIPES.get, key=f"cmp_{tag}_recipe")
        col.selectbox("Line", lines, key=f"cmp_{tag}_line")
        col.selectbox("Cell", list(CELLS), format_func=CELLS.get, key=f"cmp_{tag}_cell")
    r = st.columns(4)
    r[0].number_input("Simulated days", min_value=1, max_value=365, step=1, key="cmp_days")
    r[1].number_input("Warm-up days", min_value=0, max_value=60, step=1, key="cmp_warmup")
    r[2].number_input("Replications", min_value=1, max_value=10, step=1, key="cmp_reps")
    r[3].number_input("Seed", min_value=0, step=1, key="cmp_seed")
    go = st.form_submit_button("Compare", type="primary", icon=":material/compare_arrows:")

days, warmup = float(st.session_state["cmp_days"]), float(st.session_state["cmp_warmup"])
reps, seed = int(st.session_state["cmp_reps"]), int(st.session_state["cmp_seed"])


def scenario(tag: str) -> tuple[tuple, tuple]:
    """(cache key, make_plan arguments) of scenario ``tag``."""
    which = st.session_state[f"cmp_{tag}_recipe"]
    if which == "active":
        recipe, materials, rkey = active, active_materials, active_key
        rpath = "RECIPE (the active one)"
    else:
        choice = {"kind": "shipped", "name": DEFAULT_RECIPE_NAME, "data": None}
        recipe, materials = try_recipe(choice, ())
        rkey, rpath = f"shipped:{DEFAULT_RECIPE_NAME}:{recipe.hash}", f"recipes/{DEFAULT_RECIPE_NAME}"
    lname = st.session_state[f"cmp_{tag}_line"]
    line, _ = load_line_cached("shipped", lname, None, ())
    req = design_request(lname) if st.session_state[f"cmp_{tag}_cell"] == "design" else cell_request()
    inputs = (("recipe", rpath), ("line", f"recipes/lines/{lname}"), ("cell_args", cell_args_text(req)))
    key = (rkey, ("shipped", lname), request_key(req), days, warmup, reps, seed, 0)
    return key, (recipe, materials, line, request_key(req), days, warmup, reps, seed, 0, inputs)


try:
    keys = {t: scenario(t) for t in ("a", "b")}
except InputError as err:
    show_problems(err)
    st.stop()
wanted = (keys["a"][0], keys["b"][0])
if go:
    st.session_state["cmp_key"] = wanted
if st.session_state.get("cmp_key") != wanted:
    st.info("Choose two scenarios and press **Compare**.", icon=":material/play_circle:")
    st.stop()

plans = {}
for t, (key, args) in keys.items():
    try:
        with st.spinner(f"Planning scenario {t.upper()}…"):
            plans[t] = plan_cached(key, *args)
    except InputError as err:
        st.error(f"Scenario {t.upper()} cannot be planned:")
        show_problems(err)
        st.stop()
    except ValueError as exc:
        st.error(f"Scenario {t.upper()} cannot be planned: {exc}", icon=":material/block:")
        st.stop()

from pouchline.plan import annual_output, headline_rows, output_rows, ranked_bottlenecks  # noqa: E402
from pouchline.display import fmt_number, fmt_quantity, fmt_usd  # noqa: E402


def rows(plan, request: tuple) -> dict[str, str]:
    """The plan's own headline rows, the fixture verdict and the line's figures, by label."""
    out = {"Recipe": recipe_label(plan.recipe) + (" (derived for this plan)" if plan.derived is not None else ""),
           "Cell request": describe_request(dict(request))}
    out.update(dict(headline_rows(plan)))
    out["Fixture"] = plan.fixture.verdict.split(":")[0]
    out.update({k: v for k, v in output_rows(plan) if k in ("Line", "Annual output (simulated)", "Throughput",
                                                             "Rolled throughput yield")})
    ranked = ranked_bottlenecks(plan.experiment, plan.cell.energy_Wh) if plan.experiment is not None else []
    if ranked:
        out["Bottleneck"] = ranked[0]["name"] + "".join(f", {r['name']} (within CI)" for r in ranked[1:]
                                                       if r.get("within_ci_of_first"))
    out["Capex"] = fmt_usd(plan.cost.capex_usd)
    out["Warnings"] = str(sum(w.severity == "warning" for w in plan.warnings))
    return out


ra, rb = (rows(plans[t], keys[t][1][3]) for t in ("a", "b"))
labels = list(dict.fromkeys([*ra, *rb]))
table = pd.DataFrame({"": labels, "Scenario A": [ra.get(k, "–") for k in labels],
                      "Scenario B": [rb.get(k, "–") for k in labels]}).set_index("")
st.table(table)

m = st.columns(4)
for col, t in zip(m[:2], ("a", "b")):
    a = annual_output(plans[t])
    col.metric(f"Scenario {t.upper()}: output", f"{fmt_quantity(a['MWh_per_yr'], 'MWh')}/yr" if a else "–",
               border=True, help=a.get("interval_covers", "") if a else None)
for col, t in zip(m[2:], ("a", "b")):
    col.metric(f"Scenario {t.upper()}: cost", fmt_usd(plans[t].cost.cost_per_kWh_usd, per="kWh"), border=True,
               help=f"{fmt_usd(plans[t].cost.cost_per_cell_usd)} per good cell, "
                    f"{fmt_number(plans[t].cell.energy_Wh)} Wh")
w = st.columns(2, gap="large")
for col, t in zip(w, ("a", "b")):
    with col:
        st.markdown(f"**Scenario {t.upper()}: warnings**")
        show_warnings(plans[t].warnings, title=f"Scenario {t.upper()}")
        if not plans[t].warnings:
            st.caption("none")
