"""Line page: choose or upload a line, edit stations, simulate, read KPIs and the bottleneck."""

from __future__ import annotations

import math
import re
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app_pages._shared import (
    LINE_DESIGN_CELLS,
    cell_request,
    describe_request,
    display_frame,
    library,
    line_choice,
    line_key,
    load_line_cached,
    not_available,
    problem_text,
    recipe_choice,
    recipe_or_stop,
    recipe_overrides,
    request_key,
    set_cell_request,
    shipped_lines,
    show_warnings,
    show_problems,
    sized_cell,
    station_overrides,
    sticky,
    upload_size_problem,
)
from pouchline.export.charts import BOTTLENECK_COLOUR, NEAR_BOTTLENECK_COLOUR
from pouchline.display import fmt_count, fmt_number, fmt_pct, fmt_quantity
from pouchline.errors import InputError, Problem
from pouchline.line.defaults import DEFAULT_DAYS, DEFAULT_REPLICATIONS, DEFAULT_SEED, DEFAULT_WARMUP_DAYS

st.title("Line")
st.caption("Discrete-event simulation of a production line (SimPy): stations, machines, cycle times, failures, "
           "scrap and buffers. Short runs here answer in seconds; use `pouchline simulate` for a year.")

line_mod = library("pouchline.line", "load_line", "run_experiment", "Line", "parse_line_text")
if line_mod is None:
    not_available("pouchline.line", "The line simulation")
    st.stop()

EDIT_COLUMNS = ["machines", "cycle_time_s", "rate_m_min", "batch_size", "scrap_rate", "mtbf_h", "mttr_h",
                "buffer_capacity"]
INT_COLUMNS = {"machines", "batch_size", "buffer_capacity"}
STATE_COLORS = {"busy": "#2e7d32", "setup": "#8e24aa", "down": "#c62828", "blocked": "#f9a825",
                "starved": "#90a4ae", "zone_wait": "#1565c0"}
STATE_LABELS = {"busy": "busy", "setup": "setup", "down": "down (failure)", "blocked": "blocked (output full)",
                "starved": "starved (no input)", "zone_wait": "waiting for glovebox / zone"}


def _named_problems(err: InputError, line: Any) -> list[Problem]:
    """``stations[3].machines`` -> ``stations.<name>.machines`` so a problem names its station."""
    names = [s.name for s in line.stations]
    out = []
    for p in err.problems:
        m = re.match(r"^stations(?:\[|\.)(\d+)\]?\.?(.*)$", p.field or "")
        field = p.field
        if m and int(m.group(1)) < len(names):
            field = f"stations.{names[int(m.group(1))]}" + (f".{m.group(2)}" if m.group(2) else "")
        out.append(Problem(field=field, message=p.message, value=p.value, source=p.source))
    return out


def _choose_line() -> None:
    name = st.session_state.get("line_file")
    if name:
        st.session_state["line_choice"] = {"kind": "shipped", "name": name, "data": None}
        st.session_state["line_overrides"] = ()
        if name in LINE_DESIGN_CELLS:  # pair the line with the cell it was designed for
            set_cell_request(LINE_DESIGN_CELLS[name])
            st.session_state["line_paired"] = name
        st.session_state.pop("line_problems", None)
        st.session_state.pop("line_edit_problems", None)
        st.session_state.pop("line_editor", None)


def _take_line_upload() -> None:
    up = st.session_state.get("line_upload")
    if up is None:  # the file was removed from the uploader
        st.session_state.pop("line_problems", None)
        return
    data = up.getvalue()
    err = upload_size_problem(up.name, data, "line file")
    choice = {"kind": "upload", "name": up.name, "data": data}
    if err is None:
        try:
            load_line_cached("upload", up.name, data, ())
        except InputError as exc:
            err = exc
    if err is not None:
        st.session_state["line_problems"] = err.problems
        return
    st.session_state["line_choice"] = choice
    st.session_state["line_overrides"] = ()
    st.session_state.pop("line_problems", None)
    st.session_state.pop("line_edit_problems", None)
    st.session_state.pop("line_file", None)  # the shipped-line box shows "(an uploaded line is active)"
    st.session_state.pop("line_editor", None)


