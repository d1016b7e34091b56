"""What every page of the app shares: the active recipe, cached loaders, inline errors.

Thin on purpose: widgets and charts live in the pages, every number comes from a library call,
and nothing here computes. Results are cached (``st.cache_resource`` for frozen result objects,
``st.cache_data`` for bytes and tables) so that moving between pages does not recompute.

Session state (non-widget keys, so they survive page switches):

* ``recipe_choice``: ``{"kind": "shipped" | "upload", "name": str, "data": bytes | None}``
* ``recipe_overrides``: a tuple of ``(dotted.path, value)`` applied with the CLI's ``--set``
  mechanism (:func:`pouchline.recipe.io.apply_overrides`), so validation is the CLI's.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import Any, Iterable, Sequence

import streamlit as st

from pouchline.errors import InputError, Problem

#: Uploaded recipes, lines and sweeps above this size are refused before they are parsed.
MAX_UPLOAD_BYTES = 1_000_000

REPO_ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------
# errors and availability
# ------------------------------------------------------------------------------------------
def _short_source(source: str) -> str:
    try:
        return str(Path(source).resolve().relative_to(REPO_ROOT))
    except (ValueError, OSError):
        return source


def problem_text(p: Problem) -> str:
    """One problem as markdown: the field path in bold, then what is wrong and where it came from."""
    src = _short_source(p.source) if p.source else ""
    if p.field:
        return f"**`{p.field}`**: {p.message}" + (f"  \n_{src}_" if src else "")
    return f"**{src}** {p.message}" if src else p.message


def show_problems(problems: InputError | Iterable[Problem], where: Any = None) -> None:
    """One ``st.error`` per problem, naming the field path, never a traceback."""
    target = where if where is not None else st
    items = problems.problems if isinstance(problems, InputError) else list(problems)
    if not items:
        target.error("The input is invalid.")
    for p in items:
        target.error(problem_text(p), icon=":material/error:")


#: Uploads with more YAML aliases (``*name``) than this are refused: nested aliases expand
#: exponentially (a "billion laughs" file of a few hundred bytes), and validating or printing
#: the expansion can take minutes. Recipes and lines need no aliases; a few are harmless.
MAX_UPLOAD_ALIASES = 10


def upload_size_problem(name: str, data: bytes, what: str) -> InputError | None:
    """Refuse an upload before anything validates it: above :data:`MAX_UPLOAD_BYTES`, or with
    more than :data:`MAX_UPLOAD_ALIASES` YAML aliases. Other problems are the library's to report."""
    if len(data) > MAX_UPLOAD_BYTES:
        return InputError.single(name, "", f"is {len(data):,} bytes; a {what} upload may be at most "
                                 f"{MAX_UPLOAD_BYTES:,} bytes (1 MB). Nothing was read.")
    import yaml

    aliases = 0
    try:
        for event in yaml.parse(data, Loader=yaml.SafeLoader):  # events only: nothing is expanded
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_UPLOAD_ALIASES:
                    return InputError.single(name, "", f"uses more than {MAX_UPLOAD_ALIASES} YAML aliases (*name); "
                                             f"a {what} upload may not, since nested aliases expand without bound. "
                                             "Write the values out.")
    except yaml.YAMLError:
        pass  # not YAML: the library's loader says where
    return None


def digest(data: bytes | None) -> str:
    return hashlib.sha256(data or b"").hexdigest()[:16]


def library(module: str, *names: str) -> Any:
    """Import ``module`` (and check it has ``names``); ``None`` if it is not there yet.

    Not cached: Python keeps imported modules, and a module that is missing now may be installed
    while the app runs.
    """
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    if any(not hasattr(mod, n) for n in names):
        return None
    return mod


def not_available(module: str, what: str) -> None:
    st.info(f"**Not available yet: `{module}`.** {what} appears here once the library module is "
            "installed; the other pages work without it.", icon=":material/construction:")


# ------------------------------------------------------------------------------------------
# recipes
# ------------------------------------------------------------------------------------------
DEFAULT_RECIPE_NAME = "insnbi-lco-pouch.yaml"


