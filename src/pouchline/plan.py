"""The planning package in one call: cell, line simulation, cost, sensitivity and material demand.

Pure orchestration over the library (no file I/O); :mod:`pouchline.export.plan_report` writes
the results to a folder, the CLI's ``plan`` command and the app call :func:`make_plan`.
Data flows one way: recipe -> cell -> line (with the cell's sheet area and material use per
unit) -> cost (with the simulated yields and throughput). When the planned cell (format, layers) or
the line's atmospheres differ from what the recipe's routing makes, the plan works on a draft
revision derived for them (:func:`pouchline.recipe.derive.derive_revision`), so its traveler is
for the planned cell.

What a reader sees first, computed here once for the README, ``summary.json``, the terminal and
the app:

* the fixture's go / no-go figures (:func:`pouchline.cell.fixture.fixture_headline`);
* one annual output (:func:`annual_output`): the simulated MWh/yr with what its interval covers,
  the on-paper figure ``pouchline cost --line`` uses without ``--simulate`` and why they differ,
  and the commands that give the same figure;
* the near-bottlenecks ranked with their line-limit capacity (:func:`ranked_bottlenecks`);
* every warning of the plan once, as structured items (:func:`collect_warnings`);
* the rows of those blocks as text through :mod:`pouchline.display` (:func:`headline_rows`,
  :func:`fixture_rows`, :func:`output_rows`, :func:`bottleneck_rows`).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

from pouchline.display import fmt_count, fmt_number, fmt_pct, fmt_quantity, fmt_usd
from pouchline.line.defaults import DEFAULT_DAYS, DEFAULT_REPLICATIONS, DEFAULT_SEED, DEFAULT_WARMUP_DAYS
from pouchline.materials import MaterialLibrary
from pouchline.recipe.document import Recipe

ProgressCallback = Callable[[float], None]

#: Severities of a plan warning, most serious first.
SEVERITIES = ("warning", "note")
#: A cell this many times larger or smaller than the line file's design cell is warned about.
CELL_MISMATCH_FACTOR = 2.0
#: Near-bottlenecks shown in the README, the terminal and the app.
TOP_BOTTLENECKS = 5


@dataclass(frozen=True)
class PlanWarning:
    """One warning of a plan: where it comes from, what it says, how serious, and what it names."""

    source: str  # atmosphere, recipe revision, simulation, buffers, traveler, cell vs line, supply, fixture, ...
    message: str
    severity: str = "warning"  # see SEVERITIES
    subjects: tuple[str, ...] = ()  # the stations, steps or elements it is about

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["subjects"] = list(self.subjects)
        return d

    def text(self) -> str:
        return f"{self.severity}: {self.source}: {self.message}"


@dataclass(frozen=True)
class PlanResult:
    """Everything one plan computes."""

    recipe: Recipe
    materials: MaterialLibrary
    cell: Any  # pouchline.cell.CellResult
    energy_vs_layers: pd.DataFrame
    line: Any | None  # pouchline.line.Line
    experiment: Any | None  # pouchline.line.ExperimentResult
    rates: Any  # pouchline.cost.CostRates
    prices: str
    cost: Any  # pouchline.cost.CostResult
    sensitivity: pd.DataFrame
    demand: Any | None = None  # pouchline.demand.DemandResult at the plan's volume
    derived: Any | None = None  # pouchline.recipe.derive.DerivedRevision: the revision made for this plan
    sizing: Any = None  # pouchline.plant.SizingResult when the line was sized for a target
    rampup: Any = None  # pouchline.plant.RampUpResult of the planned line from start of production
    fixture: Any = None  # pouchline.cell.fixture.FixtureHeadline
    paper_cost: Any = None  # pouchline.cost.CostResult of the line on paper (its bottleneck rate, no simulation)
    run: dict[str, Any] = field(default_factory=dict)  # days, warmup_days, replications, seed
    inputs: dict[str, Any] = field(default_factory=dict)  # recipe / line paths and cell options, for commands
    traveler_blockers: tuple[Any, ...] = ()  # pouchline.errors.Problem: why no sample traveler is printed
    warnings: tuple[PlanWarning, ...] = ()

    @property
    def base_recipe(self) -> Recipe:
        """The recipe the plan started from (the parent of a derived revision)."""
        return self.derived.parent if self.derived is not None else self.recipe

    def with_warnings(self, extra: Iterable[PlanWarning]) -> "PlanResult":
        """The plan with more warnings (e.g. the CLI's, about the output folder), de-duplicated."""
        return replace(self, warnings=tuple(_dedupe([*self.warnings, *extra])))

    def summary(self) -> dict[str, Any]:
        """The headline figures, with their units in the keys, and the plan's warnings."""
        c = self.cell
        out: dict[str, Any] = {
            "recipe_id": self.recipe.id,
            "recipe_revision": self.recipe.revision,
            "recipe_hash": self.recipe.hash,
            "layers": c.layers,
            "capacity_Ah": c.capacity_Ah,
            "energy_Wh": c.energy_Wh,
            "mass_g": c.mass_g,
            "specific_energy_Wh_kg": c.specific_energy_Wh_kg,
            "energy_density_Wh_L": c.energy_density_Wh_L,
            "stack_force_kN": c.stack_force_kN,
            "price_scenario": self.prices,
            "cost_per_cell_usd": self.cost.cost_per_cell_usd,
            "cost_per_kWh_usd": self.cost.cost_per_kWh_usd,
            "material_cost_per_kWh_usd": self.cost.material_cost_per_kWh_usd,
            "fixture_in_cost": bool(self.cost.include_fixture),
        }
        if self.fixture is not None:
            out["fixture"] = self.fixture.to_dict()
        if self.demand is not None:
            d = self.demand.to_dict()
            out["material_demand"] = {k: d[k] for k in (
                "GWh_per_yr", "good_cells_per_yr", "threshold_frac", "supply_risks", "tightest_element",
                "tightest_share_of_world_frac", "GWh_per_yr_at_world_output", "headline", "elements", "materials")}
        if self.experiment is not None:
            e = self.experiment.to_dict()
            out.update({
                "line": self.line.name if hasattr(self.line, "name") else "",
                "throughput_units_per_h": e.get("throughput_units_per_h"),
                "throughput_ci95_units_per_h": e.get("throughput_ci95_units_per_h"),
                "good_units_per_year": e.get("good_units_per_year"),
                "MWh_per_year": (e.get("good_units_per_year") or 0.0) * c.energy_Wh / 1e6,
                "yield_rty": e.get("yield_rty"),
                "bottleneck": e.get("bottleneck"),
                "bottleneck_why": e.get("bottleneck_why"),
                "bottlenecks": ranked_bottlenecks(self.experiment, c.energy_Wh),
                "annual_output": annual_output(self),
            })
        if self.rampup is not None:
            r = self.rampup
            out["rampup"] = {"months": len(r.months), "month_at_90pct": r.month_at_90pct,
                             "month_at_90pct_capacity_limit": r.month_at_90pct_capacity_limit,
                             "nameplate_good_cells_per_month": r.nameplate_good_cells_per_month,
                             "cumulative_good_cells": r.cumulative_good_cells,
                             "cumulative_materials_t": dict(r.cumulative_materials_t), "headline": r.headline(),
                             "approximation": r.approximation}
        out["warnings"] = [w.to_dict() for w in self.warnings]
        return out


def make_plan(
    recipe: Recipe,
    materials: MaterialLibrary,
    *,
    line: Any | None = None,
    layers: int | None = None,
    capacity_Ah: float | None = None,
    energy_Wh: float | None = None,
    format: str | None = None,
    footprint_mm: tuple[float, float] | None = None,
    formats: Any | None = None,
    days: float = DEFAULT_DAYS,
    warmup_days: float = DEFAULT_WARMUP_DAYS,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
    rates: Any | None = None,
    prices: str = "base",
    max_layers_chart: int = 40,
    progress: ProgressCallback | None = None,
    target_GWh: float | None = None,
    rampup_months: int | None = None,
    include_fixture: bool = False,
    module_cells: int | None = None,
    fixture_target_Wh_kg: float | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> PlanResult:
    """Size the cell, simulate the line (if given) and cost the cell.

    Run length defaults to the line simulation's shared defaults (:mod:`pouchline.line.defaults`),
    so a plan and ``pouchline simulate`` of the same line and cell give the same figures.
    ``target_GWh`` (instead of ``line``): size the plant for that many GWh/yr of good cells with
    :func:`pouchline.plant.size_plant` and plan on the sized, simulated line.
    ``progress`` receives the fraction of the simulation done (0-1). With a line, the plan also
    ramps it up from start of production (:func:`pouchline.plant.rampup.ramp_up`) for
    ``rampup_months`` (default :data:`~pouchline.plant.rampup.RAMP_MONTHS`; 0: no ramp-up), each
    month simulated for ``min(days, 365/12)`` days after ``warmup_days`` with ``replications``.
    ``include_fixture``: the fixture's cost is in $/cell (as ``pouchline cost --fixture``).
    ``module_cells`` and ``fixture_target_Wh_kg``: the module-level fixture of the fixture headline
    (defaults in :mod:`pouchline.cell.fixture`). ``inputs``: the file paths and cell options the
    plan was made from (``recipe``, ``line``, ``cell_args``), used only to write commands that
    reproduce its figures.
    """
    from pouchline.cell import energy_density_vs_layers, size_cell
    from pouchline.cost import cost_cell, load_rates, sensitivity

    cell = size_cell(recipe, materials, layers=layers, capacity_Ah=capacity_Ah, energy_Wh=energy_Wh, format=format,
                     footprint_mm=footprint_mm, formats=formats)
    from pouchline.recipe.derive import derive_revision, needs_revision

    experiment = None
    sizing = None
    if target_GWh is not None:
        # size first: the sized line's atmosphere (a dry room) is part of the revision derived below
        if line is not None:
            raise ValueError("give a line or a target volume (target_GWh), not both")
        from pouchline.line import Line
        from pouchline.plant import size_plant

        sizing = size_plant(recipe, materials, cell, target_GWh_per_yr=target_GWh, rates=rates, days=days,
                            warmup_days=warmup_days, replications=replications, seed=seed, workers=workers,
                            prices=prices)
        line = Line.from_data(sizing.line_data, sizing.line_data["name"])
        experiment = sizing.experiment
    derived = None
    if needs_revision(recipe, cell, line):
        derived = derive_revision(recipe, materials, cell, line=line)
        recipe = derived.recipe  # the same request on the derived revision is the same cell, with its fixture
        cell = size_cell(recipe, materials, layers=layers, capacity_Ah=capacity_Ah, energy_Wh=energy_Wh,
                         format=format, footprint_mm=footprint_mm, formats=formats)
    evl = energy_density_vs_layers(recipe, materials, layers=range(1, max_layers_chart + 1), format=format,
                                   footprint_mm=footprint_mm, formats=formats)
    if sizing is not None:
        pass  # simulated while sizing
    elif line is not None:
        from pouchline.line import run_experiment

        experiment = run_experiment(
            line, replications=replications, days=days, warmup_days=warmup_days, seed=seed, workers=workers,
            area_per_cell_cm2=cell.area_per_cell_cm2, materials_per_unit_g=cell.materials_by_step_g,
            cell_energy_Wh=cell.energy_Wh, progress=progress,
        )
    if rates is None:
        rates = load_rates()
    kw = dict(rates=rates, prices=prices, line=line, line_kpis=experiment, include_fixture=include_fixture)
    cost = cost_cell(recipe, materials, cell, **kw)
    sens = sensitivity(recipe, materials, cell, base=cost, **kw)
    paper_cost = None
    if line is not None and experiment is not None:
        # what `pouchline cost --line` gives without --simulate: the line's bottleneck rate on paper
        paper_cost = cost_cell(recipe, materials, cell, rates=rates, prices=prices, line=line,
                               include_fixture=include_fixture)
    from pouchline.demand import material_demand

    demand = material_demand(cost, materials)  # at the plan's volume: the line's (simulated) or the default plant's
    ramp = None
    if line is not None:
        from pouchline.plant.rampup import DAYS_PER_MONTH, RAMP_MONTHS, ramp_up

        months = RAMP_MONTHS if rampup_months is None else int(rampup_months)
        if months > 0:
            ramp = ramp_up(line, recipe, materials, cell, months=months, rates=rates, prices=prices,
                           days_per_month=min(float(days), DAYS_PER_MONTH), warmup_days=warmup_days,
                           replications=replications, seed=seed, workers=workers)
    headline = plan_fixture_headline(recipe, materials, cell, cost, module_cells=module_cells,
                                     target_Wh_kg=fixture_target_Wh_kg)
    from pouchline.export.traveler_model import traveler_blockers

    blockers = tuple(traveler_blockers(recipe, materials, cell))
    plan = PlanResult(recipe=recipe, materials=materials, cell=cell, energy_vs_layers=evl, line=line,
                      experiment=experiment, rates=rates, prices=prices, cost=cost, sensitivity=sens, demand=demand,
                      derived=derived, sizing=sizing, rampup=ramp, fixture=headline, paper_cost=paper_cost,
                      run={"days": float(days), "warmup_days": float(warmup_days), "replications": int(replications),
                           "seed": int(seed)},
                      inputs=dict(inputs or {}), traveler_blockers=blockers)
    return replace(plan, warnings=tuple(collect_warnings(plan)))


def plan_fixture_headline(recipe: Recipe, materials: MaterialLibrary, cell: Any, cost: Any | None = None, *,
                          module_cells: int | None = None, target_Wh_kg: float | None = None) -> Any:
    """The fixture headline (:func:`pouchline.cell.fixture.fixture_headline`) of a sized cell with the
    recipe's fixture design and plate steel; ``cost`` (a ``CostResult``) adds the fixture's cost per
    cell and the fixtures in circulation. What :func:`make_plan` and the app's Cell and Cost pages show."""
    from pouchline.cell.fixture import MODULE_CELLS_PER_FIXTURE, fixture_headline

    steel = materials.get(recipe.cell.fixture.plate_material)
    return fixture_headline(
        cell, recipe.cell.fixture, steel_density_g_cm3=steel.density_g_cm3,
        module_cells=MODULE_CELLS_PER_FIXTURE if module_cells is None else int(module_cells),
        target_Wh_kg=target_Wh_kg, cost_per_cell_usd=cost.fixture_cost_per_cell_usd if cost is not None else None,
        cost_in_cell_cost=bool(cost.include_fixture) if cost is not None else False,
        fixtures_in_circulation=cost.fixtures_in_circulation if cost is not None else None)


# ------------------------------------------------------------------------------------------------
# the line: ranked near-bottlenecks and one annual output
# ------------------------------------------------------------------------------------------------
def ranked_bottlenecks(experiment: Any, cell_energy_Wh: float | None = None, top: int = TOP_BOTTLENECKS
                       ) -> list[dict[str, Any]]:
    """The simulation's ranked near-bottlenecks (:attr:`ExperimentResult.bottlenecks`, ranked by the
    replications' votes, then active share), the first ``top``, each with its line-limit capacity
    in good cells/h and MWh/yr and whether it is within the 95 % confidence interval of the first.

    "Within" means the Student-t interval of the replications' paired differences of active share
    (busy + down + setup) between the first and this station contains 0, so the run cannot tell
    which of the two binds; with one replication, active shares within 1 point.
    """
    from pouchline.line.stats import mean_ci95

    rows = [dict(b) for b in experiment.bottlenecks[:top]]
    if not rows:
        return []
    results = experiment.results
    names = [s.name for s in experiment.stations]

    def active(name: str) -> list[float] | None:
        if name in names:
            i = names.index(name)
            return [r.stations[i].active_fraction for r in results]
        if name.startswith("zone:"):
            zn = [z.name for z in experiment.zones]
            if name[5:] in zn:
                k = zn.index(name[5:])
                return [r.zones[k].utilization or 0.0 for r in results]
        return None

    first = active(rows[0]["name"])
    sched_h = results[0].scheduled_hours_per_year if results else math.nan
    for k, row in enumerate(rows):
        lim = row.get("line_limit_good_units_per_h")
        row["line_limit_MWh_per_yr"] = (lim * sched_h * cell_energy_Wh / 1e6
                                        if lim is not None and cell_energy_Wh and math.isfinite(sched_h) else None)
        row["replications"] = len(results)
        if k == 0:
            row["within_ci_of_first"] = None
            continue
        other = active(row["name"])
        if first is None or other is None:
            row["within_ci_of_first"] = None
        elif len(results) < 2:
            row["within_ci_of_first"] = abs(rows[0]["active_fraction"] - row["active_fraction"]) < 0.01
        else:
            lo, hi = mean_ci95([a - b for a, b in zip(first, other)])
            row["within_ci_of_first"] = bool(lo <= 0.0 <= hi) if math.isfinite(lo) else None
    return rows


def bottleneck_sentence(rows: list[dict[str, Any]], line_path: str = "LINE") -> str:
    """What the ranking says: which station binds, and whether the next ones can be told apart from it."""
    if not rows:
        return "no bottleneck: the line was not simulated"
    top = rows[0]
    ties = [r["name"] for r in rows[1:] if r.get("within_ci_of_first")]
    reps = top.get("replications", 0)
    named = f"named in {top['votes_count']} of {reps} replication{'s' if reps != 1 else ''}"
    if ties:
        return (f"{top['name']} ({named}) and {', '.join(ties)} are within the 95 % confidence interval of each other: "
                f"either can bind; `pouchline simulate {line_path} --what-if '+1 {top['name']}'` shows which machine buys "
                "output")
    nxt = f"; the next, {rows[1]['name']}, is clearly less busy" if len(rows) > 1 else ""
    return f"{top['name']} binds ({named}){nxt}"


def _cli_number(x: float) -> str:
    """A number for a command line: the shortest positional text that reads back as the same float."""
    import numpy as np

    return np.format_float_positional(float(x), trim="-")


def fmt_range(lo: float, hi: float, unit: str = "", sig: int = 3) -> str:
    """``1.08 to 1.13 GWh``: an interval in one scaled unit when both ends share it."""
    a, b = fmt_quantity(lo, unit, sig), fmt_quantity(hi, unit, sig)
    ua, ub = a.partition(" ")[2], b.partition(" ")[2]
    return f"{a.partition(' ')[0]} to {b}" if ua == ub else f"{a} to {b}"


def annual_output(plan: PlanResult) -> dict[str, Any]:
    """One MWh/yr figure for the plan's line, what its interval covers, the on-paper figure of
    ``pouchline cost --line`` without ``--simulate`` and why it differs, and the commands that
    give the same simulated figure."""
    exp, cell = plan.experiment, plan.cell
    if exp is None:
        return {}
    e = cell.energy_Wh
    mwh = exp.good_units_per_year * e / 1e6
    lo, hi = exp.good_units_per_year_ci95
    ci = [lo * e / 1e6, hi * e / 1e6] if math.isfinite(lo) and math.isfinite(hi) else None
    run = plan.run or {"days": exp.days, "warmup_days": exp.warmup_days, "replications": exp.replications,
                       "seed": exp.seed}
    covers = (f"{exp.ci_method} of {fmt_number(run['days'])} days after {fmt_number(run['warmup_days'])} days of "
              f"warm-up (seed {run['seed']}): simulation noise only, not uncertainty in the line's or the recipe's "
              "figures")
    out: dict[str, Any] = {
        "MWh_per_yr": mwh, "MWh_per_yr_ci95": ci, "good_cells_per_yr": exp.good_units_per_year,
        "interval_covers": covers, "basis": "simulated", "run": dict(run),
        "cell_energy_Wh": e, "area_per_cell_cm2": cell.area_per_cell_cm2,
    }
    pc = plan.paper_cost
    if pc is not None:
        paper = pc.annual_MWh
        diff = (mwh - paper) / paper if paper else math.nan
        out.update({
            "on_paper_MWh_per_yr": paper,
            "on_paper_basis": pc.volume_basis,
            "simulated_vs_on_paper_frac": diff,
            "on_paper_why": ("stations block and starve each other, fail at random and wait for zones or carriers, "
                             "which the on-paper rate leaves out"),
        })
    line_path = plan.inputs.get("line")
    recipe_path = plan.inputs.get("recipe")
    cell_args = plan.inputs.get("cell_args") or ""
    runargs = (f"--days {_cli_number(run['days'])} --warmup-days {_cli_number(run['warmup_days'])} "
               f"--replications {run['replications']} --seed {run['seed']}")
    same: list[str] = []
    if line_path and plan.sizing is None:
        same.append(f"pouchline simulate {line_path} --area-per-cell-cm2 {_cli_number(cell.area_per_cell_cm2)} "
                    f"--cell-energy-wh {_cli_number(e)} {runargs}")
        if recipe_path:
            same.append(f"pouchline cost {recipe_path} --line {line_path} {cell_args} --simulate {runargs}"
                        .replace("  ", " "))
    out["same_figure_from"] = same
    if same:
        out["why_others_differ"] = (
            "`pouchline simulate LINE` alone simulates the line file's own design cell "
            f"({fmt_number(plan.line.cell_energy_Wh)} Wh, {fmt_number(plan.line.area_per_cell_cm2)} cm² of electrode), "
            "not this plan's; `cost --simulate` and `size` use their own run lengths unless given these"
            if getattr(plan.line, "cell_energy_Wh", None) and getattr(plan.line, "area_per_cell_cm2", None) else
            "other run lengths or seeds give other figures within the interval")
    return out


# ------------------------------------------------------------------------------------------------
# warnings, collected once
# ------------------------------------------------------------------------------------------------
def _dedupe(items: Iterable[PlanWarning]) -> list[PlanWarning]:
    seen: set[tuple[str, str]] = set()
    out: list[PlanWarning] = []
    for w in items:
        key = (w.source, w.message)
        if key not in seen:
            seen.add(key)
            out.append(w)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda w: order.get(w.severity, len(order)))  # stable: the order found within a severity


def _names(items: list[str], limit: int = 12) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def atmosphere_warnings(line: Any, recipe: Recipe, revised: Recipe | None = None) -> list[PlanWarning]:
    """Stations that run their steps in another atmosphere than ``recipe`` names, one warning per
    (zone, recipe atmosphere), naming the stations; says whether ``revised`` (a revision derived
    for the line) resolves them."""
    from pouchline.line.model import atmosphere_deviations

    zones = getattr(line, "zones", None) or {}
    groups: dict[tuple[str, str], list[str]] = {}
    for st in line.stations:
        if not atmosphere_deviations(line.model_copy(update={"stations": [st]}), recipe):
            continue
        zone = zones.get(st.zone) if st.zone else None
        where = f"zone {st.zone!r} ({getattr(zone, 'kind', '')})" if zone is not None else "no protective zone"
        atm = recipe.atmosphere(recipe.step(st.step).atmosphere).describe()
        groups.setdefault((where, atm), []).append(st.name)
    still = set()
    if revised is not None:
        for st in line.stations:
            if atmosphere_deviations(line.model_copy(update={"stations": [st]}), revised):
                still.add(st.name)
    out = []
    for (where, atm), stations in groups.items():
        n = len(stations)
        text = (f"{n} station{'s' if n != 1 else ''} ({_names(stations)}) run{'s' if n == 1 else ''} "
                f"{'its step' if n == 1 else 'their steps'} in {where}; rev {recipe.revision} names {atm}")
        if revised is not None and not (set(stations) & still):
            text += (f". Rev {revised.revision}, derived for this plan, names the line's atmosphere with an open-time "
                     "limit: a draft to review and approve before production")
        else:
            text += ": a deviation that needs a recipe revision before production"
        out.append(PlanWarning("atmosphere", text, "warning", tuple(stations)))
    return out


_BUFFER_NOTE = re.compile(r"^(?P<st>\S+): input buffer(?P<of>.*?) raised from (?P<a>[\d.]+) to (?P<b>[\d.]+) units")


def simulation_warnings(experiment: Any) -> list[PlanWarning]:
    """The simulation's warnings (warm-up check, exposure limits, carriers, intervals) and its notes,
    with buffer adjustments gathered into one item."""
    out = [PlanWarning("simulation", w, "warning") for w in experiment.warnings]
    buffers: list[tuple[str, str]] = []
    for note in experiment.notes:
        m = _BUFFER_NOTE.match(note)
        if m:
            buffers.append((m["st"], f"{m['st']}{m['of']} {fmt_number(float(m['a']))} → {fmt_number(float(m['b']))}"))
        else:
            out.append(PlanWarning("simulation", note, "note"))
    if buffers:
        out.append(PlanWarning(
            "buffers", f"input buffers raised to the least that holds a job of the feeder and of the station without "
            f"deadlock (lots and whole batches): {_names([b for _, b in buffers], 8)} units; the line file's buffers "
            "are smaller than its lot and batch sizes need", "note", tuple(dict.fromkeys(s for s, _ in buffers))))
    return out


def cell_vs_line_warnings(cell: Any, line: Any) -> list[PlanWarning]:
    """The planned cell against the line file's design cell (``cell_energy_Wh``, ``area_per_cell_cm2``):
    a warning when either is more than :data:`CELL_MISMATCH_FACTOR` times off."""
    out = []
    for what, have, want, unit in (("energy", cell.energy_Wh, getattr(line, "cell_energy_Wh", None), "Wh"),
                                   ("electrode area", cell.area_per_cell_cm2, getattr(line, "area_per_cell_cm2", None),
                                    "cm²")):
        if not want or not have:
            continue
        ratio = have / want
        if ratio > CELL_MISMATCH_FACTOR or ratio < 1.0 / CELL_MISMATCH_FACTOR:
            out.append(PlanWarning(
                "cell vs line",
                f"the planned cell's {what} ({fmt_number(have)} {unit}) is {fmt_number(ratio)} x the {fmt_number(want)} "
                f"{unit} of line {line.name}'s design cell: the line is sized for another product (its per-cell "
                "stations, buffers and zone limits were set for its own cell); plan the cell the line is meant for, or "
                "size a line for this one (pouchline size)", "warning", (what,)))
    return out


def line_fixture_pool(line: Any) -> tuple[str, int] | None:
    """The line's pressure-fixture pool, ``(pool id, cells per fixture)``: the carrier pool that starts
    at a clamping station; None when the line has none."""
    stations = {st.name: st for st in getattr(line, "stations", ())}
    for cid, pool in (getattr(line, "carriers", None) or {}).items():
        st = stations.get(pool.from_station)
        if st is not None and "clamp" in f"{st.name} {st.step}":
            return cid, int(pool.units_per_carrier)
    return None


def fixture_pool_warnings(cell: Any, line: Any) -> list[PlanWarning]:
    """A line whose fixture pool (carriers from a clamping station) holds a different number of cells
    per fixture than the cell's fixture design: the fixture mass, cost per cell and plates the plan
    reports are the design's, while the plant buys the pool's count at the design's price."""
    k = int(getattr(getattr(cell, "fixture", None), "cells_per_fixture", 1) or 1)
    out = []
    stations = {st.name: st for st in getattr(line, "stations", ())}
    for cid, pool in (getattr(line, "carriers", None) or {}).items():
        st = stations.get(pool.from_station)
        if st is None or "clamp" not in f"{st.name} {st.step}":
            continue
        if pool.units_per_carrier != k:
            out.append(PlanWarning(
                "fixture", f"the line's fixture pool '{cid}' holds {pool.units_per_carrier} cells per fixture, the "
                f"cell's fixture design {k}: the fixture mass, cost per cell and plates of this plan are for {k} "
                f"cell(s) per fixture, and the plant's fixture capex prices the pool's {fmt_count(pool.count)} fixtures "
                f"at that design. Plan with --cells-per-fixture {pool.units_per_carrier} to plan the fixture the line "
                "uses, or change the line's units_per_carrier", "warning", (cid, pool.from_station)))
    return out


def collect_warnings(plan: PlanResult, extra: Iterable[PlanWarning] = ()) -> list[PlanWarning]:
    """Every warning of a plan once, most serious first, as structured items (source, message,
    severity, subjects): atmosphere deviations (one item per zone, naming the stations), the
    derived revision's notes, the simulation's warm-up check and other warnings, buffer
    adjustments, a format the routing does not punch (no traveler), a cell far from the line's
    design cell, supply risks, the fixture's no-go and its bolt warnings, a cell over its
    thickness limit, near-bottlenecks that cannot be told apart, a ramp-up that does not reach 90 %
    of nameplate. The README's Warnings section, ``summary.json``, the terminal and the app show
    this list."""
    items: list[PlanWarning] = []
    cell = plan.cell
    if plan.line is not None:
        items += atmosphere_warnings(plan.line, plan.base_recipe, plan.recipe if plan.derived is not None else None)
    if plan.derived is not None:
        items += [PlanWarning("recipe revision", f"rev {plan.recipe.revision}: {n}", "warning") for n in plan.derived.notes]
    if plan.experiment is not None:
        items += simulation_warnings(plan.experiment)
    if plan.line is not None and plan.sizing is None:
        items += cell_vs_line_warnings(cell, plan.line)
    if plan.traveler_blockers:
        items.append(PlanWarning(
            "traveler", "no sample traveler: the recipe revision cannot make the planned cell, so a route card would "
            "tell the floor to make a different one: " + "; ".join(f"{p.field}: {p.message}" for p in plan.traveler_blockers),
            "warning", tuple(p.field for p in plan.traveler_blockers)))
    if plan.line is not None:
        items += fixture_pool_warnings(cell, plan.line)
    fx = plan.fixture
    if fx is not None and not fx.go:
        items.append(PlanWarning("fixture", fx.verdict, "warning"))
    for note in getattr(cell.fixture, "notes", []) or []:
        if note.startswith("WARNING:"):
            items.append(PlanWarning("fixture", note[len("WARNING:"):].strip(), "warning"))
    if not getattr(cell, "within_thickness_limit", True):
        items.append(PlanWarning("cell", f"the cell is {fmt_number(cell.dimensions_mm['thickness'])} mm thick, over the "
                                 f"{fmt_number(cell.max_thickness_mm)} mm limit of its packaging", "warning"))
    d = plan.demand
    if d is not None and d.supply_risks:
        risks = d.elements[d.elements["supply_risk"]]
        items.append(PlanWarning(
            "supply", f"at {fmt_number(d.GWh_per_yr)} GWh/yr the plan takes "
            + ", ".join(f"{r.element} {fmt_pct(r.share_of_world_frac)}" for r in risks.itertuples())
            + f" of world output (over {fmt_pct(d.threshold_frac)}); the world's whole output of the tightest would make "
            f"{fmt_number(d.GWh_per_yr_at_world_output)} GWh/yr of this cell", "warning", tuple(d.supply_risks)))
    if plan.experiment is not None:
        rows = ranked_bottlenecks(plan.experiment, cell.energy_Wh)
        ties = [r["name"] for r in rows[1:] if r.get("within_ci_of_first")]
        if ties:
            items.append(PlanWarning("bottleneck", bottleneck_sentence(rows, plan.inputs.get("line") or "LINE"), "note",
                                     (rows[0]["name"], *ties)))
    r = plan.rampup
    if r is not None and r.month_at_90pct is None:
        items.append(PlanWarning("ramp-up", f"the line does not reach 90 % of nameplate within {len(r.months)} months",
                                 "warning"))
    return _dedupe([*items, *extra])


# ------------------------------------------------------------------------------------------------
# the headline blocks as text rows (README, terminal, app)
# ------------------------------------------------------------------------------------------------
def headline_rows(plan: PlanResult) -> list[tuple[str, str]]:
    """(label, value) rows of the cell and its cost."""
    c, cost = plan.cell, plan.cost
    fx = plan.fixture
    if cost.include_fixture:
        fixture_note = "with the fixture's share (--fixture)"
    elif fx is not None and fx.cost_per_cell_usd:
        fixture_note = f"without the fixture: --fixture adds {fmt_usd(fx.cost_per_cell_usd)}/cell"
    else:
        fixture_note = "without the fixture"
    return [
        ("Layers", f"{c.layers}"),
        ("Capacity", fmt_quantity(c.capacity_Ah, "Ah")),
        ("Energy", fmt_quantity(c.energy_Wh, "Wh")),
        ("Cell mass", fmt_quantity(c.mass_g, "g")),
        ("Cell specific energy", f"{fmt_number(c.specific_energy_Wh_kg)} Wh/kg"),
        ("Cell energy density", f"{fmt_number(c.energy_density_Wh_L)} Wh/L"),
        (f"Cost ({plan.prices} prices)", f"{fmt_usd(cost.cost_per_cell_usd)}/cell, "
                                         f"{fmt_usd(cost.cost_per_kWh_usd, per='kWh')} ({fixture_note})"),
        ("Material cost", fmt_usd(cost.material_cost_per_kWh_usd, per="kWh")),
    ]


def fixture_rows(plan: PlanResult) -> list[tuple[str, str]]:
    """(label, value) rows of the fixture headline: what decides go or no-go."""
    if plan.fixture is None:
        return []
    return fixture_headline_rows(plan.fixture, plan.cell, plan.cost)


def fixture_headline_rows(h: Any, c: Any, cost_result: Any | None = None) -> list[tuple[str, str]]:
    """(label, value) rows of a fixture headline ``h`` of cell ``c``; ``cost_result`` (the cell's
    ``CostResult``) relates the fixture's cost to the cell's. Without it (or when ``h`` has no
    cost) the cost row says it is not costed here."""
    from pouchline.cell.fixture import pressure_text

    k = h.cells_per_fixture
    cells = f"{k} cell{'s' if k != 1 else ''} per fixture"
    if h.cost_per_cell_usd is None or cost_result is None:
        cost = "not costed here (the Cost page and `pouchline cost` give it)"
    elif h.cost_in_cell_cost:
        cost = f"{fmt_usd(h.cost_per_cell_usd)}/cell, included in the cost above (--fixture)"
    else:
        cost = (f"{fmt_usd(h.cost_per_cell_usd)}/cell if each cell shipped in its share of a fixture "
                f"({fmt_number(h.cost_per_cell_usd / cost_result.cost_per_cell_usd)} x the cell's cost; --fixture puts it "
                "in $/cell)")
        if h.fixtures_in_circulation:
            cost += (f"; in the plant {fmt_count(h.fixtures_in_circulation)} fixtures circulate through clamping and "
                     f"formation ({fmt_usd(cost_result.investment_usd.get('fixtures_usd', 0.0))} of capex, in depreciation)")
    rows = [
        ("Stack pressure and clamp force", f"{fmt_number(h.pressure_MPa)} MPa on {fmt_number(c.electrode_area_cm2)} cm² "
                                           f"of electrode: {fmt_quantity(h.force_kN, 'kN')}"),
        ("Fixture", f"2 steel end plates {fmt_number(h.plate_thickness_mm)} mm thick ({h.governs} limit governs), "
                    f"{h.bolts} bolts; {cells}"),
        ("Fixture mass", f"{fmt_quantity(h.mass_g, 'g')} per fixture, {fmt_quantity(h.mass_per_cell_g, 'g')} per cell "
                         f"({fmt_number(h.mass_per_cell_g / h.cell_mass_g)} x the cell's {fmt_quantity(h.cell_mass_g, 'g')})"),
        ("Fixture cost", cost),
        ("Cell with its fixture", f"{fmt_number(h.with_fixture_Wh_kg)} Wh/kg, {fmt_number(h.with_fixture_Wh_L)} Wh/L "
                                  f"(the cell alone: {fmt_number(h.cell_Wh_kg)} Wh/kg, {fmt_number(h.cell_Wh_L)} Wh/L)"),
        (f"Module of {h.module_cells} cells in one fixture",
         f"{fmt_number(h.module_Wh_kg)} Wh/kg, {fmt_number(h.module_Wh_L)} Wh/L at {fmt_number(h.pressure_MPa)} MPa "
         f"(fixture {fmt_quantity(h.module_mass_g, 'g')})"),
    ]
    p = h.pressure_for_target_MPa
    if p is None:
        need = f"not reachable: the cell alone makes {fmt_number(h.cell_Wh_kg)} Wh/kg"
    else:
        need = (f"{pressure_text(p)} or less (plates {fmt_number(h.target_plate_thickness_mm)} mm, "
                f"{h.target_governs} limit); the paper's cell reached full capacity at "
                f"{fmt_number(h.paper_min_pressure_MPa)} MPa (Liu2025 Fig. 4c)")
    rows.append((f"Stack pressure for a module at {fmt_number(h.target_Wh_kg)} Wh/kg", need))
    return rows


def output_rows(plan: PlanResult) -> list[tuple[str, str]]:
    """(label, value) rows of the line's one annual output and its throughput."""
    exp = plan.experiment
    if exp is None:
        return []
    a = annual_output(plan)
    ci = a.get("MWh_per_yr_ci95")
    lo, hi = exp.throughput_ci95_units_per_h
    rows = [
        ("Line", f"{getattr(plan.line, 'name', '')}" + (" (sized for the target)" if plan.sizing is not None else "")),
        ("Annual output (simulated)", f"{fmt_quantity(a['MWh_per_yr'], 'MWh')}/yr"
         + (f" (95 % CI {fmt_range(ci[0], ci[1], 'MWh')}/yr)" if ci else "")
         + f", {fmt_count(a['good_cells_per_yr'])} good cells/yr"),
        ("The interval covers", a["interval_covers"]),
        ("Throughput", f"{fmt_number(exp.throughput_units_per_h, 4)} good cells/h"
         + (f" (95 % CI {fmt_number(lo, 4)} to {fmt_number(hi, 4)})" if math.isfinite(lo) and math.isfinite(hi) else "")),
        ("Rolled throughput yield", fmt_pct(exp.yield_rty)),
    ]
    if "on_paper_MWh_per_yr" in a:
        diff = a["simulated_vs_on_paper_frac"]
        rows.append(("On paper", f"{fmt_quantity(a['on_paper_MWh_per_yr'], 'MWh')}/yr ({a['on_paper_basis']}): what "
                     "`pouchline cost --line` spreads its costs over without `--simulate`; the simulated figure is "
                     f"{fmt_pct(abs(diff))} {'lower' if diff < 0 else 'higher'}: {a['on_paper_why']}"))
    for cmd in a.get("same_figure_from", []):
        rows.append(("Same figure from", f"`{cmd}`"))
    if a.get("why_others_differ"):
        rows.append(("Other figures", a["why_others_differ"]))
    return rows


def bottleneck_rows(plan: PlanResult) -> list[dict[str, str]]:
    """The ranked near-bottlenecks as text cells (rank, station, active share, line limit, as MWh/yr, votes)."""
    if plan.experiment is None:
        return []
    return bottleneck_table(plan.experiment, plan.cell.energy_Wh)


def bottleneck_table(experiment: Any, cell_energy_Wh: float | None) -> list[dict[str, str]]:
    """:func:`bottleneck_rows` of a simulation on its own (the app's Line page)."""
    out = []
    for r in ranked_bottlenecks(experiment, cell_energy_Wh):
        lo, hi = r.get("active_ci95") or (math.nan, math.nan)
        ok = lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi)
        # a share lies in 0-100 %: a Student-t interval of few replications may reach past it
        ci = f" ({fmt_pct(max(lo, 0.0))} to {fmt_pct(min(hi, 1.0))})" if ok else ""
        lim = r.get("line_limit_good_units_per_h")
        tie = r.get("within_ci_of_first")
        out.append({
            "rank": str(r["rank"]), "station": r["name"], "active (95 % CI)": f"{fmt_pct(r['active_fraction'])}{ci}",
            "line-limit capacity": f"{fmt_number(lim, 4)} good cells/h" if lim is not None else "–",
            "as MWh/yr": f"{fmt_quantity(r['line_limit_MWh_per_yr'], 'MWh')}/yr" if r.get("line_limit_MWh_per_yr") else "–",
            "named in": f"{r['votes_count']} of {r['replications']}",
            "within CI of #1": "–" if tie is None else ("yes" if tie else "no"),
        })
    return out


__all__ = ["CELL_MISMATCH_FACTOR", "PlanResult", "PlanWarning", "SEVERITIES", "TOP_BOTTLENECKS", "annual_output",
           "atmosphere_warnings", "bottleneck_rows", "bottleneck_table", "fixture_headline_rows", "plan_fixture_headline", "bottleneck_sentence", "cell_vs_line_warnings", "collect_warnings",
           "fixture_rows", "fmt_range", "headline_rows", "make_plan", "output_rows", "ranked_bottlenecks", "simulation_warnings"]
