"""One scenario: apply its inputs to the base recipe, line and rates, compute, and name the results.

The results of a scenario are a flat dict of dotted names (``cell.specific_energy_Wh_kg``,
``cell.with_fixture.specific_energy_Wh_kg``, ``line.throughput_units_per_h``,
``line.MWh_per_year``, ``cost.cost_per_kWh_usd``): the cell's, the line experiment's and the
cost's ``to_dict()`` flattened, lists of named items by name (``line.stations.stacking.utilization``).
Only what the requested outputs need is computed: a sweep of cell and cost outputs sizes the cell
and costs it, and never runs the line simulation.

:class:`SweepContext` carries the base files as parsed data, so a worker on another machine (a
Dask cluster) needs no shared file system; each worker process validates the base files once and
keeps them for every scenario of the sweep (keyed by the context's fingerprint).

An *evaluator* is any function ``(context, scenario) -> dict`` of results; :func:`evaluate` is the
real one. :func:`synthetic_evaluate` is a cheap analytic stand-in with a tunable run time, used by
the tests and the benchmark to measure the sweep machinery without the physics.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import math
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from pouchline.errors import InputError
from pouchline.sweep.designs import Scenario
from pouchline.sweep.model import Sweep

Evaluator = Callable[["SweepContext", Scenario], Mapping[str, Any]]


# -- the base of every scenario ---------------------------------------------------------------------
@dataclass(frozen=True)
class SweepContext:
    """What every scenario starts from, as plain data (picklable, a few tens of kB)."""

    name: str
    outputs: tuple[str, ...]
    recipe_data: dict | None = None
    recipe_source: str = "recipe"
    materials_data: dict | None = None
    materials_source: str = "materials"
    line_data: dict | None = None
    line_source: str = "line"
    rates_data: dict | None = None
    rates_source: str = "cost rates"
    formats_data: dict | None = None
    formats_source: str = "formats"
    sizing: dict = field(default_factory=dict)
    simulation: dict = field(default_factory=dict)
    cost: dict = field(default_factory=dict)
    fingerprint: str = ""

    @property
    def families(self) -> frozenset[str]:
        return frozenset(o.partition(".")[0] for o in self.outputs)


def fingerprint_of(obj: Any) -> str:
    """sha256 of a JSON-able object (sorted keys): what a journal row's key is built on."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str, allow_nan=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def load_context(sweep: Sweep) -> SweepContext:
    """Read the sweep's base files (recipe, its materials library, line, cost rates) into a context.

    Only the files the outputs and parameters need are read: the line only for ``line.*``, the cost
    rates only for ``cost.*`` outputs.
    """
    from pouchline.fileio import read_yaml
    from pouchline.recipe.io import DEFAULT_RECIPE_PATH, RECIPES_DIR

    families = sweep.output_families
    recipe_path = Path(sweep.recipe) if sweep.recipe else DEFAULT_RECIPE_PATH
    recipe_data = read_yaml(recipe_path, what="recipe")
    lib_path = Path(str(recipe_data.get("materials_library") or "materials.yaml"))
    if not lib_path.is_absolute():
        lib_path = recipe_path.resolve().parent / lib_path
    materials_data = read_yaml(lib_path, what="materials library")
    line_data = None
    if sweep.line is not None and ("line" in families or "cost" in families
                                   or any(k.startswith("line.") for k in sweep.parameters)):
        line_data = read_yaml(sweep.line, what="line")
    rates_data = None
    rates_path: Path | None = None
    if "cost" in families or any(k.startswith("cost_rates.") for k in sweep.parameters):
        rates_path = Path(sweep.cost_rates) if sweep.cost_rates else RECIPES_DIR / "cost-rates.yaml"
        if rates_path.is_file():
            rates_data = read_yaml(rates_path, what="cost rates")
        elif sweep.cost_rates:
            raise InputError.single(str(rates_path), "", "does not exist (the cost rates of the sweep)")
    formats_data = None
    formats_path = None
    if sweep.sizing.format is not None or "sizing.format" in sweep.parameters:
        from pouchline.cell.formats import DEFAULT_FORMATS_PATH

        formats_path = DEFAULT_FORMATS_PATH
        formats_data = read_yaml(formats_path, what="format catalogue")
    base = dict(
        name=sweep.name, outputs=tuple(sweep.outputs),
        recipe_data=recipe_data, recipe_source=str(recipe_path),
        materials_data=materials_data, materials_source=str(lib_path),
        line_data=line_data, line_source=str(sweep.line or "line"),
        rates_data=rates_data, rates_source=str(rates_path or "cost rates"),
        formats_data=formats_data, formats_source=str(formats_path or "formats"),
        sizing=sweep.sizing.model_dump(), simulation=sweep.simulation.model_dump(), cost=sweep.cost.model_dump(),
    )
    # validate the base files before hashing them: what is hashed (and sent to every worker) is
    # then data of a known shape and size, and a bad file fails here, naming its field
    validated = _validate_base(SweepContext(**base))
    ctx = SweepContext(**base, fingerprint=fingerprint_of(base))
    for what, obj in validated.items():
        _BASE_CACHE[(ctx.fingerprint, what)] = obj
    return ctx