def _station_frame(line: Any) -> pd.DataFrame:
    rows = []
    for s in line.stations:
        rows.append({"name": s.name, "step": s.step, **{c: getattr(s, c) for c in EDIT_COLUMNS}})
    return pd.DataFrame(rows)


# -- choose ----------------------------------------------------------------------------------------
recipe, materials, recipe_key = recipe_or_stop()
choice = line_choice()
c1, c2 = st.columns(2, gap="large")
names = shipped_lines()
cur = choice["name"] if choice["kind"] == "shipped" and choice["name"] in names else None
c1.selectbox("Shipped line", names, index=names.index(cur) if cur else None, key="line_file",
             on_change=_choose_line, placeholder="(an uploaded line is active)",
             help="Line files in `recipes/lines/`.")
c2.file_uploader("…or upload a line file (YAML, at most 1 MB)", type=["yaml", "yml"], key="line_upload",
                 on_change=_take_line_upload)
if st.session_state.get("line_problems"):
    st.error("**The line file was not loaded**; the active line is unchanged.", icon=":material/block:")
    show_problems(st.session_state["line_problems"])

overrides = tuple(st.session_state.get("line_overrides", ()))
try:
    base_line, _ = load_line_cached(choice["kind"], choice["name"], choice.get("data"), ())
except InputError as err:  # a shipped file broken on disk
    show_problems(err)
    st.stop()
line = base_line
if overrides:
    try:
        line, _ = load_line_cached(choice["kind"], choice["name"], choice.get("data"), overrides)
    except InputError as err:  # edits that no longer fit the file: show them, run the file as it is
        st.error("**The station edits do not apply to this line and were dropped:**", icon=":material/block:")
        show_problems(_named_problems(err, base_line))
        st.session_state["line_overrides"] = overrides = ()

try:
    line.validate_steps(recipe.step_ids, source=choice["name"])
except InputError as err:
    st.warning(f"Stations name steps that are not in the active recipe `{recipe.id}`:", icon=":material/warning:")
    show_problems(err)

cal = line.calendar
st.markdown(f"**{line.name}** — {line.description or ''}")
st.caption(f"{len(line.stations)} stations · {fmt_number(cal.hours_per_day)} h/day × {cal.days_per_week} days/week, "
           f"{fmt_number(cal.planned_maintenance_h_per_week)} h/week planned maintenance "
           f"({fmt_pct(cal.scheduled_fraction)} of calendar time scheduled)"
           + (f" · designed for a {fmt_quantity(line.cell_energy_Wh, 'Wh')} cell" if line.cell_energy_Wh else "")
           + (f" with {fmt_number(line.area_per_cell_cm2)} cm² of electrode" if line.area_per_cell_cm2 else ""))
paired = st.session_state.pop("line_paired", None)
if paired:
    st.info(f"The cell of every page is now {paired}'s design cell ({describe_request(cell_request())}); change it "
            "on the Cell design page.", icon=":material/link:")
warnings_box = st.container()  # filled below, once the cell and the simulation are known


# -- edit stations -----------------------------------------------------------------------------------
def _apply_station_edits() -> None:
    edits = st.session_state.get("line_editor", {}).get("edited_rows", {})
    current = station_overrides(_station_frame(base_line).to_dict("records"), edits, dict(overrides),
                                EDIT_COLUMNS, INT_COLUMNS)
    try:
        load_line_cached(choice["kind"], choice["name"], choice.get("data"), tuple(current.items()))
    except InputError as err:
        st.session_state["line_edit_problems"] = _named_problems(err, base_line)
        # the grid redraws from the accepted line: a refused value does not stay on screen as if applied
        # (the message below the table names it)
        st.session_state.pop("line_editor", None)
        return
    st.session_state.pop("line_edit_problems", None)
    st.session_state["line_overrides"] = tuple(current.items())
    st.session_state.pop("line_editor", None)


def _reset_station_edits() -> None:
    st.session_state["line_overrides"] = ()
    st.session_state.pop("line_edit_problems", None)
    st.session_state.pop("line_editor", None)


