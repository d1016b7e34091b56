"""Loading, validating, overriding and dumping recipes and the materials library.

The only module of :mod:`pouchline.recipe` that touches files. Loading (:func:`recipe_from_data`)
applies ``--set`` overrides (an edit of a released revision becomes a new draft revision, see
:mod:`pouchline.recipe.revisions`), fills in every ``from:`` reference from the design
(:mod:`pouchline.recipe.refs`) and validates in four layers: pydantic (types, units, ranges,
per-model physics), references inside the recipe (atmospheres, safety notes, step ids),
:func:`check_against_library` (material ids, melting point, sulfides in a protective atmosphere)
and :func:`pouchline.cell.consistency.recipe_consistency` (no step contradicts the design).
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from pouchline.errors import InputError, Problem, excerpt
from pouchline.fileio import parse_yaml_value, read_yaml, read_yaml_text, validate_model
from pouchline.materials import DEFAULT_MATERIALS_PATH, MaterialLibrary, Role
from pouchline.recipe.document import Recipe

#: Root of the shipped recipes (``recipes/`` in the project checkout).
RECIPES_DIR = DEFAULT_MATERIALS_PATH.parent
DEFAULT_RECIPE_PATH = RECIPES_DIR / "insnbi-lco-pouch.yaml"


def load_materials(path: str | os.PathLike = DEFAULT_MATERIALS_PATH) -> MaterialLibrary:
    """Read and validate a materials library."""
    data = read_yaml(path, what="materials library")
    return validate_model(MaterialLibrary, data, str(path))


# -- overrides --------------------------------------------------------------------------------
_NON_FINITE = re.compile(r"^[-+]?\.?(inf|infinity|nan)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PLAIN_INT = re.compile(r"^[-+]?[0-9]+$")


def parse_override(text: str) -> tuple[str, Any]:
    """``'cell.anode.np_ratio=1.5'`` -> ``('cell.anode.np_ratio', 1.5)``.

    A value that starts like a number must be a plain decimal number (``1.5``, ``-3``, ``1e3``)
    or a number with a unit (``90 degC``, ``7.1 mg/cm2``), parsed by the field's validation;
    ``.inf``, ``nan``, YAML 1.1 base-60 (``1:30``, which YAML reads as 90), hex, octal and
    expressions are refused naming the field. Anything else is read as YAML (text, yes/no,
    lists, mappings) with the limits of a file.
    """
    if "=" not in text:
        raise InputError.single("--set", excerpt(text, 80), "must look like dotted.path=value (e.g. cell.anode.np_ratio=1.5)")
    path, _, raw = text.partition("=")
    path = path.strip()
    if not path:
        raise InputError.single("--set", excerpt(text, 80), "names no field before '='")
    return path, _override_value(raw.strip(), path)


def _override_value(raw: str, path: str) -> Any:
    from pouchline.units import QUANTITY_SYNTAX, parse_quantity  # pint only when a --set is given

    if not raw:
        return ""
    if _NON_FINITE.match(raw):
        raise InputError.single("--set", path, f"{raw!r} is not a finite number; every number must be finite")
    if raw[0] in "+-.0123456789" and not _ISO_DATE.match(raw):
        try:
            q = parse_quantity(raw)
        except ValueError as exc:
            if "finite" in str(exc) or "constant" in str(exc):
                why = str(exc)
            else:
                why = (f"{excerpt(repr(raw), 60)} is not {QUANTITY_SYNTAX}"
                       + (" (YAML 1.1 would read it as a base-60 number)" if ":" in raw else "")
                       + "; quote text that starts like a number (path='\"4N-grade\"')")
            raise InputError.single("--set", path, why) from None
        if str(q.units) != "dimensionless":
            return raw  # a number with a unit: the field's validation converts it
        return int(raw) if _PLAIN_INT.match(raw) else float(q.magnitude)
    return parse_yaml_value(raw, "--set", path)


def apply_overrides(data: dict, overrides: Iterable[tuple[str, Any] | str], source: str = "--set") -> dict:
    """A copy of ``data`` with each dotted path set to its value.

    List items are addressed by index, by their ``id`` (``steps.melt_cast.temperature_C``) or,
    for items without ids, by their ``name`` (``stations.stacker.machines`` in a line file).
    Setting a scalar on a parameter mapping replaces its target and keeps its tolerance and
    flags, marking the source ``user: --set``.
    """
    out = copy.deepcopy(data)
    for item in overrides:
        path, value = parse_override(item) if isinstance(item, str) else item
        keys = path.split(".")
        node: Any = out
        for i, key in enumerate(keys):
            last = i == len(keys) - 1
            where = ".".join(keys[: i + 1])
            if isinstance(node, dict) and ("from" in node or "ref" in node) and key in ("target", "value"):
                raise InputError.single(source, path, _follows(node))
            if isinstance(node, list):
                idx = _list_index(node, key)
                if idx is None:
                    ids = [n.get("id") for n in node if isinstance(n, dict) and "id" in n]
                    names = [n.get("name") for n in node if isinstance(n, dict) and "name" in n]
                    allowed = f"an index 0-{len(node) - 1}"
                    if ids:
                        allowed += f" or one of the ids {ids}"
                    elif names:
                        allowed += f" or one of the names {names}"
                    raise InputError.single(source, path, f"{key!r} at {where} is not {allowed}")
                if last:
                    node[idx] = _merge(node[idx], value, source, path)
                else:
                    node = node[idx]
            elif isinstance(node, dict):
                if last:
                    node[key] = _merge(node.get(key), value, source, path)
                    if key in ("value", "target") and "source" in node:
                        node["source"] = "user: --set"
                else:
                    if key not in node or node[key] is None:
                        node[key] = {}
                    node = node[key]
            else:
                raise InputError.single(source, path, f"{'.'.join(keys[:i])} is a value, not a section; cannot set {key!r} in it")
    return out


def _list_index(node: list, key: str) -> int | None:
    if key.lstrip("-").isdigit():
        idx = int(key)
        return idx if -len(node) <= idx < len(node) else None
    for field in ("id", "name"):  # recipe steps by id, line stations by name
        for i, n in enumerate(node):
            if isinstance(n, dict) and n.get(field) == key:
                return i
    return None


def _merge(old: Any, new: Any, source: str, path: str) -> Any:
    try:
        return _merge_value(old, new)
    except ValueError as exc:
        raise InputError.single(source, path, str(exc)) from None


def _follows(node: dict) -> str:
    ref = node.get("from", node.get("ref"))
    where = f"set {ref} instead" if isinstance(ref, str) and not ref.startswith("derived.") else \
        "change the design it is computed from instead"
    return f"follows {ref} (one source per value): {where}"


def _merge_value(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and ("from" in old or "ref" in old) and not isinstance(new, dict):
        raise ValueError(_follows(old))
    if isinstance(old, dict) and "value" in old and "source" in old and not isinstance(new, dict):
        return {**old, "value": new, "source": "user: --set"}  # a price point
    if isinstance(old, dict) and "target" in old and not isinstance(new, dict):
        merged = dict(old)
        merged["target"] = new
        # limits written for the old target may no longer hold; keep tol, drop explicit limits
        merged.pop("low", None)
        merged.pop("high", None)
        merged["source"] = "user: --set"
        return merged
    return new


def split_overrides(overrides: Iterable[tuple[str, Any] | str]) -> tuple[list, list]:
    """Split overrides into recipe ones and materials-library ones.

    Paths starting with ``materials.`` address the library, items by id:
    ``materials.indium.price.base.value=500`` sets indium's base price.
    """
    recipe_ovr: list[tuple[str, Any]] = []
    material_ovr: list[tuple[str, Any]] = []
    for item in overrides:
        path, value = parse_override(item) if isinstance(item, str) else item
        if path.startswith("materials."):
            material_ovr.append((path, value))
        else:
            recipe_ovr.append((path, value))
    return recipe_ovr, material_ovr


# -- recipes -------------------------------------------------------------------------------------
def recipe_from_data(
    data: dict,
    source: str,
    *,
    materials: MaterialLibrary | None = None,
    base_dir: Path | None = None,
    overrides: Sequence[tuple[str, Any] | str] = (),
    check_hash: bool = True,
) -> tuple[Recipe, MaterialLibrary]:
    """Validate recipe data (already parsed YAML) into a :class:`Recipe` and its library.

    Overrides are applied first; an edit of a released revision becomes a new draft revision
    (:func:`pouchline.recipe.revisions.as_edit`). Then every ``from:`` is filled in from the
    design and the whole recipe is validated; every problem found is raised at once.
    """
    from pouchline.recipe.refs import attributed, resolve_references
    from pouchline.recipe.revisions import RELEASED, as_edit, edits_content

    recipe_ovr, material_ovr = split_overrides(overrides)
    parent_data = data
    if recipe_ovr:
        data = apply_overrides(data, recipe_ovr)
        data.pop("content_hash", None)  # the stored hash described the file, not this run
    if materials is None:
        lib_name = data.get("materials_library", "materials.yaml") if isinstance(data, dict) else "materials.yaml"
        if not isinstance(lib_name, str) or not lib_name.strip():
            raise InputError.single(source, "materials_library", f"{lib_name!r} is not a file name")
        lib_path = Path(lib_name)
        if not lib_path.is_absolute():
            lib_path = (base_dir or RECIPES_DIR) / lib_path
        try:
            lib_data = read_yaml(lib_path, what="materials library")
        except InputError as exc:  # the file cannot be read: the recipe's field named it
            raise InputError([Problem(field="materials_library", value=lib_name, source=source,
                                      message=f"{excerpt(repr(lib_name), 80)}: {p}")
                              for p in exc.problems]) from None
        if material_ovr:
            lib_data = apply_overrides(lib_data, material_ovr)
        materials = validate_model(MaterialLibrary, lib_data, f"{lib_path} (with --set)" if material_ovr else str(lib_path))
    elif material_ovr:
        materials = validate_model(
            MaterialLibrary, apply_overrides(materials.model_dump(mode="json"), material_ovr), "materials (with --set)")
    if recipe_ovr and isinstance(parent_data, dict) and parent_data.get("status") in RELEASED \
            and edits_content(parent_data, data):
        parent = _parent(parent_data, source, materials, base_dir)
        data = as_edit(data, parent, recipe_ovr, source="--set")
    data = resolve_references(data, source, materials)
    try:
        recipe = validate_model(Recipe, data, source)
    except InputError as exc:
        real = [p for p in exc.problems if "was not resolved" not in p.message]
        raise InputError(real or exc.problems) from None
    recipe._source_dir = (base_dir or RECIPES_DIR).resolve()
    problems = check_against_library(recipe, materials, source)
    if not problems:
        from pouchline.cell.consistency import recipe_consistency

        problems = attributed(lambda: recipe_consistency(recipe, materials, source), source)
    if check_hash and recipe.content_hash is not None and recipe.content_hash != recipe.compute_hash():
        problems.append(Problem(
            field="content_hash", value=recipe.content_hash, source=source,
            message=(f"{recipe.content_hash} does not match the content, which hashes to "
                     f"{recipe.compute_hash()}: the recipe, or a design value its steps follow (also from the "
                     "materials library), changed after it was hashed. Raise the revision and store the new hash "
                     "(the hash pouchline validate prints), or remove content_hash while drafting"),
        ))
    if problems:
        raise InputError(problems)
    return recipe, materials


_PARENTS: dict[str, Recipe] = {}


def _parent(data: dict, source: str, materials: MaterialLibrary, base_dir: Path | None) -> Recipe:
    """The validated released revision an edit starts from (cached: a sweep edits the same parent often)."""
    try:
        key = json.dumps([source, str(base_dir), id(materials), data], sort_keys=True, default=str)
    except (TypeError, ValueError):
        key = None
    if key is not None and key in _PARENTS:
        return _PARENTS[key]
    parent, _ = recipe_from_data(data, source, materials=materials, base_dir=base_dir)
    if key is not None:
        if len(_PARENTS) >= 16:
            _PARENTS.clear()
        _PARENTS[key] = parent
    return parent


def load_recipe(
    path: str | os.PathLike = DEFAULT_RECIPE_PATH,
    *,
    materials: MaterialLibrary | None = None,
    overrides: Sequence[tuple[str, Any] | str] = (),
) -> Recipe:
    """Read, override and validate a recipe file. See :func:`load_recipe_and_materials`."""
    return load_recipe_and_materials(path, materials=materials, overrides=overrides)[0]


def load_recipe_and_materials(
    path: str | os.PathLike = DEFAULT_RECIPE_PATH,
    *,
    materials: MaterialLibrary | None = None,
    overrides: Sequence[tuple[str, Any] | str] = (),
) -> tuple[Recipe, MaterialLibrary]:
    """Read a recipe file and the materials library it names (relative to the file)."""
    data = read_yaml(path, what="recipe")
    return recipe_from_data(data, str(path), materials=materials, base_dir=Path(path).resolve().parent,
                            overrides=overrides)


def load_recipe_text(text: str | bytes, source: str = "upload", *, materials: MaterialLibrary | None = None,
                     overrides: Sequence[tuple[str, Any] | str] = ()) -> tuple[Recipe, MaterialLibrary]:
    """Validate a recipe given as text or bytes (an upload in the app)."""
    data = read_yaml_text(text, source, what="recipe")
    return recipe_from_data(data, source, materials=materials, overrides=overrides)


def dump_recipe(recipe: Recipe, *, with_hash: bool = True) -> str:
    """The recipe as YAML. Values are written in each field's canonical unit (its name's suffix).

    Loading the text gives an equal recipe with the same content hash.
    """
    data = recipe_data(recipe)
    if with_hash:
        data["content_hash"] = recipe.compute_hash()
    else:
        data.pop("content_hash", None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def recipe_data(recipe: Recipe) -> dict:
    """The recipe as plain data in the file's form: a parameter that follows the design keeps its
    ``from`` and no target, a relative tolerance its ``tol_frac`` and no absolute ``tol``."""
    data = recipe.model_dump(mode="json", exclude_none=True, exclude_defaults=False, by_alias=True)

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            if "unit" in node and "target" in node:
                node = dict(node)
                if "from" in node:
                    node.pop("target")
                if "tol_frac" in node:
                    node.pop("tol", None)
                if node.get("ctq"):
                    node.pop("record", None)  # implied
                if not node.get("record", True):
                    node.pop("record")
                if not node.get("ctq", True):
                    node.pop("ctq")
            return {k: strip(v) for k, v in node.items()}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    out = strip(data)
    for key in ("changes", "deviations"):
        if not out.get(key):
            out.pop(key, None)
    return out


# -- cross-checks --------------------------------------------------------------------------------
def check_against_library(recipe: Recipe, materials: MaterialLibrary, source: str) -> list[Problem]:
    """Problems between the recipe and the materials library, and physics across sections."""
    probs: list[Problem] = []

    def bad(field: str, value: Any, message: str) -> None:
        probs.append(Problem(field=field, value=value, source=source, message=message))

    known = set(materials.ids)
    allowed = f"one of the library's materials: {', '.join(sorted(known))}"

    def need(field: str, mid: str) -> None:
        if mid not in known:
            bad(field, mid, f"{mid!r} is not a known material; expected {allowed}")

    cell = recipe.cell
    for i, c in enumerate(cell.cathode.composition):
        need(f"cell.cathode.composition[{i}].material", c.material)
    need("cell.cathode.active_material", cell.cathode.active_material)
    need("cell.electrolyte_film.electrolyte", cell.electrolyte_film.electrolyte)
    need("cell.electrolyte_film.binder", cell.electrolyte_film.binder)
    need("cell.anode.alloy", cell.anode.alloy)
    pk = cell.packaging
    need("cell.packaging.pouch_material", pk.pouch_material)
    need("cell.packaging.positive_tab", pk.positive_tab)
    need("cell.packaging.negative_tab", pk.negative_tab)
    need("cell.packaging.anode_collector.material", pk.anode_collector.material)
    if pk.cathode_collector:
        need("cell.packaging.cathode_collector.material", pk.cathode_collector.material)
    need("cell.fixture.plate_material", cell.fixture.plate_material)

    for s in recipe.steps:
        for i, mid in enumerate(s.inputs):
            need(f"steps.{s.id}.inputs[{i}]", mid)
        for attr in ("product", "alloy", "substrate", "electrolyte", "binder", "lithium_source"):
            mid = getattr(s, attr, None)
            if isinstance(mid, str):
                need(f"steps.{s.id}.{attr}", mid)

    # Materials that must be what their role says
    def role_is(field: str, mid: str, roles: set[Role]) -> None:
        m = materials.get(mid)
        if m is not None and m.role not in roles:
            bad(field, mid, f"{mid!r} is a {m.role.value} material; expected a {' or '.join(r.value for r in roles)}")

    role_is("cell.cathode.active_material", cell.cathode.active_material, {Role.active})
    role_is("cell.anode.alloy", cell.anode.alloy, {Role.active})
    role_is("cell.electrolyte_film.electrolyte", cell.electrolyte_film.electrolyte, {Role.solid_electrolyte})
    role_is("cell.electrolyte_film.binder", cell.electrolyte_film.binder, {Role.binder})

    # The alloy must have what sizing needs
    alloy = materials.get(cell.anode.alloy)
    if alloy is not None:
        if cell.anode.density_g_cm3 is None and alloy.density_g_cm3 is None:
            bad("cell.anode.density_g_cm3", None, f"is not given and material {alloy.id!r} has no density_g_cm3")
        if cell.anode.specific_capacity_mAh_g is None and not (alloy.composition_at_pct or alloy.specific_capacity_mAh_g):
            bad("cell.anode.specific_capacity_mAh_g", None,
                f"is not given and material {alloy.id!r} has neither a capacity nor a composition to compute it from")
    for c in cell.cathode.composition:
        m = materials.get(c.material)
        if m is not None and m.density_g_cm3 is None:
            bad(f"cell.cathode.composition.{c.material}", c.material, f"material {c.material!r} has no density_g_cm3")

    # Casting temperature against the alloy's melting point, and a ceiling
    for s in recipe.steps_of_kind("melt_cast"):
        m = materials.get(s.alloy)
        t = s.temperature_C
        if m is not None and m.melting_point_C is not None:
            lo = m.melting_point_C
            if t.lower <= lo:
                bad(f"steps.{s.id}.temperature_C", t.target,
                    f"{t.target:g} degC (lowest {t.lower:g}) is not above the alloy's melting point ({lo:g} degC); "
                    f"casting needs {lo + 1:g}-{s.max_temperature_C:g} degC")
        if t.upper > s.max_temperature_C:
            bad(f"steps.{s.id}.temperature_C", t.target,
                f"{t.upper:g} degC (target + tolerance) is above the ceiling of {s.max_temperature_C:g} degC "
                "for a melt in air (max_temperature_C)")

    # Sulfide electrolyte only in protective atmospheres
    sulfides = {m.id for m in materials.materials if m.role == Role.solid_electrolyte}
    for s in recipe.steps:
        touched = set(s.inputs) | {getattr(s, "electrolyte", None)} - {None}
        hit = touched & sulfides
        if hit:
            try:
                atm = recipe.atmosphere(s.atmosphere)
            except KeyError:
                continue
            if not atm.protects_sulfides:
                bad(f"steps.{s.id}.atmosphere", s.atmosphere,
                    f"{s.atmosphere!r} ({atm.describe()}) does not protect the sulfide {sorted(hit)} from moisture; "
                    "use an Ar glovebox (H2O <= 1 ppm) or a dry room at <= -40 degC dew point")

    return probs
