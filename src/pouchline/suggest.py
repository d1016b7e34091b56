""""Did you mean ...?" for misspelt commands, options and ``--set`` field paths (difflib).

Pure functions over names; the CLI adds their hints to its errors, the app to its free-field box::

    close_matches("plna", ["plan", "cell", "cost"])                 # ['plan']
    suggest_path("cell.anode.np_ratoi", recipe, materials)         # 'cell.anode.np_ratio'
    with_path_suggestions(exc, ["cell.anode.np_ratoi=1.5"], recipe, materials)   # InputError with hints

A path is walked from the recipe (or, for ``materials.``, the materials library) as far as it
exists; the first key that does not is compared with the names that exist there: the fields of a
section (with their aliases), a mapping's keys, or a list's items by ``id`` or ``name``, as
``--set`` addresses them (:func:`pouchline.recipe.io.apply_overrides`).
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable, Sequence

#: How alike two names must be to be suggested (difflib ratio, 0-1).
CUTOFF = 0.6
_MISSING = object()


def close_matches(word: str, choices: Iterable[str], n: int = 3, cutoff: float = CUTOFF) -> list[str]:
    """The ``n`` choices most like ``word`` (case-insensitive), best first."""
    choices = [c for c in dict.fromkeys(choices) if isinstance(c, str)]
    lower = {c.lower(): c for c in choices}
    return [lower[m] for m in difflib.get_close_matches(word.lower(), list(lower), n=n, cutoff=cutoff)]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'plan'?)"``, ``" (did you mean 'a' or 'b'?)"`` or ``""``."""
    found = close_matches(word, choices)
    if not found:
        return ""
    return " (did you mean " + " or ".join(repr(f) for f in found) + "?)"


def _children(node: Any) -> list[str]:
    from pydantic import BaseModel

    if isinstance(node, BaseModel):
        out = []
        for name, info in type(node).model_fields.items():
            out.append(info.alias if isinstance(info.alias, str) else name)
            if info.alias and info.alias != name:
                out.append(name)
        return out
    if isinstance(node, dict):
        return [str(k) for k in node]
    if isinstance(node, (list, tuple)):
        out = []
        for item in node:
            for key in ("id", "name", "symbol"):
                v = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
                if isinstance(v, str):
                    out.append(v)
                    break
        return out
    return []


def _child(node: Any, key: str) -> Any:
    from pydantic import BaseModel

    missing = _MISSING
    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        for name, info in fields.items():
            if key in (name, info.alias):
                return getattr(node, name)
        return missing
    if isinstance(node, dict):
        return node.get(key, missing)
    if isinstance(node, (list, tuple)):
        if key.lstrip("-").isdigit():
            i = int(key)
            return node[i] if -len(node) <= i < len(node) else missing
        for item in node:
            for k in ("id", "name", "symbol"):
                v = item.get(k) if isinstance(item, dict) else getattr(item, k, None)
                if v == key:
                    return item
        return missing
    return missing


def suggest_path(path: str, recipe: Any, materials: Any = None) -> list[str]:
    """Field paths like ``path`` that exist in ``recipe`` (or ``materials`` for ``materials.``...):
    the path with its first unknown key replaced by the closest names found there, best first.
    Empty when the whole path exists or nothing is close."""
    keys = path.split(".")
    node: Any = recipe
    start = 0
    if keys and keys[0] == "materials" and materials is not None:
        node = materials
    missing = _MISSING
    for i, key in enumerate(keys[start:], start):
        nxt = _child(node, key)
        if nxt is missing or (nxt is None and i < len(keys) - 1 and key not in _children(node)):
            if nxt is None and key in _children(node):
                return []  # an optional section not given: setting it is allowed
            names = _children(node)
            return [".".join([*keys[:i], m, *keys[i + 1:]]) for m in close_matches(key, names)]
        node = nxt
        if node is None:
            return []
    return []


def with_path_suggestions(exc: Any, overrides: Sequence[Any], recipe: Any, materials: Any = None) -> Any:
    """``exc`` (an :class:`pouchline.errors.InputError`) with "did you mean" hints on the problems that
    name a ``--set`` path that does not exist; unchanged when there is nothing to add."""
    from pouchline.errors import InputError, Problem

    paths = []
    for item in overrides:
        path = item[0] if isinstance(item, tuple) else str(item).partition("=")[0].strip()
        if path and suggest_path(path, recipe, materials):
            paths.append(path)
    if not paths:
        return exc
    out = []
    for p in exc.problems:
        hit = next((q for q in paths if q == p.field or q in p.field or p.field in q and p.field), None)
        hit = hit or next((q for q in paths if q in p.message), None)
        if hit is not None and "did you mean" not in p.message:
            found = suggest_path(hit, recipe, materials)
            hint = " (did you mean " + " or ".join(repr(f) for f in found) + "?)" if found else ""
            out.append(Problem(p.field, p.message + hint, p.value, p.source))
        else:
            out.append(p)
    return InputError(out)


__all__ = ["CUTOFF", "close_matches", "did_you_mean", "suggest_path", "with_path_suggestions"]
