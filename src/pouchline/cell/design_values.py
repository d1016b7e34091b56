"""The values a recipe's design fixes for its process: one function, one place.

:func:`design_values` sizes the recipe's own product (its electrode, its layer count) with the
cell model and returns every number a step, check or safety text may state: sheet sizes, film
loading, cathode thickness and sheet mass, alloy thickness, clamp force, end plates, bolts and
their torque. Step parameters refer to them (``from: derived.cathode_thickness_um``) and texts
name them (``{clamp_force_kN}``); see :mod:`pouchline.recipe.refs`. Pure: no files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pouchline.materials import MaterialLibrary


@dataclass(frozen=True)
class DesignValue:
    """One value the design fixes: a number in ``unit`` (a unit key, ``count`` or ``pct``) or a text."""

    value: float | int | str
    unit: str
    how: str

    @property
    def text(self) -> str:
        from pouchline.recipe.refs import value_text

        return value_text(self.value)

    @property
    def text_with_unit(self) -> str:
        """'900 kN', '12', '51.06 %', '300 N·m', 'M20'."""
        from pouchline.units import format_value

        special = {"": "", "count": "", "pct": " %", "N_m": " N·m"}
        unit = special[self.unit] if self.unit in special else " " + format_value(1.0, self.unit)[1:].strip()
        return self.text + unit


def design_values(recipe: Any, materials: MaterialLibrary) -> dict[str, DesignValue]:
    """Every value the recipe's design fixes for its own product, by name.

    ``recipe`` needs ``cell`` and ``steps_of_kind`` (a :class:`~pouchline.recipe.Recipe`). The
    paper's cell: electrode 50 x 35 mm (17.5 cm2), cathode composite 29.0 mg/cm2 (21.0 / 0.7242),
    sheet 0.5075 g, 84.2 um; film 6.81 mg/cm2; alloy 8.53 um; 52.5 kN on 6 x M8 8.8 at 14 N m.
    """
    from pouchline.cell.pouch import size_cell

    c = size_cell(recipe, materials)
    ly, fx = c.layer, c.fixture
    d = recipe.cell
    pk, film = d.packaging, d.electrolyte_film
    el, ew = c.electrode_mm["length"], c.electrode_mm["width"]
    oa = pk.anode_overhang_mm.target
    of = pk.electrolyte_overhang_mm.target if pk.electrolyte_overhang_mm is not None else 0.0
    area = el * ew / 100.0
    cathode_mg = sum(ly.cathode_mg_cm2.values())
    active = d.cathode.active_material
    wt = ly.anode.weight_frac
    v: dict[str, DesignValue] = {}

    def put(name: str, value: Any, unit: str, how: str) -> None:
        v[name] = DesignValue(value, unit, how)

    put("layers", c.layers, "count", "cell.packaging.layers")
    put("capacity_Ah", c.capacity_Ah, "Ah", "layers x electrode area x areal capacity")
    put("energy_Wh", c.energy_Wh, "Wh", "capacity x average voltage")
    put("stack_area_cm2", c.layers * el * ew / 100.0, "cm2", "layers x electrode area (the layers in parallel)")
    put("first_cycle_efficiency_pct", 100.0 * d.cathode.areal_capacity_mAh_cm2.target
        / (d.cathode.active_loading_mg_cm2.target * d.cathode.first_charge_capacity_mAh_g.target / 1000.0), "pct",
        "areal capacity / (active loading x first-charge capacity)")
    put("electrode_length_mm", el, "mm", "cell.packaging.electrode_length_mm")
    put("electrode_width_mm", ew, "mm", "cell.packaging.electrode_width_mm")
    put("electrode_area_cm2", area, "cm2", "electrode length x width")
    put("anode_length_mm", el + 2 * oa, "mm", "electrode length + 2 x cell.packaging.anode_overhang_mm")
    put("anode_width_mm", ew + 2 * oa, "mm", "electrode width + 2 x cell.packaging.anode_overhang_mm")
    put("film_length_mm", el + 2 * of, "mm", "electrode length + 2 x cell.packaging.electrolyte_overhang_mm")
    put("film_width_mm", ew + 2 * of, "mm", "electrode width + 2 x cell.packaging.electrolyte_overhang_mm")
    put("film_thickness_um", film.thickness_um.target, "um", "cell.electrolyte_film.thickness_um")
    put("film_loading_mg_cm2", film.loading_mg_cm2, "mg_cm2",
        "cell.electrolyte_film.thickness_um x density_g_cm3")
    put("cathode_active_loading_mg_cm2", d.cathode.active_loading_mg_cm2.target, "mg_cm2",
        "cell.cathode.active_loading_mg_cm2")
    put("cathode_loading_mg_cm2", cathode_mg, "mg_cm2",
        f"active loading / {active} mass fraction {d.cathode.mass_fractions[active]:.4f}")
    put("cathode_thickness_um", ly.cathode_thickness_um, "um", f"cell model ({ly.cathode_thickness_basis})")
    put("cathode_sheet_mass_g", cathode_mg * area / 1000.0, "g", "composite loading x electrode area")
    put("alloy_loading_mg_cm2", ly.anode_alloy_mg_cm2, "mg_cm2", "N/P x cathode capacity / alloy capacity")
    put("anode_thickness_um", ly.anode_thickness_um, "um", "alloy loading / alloy density")
    put("alloy_feed", " / ".join(f"{el_} {100 * w:.2f}" for el_, w in wt.items()) + " wt%", "",
        "the alloy's composition in wt%")
    put("stack_pressure_MPa", d.conditions.stack_pressure_MPa.target, "MPa", "cell.conditions.stack_pressure_MPa")
    put("clamp_force_kN", fx.force_kN, "kN", "stack pressure x electrode area")
    put("cell_length_mm", c.dimensions_mm["length"], "mm", "electrode + overhang + tab and seal margins")
    put("cell_width_mm", c.dimensions_mm["width"], "mm", "electrode + overhang + 2 seal margins")
    put("cell_thickness_mm", c.dimensions_mm["thickness"], "mm", "stack + pouch film")
    put("plate_thickness_mm", fx.plate_thickness_mm, "mm", f"Roark2012 ({fx.governs} governs)")
    put("plate_length_mm", fx.plate_length_mm, "mm", "cell length + 2 flanges")
    put("plate_width_mm", fx.plate_width_mm, "mm", "cell width + 2 flanges")
    put("bolt_count", fx.bolts, "count", "clamp force / (proof load x utilisation), even, >= 4")
    put("bolt_size", fx.bolt_size, "", "ISO898-1 table")
    put("bolt_class", fx.bolt_class, "", "ISO898-1 table")
    put("bolt_proof_load_kN", fx.bolt_proof_load_kN, "kN", "stress area x proof stress (ISO898-1)")
    put("bolt_preload_kN", fx.bolt_load_kN, "kN", "clamp force / bolt count")
    put("bolt_utilisation_pct", 100 * fx.bolt_utilisation_frac, "pct", "preload / proof load")
    put("bolt_torque_Nm", fx.bolt_torque_Nm, "N_m", "K x preload x diameter (Shigley2015)")
    put("bolt_sequence", "-".join(str(b) for b in fx.tightening_sequence), "", "cross pattern (ASME2019)")
    put("bolt_stages", " / ".join(f"{100 * f:g} %" for f in fx.tightening_stages_frac), "",
        "torque stages (ASME2019)")
    put("flange_mm", fx.flange_mm, "mm", "cell.fixture.plate_flange_mm")
    put("flange_needed_mm", fx.flange_needed_mm, "mm", "1.75 x bolt diameter (estimate)")
    return v


__all__ = ["DesignValue", "design_values"]
