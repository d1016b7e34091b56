"""Line page: choose or upload a line, edit stations, simulate, read KPIs and the bottleneck."""

from __future__ import annotations

import re
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app_pages._shared import (
    cell_request,
    describe_request,
    library,
    line_choice,
    line_key,
    load_line_cached,
    not_available,
    problem_text,
    recipe_or_stop,
    request_key,
    shipped_lines,
    show_problems,
    sized_cell,
    station_overrides,
    sticky,
    upload_size_problem,
)
from pouchline.errors import InputError, Problem

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
st.caption(f"{len(line.stations)} stations · {cal.hours_per_day:g} h/day × {cal.days_per_week} days/week, "
           f"{cal.planned_maintenance_h_per_week:g} h/week planned maintenance "
           f"({100 * cal.scheduled_fraction:.1f} % of calendar time scheduled)"
           + (f" · {line.cell_energy_Wh:g} Wh per cell" if line.cell_energy_Wh else "")
           + (f" · {line.area_per_cell_cm2:g} cm² electrode per cell" if line.area_per_cell_cm2 else ""))


# -- edit stations -----------------------------------------------------------------------------------
def _apply_station_edits() -> None:
    edits = st.session_state.get("line_editor", {}).get("edited_rows", {})
    current = station_overrides(_station_frame(base_line).to_dict("records"), edits, dict(overrides),
                                EDIT_COLUMNS, INT_COLUMNS)
    try:
        load_line_cached(choice["kind"], choice["name"], choice.get("data"), tuple(current.items()))
    except InputError as err:
        st.session_state["line_edit_problems"] = _named_problems(err, base_line)
        return
    st.session_state.pop("line_edit_problems", None)
    st.session_state["line_overrides"] = tuple(current.items())
    st.session_state.pop("line_editor", None)


def _reset_station_edits() -> None:
    st.session_state["line_overrides"] = ()
    st.session_state.pop("line_edit_problems", None)
    st.session_state.pop("line_editor", None)


with st.expander(f"Stations ({len(overrides)} edited)" if overrides else "Stations", expanded=True):
    st.caption("Edit a cell to change the line: each edit is validated at once; an invalid one is shown below "
               "the table and not applied.")
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
for k, v in {"sim_days": 30, "sim_warmup": 3, "sim_reps": 2, "sim_seed": 1, "sim_use_cell": True}.items():
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
                + (f": {cell.area_per_cell_cm2:g} cm² of electrode, {cell.energy_Wh:.3g} Wh)" if cell is not None
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
if res is None:
    st.info("Set the run length and press **Run simulation**.", icon=":material/play_circle:")
    st.stop()
if res_key != sim_key:
    st.caption(":orange[The results below are from an earlier run: the line or the settings have changed since.]")

# -- results ----------------------------------------------------------------------------------------
d = res.to_dict()
ci = d["throughput_ci95_units_per_h"]  # None when one replication gives no honest interval (see ci_method)
ci_text = f"{ci[0]:,.3g} – {ci[1]:,.3g}" if ci else "none"


def _energy(mwh: float | None) -> str:
    if mwh is None:
        return "—"
    return f"{mwh:,.1f} MWh" if mwh >= 1 else f"{1000 * mwh:,.3g} kWh"


k = st.columns(5)
k[0].metric("Good cells / h", f"{res.throughput_units_per_h:,.3g}", border=True,
            help=f"per scheduled hour; 95 % CI {ci_text} ({d['ci_method']})")
k[1].metric("Good cells / year", f"{res.good_units_per_year:,.0f}", border=True)
k[2].metric("Energy / year", _energy(res.energy_MWh_per_year), border=True)
k[3].metric("Yield (RTY)", f"{100 * res.yield_rty:.1f} %", border=True,
            help=f"rolled throughput yield; planned from the scrap rates: {100 * res.yield_rty_planned:.1f} %")
k[4].metric("Lead time", f"{res.lead_time_h:,.0f} h" if res.lead_time_h is not None else "—", border=True,
            help="scheduled hours from start to finished cell"
            + (f"; {res.lead_time_calendar_h:,.0f} calendar hours" if res.lead_time_calendar_h else ""))
st.caption(f"{res.replications} replication{'s' if res.replications != 1 else ''} of {res.days:g} days after "
           f"{res.warmup_days:g} days warm-up, seed {res.seed}, lot {res.lot_size} units · throughput 95 % CI "
           f"{ci_text} cells/h")
st.info(f"**Bottleneck: {res.bottleneck}.** {res.bottleneck_why}", icon=":material/timer:")

g1, g2 = st.columns([3, 2], gap="large")
with g1:
    st.markdown("**Station states** (share of scheduled machine time)")
    rows = []
    for order, s in enumerate(res.stations):
        for state, frac in s.state_fractions.items():
            rows.append({"station": s.name, "order": order, "state": STATE_LABELS.get(state, state),
                         "fraction": frac})
    sdf = pd.DataFrame(rows)
    domain = [STATE_LABELS[s] for s in STATE_COLORS]
    chart = (alt.Chart(sdf).mark_bar().encode(
        y=alt.Y("station:N", sort=[s.name for s in res.stations], title=None,
                axis=alt.Axis(labelLimit=220, labelOverlap=False)),
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
    st.altair_chart(bars.properties(height=26 * len(res.stations) + 110), width="stretch",
                    key="line_ts_chart")
    st.caption(f"Mean over {res.replications} replication(s); the warm-up days are not in the KPIs. "
               "Days off shift make none.")

st.markdown("**Stations**")
stab = pd.DataFrame([{
    "station": s.name, "step": s.step, "machines": s.machines,
    "capacity_units_per_h": s.capacity_units_per_h, "line_limit_good_units_per_h": s.line_limit_good_units_per_h,
    "utilization": s.utilization, "availability": s.availability, "blocked": s.blocked_fraction,
    "starved": s.starved_fraction, "down": s.down_fraction, "yield": s.yield_frac, "scrapped_units": s.scrapped_units,
    "oee": s.oee, "wip_units": s.wip_units} for s in res.stations])
pct = "percent"
st.dataframe(stab, hide_index=True, width="stretch", key="line_station_df", column_config={
    "station": "Station", "step": "Step", "machines": "Machines",
    "capacity_units_per_h": st.column_config.NumberColumn("Capacity in (units/h)", format="%.1f"),
    "line_limit_good_units_per_h": st.column_config.NumberColumn("Line limit (good/h)", format="%.1f",
                                                                 help="good cells/h at the end if only this "
                                                                      "station limited the line"),
    "utilization": st.column_config.NumberColumn("Busy", format=pct),
    "availability": st.column_config.NumberColumn("Availability", format=pct),
    "blocked": st.column_config.NumberColumn("Blocked", format=pct),
    "starved": st.column_config.NumberColumn("Starved", format=pct),
    "down": st.column_config.NumberColumn("Down", format=pct),
    "yield": st.column_config.NumberColumn("Yield", format=pct),
    "scrapped_units": st.column_config.NumberColumn("Scrapped", format="%.0f"),
    "oee": st.column_config.NumberColumn("OEE", format=pct),
    "wip_units": st.column_config.NumberColumn("WIP (units)", format="%.0f"),
})
if res.notes:
    with st.expander("Simulation notes"):
        for n in res.notes:
            st.write("- " + n)
