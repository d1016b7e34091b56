"""Reading user files safely and writing output files atomically.

Every loader in pouchline (recipes, materials, lines, sweeps, templates) reads YAML through
:func:`read_yaml` and turns pydantic errors into :class:`~pouchline.errors.InputError` with
:func:`problems_from_validation`, so every bad input gets the same kind of message: file, field
path, value, what is allowed. Every output file is written with :func:`atomic_write`.
"""

from __future__ import annotations

import math
import os
import re
import reprlib
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel, ValidationError

from pouchline.errors import InputError, Problem, excerpt

#: Larger YAML inputs are refused: a recipe is a few tens of kB.
MAX_YAML_BYTES = 2_000_000
#: YAML aliases (``*name``) allowed in one document; pouchline's files use none.
MAX_YAML_ALIASES = 50
#: Values (scalars, lists, mappings) one document may hold once every alias is expanded. The
#: largest shipped file holds about 2,000; a few nested aliases can expand to billions
#: ("billion laughs"), which is refused while composing, before anything is expanded.
MAX_YAML_NODES = 200_000
#: Characters of text one document may hold once every alias is expanded (10 x the byte limit).
MAX_YAML_CHARS = 20_000_000
#: Nesting depth (mappings and lists inside each other, aliases expanded); shipped files use at most 7.
MAX_YAML_DEPTH = 32
#: Integers larger than this (2**53, beyond which floats skip integers) are refused.
MAX_YAML_INT = 2 ** 53

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _FieldError(yaml.constructor.ConstructorError):
    """A problem with one value of the document, at a field path (``machines.m.capex_usd.high``)."""

    def __init__(self, field: str, problem: str, mark: Any) -> None:
        super().__init__(None, None, problem, mark)
        self.field = field


try:  # libyaml's parser makes the events three times faster; composing and constructing stay in Python
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser as _Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _Parser.__init__(self)


