"""Sweeps page: run a shipped sweep on a few scenarios; results table, Pareto front, tornado."""

from __future__ import annotations

import math
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from app_pages._shared import library, not_available, show_problems, sticky

st.title("Sweeps")
st.caption("Vary recipe, line and cost inputs over a design (grid, Latin hypercube, Monte Carlo) and compare "
           "the scenarios. The app runs a sample spread evenly over the design (its first and last scenario "
           "included); `pouchline sweep` runs them all, resumably.")

sweep_mod = library("pouchline.sweep", "load_sweep", "run_sweep", "count_scenarios", "available_cores")
plots = library("pouchline.sweep.plots", "pareto_front", "tornado", "numeric_outputs", "pick_column")
if sweep_mod is None or plots is None:
    not_available("pouchline.sweep", "Scenario sweeps")
    st.stop()

from pouchline.errors import InputError  # noqa: E402
from pouchline.fileio import csv_text  # noqa: E402
from pouchline.recipe.io import RECIPES_DIR  # noqa: E402

SWEEPS_DIR = Path(RECIPES_DIR) / "sweeps"
MAX_APP_SCENARIOS = 200


@st.cache_data(show_spinner=False, ttl=60)
def shipped_sweeps() -> list[str]:
    return sorted(p.name for p in SWEEPS_DIR.glob("*.yaml"))


@st.cache_resource(show_spinner=False, max_entries=16)
def _load(name: str, mtime: float):
    return sweep_mod.load_sweep(SWEEPS_DIR / name)


names = shipped_sweeps()
if not names:
    st.info(f"No sweep files in `{SWEEPS_DIR.relative_to(Path(RECIPES_DIR).parent)}` yet.",
            icon=":material/folder_open:")
    st.stop()

sticky("sweep_file", "example-sweep.yaml" if "example-sweep.yaml" in names else names[0])
if st.session_state["sweep_file"] not in names:
    st.session_state["sweep_file"] = names[0]
c1, c2 = st.columns([2, 3], gap="large")
name = c1.selectbox("Sweep file", names, key="sweep_file", help="Sweeps in `recipes/sweeps/`.")
try:
    sweep = _load(name, (SWEEPS_DIR / name).stat().st_mtime)
    total = sweep_mod.count_scenarios(sweep)
except InputError as err:
    st.error(f"**{name} cannot be used:**", icon=":material/block:")
    show_problems(err)
    st.stop()

with c2:
    st.markdown(f"**{sweep.name}** — {sweep.description or ''}")
    st.caption(f"{sweep.design.kind.replace('_', ' ')} design, {total:,} scenarios, seed {sweep.seed} · "
               f"recipe `{Path(sweep.recipe).name if sweep.recipe else 'insnbi-lco-pouch.yaml'}`"
               + (f" · line `{Path(sweep.line).name}`" if sweep.line else "")
               + " · sizing " + (", ".join(f"{k}={v}" for k, v in sweep.sizing.model_dump(exclude_none=True).items())
                                  or "as in the recipe"))

with st.expander(f"Parameters ({len(sweep.parameters)}) and outputs ({len(sweep.outputs)})"):
    st.dataframe(pd.DataFrame([{"parameter": k, "kind": p.kind,
                                "definition": str(p.model_dump(exclude_none=True, exclude={"kind"}))}
                               for k, p in sweep.parameters.items()]), hide_index=True, width="stretch",
                 key="sweep_params_df")
    st.caption("Outputs: " + ", ".join(f"`{o}`" for o in sweep.outputs))
    st.caption("The sweep runs on the base files it names, not on the recipe edited on the Recipe page.")