@st.cache_data(show_spinner=False, ttl=60)
def shipped_recipes() -> list[str]:
    """File names of the recipes shipped in ``recipes/`` (files with ``cell`` and ``steps``)."""
    from pouchline.fileio import read_yaml
    from pouchline.recipe.io import RECIPES_DIR

    names = []
    for p in sorted(Path(RECIPES_DIR).glob("*.yaml")):
        try:
            data = read_yaml(p, what="recipe")
        except InputError:
            continue
        if isinstance(data, dict) and "cell" in data and "steps" in data:
            names.append(p.name)
    if DEFAULT_RECIPE_NAME in names:  # the paper's recipe first
        names.remove(DEFAULT_RECIPE_NAME)
        names.insert(0, DEFAULT_RECIPE_NAME)
    return names


@st.cache_resource(show_spinner=False, max_entries=64)
def _load_recipe(kind: str, name: str, data: bytes | None, overrides: tuple) -> tuple[Any, Any]:
    from pouchline.recipe.io import RECIPES_DIR, load_recipe_and_materials, load_recipe_text

    if kind == "upload":
        return load_recipe_text(data or b"", name, overrides=list(overrides))
    return load_recipe_and_materials(Path(RECIPES_DIR) / name, overrides=list(overrides))


def recipe_choice() -> dict:
    return st.session_state.setdefault("recipe_choice", {"kind": "shipped", "name": DEFAULT_RECIPE_NAME,
                                                         "data": None})


def recipe_overrides() -> tuple:
    return tuple(st.session_state.get("recipe_overrides", ()))


def try_recipe(choice: dict, overrides: Sequence[tuple[str, Any]]) -> tuple[Any, Any]:
    """Load and validate a recipe choice with overrides; raises :class:`InputError`."""
    return _load_recipe(choice["kind"], choice["name"], choice.get("data"), tuple(overrides))


def active_recipe() -> tuple[Any, Any, str]:
    """``(recipe, materials, key)`` of the recipe every page works on.

    ``key`` names the recipe with its overrides, for caching results computed from it. The
    active recipe is always valid: a choice or an edit becomes active only after it validated.
    If the shipped default itself is broken the InputError propagates to the page.
    """
    choice = recipe_choice()
    ovr = recipe_overrides()
    try:
        recipe, materials = try_recipe(choice, ovr)
    except InputError:
        if choice["kind"] == "shipped" and choice["name"] == DEFAULT_RECIPE_NAME and not ovr:
            raise
        # the file changed on disk under us: fall back to the paper's recipe
        st.session_state["recipe_choice"] = {"kind": "shipped", "name": DEFAULT_RECIPE_NAME, "data": None}
        st.session_state["recipe_overrides"] = ()
        recipe, materials = try_recipe(recipe_choice(), ())
    key = f"{choice['kind']}:{choice['name']}:{digest(choice.get('data'))}:{recipe.hash}:{ovr!r}"
    return recipe, materials, key


def set_active_recipe(choice: dict, overrides: Sequence[tuple[str, Any]] = ()) -> None:
    st.session_state["recipe_choice"] = choice
    st.session_state["recipe_overrides"] = tuple(overrides)


def recipe_or_stop() -> tuple[Any, Any, str]:
    """The active recipe, or an inline error and ``st.stop()``."""
    try:
        return active_recipe()
    except InputError as err:
        st.error("The recipe cannot be loaded; fix the file or choose another one on the Recipe page.")
        show_problems(err)
        st.stop()
        raise  # pragma: no cover - st.stop() raises


def param_at(recipe: Any, path: str) -> Any:
    """The object at a dotted path of a recipe (``steps.melt_cast.temperature_C``), or None.

    Steps are addressed by id, as in overrides. Only walks attributes: no computation.
    """
    node = recipe
    for key in path.split("."):
        if node is None:
            return None
        if isinstance(node, list):
            node = next((s for s in node if getattr(s, "id", None) == key), None)
        else:
            node = getattr(node, key, None)
    return node


def recipe_label(recipe: Any) -> str:
    return f"{recipe.id} rev {recipe.revision}"