with st.expander(f"Stations ({len(overrides)} edited)" if overrides else "Stations", expanded=True):
    st.caption("Edit a cell to change the line: each edit is validated at once; an invalid one is named below "
               "the table, not applied, and the table keeps the accepted value.")
    st.data_editor(
        _station_frame(line), key="line_editor", hide_index=True, width="stretch", disabled=["name", "step"],
        num_rows="fixed", on_change=_apply_station_edits, height=min(35 * (len(line.stations) + 1) + 3, 700),
        column_config={
            "name": st.column_config.TextColumn("Station", width="medium"),
            "step": st.column_config.TextColumn("Recipe step"),
            "machines": st.column_config.NumberColumn("Machines", min_value=1, step=1, format="%d", width="small"),
            "cycle_time_s": st.column_config.NumberColumn("Cycle time (s)", help="per batch on one machine",
                                                          format="%g"),
            "rate_m_min": st.column_config.NumberColumn("Web speed (m/min)", format="%g",
                                                        help="web stations: instead of a cycle time"),
            "batch_size": st.column_config.NumberColumn("Batch (units)", min_value=1, step=1, format="%d",
                                                        width="small"),
            "scrap_rate": st.column_config.NumberColumn("Scrap rate", min_value=0.0, max_value=1.0,
                                                        format="%.3f", help="fraction of units lost"),
            "mtbf_h": st.column_config.NumberColumn("MTBF (h)", format="%g"),
            "mttr_h": st.column_config.NumberColumn("MTTR (h)", format="%g"),
            "buffer_capacity": st.column_config.NumberColumn("Input buffer (units)", format="%d",
                                                             help="empty: unlimited"),
        })
    for prob in st.session_state.get("line_edit_problems", []):
        st.error(problem_text(prob), icon=":material/error:")
    if overrides:
        st.caption("Edited: " + ", ".join(f"`{p}` = {v}" for p, v in overrides))
        st.button("Reset station edits", on_click=_reset_station_edits, key="line_reset")


# -- simulate -----------------------------------------------------------------------------------------
# the plan's run length (pouchline.line.defaults), so the app's MWh/yr is the plan's for the same inputs
for k, v in {"sim_days": int(DEFAULT_DAYS), "sim_warmup": int(DEFAULT_WARMUP_DAYS), "sim_reps": DEFAULT_REPLICATIONS,
             "sim_seed": DEFAULT_SEED, "sim_use_cell": True}.items():
    sticky(k, v)
cell = None
cell_req = cell_request()
if library("pouchline.cell", "size_cell") is not None:
    try:
        cell = sized_cell(recipe_key, recipe, materials, request_key(cell_req))
    except InputError:
        cell = None
with st.form("line_sim"):
    s1, s2, s3, s4 = st.columns(4)
    s1.number_input("Simulated days", min_value=1, max_value=365, step=1, key="sim_days",
                    help="Measured period in calendar days, after the warm-up.")
    s2.number_input("Warm-up days", min_value=0, max_value=60, step=1, key="sim_warmup")
    s3.number_input("Replications", min_value=1, max_value=5, step=1, key="sim_reps",
                    help="Independent runs; the throughput gets a 95 % confidence interval from 2 on.")
    s4.number_input("Seed", min_value=0, step=1, key="sim_seed")
    st.checkbox(f"Simulate the cell of the Cell design page ({describe_request(cell_req)}"
                + (f": {fmt_number(cell.area_per_cell_cm2)} cm² of electrode, {fmt_quantity(cell.energy_Wh, 'Wh')})"
                   if cell is not None
                   else ", which cannot be built)"),
                key="sim_use_cell", disabled=cell is None,
                help="Its electrode area turns web speeds (m/min) into cells, its energy gives MWh/year and its "
                     "materials give consumption. Off: the line file's own cell_energy_Wh and area_per_cell_cm2.")
    run = st.form_submit_button("Run simulation", type="primary", icon=":material/play_arrow:")

days, warmup = int(st.session_state["sim_days"]), int(st.session_state["sim_warmup"])
reps, seed = int(st.session_state["sim_reps"]), int(st.session_state["sim_seed"])
use_cell = bool(st.session_state["sim_use_cell"]) and cell is not None
cell_kwargs = (dict(area_per_cell_cm2=cell.area_per_cell_cm2, cell_energy_Wh=cell.energy_Wh,
                    materials_per_unit_g=cell.materials_by_step_g) if use_cell else {})