cores = int(sweep_mod.available_cores())
sticky("sweep_limit", min(8, total))
sticky("sweep_executor", "serial")
sticky("sweep_workers", min(2, cores))
st.session_state["sweep_limit"] = max(1, min(int(st.session_state["sweep_limit"]), total, MAX_APP_SCENARIOS))
with st.form("sweep_run"):
    f1, f2, f3 = st.columns(3)
    f1.number_input("Scenarios to run (spread over the design)", min_value=1, max_value=min(total, MAX_APP_SCENARIOS),
                    step=1, key="sweep_limit", help=f"of {total:,}; at most {MAX_APP_SCENARIOS} in the app")
    f2.radio("Executor", ["serial", "local"], key="sweep_executor", horizontal=True,
             format_func={"serial": "serial (this process)", "local": "local process pool"}.get)
    f3.number_input("Workers (local pool)", min_value=1, max_value=max(1, cores), step=1, key="sweep_workers")
    go = st.form_submit_button("Run sweep", type="primary", icon=":material/play_arrow:")

if go:
    limit = int(min(st.session_state["sweep_limit"], total))
    bar = st.progress(0.0, text=f"Running {limit} scenarios…")

    def _progress(done: int, n: int, _row) -> None:
        bar.progress(done / n if n else 1.0, text=f"{done} of {n} scenarios")

    try:
        res = sweep_mod.run_sweep(sweep, executor=st.session_state["sweep_executor"],
                                  workers=int(st.session_state["sweep_workers"])
                                  if st.session_state["sweep_executor"] == "local" else None,
                                  limit=limit, sample="spread", resume=False, progress=_progress)
    except InputError as err:
        bar.empty()
        show_problems(err)
        st.stop()
    bar.empty()
    st.session_state["sweep_result"] = {"file": name, "result": res}

stored = st.session_state.get("sweep_result")
if not stored or stored["file"] != name:
    st.info("Choose how many scenarios to run and press **Run sweep**.", icon=":material/play_circle:")
    st.stop()

res = stored["result"]
table = res.table
k = st.columns(4)
k[0].metric("Scenarios run", f"{len(table):,}", help=f"of {total:,} in the design", border=True)
k[1].metric("Failed", res.failed, border=True)
k[2].metric("Wall time", f"{res.wall_s:.1f} s", help=f"{res.executor}, {res.workers} worker(s)", border=True)
k[3].metric("Scenarios / min", f"{res.scenarios_per_min:,.0f}" if math.isfinite(res.scenarios_per_min) else "—",
            border=True)
if res.failed:
    with st.expander(f"{res.failed} failed scenario(s)"):
        for idx, msg in res.errors():
            st.error(f"scenario {idx}: {msg}")

params = list(sweep.parameters)
outs = plots.numeric_outputs(table, [c for c in table.columns if c not in params and c not in
                                     ("scenario", "status", "error", "seed", "key")])
st.dataframe(table.drop(columns=[c for c in ("key", "seed") if c in table.columns]), hide_index=True,
             width="stretch", key="sweep_table_df", height=min(38 * (len(table) + 1), 420))
st.download_button("Download results (CSV)", data=csv_text(table).encode("utf-8"),
                   file_name=f"{sweep.name}-results.csv", mime="text/csv", on_click="ignore",
                   icon=":material/download:", key="sweep_csv")

if len(outs) < 1:
    st.info("No numeric outputs to chart.")
    st.stop()

