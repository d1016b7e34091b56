"""Size a plant for a target volume: machines per station on paper, then simulate and add capacity
at the bottleneck until the lower 95 % bound of the simulated output meets the target.

::

    res = size_plant(recipe, materials, cell, target_GWh_per_yr=1.0)
    res.row()          # cells/yr, MWh/yr, machines, capex, floor, operators, electricity, $/kWh, bottleneck
    res.table()        # per station: machines, utilisation, capex, footprint, operators (pandas)
    res.line_yaml()    # a valid line file whose header says how it was sized

1. :func:`pouchline.plant.design.design_plant`: machines per station from the target (good
   output inflated by the scrap on each station's own route: its branch and the assembly, as the
   line graph charges it), buffers that ride out a mean repair of a feeding station, zones
   (dry-room area from footprints, gloveboxes); :func:`~pouchline.plant.design.line_data` makes it
   a line graph (branches merging at stacking) with CONWIP caps and a fixture pool by Little's law
   at the target and the dry room's exposure limit.
2. :func:`pouchline.line.run_experiment` on that line (``replications`` independent seeds, the
   sizing run length of :mod:`pouchline.line.defaults`).
3. While the lower end of the 95 % confidence interval of the simulated MWh/yr is below the
   target: one more machine at the bottleneck, simulate again (each iteration is logged). The
   bottleneck is the station most replications name (the experiment's ranked list); when they
   split their votes, :func:`pouchline.line.what_if` simulates one more machine at each named
   station (common random numbers) and the machine goes where it gains most.
4. Cost the sized line at its simulated output and yields (:func:`pouchline.cost.cost_cell`): its
   fixtures in circulation are the line's pool.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from pouchline.equipment import Catalogue, default_catalogue
from pouchline.fileio import jsonable
from pouchline.line.model import MAX_JOB_H
from pouchline.line.defaults import DEFAULT_SEED, SIZING_DAYS, SIZING_REPLICATIONS, SIZING_WARMUP_DAYS
from pouchline.plant.design import PlantDesign, design_plant, line_data

ProgressCallback = Callable[[str], None]

#: Most iterations of "add a machine at the bottleneck" before giving up (and saying so).
MAX_ITERATIONS = 40
#: A bottleneck named by fewer than this share of the replications is checked by what-ifs against the
#: other stations the replications named (at most :data:`WHAT_IF_CANDIDATES` of them).
WHAT_IF_BELOW_VOTES = 0.8
WHAT_IF_CANDIDATES = 3


@dataclass(frozen=True)
class StationSizing:
    """One row of the sizing table."""

    station: str
    step: str
    machine_id: str
    machine_class: str
    machines: int
    machines_on_paper: int  # before simulation
    utilization_planned: float  # units started per hour / capacity (with availability), on paper
    utilization_simulated: float | None  # busy share of scheduled machine time in the simulation
    capex_usd: float  # machines incl. glovebox or dry-room share
    footprint_m2: float  # machines x footprint (without aisles)
    operators_per_shift: float
    power_kW: float
    zone: str | None
    why: str


@dataclass(frozen=True)
class SizingResult:
    """A sized plant: the line, how it was sized, its simulated output and its cost."""

    recipe_id: str
    target_GWh_per_yr: float
    machine_class: str
    maturity: str
    layers: int
    capacity_Ah: float
    energy_Wh: float
    cells_per_yr: float  # good cells, simulated mean
    MWh_per_yr: float  # simulated mean
    MWh_per_yr_ci95: tuple[float, float]
    met: bool  # lower 95 % bound >= target
    stations: tuple[StationSizing, ...]
    equipment_capex_usd: float
    floor_m2: float
    dry_room_m2: float
    gloveboxes: int
    operators_per_shift: float
    labour_h_per_yr: float
    electricity_MWh_per_yr: float
    cost_per_cell_usd: float
    cost_per_kWh_usd: float
    material_cost_per_cell_usd: float
    material_cost_per_kWh_usd: float
    process_cost_per_cell_usd: float
    process_cost_per_kWh_usd: float
    price_per_kWh_usd: float
    bottleneck: str
    bottleneck_why: str
    iterations: tuple[str, ...]
    simulation: dict[str, Any]  # days, warm-up, replications, seed, throughput and its CI
    line_data: dict[str, Any]
    design: PlantDesign = field(repr=False)
    cost: Any = field(repr=False)  # pouchline.cost.CostResult
    experiment: Any = field(repr=False)  # pouchline.line.ExperimentResult
    fixtures: int = 0  # 30 MPa fixtures in circulation: the line's pool, as the cost pays for it
    fixture_capex_usd: float = 0.0

    @property
    def machines(self) -> int:
        return sum(s.machines for s in self.stations)

    @property
    def capex_per_GWh_usd(self) -> float:
        """Equipment capex per GWh/yr of simulated output."""
        return self.equipment_capex_usd / (self.MWh_per_yr / 1000.0) if self.MWh_per_yr > 0 else math.nan

    def row(self) -> dict[str, Any]:
        """One row of a scale-up table (units in the keys)."""
        return {
            "target_GWh_per_yr": self.target_GWh_per_yr,
            "cells_per_yr": self.cells_per_yr,
            "MWh_per_yr": self.MWh_per_yr,
            "MWh_per_yr_lower95": self.MWh_per_yr_ci95[0],
            "met": self.met,
            "machines": self.machines,
            "machines_per_station": {s.station: s.machines for s in self.stations},
            "equipment_capex_usd": self.equipment_capex_usd,
            "capex_per_GWh_usd": self.capex_per_GWh_usd,
            "fixtures": self.fixtures,
            "fixture_capex_usd": self.fixture_capex_usd,
            "floor_m2": self.floor_m2,
            "dry_room_m2": self.dry_room_m2,
            "gloveboxes": self.gloveboxes,
            "operators_per_shift": self.operators_per_shift,
            "labour_h_per_yr": self.labour_h_per_yr,
            "electricity_MWh_per_yr": self.electricity_MWh_per_yr,
            "cost_per_cell_usd": self.cost_per_cell_usd,
            "material_cost_per_cell_usd": self.material_cost_per_cell_usd,
            "process_cost_per_cell_usd": self.process_cost_per_cell_usd,
            "cost_per_kWh_usd": self.cost_per_kWh_usd,
            "material_cost_per_kWh_usd": self.material_cost_per_kWh_usd,
            "process_cost_per_kWh_usd": self.process_cost_per_kWh_usd,
            "price_per_kWh_usd": self.price_per_kWh_usd,
            "bottleneck": self.bottleneck,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (what ``pouchline size --json`` prints)."""
        return jsonable({
            "recipe": self.recipe_id,
            "cell": {"layers": self.layers, "capacity_Ah": self.capacity_Ah, "energy_Wh": self.energy_Wh},
            "machine_class": self.machine_class,
            "maturity": self.maturity,
            **self.row(),
            "MWh_per_yr_ci95": list(self.MWh_per_yr_ci95),
            "bottleneck_why": self.bottleneck_why,
            "cost_basis": (f"the simulated output ({self.MWh_per_yr:,.1f} MWh/yr), as `pouchline cost --annual-MWh "
                           f"{self.target_GWh_per_yr * 1000:g} --simulate`; without --simulate `cost` costs the plant "
                           "sized on paper at the target"),
            "stations": [asdict(s) for s in self.stations],
            "iterations": list(self.iterations),
            "simulation": dict(self.simulation),
        })

    def table(self):
        """The sizing table (pandas), one row per station."""
        import pandas as pd

        return pd.DataFrame([{
            "station": s.station, "machine": s.machine_id, "machines": s.machines,
            "util_planned": s.utilization_planned, "util_sim": s.utilization_simulated,
            "capex_MUSD": s.capex_usd / 1e6, "footprint_m2": s.footprint_m2, "operators_per_shift": s.operators_per_shift,
        } for s in self.stations]).set_index("station")

    def header(self) -> str:
        """The comment that heads the written line file: how the line was sized."""
        sim = self.simulation
        lines = [
            f"Line sized by `pouchline size` for {self.target_GWh_per_yr:g} GWh/yr of good cells of recipe "
            f"{self.recipe_id}: {self.layers} layers, {self.capacity_Ah:.4g} Ah, {self.energy_Wh:.4g} Wh per cell.",
            f"Machines: {self.machine_class} class of recipes/equipment.yaml; {self.maturity} yields; calendar of the "
            "cost rates' plant.",
            "1. On paper, machines = ceil(units started per hour / units per machine-hour at MTBF/(MTBF+MTTR)); units "
            "started = good cells/h x 1 / product of the yields on the station's own route (its branch and the assembly "
            "after the merge at stacking); mills take ceil(passes / stands) visits; input buffers ride out a mean repair "
            "of a feeding station plus one batch each side. The stations form a graph (feeds): the anode, SE film and "
            "cathode branches merge at stacking. CONWIP caps per branch and the fixture pool are Little's law at the "
            "target with a margin (their sources say how); the dry room takes the catalogue's exposure limit.",
            f"2. Simulated {sim['days']:g} days after {sim['warmup_days']:g} warm-up days x {sim['replications']} "
            f"replications (seed {sim['seed']}, lots of {sim.get('lot_size', '-')} units; no machine takes a job of "
            f"several batches lasting over {MAX_JOB_H:g} h), adding one machine at the simulated bottleneck (most replications' "
            "votes; a what-if on each voted station when they split) while the lower 95 % bound of MWh/yr was below "
            "the target:",
        ]
        lines += [f"   {it}" for it in self.iterations]
        lines.append(f"Result: {self.MWh_per_yr:,.0f} MWh/yr (95 % CI {self.MWh_per_yr_ci95[0]:,.0f}-"
                     f"{self.MWh_per_yr_ci95[1]:,.0f}), target {'met' if self.met else 'NOT met'}; "
                     f"bottleneck {self.bottleneck}.")
        lines.append(f"Equipment capex {self.equipment_capex_usd / 1e6:,.1f} MUSD and {self.fixtures:,} fixtures "
                     f"({self.fixture_capex_usd / 1e6:,.1f} MUSD); {self.operators_per_shift:,.1f} operators per shift; "
                     f"floor {self.floor_m2:,.0f} m2 (dry room {self.dry_room_m2:,.0f} m2).")
        lines.append("Station order is route order; feeds: gives the graph.")
        lines += ["", "Per station, how the machine count was found:"]
        for s in self.stations:
            lines.append(f"  {s.station}: {s.machine_id} x {s.machines}"
                         + (f" ({s.machines_on_paper} on paper)" if s.machines != s.machines_on_paper else "")
                         + f"; {s.why}")
        out = []
        for ln in lines:
            out.append(("# " + ln).rstrip())
        return "\n".join(out) + "\n"

    def line_yaml(self) -> str:
        """The sized line as YAML text, headed by :meth:`header`."""
        import yaml

        body = yaml.safe_dump(self.line_data, sort_keys=False, allow_unicode=True, width=110)
        return self.header() + "\n" + body