sim_key = (("line", line_key()), ("cell", (recipe_key, request_key(cell_req)) if use_cell else None),
           ("days", days), ("warmup", warmup), ("reps", reps), ("seed", seed))
cache: dict = st.session_state.setdefault("_sim_cache", {})
if run:
    if sim_key not in cache:
        bar = st.progress(0.0, text="Simulating…")
        try:
            res = line_mod.run_experiment(line, replications=reps, days=float(days), warmup_days=float(warmup),
                                          seed=seed, workers=1, **cell_kwargs,
                                          progress=lambda f: bar.progress(min(1.0, max(0.0, f)),
                                                                          text=f"Simulating… {100 * f:.0f} %"))
        except InputError as err:
            bar.empty()
            show_problems(err)
            st.stop()
        bar.empty()
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        cache[sim_key] = res
    st.session_state["line_result_key"] = sim_key

res_key = st.session_state.get("line_result_key")
res = cache.get(res_key) if res_key else None
from pouchline.plan import atmosphere_warnings, cell_vs_line_warnings, simulation_warnings  # noqa: E402

found = atmosphere_warnings(line, recipe)
if use_cell:
    found += cell_vs_line_warnings(cell, line)
if res is not None and res_key == sim_key:
    found += simulation_warnings(res)
with warnings_box:
    show_warnings(found)
if res is None:
    st.info("Set the run length and press **Run simulation**.", icon=":material/play_circle:")
    st.stop()
if res_key != sim_key:
    st.caption(":orange[The results below are from an earlier run: the line or the settings have changed since.]")

# -- results ----------------------------------------------------------------------------------------
from pouchline.plan import bottleneck_sentence, bottleneck_table, fmt_range, ranked_bottlenecks  # noqa: E402

d = res.to_dict()
ci = d["throughput_ci95_units_per_h"]  # None when one replication gives no honest interval (see ci_method)
ci_text = f"{fmt_number(ci[0], 4)} to {fmt_number(ci[1], 4)}" if ci else "none"
e_ci = d.get("energy_MWh_per_year_ci95")
covers = (f"{res.ci_method} of {fmt_number(res.days)} days after {fmt_number(res.warmup_days)} days of warm-up "
          f"(seed {res.seed}): simulation noise only, not uncertainty in the line's or the recipe's figures")

k = st.columns(5)
k[0].metric("Good cells / h", fmt_number(res.throughput_units_per_h, 4), border=True,
            help=f"per scheduled hour; 95 % CI {ci_text}; the interval covers {covers}")
k[1].metric("Good cells / year", fmt_count(res.good_units_per_year), border=True)
k[2].metric("Energy / year", f"{fmt_quantity(res.energy_MWh_per_year, 'MWh')}/yr"
            if res.energy_MWh_per_year is not None else "–", border=True,
            help=(f"95 % CI {fmt_range(e_ci[0], e_ci[1], 'MWh')}/yr; " if e_ci else "") + f"the interval covers {covers}")
k[3].metric("Yield (RTY)", fmt_pct(res.yield_rty), border=True,
            help=f"rolled throughput yield; planned from the scrap rates: {fmt_pct(res.yield_rty_planned)}")
k[4].metric("Lead time", fmt_quantity(res.lead_time_h, "h") if res.lead_time_h is not None else "–", border=True,
            help="scheduled hours from start to finished cell"
            + (f"; {fmt_number(res.lead_time_calendar_h)} calendar hours" if res.lead_time_calendar_h else ""))
st.caption(f"{res.replications} replication{'s' if res.replications != 1 else ''} of {fmt_number(res.days)} days after "
           f"{fmt_number(res.warmup_days)} days warm-up, seed {res.seed}, lot {res.lot_size} units · 95 % CI of "
           f"throughput {ci_text} good cells/h" + (f", of output {fmt_range(e_ci[0], e_ci[1], 'MWh')}/yr" if e_ci else "")
           + f". The interval covers {covers}.")
