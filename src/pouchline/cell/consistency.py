"""Do the recipe's process steps make the cell its design describes?

The design (``cell:``) and the steps each state thicknesses, loadings and sizes. A ``--set`` on
the design (a thinner film, a higher N/P) changes what the cell needs without changing what the
steps tell the floor to make. These checks compare the two with the cell physics of
:func:`pouchline.cell.jellyroll`; ``pouchline validate`` prints them as warnings and
``pouchline traveler`` refuses to print a card that contradicts its own design.
"""

from __future__ import annotations

from pouchline.cell.layers import jellyroll
from pouchline.errors import Problem
from pouchline.materials import MaterialLibrary
from pouchline.recipe.document import Recipe


def _outside(value: float, p) -> bool:
    return not (p.lower - 1e-9 <= value <= p.upper + 1e-9)


def recipe_consistency(recipe: Recipe, materials: MaterialLibrary, source: str = "") -> list[Problem]:
    """Steps whose spec does not contain what the design needs (empty when consistent)."""
    out: list[Problem] = []
    j = jellyroll(recipe, materials)
    cell = recipe.cell
    film = cell.electrolyte_film

    def bad(field: str, value: float, msg: str) -> None:
        out.append(Problem(field=field, message=msg, value=value, source=source))

    for s in recipe.steps_of_kind("film_rolling"):
        if _outside(film.thickness_um.target, s.thickness_um):
            bad(f"steps.{s.id}.thickness_um", s.thickness_um.target,
                f"rolls the film to {s.thickness_um.describe()} but the design's film is "
                f"{film.thickness_um.target:g} um (cell.electrolyte_film.thickness_um)")
        if _outside(film.loading_mg_cm2, s.loading_mg_cm2):
            bad(f"steps.{s.id}.loading_mg_cm2", s.loading_mg_cm2.target,
                f"rolls the film to {s.loading_mg_cm2.describe()} but the design's film is "
                f"{film.loading_mg_cm2:.3g} mg/cm2 ({film.thickness_um.target:g} um at {film.density_g_cm3.target:g} g/cm3)")
    for s in recipe.steps_of_kind("rolling_schedule"):
        if _outside(j.anode_thickness_um, s.target_thickness_um):
            bad(f"steps.{s.id}.target_thickness_um", s.target_thickness_um.target,
                f"rolls the alloy to {s.target_thickness_um.describe()} but the design needs "
                f"{j.anode_thickness_um:.3g} um (N/P {j.np_ratio:g} on {j.np_cathode_capacity_mAh_cm2:.3g} mAh/cm2, "
                f"{j.anode.specific_capacity_mAh_g:g} mAh/g, {j.anode.density_g_cm3:g} g/cm3)")
    for s in recipe.steps_of_kind("hot_rolling"):
        if cell.cathode.thickness_um is None and _outside(j.cathode_thickness_um, s.thickness_um):
            bad(f"steps.{s.id}.thickness_um", s.thickness_um.target,
                f"rolls the cathode to {s.thickness_um.describe()} but the design's cathode is "
                f"{j.cathode_thickness_um:.3g} um at porosity {cell.cathode.porosity_frac.target:g}")
    pk = cell.packaging
    el = sorted((pk.electrode_length_mm.target, pk.electrode_width_mm.target))
    extra = {"anode": 2 * pk.anode_overhang_mm.target,
             "electrolyte_film": 2 * (pk.electrolyte_overhang_mm.target if pk.electrolyte_overhang_mm else 0.0)}
    for s in recipe.steps_of_kind("punching"):
        if s.part not in extra:
            continue
        want = [x + extra[s.part] for x in el]
        got = sorted((s.length_mm.target, s.width_mm.target))
        tol = max(s.length_mm.tol or 0.0, s.width_mm.tol or 0.0, 1e-6)
        if any(abs(a - b) > tol for a, b in zip(got, want)):
            bad(f"steps.{s.id}.length_mm", s.length_mm.target,
                f"cuts the {s.part.replace('_', ' ')} {s.length_mm.target:g} x {s.width_mm.target:g} mm but the design "
                f"needs {want[1]:g} x {want[0]:g} mm (electrode + overhang on each side)")
    return out
