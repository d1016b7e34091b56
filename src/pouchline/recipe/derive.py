"""The recipe follows the product: a new revision for the planned cell and the line that makes it.

:func:`derive_revision` turns a recipe (the paper's 35 x 50 mm lab cell) into a draft revision for
the product a plan sizes (format, layers; the fixture's bolts and flange follow from the clamp
force) and, given a line, for the line's atmospheres: a step the line runs in a dry room names the
dry room, its dew point and the sulfide's maximum open time per step, recorded on the traveler.
Step values the design fixes become references (``from:``), so every check scales with the
product. The result carries the new recipe, its YAML, the change list and the diff.

:func:`line_deviations` compares a recipe with a line (``pouchline validate RECIPE LINE``): steps
the line runs in another atmosphere, a product the line is not sized for, steps no station runs.

This module orchestrates the recipe, cell and line packages, so it imports them when called.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pouchline.errors import InputError, Problem
from pouchline.materials import MaterialLibrary, Role
from pouchline.recipe.document import Recipe

#: Dew point of the dry room a derived revision names, degC (GM2022: sulfides handled at -40 degC).
DRY_ROOM_DEW_POINT_C = -40.0
#: Longest time a sulfide may stand open per step in that dry room, min (an estimate, see the source).
DRY_ROOM_OPEN_TIME_MIN = 15.0
DRY_ROOM_OPEN_TIME_SOURCE = (
    "estimate: half of the 30 min after which GM2022 measured H2S release (0.1 cm3/g) and a > 50 % conductivity "
    "loss of a sulfide electrolyte powder at a -40 degC dew point; Morino2024: CO2 and O2 in dry-room air add to "
    "the loss of Li6PS5Cl. Confirm by measuring the film's conductivity after timed exposures")
DRY_ROOM_SOURCE = ("sourced: GM2022, sulfide electrolytes in a dry room at a -40 degC dew point (~127 ppm H2O, "
                   "WMO2008) need exposure-time limits; Morino2024")
#: Kinds of the anode branch: they never hold the sulfide.
_ANODE_KINDS = {"alloy_preparation", "melt_cast", "quench", "rolling_schedule", "prelithiation"}
#: A product is within a line's sizing when its electrode area per cell is within this fraction
#: of the line's area_per_cell_cm2 (estimate: per-area station rates hold for nearby sheet sizes).
FORMAT_TOLERANCE_FRAC = 0.10


@dataclass(frozen=True)
class DerivedRevision:
    """A revision made for a product: the recipe, its file data, what changed and the diff."""

    recipe: Recipe
    materials: MaterialLibrary
    parent: Recipe
    data: dict
    changes: list[str]
    diff: str
    product: str
    notes: list[str] = field(default_factory=list)

    def yaml_text(self, path: str | os.PathLike | None = None) -> str:
        """The revision as a recipe file; with ``path``, its materials library is named relative to it."""
        data = copy.deepcopy(self.data)
        lib = self.parent.materials_library_path
        if path is not None and lib is not None:
            folder = Path(path).resolve().parent
            try:
                data["materials_library"] = os.path.relpath(lib, folder)
            except ValueError:  # another drive
                data["materials_library"] = str(lib)
        r = self.recipe
        head = [f"# {r.id} rev {r.revision} ({r.status}): {r.title}",
                f"# {r.parent_text}, for {self.product}; written by pouchline derive on {r.date.isoformat()}.",
                "# A draft: review it, then approve it (status: approved, approved_by, approved_date) before a",
                "# production traveler can be printed from it. What changed from the parent revision:"]
        head += [f"#   - {c}" for c in self.changes]
        body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
        return "\n".join(head) + "\n" + body


def sulfide_steps(recipe: Recipe, materials: MaterialLibrary) -> list[str]:
    """Steps in which the sulfide electrolyte is open to the room, in route order.

    From the first step that consumes a sulfide (inputs or electrolyte) up to and including the
    sealing step, except the anode branch (alloying, casting, rolling, anode punching,
    prelithiation), which never holds it. The paper's route: steps 6-11, 13 and 14.
    """
    sulfides = {m.id for m in materials.materials if m.role == Role.solid_electrolyte}
    first = next((i for i, s in enumerate(recipe.steps)
                  if (set(s.inputs) | {getattr(s, "electrolyte", None)}) & sulfides), None)
    if first is None:
        return []
    last = next((i for i, s in enumerate(recipe.steps) if s.kind == "sealing" and i >= first), len(recipe.steps) - 1)
    out = []
    for s in recipe.steps[first:last + 1]:
        if s.kind in _ANODE_KINDS or (s.kind == "punching" and s.part == "anode"):
            continue
        out.append(s.id)
    return out


# -- line vs recipe ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deviation:
    """A difference between a recipe and a line: ``kind`` atmosphere, format or missing_step."""

    kind: str
    step: str | None
    message: str
    declared: str = ""  # the recipe's reason when it declares this deviation


def line_deviations(recipe: Recipe, materials: MaterialLibrary, line: Any) -> list[Deviation]:
    """Every way ``line`` does not make ``recipe``'s product as the recipe says.

    * atmosphere: a station runs its step in another kind of atmosphere than the step names
      (:func:`pouchline.line.model.atmosphere_deviations`);
    * format: the recipe's product (electrode area x layers) differs from the line's
      ``area_per_cell_cm2`` by more than :data:`FORMAT_TOLERANCE_FRAC`;
    * missing_step: a recipe step no station runs.

    A deviation the recipe declares (``deviations:``, for this line or any) carries its reason.
    Stations naming steps the recipe does not have are an :class:`InputError` (as in ``plan``).
    """
    from pouchline.cell.pouch import size_cell
    from pouchline.line.model import atmosphere_deviations

    out: list[Deviation] = []
    for st in line.stations:
        for msg in atmosphere_deviations(line.model_copy(update={"stations": [st]}), recipe):
            out.append(Deviation("atmosphere", st.step, msg))
    if line.area_per_cell_cm2:
        cell = size_cell(recipe, materials)
        have = cell.area_per_cell_cm2
        if abs(have - line.area_per_cell_cm2) > FORMAT_TOLERANCE_FRAC * line.area_per_cell_cm2:
            out.append(Deviation("format", None, (
                f"the recipe's product has {have:g} cm2 of electrode per cell ({cell.layers} x "
                f"{cell.electrode_mm['length']:g} x {cell.electrode_mm['width']:g} mm), the line is sized for "
                f"{line.area_per_cell_cm2:g} cm2 (area_per_cell_cm2, +/- {FORMAT_TOLERANCE_FRAC:.0%}): derive a revision "
                "for the line's product (pouchline derive --format ... --layers ...)")))
    run = {st.step for st in line.stations}
    for s in recipe.steps:
        if s.id not in run:
            out.append(Deviation("missing_step", s.id, f"no station of line {line.name} runs step {s.id} ({s.name})"))
    declared = []
    for d in out:
        why = next((x.reason for x in recipe.deviations if x.kind == d.kind and x.step in (None, d.step)
                    and x.line in (None, line.name)), "")
        declared.append(Deviation(d.kind, d.step, d.message, why) if why else d)
    return declared


def deviation_problems(recipe: Recipe, materials: MaterialLibrary, line: Any, source: str) -> list[Problem]:
    """The undeclared :func:`line_deviations` as problems (``validate RECIPE LINE`` exits 2 on them)."""
    return [Problem(field=f"{d.kind}" + (f" of step {d.step}" if d.step else ""), message=d.message, source=source)
            for d in line_deviations(recipe, materials, line) if not d.declared]


# -- deriving ---------------------------------------------------------------------------------------
def _param_ref(old: dict, ref: str, keep_unit: bool = False) -> dict:
    new = {"from": ref}
    for k in ("tol", "tol_frac", "low", "high", "ctq", "record", "note") + (("unit",) if keep_unit else ()):
        if k in old:
            new[k] = old[k]
    return new


def _to_references(data: dict, recipe: Recipe, changes: list[str]) -> None:
    """Free step numbers the design fixes become references to it (the parent's tolerances kept)."""
    from pouchline.cell.consistency import DESIGN_CHECKS, design_ref

    steps = {s.get("id"): s for s in data["steps"]}
    for s in recipe.steps:
        raw = steps[s.id]
        for name, p in s.parameters().items():
            ref = design_ref(s, name)
            if ref and p.ref is None and isinstance(raw.get(name), dict):
                raw[name] = _param_ref(raw[name], ref)
                changes.append(f"steps.{s.id}.{name}: {p.describe()} now follows {ref}")
        for i, c in enumerate(s.checks):
            ref = DESIGN_CHECKS.get((s.kind, c.id))
            if ref and c.spec.ref is None:
                raw["checks"][i]["spec"] = _param_ref(raw["checks"][i]["spec"], ref, keep_unit=True)
                changes.append(f"steps.{s.id}.checks.{c.id}: {c.spec.describe()} now follows {ref}")


def _set_param(node: dict, key: str, target: float, source: str) -> None:
    node[key] = {"target": target, "source": source}


def _product(data: dict, recipe: Recipe, cell: Any, changes: list[str]) -> None:
    from pouchline.cell.fixture import BOLT_SIZES, choose_bolts, min_flange_mm

    pk = data["cell"]["packaging"]
    el, ew = cell.electrode_mm["length"], cell.electrode_mm["width"]
    old = recipe.cell.packaging
    fmt = f"format {cell.format}" if cell.format not in ("recipe",) else "the planned footprint"
    for key, new, was in (("electrode_length_mm", el, old.electrode_length_mm.target),
                          ("electrode_width_mm", ew, old.electrode_width_mm.target)):
        if not math.isclose(new, was, rel_tol=1e-12):
            _set_param(pk, key, new, f"derived: {fmt} of the planned cell ({cell.capacity_Ah:.3g} Ah)")
            changes.append(f"cell.packaging.{key}: {was:g} mm -> {new:g} mm ({fmt})")
    if cell.layers != old.layers:
        pk["layers"] = cell.layers
        changes.append(f"cell.packaging.layers: {old.layers} -> {cell.layers}")
    fx = data["cell"]["fixture"]
    fd = recipe.cell.fixture
    choice = choose_bolts(cell.fixture.force_kN, fd.bolt_utilisation_frac.target, max_bolts=fd.max_bolts,
                          size=fd.bolt_size, bolt_class=fd.bolt_class)
    if fd.bolt_size is not None and choice.count > fd.max_bolts:
        fx.pop("bolt_size", None)
        fx.pop("bolt_class", None)
        changes.append(f"cell.fixture.bolt_size: {fd.bolt_size} would need {choice.count} bolts; now chosen from the "
                       "ISO 898-1 table")
        choice = choose_bolts(cell.fixture.force_kN, fd.bolt_utilisation_frac.target, max_bolts=fd.max_bolts)
    own = choose_bolts(recipe.cell.conditions.stack_pressure_MPa.target * old.electrode_area_cm2 * 0.1,
                       fd.bolt_utilisation_frac.target, max_bolts=fd.max_bolts, size=fd.bolt_size,
                       bolt_class=fd.bolt_class)
    if fd.bolt_mass_g is not None and choice.size != own.size:
        fx.pop("bolt_mass_g", None)
        changes.append("cell.fixture.bolt_mass_g: dropped (it was for another bolt size); estimated from the size")
    need = math.ceil(min_flange_mm(BOLT_SIZES[choice.size].diameter_mm))
    if fd.plate_flange_mm.target < need:
        _set_param(fx, "plate_flange_mm", float(need),
                   f"derived: 1.75 x the {choice.size} bolt diameter (estimate), room for the bolts and washers")
        changes.append(f"cell.fixture.plate_flange_mm: {fd.plate_flange_mm.target:g} mm -> {need} mm for "
                       f"{choice.count} x {choice.size} class {choice.bolt_class} bolts")
    changes.append(f"fixture for {cell.fixture.force_kN:.4g} kN: {choice.count} x {choice.size} class {choice.bolt_class}, "
                   f"plates {cell.fixture.plate_thickness_mm:.4g} mm (computed from the design when a document is made)")


def _atmospheres(data: dict, recipe: Recipe, materials: MaterialLibrary, line: Any, changes: list[str],
                 notes: list[str]) -> None:
    """Steps the line runs in a dry room move to a dry-room atmosphere with an open-time limit."""
    from pouchline.line.model import atmosphere_deviations

    zones = getattr(line, "zones", None) or {}
    moved: list[str] = []
    for st in line.stations:
        if not atmosphere_deviations(line.model_copy(update={"stations": [st]}), recipe):
            continue
        zone = zones.get(st.zone) if st.zone else None
        if zone is None or zone.kind != "dry_room":
            notes.append(f"station {st.name} runs step {st.step} in "
                         f"{'zone ' + repr(st.zone) if zone is not None else 'no protective zone'}: no atmosphere "
                         "of the recipe matches it; the deviation remains")
            continue
        moved.append(st.step)
    if not moved:
        return
    atm_id = "dry_room"
    existing = next((a for a in data["atmospheres"] if a.get("kind") == "dry_room"), None)
    if existing is None:
        zone_names = sorted({st.zone for st in line.stations if st.step in moved and st.zone})
        data["atmospheres"].append({
            "id": atm_id, "kind": "dry_room", "dew_point_C_max": DRY_ROOM_DEW_POINT_C,
            "max_open_time_min": {"target": DRY_ROOM_OPEN_TIME_MIN, "source": DRY_ROOM_OPEN_TIME_SOURCE},
            "source": f"{DRY_ROOM_SOURCE}; line {line.name}, zone {', '.join(zone_names)}"})
        changes.append(f"atmospheres.{atm_id}: added, dew point <= {DRY_ROOM_DEW_POINT_C:g} degC, sulfide open "
                       f"<= {DRY_ROOM_OPEN_TIME_MIN:g} min per step (line {line.name})")
    else:
        atm_id = existing["id"]
    exposed = set(sulfide_steps(recipe, materials))
    steps = {s.get("id"): s for s in data["steps"]}
    for sid in moved:
        raw = steps[sid]
        was = raw["atmosphere"]
        raw["atmosphere"] = atm_id
        extra = ""
        if sid in exposed and "max_open_time_min" not in raw:
            raw["max_open_time_min"] = {"from": f"atmospheres.{atm_id}.max_open_time_min", "ctq": True}
            extra = "; the sulfide's open time is recorded against the dry room's limit"
            if "dry_room_exposure" not in raw.setdefault("safety", []):
                raw["safety"].append("dry_room_exposure")
        changes.append(f"steps.{sid}.atmosphere: {was} -> {atm_id} (line {line.name}){extra}")
    notes_by_id = {n["id"]: n for n in data.get("safety_notes", [])}
    if any("dry_room_exposure" in steps[sid].get("safety", []) for sid in moved):
        data.setdefault("safety_notes", []).append({
            "id": "dry_room_exposure", "title": "Sulfide in the dry room",
            "text": ("Check the dry room's dew point before starting. Keep Li6PS5Cl powder, film and cathode sheets in "
                     "closed, dry containers except while the step works them; record how long they stood open and "
                     "stop at the step's open-time limit. Material over the limit is scrap (NCR): moisture releases "
                     "H2S and cuts the electrolyte's conductivity."),
            "source": f"{DRY_ROOM_SOURCE}; the limit: {DRY_ROOM_OPEN_TIME_SOURCE}"})
        changes.append("safety_notes.dry_room_exposure: added (dew point, open-time limit, what to do over it)")
    if "h2s" in notes_by_id:
        notes_by_id["h2s"]["text"] = (
            "Li6PS5Cl releases toxic H2S with moisture. Work with it only in its step's atmosphere (dry room or Ar "
            "glovebox) and within the open-time limit; check the dew point or box readings before starting. H2S "
            "monitors fixed and personal: OSHA PEL 20 ppm ceiling, NIOSH REL 10 ppm, IDLH 100 ppm, ACGIH TLV 1 ppm "
            "TWA. Smell is not a detector.")
        notes_by_id["h2s"]["source"] = "sourced: NitricOxide2017 (H2S exposure limits); GM2022 (H2S at -40 degC dew point)"
        changes.append("safety_notes.h2s: names the dry room and the open-time limit instead of the glovebox only")
    li_steps = [s.id for s in recipe.steps if s.id in moved and "lithium_foil" in s.safety]
    if li_steps and "lithium_foil" in notes_by_id:
        notes_by_id["lithium_foil"]["text"] = (
            "Lithium metal is water-reactive and flammable. Handle it only in the dry room or in Ar, never in open air; "
            "Class D extinguisher at the station; no water.")
        notes_by_id["lithium_foil"]["source"] = ("estimate: lithium foil is handled in dry rooms at <= -40 degC dew "
                                                 "point in battery plants (GM2022 dew point)")
        changes.append("safety_notes.lithium_foil: allows the dry room as well as Ar")
    used = {s.get("atmosphere") for s in data["steps"]}
    kept = [a for a in data["atmospheres"] if a.get("id") in used]
    for a in data["atmospheres"]:
        if a.get("id") not in used:
            changes.append(f"atmospheres.{a.get('id')}: removed (no step runs in it any more)")
    data["atmospheres"] = kept


def derive_revision(recipe: Recipe, materials: MaterialLibrary, cell: Any, *, line: Any = None,
                    revision: str | None = None, author: str = "pouchline derive",
                    date: dt.date | None = None) -> DerivedRevision:
    """A draft revision of ``recipe`` for the product ``cell`` (a :class:`~pouchline.cell.CellResult`
    sized from ``recipe``) and, given one, for the atmospheres of ``line``.

    The revision is validated like any recipe file (its steps follow the new design, its texts
    are filled from it) and names its parent (id, revision, content hash) in ``derived_from``.
    ``revision`` defaults to the next one (``A`` -> ``B``).
    """
    from pouchline.cell.design_values import design_values
    from pouchline.recipe.diff import diff_text
    from pouchline.recipe.io import recipe_data, recipe_from_data
    from pouchline.recipe.revisions import next_revision

    revision = revision or next_revision(recipe.revision)
    if str(revision) == recipe.revision:
        raise InputError.single("--revision", "", f"{revision!r} is the parent's revision; a derived revision needs "
                                "a new label (e.g. the next one)", revision)
    date = date or dt.date.today()
    data = recipe_data(recipe)
    data.pop("content_hash", None)
    changes: list[str] = []
    notes: list[str] = []
    _to_references(data, recipe, changes)
    _product(data, recipe, cell, changes)
    if line is not None:
        line.validate_steps(set(recipe.step_ids), against=f"recipe {recipe.id} rev {recipe.revision}")
        _atmospheres(data, recipe, materials, line, changes, notes)
    product = (f"{cell.layers} layer(s) of {cell.electrode_mm['length']:g} x {cell.electrode_mm['width']:g} mm "
               f"({cell.format}), {cell.capacity_Ah:.4g} Ah" + (f", line {line.name}" if line is not None else ""))
    data.update({"revision": str(revision), "status": "draft", "author": author, "date": date.isoformat()})
    for k in ("approved_by", "approved_date"):
        data.pop(k, None)
    data["derived_from"] = {"id": recipe.id, "revision": recipe.revision, "content_hash": recipe.hash,
                            "relation": "derived"}
    data["changes"] = changes
    data["description"] = (f"Rev {revision}: {product}, derived from rev {recipe.revision}. "
                           + str(data.get("description", "")).strip())
    source = f"{recipe.id} rev {revision} (derived)"
    new, _ = recipe_from_data(data, source, materials=materials, base_dir=recipe._source_dir)
    new._source_dir = recipe._source_dir
    data["content_hash"] = new.hash
    diff = diff_text(recipe, new, design_values(recipe, materials), design_values(new, materials))
    return DerivedRevision(recipe=new, materials=materials, parent=recipe, data=data, changes=changes, diff=diff,
                           product=product, notes=notes)


def needs_revision(recipe: Recipe, cell: Any, line: Any = None) -> bool:
    """Whether a plan's product or line differs from what the recipe's routing makes."""
    from pouchline.line.model import atmosphere_deviations

    pk = recipe.cell.packaging
    same = (math.isclose(cell.electrode_mm["length"], pk.electrode_length_mm.target, rel_tol=1e-9)
            and math.isclose(cell.electrode_mm["width"], pk.electrode_width_mm.target, rel_tol=1e-9)
            and cell.layers == pk.layers)
    if not same:
        return True
    return line is not None and bool(atmosphere_deviations(line, recipe))


__all__ = ["DRY_ROOM_DEW_POINT_C", "DRY_ROOM_OPEN_TIME_MIN", "Deviation", "DerivedRevision", "derive_revision",
           "deviation_problems", "line_deviations", "needs_revision", "sulfide_steps"]
