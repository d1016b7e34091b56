"""Reading user files safely and writing output files atomically.

Every loader in pouchline (recipes, materials, lines, sweeps, templates) reads YAML through
:func:`read_yaml` and turns pydantic errors into :class:`~pouchline.errors.InputError` with
:func:`problems_from_validation`, so every bad input gets the same kind of message: file, field
path, value, what is allowed. Every output file is written with :func:`atomic_write`.
"""

from __future__ import annotations

import os
import reprlib
import tempfile
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import ValidationError

from pouchline.errors import InputError, Problem

#: Larger YAML inputs are refused: a recipe is a few tens of kB.
MAX_YAML_BYTES = 2_000_000
#: YAML aliases (``*name``) allowed in one document; pouchline's files use none, and a few
#: nested aliases can expand to billions of nodes ("billion laughs").
MAX_YAML_ALIASES = 50


class _SafeLimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a cap on alias references."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.events.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                mark = self.peek_event().start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_YAML_ALIASES} aliases (*name); refused as a possible alias bomb",
                    mark)
        return super().compose_node(parent, index)


def read_yaml_text(text_or_bytes: str | bytes, source: str, *, what: str = "file") -> Any:
    """Parse YAML given as text or bytes (an upload); ``source`` names it in messages."""
    if isinstance(text_or_bytes, bytes):
        if len(text_or_bytes) > MAX_YAML_BYTES:
            raise InputError.single(source, "", f"is {len(text_or_bytes):,} bytes; a {what} may be at most "
                                    f"{MAX_YAML_BYTES:,} bytes")
        if b"\x00" in text_or_bytes:
            raise InputError.single(source, "", f"is a binary file, not a YAML {what}")
        try:
            text = text_or_bytes.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError.single(source, "", f"is not UTF-8 text (byte {exc.start}); a {what} is YAML text") from None
    else:
        text = text_or_bytes
        if len(text) > MAX_YAML_BYTES:
            raise InputError.single(source, "", f"is {len(text):,} characters; a {what} may be at most "
                                    f"{MAX_YAML_BYTES:,}")
    if not text.strip():
        raise InputError.single(source, "", f"is empty; expected a YAML {what}")
    try:
        data = yaml.load(text, Loader=_SafeLimitedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError.single(source, "", f"is not valid YAML{where}: {problem}") from None
    if data is None:
        raise InputError.single(source, "", f"holds no data; expected a YAML {what}")
    if not isinstance(data, dict):
        raise InputError.single(source, "", f"holds a {type(data).__name__}, expected a mapping of fields "
                                f"(a YAML {what})")
    return data


def read_yaml(path: str | os.PathLike, *, what: str = "file") -> Any:
    """Read a YAML file that a user wrote; every failure is an :class:`InputError`."""
    p = Path(path)
    source = str(path)
    if not p.exists():
        raise InputError.single(source, "", f"does not exist (the {what} to read)")
    if p.is_dir():
        raise InputError.single(source, "", f"is a directory; expected a YAML {what}")
    try:
        size = p.stat().st_size
        if size > MAX_YAML_BYTES:
            raise InputError.single(source, "", f"is {size:,} bytes; a {what} may be at most {MAX_YAML_BYTES:,} bytes")
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError.single(source, "", f"cannot be read: {exc.strerror or exc}") from None
    return read_yaml_text(raw, source, what=what)


def _render_loc(loc: tuple, data: Any) -> str:
    """``('steps', 3, 'melt_cast', 'temperature_C')`` -> ``steps.melt_cast.temperature_C``.

    List items that have an ``id`` are named by it; pydantic's union tags are dropped.
    """
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label = "." + node["id"] if parts else node["id"]
            else:
                node = None
            if label.startswith("[") and parts:
                parts[-1] += label
            else:
                parts.append(label.lstrip("."))
            continue
        if isinstance(node, dict) and item in node:
            node = node[item]
            parts.append(str(item))
        elif isinstance(node, dict) and item not in node and node.get("kind") == item:
            continue  # discriminated-union tag
        elif item in ("function-after", "function-before", "function-plain") or str(item).startswith("function-"):
            continue
        else:
            node = None
            parts.append(str(item))
    return ".".join(parts)


def problems_from_validation(exc: ValidationError, source: str, data: Any) -> list[Problem]:
    """pydantic errors as :class:`Problem` s with readable field paths and values."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        field = _render_loc(loc, data)
        msg = err.get("msg", "invalid")
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        msg = msg or "is invalid"
        value = err.get("input")
        typ = err.get("type", "")
        if typ == "missing":
            msg = "is missing (a required field)"
        elif typ == "extra_forbidden":
            msg = f"is not a known field here (value {_short(value)}); check the spelling"
        elif typ == "literal_error":
            msg = f"{_short(value)} is not allowed; {msg[0].lower() + msg[1:]}"
        elif typ == "union_tag_invalid":
            msg = f"{msg}"
        elif not isinstance(value, (dict, list)) and value is not None and _short(value) not in msg:
            msg = f"{_short(value)}: {msg[0].lower() + msg[1:]}"
        out.append(Problem(field=field, message=msg, value=value, source=source))
    return out


_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxdict = 4


def _short(value: Any, limit: int = 80) -> str:
    """A short repr that never walks a huge value."""
    txt = _REPR.repr(value)
    return txt if len(txt) <= limit else txt[: limit - 3] + "..."


def validate_model(model: type, data: Any, source: str) -> Any:
    """``model.model_validate(data)`` with every problem as an :class:`InputError`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, source, data)) from None


def jsonable(obj: Any) -> Any:
    """``obj`` with NaN and infinities as None, numpy scalars as Python numbers, keys as text,
    tuples as lists: what :func:`json.dumps` can write as standard JSON."""
    import math

    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and type(obj).__module__ == "numpy":
        return jsonable(obj.item())
    return obj


def atomic_write(path: str | os.PathLike, data: bytes | str | Callable[[Path], None]) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then rename.

    ``data`` may be bytes, text (UTF-8) or a callable that writes a file at the path it is
    given (for libraries such as openpyxl and reportlab that want a filename). A failure leaves
    any earlier file at ``path`` untouched and no temporary file behind.
    """
    target = Path(path)
    if target.is_dir():
        raise InputError.single(str(path), "", "is a folder; give the path of a file to write")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise InputError.single(str(path), "", f"cannot be written: the folder {folder} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    return target
