"""Cell design page: layers or a capacity/energy target in a format; metrics, masses, rate, fixture."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages._shared import (
    CELL_DEFAULTS,
    CELL_MODES,
    CUSTOM_FORMAT,
    cell_request,
    display_frame,
    fixture_block,
    library,
    not_available,
    recipe_label,
    recipe_or_stop,
    request_key,
    show_problems,
    sized_cell,
    sticky,
)
from pouchline.display import fmt_number, fmt_pct, fmt_quantity
from pouchline.errors import InputError

st.title("Cell design")
st.caption("From the recipe's single layer to a pouch cell: stack the layers, add foils, tabs and pouch, "
           "and clamp it at the recipe's stack pressure.")

cell_mod = library("pouchline.cell", "size_cell", "energy_density_vs_layers", "load_formats")
if cell_mod is None:
    not_available("pouchline.cell", "Cell sizing")
    st.stop()

recipe, materials, recipe_key = recipe_or_stop()


@st.cache_data(show_spinner=False)
def formats() -> dict[str, str]:
    return {f.id: f"{f.id} — {f.name}" for f in cell_mod.load_formats().formats}


@st.cache_data(show_spinner=False, max_entries=64)
def density_curve(key: str, _recipe, _materials, fmt: tuple, max_layers: int) -> pd.DataFrame:
    return cell_mod.energy_density_vs_layers(_recipe, _materials, range(1, max_layers + 1), **dict(fmt))


for k, v in CELL_DEFAULTS.items():
    sticky(k, v)

fmts = formats()
if st.session_state["cell_mode"] not in CELL_MODES:  # a click on the selected option clears it
    st.session_state["cell_mode"] = "Layers"
if st.session_state["cell_format"] not in fmts and st.session_state["cell_format"] != CUSTOM_FORMAT:
    st.session_state["cell_format"] = CELL_DEFAULTS["cell_format"]

i1, i2, i3, i4, i5 = st.columns([1.9, 1, 2.3, 0.9, 0.9])
mode = i1.segmented_control("Size by", CELL_MODES, key="cell_mode", selection_mode="single",
                            help="Give a layer count, or a capacity or energy the cell must reach "
                                 "(the fewest layers that reach it).")
mode = mode or "Layers"
if mode == "Capacity":
    i2.number_input("Capacity (Ah)", min_value=0.001, step=0.5, format="%g", key="cell_capacity",
                    help="at the reference rate (0.2 C)")
elif mode == "Energy":
    i2.number_input("Energy (Wh)", min_value=0.001, step=1.0, format="%g", key="cell_energy")
else:
    i2.number_input("Layers", min_value=1, max_value=500, step=1, key="cell_layers",
                    help="electrode layers (cathode / SE film / anode units) in parallel")
i3.selectbox("Format", list(fmts) + [CUSTOM_FORMAT], key="cell_format",
             format_func=lambda f: fmts.get(f, "Custom outer pouch size…"),
             help="Named footprints from `recipes/formats.yaml`, or an outer pouch size.")
if st.session_state["cell_format"] == CUSTOM_FORMAT:
    i4.number_input("Length (mm)", min_value=1.0, step=5.0, format="%g", key="cell_length",
                    help="outer pouch length, along the tabs")
    i5.number_input("Width (mm)", min_value=1.0, step=5.0, format="%g", key="cell_width", help="outer pouch width")

req = cell_request()
try:
    cell = sized_cell(recipe_key, recipe, materials, request_key(req))
except InputError as err:
    st.error("**This cell cannot be built**; change the request:", icon=":material/block:")
    show_problems(err)
    st.stop()

d = cell.to_dict()
fx = cell.fixture
dims = cell.dimensions_mm
m = st.columns(4)
m[0].metric("Layers", str(cell.layers), border=True)
m[1].metric("Capacity", fmt_quantity(cell.capacity_Ah, "Ah", 4), border=True, help=d["conditions"]["capacity_basis"])
m[2].metric("Energy", fmt_quantity(cell.energy_Wh, "Wh", 4), border=True,
            help=f"at {d['conditions']['average_voltage_V']:g} V average")
m[3].metric("Mass", fmt_quantity(cell.mass_g, "g", 4), border=True, help="cell without the pressure fixture")
m = st.columns(4)
m[0].metric("Specific energy", f"{fmt_number(cell.specific_energy_Wh_kg, 4)} Wh/kg", border=True)
m[1].metric("Energy density", f"{fmt_number(cell.energy_density_Wh_L)} Wh/L", border=True)
m[2].metric("Cell size", f"{fmt_number(dims['length'])} × {fmt_number(dims['width'])} × "
            f"{fmt_number(dims['thickness'])} mm", border=True,
            help="length (tab side) × width × thickness, as built")
m[3].metric("Stack force", fmt_quantity(cell.stack_force_kN, "kN"), border=True,
            help=f"{d['conditions']['stack_pressure_MPa']:g} MPa on {cell.electrode_area_cm2:g} cm² of electrode")
st.caption(f"`{recipe_label(recipe)}` · {cell.format} · electrode {cell.electrode_mm['length']:g} × "
           f"{cell.electrode_mm['width']:g} mm · {d['conditions']['scope_of_headline']} · "
           f"{d['conditions']['capacity_basis']}, {d['conditions']['temperature_C']:g} °C")
if not cell.within_thickness_limit:
    st.warning(f"The cell is {fmt_number(dims['thickness'])} mm thick, above the line's "
               f"{fmt_number(cell.max_thickness_mm)} mm limit.")
fixture_block(recipe, materials, cell, recipe_key, request_key(req), key="cell_fx")

c1, c2 = st.columns([3, 2], gap="large")
with c1:
    st.markdown("**Energy density vs layer count**")
    max_layers = int(min(300, max(40, cell.layers * 1.5)))
    fmt_arg = (("footprint_mm", req["footprint_mm"]),) if "footprint_mm" in req else (("format", req["format"]),)
    curve = density_curve(recipe_key, recipe, materials, fmt_arg, max_layers)
    basis = st.segmented_control("Basis", ["Wh/kg", "Wh/L"], default="Wh/kg", key="cell_curve_basis",
                                 label_visibility="collapsed") or "Wh/kg"
    suf = "Wh_kg" if basis == "Wh/kg" else "Wh_L"
    scopes = {f"jellyroll_{suf}": "jellyroll (layer only)", f"stack_{suf}": "stack (+ foils)",
              f"cell_{suf}": "cell (+ tabs, pouch)"}
    long = curve.melt(id_vars=["layers", "within_thickness_limit"], value_vars=list(scopes),
                      var_name="scope", value_name="value")
    long["scope"] = long["scope"].map(scopes)
    lines = alt.Chart(long).mark_line(strokeWidth=2).encode(
        x=alt.X("layers:Q", title="layers"),
        y=alt.Y("value:Q", title=basis, scale=alt.Scale(zero=True)),
        color=alt.Color("scope:N", sort=list(scopes.values()), legend=alt.Legend(orient="bottom", title=None),
                        scale=alt.Scale(range=["#90a4ae", "#1f6f8b", "#e65100"])),
        strokeDash=alt.condition("datum.within_thickness_limit", alt.value([1, 0]), alt.value([4, 3])),
        tooltip=["layers", "scope", alt.Tooltip("value:Q", format=",.1f", title=basis)])
    here = alt.Chart(pd.DataFrame({"layers": [cell.layers]})).mark_rule(color="#37474f", strokeDash=[2, 2]).encode(
        x="layers:Q")
    here_pt = alt.Chart(pd.DataFrame({"layers": [cell.layers],
                                      "value": [cell.specific_energy_Wh_kg if suf == "Wh_kg"
                                                else cell.energy_density_Wh_L]})).mark_point(
        color="#e65100", size=90, filled=True).encode(x="layers:Q", y="value:Q")
    from pouchline.export.charts import PAPER_JELLYROLL_POINT as paper_pt

    paper = alt.Chart(pd.DataFrame({"layers": [paper_pt["layers"]], "value": [paper_pt[suf]],
                                    "what": [paper_pt["label"]]})).mark_point(
        shape="cross", color="black", size=120, filled=True).encode(x="layers:Q", y="value:Q", tooltip=["what"])
    st.altair_chart(alt.layer(lines, here, here_pt, paper).properties(height=330), width="stretch", key="cell_curve")
    over = curve[~curve["within_thickness_limit"]]
    st.caption("Dotted rule and orange dot: this cell; black cross: the paper's jellyroll (Liu2025, 0.2 C). The fixture is left out of the chart (it is "
               f"{fmt_number(d['with_fixture']['specific_energy_Wh_kg'])} Wh/kg for this cell; see below)."
               + (f" Dashed: above the {cell.max_thickness_mm:g} mm thickness limit (from {int(over['layers'].min())} "
                  "layers)." if len(over) else ""))
with c2:
    st.markdown("**Mass breakdown** (cell, without fixture)")
    mb = pd.DataFrame([{"part": k.replace("_", " "), "mass_g": v} for k, v in cell.mass_breakdown_g.items()])
    bars = alt.Chart(mb).transform_joinaggregate(total="sum(mass_g)").transform_calculate(
        share="datum.mass_g / datum.total").mark_bar(color="#1f6f8b").encode(
        y=alt.Y("part:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=160)),
        x=alt.X("mass_g:Q", title="g per cell"),
        tooltip=["part", alt.Tooltip("mass_g:Q", format=",.3f", title="g"),
                 alt.Tooltip("share:Q", format=".1%", title="share")])
    labels = bars.mark_text(align="left", dx=3, color="#37474f").encode(text=alt.Text("share:Q", format=".1%"))
    st.altair_chart((bars + labels).properties(height=330), width="stretch", key="cell_mass_chart")

t_rate, t_fix, t_scope, t_mat, t_notes = st.tabs(["Rate capability", "Stack force and fixture", "Scopes",
                                                  "Materials per cell", "Assumptions"])
with t_rate:
    r1, r2 = st.columns([3, 2], gap="large")
    rt = pd.DataFrame(cell.rate_table)
    cols = [c for c in ["c_rate", "charge_min", "charge_min_measured", "retention_frac", "capacity_Ah", "energy_Wh",
                        "specific_energy_Wh_kg", "energy_density_Wh_L"] if c in rt.columns]
    names = {"c_rate": "Charge rate (C)", "charge_min": "Charge time (min)", "charge_min_measured": "Measured",
             "retention_frac": "Retention", "capacity_Ah": "Capacity (Ah)", "energy_Wh": "Energy (Wh)",
             "specific_energy_Wh_kg": "Wh/kg", "energy_density_Wh_L": "Wh/L"}
    shown = [{names[c]: (fmt_pct(r[c]) if c == "retention_frac" else r[c]) for c in cols} for r in rt.to_dict("records")]
    r1.dataframe(display_frame(shown), hide_index=True, width="stretch", key="cell_rate_df")
    r1.caption(cell.rate_protocol)
    fc = cell.fast_charge
    r2.metric(f"Energy in a {fc['charge_min']:g}-min charge", fmt_quantity(fc['energy_Wh'], "Wh"),
              help=fc.get("note"))
    r2.caption(f"at about {fmt_number(fc['c_rate'], 2)} C, {fmt_pct(fc['energy_frac'])} of the 0.2 C energy, "
               f"{fmt_number(fc['specific_energy_Wh_kg'])} Wh/kg")
    rc = alt.Chart(rt).mark_line(point=True, color="#1f6f8b").encode(
        x=alt.X("charge_min:Q", title="charge time (min)", scale=alt.Scale(type="log"),
                axis=alt.Axis(values=[5, 10, 20, 50, 100, 200, 300])),
        y=alt.Y("energy_Wh:Q", title="energy (Wh)"),
        tooltip=["c_rate", alt.Tooltip("charge_min:Q", format=".1f"), alt.Tooltip("energy_Wh:Q", format=".4g")])
    r2.altair_chart(rc.properties(height=220), width="stretch", key="cell_rate_chart")
with t_fix:
    fd = fx.to_dict()
    f = st.columns(5)
    f[0].metric("Clamp force", fmt_quantity(fd['force_kN'], "kN"), help=f"{fd['pressure_MPa']:g} MPa × "
                f"{fmt_number(fd['loaded_area_cm2'])} cm²")
    f[1].metric("End plates", f"{fmt_number(fd['plate_thickness_mm'])} mm", help=f"{fd['governs']} governs")
    f[2].metric("Bolts", f"{fd['bolts']}", help=f"{fmt_quantity(fd['bolt_load_kN'], 'kN')} each, "
                f"{100 * fd['bolt_utilisation_frac']:.0f} % of proof")
    f[3].metric("Fixture mass / cell", fmt_quantity(fd['mass_per_cell_g'], "g"))
    wf = d["with_fixture"]
    f[4].metric("With fixture", f"{fmt_number(wf['specific_energy_Wh_kg'])} Wh/kg",
                help=f"{fmt_number(wf['energy_density_Wh_L'])} Wh/L")
    for n in fd.get("notes", []):
        st.markdown(f"- {n}")
with t_scope:
    rows = []
    names = {"jellyroll": "Jellyroll (layer only)", "stack": "Stack (+ foils)", "cell": "Cell (+ tabs, pouch)",
             "cell_in_fixture": "Cell in fixture"}
    for lvl, vals in cell.levels.items():
        rows.append({"scope": names.get(lvl, lvl), **{k: vals.get(k) for k in
                                                      ("mass_g", "volume_cm3", "thickness_mm", "specific_energy_Wh_kg",
                                                       "energy_density_Wh_L")}})
    st.dataframe(display_frame(rows, sig=4), hide_index=True, width="stretch", key="cell_scope_df")
    st.caption(f"Stacking: {cell.arrangement.description}")
with t_mat:
    mat = pd.DataFrame([{"material": k, "name": materials[k].name if k in materials.ids else k, "g_per_cell": v}
                        for k, v in {**cell.materials_g, **cell.fixture_materials_g}.items()])
    st.dataframe(display_frame(mat, sig=4), hide_index=True, width="stretch", key="cell_mat_df")
    st.caption("Fixture steel is per cell (a fixture may hold several cells). Process scrap is not included: "
               "see the Cost and Traveler pages.")
with t_notes:
    for a in cell.assumptions:
        st.markdown(f"- {a}")