if use_cell and cell is not None:
    rc = recipe_choice()
    st.caption(f"Same figure from `pouchline plan {'recipes/' + rc['name'] if rc['kind'] == 'shipped' else rc['name']} --line recipes/lines/{choice['name']} "
               f"{'--layers ' + str(cell_req['layers']) if 'layers' in cell_req else ''}"
               f"{'--capacity-Ah ' + fmt_number(cell_req['capacity_Ah']) if 'capacity_Ah' in cell_req else ''}"
               f"{'--energy-Wh ' + fmt_number(cell_req['energy_Wh']) if 'energy_Wh' in cell_req else ''}"
               f"{' --format ' + cell_req['format'] if 'format' in cell_req else ''} --days {days} --warmup-days "
               f"{warmup} --replications {reps} --seed {seed}` (the plan's defaults are this page's defaults)."
               if choice["kind"] == "shipped" and not overrides and not recipe_overrides() else
               "An uploaded or edited line: `pouchline plan` on the same file and edits gives the same figure.")
energy_Wh = cell.energy_Wh if use_cell else line.cell_energy_Wh
ranked = ranked_bottlenecks(res, energy_Wh)
top = ranked[0]["name"] if ranked else res.bottleneck
near = [b["name"] for b in ranked[1:] if b.get("within_ci_of_first")]
st.info(f"**Bottleneck: {top}.** {bottleneck_sentence(ranked, 'recipes/lines/' + choice['name'])}. "
        f"{res.bottleneck_why}", icon=":material/timer:")
st.markdown("**Near-bottlenecks, ranked** (votes of the replications, then active share)")
st.dataframe(pd.DataFrame(bottleneck_table(res, energy_Wh)),
             hide_index=True, width="stretch", key="line_bottleneck_df")

g1, g2 = st.columns([3, 2], gap="large")
with g1:
    st.markdown("**Station states** (share of scheduled machine time)")
    rows = []
    def tag(name: str) -> str:
        return f"{name} ◀ bottleneck" if name == top else f"{name} ◀ within CI" if name in near else name

    for order, s in enumerate(res.stations):
        for state, frac in s.state_fractions.items():
            rows.append({"station": tag(s.name), "order": order, "state": STATE_LABELS.get(state, state),
                         "fraction": frac})
    sdf = pd.DataFrame(rows)
    domain = [STATE_LABELS[s] for s in STATE_COLORS]
    chart = (alt.Chart(sdf).mark_bar().encode(
        y=alt.Y("station:N", sort=[tag(s.name) for s in res.stations], title=None,
                axis=alt.Axis(labelLimit=260, labelOverlap=False,
                              labelColor=alt.expr(f"indexof(datum.label, 'bottleneck') >= 0 ? "
                                                  f"'{BOTTLENECK_COLOUR}' : '#37474f'"))),
        x=alt.X("fraction:Q", stack="normalize", axis=alt.Axis(format="%"), title=None),
        color=alt.Color("state:N", scale=alt.Scale(domain=domain, range=list(STATE_COLORS.values())),
                        legend=alt.Legend(orient="bottom", columns=3, title=None, labelLimit=240)),
        order=alt.Order("state_order:Q"),
        tooltip=["station", "state", alt.Tooltip("fraction:Q", format=".1%")],
    ).transform_calculate(state_order=f"indexof({domain!r}, datum.state)")
        .properties(height=26 * len(res.stations) + 110))
    st.altair_chart(chart, width="stretch", key="line_state_chart")
