"""The recipe as a readable route: tables of steps and parameters for people.

Pure functions returning pandas DataFrames and text; the CLI prints them, the app shows them and
the traveler lays them out.
"""

from __future__ import annotations

import pandas as pd

from pouchline.materials import MaterialLibrary
from pouchline.recipe.conversions import atomic_to_weight_fractions
from pouchline.recipe.document import Recipe
from pouchline.units import format_value


def alloy_composition_table(recipe: Recipe, materials: MaterialLibrary) -> pd.DataFrame:
    """The anode alloy in at.% and wt% (In0.38Sn0.33Bi0.29 is 30.42 / 27.32 / 42.26 wt%)."""
    alloy = materials[recipe.cell.anode.alloy]
    at = alloy.composition_at_pct or {}
    wt = atomic_to_weight_fractions(at) if at else {}
    return pd.DataFrame(
        [{"element": el, "at_pct": at[el], "wt_pct": 100.0 * wt[el]} for el in at],
        columns=["element", "at_pct", "wt_pct"],
    )


def route_table(recipe: Recipe) -> pd.DataFrame:
    """One row per parameter of every step, in route order."""
    rows = []
    for n, step in enumerate(recipe.steps, start=1):
        atm = recipe.atmosphere(step.atmosphere).describe()
        params = step.parameters()
        if not params:
            rows.append({"no": n, "step": step.id, "name": step.name, "atmosphere": atm, "parameter": "",
                         "value": "", "ctq": "", "source": ""})
        for pname, p in params.items():
            rows.append({
                "no": n, "step": step.id, "name": step.name, "atmosphere": atm, "parameter": pname,
                "value": p.describe(), "ctq": "CTQ" if p.ctq else "", "source": p.source_tag or "",
            })
    return pd.DataFrame(rows)


def route_text(recipe: Recipe, materials: MaterialLibrary) -> str:
    """The recipe as a readable route for the terminal."""
    out: list[str] = []
    out.append(f"{recipe.id} rev {recipe.revision} ({recipe.status}) — {recipe.title}")
    out.append(f"author {recipe.author}, {recipe.date.isoformat()}, content hash {recipe.hash}")
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
        out.append(f"{n:>2}. {step.name}  [{step.id}, {step.kind}]")
        out.append(f"    atmosphere: {atm}" + (f"; equipment: {step.equipment}" if step.equipment else ""))
        if step.inputs:
            out.append(f"    inputs: {', '.join(step.inputs)}")
        for pname, p in step.parameters().items():
            flag = "  CTQ" if p.ctq else ""
            src = f"  [{p.source_tag}]" if p.source_tag else ""
            out.append(f"    {pname:<28} {p.describe()}{flag}{src}")
        if step.kind == "rolling_schedule":
            sched = " -> ".join(f"{h:.1f}" for h in step.schedule_um())
            out.append(f"    passes ({step.n_passes}): {format_value(step.start_thickness_um.target, 'um')} -> {sched} µm")
        for c in step.checks:
            out.append(f"    check {c.name}: {c.spec.describe()} ({c.method})")
        if step.safety:
            out.append(f"    safety: {', '.join(recipe.safety_note(s).title for s in step.safety)}")
    return "\n".join(out)