class _SafeLimitedLoader(yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver, _Parser):
    """PyYAML's safe loader (with libyaml's parser where installed), bounded and strict.

    * the document's size is counted while it is composed, with aliases expanded (alias nodes are
      shared, so counting costs nothing): too many values, characters or levels are refused at
      once, with little memory;
    * a key that appears twice in one mapping is refused, naming both lines (PyYAML keeps the
      last one silently);
    * those refusals name the field path of the value (``machines.m.capex_usd.high``) and its line;
    * ``.inf``, ``.nan`` and floats that overflow, YAML 1.1 base-60 numbers (``1:30`` = 90) and
      leading-zero octals (``010`` = 8) are refused, as are integers above :data:`MAX_YAML_INT`.
    """

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._aliases = 0
        self._depth = 0
        self._sizes: dict[int, tuple[int, int, int]] = {}  # id(node) -> (values, characters, depth)
        self._keys: list[str] = []  # the field path of the node being composed
        self._paths: dict[int, str] = {}  # id(node) -> its field path, for messages

    # -- composing: size, depth and aliases ---------------------------------------------------
    def _refuse(self, problem: str, node_or_mark: Any) -> None:
        mark = getattr(node_or_mark, "start_mark", node_or_mark)
        raise yaml.composer.ComposerError(None, None, problem, mark)

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.events.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                self._refuse(f"more than {MAX_YAML_ALIASES} aliases (*name); refused as a possible alias bomb",
                             self.peek_event().start_mark)
            anchored = self.anchors.get(self.peek_event().anchor)
            if anchored is not None and id(anchored) not in self._sizes:  # still being composed: itself
                self._refuse(f"the alias *{self.peek_event().anchor} refers to the value that holds it (a recursive "
                             "alias); write the values out", self.peek_event().start_mark)
            return super().compose_node(parent, index)  # the anchored node, already counted
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            self._refuse(f"nested more than {MAX_YAML_DEPTH} levels deep", self.peek_event().start_mark)
        label = index.value if isinstance(index, yaml.ScalarNode) else f"[{index}]" if isinstance(index, int) else None
        if label is not None:
            self._keys.append(str(label))
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._paths[id(node)] = "".join(k if k.startswith("[") or not i else "." + k
                                        for i, k in enumerate(self._keys))
        if label is not None:
            self._keys.pop()
        self._measure(node)
        return node

    def _measure(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode):
            size = (1, len(node.value), 1)
        else:
            children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                        else list(node.value))
            sizes = [self._sizes.get(id(c), (1, 0, 1)) for c in children]
            size = (1 + sum(s[0] for s in sizes), sum(s[1] for s in sizes), 1 + max((s[2] for s in sizes), default=0))
        self._sizes[id(node)] = size
        if size[0] > MAX_YAML_NODES:
            self._refuse(f"expands to more than {MAX_YAML_NODES:,} values (aliases counted in full); "
                         "refused as a possible alias bomb", node)
        if size[1] > MAX_YAML_CHARS:
            self._refuse(f"expands to more than {MAX_YAML_CHARS:,} characters (aliases counted in full)", node)
        if size[2] > MAX_YAML_DEPTH:
            self._refuse(f"is nested more than {MAX_YAML_DEPTH} levels deep once its aliases are expanded", node)

    # -- constructing: duplicate keys and numbers ----------------------------------------------
    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:  # an unhashable key: PyYAML's own message follows
                    continue
                if first is not key_node.start_mark:
                    where = self._paths.get(id(node), "")
                    raise _FieldError(
                        f"{where}.{key}" if where else str(key),
                        f"appears twice in one mapping (first at line {first.line + 1}); give each key once, "
                        "since YAML keeps only the last",
                        key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def _number_problem(self, node: yaml.ScalarNode, what: str) -> None:
        raise _FieldError(self._paths.get(id(node), ""), f"{excerpt(node.value, 40)} {what}", node.start_mark)

    def construct_yaml_int(self, node):  # type: ignore[override]
        text = str(node.value).replace("_", "")
        body = text.lstrip("+-")
        if ":" in body:
            self._number_problem(node, "is a YAML 1.1 base-60 number; write it as one number (e.g. 90 for 1:30) "
                                 "or quote it as text")
        if len(body) > 1 and body[0] == "0" and body[1].isdigit():
            self._number_problem(node, "has a leading zero, which YAML 1.1 reads as octal; write it without")
        if body.isdigit() and len(body) > len(str(MAX_YAML_INT)):
            self._number_problem(node, f"is too large; whole numbers may be at most {MAX_YAML_INT:,}")
        value = super().construct_yaml_int(node)
        if abs(value) > MAX_YAML_INT:
            self._number_problem(node, f"is too large; whole numbers may be at most {MAX_YAML_INT:,}")
        return value

    def construct_yaml_float(self, node):  # type: ignore[override]
        if ":" in str(node.value):
            self._number_problem(node, "is a YAML 1.1 base-60 number; write it as one number (e.g. 90.5 for "
                                 "1:30.5) or quote it as text")
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            self._number_problem(node, "is not a finite number; every number must be finite")
        return value


    def construct_yaml_timestamp(self, node):  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:  # 2025-02-30
            self._number_problem(node, f"is not a date: {exc}")


_SafeLimitedLoader.add_constructor("tag:yaml.org,2002:timestamp", _SafeLimitedLoader.construct_yaml_timestamp)
_SafeLimitedLoader.add_constructor("tag:yaml.org,2002:int", _SafeLimitedLoader.construct_yaml_int)
_SafeLimitedLoader.add_constructor("tag:yaml.org,2002:float", _SafeLimitedLoader.construct_yaml_float)


def _load(text: str, source: str, what: str, *, syntax_as_text: bool = False) -> Any:
    """Parse with the bounded loader; every failure is an :class:`InputError` naming the line.

    ``syntax_as_text``: text that is not well-formed YAML (``@me``, ``a: b: c``) is returned as
    the string it is, as a command-line value would be read; limits and number rules still apply.
    """
    try:
        return yaml.load(text, Loader=_SafeLimitedLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.scanner.ScannerError, yaml.parser.ParserError) if syntax_as_text else ():
        return text
    except _FieldError as exc:
        mark = exc.problem_mark
        raise InputError.single(source, exc.field, f"{exc.problem} (line {mark.line + 1}, column {mark.column + 1})") \
            from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError.single(source, "", f"is not valid YAML{where}: {excerpt(problem, 300)}") from None
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:  # e.g. a date 2025-02-30
        raise InputError.single(source, "", f"is not a valid YAML {what}: {excerpt(exc, 200)}") from None


def parse_yaml_value(text: str, source: str, field: str = "") -> Any:
    """One YAML value written by a user (an override's right-hand side), bounded and strict like a
    file; text that is not well-formed YAML is taken as the string it is."""
    if len(text) > MAX_YAML_BYTES:
        raise InputError.single(source, field, f"is {len(text):,} characters; at most {MAX_YAML_BYTES:,}")
    if "\x00" in text:
        raise InputError.single(source, field, "holds a NUL character")
    try:
        return _load(text, source, "value", syntax_as_text=True)
    except InputError as exc:
        raise InputError([Problem(field=field, message=p.message, source=p.source) for p in exc.problems]) from None


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
    if "\x00" in text:  # libyaml would read up to it and stop
        raise InputError.single(source, "", f"holds a NUL character; a {what} is YAML text")
    data = _load(text, source, what)
    if data is None:
        raise InputError.single(source, "", f"holds no data; expected a YAML {what}")
    if not isinstance(data, dict):
        raise InputError.single(source, "", f"holds a {type(data).__name__}, expected a mapping of fields "
                                f"(a YAML {what})")
    return data


def read_limited(path: str | os.PathLike, limit: int, *, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is an :class:`InputError`.

    The file is opened without blocking and checked with ``fstat`` before a byte is read, so a
    device (``/dev/zero``), a FIFO or a socket is refused at once instead of read for ever; at
    most ``limit + 1`` bytes are read, whatever the file system says its size is.
    """
    source = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError.single(source, "", f"does not exist (the {what} to read)") from None
    except OSError as exc:
        raise InputError.single(source, "", f"cannot be read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError.single(source, "", f"is a directory; expected a YAML {what}")
        if not stat.S_ISREG(st.st_mode):
            raise InputError.single(source, "", f"is not a regular file (a device, FIFO or socket); expected a "
                                    f"YAML {what}")
        if st.st_size > limit:
            raise InputError.single(source, "", f"is {st.st_size:,} bytes; a {what} may be at most {limit:,} bytes")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit:
            raise InputError.single(source, "", f"is more than {limit:,} bytes; a {what} may be at most {limit:,} bytes")
        return b"".join(chunks)
    except BlockingIOError:
        raise InputError.single(source, "", f"cannot be read without waiting; expected a YAML {what}") from None
    except OSError as exc:
        raise InputError.single(source, "", f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_yaml(path: str | os.PathLike, *, what: str = "file") -> Any:
    """Read a YAML file that a user wrote; every failure is an :class:`InputError`."""
    return read_yaml_text(read_limited(path, MAX_YAML_BYTES, what=what), str(path), what=what)


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
    try:
        txt = _REPR.repr(value)
    except (RecursionError, ValueError):  # a self-referencing value, an int too long to print
        txt = f"<{type(value).__name__}>"
    return txt if len(txt) <= limit else txt[: limit - 3] + "..."


def validate_model(model: type, data: Any, source: str) -> Any:
    """``model.model_validate(data)`` with every problem as an :class:`InputError`.

    A number that is not finite is refused wherever it is: the loader refuses ``.inf`` and
    ``.nan``, and this catches the text pydantic reads as a float (``"nan"``, ``"inf"``, ``"1e999"``).
    """
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, source, data)) from None
    bad = [Problem(field=path, value=value, source=source,
                   message=f"{value!r} is not a finite number; every number must be finite")
           for path, value in non_finite_fields(obj)]
    if bad:
        raise InputError(bad)
    return obj


def non_finite_fields(obj: Any, path: str = "") -> list[tuple[str, float]]:
    """``(field path, value)`` of every float in a validated model (lists named by their items' ids)
    that is NaN or infinite."""
    if isinstance(obj, float):
        return [] if math.isfinite(obj) else [(path, obj)]
    out: list[tuple[str, float]] = []
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            out += non_finite_fields(getattr(obj, name, None), f"{path}.{name}" if path else name)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            out += non_finite_fields(value, f"{path}.{key}" if path else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            item_id = getattr(value, "id", None) if not isinstance(value, dict) else value.get("id")
            out += non_finite_fields(value, f"{path}.{item_id}" if isinstance(item_id, str) else f"{path}[{i}]")
    return out


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


#: A CSV cell that starts with one of these is run as a formula by spreadsheets (CWE-1236).
CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")


def csv_safe_text(value: str) -> str:
    """Text for one CSV cell that no spreadsheet runs as a formula.

    Line breaks become spaces (so no line of the file starts with what follows them), and text
    that starts with ``= + - @`` or a tab (after any spaces) gets a leading apostrophe (OWASP's
    advice for CSV injection). Text that is a plain number (``-5``, ``+1e3``) stays as it is.
    """
    s = value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    if s.lstrip(" ").startswith(CSV_DANGEROUS) and not _PLAIN_NUMBER.match(s):
        s = "'" + s
    return s


def csv_text(table: Any) -> str:
    """A pandas DataFrame as CSV text (no index, ``\\n`` line ends) that is safe to open in a
    spreadsheet: every text cell and column name goes through :func:`csv_safe_text`; numbers,
    yes/no values and empty cells are written as they are."""
    import numbers

    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    df = table.copy()
    df.columns = [csv_safe_text(str(c)) for c in df.columns]

    def cell(v: Any) -> Any:
        if v is None or isinstance(v, (bool, numbers.Number)):
            return v
        return csv_safe_text(str(v))

    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if not (is_numeric_dtype(col) or is_bool_dtype(col)):
            df.isetitem(j, col.map(cell))
    return df.to_csv(index=False, lineterminator="\n")


def os_error_message(exc: OSError) -> str:
    """An OS error as the words a user can act on (``Not a directory``), without the errno noise."""
    return exc.strerror or type(exc).__name__


def _remove_stale_temp_files(folder: Path, name: str) -> None:
    """Remove ``.<name>.<pid>.*.tmp`` files of :func:`atomic_write` whose process is gone."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.(\d+)\.[^/]*\.tmp$")
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(f".{name}.") and e.name.endswith(".tmp")]
    except OSError:
        return
    for entry in entries:
        m = pattern.match(entry.name)
        if m is None or int(m.group(1)) == os.getpid() or not entry.is_file(follow_symlinks=False):
            continue
        if not process_alive(int(m.group(1))):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (another user's counts as alive): temporary files and
    folders named after a process are removed only once it is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def atomic_write(path: str | os.PathLike, data: bytes | str | Callable[[Path], None]) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then rename.

    ``data`` may be bytes, text (UTF-8) or a callable that writes a file at the path it is
    given (for libraries such as openpyxl and reportlab that want a filename). A failure leaves
    any earlier file at ``path`` untouched and no temporary file behind; a temporary file left by a
    process that was killed (``kill -9`` runs no clean-up) is removed by the next write. A path that cannot be
    written (a file where a folder should be, no permission, a full disk) is an
    :class:`InputError` naming it. A symbolic link at ``path`` is replaced, never written through.
    """
    target = Path(path)
    if target.is_dir():
        raise InputError.single(str(path), "", "is a folder; give the path of a file to write")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise InputError.single(str(path), "", f"cannot be written: the folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError.single(str(path), "", f"cannot be written: {folder} is a file, not a folder")
    _remove_stale_temp_files(folder, target.name)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError.single(str(path), "", f"cannot be written: {os_error_message(exc)}") from None
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
    except BaseException as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputError.single(str(path), "", f"cannot be written: {os_error_message(exc)}") from None
        raise
    return target