with g2:
    st.markdown("**Good cells per day** (throughput over time)")
    ts = [{"day": day, "good_cells": v, "phase": "warm-up" if day <= res.warmup_days else "measured"}
          for day, v in enumerate(res.throughput_timeseries, start=1)]
    tdf = pd.DataFrame(ts)
    bars = alt.Chart(tdf).mark_bar().encode(
        x=alt.X("day:O", title="calendar day", axis=alt.Axis(labelAngle=0, values=list(range(0, len(ts) + 1, 5)))),
        y=alt.Y("good_cells:Q", title="good cells / day"),
        color=alt.Color("phase:N", scale=alt.Scale(domain=["warm-up", "measured"], range=["#b0bec5", "#1f6f8b"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["day", alt.Tooltip("good_cells:Q", format=",.1f", title="good cells (mean)")])
    lims = [x.line_limit_good_units_per_h for x in res.stations if math.isfinite(x.line_limit_good_units_per_h)]
    layers = [bars]
    if lims:  # the on-paper rate per calendar day: the bottleneck's line limit over the scheduled share of the day
        target = min(lims) * 24.0 * res.scheduled_fraction
        layers.append(alt.Chart(pd.DataFrame({"target": [target], "what": ["on paper (bottleneck rate)"]})).mark_rule(
            color="#c62828", strokeDash=[6, 3]).encode(y="target:Q", tooltip=["what", alt.Tooltip("target:Q", format=",.0f")]))
    mean_day = res.throughput_units_per_calendar_h * 24.0
    layers.append(alt.Chart(pd.DataFrame({"mean": [mean_day], "what": ["simulated mean per calendar day"]})).mark_rule(
        color="#37474f").encode(y="mean:Q", tooltip=["what", alt.Tooltip("mean:Q", format=",.0f")]))
    st.altair_chart(alt.layer(*layers).properties(height=26 * len(res.stations) + 110), width="stretch",
                    key="line_ts_chart")
    if lims:
        st.caption(f"Red dashed: the on-paper rate, {fmt_count(target)} good cells/day; grey: the simulated mean, "
                   f"{fmt_count(mean_day)}/day.")
    st.caption(f"Mean over {res.replications} replication(s); the warm-up days are not in the KPIs. "
               "Days off shift make none.")

st.markdown("**Stations**")
stab = [{
    "station": s.name, "step": s.step, "machines": s.machines,
    "capacity_units_per_h": s.capacity_units_per_h, "line_limit_good_units_per_h": s.line_limit_good_units_per_h,
    "busy": fmt_pct(s.utilization), "availability": fmt_pct(s.availability), "blocked": fmt_pct(s.blocked_fraction),
    "starved": fmt_pct(s.starved_fraction), "down": fmt_pct(s.down_fraction), "yield": fmt_pct(s.yield_frac),
    "scrapped_units": s.scrapped_units, "OEE": fmt_pct(s.oee), "wip_units": s.wip_units} for s in res.stations]
st.dataframe(display_frame(stab), hide_index=True, width="stretch", key="line_station_df")

o1, o2 = st.columns(2, gap="large")
with o1:
    st.markdown("**OEE by station** (the bottleneck in red)")
    odf = pd.DataFrame([{"station": s.name, "OEE": s.oee, "availability": s.availability,
                         "role": "bottleneck" if s.name == top else "within CI" if s.name in near else "other"}
                        for s in res.stations])
    oee = alt.Chart(odf).mark_bar().encode(
        y=alt.Y("station:N", sort=[s.name for s in res.stations], title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("OEE:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("role:N", scale=alt.Scale(domain=["bottleneck", "within CI", "other"],
                                                  range=[BOTTLENECK_COLOUR, NEAR_BOTTLENECK_COLOUR, "#1f6f8b"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["station", alt.Tooltip("OEE:Q", format=".1%"), alt.Tooltip("availability:Q", format=".1%")])
    st.altair_chart(oee.properties(height=22 * len(res.stations) + 60), width="stretch", key="line_oee_chart")
with o2:
    st.markdown("**Where the yield goes** (loss by step, simulated)")
    ydf = pd.DataFrame([{"step": k, "loss": 1.0 - v} for k, v in res.yield_per_step.items() if v < 1.0])
    if len(ydf):
        yl = alt.Chart(ydf).mark_bar(color="#e65100").encode(
            y=alt.Y("step:N", sort="-x", title=None), x=alt.X("loss:Q", axis=alt.Axis(format="%"), title="units lost"),
            tooltip=["step", alt.Tooltip("loss:Q", format=".2%")])
        st.altair_chart(yl.properties(height=22 * len(ydf) + 60), width="stretch", key="line_yield_chart")
        st.caption(f"Rolled throughput yield {fmt_pct(res.yield_rty)}: the losses compound step by step.")
    else:
        st.caption("No step loses units in this run.")
if res.notes:
    with st.expander("Simulation notes"):
        for n in res.notes:
            st.write("- " + n)