def _mwh_ci(exp: Any, energy_Wh: float) -> tuple[float, float, float]:
    mean = exp.energy_MWh_per_year if exp.energy_MWh_per_year is not None else \
        exp.good_units_per_year * energy_Wh / 1e6
    ci = exp.energy_MWh_per_year_ci95 or (mean, mean)
    return float(mean), float(ci[0]), float(ci[1])


def _next_machine(exp: Any, line: Any, run_kw: dict[str, Any], stations: set[str]) -> tuple[str | None, str]:
    """Where the next machine goes: the station most replications named (the experiment's ranked
    bottleneck list); when fewer than :data:`WHAT_IF_BELOW_VOTES` of them named it and others were
    named too, the station whose extra machine gains most in a what-if (common random numbers)."""
    from pouchline.line import what_if

    ranked = [b for b in exp.bottlenecks if b.get("kind") == "station" and b["name"] in stations]
    if not ranked:
        return None, f"the bottleneck {exp.bottleneck!r} is not a station (a shared zone)"
    voted = [b for b in ranked if b["votes_count"] > 0] or ranked[:1]
    top = voted[0]
    said = f"{top['votes_count']}/{exp.replications} votes, active {100 * top['active_fraction']:.1f} %"
    if len(voted) == 1 or top["votes"] >= WHAT_IF_BELOW_VOTES or exp.replications < 2:
        return top["name"], f"{top['name']} ({said})"
    gains = []
    for b in voted[:WHAT_IF_CANDIDATES]:
        w = what_if(line, b["name"], machines=1, base=exp, **run_kw)
        gains.append((w.gain_units_per_h, b["name"], w.gain_frac))
    gain, name, frac = max(gains)
    tried = ", ".join(f"+1 {n} {100 * f:+.2f} %" for _, n, f in gains)
    split = ", ".join(f"{b['name']} {b['votes_count']}" for b in voted[:WHAT_IF_CANDIDATES])
    return name, f"{name} (votes split: {split}; what-if {tried})"


