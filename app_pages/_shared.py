"""What every page of the app shares: the active recipe, cached loaders, inline errors.

Thin on purpose: widgets and charts live in the pages, every number comes from a library call,
and nothing here computes. Results are cached (``st.cache_resource`` for frozen result objects,
``st.cache_data`` for bytes and tables) so that moving between pages does not recompute.

Session state (non-widget keys, so they survive page switches):

* ``recipe_choice``: ``{"kind": "shipped" | "upload", "name": str, "data": bytes | None}``; an
  upload may carry ``"library": (file name, bytes)``, a materials library uploaded with it
* ``recipe_fallback``: why the active choice stopped loading and the shipped recipe is used
* ``recipe_overrides``: a tuple of ``(dotted.path, value)`` applied with the CLI's ``--set``
  mechanism (:func:`pouchline.recipe.io.apply_overrides`), so validation is the CLI's.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import Any, Iterable, Sequence

import streamlit as st

from pouchline.errors import MAX_FIELD_CHARS, MAX_SOURCE_CHARS, InputError, Problem, excerpt

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
    src = excerpt(_short_source(p.source), MAX_SOURCE_CHARS) if p.source else ""
    msg = excerpt(p.message)
    if p.field:
        return f"**`{excerpt(p.field, MAX_FIELD_CHARS)}`**: {msg}" + (f"  \n_{src}_" if src else "")
    return f"**{src}** {msg}" if src else msg


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


# -- uploads: what a file is, and which materials library an uploaded recipe may use ---------
_KIND_KEYS = (  # (kind, keys that all mark it), most specific first; as ``pouchline validate`` tells them
    ("recipe", ("cell", "steps")),
    ("materials library", ("materials",)),
    ("sweep", ("parameters", "outputs")),
    ("format catalogue", ("formats",)),
    ("cost-rates file", ("rates",)),
    ("line file", ("stations",)),
)


def file_kind(data: Any) -> str | None:
    """What kind of pouchline file parsed YAML looks like (``recipe``, ``line file``, ...), or None."""
    if not isinstance(data, dict):
        return None
    for kind, keys in _KIND_KEYS:
        if all(k in data for k in keys):
            return kind
    return None


def check_kind(data: Any, source: str, expected: str, where: str) -> None:
    """Refuse a file of another kind than ``expected`` with one message, before its validation
    would list every field the expected kind misses."""
    kind = file_kind(data)
    if kind is not None and kind != expected:
        raise InputError.single(source, "", f"is a {kind}, not a {expected}: {where}")


@st.cache_data(show_spinner=False, ttl=60)
def shipped_libraries() -> dict[str, str]:
    """File name -> path of the materials libraries shipped in ``recipes/``."""
    from pouchline.fileio import read_yaml
    from pouchline.recipe.io import RECIPES_DIR

    out = {}
    for p in sorted(Path(RECIPES_DIR).glob("*.yaml")):
        try:
            if file_kind(read_yaml(p)) == "materials library":
                out[p.name] = str(p)
        except InputError:
            continue
    return out


def upload_library(data: dict, source: str, library: tuple[str, bytes] | None = None) -> Any:
    """The materials library an uploaded recipe names, as a validated ``MaterialLibrary``.

    An upload is resolved on the server, so its ``materials_library`` may only name a shipped
    library (by file name, e.g. ``materials.yaml``) or the library uploaded with it; any other
    path (``/etc/...``, ``../...``, a device) is refused without being opened.
    """
    from pouchline.fileio import read_yaml_text, validate_model
    from pouchline.materials import MaterialLibrary
    from pouchline.recipe.io import load_materials

    named = data.get("materials_library", "materials.yaml")
    name = named.strip() if isinstance(named, str) else named
    if isinstance(name, str) and name.startswith("./"):
        name = name[2:]
    if library is not None and name == library[0]:
        lib_data = read_yaml_text(library[1], library[0], what="materials library")
        check_kind(lib_data, library[0], "materials library", "upload the library the recipe names")
        return validate_model(MaterialLibrary, lib_data, library[0])
    shipped = shipped_libraries()
    if isinstance(name, str) and name in shipped:
        return load_materials(shipped[name])
    uploaded = f" or the uploaded {library[0]}" if library is not None else " or a library uploaded with the recipe"
    raise InputError.single(source, "materials_library", f"{str(named)[:80]!r} is not a library an uploaded recipe "
                            f"may use: name a shipped library ({', '.join(shipped) or 'none'}){uploaded}",
                            value=named)


@st.cache_resource(show_spinner=False, max_entries=64)
def _load_recipe(kind: str, name: str, data: bytes | None, overrides: tuple,
                 library: tuple[str, bytes] | None = None) -> tuple[Any, Any]:
    from pouchline.fileio import read_yaml_text
    from pouchline.recipe.io import RECIPES_DIR, load_recipe_and_materials, recipe_from_data

    if kind == "upload":
        raw = read_yaml_text(data or b"", name, what="recipe")
        check_kind(raw, name, "recipe", "a line file goes on the Line page, a materials library under 'Own "
                   "materials library' below the recipe uploader")
        materials = upload_library(raw, name, library)
        return recipe_from_data(raw, name, materials=materials, overrides=list(overrides))
    return load_recipe_and_materials(Path(RECIPES_DIR) / name, overrides=list(overrides))


def recipe_choice() -> dict:
    return st.session_state.setdefault("recipe_choice", {"kind": "shipped", "name": DEFAULT_RECIPE_NAME,
                                                         "data": None})


def recipe_overrides() -> tuple:
    return tuple(st.session_state.get("recipe_overrides", ()))


def try_recipe(choice: dict, overrides: Sequence[tuple[str, Any]]) -> tuple[Any, Any]:
    """Load and validate a recipe choice with overrides; raises :class:`InputError`."""
    library = choice.get("library")
    return _load_recipe(choice["kind"], choice["name"], choice.get("data"), tuple(overrides),
                        tuple(library) if library else None)


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
    except InputError as err:
        if choice["kind"] == "shipped" and choice["name"] == DEFAULT_RECIPE_NAME and not ovr:
            raise
        # the file changed on disk under us: fall back to the paper's recipe, and say so on every
        # page (never silently: a user must not read figures of another recipe than the one chosen)
        st.session_state["recipe_fallback"] = (choice["name"], list(err.problems))
        st.session_state["recipe_choice"] = {"kind": "shipped", "name": DEFAULT_RECIPE_NAME, "data": None}
        st.session_state["recipe_overrides"] = ()
        choice = recipe_choice()
        ovr = ()
        recipe, materials = try_recipe(choice, ())
    key = f"{choice['kind']}:{choice['name']}:{digest(choice.get('data'))}:{recipe.hash}:{ovr!r}"
    return recipe, materials, key


def set_active_recipe(choice: dict, overrides: Sequence[tuple[str, Any]] = ()) -> None:
    st.session_state["recipe_choice"] = choice
    st.session_state["recipe_overrides"] = tuple(overrides)
    st.session_state.pop("recipe_fallback", None)


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
        fallback = st.session_state.get("recipe_fallback")
        if fallback:
            st.warning(f"**{fallback[0]} no longer loads**; the pages use the shipped "
                       f"{DEFAULT_RECIPE_NAME} instead. See the Recipe page.", icon=":material/warning:")
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
        lc = line_choice()
        st.markdown(f"**Line** (Line page)  \n`{lc['name']}`" + (" (uploaded)" if lc["kind"] == "upload" else "")
                    + (f", {len(line_overrides())} station edit(s)" if line_overrides() else ""))


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
#: The app opens on the README's main job: the 10 Ah EV cell (``--capacity-Ah 10 --format ev-300x100``)
#: on the GWh line (:data:`DEFAULT_LINE_NAME`).
CELL_DEFAULTS = {"cell_mode": "Capacity", "cell_layers": 1, "cell_capacity": 10.0, "cell_energy": 34.0,
                 "cell_format": "ev-300x100", "cell_length": 120.0, "cell_width": 80.0}

#: Each shipped line with the cell it was designed for (its ``cell_energy_Wh`` and ``area_per_cell_cm2``
#: are this cell's): choosing the line on the Line page proposes this cell. As Cell-page settings.
LINE_DESIGN_CELLS = {
    "pilot-line.yaml": {"cell_mode": "Layers", "cell_layers": 1, "cell_format": "paper-single"},  # the paper's cell
    "gwh-line.yaml": {"cell_mode": "Capacity", "cell_capacity": 10.0, "cell_format": "ev-300x100"},  # README
}


def set_cell_request(settings: dict[str, Any]) -> None:
    """Make ``settings`` (Cell-page keys such as ``cell_mode``) the cell of every page."""
    for k, v in settings.items():
        st.session_state[f"_keep_{k}"] = v
        st.session_state.pop(k, None)  # the widget takes the kept value when the Cell page is drawn next


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


def page_cell_or_stop(recipe: Any, materials: Any, recipe_key: str) -> tuple[dict[str, Any], Any]:
    """The cell of the Cell design page for a page that needs it (Cost, Sizing, Scale-up): the request
    and the sized cell; a cell that cannot be built is shown as an error naming the fields, and the
    page stops."""
    req = cell_request()
    try:
        return req, sized_cell(recipe_key, recipe, materials, request_key(req))
    except InputError as err:
        st.error("**The cell chosen on the Cell design page cannot be built**; change it there.",
                 icon=":material/block:")
        show_problems(err)
        st.stop()


# ------------------------------------------------------------------------------------------
# the line of the Line page, shared with the Cost page
# ------------------------------------------------------------------------------------------
DEFAULT_LINE_NAME = "gwh-line.yaml"  # the README's main job, with CELL_DEFAULTS


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

    from pouchline.fileio import MAX_YAML_BYTES, read_limited

    if kind == "shipped":
        source = f"recipes/lines/{name}"
        data = read_limited(lines_dir() / name, MAX_YAML_BYTES, what="line file")
    else:
        source = name
    raw = read_yaml_text(data, source, what="line file")
    check_kind(raw, source, "line file", "a line file lists stations:; upload a recipe on the Recipe page")
    line = parse_line_text(data, source)  # the library's own checks and messages
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


# ------------------------------------------------------------------------------------------
# what the plan leads with: warnings and the fixture block, from the library (pouchline.plan)
# ------------------------------------------------------------------------------------------
def show_warnings(items: Sequence[Any], where: Any = None, title: str = "Warnings") -> None:
    """Plan warnings (:class:`pouchline.plan.PlanWarning`), once each, most serious first: one box
    for the warnings, one expander for the notes. Nothing when there are none."""
    from pouchline.plan import _dedupe

    target = where if where is not None else st
    items = _dedupe(items)
    warn = [w for w in items if w.severity == "warning"]
    notes = [w for w in items if w.severity != "warning"]
    if warn:
        target.warning(f"**{title} ({len(warn)})**  \n" + "  \n".join(f"- **{w.source}**: {w.message}" for w in warn),
                       icon=":material/warning:")
    if notes:
        with target.expander(f"Notes ({len(notes)})"):
            for w in notes:
                st.markdown(f"- **{w.source}**: {w.message}")


@st.cache_resource(show_spinner=False, max_entries=64)
def fixture_headline_cached(recipe_key: str, request: tuple, cost_key: Any, _recipe: Any, _materials: Any, _cell: Any,
                            _cost: Any, target_Wh_kg: float | None) -> Any:
    from pouchline.plan import plan_fixture_headline

    return plan_fixture_headline(_recipe, _materials, _cell, _cost, target_Wh_kg=target_Wh_kg)


def fixture_block(recipe: Any, materials: Any, cell: Any, recipe_key: str, request: tuple, cost: Any = None,
                  cost_key: Any = None, key: str = "fx") -> Any:
    """The fixture go / no-go block of the plan (:func:`pouchline.plan.plan_fixture_headline`,
    :func:`pouchline.plan.fixture_headline_rows`): metrics, the verdict and the rows. Returns the headline."""
    from pouchline.display import fmt_number, fmt_quantity, fmt_usd
    from pouchline.cell.fixture import pressure_text
    from pouchline.plan import fixture_headline_rows

    sticky("fixture_target_Wh_kg", 0.0)
    target = float(kept("fixture_target_Wh_kg", 0.0) or 0.0) or None
    h = fixture_headline_cached(recipe_key, request, cost_key, recipe, materials, cell, cost, target)
    st.markdown("**Pressure fixture: go or no-go**")
    m = st.columns(7)
    m[0].metric("Clamp force", fmt_quantity(h.force_kN, "kN"), border=True,
                help=f"{fmt_number(h.pressure_MPa)} MPa on the electrode area")
    m[1].metric("Fixture mass per cell", fmt_quantity(h.mass_per_cell_g, "g"), border=True,
                help=f"one fixture {fmt_quantity(h.mass_g, 'g')}; the cell {fmt_quantity(h.cell_mass_g, 'g')}")
    m[2].metric("Fixture cost per cell", f"{fmt_usd(h.cost_per_cell_usd)}" if h.cost_per_cell_usd is not None
                else "see Cost page", border=True)
    m[3].metric("With fixture", f"{fmt_number(h.with_fixture_Wh_kg)} Wh/kg", border=True,
                help=f"the cell alone: {fmt_number(h.cell_Wh_kg)} Wh/kg")
    m[4].metric("With fixture, volume", f"{fmt_number(h.with_fixture_Wh_L)} Wh/L", border=True,
                help=f"the cell alone: {fmt_number(h.cell_Wh_L)} Wh/L")
    m[5].metric("Cells per fixture", f"{h.cells_per_fixture}", border=True)
    p = h.pressure_for_target_MPa
    m[6].metric(f"Pressure for {fmt_number(h.target_Wh_kg)} Wh/kg", pressure_text(p) if p is not None else "none",
                border=True, help=f"a module of {h.module_cells} cells in one fixture; target {h.target_basis}")
    (st.success if h.go else st.warning)(h.verdict[0].upper() + h.verdict[1:], icon=":material/compress:")
    with st.expander("Fixture figures"):
        st.number_input("Stated module target (Wh/kg; 0: 80 % of the cell's)", min_value=0.0, step=10.0,
                        format="%g", key="fixture_target_Wh_kg")
        st.table(pd_rows(fixture_headline_rows(h, cell, cost)))
    return h


def pd_rows(rows: Sequence[tuple[str, str]]) -> Any:
    """(label, value) text rows as a two-column table for ``st.table``."""
    import pandas as pd

    return pd.DataFrame([{"": a, "value": b} for a, b in rows]).set_index("")


def display_frame(rows: Any, columns: Sequence[str] | None = None, sig: int = 3) -> Any:
    """Rows (dicts or a DataFrame) as a text table through :func:`pouchline.display.format_table`:
    human labels with units, numbers without exponents, a dash for empty."""
    import pandas as pd
    from pouchline.display import format_table

    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict("records")
    # a calendar year is a label, not a quantity: no thousands separator
    rows = [{k: (str(int(v)) if k.endswith("year") and isinstance(v, (int, float)) and v == v else v)
             for k, v in r.items()} for r in rows]
    header, cells = format_table(list(rows), columns, sig)
    return pd.DataFrame(cells, columns=header)


# ------------------------------------------------------------------------------------------
# whole plans (the Plan and Compare pages): pouchline.plan.make_plan, written by write_plan
# ------------------------------------------------------------------------------------------
def cell_args_text(req: dict[str, Any]) -> str:
    """A cell request as the CLI's options (``--capacity-Ah 10 --format ev-300x100``)."""
    from pouchline.plan import _cli_number

    size = (f"--layers {req['layers']}" if "layers" in req else f"--capacity-Ah {_cli_number(req['capacity_Ah'])}"
            if "capacity_Ah" in req else f"--energy-Wh {_cli_number(req['energy_Wh'])}")
    fmt = (f"--format {req['format']}" if "format" in req
           else "--footprint {}x{}".format(*(_cli_number(v) for v in req["footprint_mm"])))
    return f"{size} {fmt}"


