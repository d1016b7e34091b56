"""Do the recipe's process steps make the cell its design describes?

The steps of a recipe refer to the design for every value it fixes (``from:``, see
:mod:`pouchline.recipe.refs`). A recipe may still state some as free numbers (an older file, a
user's recipe); :data:`DESIGN_PARAMS` and :data:`DESIGN_CHECKS` say which step values the design
fixes, and :func:`recipe_consistency` refuses a free number outside its own tolerance of the
design's value, a stale reference, a text placeholder that names no value, and a fixture whose
flange cannot take its bolts. The loader turns these into errors (``pouchline validate`` exits 2,
``traveler`` refuses), and :mod:`pouchline.recipe.derive` turns the free numbers into references.
"""

from __future__ import annotations

from typing import Any, Mapping

from pouchline.errors import Problem
from pouchline.materials import MaterialLibrary

#: (step kind, field, punched part or None) -> the design value that step parameter must equal.
DESIGN_PARAMS: dict[tuple[str, str, str | None], str] = {
    ("melt_cast", "substrate_thickness_um", None): "cell.packaging.anode_collector.thickness_um",
    ("rolling_schedule", "target_thickness_um", None): "derived.anode_thickness_um",
    ("punching", "length_mm", "anode"): "derived.anode_length_mm",
    ("punching", "width_mm", "anode"): "derived.anode_width_mm",
    ("film_fibrillation", "binder_frac", None): "cell.electrolyte_film.binder_frac",
    ("film_rolling", "loading_mg_cm2", None): "derived.film_loading_mg_cm2",
    ("film_rolling", "thickness_um", None): "cell.electrolyte_film.thickness_um",
    ("punching", "length_mm", "electrolyte_film"): "derived.film_length_mm",
    ("punching", "width_mm", "electrolyte_film"): "derived.film_width_mm",
    ("hot_rolling", "active_loading_mg_cm2", None): "cell.cathode.active_loading_mg_cm2",
    ("hot_rolling", "thickness_um", None): "derived.cathode_thickness_um",
    ("punching", "length_mm", "cathode"): "cell.packaging.electrode_length_mm",
    ("punching", "width_mm", "cathode"): "cell.packaging.electrode_width_mm",
    ("sealing", "seal_width_mm", None): "cell.packaging.seal_margin_mm",
    ("clamping", "pressure_MPa", None): "cell.conditions.stack_pressure_MPa",
    ("formation", "pressure_MPa", None): "cell.conditions.stack_pressure_MPa",
}
#: (step kind, check id) -> the design value that in-process check's spec must equal.
DESIGN_CHECKS: dict[tuple[str, str], str] = {
    ("rolling_schedule", "anode_thickness"): "derived.anode_thickness_um",
    ("film_rolling", "film_loading"): "derived.film_loading_mg_cm2",
    ("film_rolling", "film_thickness"): "cell.electrolyte_film.thickness_um",
    ("hot_rolling", "cathode_thickness"): "derived.cathode_thickness_um",
    ("hot_rolling", "cathode_mass"): "derived.cathode_sheet_mass_g",
    ("sealing", "seal_width"): "cell.packaging.seal_margin_mm",
    ("clamping", "stack_pressure"): "cell.conditions.stack_pressure_MPa",
    ("clamping", "clamp_force"): "derived.clamp_force_kN",
}


def design_ref(step: Any, field: str) -> str | None:
    """The design value a step's parameter must follow (None if the design does not fix it)."""
    return DESIGN_PARAMS.get((step.kind, field, getattr(step, "part", None) if step.kind == "punching" else None))


def _free_number_problems(recipe: Any, values: Mapping[str, Any], source: str) -> list[Problem]:
    from pouchline.recipe.refs import fmt_number, in_unit, lookup

    out: list[Problem] = []
    for s in recipe.steps:
        items = []
        for name, p in s.parameters().items():
            ref = design_ref(s, name)
            if ref is not None:
                items.append((f"steps.{s.id}.{name}", p, ref))
        for c in s.checks:
            ref = DESIGN_CHECKS.get((s.kind, c.id))
            if ref is not None:
                items.append((f"steps.{s.id}.checks.{c.id}.spec", c.spec, ref))
        for field, p, ref in items:
            if p.ref is not None:
                continue  # follows the design by construction; reference_problems checks it is fresh
            got = lookup(ref, recipe, values)
            want = in_unit(got[0], got[1], p.unit) if got is not None else None
            if want is None:
                continue
            if s.kind == "punching" and field.endswith(("length_mm", "width_mm")):
                # a punch may turn the sheet: compare the pair, not the orientation
                other = "width_mm" if field.endswith("length_mm") else "length_mm"
                o_ref = design_ref(s, other)
                o_got = lookup(o_ref, recipe, values) if o_ref else None
                mine = getattr(s, other)
                if o_got is not None and mine.ref is None and _fits(o_got[0], p) and _fits(want, mine):
                    continue
            if not _fits(want, p):
                out.append(Problem(field=field, value=p.target, source=source, message=(
                    f"{p.describe()} contradicts the design: {ref} is {fmt_number(want)} "
                    f"{_unit(p.unit)}; write it as {{from: {ref}}} so it follows the design")))
    return out


def _fits(want: float, p: Any) -> bool:
    """Whether the design's value lies within the step's acceptance range (its tolerance about its target)."""
    scale = max(abs(want), 1.0)
    return p.lower - 1e-9 * scale <= want <= p.upper + 1e-9 * scale


def _unit(unit_key: str) -> str:
    from pouchline.units import format_value

    return format_value(1.0, unit_key)[1:].strip()


def fixture_problems(recipe: Any, values: Mapping[str, Any], source: str) -> list[Problem]:
    """The recipe's own fixture: a flange too narrow for its bolts, or more bolts than the flange takes."""
    out = []
    fx = recipe.cell.fixture
    flange, need = values["flange_mm"].value, values["flange_needed_mm"].value
    if flange < need - 1e-9:
        out.append(Problem(field="cell.fixture.plate_flange_mm", value=flange, source=source, message=(
            f"{flange:g} mm is narrower than the {need:g} mm that {values['bolt_size'].value} bolts need "
            f"(1.75 x their diameter, estimate) for the {values['clamp_force_kN'].text} kN clamp force")))
    n = values["bolt_count"].value
    if n > fx.max_bolts:
        out.append(Problem(field="cell.fixture.max_bolts", value=n, source=source, message=(
            f"the {values['clamp_force_kN'].text} kN clamp force needs {n} x {values['bolt_size'].value} class "
            f"{values['bolt_class'].value} bolts, more than max_bolts {fx.max_bolts}; a fixture this size needs a "
            "press frame or tie rods")))
    return out


def recipe_consistency(recipe: Any, materials: MaterialLibrary, source: str = "",
                       values: Mapping[str, Any] | None = None) -> list[Problem]:
    """Everything in the steps that contradicts the design (empty when consistent).

    ``values`` are the recipe's :func:`~pouchline.cell.design_values.design_values` if already
    computed.
    """
    from pouchline.cell.design_values import design_values
    from pouchline.recipe.refs import check_placeholders, reference_problems

    if values is None:
        values = design_values(recipe, materials)
    return (reference_problems(recipe, values, source) + _free_number_problems(recipe, values, source)
            + fixture_problems(recipe, values, source) + check_placeholders(recipe, values, source))


__all__ = ["DESIGN_CHECKS", "DESIGN_PARAMS", "design_ref", "fixture_problems", "recipe_consistency"]