def _validate_base(ctx: SweepContext) -> dict[str, Any]:
    """The context's base files validated (what :func:`_cached` keeps); raises :class:`InputError`."""
    from pouchline.fileio import validate_model
    from pouchline.materials import MaterialLibrary
    from pouchline.recipe.io import recipe_from_data

    out: dict[str, Any] = {}
    out["materials"] = validate_model(MaterialLibrary, ctx.materials_data, ctx.materials_source)
    out["recipe"] = recipe_from_data(ctx.recipe_data, ctx.recipe_source, materials=out["materials"])[0]
    if ctx.line_data is not None:
        from pouchline.line import Line

        out["line"] = Line.from_data(ctx.line_data, ctx.line_source)
    if ctx.rates_data is not None:
        try:
            _, rates_from_data, _ = _cost_api()
        except RuntimeError:
            pass  # check_calculations says so, naming the outputs
        else:
            out["rates"] = rates_from_data(ctx.rates_data, ctx.rates_source)
    if ctx.formats_data is not None:
        out["formats"] = _formats(ctx)
    return out


# -- inputs -> calculation inputs -------------------------------------------------------------------
@dataclass
class SplitInputs:
    """A scenario's inputs sorted by what they change."""

    recipe: list[tuple[str, Any]] = field(default_factory=list)
    materials: list[tuple[str, Any]] = field(default_factory=list)
    line: list[tuple[str, Any]] = field(default_factory=list)
    rates: list[tuple[str, Any]] = field(default_factory=list)
    sizing: dict[str, Any] = field(default_factory=dict)
    simulation: dict[str, Any] = field(default_factory=dict)
    cost: dict[str, Any] = field(default_factory=dict)


def split_inputs(inputs: Mapping[str, Any]) -> SplitInputs:
    out = SplitInputs()
    for path, value in inputs.items():
        head, _, rest = path.partition(".")
        if head == "materials":
            out.materials.append((path, value))  # the library's own paths start with materials.
        elif head == "line":
            out.line.append((rest, value))
        elif head == "cost_rates":
            out.rates.append((rest, value))
        elif head in ("sizing", "simulation", "cost"):
            getattr(out, head)[rest] = value
        else:
            out.recipe.append((path, value))
    return out


def apply_line_overrides(data: dict, overrides: list[tuple[str, Any]], source: str = "line") -> dict:
    """``apply_overrides`` for line data: stations are addressed by ``name`` (``stations.stacker.machines``)."""
    from pouchline.recipe.io import apply_overrides

    return apply_overrides(data, overrides, source=source)


# -- per-process cache of the validated base files ----------------------------------------------------
_BASE_CACHE: dict[tuple[str, str], Any] = {}
_CACHE_LIMIT = 16