@st.cache_resource(show_spinner=False, max_entries=8)
def plan_cached(key: tuple, _recipe: Any, _materials: Any, _line: Any, request: tuple, days: float, warmup_days: float,
                replications: int, seed: int, rampup_months: int, inputs: tuple) -> Any:
    """:func:`pouchline.plan.make_plan` of a recipe, a line and a cell request (one worker: the
    machine is shared), cached per ``key`` (recipe key, line key, request, run length)."""
    from pouchline.plan import make_plan

    return make_plan(_recipe, _materials, line=_line, **dict(request), days=days, warmup_days=warmup_days,
                     replications=replications, seed=seed, workers=1, rampup_months=rampup_months,
                     inputs=dict(inputs))


@st.cache_data(show_spinner=False, max_entries=4)
def plan_zip(key: tuple, _plan: Any, lot: str = "LOT-0001", lot_cells: int = 100) -> bytes:
    """The folder ``pouchline plan`` writes (:func:`pouchline.export.plan_report.write_plan`, into a
    temporary folder) as one zip, under a ``plan/`` folder."""
    import io
    import tempfile
    import zipfile

    from pouchline.export.plan_report import write_plan

    with tempfile.TemporaryDirectory(prefix="pouchline-app-plan-") as tmp:
        out = Path(tmp) / "plan"
        write_plan(_plan, out, lot=lot, lot_cells=lot_cells)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(out.rglob("*")):
                if f.is_file():
                    z.write(f, f"plan/{f.relative_to(out).as_posix()}")
    return buf.getvalue()


