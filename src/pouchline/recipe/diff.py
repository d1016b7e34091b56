"""What changed between two recipe revisions, section by section and step by step, with units.

:func:`recipe_diff` compares two validated recipes (and, given their materials libraries, the
design values their steps follow and the filled texts); :func:`diff_text` prints it for people.
``pouchline diff A.yaml B.yaml`` and ``pouchline derive`` use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from pydantic import BaseModel

from pouchline.recipe.document import Recipe
from pouchline.recipe.params import Param
from pouchline.recipe.refs import fill, unit_key_of
from pouchline.units import format_value


@dataclass(frozen=True)
class Change:
    """One difference: ``section`` (``header``, ``cell``, ``step 10 cathode_hot_rolling`` ...),
    ``field`` within it, and the old and new values as printed ('' when absent)."""

    section: str
    field: str
    old: str
    new: str

    @property
    def kind(self) -> str:
        return "added" if not self.old else "removed" if not self.new else "changed"


def _param_text(p: Param) -> str:
    txt = p.describe()
    if p.ctq:
        txt += " CTQ"
    elif p.record:
        txt += " (recorded)"
    if p.ref:
        txt += f" [from {p.ref}]"
    return txt


def _scalar(name: str, v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        unit = unit_key_of(name)
        return format_value(float(v), unit) if unit else f"{v:g}"
    return str(v)


def _flatten(prefix: str, obj: Any, out: dict[str, str], values: Mapping[str, Any]) -> None:
    if isinstance(obj, Param):
        out[prefix] = _param_text(obj)
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            _flatten(f"{prefix}.{name}" if prefix else name, getattr(obj, name), out, values)
    elif isinstance(obj, (list, tuple)):
        if obj and all(isinstance(x, BaseModel) for x in obj):
            for i, x in enumerate(obj):
                key = getattr(x, "id", None) or getattr(x, "material", None)
                if key is None and hasattr(x, "c_rate"):
                    key = f"{x.c_rate:g}C"
                _flatten(f"{prefix}[{key if key is not None else i}]", x, out, values)
        elif obj:
            out[prefix] = ", ".join(str(x) for x in obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(f"{prefix}.{k}", v, out, values)
    elif obj is not None and obj != "":
        text = _scalar(prefix.rsplit(".", 1)[-1], obj)
        out[prefix] = _filled(text, values)


def _filled(text: str, values: Mapping[str, Any]) -> str:
    if not values:
        return text
    try:
        return fill(text, values)
    except (KeyError, ValueError, TypeError):
        return text


def sections(recipe: Recipe, values: Mapping[str, Any] | None = None) -> dict[str, dict[str, str]]:
    """The recipe flattened for comparison: section -> field -> value as printed."""
    values = values or {}
    out: dict[str, dict[str, str]] = {}
    header: dict[str, str] = {}
    for f in ("revision", "status", "author", "date", "approved_by", "approved_date", "title", "materials_library"):
        v = getattr(recipe, f)
        if v is not None:
            header[f] = str(v)
    if recipe.derived_from is not None:
        header["derived_from"] = f"{recipe.derived_from.id} {recipe.parent_text}"
    out["header"] = header
    atm: dict[str, str] = {}
    for a in recipe.atmospheres:
        atm[a.id] = a.describe()
        if a.max_open_time_min is not None:
            atm[f"{a.id}.max_open_time_min"] = _param_text(a.max_open_time_min)
    out["atmospheres"] = atm
    out["safety notes"] = {n.id: f"{n.title}: {_filled(n.text, values)}" for n in recipe.safety_notes}
    cell: dict[str, str] = {}
    _flatten("", recipe.cell, cell, values)
    out["cell design"] = cell
    for no, s in enumerate(recipe.steps, start=1):
        st: dict[str, str] = {}
        for name in type(s).model_fields:
            if name in ("id", "kind", "checks"):
                continue
            _flatten(name, getattr(s, name), st, values)
        for c in s.checks:
            st[f"check {c.id}"] = f"{_filled(c.name, values)}: {_param_text(c.spec)} ({_filled(c.method, values)})"
        out[f"step {s.id}"] = st
    if values:
        out["design values"] = {name: v.text_with_unit for name, v in values.items()}
    return out


def recipe_diff(a: Recipe, b: Recipe, values_a: Mapping[str, Any] | None = None,
                values_b: Mapping[str, Any] | None = None) -> list[Change]:
    """Every difference from ``a`` to ``b``, in ``b``'s order (steps in route order, removed ones last)."""
    sa, sb = sections(a, values_a), sections(b, values_b)
    order = list(sb) + [k for k in sa if k not in sb]
    out: list[Change] = []
    for sec in order:
        fa, fb = sa.get(sec, {}), sb.get(sec, {})
        keys = list(fb) + [k for k in fa if k not in fb]
        for k in keys:
            old, new = fa.get(k, ""), fb.get(k, "")
            if old != new:
                out.append(Change(sec, k, old, new))
    return out


def diff_text(a: Recipe, b: Recipe, values_a: Mapping[str, Any] | None = None,
              values_b: Mapping[str, Any] | None = None) -> str:
    """The differences as text: one block per section, steps numbered in ``b``'s route."""
    changes = recipe_diff(a, b, values_a, values_b)
    no_b = {f"step {s.id}": n for n, s in enumerate(b.steps, start=1)}
    no_a = {f"step {s.id}": n for n, s in enumerate(a.steps, start=1)}
    lines = [f"{a.id} rev {a.revision} ({a.status}, {a.short_hash}) -> {b.id} rev {b.revision} ({b.status}, "
             f"{b.short_hash}): {len(changes)} difference(s)"]
    current = None
    for c in changes:
        if c.section != current:
            current = c.section
            title = c.section
            if c.section in no_b:
                title = f"step {no_b[c.section]}: {c.section[5:]}"
            elif c.section in no_a:
                title = f"step {c.section[5:]} (removed; was step {no_a[c.section]})"
            lines += ["", title]
        if c.kind == "added":
            lines.append(f"  + {c.field}: {c.new}")
        elif c.kind == "removed":
            lines.append(f"  - {c.field}: {c.old}")
        else:
            lines.append(f"  ~ {c.field}: {c.old}  ->  {c.new}")
    if not changes:
        lines.append("  (no differences)")
    return "\n".join(lines) + "\n"


__all__ = ["Change", "diff_text", "recipe_diff", "sections"]