def sidebar_summary() -> None:
    """The active recipe and its edits, on every page."""
    try:
        recipe, _, _ = active_recipe()
    except InputError:
        st.sidebar.error("The active recipe does not load: see the Recipe page.")
        return
    choice = recipe_choice()
    ovr = recipe_overrides()
    with st.sidebar:
        st.markdown("**Active recipe**")
        src = "uploaded" if choice["kind"] == "upload" else "shipped"
        st.markdown(f"`{recipe_label(recipe)}` ({recipe.status})  \n{src}: `{choice['name']}`  \n"
                    f"hash `{recipe.short_hash}`")
        if ovr:
            st.markdown(f":orange[**{len(ovr)} edited parameter{'s' if len(ovr) != 1 else ''}**]")
            st.caption("  \n".join(f"`{p}` = {v}" for p, v in ovr))
        else:
            st.caption("as in the file")
        st.markdown(f"**Cell** (Cell design page)  \n{describe_request(cell_request())}")


# ------------------------------------------------------------------------------------------
# widget values that survive page switches
# ------------------------------------------------------------------------------------------
def remembered(name: str, default: Any) -> Any:
    """A page input kept under a non-widget key (widget keys are dropped on page switches)."""
    return st.session_state.setdefault(f"_keep_{name}", default)


def remember(name: str, value: Any) -> None:
    st.session_state[f"_keep_{name}"] = value


def sticky(key: str, default: Any) -> None:
    """Give widget ``key`` its last value (or ``default``) before the widget is drawn.

    Streamlit drops a widget's state when its page is not shown; this keeps a copy under a
    non-widget key so inputs survive moving between pages. Draw the widget with ``key=key``
    and no ``value=``.
    """
    keep = f"_keep_{key}"
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(keep, default)
    st.session_state[keep] = st.session_state[key]


def kept(key: str, default: Any) -> Any:
    """The last value of a sticky widget, also when its page is not shown."""
    if key in st.session_state:
        return st.session_state[key]
    return st.session_state.get(f"_keep_{key}", default)


# ------------------------------------------------------------------------------------------
# the cell of the Cell design page, shared with the Cost and Traveler pages
# ------------------------------------------------------------------------------------------
CELL_MODES = ("Layers", "Capacity", "Energy")
CUSTOM_FORMAT = "custom"
CELL_DEFAULTS = {"cell_mode": "Layers", "cell_layers": 1, "cell_capacity": 2.0, "cell_energy": 7.0,
                 "cell_format": "paper-single", "cell_length": 120.0, "cell_width": 80.0}


def cell_request() -> dict[str, Any]:
    """The keyword arguments of ``size_cell`` chosen on the Cell design page."""
    mode = kept("cell_mode", CELL_DEFAULTS["cell_mode"])
    req: dict[str, Any] = {}
    if mode == "Capacity":
        req["capacity_Ah"] = float(kept("cell_capacity", CELL_DEFAULTS["cell_capacity"]))
    elif mode == "Energy":
        req["energy_Wh"] = float(kept("cell_energy", CELL_DEFAULTS["cell_energy"]))
    else:
        req["layers"] = int(kept("cell_layers", CELL_DEFAULTS["cell_layers"]))
    fmt = kept("cell_format", CELL_DEFAULTS["cell_format"])
    if fmt == CUSTOM_FORMAT:
        req["footprint_mm"] = (float(kept("cell_length", CELL_DEFAULTS["cell_length"])),
                               float(kept("cell_width", CELL_DEFAULTS["cell_width"])))
    else:
        req["format"] = fmt
    return req


def describe_request(req: dict[str, Any]) -> str:
    size = (f"{req['layers']} layer{'s' if req['layers'] != 1 else ''}" if "layers" in req
            else f"{req['capacity_Ah']:g} Ah" if "capacity_Ah" in req else f"{req['energy_Wh']:g} Wh")
    fmt = req.get("format") or "{:g} x {:g} mm outer".format(*req["footprint_mm"])
    return f"{size}, {fmt}"


@st.cache_resource(show_spinner=False, max_entries=128)
def sized_cell(recipe_key: str, _recipe: Any, _materials: Any, request: tuple) -> Any:
    """``pouchline.cell.size_cell`` for the active recipe, cached per recipe and request."""
    from pouchline.cell import size_cell

    return size_cell(_recipe, _materials, **dict(request))


