"""What a machine does for one cell, what it costs at its size, and the analytic plant design.

Pure functions over the recipe, the cell (:func:`pouchline.cell.size_cell`), the equipment
catalogue (:mod:`pouchline.equipment`) and the cost rates; no file I/O, no simulation. The sizing
(:mod:`pouchline.plant.sizing`) starts from :func:`design_plant` and simulates; the cost model's
default plant *is* :func:`design_plant` at the requested volume.

**Machines per station** (one station per recipe step, in route order)::

    good cells/h      G = volume / cell energy / scheduled hours per year
    units started/h   d_k = G x F_k            F_k: units started at step k per good cell
    capacity/machine  c_k = rate / (basis units per unit x visits) x availability
    machines          n_k = ceil(d_k / (c_k x u_max))     u_max = 0.97: headroom for blocking and starving

with ``F_k = 1 / prod (1 - scrap_j)`` over step k and the steps after it on its own route: its branch
(anode, SE film or cathode) and the assembly after the branches merge at stacking
(``convention="branch"``, as the line graph charges scrap), ``visits = ceil(passes / stands)`` and
the machine's availability MTBF / (MTBF + MTTR).

**The line** (:func:`line_data`) is a graph: each station ``feeds`` the next station of its branch
in route order, the last of each branch feeds the first assembly station (stacking), and the
assembly runs in route order to the end (:func:`route_feeds`). Work in progress follows demand:

* **release** (CONWIP per branch, Spearman1990): a head's cap is Little's law on its loop at the
  target, ``sum_k (d_k T_k + J_k / 2) + J_merge`` (units in process, ``T_k`` a job's hours at station
  ``k``, plus half a job forming at each station and the merge's job), times ``1 +``
  :data:`CONWIP_MARGIN`, plus the head's own job ``J_head`` where no part of the branch ages in the
  dry room (the head releases a whole job at once; without room for it the branch runs dry before
  the next one starts), and at least one job on every machine of the loop;
* **carriers**: the 30 MPa fixtures from clamping to the end of formation, ``(1 +``
  :data:`CARRIER_MARGIN` ``) x d_clamp x W / cells per fixture`` with ``W`` the loop's hours on
  paper (Little's law);
* **exposure**: stations in the dry room take the catalogue's dry-room enclosure (exposure limit,
  clock and source) with the exposure starting where SE films and cathode sheets are cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from pouchline.equipment import MACHINE_CLASSES, Catalogue, Machine

HOURS_PER_YEAR = 8760.0

#: Machine classes to choose from with ``machine_class="auto"``.
AUTO = "auto"
#: No station is planned above this share of its capacity: a serial line with finite buffers loses
#: a few per cent to blocking and starving (estimate: 1-3 % in the simulated GWh lines).
MAX_UTILIZATION = 0.97
#: CONWIP caps of a sized line: Little's law on each branch's loop at the target, plus this share for
#: the spread of failures and repairs (estimate: with 0.5 the stacker of the sized 1 GWh/yr line is
#: starved < 1 % of the time while < 1 % of the sulfide sheets pass the dry room's exposure limit).
CONWIP_MARGIN = 0.5
#: Fixtures of a sized line: Little's law on the clamping-to-formation loop at the target, plus this
#: share for the spread and repairs (estimate, as the shipped GWh line's pool).
CARRIER_MARGIN = 0.2
#: The equipment catalogue's enclosure a sized line's dry room takes (exposure limit and its source).
DRY_ROOM_ENCLOSURE = "dry_room_minus40"


# ------------------------------------------------------------------------------------------------
# steps: branches and passes
# ------------------------------------------------------------------------------------------------
_ANODE_KINDS = {"alloy_preparation", "melt_cast", "quench", "rolling_schedule", "prelithiation"}
_FILM_KINDS = {"film_fibrillation", "film_rolling"}
_CATHODE_KINDS = {"cathode_blending", "hot_rolling"}
_PUNCH_PARTS = {"anode": "anode", "electrolyte_film": "electrolyte_film", "se_film": "electrolyte_film",
                "film": "electrolyte_film", "cathode": "cathode"}


def step_branch(step: Any) -> str | None:
    """``'anode'``, ``'electrolyte_film'``, ``'cathode'`` or ``None`` (assembly, after the merge).

    The one place that knows the plant's branch structure: the anode, SE film and cathode
    branches merge at stacking. (When line files gain ``feeds:``, the sized line's stations are
    linked from this function.)
    """
    kind = getattr(step, "kind", "")
    if kind in _ANODE_KINDS:
        return "anode"
    if kind in _FILM_KINDS:
        return "electrolyte_film"
    if kind in _CATHODE_KINDS:
        return "cathode"
    if kind == "punching":
        return _PUNCH_PARTS.get(str(getattr(step, "part", "")).lower())
    return None


def step_passes(step: Any) -> int:
    """Rolling passes a step needs: the alloy schedule's passes, a step's ``passes``, else 1."""
    if getattr(step, "kind", "") == "rolling_schedule":
        try:
            return max(1, len(step.schedule_um()))
        except Exception:  # noqa: BLE001 - a schedule that cannot be computed counts as one pass
            return 1
    p = getattr(step, "passes", 1)
    p = getattr(p, "target", p)
    try:
        return max(1, int(p or 1))
    except (TypeError, ValueError):
        return 1


def passes_mismatch(station: Any, step: Any) -> str | None:
    """Why a line station does not roll its recipe step's passes (``None`` when it does): the station
    must give ``passes`` equal to :func:`step_passes` of the step, so the simulation and the cost count
    the same machine time."""
    need = step_passes(step)
    have = getattr(station, "passes", None) or 1
    if have == need:
        return None
    return (f"station {station.name} gives {have} rolling pass(es) (passes), but recipe step {step.id} rolls {need}: "
            f"give the station passes: {need}, so the simulation and the cost count the same machine time "
            "(ceil(passes / stands) visits)")


def formation_hours(step: Any) -> float:
    """Channel-hours one cell holds in formation: charge and discharge per cycle at the C-rate."""
    c = getattr(step, "c_rate", None)
    cycles = getattr(step, "cycles", 1) or 1
    rate = getattr(c, "target", c) if c is not None else None
    if not rate or rate <= 0:
        return 20.0
    return 2.0 * cycles / float(rate)


def start_factors(recipe: Any, yields: Mapping[str, float], convention: str = "branch") -> dict[str, float]:
    """Units started at each step per good cell, F_k = 1 / prod over downstream steps of yield.

    ``serial``: every later step in route order; ``branch``: the steps of k's own branch and the
    assembly steps after the branches merge.
    """
    if convention not in ("serial", "branch"):
        raise ValueError(f"scrap convention {convention!r} is not 'serial' or 'branch'")
    steps = list(recipe.steps)
    branches = [step_branch(s) for s in steps]
    out: dict[str, float] = {}
    for k, s in enumerate(steps):
        prod = 1.0
        for j in range(k, len(steps)):
            if convention == "branch" and not (branches[j] is None or branches[j] == branches[k]):
                continue
            if convention == "branch" and branches[k] is None and branches[j] is not None:
                continue
            prod *= yields.get(steps[j].id, 1.0)
        out[s.id] = 1.0 / prod
    return out


def route_feeds(steps: Sequence[Any]) -> dict[str, str | None] | None:
    """Step id -> the step id its station feeds in the plant's graph (``None`` at the line's end), or
    ``None`` when the steps are better run as a chain in route order (fewer than two branches, no
    assembly step after them).

    Each step feeds the next step of its own branch in route order (:func:`step_branch`); the last
    step of a branch feeds the first assembly step after it (stacking, where the anode, SE film and
    cathode branches merge); assembly steps feed the next assembly step, the last one is the end.
    """
    steps = list(steps)
    ids = [s.id for s in steps]
    branch = [step_branch(s) for s in steps]
    assembly = [i for i, b in enumerate(branch) if b is None]
    if len({b for b in branch if b is not None}) < 2 or not assembly or branch[-1] is not None:
        return None
    out: dict[str, str | None] = {}
    for i in range(len(steps)):
        nxt = None
        if branch[i] is not None:
            nxt = next((j for j in range(i + 1, len(steps)) if branch[j] == branch[i]), None)
        if nxt is None:
            nxt = next((j for j in assembly if j > i), None)
        if nxt is None and i != len(steps) - 1:
            return None  # a branch step after the last assembly step: no graph
        out[ids[i]] = None if nxt is None else ids[nxt]
    return out


# ------------------------------------------------------------------------------------------------
# one machine and one cell
# ------------------------------------------------------------------------------------------------
def _area_m2(cell: Any, recipe: Any) -> float:
    """Electrode area of one cell (all layers), m2."""
    a = getattr(cell, "area_per_cell_cm2", None)
    if isinstance(a, (int, float)) and a > 0:
        return float(a) / 1e4
    per_layer = getattr(cell, "electrode_area_cm2", None)
    if not (isinstance(per_layer, (int, float)) and per_layer > 0):
        per_layer = float(recipe.cell.packaging.electrode_area_cm2)
    return float(per_layer) * int(cell.layers) / 1e4


def kg_at_step(cell: Any, step_id: str) -> float:
    """kg of material one unit consumes at a step (the cell format's materials by step)."""
    return sum(g for g in (getattr(cell, "materials_by_step_g", None) or {}).get(step_id, {}).values()
               if g and g > 0) / 1000.0


def basis_per_unit(machine: Machine, step: Any, cell: Any, recipe: Any) -> float:
    """Basis units (kg, m2, cells, sheets, channel-h) one unit takes in one visit."""
    unit = machine.rate.unit
    if unit == "kg":
        return kg_at_step(cell, step.id)
    if unit == "m2":
        return _area_m2(cell, recipe) * machine.area_factor
    if unit == "cells":
        return 1.0
    if unit == "sheets":
        return int(cell.layers) * machine.rate.sheets_per_layer
    return formation_hours(step) + machine.rate.extra_h_per_cell  # channel-h


@dataclass(frozen=True)
class MachineWork:
    """What one machine does for one cell's steps: units per hour and how a line file states it."""

    machine_id: str
    machine: Machine
    basis_per_unit: float  # basis units one unit takes in one visit
    visits: int  # ceil(passes / stands)
    passes: int
    units_per_h: float  # nominal units per machine-hour (all visits), before availability
    station_fields: dict[str, Any]  # cycle_time_s + batch_size or a web rate per visit (+ passes, stands)
    rate_note: str  # how the station's speed follows from the entry

    @property
    def capacity_units_h(self) -> float:
        """Units per machine-hour with the machine's availability."""
        return self.units_per_h * self.machine.availability


def machine_work(machine_id: str, machine: Machine, step: Any, cell: Any, recipe: Any) -> MachineWork:
    """How many units of this cell one machine makes per hour, and the line-station fields that say so
    (speeds per visit, with ``passes`` and ``stands`` where a unit takes several visits)."""
    b = basis_per_unit(machine, step, cell, recipe)
    if not (b > 0 and math.isfinite(b)):
        raise ValueError(f"step {step.id}: one cell takes {b!r} {machine.rate.unit} on {machine_id}; the cell "
                         "format lists no material or area for this step")
    passes = step_passes(step)
    visits = machine.visits(passes)
    r = machine.rate
    pv = f" / {visits} visits ({passes} passes on {machine.stands} stand{'s' if machine.stands > 1 else ''})" \
        if visits > 1 or machine.stands > 1 else ""
    if r.basis == "web":
        fields: dict[str, Any] = {"rate_m_min": r.speed_m_min, "web_width_mm": r.width_mm}
        if machine.area_factor != 1.0:
            fields["area_factor"] = machine.area_factor
        units_h = r.speed_m_min * 60.0 * r.width_mm / 1000.0 / b / visits
        note = f"{r.speed_m_min:g} m/min x {r.width_mm:g} mm{pv}"
    elif r.basis == "area":
        fields = {"rate_m2_h": r.rate_m2_h}
        if machine.area_factor != 1.0:
            fields["area_factor"] = machine.area_factor
        units_h = r.rate_m2_h / b / visits
        note = f"{r.rate_m2_h:g} m2/h{pv}"
    elif r.basis == "batch":
        n = r.batch_size / b
        if n >= 1:
            batch, cycle = int(math.floor(n + 1e-9)), r.cycle_time_s
        else:  # a cell's worth takes several batches
            batch, cycle = 1, r.cycle_time_s * math.ceil(1.0 / n - 1e-9)
        fields = {"cycle_time_s": round(cycle, 6), "batch_size": batch}
        units_h = batch * 3600.0 / cycle / visits
        note = (f"{r.batch_size:g} {r.batch_unit} per {r.cycle_time_s / 60:g} min{pv}; one cell's worth is "
                f"{b:.4g} {r.batch_unit}")
    elif r.basis == "sheets":
        cycle = 60.0 * b / r.sheets_per_min
        fields = {"cycle_time_s": round(cycle, 6), "batch_size": 1}
        units_h = 3600.0 / cycle / visits
        note = f"{r.sheets_per_min:g} sheets/min, {b:g} sheets per cell{pv}"
    else:  # channels
        cycle = b * 3600.0
        fields = {"cycle_time_s": round(cycle, 6), "batch_size": int(r.channels)}
        units_h = r.channels * 3600.0 / cycle / visits
        note = f"{r.channels} channels, {b:g} h per cell"
    if machine.stands != 1:
        fields["stands"] = machine.stands
    if machine.is_mill or passes > 1:
        fields["passes"] = passes
    return MachineWork(machine_id, machine, b, visits, passes, units_h, fields, note)


def capacity_ratio(machine: Machine, units_per_h_per_machine: float, basis: float, visits: int) -> float:
    """A machine's capacity over the entry's reference capacity (both in basis units x passes / h)."""
    ref = machine.rate.per_h
    if ref <= 0:
        return 1.0
    return units_per_h_per_machine * basis * visits / ref


@dataclass(frozen=True)
class MachineFigures:
    """One machine at its capacity: capex, power, footprint and crew (scaled from the entry)."""

    capex_usd: float
    power_kW: float
    footprint_m2: float
    operators_per_shift: float
    ratio: float  # capacity / the entry's reference capacity


def machine_figures(catalogue: Catalogue, machine: Machine, ratio: float = 1.0, *, capex_scenario: str = "base",
                    capex_usd: float | None = None, power_kW: float | None = None,
                    footprint_m2: float | None = None, labour_multiplier: float = 1.0) -> MachineFigures:
    """capex x ratio^scaling.capex, footprint x ratio^scaling.floor, operators x ratio^scaling.labour,
    power x ratio (the energy per unit of work does not change with the machine's size).

    ``capex_usd``/``power_kW`` override the entry's figures at the reference capacity (sensitivity);
    ``footprint_m2`` (a line station's own) is taken as it is.
    """
    r = ratio if ratio > 0 and math.isfinite(ratio) else 1.0
    capex = (capex_usd if capex_usd is not None else machine.capex_usd.value(capex_scenario)) \
        * r ** catalogue.exponent(machine, "capex")
    power = (power_kW if power_kW is not None else machine.power_kW) * r  # energy per unit of work is constant
    floor = footprint_m2 if footprint_m2 is not None else machine.footprint_m2 * r ** catalogue.exponent(machine, "floor")
    ops = machine.operators_per_shift * r ** catalogue.exponent(machine, "labour") * labour_multiplier
    return MachineFigures(capex, power, floor, ops, r)


# ------------------------------------------------------------------------------------------------
# the analytic plant
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StationDesign:
    """One station of the designed plant."""

    name: str
    step_id: str
    kind: str
    machine_id: str
    machine_class: str
    machines: int
    work: MachineWork
    demand_units_h: float  # units started per scheduled hour
    capacity_units_h: float  # all machines, with availability
    zone: str | None  # zone id in the line (protective atmosphere), None in air
    atmosphere: str  # air, glovebox or dry_room
    scrap_rate: float
    buffer_units: int | None
    why: str  # how the machine count and class were chosen
    branch: str | None = None  # anode, electrolyte_film, cathode or None (assembly): step_branch
    feeds: str | None = None  # the station it feeds (None: the line's end, or a chain)

    @property
    def utilization(self) -> float:
        return self.demand_units_h / self.capacity_units_h if self.capacity_units_h > 0 else math.inf


@dataclass(frozen=True)
class PlantDesign:
    """Machines per station for a volume, before simulation."""

    volume_MWh_per_yr: float
    cell_energy_Wh: float
    good_cells_per_yr: float
    good_cells_per_h: float
    scheduled_h_per_yr: float
    calendar: dict[str, float]
    machine_class: str
    maturity: str
    convention: str
    yields: dict[str, float]
    yield_sources: dict[str, str]
    start_factors: dict[str, float]
    stations: tuple[StationDesign, ...]
    notes: tuple[str, ...] = field(default=())
    graph: bool = False  # the stations form a graph (feeds): branches merging at stacking

    def with_machines(self, machines: Mapping[str, int]) -> "PlantDesign":
        """The same design with other machine counts (station name -> machines)."""
        from dataclasses import replace

        sts = []
        for s in self.stations:
            n = int(machines.get(s.name, s.machines))
            sts.append(replace(s, machines=n, capacity_units_h=n * s.work.capacity_units_h))
        return replace(self, stations=tuple(sts))


def plant_calendar(hours_per_day: float, days_per_year: float) -> dict[str, float]:
    """A line calendar with the plant's scheduled hours: ``hours_per_day`` on every day of the week
    and the days not worked in a year taken as planned maintenance, spread over the weeks."""
    hours_per_day = float(hours_per_day)
    per_week = hours_per_day * 7.0
    scheduled_week = hours_per_day * float(days_per_year) * 7.0 / 365.0
    # rounded to 0.1 h: ShiftClock.off_shift_speedup can stall on a window end that is not exact in
    # binary (e.g. 16.109589 h); 0.1 h a week is 0.06 % of the year
    pm = max(0.0, round(per_week - scheduled_week, 1))
    return {"hours_per_day": hours_per_day, "days_per_week": 7, "planned_maintenance_h_per_week": pm}


def calendar_scheduled_h_per_yr(calendar: Mapping[str, float]) -> float:
    """Scheduled hours per year of a :func:`plant_calendar` (as :class:`pouchline.line.Calendar` counts them)."""
    week = calendar["hours_per_day"] * calendar["days_per_week"] - calendar["planned_maintenance_h_per_week"]
    return week * 365.0 / 7.0


def atmosphere_kind(recipe: Any, step: Any) -> str:
    """``glovebox``, ``dry_room`` or ``air``: the protection the recipe's atmosphere for a step asks for."""
    try:
        kind = recipe.atmosphere(step.atmosphere).kind
    except (KeyError, AttributeError):
        return "air"
    return {"argon_glovebox": "glovebox", "dry_room": "dry_room"}.get(kind, "air")


def step_yields(recipe: Any, catalogue: Catalogue, maturity: str, rates: Any = None) -> tuple[dict[str, float],
                                                                                              dict[str, str]]:
    """Yield of every step: the rates file's ``default_step_yield`` for the step id when it has one,
    else the catalogue's for the step kind, else 100 %."""
    out: dict[str, float] = {}
    src: dict[str, str] = {}
    by_id = getattr(rates, "default_step_yield", None) or {}
    for s in recipe.steps:
        if s.id in by_id:
            d = by_id[s.id]
            out[s.id], src[s.id] = float(getattr(d, maturity)), f"{d.source} ({maturity})"
            continue
        found = catalogue.step_yield(s.kind, maturity)
        if found is None:
            out[s.id], src[s.id] = 1.0, "assumed: no default yield for this step kind; 100 %"
        else:
            out[s.id], src[s.id] = found
    return out, src


def annual_cost_usd(catalogue: Catalogue, machine: Machine, machines: int, atmosphere: str,
                    rv: Mapping[str, float], scheduled_h: float) -> float:
    """Annual cost of ``machines`` of an entry (depreciation, maintenance, labour with overhead, power,
    floor, glovebox or dry-room share): what ``machine_class="auto"`` minimises."""
    f = machine_figures(catalogue, machine, labour_multiplier=rv.get("operators_per_station_shift", 1.0))
    capex = f.capex_usd + (rv["glovebox_capex_usd_per_station"] if atmosphere == "glovebox" else
                           rv["dry_room_capex_usd_per_station"] if atmosphere == "dry_room" else 0.0)
    per = (capex / rv["depreciation_life_yr"] + capex * rv["maintenance_frac_of_capex_yr"]
           + f.operators_per_shift * scheduled_h * rv["labour_rate_usd_h"] * (1 + rv["overhead_frac_of_labour"])
           + f.power_kW * scheduled_h * rv["electricity_usd_kWh"]
           + f.footprint_m2 * rv["building_area_factor"] * rv["building_usd_m2_yr"])
    return machines * per


def design_plant(recipe: Any, cell: Any, catalogue: Catalogue, rates: Any, *, volume_MWh_per_yr: float,
                 machine_class: str = AUTO, maturity: str | None = None, convention: str = "branch",
                 rate_values: Mapping[str, float] | None = None,
                 machine_ids: Mapping[str, str] | None = None,
                 max_utilization: float = MAX_UTILIZATION) -> PlantDesign:
    """Machines per station (one per recipe step) to make ``volume_MWh_per_yr`` of good cells.

    ``machine_class``: ``lab``, ``pilot``, ``production`` or ``auto`` (per station, the class of
    the lowest annual cost at this volume). ``machine_ids`` (step id -> catalogue id) fixes the
    entry of a station. ``rates``: :class:`pouchline.cost.CostRates` (calendar, availability-free
    plant rates used by ``auto``). ``max_utilization``: no station is planned above this share of
    its capacity (headroom for blocking and starving between finite buffers). ``convention``: the
    scrap a station's demand is inflated by (``branch``: its own route, as the line graph charges
    it; ``serial``: every later step in route order).
    """
    if not 0 < max_utilization <= 1:
        raise ValueError(f"max_utilization {max_utilization!r} is not allowed: it is in (0, 1]")
    if not (isinstance(volume_MWh_per_yr, (int, float)) and math.isfinite(volume_MWh_per_yr) and volume_MWh_per_yr > 0):
        raise ValueError(f"volume {volume_MWh_per_yr!r} MWh/yr is not allowed: it must be a number > 0")
    if machine_class not in MACHINE_CLASSES + (AUTO,):
        raise ValueError(f"machine class {machine_class!r} is not one of {', '.join(MACHINE_CLASSES + (AUTO,))}")
    energy = float(cell.energy_Wh)
    if not energy > 0:
        raise ValueError(f"the cell's energy is {energy!r} Wh; it must be > 0 to size a plant")
    maturity = maturity or rates.plant.yield_maturity
    rv = dict(rate_values) if rate_values is not None else rates.values("base")
    plant = rates.plant
    calendar = plant_calendar(plant.hours_per_day, plant.days_per_year)
    sched = calendar_scheduled_h_per_yr(calendar)
    good_yr = volume_MWh_per_yr * 1e6 / energy
    good_h = good_yr / sched
    yields, ysrc = step_yields(recipe, catalogue, maturity, rates)
    factors = start_factors(recipe, yields, convention)
    notes: list[str] = []
    stations: list[StationDesign] = []
    for s in recipe.steps:
        candidates = catalogue.for_kind(s.kind)
        if machine_ids and s.id in machine_ids:
            mid = machine_ids[s.id]
            candidates = {mid: catalogue.entry(mid, field=f"machine for step {s.id}")}
        elif machine_class != AUTO:
            found = catalogue.of_class(s.kind, machine_class)
            if found is not None:
                candidates = {found[0]: found[1]}
            elif candidates:
                notes.append(f"{s.id}: no {machine_class} machine for step kind {s.kind}; chose among "
                             f"{', '.join(candidates)}")
        if not candidates:
            raise ValueError(f"step {s.id}: the equipment catalogue has no machine for step kind {s.kind!r}")
        demand = good_h * factors[s.id]
        atm = atmosphere_kind(recipe, s)
        best = None
        for mid, m in candidates.items():
            w = machine_work(mid, m, s, cell, recipe)
            n = max(1, math.ceil(demand / (w.capacity_units_h * max_utilization) - 1e-9))
            zone_atm = (m.enclosure if atm in ("glovebox", "dry_room") else "air")
            cost = annual_cost_usd(catalogue, m, n, zone_atm, rv, sched)
            if best is None or cost < best[0] - 1e-9:
                best = (cost, mid, m, w, n, zone_atm)
        cost, mid, m, w, n, zone_atm = best
        why = (f"ceil({demand:,.4g} units/h started / ({w.capacity_units_h:,.4g} units/h per machine at "
               f"{100 * m.availability:.1f} % availability x {max_utilization:g} planned utilisation)) = {n}")
        if len(candidates) > 1:
            why += f"; {m.machine_class} class: the lowest annual cost ({cost:,.0f} USD/yr) among {', '.join(candidates)}"
        zone = None if zone_atm == "air" else ("glovebox" if zone_atm == "glovebox" else "sulfide_dry_room")
        stations.append(StationDesign(
            name=s.id, step_id=s.id, kind=s.kind, machine_id=mid, machine_class=m.machine_class, machines=n, work=w,
            demand_units_h=demand, capacity_units_h=n * w.capacity_units_h, zone=zone, atmosphere=zone_atm,
            scrap_rate=round(1.0 - yields[s.id], 12), buffer_units=None, why=why, branch=step_branch(s)))
    # buffers: enough to ride out a mean repair of a feeding station, plus a batch of each side
    sized: list[StationDesign] = []
    from dataclasses import replace

    feeds = route_feeds(recipe.steps)
    if feeds is not None:
        stations = [replace(st, feeds=feeds[st.step_id]) for st in stations]
    by_id = {st.step_id: st for st in stations}
    for i, st in enumerate(stations):
        if feeds is None:
            feeders = [stations[i - 1]] if i > 0 else []
        else:
            feeders = [by_id[k] for k, v in feeds.items() if v == st.step_id]
        if not feeders:
            sized.append(st)
            continue
        b_me = int(st.work.station_fields.get("batch_size", 1))
        buf = max(math.ceil((up.work.machine.mttr_h or 0.0) * st.demand_units_h + 0.25 * st.demand_units_h)
                  + int(up.work.station_fields.get("batch_size", 1)) + b_me for up in feeders)
        sized.append(replace(st, buffer_units=int(buf)))
    return PlantDesign(
        volume_MWh_per_yr=float(volume_MWh_per_yr), cell_energy_Wh=energy, good_cells_per_yr=good_yr,
        good_cells_per_h=good_h, scheduled_h_per_yr=sched, calendar=calendar, machine_class=machine_class,
        maturity=maturity, convention=convention, yields=yields, yield_sources=ysrc, start_factors=factors,
        stations=tuple(sized), notes=tuple(notes), graph=feeds is not None)


def _zones(design: PlantDesign, rates: Any, catalogue: Catalogue) -> dict[str, Any]:
    """The sized line's zones: a glovebox zone and a dry room (area from the footprints, the exposure
    limit of the catalogue's :data:`DRY_ROOM_ENCLOSURE`)."""
    zones: dict[str, Any] = {}
    area_factor = rates.values("base")["building_area_factor"] if rates is not None else 2.5
    for st in design.stations:
        if st.zone is None or st.zone in zones:
            continue
        fp = sum(s.machines * s.work.machine.footprint_m2 for s in design.stations if s.zone == st.zone)
        if st.zone == "glovebox":
            zones[st.zone] = {"kind": "glovebox", "atmosphere": "Ar, O2 and H2O < 0.1 ppm (Liu2025 Methods)",
                              "source": "derived: one glovebox per machine of the steps the recipe puts in Ar"}
            continue
        zone: dict[str, Any] = {"kind": "dry_room", "atmosphere": "dew point <= -40 degC with exposure-time limits",
                                "area_m2": round(fp * area_factor, 1),
                                "source": f"derived: machine footprints {fp:,.0f} m2 x floor area factor {area_factor:g}"}
        enc = catalogue.enclosures.get(DRY_ROOM_ENCLOSURE)
        starts = [s.name for s in design.stations if s.zone == st.zone and s.kind == "punching"
                  and s.branch in ("electrolyte_film", "cathode")]
        if enc is not None and enc.exposure_limit_h is not None and starts:
            zone.update({k: v for k, v in enc.zone_fields().items() if k.startswith("exposure") or k == "atmosphere"})
            zone["equipment"] = DRY_ROOM_ENCLOSURE
            zone["exposure_starts_at"] = starts
        else:
            zone["source"] += "; no exposure limit: " + (
                f"the equipment catalogue has no enclosure {DRY_ROOM_ENCLOSURE!r} with one" if enc is None or
                enc.exposure_limit_h is None else "no station cuts SE films or punches cathode sheets in it")
        zones[st.zone] = zone
    return zones


def line_data(design: PlantDesign, *, name: str, cell: Any, source: str, rates: Any = None,
              catalogue: Catalogue | None = None) -> dict[str, Any]:
    """The design as line-file data (what :func:`pouchline.line.Line.from_data` validates): a graph
    (:func:`route_feeds`) with its release rule, fixture pool and dry-room exposure limit (see the
    module docstring). Every station states its machine's figures (a sized line file does not depend
    on the catalogue it was sized with) and names its entry."""
    from pouchline.equipment import default_catalogue

    catalogue = catalogue or default_catalogue()
    zones = _zones(design, rates, catalogue)
    stations = []
    for st in design.stations:
        m = st.work.machine
        d: dict[str, Any] = {"name": st.name, "step": st.step_id}
        if design.graph and st.feeds is not None:
            d["feeds"] = st.feeds
        d["equipment"] = st.machine_id
        d.update(st.work.station_fields)
        d["machines"] = st.machines
        if m.mtbf_h is not None:
            d.update(mtbf_h=m.mtbf_h, mttr_h=m.mttr_h)
        d["scrap_rate"] = st.scrap_rate
        if st.buffer_units is not None:
            d["buffer_capacity"] = st.buffer_units
        if m.runs_off_shift:
            d["runs_off_shift"] = True
        if st.zone is not None:
            d.update(zone=st.zone, zone_slots=0)
        d["footprint_m2"] = m.footprint_m2
        stations.append(d)
    data: dict[str, Any] = {
        "name": name,
        "description": (f"{design.volume_MWh_per_yr / 1000:g} GWh/yr of the {cell.energy_Wh:.3g} Wh, {cell.layers}-layer "
                        f"cell, sized by pouchline ({design.machine_class} machines, {design.maturity} yields)"),
        "source": source,
        "cell_energy_Wh": round(float(cell.energy_Wh), 6),
        "area_per_cell_cm2": round(float(cell.area_per_cell_cm2), 6),
        "calendar": {**design.calendar, "source": "derived: the cost rates' plant calendar (hours per day x days "
                                                  "per year), the days not worked as planned maintenance"},
        "zones": zones,
        "stations": stations,
    }
    release, carriers = flow_controls(design, data, cell)
    if release is not None:
        data["release"] = release
    if carriers is not None:
        data["carriers"] = carriers
    return data


def flow_controls(design: PlantDesign, data: Mapping[str, Any], cell: Any) -> tuple[dict | None, dict | None]:
    """The sized line's CONWIP caps per head and its fixture pool, by Little's law at the target
    (module docstring), from the line ``data`` without them."""
    from pouchline.line import Line
    from pouchline.line.model import default_lot_size, job_units, topology_of
    from pouchline.line.simulation import conwip_loop

    line = Line.from_data(dict(data), str(data.get("name", "sized line")))
    specs = line.station_specs(area_per_cell_cm2=float(cell.area_per_cell_cm2))
    topo = topology_of(specs)
    lot = line.lot_size or default_lot_size(specs)
    jobs = [job_units(sp, lot) for sp in specs]
    u = topo.units_started_per_good([sp.scrap_rate for sp in specs])
    g = design.good_cells_per_h
    lam = [g * x for x in u]
    hours = [jobs[k] / specs[k].batch_size * specs[k].cycle_time_s / specs[k].off_shift_speedup / 3600.0
             for k in range(len(specs))]  # a job's hours at the station (all its visits)
    exposed = {n for z in (data.get("zones") or {}).values() if isinstance(z, Mapping)
               for n in (z.get("exposure_starts_at") or ())}
    caps: dict[str, int] = {}
    lumped: list[str] = []
    for h in topo.heads:
        loop, merge = conwip_loop(topo, h)
        kit = jobs[merge] if merge is not None else 0
        little = sum(lam[k] * hours[k] + jobs[k] / 2.0 for k in loop) + kit
        full = sum(specs[k].machines * jobs[k] for k in loop) + kit
        # The head releases a whole job at once: without room for it above the loop's Little WIP it waits
        # until the branch has nearly run dry (at 0.1 GWh/yr the alloy furnace's 9,556-cell melt against a
        # cap of 11,331 starved the stacker and held the line at the target's 99.5 %, whatever machines were
        # added). A branch whose parts age in the dry room keeps the bare margin: more stock there expires.
        ages = any(specs[k].name in exposed for k in loop)
        extra = 0 if ages else jobs[h]
        if not ages:
            lumped.append(specs[h].name)
        caps[specs[h].name] = int(max(math.ceil((1.0 + CONWIP_MARGIN) * little) + extra, full))
    release = {"rule": "conwip", "wip_cap_units": caps,
               "source": (f"derived: Little's law on each branch's loop at the target ({g:,.1f} good cells/h): units "
                          f"in process + half a job forming at each station + the merge's job, x {1 + CONWIP_MARGIN:g} "
                          "(estimate: spread of failures and repairs)"
                          + (f", + the head's job where the branch's parts do not age in the dry room ({', '.join(lumped)}: "
                             "the head releases a whole job at once)" if lumped else "")
                          + ", at least a job on every machine of the loop (Spearman1990 CONWIP)")}
    names = [sp.name for sp in specs]
    kinds = {st.name: st.kind for st in design.stations}
    clamp = next((i for i, n in enumerate(names) if kinds.get(n) == "clamping"), None)
    form = next((i for i, n in enumerate(names) if kinds.get(n) == "formation"), None)
    carriers = None
    if clamp is not None and form is not None and form in topo.path(clamp):
        path = topo.path(clamp)
        loop = path[:path.index(form) + 1]
        if all(len(topo.feeders[k]) <= 1 for k in loop[1:]):
            per = int(getattr(getattr(cell, "fixture", None), "cells_per_fixture", 1) or 1)
            w_h = sum(hours[k] + (jobs[k] / (2.0 * lam[k]) if k != clamp and lam[k] > 0 else 0.0) for k in loop)
            count = max(math.ceil((1.0 + CARRIER_MARGIN) * lam[clamp] * w_h / per),
                        math.ceil(sum(jobs[k] for k in loop) / per))
            carriers = {"fixtures": {
                "count": int(count), "units_per_carrier": per, "from": names[clamp], "to": names[form],
                "source": (f"derived: Little's law, {lam[clamp]:,.1f} cells/h into clamping x {w_h:.2f} h from clamping "
                           f"to the end of formation / {per} cell(s) per fixture (the cell's fixture), x "
                           f"{1 + CARRIER_MARGIN:g} (estimate: spread and repairs)")}}
    return release, carriers


__all__ = [
    "AUTO", "CARRIER_MARGIN", "CONWIP_MARGIN", "DRY_ROOM_ENCLOSURE", "MAX_UTILIZATION", "MachineFigures", "MachineWork",
    "PlantDesign", "StationDesign", "annual_cost_usd", "atmosphere_kind", "basis_per_unit", "capacity_ratio",
    "design_plant", "flow_controls", "formation_hours", "passes_mismatch", "kg_at_step", "line_data", "machine_figures", "machine_work",
    "plant_calendar", "route_feeds", "start_factors", "step_branch", "step_passes", "step_yields",
]