# ------------------------------------------------------------------------------------------
# shareable state in the URL (st.query_params): recipe, edits, cell, line, station edits
# ------------------------------------------------------------------------------------------
URL_KEYS = ("recipe", "set", "cell", "format", "line", "line_set")


def url_state() -> dict[str, Any]:
    """The state a link carries, as query parameters: the shipped recipe and line by file name,
    recipe and station edits as ``path=value`` (the CLI's ``--set``), the cell request."""
    out: dict[str, Any] = {}
    c = recipe_choice()
    if c["kind"] == "shipped":
        out["recipe"] = c["name"]
    if recipe_overrides():
        out["set"] = [f"{p}={v}" for p, v in recipe_overrides()]
    req = cell_request()
    out["cell"] = (f"layers={req['layers']}" if "layers" in req else f"capacity_Ah={req['capacity_Ah']:g}"
                   if "capacity_Ah" in req else f"energy_Wh={req['energy_Wh']:g}")
    out["format"] = req["format"] if "format" in req else "{:g}x{:g}".format(*req["footprint_mm"])
    lc = line_choice()
    if lc["kind"] == "shipped":
        out["line"] = lc["name"]
        if line_overrides():
            out["line_set"] = [f"{p}={'' if v is None else v}" for p, v in line_overrides()]
    return out