g1, g2 = st.columns(2, gap="large")
with g1:
    st.markdown("**Pareto front**")
    if len(outs) >= 2:
        default_x = plots.pick_column(table, ["cell.specific_energy_Wh_kg"], "Wh_kg") or outs[0]
        default_y = plots.pick_column(table, ["cost.cost_per_kWh_usd"], "usd") or outs[-1]
        a1, a2 = st.columns(2)
        x = a1.selectbox("x (more is better)", outs, index=outs.index(default_x) if default_x in outs else 0,
                         key="sweep_x")
        y = a2.selectbox("y (less is better)", outs, index=outs.index(default_y) if default_y in outs else 1,
                         key="sweep_y")
        front = plots.pareto_front(table, x, y)
        ok = (table["status"] == "ok") if "status" in table.columns else pd.Series(True, index=table.index)
        # Vega-Lite reads dots in field names as nesting: chart plain column names, titled with the real ones
        shown = [p for p in params if p in table.columns]
        pdf = pd.DataFrame({"scenario": table["scenario"], "x": pd.to_numeric(table[x], errors="coerce"),
                            "y": pd.to_numeric(table[y], errors="coerce"),
                            "on_front": front.map({True: "Pareto front", False: "dominated"}),
                            **{f"p{i}": table[p].astype(str) for i, p in enumerate(shown)}})[ok]
        tips = [alt.Tooltip("scenario:Q", title="scenario"),
                *[alt.Tooltip(f"p{i}:N", title=p) for i, p in enumerate(shown)],
                alt.Tooltip("x:Q", title=x, format=",.4g"), alt.Tooltip("y:Q", title=y, format=",.4g")]
        pts = alt.Chart(pdf).mark_circle(size=80).encode(
            x=alt.X("x:Q", title=x, scale=alt.Scale(zero=False)),
            y=alt.Y("y:Q", title=y, scale=alt.Scale(zero=False)),
            color=alt.Color("on_front:N", scale=alt.Scale(domain=["Pareto front", "dominated"],
                                                          range=["#e65100", "#90a4ae"]),
                            legend=alt.Legend(orient="bottom", title=None)),
            tooltip=tips)
        line = alt.Chart(pdf[pdf["on_front"] == "Pareto front"].sort_values("x")).mark_line(
            color="#e65100", strokeDash=[4, 3]).encode(x="x:Q", y="y:Q")
        st.altair_chart((line + pts).properties(height=380), width="stretch", key="sweep_pareto")
        st.caption(f"{int(front.sum())} of {len(pdf)} scenarios are on the front: no other scenario has more "
                   f"`{x}` and less `{y}`.")
    else:
        st.caption("A Pareto front needs two numeric outputs.")
with g2:
    st.markdown("**Tornado** (swing of an output over each parameter's range)")
    out = st.selectbox("Output", outs, key="sweep_tornado_out")
    tor = plots.tornado(table, params, out)
    if tor.empty:
        st.caption("No parameter varies among the scenarios run: run more scenarios.")
    else:
        ends = pd.concat([
            pd.DataFrame({"parameter": tor["parameter"], "end": "at the lowest level run", "level": tor["low_level"],
                          "value": tor["at_low"], "swing": tor["swing"]}),
            pd.DataFrame({"parameter": tor["parameter"], "end": "at the highest level run", "level": tor["high_level"],
                          "value": tor["at_high"], "swing": tor["swing"]})])
        ends["level"] = ends["level"].astype(str)
        y_enc = alt.Y("parameter:N", sort=list(tor["parameter"]), title=None, axis=alt.Axis(labelLimit=320))
        span = alt.Chart(tor[["parameter", "at_low", "at_high", "swing"]]).mark_bar(color="#cfd8dc", size=14).encode(
            y=y_enc, x=alt.X("at_low:Q", title=f"{out} (mean at the level)", scale=alt.Scale(zero=False)),
            x2="at_high:Q", tooltip=["parameter", alt.Tooltip("swing:Q", format=",.4g")])
        dots = alt.Chart(ends).mark_point(filled=True, size=110).encode(
            y=y_enc, x="value:Q",
            color=alt.Color("end:N", scale=alt.Scale(domain=["at the lowest level run", "at the highest level run"],
                                                     range=["#1f6f8b", "#e65100"]),
                            legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["parameter", "end", "level", alt.Tooltip("value:Q", format=",.4g")])
        ok_rows = table[table["status"] == "ok"] if "status" in table.columns else table
        mean_rule = alt.Chart(pd.DataFrame({"v": pd.to_numeric(ok_rows[out], errors="coerce")})).mark_rule(
            color="#37474f", strokeDash=[3, 3]).encode(x="mean(v):Q")
        st.altair_chart((span + dots + mean_rule).properties(height=max(200, 44 * len(tor) + 100)),
                        width="stretch", key="sweep_tornado")
        st.caption("Each bar spans the output's mean at the parameter's lowest and highest level among the "
                   "scenarios run; dashed: the mean of all scenarios run. Largest swing on top.")