def size_plant(
    recipe: Any,
    materials: Any,
    cell: Any,
    *,
    target_GWh_per_yr: float,
    rates: Any = None,
    catalogue: Catalogue | None = None,
    machine_class: str | None = None,
    maturity: str | None = None,
    days: float = SIZING_DAYS,
    warmup_days: float = SIZING_WARMUP_DAYS,
    replications: int = SIZING_REPLICATIONS,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
    max_iterations: int = MAX_ITERATIONS,
    prices: str = "base",
    progress: ProgressCallback | None = None,
    name: str | None = None,
) -> SizingResult:
    """Size, simulate and cost a plant making ``target_GWh_per_yr`` of good ``cell``s a year.

    ``machine_class``: ``lab``, ``pilot``, ``production`` or ``auto`` (per station the class of
    lowest annual cost at this volume); ``maturity``: ``pilot`` or ``mature`` yields of the
    catalogue. Both default to the cost rates' plant (``plant.machine_class``, ``plant.yield_maturity``),
    as the cost model's default plant does, so ``size``, ``cost``, ``scaleup`` and ``plan`` agree.
    Run length: :data:`pouchline.line.defaults.SIZING_DAYS` and its siblings. ``progress`` receives
    one sentence per iteration.
    """
    from pouchline.cost import cost_cell, load_rates
    from pouchline.line import Line, run_experiment

    if isinstance(target_GWh_per_yr, bool) or not isinstance(target_GWh_per_yr, (int, float)) or \
            not math.isfinite(target_GWh_per_yr) or target_GWh_per_yr <= 0:
        from pouchline.errors import InputError

        raise InputError.single("--target-GWh", "", f"{target_GWh_per_yr!r} is not allowed: the target is a number "
                                "> 0 GWh/yr", target_GWh_per_yr)
    rates = rates if rates is not None else load_rates()
    catalogue = catalogue or default_catalogue()
    machine_class = machine_class or rates.plant.machine_class
    maturity = maturity or rates.plant.yield_maturity
    target_MWh = float(target_GWh_per_yr) * 1000.0
    design = design_plant(recipe, cell, catalogue, rates, volume_MWh_per_yr=target_MWh, machine_class=machine_class,
                          maturity=maturity)
    on_paper = {s.name: s.machines for s in design.stations}
    line_name = name or f"sized-{target_GWh_per_yr:g}-GWh"
    source = (f"derived: pouchline size, {target_GWh_per_yr:g} GWh/yr, {design.machine_class} machines of the equipment "
              f"catalogue, {maturity} yields")
    run_kw = dict(replications=replications, days=days, warmup_days=warmup_days, seed=seed, workers=workers,
                  area_per_cell_cm2=cell.area_per_cell_cm2, materials_per_unit_g=cell.materials_by_step_g,
                  cell_energy_Wh=cell.energy_Wh)

    def simulate(d: PlantDesign) -> tuple[Any, Any, dict[str, Any]]:
        data = line_data(d, name=line_name, cell=cell, source=source, rates=rates, catalogue=catalogue)
        line = Line.from_data(data, line_name)
        return line, run_experiment(line, **run_kw), data

    iterations: list[str] = []

    def say(text: str) -> None:
        iterations.append(text)
        if progress is not None:
            progress(text)

    line, exp, data = simulate(design)
    names = {s.name for s in design.stations}
    k = 0
    while True:
        mean, lo, hi = _mwh_ci(exp, cell.energy_Wh)
        status = (f"iteration {k}: {sum(s.machines for s in design.stations)} machines, simulated {mean:,.1f} MWh/yr "
                  f"(95 % CI {lo:,.1f}-{hi:,.1f}), bottleneck {exp.bottleneck}")
        if lo >= target_MWh:
            say(status + f": lower bound meets the target {target_MWh:,.1f} MWh/yr")
            break
        if k >= max_iterations:
            say(status + f": lower bound still below the target {target_MWh:,.1f} MWh/yr after {k} added machines; "
                "stopped (raise max_iterations or look at the line)")
            break
        station, why = _next_machine(exp, line, run_kw, names)
        if station is None:
            say(status + f": {why}; stopped")
            break
        n = next(s.machines for s in design.stations if s.name == station)
        say(status + f": below the target {target_MWh:,.1f} MWh/yr, {station} {n} -> {n + 1} machines: {why}")
        design = design.with_machines({station: n + 1})
        line, exp, data = simulate(design)
        k += 1

    kpis = exp.to_dict()
    cost = cost_cell(recipe, materials, cell, rates=rates, line=line, line_kpis=kpis, prices=prices,
                     catalogue=catalogue)
    mean, lo, hi = _mwh_ci(exp, cell.energy_Wh)
    sim_util = {s.name: s.utilization for s in exp.stations}
    costs = {s.name: s for s in cost.stations}
    rows = []
    for s in design.stations:
        c = costs[s.name]
        rows.append(StationSizing(
            station=s.name, step=s.step_id, machine_id=s.machine_id, machine_class=s.machine_class, machines=s.machines,
            machines_on_paper=on_paper[s.name], utilization_planned=s.demand_units_h / s.capacity_units_h,
            utilization_simulated=sim_util.get(s.name), capex_usd=c.capex_usd,
            footprint_m2=s.machines * s.work.machine.footprint_m2, operators_per_shift=c.operators_per_shift,
            power_kW=c.power_kW, zone=s.zone, why=f"{s.work.rate_note}; {s.why}"))
    return SizingResult(
        recipe_id=recipe.id, target_GWh_per_yr=float(target_GWh_per_yr), machine_class=design.machine_class,
        maturity=maturity, layers=int(cell.layers), capacity_Ah=float(cell.capacity_Ah), energy_Wh=float(cell.energy_Wh),
        cells_per_yr=float(exp.good_units_per_year), MWh_per_yr=mean, MWh_per_yr_ci95=(lo, hi), met=lo >= target_MWh,
        stations=tuple(rows), equipment_capex_usd=cost.equipment_capex_usd, floor_m2=cost.floor_m2,
        dry_room_m2=cost.dry_room_m2, gloveboxes=sum(s.machines for s in cost.stations if s.atmosphere == "glovebox"),
        operators_per_shift=cost.operators_per_shift, labour_h_per_yr=cost.labour_h_per_yr,
        electricity_MWh_per_yr=cost.electricity_MWh_per_yr, cost_per_cell_usd=cost.cost_per_cell_usd,
        cost_per_kWh_usd=cost.cost_per_kWh_usd, material_cost_per_cell_usd=cost.material_cost_per_cell_usd,
        material_cost_per_kWh_usd=cost.material_cost_per_kWh_usd,
        process_cost_per_cell_usd=cost.process_cost_per_cell_usd, process_cost_per_kWh_usd=cost.process_cost_per_kWh_usd,
        price_per_kWh_usd=cost.price_per_kWh_usd, bottleneck=exp.bottleneck, bottleneck_why=exp.bottleneck_why,
        iterations=tuple(iterations),
        simulation={"days": days, "warmup_days": warmup_days, "replications": replications, "seed": seed,
                    "lot_size": exp.lot_size,
                    "throughput_units_per_h": exp.throughput_units_per_h,
                    "throughput_ci95_units_per_h": list(exp.throughput_ci95_units_per_h), "ci_method": exp.ci_method,
                    "warmup_check": dict(exp.warmup_check), "expired_units": exp.expired_units},
        line_data=data, design=design, cost=cost, experiment=exp, fixtures=int(cost.fixtures_in_circulation),
        fixture_capex_usd=float(cost.investment_usd.get("fixtures_usd", 0.0)))


__all__ = ["MAX_ITERATIONS", "SIZING_DAYS", "SIZING_REPLICATIONS", "SIZING_WARMUP_DAYS", "SizingResult",
           "StationSizing", "WHAT_IF_BELOW_VOTES", "size_plant"]
