"""The recipe as a readable route: tables of steps and parameters for people.

Pure functions returning pandas DataFrames and text; the CLI prints them, the app shows them and
the traveler lays them out. Texts with placeholders (``{clamp_force_kN}``) are filled with the
design's values when ``materials`` are given (see :mod:`pouchline.recipe.refs`).
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from pouchline.materials import MaterialLibrary
from pouchline.recipe.conversions import atomic_to_weight_fractions
from pouchline.recipe.document import Recipe
from pouchline.recipe.refs import fill
from pouchline.units import format_value


def document_values(recipe: Recipe, materials: MaterialLibrary | None) -> Mapping[str, Any]:
    """The design values a document fills its placeholders with (empty without a materials library)."""
    if materials is None:
        return {}
    from pouchline.cell.design_values import design_values

    return design_values(recipe, materials)


def _text(text: str, values: Mapping[str, Any]) -> str:
    try:
        return fill(text, values)
    except KeyError:  # no materials given: the placeholders stay as they are written
        return text


def source_text(p: Any) -> str:
    """How a parameter's value is known: ``from <ref>`` for a reference, else its source tag."""
    if p.ref:
        return f"from {p.ref}"
    return p.source_tag or ""


def alloy_composition_table(recipe: Recipe, materials: MaterialLibrary) -> pd.DataFrame:
    """The anode alloy in at.% and wt% (In0.38Sn0.33Bi0.29 is 30.42 / 27.32 / 42.26 wt%)."""
    alloy = materials[recipe.cell.anode.alloy]
    at = alloy.composition_at_pct or {}
    wt = atomic_to_weight_fractions(at) if at else {}
    return pd.DataFrame(
        [{"element": el, "at_pct": at[el], "wt_pct": 100.0 * wt[el]} for el in at],
        columns=["element", "at_pct", "wt_pct"],
    )


def route_table(recipe: Recipe, materials: MaterialLibrary | None = None) -> pd.DataFrame:
    """One row per parameter of every step, in route order (``source`` is the tag or ``from <ref>``)."""
    values = document_values(recipe, materials)
    rows = []
    for n, step in enumerate(recipe.steps, start=1):
        atm = recipe.atmosphere(step.atmosphere).describe()
        params = step.parameters()
        name = _text(step.name, values)
        if not params:
            rows.append({"no": n, "step": step.id, "name": name, "atmosphere": atm, "parameter": "",
                         "value": "", "ctq": "", "source": ""})
        for pname, p in params.items():
            rows.append({
                "no": n, "step": step.id, "name": name, "atmosphere": atm, "parameter": pname,
                "value": p.describe(), "ctq": "CTQ" if p.ctq else "",
                "source": "design" if p.ref else (p.source_tag or ""),
            })
    return pd.DataFrame(rows)


def route_text(recipe: Recipe, materials: MaterialLibrary) -> str:
    """The recipe as a readable route for the terminal."""
    values = document_values(recipe, materials)
    out: list[str] = []
    out.append(f"{recipe.id} rev {recipe.revision} ({recipe.status}) — {recipe.title}")
    out.append(f"author {recipe.author}, {recipe.date.isoformat()}, content hash {recipe.hash}")
    if recipe.approved_by:
        out.append(f"approved by {recipe.approved_by} on {recipe.approved_date}")
    if recipe.derived_from is not None:
        out.append(f"{recipe.parent_text}; changes: " + ("; ".join(recipe.changes) or "none listed"))
    out.append("")
    comp = alloy_composition_table(recipe, materials)
    if len(comp):
        alloy = materials[recipe.cell.anode.alloy]
        parts = ", ".join(f"{r.element} {r.at_pct:g} at.% = {r.wt_pct:.2f} wt%" for r in comp.itertuples())
        out.append(f"Anode alloy {alloy.name}: {parts}")
    cath = recipe.cell.cathode
    fr = cath.mass_fractions
    out.append("Cathode composite: " + ", ".join(
        f"{c.material} {c.parts:g} parts = {100 * fr[c.material]:.2f} wt%" for c in cath.composition)
        + f"  ({cath.composition_basis})")
    out.append("")
    for n, step in enumerate(recipe.steps, start=1):
        atm = recipe.atmosphere(step.atmosphere).describe()
        out.append(f"{n:>2}. {_text(step.name, values)}  [{step.id}, {step.kind}]")
        out.append(f"    atmosphere: {atm}" + (f"; equipment: {_text(step.equipment, values)}" if step.equipment else ""))
        if step.inputs:
            out.append(f"    inputs: {', '.join(step.inputs)}")
        for pname, p in step.parameters().items():
            flag = "  CTQ" if p.ctq else ""
            src = f"  [{source_text(p)}]" if source_text(p) else ""
            out.append(f"    {pname:<28} {p.describe()}{flag}{src}")
        for f in ("plates", "bolts"):
            if getattr(step, f, None):
                out.append(f"    {f:<28} {_text(getattr(step, f), values)}")
        if step.kind == "rolling_schedule":
            sched = " -> ".join(f"{h:.1f}" for h in step.schedule_um())
            out.append(f"    passes ({step.n_passes}): {format_value(step.start_thickness_um.target, 'um')} -> {sched} µm")
        for c in step.checks:
            out.append(f"    check {_text(c.name, values)}: {c.spec.describe()} ({_text(c.method, values)})")
        if step.safety:
            out.append(f"    safety: {', '.join(recipe.safety_note(s).title for s in step.safety)}")
    if values:
        out += ["", "Design values the steps follow (from: derived.<name>, placeholders {name}):"]
        for name, v in values.items():
            out.append(f"    {name:<30} {v.text_with_unit}  ({v.how})")
        out += ["", "Safety notes:"]
        for note in recipe.safety_notes:
            out.append(f"    {note.title}: {_text(note.text, values)}")
    return "\n".join(out)