def _cell_settings_from_url(cell: str | None, fmt: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if cell and "=" in cell:
        what, _, value = cell.partition("=")
        if what == "layers" and value.strip().isdigit() and 1 <= int(value) <= 500:
            settings.update(cell_mode="Layers", cell_layers=int(value))
        elif what in ("capacity_Ah", "energy_Wh"):
            try:
                x = float(value)
            except ValueError:
                x = float("nan")
            if 0 < x < 1e6:
                settings.update(cell_mode="Capacity" if what == "capacity_Ah" else "Energy",
                                **{"cell_capacity" if what == "capacity_Ah" else "cell_energy": x})
    if fmt:
        m = __import__("re").fullmatch(r"\s*(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*", fmt)
        if m:
            settings.update(cell_format=CUSTOM_FORMAT, cell_length=float(m[1]), cell_width=float(m[2]))
        elif __import__("re").fullmatch(r"[A-Za-z0-9_.-]{1,64}", fmt):
            settings["cell_format"] = fmt  # the Cell page falls back to the default for an unknown id
    return settings


def load_url_state() -> list[str]:
    """Take the state of a shared link, once per session; what cannot be used is named and left
    at its default (every value is validated as an upload would be). Returns the problems."""
    if st.session_state.get("_url_loaded"):
        return []
    st.session_state["_url_loaded"] = True
    q = st.query_params
    if not any(k in q for k in URL_KEYS):
        return []
    problems: list[str] = []
    from pouchline.recipe.io import parse_override

    name = q.get("recipe")
    sets = q.get_all("set")
    if name or sets:
        if name and name not in shipped_recipes():
            problems.append(f"recipe {name[:80]!r} is not a shipped recipe ({', '.join(shipped_recipes())})")
            name = None
        choice = {"kind": "shipped", "name": name or DEFAULT_RECIPE_NAME, "data": None}
        try:
            ovr = [parse_override(s) for s in sets]
            try_recipe(choice, ovr)
            set_active_recipe(choice, ovr)
        except InputError as err:
            problems += [f"set: {problem_text(p)}" for p in err.problems]
            if name:
                set_active_recipe(choice, ())
    settings = _cell_settings_from_url(q.get("cell"), q.get("format"))
    if settings:
        set_cell_request(settings)
    elif "cell" in q or "format" in q:
        problems.append(f"cell {q.get('cell', '')[:40]!r} / format {q.get('format', '')[:40]!r}: give cell=layers=N, "
                        "cell=capacity_Ah=X or cell=energy_Wh=X and format=ID or LxW (mm)")
    lname = q.get("line")
    if lname:
        if lname not in shipped_lines():
            problems.append(f"line {lname[:80]!r} is not a shipped line ({', '.join(shipped_lines())})")
        else:
            st.session_state["line_choice"] = {"kind": "shipped", "name": lname, "data": None}
            st.session_state["line_overrides"] = ()
            try:
                ovr = tuple(parse_override(s) for s in q.get_all("line_set"))
                if ovr:
                    load_line_cached("shipped", lname, None, ovr)
                    st.session_state["line_overrides"] = ovr
            except InputError as err:
                problems += [f"line_set: {problem_text(p)}" for p in err.problems]
    return problems


def save_url_state() -> None:
    """Write the current state into the address bar (only when it changed), so a link shares it."""
    want = url_state()
    have = {k: (st.query_params.get_all(k) if k in ("set", "line_set") else st.query_params.get(k))
            for k in st.query_params}
    if have != want:
        st.query_params.from_dict(want)
