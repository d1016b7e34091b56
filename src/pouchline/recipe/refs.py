"""One source per value: step parameters that refer to the design, and texts with placeholders.

A step parameter that the cell design fixes is written as a reference, never as a second copy::

    active_loading_mg_cm2: {from: cell.cathode.active_loading_mg_cm2, tol: 0.5, ctq: true}
    thickness_um: {from: derived.cathode_thickness_um, tol: 5}
    max_open_time_min: {from: atmospheres.sulfide_dry_room.max_open_time_min}

``from`` names a parameter of the design (``cell.<path>``), of an atmosphere
(``atmospheres.<id>.<field>``), another step's plain parameter (``steps.<id>.<field>``) or a value
the cell model computes from the design (``derived.<name>``, see
:func:`pouchline.cell.design_values.design_values`). The reference gives the target only: the
step keeps its own tolerance (``tol``, ``tol_frac``, ``low``/``high``), CTQ and record flags. A
parameter with ``from`` has no ``target`` in the file; :func:`resolve_references` fills it in
when the recipe is loaded, so a change of the design changes every step that follows it.

Texts that state design values (step names, equipment, check names and methods, safety notes)
use placeholders instead of numbers: ``"Punch cathodes {electrode_length_mm} x
{electrode_width_mm} mm"``; :func:`fill` puts in the values when a document is made (traveler,
``show``, a derived revision's diff). ``{name:.1f}`` gives a format; ``{{`` is a literal brace.

Computing ``derived.`` values needs the cell model (:mod:`pouchline.cell`), which sits downstream
of the recipe package: it is imported when a recipe uses them, never at module import.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any, Iterator, Mapping

from pouchline.errors import InputError, Problem
from pouchline.units import UNIT_ALIASES, to_canonical

#: ``{name}`` or ``{name:format}`` in a text; ``{{`` and ``}}`` are literal braces.
PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([a-z][A-Za-z0-9_]*)(?::([^{}]*))?\}")
#: What ``from`` may name.
REF_RE = re.compile(r"^(cell|atmospheres|steps)(\.[A-Za-z0-9_]+)+$|^derived\.[a-z][A-Za-z0-9_]*$")
#: Step fields whose text may hold placeholders (besides check names and methods).
TEXT_FIELDS = ("name", "equipment", "output", "notes", "plates", "bolts", "cooling", "medium", "plate")


def fmt_number(value: float, digits: int = 4) -> str:
    """A number for people: 4 significant digits, no exponent for ordinary values (8.5336 -> '8.534')."""
    if value == 0:
        return "0"
    txt = f"{value:.{digits}g}"
    if "e" in txt:
        txt = f"{value:.{max(digits - 1, 0)}e}"
    return txt


def value_text(value: Any, spec: str = "") -> str:
    """A design value as text: ``spec`` if given, else whole numbers as integers and 4 significant digits."""
    if spec:
        return format(value, spec)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return fmt_number(value)
    return str(value)


def placeholder_names(text: str) -> list[str]:
    """The placeholder names of a text, in order (``'{a} x {b:.1f}'`` -> ``['a', 'b']``)."""
    return [m.group(1) for m in PLACEHOLDER_RE.finditer(text or "") if m.group(1)]


def fill(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with every ``{name}`` replaced by its value (:func:`value_text`).

    ``values`` maps names to numbers, text or objects with a ``value`` attribute (a
    :class:`~pouchline.cell.design_values.DesignValue`). An unknown name raises ``KeyError``.
    """
    if not text or "{" not in text and "}" not in text:
        return text

    def sub(m: re.Match) -> str:
        if m.group(0) == "{{":
            return "{"
        if m.group(0) == "}}":
            return "}"
        v = values[m.group(1)]
        return value_text(getattr(v, "value", v), m.group(2) or "")

    return PLACEHOLDER_RE.sub(sub, text)


def unit_key_of(field_name: str) -> str | None:
    """The canonical unit of a field from its name's suffix (``active_loading_mg_cm2`` -> ``mg_cm2``)."""
    best = None
    for key in UNIT_ALIASES:
        if field_name.endswith("_" + key) and (best is None or len(key) > len(best)):
            best = key
    return best


# -- finding references and texts in raw recipe data ---------------------------------------------
def _step_label(step: Any, i: int) -> str:
    sid = step.get("id") if isinstance(step, dict) else None
    return sid if isinstance(sid, str) and sid else f"[{i}]"


def iter_references(data: Any) -> Iterator[tuple[str, dict, str, str | None]]:
    """``(field path, mapping, ref, unit key)`` of every step parameter or check spec with ``from``.

    Walks raw (parsed YAML) data defensively: anything that is not the expected shape is skipped
    (validation reports it).
    """
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list):
        return
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        label = _step_label(step, i)
        for key, v in step.items():
            if isinstance(key, str) and isinstance(v, dict) and ("from" in v or "ref" in v):
                yield f"steps.{label}.{key}", v, v.get("from", v.get("ref")), unit_key_of(key)
        checks = step.get("checks")
        if isinstance(checks, list):
            for j, c in enumerate(checks):
                spec = c.get("spec") if isinstance(c, dict) else None
                if isinstance(spec, dict) and ("from" in spec or "ref" in spec):
                    cid = c.get("id") if isinstance(c.get("id"), str) else f"[{j}]"
                    unit = spec.get("unit") if isinstance(spec.get("unit"), str) else None
                    yield f"steps.{label}.checks.{cid}.spec", spec, spec.get("from", spec.get("ref")), unit