def _cached(ctx: SweepContext, what: str, build: Callable[[], Any]) -> Any:
    key = (ctx.fingerprint, what)
    if key not in _BASE_CACHE:
        if len(_BASE_CACHE) >= _CACHE_LIMIT:
            _BASE_CACHE.clear()
        _BASE_CACHE[key] = build()
    return _BASE_CACHE[key]


def _materials(ctx: SweepContext, ovr: list[tuple[str, Any]]):
    from pouchline.fileio import validate_model
    from pouchline.materials import MaterialLibrary
    from pouchline.recipe.io import apply_overrides

    if not ovr:
        return _cached(ctx, "materials",
                       lambda: validate_model(MaterialLibrary, ctx.materials_data, ctx.materials_source))
    return validate_model(MaterialLibrary, apply_overrides(ctx.materials_data, ovr, source="parameters"),
                          f"{ctx.materials_source} (with sweep parameters)")


def _recipe(ctx: SweepContext, split: SplitInputs):
    from pouchline.recipe.io import recipe_from_data

    materials = _materials(ctx, split.materials)
    if not split.recipe and not split.materials:
        return _cached(ctx, "recipe", lambda: recipe_from_data(ctx.recipe_data, ctx.recipe_source,
                                                                 materials=materials)[0]), materials
    recipe, _ = recipe_from_data(ctx.recipe_data, f"{ctx.recipe_source} (with sweep parameters)",
                                 materials=materials, overrides=split.recipe)
    return recipe, materials


def _line(ctx: SweepContext, ovr: list[tuple[str, Any]]):
    from pouchline.line import Line

    if ctx.line_data is None:
        raise InputError.single("sweep", "line", "line outputs or parameters need a line: file in the sweep")
    if not ovr:
        return _cached(ctx, "line", lambda: Line.from_data(ctx.line_data, ctx.line_source))
    data = apply_line_overrides(ctx.line_data, ovr, source=ctx.line_source)
    return Line.from_data(data, f"{ctx.line_source} (with sweep parameters)")


def _formats(ctx: SweepContext):
    from pouchline.cell.formats import FormatCatalogue
    from pouchline.fileio import validate_model

    return validate_model(FormatCatalogue, ctx.formats_data, ctx.formats_source)