def request_key(req: dict[str, Any]) -> tuple:
    return tuple(sorted(req.items()))


# ------------------------------------------------------------------------------------------
# the line of the Line page, shared with the Cost page
# ------------------------------------------------------------------------------------------
DEFAULT_LINE_NAME = "pilot-line.yaml"


def lines_dir() -> Path:
    from pouchline.recipe.io import RECIPES_DIR

    return Path(RECIPES_DIR) / "lines"


@st.cache_data(show_spinner=False, ttl=60)
def shipped_lines() -> list[str]:
    names = sorted(p.name for p in lines_dir().glob("*.yaml"))
    if DEFAULT_LINE_NAME in names:
        names.remove(DEFAULT_LINE_NAME)
        names.insert(0, DEFAULT_LINE_NAME)
    return names


@st.cache_resource(show_spinner=False, max_entries=32)
def load_line_cached(kind: str, name: str, data: bytes | None, overrides: tuple) -> tuple[Any, dict]:
    """(validated Line, raw data) of a shipped or uploaded line file with station edits.

    Edits use :func:`pouchline.recipe.io.apply_overrides`, the CLI's ``--set`` mechanism, and the
    line's own validation (:meth:`pouchline.line.Line.from_data`).
    """
    from pouchline.fileio import read_yaml_text
    from pouchline.line import Line, parse_line_text
    from pouchline.recipe.io import apply_overrides

    if kind == "shipped":
        source = f"recipes/lines/{name}"
        data = (lines_dir() / name).read_bytes()
    else:
        source = name
    line = parse_line_text(data, source)  # the library's own checks and messages
    raw = read_yaml_text(data, source, what="line file")
    if overrides:
        edited = apply_overrides(raw, list(overrides),
                                 source="station editor")
        line = Line.from_data(edited, f"{source} (edited)")
    return line, raw


def _blank(v: Any) -> bool:
    try:
        return v is None or v != v  # None, NaN, pandas NA
    except TypeError:  # pandas NA refuses comparisons
        return True


def _same(a: Any, b: Any) -> bool:
    if _blank(a) or _blank(b):
        return _blank(a) and _blank(b)
    try:
        return abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(b)))
    except (TypeError, ValueError):
        return a == b


def station_overrides(stations: list[dict], edited_rows: dict, current: dict, editable: Iterable[str],
                      int_columns: Iterable[str] = ()) -> dict:
    """Edits of the station table (``st.data_editor``'s ``edited_rows``) as override paths.

    ``stations`` are the rows as in the file (each with ``name``); an edit back to the file's
    value drops its override. Values become plain ints/floats (``None`` for a cleared cell).
    """
    out = dict(current)
    editable, int_columns = set(editable), set(int_columns)
    for row, changes in edited_rows.items():
        station = stations[int(row)]
        for col, value in changes.items():
            if col not in editable:
                continue
            path = f"stations.{station['name']}.{col}"
            if _same(value, station.get(col)):
                out.pop(path, None)
            elif _blank(value):
                out[path] = None
            elif col in int_columns and float(value) == int(float(value)):
                out[path] = int(float(value))
            else:
                out[path] = float(value)
    return out


def line_choice() -> dict:
    return st.session_state.setdefault("line_choice", {"kind": "shipped", "name": DEFAULT_LINE_NAME, "data": None})


def line_overrides() -> tuple:
    return tuple(st.session_state.get("line_overrides", ()))


def line_key() -> tuple:
    c = line_choice()
    return (c["kind"], c["name"], digest(c.get("data")), line_overrides())


def active_line() -> Any:
    """The line of the Line page (with its station edits); raises InputError."""
    c = line_choice()
    return load_line_cached(c["kind"], c["name"], c.get("data"), line_overrides())[0]


def last_simulation() -> tuple[Any, dict] | tuple[None, None]:
    """The simulation shown on the Line page and what it was run for (``line``, ``cell`` keys)."""
    key = st.session_state.get("line_result_key")
    res = st.session_state.get("_sim_cache", {}).get(key) if key else None
    return (res, key) if res is not None else (None, None)