def iter_texts(recipe: Any) -> Iterator[tuple[str, str]]:
    """``(field path, text)`` of every text of a validated recipe that may hold placeholders."""
    for n in recipe.safety_notes:
        yield f"safety_notes.{n.id}.text", n.text
        yield f"safety_notes.{n.id}.title", n.title
    for s in recipe.steps:
        for f in TEXT_FIELDS:
            v = getattr(s, f, None)
            if isinstance(v, str):
                yield f"steps.{s.id}.{f}", v
        for c in s.checks:
            yield f"steps.{s.id}.checks.{c.id}.name", c.name
            yield f"steps.{s.id}.checks.{c.id}.method", c.method


def check_placeholders(recipe: Any, values: Mapping[str, Any], source: str) -> list[Problem]:
    """Placeholders of a recipe's texts that name no design value."""
    out = []
    for path, text in iter_texts(recipe):
        unknown = [name for name in placeholder_names(text) if name not in values]
        for name in unknown:
            out.append(Problem(field=path, value=name, source=source, message=(
                f"{{{name}}} is not a design value; known: {', '.join(sorted(values))}")))
        if unknown:
            continue
        try:
            fill(text, values)
        except (ValueError, TypeError) as exc:
            out.append(Problem(field=path, value=text[:80], source=source, message=f"a placeholder's format: {exc}"))
    return out


# -- resolving -------------------------------------------------------------------------------------
class _DesignView:
    """The parts of a recipe the cell model reads (its design and prelithiation), before the steps validate."""

    def __init__(self, cell: Any, steps: list[Any]) -> None:
        self.cell = cell
        self.steps = steps

    def steps_of_kind(self, kind: str) -> list[Any]:
        return [s for s in self.steps if s.kind == kind]


