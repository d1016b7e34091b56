"""A cell sizing result as a readable text report (tables for the terminal and plan folders)."""

from __future__ import annotations


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [_row(header, widths), _row(["-" * w for w in widths], widths), *(_row(r, widths) for r in rows)]


def render_text(res, source: str = "") -> str:
    """The cell result as a readable report."""
    ly, c = res.layer, res.conditions
    d = res.dimensions_mm
    out = [
        f"pouchline cell  {source}  format {res.format}: electrode {res.electrode_mm['length']:g} x "
        f"{res.electrode_mm['width']:g} mm, {res.layers} layer(s)",
        f"conditions: {c['temperature_C']:g} degC, {c['capacity_basis']} ({c['c_rate_convention']}), "
        f"{c['stack_pressure_MPa']:g} MPa, {c['average_voltage_V']:g} V average; N/P {ly.np_ratio:g} "
        f"({ly.np_basis} basis)",
        "",
        f"capacity      {res.capacity_Ah:.4g} Ah",
        f"energy        {res.energy_Wh:.4g} Wh",
        f"cell          {d['length']:.1f} x {d['width']:.1f} x {d['thickness']:.2f} mm as built "
        f"({res.breathing['charged']['cell_thickness_mm']:.2f} mm charged, "
        f"{res.breathing['fully_lithiated']['cell_thickness_mm']:.2f} mm fully lithiated; limit {res.max_thickness_mm:g} mm)",
        f"stack force   {res.stack_force_kN:.1f} kN ({c['stack_pressure_MPa']:g} MPa x {res.electrode_area_cm2:g} cm2)",
        f"sheet area    {res.area_per_cell_cm2:.4g} cm2 of electrode per cell",
        f"stacking      {res.arrangement.description}",
        "",
        "Energy by accounting scope (reference rate, as built)",
    ]
    lv = res.levels
    rows = [["jellyroll (no foils, as in the paper)", f"{ly.areal_mass_mg_cm2:.2f} mg/cm2", f"{ly.thickness_um:.1f} um",
             f"{lv['jellyroll']['specific_energy_Wh_kg']:.1f}", f"{lv['jellyroll']['energy_density_Wh_L']:.1f}"]]
    for key, name in (("stack", "stack (+ foils, prelith. Li)"), ("cell", "cell (+ tabs, pouch)"),
                      ("cell_in_fixture", "cell in fixture")):
        rows.append([name, f"{lv[key]['mass_g']:.2f} g", f"{lv[key]['volume_cm3']:.2f} cm3",
                     f"{lv[key]['specific_energy_Wh_kg']:.1f}", f"{lv[key]['energy_density_Wh_L']:.1f}"])
    out += _table(["scope", "mass", "size", "Wh/kg", "Wh/L"], rows)
    out += ["", f"jellyroll per cm2: {ly.areal_capacity_mAh_cm2:g} mAh/cm2, {ly.areal_energy_mWh_cm2:.2f} mWh/cm2; "
            f"cathode {sum(ly.cathode_mg_cm2.values()):.2f} mg/cm2 / {ly.cathode_thickness_um:.1f} um, film "
            f"{sum(ly.electrolyte_film_mg_cm2.values()):.2f} mg/cm2 / {ly.electrolyte_film_thickness_um:.1f} um, alloy "
            f"{ly.anode_alloy_mg_cm2:.2f} mg/cm2 / {ly.anode_thickness_um:.2f} um; "
            f"{ly.specific_power_W_kg:.0f} W/kg at {ly.power_c_rate:g} C",
            f"breathing (cell Wh/L): as built {res.breathing['as_built']['cell_energy_density_Wh_L']:.1f}, charged "
            f"{res.breathing['charged']['cell_energy_density_Wh_L']:.1f}, fully lithiated "
            f"{res.breathing['fully_lithiated']['cell_energy_density_Wh_L']:.1f}; jellyroll "
            f"{ly.energy_density_Wh_L:.1f} -> {ly.energy_density_lithiated_Wh_L:.1f} fully lithiated",
            "", "Mass breakdown (cell)"]
    rows = [[k, f"{v:.4g}", f"{v / res.mass_g:.1%}"] for k, v in res.mass_breakdown_g.items()]
    rows.append(["total", f"{res.mass_g:.4g}", "100.0%"])
    out += _table(["component", "g", "share"], rows)
    out += ["", "Materials per cell (excluding fixture)"]
    out += _table(["material", "g"], [[k, f"{v:.4g}"] for k, v in res.materials_g.items()])
    out += ["", f"Rate capability ({res.rate_protocol})"]
    rows = [[f"{r['c_rate']:g}", f"{r['charge_min']:.3g}" + ("" if r["charge_min_measured"] else "*"),
             f"{r['retention_frac']:.1%}", f"{r['energy_Wh']:.4g}", f"{r['jellyroll_specific_energy_Wh_kg']:.1f}",
             f"{r['specific_energy_Wh_kg']:.1f}", f"{r['with_fixture_specific_energy_Wh_kg']:.3g}"]
            for r in res.rate_table]
    out += _table(["C-rate", "charge min", "retained", "energy Wh", "jellyroll Wh/kg", "cell Wh/kg", "fixture Wh/kg"],
                  rows)
    out.append("  * estimated as 60 x retention / C-rate")
    fc = res.fast_charge
    if fc.get("energy_Wh") is not None:
        out.append(f"{fc['charge_min']:g}-min charge (~{fc['c_rate']:.2g} C): {fc['energy_Wh']:.4g} Wh, jellyroll "
                   f"{fc['jellyroll_specific_energy_Wh_kg']:.1f} Wh/kg, cell {fc['specific_energy_Wh_kg']:.1f} Wh/kg")
    else:
        out.append(f"{fc['charge_min']:g}-min charge: {fc['note']}")
    fx = res.fixture
    out += ["", f"Fixture: 2 steel plates {fx.plate_length_mm:.0f} x {fx.plate_width_mm:.0f} x {fx.plate_thickness_mm:.1f} mm "
            f"({fx.governs} governs; {fx.stress_MPa:.0f} MPa, {fx.deflection_um:.1f} um), {fx.bolts} x {fx.bolt_size} "
            f"class {fx.bolt_class} bolts at {fx.bolt_load_kN:.1f} kN, {fx.tightening_text}; {fx.mass_g / 1000:.3g} kg "
            f"for {fx.cells_per_fixture} cell(s)",
            "", "Assumptions"]
    out += [f"  - {a}" for a in res.assumptions]
    return "\n".join(out)
