"""Sizing page: a target GWh/yr -> machines per station, simulated output, capex, floor, crew, cost, line file."""

from __future__ import annotations

import streamlit as st

from app_pages._shared import (
    describe_request,
    library,
    not_available,
    page_cell_or_stop,
    recipe_label,
    recipe_or_stop,
    request_key,
    show_problems,
    sticky,
)
from pouchline.display import fmt_number
from pouchline.errors import InputError

st.title("Plant sizing")
st.caption("What it takes to make a target volume of this cell: machines per station from the equipment catalogue, "
           "checked by simulating the line and adding a machine at the bottleneck until the lower 95 % bound of "
           "the simulated output meets the target. Same function as `pouchline size`.")

plant_mod = library("pouchline.plant", "size_plant")
if plant_mod is None:
    not_available("pouchline.plant", "Plant sizing")
    st.stop()

recipe, materials, recipe_key = recipe_or_stop()
req, cell = page_cell_or_stop(recipe, materials, recipe_key)
st.caption(f"{recipe_label(recipe)} · cell of the Cell design page: {describe_request(req)} "
           f"({cell.layers} layers, {fmt_number(cell.energy_Wh)} Wh)")

try:  # the defaults of `pouchline size` and `cost`: the cost rates' plant
    from pouchline.cost import load_rates

    _plant = load_rates().plant
except InputError as err:
    st.error("The cost rates (recipes/cost-rates.yaml) cannot be loaded:")
    show_problems(err)
    st.stop()
for k, v in {"size_target": 1.0, "size_class": _plant.machine_class, "size_maturity": _plant.yield_maturity,
             "size_days": 30, "size_reps": 5}.items():
    sticky(k, v)

with st.form("sizing_form"):
    c1, c2, c3, c4, c5 = st.columns([1.2, 1.2, 1, 1, 1])
    c1.number_input("Target, GWh/yr", min_value=0.001, max_value=100.0, step=0.1, format="%g", key="size_target",
                    help="good cells' energy per year")
    c2.selectbox("Machines", ["production", "pilot", "lab", "auto"], key="size_class",
                 help="class of recipes/equipment.yaml; auto: per station the class of lowest annual cost")
    c3.selectbox("Yields", ["mature", "pilot"], key="size_maturity", help="step yields of the catalogue")
    c4.number_input("Days simulated", min_value=5, max_value=365, step=5, key="size_days")
    c5.number_input("Replications", min_value=2, max_value=20, step=1, key="size_reps")
    go = st.form_submit_button("Size the plant", type="primary")


@st.cache_resource(show_spinner=False, max_entries=8)
def sized(key: tuple, _recipe, _materials, _cell, target: float, machine_class: str, maturity: str, days: int,
          reps: int):
    return plant_mod.size_plant(_recipe, _materials, _cell, target_GWh_per_yr=target, machine_class=machine_class,
                                maturity=maturity, days=float(days), warmup_days=min(5.0, days / 4),
                                replications=int(reps), workers=1)  # in this threaded server: no process pool


args = (float(st.session_state["size_target"]), st.session_state["size_class"], st.session_state["size_maturity"],
        int(st.session_state["size_days"]), int(st.session_state["size_reps"]))
key = (recipe_key, request_key(req), *args)
if go:
    st.session_state["size_key"] = key
if st.session_state.get("size_key") != key:
    st.info("Set the target and press **Size the plant** (a few seconds to a minute: the line is simulated).",
            icon=":material/factory:")
    st.stop()
try:
    with st.spinner("Sizing and simulating…"):
        res = sized(key, recipe, materials, cell, *args)
except InputError as err:
    show_problems(err)
    st.stop()
except ValueError as exc:
    st.error(f"This plant cannot be sized: {exc}", icon=":material/block:")
    st.stop()

if not res.met:
    st.warning(f"The target is not met at the lower 95 % bound after {len(res.iterations) - 1} added machines; "
               "see the iterations below.", icon=":material/warning:")
m = st.columns(4)
m[0].metric("Simulated output", f"{res.MWh_per_yr:,.0f} MWh/yr", border=True,
            help=f"95 % CI {res.MWh_per_yr_ci95[0]:,.0f}-{res.MWh_per_yr_ci95[1]:,.0f} MWh/yr")
m[1].metric("Machines", f"{res.machines:,}", border=True, help=f"bottleneck: {res.bottleneck}")
m[2].metric("Equipment capex", f"{res.equipment_capex_usd / 1e6:,.1f} MUSD", border=True,
            help=f"{res.capex_per_GWh_usd / 1e6:,.1f} MUSD per GWh/yr")
m[3].metric("Cost per kWh", f"{res.cost_per_kWh_usd:,.1f} USD", border=True,
            help=f"materials {res.material_cost_per_kWh_usd:,.1f}, process {res.process_cost_per_kWh_usd:,.1f} USD/kWh")
m = st.columns(4)
m[0].metric("Good cells per year", f"{res.cells_per_yr:,.0f}", border=True)
m[1].metric("Operators per shift", f"{res.operators_per_shift:,.1f}", border=True)
m[2].metric("Floor", f"{res.floor_m2:,.0f} m2", border=True, help=f"of which dry room {res.dry_room_m2:,.0f} m2")
m[3].metric("Electricity", f"{res.electricity_MWh_per_yr:,.0f} MWh/yr", border=True)

st.subheader("Stations")
st.dataframe(res.table(), use_container_width=True, column_config={
    "util_planned": st.column_config.NumberColumn("Util. planned", format="percent"),
    "util_sim": st.column_config.NumberColumn("Util. simulated", format="percent"),
    "capex_MUSD": st.column_config.NumberColumn("Capex (MUSD)", format="%.2f"),
    "footprint_m2": st.column_config.NumberColumn("Footprint (m2)", format="%.0f"),
    "operators_per_shift": st.column_config.NumberColumn("Operators/shift", format="%.2f")})
with st.expander("How it was sized"):
    for it in res.iterations:
        st.text(it)
    for s in res.stations:
        st.text(f"{s.station}: {s.machine_id} x {s.machines}; {s.why}")
st.download_button("Download line (yaml)", res.line_yaml().encode("utf-8"), file_name=f"{res.line_data['name']}.yaml",
                   mime="application/x-yaml")