def _walk(obj: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(obj, list):
            obj = next((x for x in obj if getattr(x, "id", None) == part), None)
        else:
            obj = getattr(obj, part, None) if not part.startswith("_") else None
        if obj is None:
            return None
    return obj


def _quantity(value: float, unit_key: str) -> str:
    return f"{value!r} {UNIT_ALIASES.get(unit_key, unit_key)}"


def resolve_references(data: dict, source: str, materials: Any) -> dict:
    """A copy of raw recipe data with the target of every ``from`` filled in.

    Raises :class:`InputError` naming each reference that cannot be resolved (an unknown path, a
    target given as well, a quantity of another dimension). Sections the references point into
    must validate first; if they do not, the data is returned as it is and the recipe's own
    validation reports the problems.
    """
    refs = list(iter_references(data))
    if not refs:
        return data
    from pydantic import TypeAdapter, ValidationError

    from pouchline.recipe.design import CellDesign
    from pouchline.recipe.document import Atmosphere

    problems: list[Problem] = []
    out = copy.deepcopy(data)
    refs = list(iter_references(out))

    def bad(field: str, ref: Any, message: str) -> None:
        problems.append(Problem(field=field, value=ref, source=source, message=message))

    try:
        cell = CellDesign.model_validate(out.get("cell"))
        atmospheres = TypeAdapter(list[Atmosphere]).validate_python(out.get("atmospheres"))
    except ValidationError:
        return data  # the recipe's validation names these problems, in full
    raw_steps = {s.get("id"): s for s in out.get("steps", []) if isinstance(s, dict) and isinstance(s.get("id"), str)}

    def inject(field: str, mapping: dict, ref: str, unit: str | None, value: float, from_unit: str) -> None:
        if unit is None:
            bad(field, ref, f"from {ref}: this field's unit is not known, so it cannot take a value from there")
            return
        try:
            mapping["target"] = to_canonical(_quantity(value, from_unit), unit)
        except (ValueError, TypeError):
            bad(field, ref, f"from {ref}: {value:g} {from_unit} is not a quantity in {unit} (another dimension)")
        mapping.pop("ref", None)
        mapping["from"] = ref

    derived_refs = []
    for field, mapping, ref, unit in refs:
        if not isinstance(ref, str) or not REF_RE.match(ref):
            bad(field, ref, f"from: {ref!r} must name cell.<path>, atmospheres.<id>.<field>, steps.<id>.<field> or "
                            "derived.<name>")
            continue
        if "target" in mapping:
            bad(field, ref, f"gives both a target and 'from: {ref}'; one source per value: remove the target")
            continue
        head, _, rest = ref.partition(".")
        if head == "derived":
            derived_refs.append((field, mapping, ref, unit))
            continue
        if head == "steps":
            sid, _, key = rest.partition(".")
            src = raw_steps.get(sid, {}).get(key) if "." not in key else None
            if src is None:
                bad(field, ref, f"from {ref}: the recipe has no step parameter there")
                continue
            if isinstance(src, dict) and ("from" in src or "ref" in src):
                bad(field, ref, f"from {ref}: that parameter itself comes from {src.get('from', src.get('ref'))}; "
                                "refer to its source")
                continue
            src_unit = unit_key_of(key)
            raw = src.get("target") if isinstance(src, dict) else src
            try:
                value = to_canonical(raw, src_unit) if src_unit else float(raw)
            except (ValueError, TypeError):
                continue  # the step's own validation names the bad value
            inject(field, mapping, ref, unit, value, src_unit or "")
            continue
        if head == "cell":
            target = _walk(cell, rest.split("."))
        else:
            aid, _, key = rest.partition(".")
            atm = next((a for a in atmospheres if a.id == aid), None)
            target = getattr(atm, key, None) if atm is not None and key and "." not in key else None
        if target is None or not hasattr(target, "target") or not hasattr(target, "unit"):
            bad(field, ref, f"from {ref}: the recipe has no parameter there")
            continue
        inject(field, mapping, ref, unit, target.target, target.unit)

    if derived_refs:
        from pouchline.cell.design_values import design_values
        from pouchline.recipe.steps import STEP_KINDS

        prelith = []
        for s in out.get("steps", []):
            if isinstance(s, dict) and s.get("kind") == "prelithiation":
                try:
                    prelith.append(STEP_KINDS["prelithiation"].model_validate(s))
                except ValidationError:  # the recipe's validation names the step's problems
                    return out if not problems else _raise(problems)
        values = attributed(lambda: design_values(_DesignView(cell, prelith), materials), source)
        for field, mapping, ref, unit in derived_refs:
            name = ref.partition(".")[2]
            v = values.get(name)
            if v is None or not isinstance(v.value, (int, float)) or isinstance(v.value, bool):
                known = ", ".join(k for k, x in values.items() if isinstance(x.value, (int, float)))
                bad(field, ref, f"from {ref}: not a numeric design value; known: {known}")
                continue
            inject(field, mapping, ref, unit, float(v.value), v.unit)
    if problems:
        _raise(problems)
    return out


def attributed(compute: Any, source: str) -> Any:
    """``compute()``, with the problems of an :class:`InputError` it raises attributed to ``source``.

    The cell model names its problems 'cell'; when it runs on a recipe being loaded, they are the file's.
    """
    try:
        return compute()
    except InputError as exc:
        raise InputError([Problem(p.field, p.message, p.value, source) for p in exc.problems]) from None


def _raise(problems: list[Problem]) -> dict:
    raise InputError(problems)


def lookup(ref: str, recipe: Any, values: Mapping[str, Any]) -> tuple[float, str] | None:
    """``(value, unit key)`` that ``ref`` names in a validated recipe and its design values, or None."""
    head, _, rest = ref.partition(".")
    q: Any = None
    if head == "derived":
        v = values.get(rest)
        if v is None or isinstance(v.value, str) or isinstance(v.value, bool):
            return None
        return float(v.value), v.unit
    if head == "cell":
        q = _walk(recipe.cell, rest.split("."))
    elif head in ("atmospheres", "steps"):
        oid, _, key = rest.partition(".")
        items = recipe.atmospheres if head == "atmospheres" else recipe.steps
        obj = next((x for x in items if x.id == oid), None)
        q = getattr(obj, key, None) if obj is not None and key and "." not in key else None
    if q is None or not hasattr(q, "target"):
        return None
    return q.target, q.unit


def in_unit(value: float, from_unit: str, unit: str) -> float | None:
    """``value`` (in ``from_unit``) in ``unit``, or None if they are different dimensions."""
    if from_unit == unit:
        return value
    try:
        return to_canonical(_quantity(value, from_unit), unit)
    except (ValueError, TypeError):
        return None


def reference_problems(recipe: Any, values: Mapping[str, Any], source: str) -> list[Problem]:
    """References whose target no longer equals its source (a recipe edited after it was loaded)."""
    out = []
    for s in recipe.steps:
        items = [(f"steps.{s.id}.{n}", p) for n, p in s.parameters().items()]
        items += [(f"steps.{s.id}.checks.{c.id}.spec", c.spec) for c in s.checks]
        for field, p in items:
            if p.ref is None:
                continue
            got = lookup(p.ref, recipe, values)
            expect = in_unit(got[0], got[1], p.unit) if got is not None else None
            if expect is None:
                out.append(Problem(field=field, value=p.ref, source=source,
                                   message=f"from {p.ref}: no such value in {p.unit}"))
            elif not math.isclose(p.target, expect, rel_tol=1e-9, abs_tol=1e-12):
                out.append(Problem(field=field, value=p.target, source=source, message=(
                    f"{fmt_number(p.target)} is stale: {p.ref} is now {fmt_number(expect)}; reload the recipe")))
    return out


__all__ = ["PLACEHOLDER_RE", "REF_RE", "TEXT_FIELDS", "attributed", "check_placeholders", "fill", "fmt_number",
           "in_unit", "iter_references", "iter_texts", "lookup", "placeholder_names",
           "reference_problems", "resolve_references", "unit_key_of", "value_text"]
