"""Cost and BOM page: price scenario and plant -> cost per cell and kWh, breakdown, sensitivity, Excel BOM."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages._shared import (
    active_line,
    describe_request,
    display_frame,
    fixture_block,
    last_simulation,
    library,
    line_key,
    not_available,
    page_cell_or_stop,
    recipe_label,
    recipe_or_stop,
    request_key,
    show_problems,
    sticky,
)
from pouchline.display import fmt_count, fmt_pct, fmt_quantity, fmt_usd, fmt_value
from pouchline.errors import InputError

st.title("Cost and BOM")
st.caption("Cost of one good cell and one kWh: materials inflated by the scrap of every step that consumes them, "
           "plus a process cost in the manner of Argonne's BatPaC (labour, energy, depreciation, building, "
           "overhead). The Excel BOM carries the same numbers with formulas.")

cost_mod = library("pouchline.cost", "cost_cell", "sensitivity", "load_rates", "build_bom")
excel = library("pouchline.export.excel", "cost_workbook_bytes")
cell_mod = library("pouchline.cell", "size_cell")
if cost_mod is None or excel is None or cell_mod is None:
    missing = ("pouchline.cost" if cost_mod is None else "pouchline.export.excel" if excel is None
               else "pouchline.cell")
    not_available(missing, "Costing and the Excel BOM")
    st.stop()

recipe, materials, recipe_key = recipe_or_stop()
req, cell = page_cell_or_stop(recipe, materials, recipe_key)


@st.cache_resource(show_spinner=False)
def _rates():
    return cost_mod.load_rates()


@st.cache_resource(show_spinner=False, max_entries=32)
def costed(key: tuple, _recipe, _materials, _cell, _line, _kpis, prices: str, fixture: bool, maturity: str | None,
           convention: str):
    kw = dict(rates=_rates(), prices=prices, line=_line, line_kpis=_kpis, include_fixture=fixture,
              maturity=maturity, convention=convention)
    result = cost_mod.cost_cell(_recipe, _materials, _cell, **kw)
    sens = cost_mod.sensitivity(_recipe, _materials, _cell, base=result, **kw)
    return result, sens


@st.cache_data(show_spinner=False, max_entries=16)
def bom_bytes(key: tuple, _result, _sens, _recipe, _materials) -> bytes:
    bom = cost_mod.build_bom(_result, _recipe, _materials)
    return excel.cost_workbook_bytes(_result, bom, recipe=_recipe, materials=_materials, rates=_rates(),
                                     sensitivity=_sens)


try:
    rates = _rates()
except InputError as err:
    st.error("The cost rates (recipes/cost-rates.yaml) cannot be loaded:")
    show_problems(err)
    st.stop()

# -- inputs -------------------------------------------------------------------------------------------
PLANTS = {"default": "Default plant (sized for the annual volume)", "line": "The line of the Line page",
          "simulated": "The line, at its last simulation"}
for k, v in {"cost_prices": "base", "cost_plant": "default", "cost_fixture": False,
             "cost_maturity": rates.plant.yield_maturity, "cost_convention": "serial"}.items():
    sticky(k, v)
if st.session_state["cost_prices"] not in ("low", "base", "high"):  # a click on the selected option clears it
    st.session_state["cost_prices"] = "base"
if st.session_state["cost_maturity"] not in ("pilot", "mature"):
    st.session_state["cost_maturity"] = rates.plant.yield_maturity

line = None
try:
    line = active_line()
except (InputError, ImportError):
    line = None
sim, sim_key = last_simulation()
sim_ok = (sim is not None and dict(sim_key)["line"] == line_key()
          and dict(sim_key)["cell"] == (recipe_key, request_key(req)))
if st.session_state["cost_plant"] == "simulated" and not sim_ok:
    st.session_state["cost_plant"] = "line" if line is not None else "default"
if st.session_state["cost_plant"] == "line" and line is None:
    st.session_state["cost_plant"] = "default"

c1, c2, c3 = st.columns([1.2, 2, 1.4], gap="medium")
c1.segmented_control("Material prices", ["low", "base", "high"], key="cost_prices",
                     help="price scenario of recipes/materials.yaml; the process rates stay at base")
prices = st.session_state["cost_prices"] or "base"
options = ["default"] + (["line"] if line is not None else []) + (["simulated"] if sim_ok else [])
c2.selectbox("Plant", options, key="cost_plant", format_func=lambda o: PLANTS[o] + (
    f" ({line.name})" if o != "default" and line is not None else ""),
    help="The default plant has one station kind per recipe step and as many machines as the annual volume "
         "needs. A line uses its stations, machines and bottleneck throughput; its last simulation also its "
         "simulated throughput and yields (run it on the Line page with the same cell).")
with c3:
    st.toggle("Include the pressure fixture", key="cost_fixture",
              help="end plates and bolts that hold the stack at its pressure")
    plant = st.session_state["cost_plant"]
    st.segmented_control("Default yields", ["pilot", "mature"], key="cost_maturity", disabled=plant != "default",
                         help="step yields of the default plant (recipes/cost-rates.yaml)")
if line is not None and not sim_ok:
    c2.caption("To cost at simulated throughput and yields, run a simulation on the Line page with this cell.")

maturity = (st.session_state["cost_maturity"] or rates.plant.yield_maturity) if plant == "default" else None
use_line = line if plant in ("line", "simulated") else None
kpis = sim.to_dict() if plant == "simulated" and sim_ok else None
key = (recipe_key, request_key(req), line_key() if use_line is not None else None,
       sim_key if kpis is not None else None, prices, bool(st.session_state["cost_fixture"]), maturity)
try:
    with st.spinner("Costing…"):
        result, sens = costed(key, recipe, materials, cell, use_line, kpis, prices,
                              bool(st.session_state["cost_fixture"]), maturity, "serial")
except InputError as err:
    show_problems(err)
    st.stop()
except ValueError as exc:  # e.g. a line that makes no good cells
    st.error(f"This cell cannot be costed on this plant: {exc}", icon=":material/block:")
    st.stop()

# -- headline -----------------------------------------------------------------------------------------
m = st.columns(4)
m[0].metric("Cost per good cell", fmt_usd(result.cost_per_cell_usd, 4), border=True)
m[1].metric("Cost per kWh", fmt_usd(result.cost_per_kWh_usd, per="kWh"), border=True)
m[2].metric("Materials per kWh", fmt_usd(result.material_cost_per_kWh_usd, per="kWh"), border=True,
            help=f"jellyroll materials without scrap: {fmt_usd(result.jellyroll_material_cost_per_kWh_usd, per='kWh')}")
m[3].metric("Rolled throughput yield", fmt_pct(result.rolled_throughput_yield), border=True)
plant_txt = (f"line {result.line_name}" if result.plant_mode == "line" else "default plant")
st.caption(f"`{recipe_label(recipe)}` · cell {describe_request(req)}: {fmt_quantity(result.capacity_Ah, 'Ah', 4)}, "
           f"{fmt_quantity(result.energy_Wh, 'Wh', 4)} · {prices} prices · {plant_txt}: "
           f"{fmt_count(result.annual_good_cells)} good cells/yr "
           f"({result.volume_basis or fmt_quantity(result.annual_MWh, 'MWh') + '/yr'}), capex {fmt_usd(result.capex_usd)}")
fixture_block(recipe, materials, cell, recipe_key, request_key(req), cost=result, cost_key=key, key="cost_fx")

xlsx = bom_bytes(key, result, sens, recipe, materials)
st.download_button("Download BOM (xlsx)", data=xlsx, file_name=f"bom-{recipe.id}-rev{recipe.revision}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore",
                   type="primary", icon=":material/download:", key="cost_bom_download")

# -- charts -------------------------------------------------------------------------------------------
g1, g2 = st.columns([2, 3], gap="large")
with g1:
    st.markdown("**Cost per kWh by category**")
    d = result.to_dict()
    bd = pd.DataFrame([{"category": k, "usd_per_kWh": v} for k, v in d["breakdown_usd_per_kWh"].items()])
    bars = alt.Chart(bd).transform_joinaggregate(total="sum(usd_per_kWh)").transform_calculate(
        share="datum.usd_per_kWh / datum.total").mark_bar().encode(
        y=alt.Y("category:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
        x=alt.X("usd_per_kWh:Q", title="USD/kWh"),
        color=alt.condition(alt.datum.category == "materials", alt.value("#e65100"), alt.value("#1f6f8b")),
        tooltip=["category", alt.Tooltip("usd_per_kWh:Q", format=",.1f"), alt.Tooltip("share:Q", format=".1%")])
    text = bars.mark_text(align="left", dx=3, color="#37474f").encode(text=alt.Text("share:Q", format=".0%"))
    st.altair_chart((bars + text).properties(height=30 * len(bd) + 60), width="stretch", key="cost_breakdown_chart")
    st.markdown("**Materials per kWh**")
    mat = pd.DataFrame([{"material": materials[k].name if k in materials.ids else k, "id": k, "usd_per_kWh": v}
                        for k, v in d["materials_usd_per_kWh"].items()])
    mbars = alt.Chart(mat).mark_bar(color="#e65100").encode(
        y=alt.Y("id:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
        x=alt.X("usd_per_kWh:Q", title="USD/kWh"),
        tooltip=["material", alt.Tooltip("usd_per_kWh:Q", format=",.2f")])
    st.altair_chart(mbars.properties(height=22 * len(mat) + 50), width="stretch", key="cost_material_chart")
with g2:
    st.markdown("**Sensitivity of USD/kWh** (each input at its low and high, the rest at base)")
    top = st.slider("Inputs shown", 5, max(5, min(30, len(sens))), min(12, max(5, len(sens))), key="cost_top")
    base = float(sens.attrs.get("base_cost_per_kWh_usd", result.cost_per_kWh_usd))
    s = sens.head(top)
    rows = []
    for r in s.itertuples():
        label = str(r.input)
        rows.append({"input": label, "end": "input low", "usd": r.cost_per_kWh_low_usd,
                     "value": f"{fmt_value(r.low_value)} {r.unit}", "swing": r.swing_usd_per_kWh})
        rows.append({"input": label, "end": "input high", "usd": r.cost_per_kWh_high_usd,
                     "value": f"{fmt_value(r.high_value)} {r.unit}", "swing": r.swing_usd_per_kWh})
    tdf = pd.DataFrame(rows)
    tor = alt.Chart(tdf).mark_bar().encode(
        y=alt.Y("input:N", sort=list(s["input"]), title=None, axis=alt.Axis(labelLimit=300, labelOverlap=False)),
        x=alt.X("usd:Q", title="USD/kWh", scale=alt.Scale(zero=False)),
        x2=alt.X2("base:Q"),
        color=alt.Color("end:N", scale=alt.Scale(domain=["input low", "input high"], range=["#1f6f8b", "#e65100"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["input", "end", "value", alt.Tooltip("usd:Q", format=",.0f", title="USD/kWh"),
                 alt.Tooltip("swing:Q", format=",.0f", title="swing")],
    ).transform_calculate(base=str(base))
    rule = alt.Chart(pd.DataFrame({"base": [base]})).mark_rule(color="#37474f").encode(x="base:Q")
    st.altair_chart((tor + rule).properties(height=30 * len(s) + 90), width="stretch",
                    key="cost_tornado_chart")
    st.caption(f"Base {fmt_usd(base, per='kWh')} (vertical line). Largest swing on top.")

t_mat, t_proc, t_plant, t_sens, t_ass = st.tabs(["Material lines", "Process lines", "Plant stations",
                                                 "Sensitivity table", "Assumptions"])
with t_mat:
    st.dataframe(display_frame(d["material_lines"], sig=4), hide_index=True, width="stretch", key="cost_mat_df")
with t_proc:
    st.dataframe(display_frame(d["process_lines"], sig=4), hide_index=True, width="stretch", key="cost_proc_df")
with t_plant:
    st.dataframe(display_frame(d["plant"]["stations"]), hide_index=True, width="stretch", key="cost_plant_df")
with t_sens:
    st.dataframe(display_frame(sens), hide_index=True, width="stretch", key="cost_sens_df")
with t_ass:
    for a in result.assumptions:
        st.markdown(f"- **{a.topic}**: {a.text}" + (f" _({a.source})_" if a.source else ""))