def _need(module: str, family: str):
    """Import a calculation module, or say clearly which outputs cannot be computed without it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise RuntimeError(f"{family}.* outputs need {module}, which cannot be imported here ({exc})") from None


# -- checking parameter paths before anything runs ----------------------------------------------------
def _walk_problem(tree: Any, keys: list[str], list_key: str = "id") -> str | None:
    """Why ``keys`` does not address a field of ``tree`` (a validated model's dump), or None."""
    node = tree
    for i, key in enumerate(keys):
        where = ".".join(keys[:i]) or "the top level"
        if node is None:
            return None  # an optional section left out of the base: validation judges the value
        if isinstance(node, list):
            if key.lstrip("-").isdigit():
                if not -len(node) <= int(key) < len(node):
                    return f"{where} has {len(node)} items; {key} is not an index of it"
                node = node[int(key)]
                continue
            ids = [n.get(list_key) for n in node if isinstance(n, dict)]
            if key not in ids:
                close = difflib.get_close_matches(key, [str(x) for x in ids], n=3)
                hint = f"did you mean {', '.join(close)}? " if close else ""
                return (f"{key!r} is not one of the {list_key}s of {where}; {hint}{list_key}s: "
                        f"{', '.join(map(str, ids))}")
            node = node[ids.index(key)]
        elif isinstance(node, dict):
            if key not in node:
                close = difflib.get_close_matches(key, list(map(str, node)), n=3)
                hint = f"did you mean {', '.join(close)}? " if close else ""
                return (f"{where} has no field {key!r}; {hint}fields: "
                        f"{', '.join(sorted(map(str, node)))[:400]}")
            node = node[key]
        else:
            return f"{where} is a value ({node!r}), not a section; it has no field {key!r}"
    return None


def check_parameter_paths(parameters: list[str], ctx: SweepContext, source: str = "sweep") -> None:
    """Raise :class:`InputError` for every parameter path that addresses no field of the base files.

    A misspelt path would otherwise fail every scenario. The base files are validated here (once,
    in the calling process), and paths are walked through the validated models, which list every
    field including those left at their defaults.
    """
    from pouchline.errors import Problem

    problems: list[Problem] = []
    trees: dict[str, Any] = {}

    def tree(what: str) -> Any:
        if what not in trees:
            if what == "recipe":
                trees[what] = _recipe(ctx, SplitInputs())[0].model_dump(mode="json")
            elif what == "materials":
                trees[what] = _materials(ctx, []).model_dump(mode="json")
            elif what == "line":
                trees[what] = _line(ctx, []).model_dump(mode="json")
            elif what == "rates":
                _, from_data, load = _cost_api()
                rates = _rates(ctx, [], from_data, load)
                trees[what] = rates.model_dump(mode="json")
        return trees[what]

    for path in parameters:
        head, _, rest = path.partition(".")
        if head in ("sizing", "simulation", "cost"):
            continue  # checked by the sweep model
        if head == "materials":
            why = _walk_problem(tree("materials"), path.split("."))
        elif head == "line":
            why = _walk_problem(tree("line"), rest.split("."), list_key="name")
        elif head == "cost_rates":
            why = _walk_problem(tree("rates"), rest.split("."))
        else:
            why = _walk_problem(tree("recipe"), path.split("."))
        if why:
            problems.append(Problem(field=f"parameters.{path}", message=why, source=source))
    if problems:
        raise InputError(problems)


# -- the real evaluator ------------------------------------------------------------------------------
def evaluate(ctx: SweepContext, scenario: Scenario) -> dict[str, Any]:
    """Results of one scenario as a flat dict; computes the families ``ctx.outputs`` ask for."""
    fams = ctx.families
    split = split_inputs(scenario.inputs)
    results: dict[str, Any] = {}
    recipe, materials = _recipe(ctx, split)

    cell_mod = _need("pouchline.cell", "cell")
    sizing = {**{k: v for k, v in ctx.sizing.items() if v is not None}, **split.sizing}
    if ctx.formats_data is not None:
        sizing["formats"] = _cached(ctx, "formats", lambda: _formats(ctx))
    cell = cell_mod.size_cell(recipe, materials, **sizing)
    results.update(flatten(cell.to_dict(), "cell"))

    cost_opts = {**ctx.cost, **split.cost}
    plant = cost_opts.pop("plant", "auto")
    if plant == "auto":
        plant = "simulated" if "line" in fams else ("line" if ctx.line_data is not None else "default")
    simulate = "line" in fams or ("cost" in fams and plant == "simulated")

    line = None
    lres: dict[str, Any] | None = None
    if simulate or ("cost" in fams and plant == "line"):
        line = _line(ctx, split.line)
    if simulate:
        line_mod = _need("pouchline.line", "line")
        sim = {**ctx.simulation, **split.simulation}
        use_cell = bool(sim.get("use_cell", True))
        experiment = line_mod.run_experiment(
            line, replications=int(sim["replications"]), days=float(sim["days"]),
            warmup_days=float(sim["warmup_days"]), seed=scenario.seed, workers=1,
            area_per_cell_cm2=getattr(cell, "area_per_cell_cm2", None) if use_cell else None,
            cell_energy_Wh=_energy_Wh(cell) if use_cell else None,
        )
        lres = experiment.to_dict()  # also what the cost reads as line KPIs
        results.update(flatten(lres, "line"))
        results["line.MWh_per_year"] = lres.get("energy_MWh_per_year")
        results["line.cells_per_year"] = lres.get("good_units_per_year")

    if "cost" in fams:
        cost_cell, rates_from_data, load_rates = _cost_api()
        rates = _rates(ctx, split.rates, rates_from_data, load_rates)
        kwargs: dict[str, Any] = {k: v for k, v in cost_opts.items() if v is not None}
        kwargs["rates"] = rates
        if plant in ("line", "simulated"):
            kwargs["line"] = line
        if plant == "simulated":
            kwargs["line_kpis"] = lres
        cost = cost_cell(recipe, materials, cell, **kwargs)
        results.update(flatten(cost.to_dict(), "cost"))
    return results


def _cost_api():
    """(cost_cell, rates_from_data, load_rates) from pouchline.cost."""
    mod = _need("pouchline.cost", "cost")
    try:
        cost_cell = getattr(mod, "cost_cell", None) or _need("pouchline.cost.model", "cost").cost_cell
        rates_mod = _need("pouchline.cost.rates", "cost")
    except AttributeError as exc:
        raise RuntimeError(f"cost.* outputs need pouchline.cost.cost_cell ({exc})") from None
    return (cost_cell, getattr(mod, "rates_from_data", None) or rates_mod.rates_from_data,
            getattr(mod, "load_rates", None) or rates_mod.load_rates)


def _energy_Wh(cell: Any) -> float | None:
    e = getattr(cell, "energy_Wh", None)
    return float(e) if isinstance(e, (int, float)) else None


def _rates(ctx: SweepContext, ovr: list[tuple[str, Any]], rates_from_data: Callable, load_rates: Callable) -> Any:
    """The cost rates, validated with the cost module's own loader (with ``cost_rates.*`` overrides)."""
    if ctx.rates_data is None:  # no file: the cost module's shipped defaults
        if ovr:
            raise InputError.single("sweep", "cost_rates",
                                    "cost_rates.* parameters need a cost_rates: file in the sweep")
        return _cached(ctx, "rates", load_rates)
    if not ovr:
        return _cached(ctx, "rates", lambda: rates_from_data(ctx.rates_data, ctx.rates_source))
    return rates_from_data(apply_rates_overrides(ctx.rates_data, ovr), f"{ctx.rates_source} (with sweep parameters)")


def apply_rates_overrides(data: dict, overrides: list[tuple[str, Any]]) -> dict:
    """``apply_overrides`` for cost-rates data; a number set on a rate (``{low, base, high}``) sets all three.

    A rate fixed by a sweep parameter has no range of its own: every price scenario uses it.
    """
    from pouchline.recipe.io import apply_overrides

    fixed: list[tuple[str, Any]] = []
    for path, value in overrides:
        node: Any = data
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and {"low", "base", "high"} <= set(node) and not isinstance(value, dict):
            fixed.append((path, {**node, "low": value, "base": value, "high": value,
                                 "source": "user: sweep parameter"}))
        else:
            fixed.append((path, value))
    return apply_overrides(data, fixed, source="parameters")


# -- results -> outputs ------------------------------------------------------------------------------
def flatten(obj: Any, prefix: str) -> dict[str, Any]:
    """``{'a': {'b': 1}, 'stations': [{'name': 's1', 'u': .5}]}`` -> ``{'p.a.b': 1, 'p.stations.s1.u': .5}``.

    Lists of mappings with a ``name`` or ``id`` are keyed by it, other lists by position.
    """
    out: dict[str, Any] = {}

    def walk(node: Any, key: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                walk(v, f"{key}.{k}")
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                label = i
                if isinstance(v, Mapping):
                    label = v.get("name", v.get("id", i))
                walk(v, f"{key}.{label}")
        else:
            out[key] = _scalar(node)

    walk(obj, prefix)
    return out


def _scalar(v: Any) -> Any:
    if hasattr(v, "item") and callable(v.item) and not isinstance(v, (str, bytes)):
        try:
            v = v.item()  # numpy scalars
        except (TypeError, ValueError):
            pass
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


class MissingOutput(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def select_outputs(results: Mapping[str, Any], outputs: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The requested outputs (names or shell patterns) from a scenario's flat results."""
    chosen: dict[str, Any] = {}
    for name in outputs:
        if any(c in name for c in "*?["):
            for k in sorted(fnmatch.filter(results.keys(), name)):
                chosen[k] = results[k]
            continue
        if name in results:
            chosen[name] = results[name]
            continue
        fam = name.partition(".")[0]
        known = [k for k in results if k.startswith(fam + ".")]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else (
            f"; {fam} results are: {', '.join(sorted(known)[:30])}{' ...' if len(known) > 30 else ''}" if known else "")
        raise MissingOutput(f"output {name!r} is not a result of this scenario{hint}")
    return chosen


# -- one scenario, as a worker runs it ------------------------------------------------------------------
def run_scenario(ctx: SweepContext, scenario: Scenario, evaluator: Evaluator | None = None) -> dict[str, Any]:
    """Evaluate one scenario and return its row; an exception becomes ``status: error``, never a raise."""
    fn = evaluator or evaluate
    t0 = time.perf_counter()
    row: dict[str, Any] = {"scenario": scenario.index, "seed": scenario.seed, "status": "ok", "error": None,
                           "outputs": {}}
    try:
        row["outputs"] = select_outputs(fn(ctx, scenario), ctx.outputs)
    except MissingOutput as exc:
        row.update(status="error", error=str(exc), error_kind="output")
    except InputError as exc:
        row.update(status="error", error="; ".join(str(p) for p in exc.problems) or "invalid input")
    except Exception as exc:  # a failed scenario is recorded; the sweep goes on
        row.update(status="error", error=f"{type(exc).__name__}: {exc}",
                   traceback="".join(traceback.format_exception(exc)[-6:]))
    row["elapsed_s"] = time.perf_counter() - t0
    return row


def run_scenarios(ctx: SweepContext, batch: list[Scenario], evaluator: Evaluator | None = None) -> list[dict[str, Any]]:
    """Several scenarios in one task (fewer round trips when scenarios are very short)."""
    return [run_scenario(ctx, s, evaluator) for s in batch]


# -- a stand-in evaluator -----------------------------------------------------------------------------
def synthetic_evaluate(ctx: SweepContext, scenario: Scenario) -> dict[str, Any]:
    """A cheap analytic stand-in for :func:`evaluate`, for tests and for timing the sweep machinery.

    Numeric inputs ``x`` give ``cell.sum`` (their sum), ``cost.product`` (their product) and
    ``line.noise`` (a normal draw from the scenario's seed, so executors must pass seeds through).
    An input ``synthetic.fail`` that is true raises ``ValueError``; ``synthetic.crash`` that is true
    ends a worker process abruptly (as an out-of-memory kill would; in the main process it raises
    instead); ``synthetic.work_s`` busy-waits that many seconds (a scenario's own time, without
    sleeping, so CPU contention is real).
    """
    import multiprocessing
    import os

    import numpy as np

    inputs = dict(scenario.inputs)
    work = float(inputs.pop("synthetic.work_s", 0.0) or 0.0)
    fail = inputs.pop("synthetic.fail", False)
    if inputs.pop("synthetic.crash", False):
        if multiprocessing.parent_process() is None:
            raise RuntimeError("synthetic.crash in the main process: not ending it")
        os._exit(3)
    if work > 0:
        end = time.perf_counter() + work
        acc = 0.0
        while time.perf_counter() < end:
            for i in range(1000):
                acc += i * 1e-9
    if fail:
        raise ValueError(f"scenario {scenario.index} was asked to fail (synthetic.fail)")
    nums = [float(v) for v in inputs.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    rng = np.random.default_rng(scenario.seed)
    return {
        "cell.sum": float(sum(nums)),
        "cost.product": float(np.prod(nums)) if nums else 1.0,
        "line.noise": float(rng.normal()),
        "cell.n_inputs": len(nums),
    }
