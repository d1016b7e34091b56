"""What a user writes about a sweep, validated: base files, parameters, design and outputs.

A sweep file (``recipes/sweeps/*.yaml``)::

    name: layers-film-indium
    recipe: ../insnbi-lco-pouch.yaml      # paths are relative to the sweep file
    line: ../lines/pilot.yaml             # needed only for line.* parameters or outputs
    seed: 20251125
    design: grid                          # grid | latin_hypercube | monte_carlo (with samples: N)
    parameters:
      sizing.layers: [1, 2, 5, 10, 20]                                   # a list of values
      cell.electrolyte_film.thickness_um: {low: 25, high: 55, steps: 4}  # a range
      materials.indium.price.base.value:                                 # a distribution
        {distribution: triangular, low: 240, mode: 350, high: 850, levels: 3}
    outputs: [cell.specific_energy_Wh_kg, cost.cost_per_kWh_usd]

Parameter paths say what they change, by their first part:

=====================  ===========================================================================
``materials.<id>...``  the materials library (``materials.indium.price.base.value``)
``line.<...>``         the line file, stations by name (``line.stations.stacking.machines``)
``sizing.<arg>``       the cell's size: ``layers``, ``capacity_Ah``, ``energy_Wh`` or ``format``
``simulation.<arg>``   the line simulation: ``days``, ``warmup_days``, ``replications``, ``use_cell``
``cost.<arg>``         the costing: ``prices`` (``low``/``base``/``high``), ``plant``, ``maturity``, ...
``cost_rates.<...>``   the cost-rates file, as written in it (``cost_rates.rates.labour_rate_usd_h``)
anything else          the recipe, as ``--set`` does (``cell.electrolyte_film.thickness_um``)
=====================  ===========================================================================

The sections ``sizing``, ``simulation`` and ``cost`` of the sweep file give the values every
scenario starts from; a parameter of the same path changes it per scenario.

A parameter is one of

* a list of values (``[1, 2, 5]``, ``{values: [...], weights: [...]}``) or a single fixed value;
* a range ``{low, high}`` with ``steps`` (points, ends included) or ``step`` (spacing) for the
  grid; random designs draw it uniformly;
* a distribution (``uniform``/``loguniform`` with ``low``/``high``, ``normal`` with ``mean``/``sd``,
  ``lognormal`` with ``median``/``sigma`` (of the log), ``triangular`` with ``low``/``mode``/``high``;
  ``normal`` and ``lognormal`` may be cut at ``low``/``high``). In a grid a distribution needs
  ``levels``: its quantiles at (k + 0.5)/levels. A grid may also give ``samples: N``: every grid
  point is then crossed with the same N draws of the distributions without levels, which is how
  a grid answers "how uncertain is each point".

``integer: true`` rounds a range or distribution to whole numbers (layer counts, machines).

Outputs are dotted names into the flat results of one scenario (``cell.*``, ``line.*``,
``cost.*``, see :mod:`pouchline.sweep.scenario`); shell patterns (``line.stations.*.utilisation``)
select several.

:func:`load_sweep` is the only function of :mod:`pouchline.sweep` that reads a sweep file.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from pouchline.errors import InputError
from pouchline.fileio import read_yaml, validate_model
from pouchline.line.defaults import DEFAULT_DAYS, DEFAULT_REPLICATIONS, DEFAULT_WARMUP_DAYS

#: First parts of a parameter path that do not address the recipe.
NAMESPACES = ("materials", "line", "sizing", "simulation", "cost", "cost_rates")
#: First parts of an output name: which calculation produces it.
OUTPUT_FAMILIES = ("cell", "line", "cost")
SIZING_ARGS = ("layers", "capacity_Ah", "energy_Wh", "format")
SIMULATION_ARGS = ("days", "warmup_days", "replications", "use_cell")
COST_ARGS = ("prices", "plant", "include_fixture", "convention", "maturity", "annual_volume_MWh")

DesignKind = Literal["grid", "latin_hypercube", "monte_carlo"]
_DESIGN_ALIASES = {
    "grid": "grid", "full_grid": "grid", "full-grid": "grid", "factorial": "grid",
    "latin_hypercube": "latin_hypercube", "latin-hypercube": "latin_hypercube", "lhs": "latin_hypercube",
    "monte_carlo": "monte_carlo", "monte-carlo": "monte_carlo", "mc": "monte_carlo", "random": "monte_carlo",
}
Distribution = Literal["uniform", "loguniform", "normal", "lognormal", "triangular"]

#: Fields that hold whole numbers: a range or distribution on them is rounded (integer: true).
INTEGER_FIELDS = ("layers", "machines", "batch_size", "buffer_capacity", "replications", "lot_size",
                  "days_per_week", "capacity", "setup_every_units", "zone_slots")

#: A sweep of more scenarios than this is refused (a typo such as ``step: 0.001`` would otherwise
#: hang), by ``validate`` as by ``sweep``, before any scenario list is built.
MAX_SCENARIOS = 1_000_000
#: Points one parameter may have in a grid (``steps``, ``levels``, or a range's ``step``).
MAX_LEVELS = 100_000
#: Scenarios x parameters: the values a design holds in memory at once (~100 bytes each).
MAX_DESIGN_VALUES = 10_000_000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _finite(v: float | None, what: str) -> float | None:
    if v is not None and not math.isfinite(v):
        raise ValueError(f"{v!r} is not allowed: {what} must be a finite number")
    return v


class Parameter(_Model):
    """How one input varies across the scenarios. See the module docstring for the forms."""

    values: list[Any] | None = None
    weights: list[float] | None = None
    low: float | None = None
    high: float | None = None
    steps: int | None = Field(default=None, ge=1, le=MAX_LEVELS)
    step: float | None = Field(default=None, gt=0)
    distribution: Distribution | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)
    median: float | None = Field(default=None, gt=0)
    sigma: float | None = Field(default=None, gt=0)
    mode: float | None = None
    levels: int | None = Field(default=None, ge=1, le=MAX_LEVELS)
    integer: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, list):
            return {"values": v}
        if not isinstance(v, dict):
            return {"values": [v]}  # a fixed value
        return v

    @model_validator(mode="after")
    def _one_form(self) -> "Parameter":
        for name in ("low", "high", "mean", "mode"):
            _finite(getattr(self, name), name)
        forms = [f for f, given in (("values", self.values is not None),
                                    ("distribution", self.distribution is not None)) if given]
        if self.distribution is None and (self.low is not None or self.high is not None):
            forms.append("range")
        if len(forms) != 1:
            raise ValueError("give exactly one of values: [...], a range {low, high} or a distribution "
                             f"{{distribution: ..., ...}}; got {' and '.join(forms) or 'none'}")
        kind = forms[0]
        if kind == "values":
            if not self.values:
                raise ValueError("values is an empty list; give at least one value")
            if self.weights is not None:
                if len(self.weights) != len(self.values):
                    raise ValueError(f"weights has {len(self.weights)} entries for {len(self.values)} values")
                if any(not math.isfinite(w) or w < 0 for w in self.weights) or sum(self.weights) <= 0:
                    raise ValueError("weights must be numbers >= 0 with a positive sum")
            extra = [k for k in ("low", "high", "steps", "step", "levels", "mean", "sd", "median", "sigma", "mode")
                     if getattr(self, k) is not None]
            if extra:
                raise ValueError(f"{', '.join(extra)} do(es) not apply to a list of values")
            return self
        if self.weights is not None:
            raise ValueError("weights apply only to a list of values")
        if kind == "range":
            if self.low is None or self.high is None:
                raise ValueError("a range needs both low and high")
            if self.high < self.low:
                raise ValueError(f"high {self.high:g} is below low {self.low:g}")
            if self.steps is not None and self.step is not None:
                raise ValueError("give steps (number of points) or step (spacing), not both")
            if self.levels is not None:
                raise ValueError("levels is for distributions; a range takes steps (points, ends included)")
            return self
        # a distribution
        if self.steps is not None or self.step is not None:
            raise ValueError("steps/step are for ranges; a distribution in a grid takes levels "
                             "(its quantiles at (k + 0.5)/levels)")
        d = self.distribution
        need = {"uniform": ("low", "high"), "loguniform": ("low", "high"), "normal": ("mean", "sd"),
                "lognormal": ("median", "sigma"), "triangular": ("low", "mode", "high")}[d]
        allowed = set(need) | ({"low", "high"} if d in ("normal", "lognormal") else set())
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {d} distribution needs {', '.join(need)}; missing {', '.join(missing)}")
        stray = [k for k in ("low", "high", "mean", "sd", "median", "sigma", "mode")
                 if getattr(self, k) is not None and k not in allowed]
        if stray:
            raise ValueError(f"{', '.join(stray)} do(es) not apply to a {d} distribution (it takes {', '.join(need)})")
        if self.low is not None and self.high is not None and self.high <= self.low:
            raise ValueError(f"high {self.high:g} must be above low {self.low:g}")
        if d == "loguniform" and self.low <= 0:
            raise ValueError(f"low {self.low:g} is not allowed: a loguniform distribution needs low > 0")
        if d == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode {self.mode:g} must lie between low {self.low:g} and high {self.high:g}")
        if d == "normal" and self.low is not None and self.high is not None and (
                self.high < self.mean - 8 * self.sd or self.low > self.mean + 8 * self.sd):
            raise ValueError(f"the cut [{self.low:g}, {self.high:g}] leaves no probability of the normal "
                             f"distribution (mean {self.mean:g}, sd {self.sd:g})")
        return self

    @property
    def kind(self) -> Literal["values", "range", "distribution"]:
        if self.values is not None:
            return "values"
        return "distribution" if self.distribution is not None else "range"

    @property
    def is_fixed(self) -> bool:
        return self.kind == "values" and len(self.values) == 1


class Design(_Model):
    """How scenarios are chosen: a full grid, a Latin hypercube or Monte Carlo with N samples."""

    kind: DesignKind = "grid"
    samples: int | None = Field(default=None, ge=1, le=MAX_SCENARIOS)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = {"kind": v}
        if isinstance(v, dict) and isinstance(v.get("kind"), str):
            kind = v["kind"].strip().lower()
            if kind not in _DESIGN_ALIASES:
                raise ValueError(f"{v['kind']!r} is not a design; use grid, latin_hypercube (lhs) or "
                                 "monte_carlo (mc)")
            v = {**v, "kind": _DESIGN_ALIASES[kind]}
        return v

    @model_validator(mode="after")
    def _samples(self) -> "Design":
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"a {self.kind} design needs samples: N (the number of scenarios)")
        return self


class Sizing(_Model):
    """What :func:`pouchline.cell.size_cell` is asked for (none given: the recipe's own size)."""

    layers: int | None = Field(default=None, ge=1)
    capacity_Ah: float | None = Field(default=None, gt=0)
    energy_Wh: float | None = Field(default=None, gt=0)
    format: str | None = None


class Simulation(_Model):
    """The line simulation behind ``line.*`` outputs. The run length defaults to the one every command
    shares (:mod:`pouchline.line.defaults`), so a scenario's figures are ``pouchline simulate``'s;
    a sweep of many scenarios usually states a shorter run (``simulation: {days: 14, replications: 1}``)."""

    days: float = Field(default=DEFAULT_DAYS, gt=0)
    warmup_days: float = Field(default=DEFAULT_WARMUP_DAYS, ge=0)
    replications: int = Field(default=DEFAULT_REPLICATIONS, ge=1)
    #: simulate the sized cell (its electrode area and energy) rather than the line file's own
    use_cell: bool = True


class Costing(_Model):
    """How :func:`pouchline.cost.cost_cell` costs each scenario's cell.

    ``plant``: ``default`` sizes a plant from the cost rates; ``line`` costs the sweep's line at its
    bottleneck rate (no simulation); ``simulated`` costs the line at its simulated throughput and
    yields (runs the simulation); ``auto`` is ``simulated`` when ``line.*`` outputs run the
    simulation anyway, ``line`` when the sweep has a line, else ``default``.
    """

    prices: Literal["low", "base", "high"] = "base"
    plant: Literal["auto", "default", "line", "simulated"] = "auto"
    include_fixture: bool = True
    convention: Literal["serial", "branch"] = "serial"
    maturity: Literal["pilot", "mature"] | None = None
    annual_volume_MWh: float | None = Field(default=None, gt=0)


class Sweep(_Model):
    """A sweep file, validated. Paths are absolute after :func:`load_sweep`."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    recipe: str | None = Field(default=None, description="base recipe; default recipes/insnbi-lco-pouch.yaml")
    line: str | None = Field(default=None, description="base line file, needed for line.* parameters or outputs")
    cost_rates: str | None = Field(default=None, description="cost rates; default recipes/cost-rates.yaml")
    seed: int = Field(default=0, ge=0, lt=2**63)
    design: Design = Field(default_factory=Design)
    parameters: dict[str, Parameter] = Field(min_length=1)
    outputs: list[str] = Field(min_length=1)
    sizing: Sizing = Field(default_factory=Sizing)
    simulation: Simulation = Field(default_factory=Simulation)
    cost: Costing = Field(default_factory=Costing)
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """The file the sweep was read from (its name when it was built from data)."""
        return self._source or self.name

    @field_validator("parameters", mode="before")
    @classmethod
    def _param_list(cls, v: Any) -> Any:
        # a list of {path: ..., ...} is accepted too
        if isinstance(v, list) and all(isinstance(i, dict) and "path" in i for i in v):
            return {i["path"]: {k: x for k, x in i.items() if k != "path"} for i in v}
        return v

    @field_validator("parameters", mode="after")
    @classmethod
    def _whole_numbers(cls, v: dict[str, Parameter]) -> dict[str, Parameter]:
        return {k: (p.model_copy(update={"integer": True})
                    if p.kind != "values" and k.rsplit(".", 1)[-1] in INTEGER_FIELDS and not p.integer else p)
                for k, p in v.items()}

    @field_validator("outputs", mode="before")
    @classmethod
    def _one_output(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _paths(self) -> "Sweep":
        problems: list[str] = []
        for path, p in self.parameters.items():
            head, _, rest = path.partition(".")
            if not head or any(not k for k in path.split(".")):
                problems.append(f"parameters: {path!r} is not a dotted path (e.g. cell.electrolyte_film.thickness_um)")
                continue
            for ns, args in (("sizing", SIZING_ARGS), ("simulation", SIMULATION_ARGS), ("cost", COST_ARGS)):
                if head == ns and rest not in args:
                    problems.append(f"parameters: {path!r} is not a {ns} setting; use one of "
                                    f"{', '.join(ns + '.' + a for a in args)}")
            if head in ("line", "materials", "cost_rates") and not rest:
                problems.append(f"parameters: {path!r} names a whole file; address a field in it")
            if head == "line" and self.line is None:
                problems.append(f"parameters: {path!r} changes the line, but the sweep names no line: file")
            if path == "cost.plant" and self.line is None and any(v in ("line", "simulated") for v in p.values or []):
                problems.append("parameters: cost.plant line or simulated needs a line: file in the sweep")
            if p.kind != "values" and path in ("sizing.format", "cost.prices", "cost.plant", "cost.convention",
                                                "cost.maturity", "cost.include_fixture", "simulation.use_cell"):
                problems.append(f"parameters: {path!r} takes a list of values, not a range or distribution")
        if self.design.kind == "grid":
            bare = [k for k, p in self.parameters.items() if p.kind == "distribution" and p.levels is None]
            if bare and self.design.samples is None:
                problems.append(f"parameters: {', '.join(bare)} are distributions without levels; a grid needs "
                                "levels: N for each, or design: {kind: grid, samples: N} to cross every grid "
                                "point with N draws")
            ranges = [k for k, p in self.parameters.items() if p.kind == "range" and p.steps is None and p.step is None
                      and p.low != p.high]
            if ranges:
                problems.append(f"parameters: {', '.join(ranges)} are ranges without steps or step; a grid needs "
                                "the points (steps: N, ends included, or step: spacing)")
        if self.cost.plant in ("line", "simulated") and self.line is None:
            problems.append(f"cost.plant: {self.cost.plant} needs a line: file in the sweep")
        seen: set[str] = set()
        for out in self.outputs:
            fam = out.partition(".")[0]
            if fam not in OUTPUT_FAMILIES or "." not in out:
                problems.append(f"outputs: {out!r} is not a result name; results start with "
                                f"{', '.join(f + '.' for f in OUTPUT_FAMILIES)} (e.g. cost.cost_per_kWh_usd)")
            if fam == "line" and self.line is None:
                problems.append(f"outputs: {out!r} is a line result, but the sweep names no line: file to simulate")
            if out in self.parameters:
                problems.append(f"outputs: {out!r} is also a parameter; a column cannot be both")
            if out in seen:
                problems.append(f"outputs: {out!r} is listed twice")
            seen.add(out)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- helpers -----------------------------------------------------------------------------
    @property
    def parameter_names(self) -> list[str]:
        return list(self.parameters)

    @property
    def output_families(self) -> set[str]:
        return {o.partition(".")[0] for o in self.outputs}

    @property
    def may_simulate(self) -> bool:
        """Whether any scenario runs the line simulation (line outputs, or costing a simulated line)."""
        plants = {self.cost.plant}
        if "cost.plant" in self.parameters:
            plants |= set(self.parameters["cost.plant"].values or [])
        return "line" in self.output_families or ("cost" in self.output_families and "simulated" in plants)

    def resolved(self, base_dir: Path) -> "Sweep":
        """This sweep with its file paths made absolute, relative to ``base_dir``."""

        def fix(p: str | None) -> str | None:
            if p is None:
                return None
            q = Path(os.path.expanduser(p))
            return str(q if q.is_absolute() else (base_dir / q).resolve())

        return self.model_copy(update={"recipe": fix(self.recipe), "line": fix(self.line),
                                       "cost_rates": fix(self.cost_rates)})


def sweep_from_data(data: Any, source: str = "sweep", *, base_dir: str | os.PathLike | None = None) -> Sweep:
    """Validate parsed YAML into a :class:`Sweep`, with paths relative to ``base_dir``.

    The number of scenarios is checked here, before any list of them is built, so ``validate``
    refuses what ``sweep`` would.
    """
    sweep = validate_model(Sweep, data, source)
    check_size(sweep, source)
    sweep = sweep.resolved(Path(base_dir) if base_dir is not None else Path.cwd())
    sweep._source = source
    problems = []
    for field, path in (("recipe", sweep.recipe), ("line", sweep.line), ("cost_rates", sweep.cost_rates)):
        if path is not None and not Path(path).is_file():
            problems.append((field, path))
    if problems:
        from pouchline.errors import Problem

        raise InputError([Problem(field=f, value=p, source=source, message=f"{p} does not exist (a path is relative "
                                  "to the sweep file)") for f, p in problems])
    return sweep


def check_size(sweep: Sweep, source: str = "sweep") -> int:
    """The number of scenarios, or an :class:`InputError` above :data:`MAX_SCENARIOS` (or
    :data:`MAX_DESIGN_VALUES` scenario x parameter values). Builds no scenario list."""
    from pouchline.sweep.designs import count_scenarios

    try:
        n = count_scenarios(sweep)
    except InputError as exc:
        raise exc.with_source(source) from None
    field = "parameters" if sweep.design.kind == "grid" else "design.samples"
    if n > MAX_SCENARIOS:
        raise InputError.single(source, field, f"the sweep has {n:,} scenarios; at most {MAX_SCENARIOS:,} (use fewer "
                                "steps or levels, or a latin_hypercube design with samples: N)")
    values = n * max(1, len(sweep.parameters))
    if values > MAX_DESIGN_VALUES:
        raise InputError.single(source, field, f"{n:,} scenarios x {len(sweep.parameters)} parameters = {values:,} "
                                f"values; at most {MAX_DESIGN_VALUES:,} (fewer scenarios or parameters)")
    return n


def load_sweep(path: str | os.PathLike) -> Sweep:
    """Read and validate a sweep file; its paths are resolved relative to the file."""
    data = read_yaml(path, what="sweep")
    return sweep_from_data(data, str(path), base_dir=Path(path).resolve().parent)
