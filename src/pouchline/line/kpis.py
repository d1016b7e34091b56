"""Results of line simulations and the KPI arithmetic behind them.

Definitions (all time fractions are fractions of *scheduled* time, summed over a station's
machines; off-shift and planned maintenance are not scheduled):

* **utilization** = busy; **availability** = 1 - down - setup (OEE availability);
  **performance** = busy / (1 - down - setup); **quality** = good / (processed + expired) at the
  station; **OEE** = availability x performance x quality = busy x quality (Nakajima,
  *Introduction to TPM*, 1988). ``nominal_availability`` is MTBF / (MTBF + MTTR).
* **throughput** = good units leaving the line's end per scheduled hour;
  ``throughput_units_per_calendar_h`` divides by calendar hours instead; ``good_units_per_year``
  is throughput x the calendar's scheduled hours per year (so a measured period that is not a
  whole number of weeks does not bias it).
* **rolled throughput yield** = product over every station (all branches) of its quality.
* **units started per good unit** (planned) ``u_i``: at the end ``1/(1-p)``; a station feeding
  ``j`` with kit ``k`` starts ``k u_j / (1 - p_i)``. **Line-limit capacity** of a station =
  its capacity / ``u_i``: good cells/h at the line's end if it alone limited the line.
* **lead time** of a good unit, by Little's law station by station (Little, Oper. Res. 1961;
  Hopp & Spearman, *Factory Physics*, 3rd ed. 2008): at each station the time in its input
  buffer (units in it / units put in per hour), in process (units in process / units entering
  processing) and blocked (blocked units / good units); summed along the route from each head
  to the end (``lead_time_by_head_h``); ``lead_time_h`` is the longest of them, the time from
  the first part's start to the finished cell. Unlike WIP / throughput it does not count
  scrapped units' time, and it does not add parallel branches' times.
* **bottleneck** = the station active (busy, down or in setup; not blocked, starved or waiting
  for a zone or carrier) the largest share of scheduled time (Roser, Nakano & Tanaka, "A
  practical bottleneck detection method", Proc. Winter Simulation Conference 2001). Over
  replications each names its own; the experiment names the station with most votes and ranks
  every station by votes and active share, with intervals (``bottlenecks``).
* **confidence intervals**: see :mod:`pouchline.line.stats` (replications by default).
* **carriers needed** = Little's law on the loop: units entering it per hour x mean time a unit
  holds a slot / units per carrier.
* **materials**: consumed at a step = units started there x grams per unit (scrap included,
  charged to the branch that makes it); ``..._per_year`` scale the measured period to the
  calendar's scheduled hours per year; *purchased* leaves out intermediates made on the line
  (the InSnBi alloy), which are listed apart.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from pouchline.fileio import jsonable
from pouchline.line.clock import DAY_S, WEEK_S, ShiftClock
from pouchline.line.stats import NAN_CI, batch_means_ci, mean_ci95, t975, warmup_check  # noqa: F401 (t975 re-exported)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from pouchline.line.simulation import RawRun, RunPlan

STATES: tuple[str, ...] = ("busy", "setup", "down", "blocked", "starved", "zone_wait", "carrier_wait")
HOURS_PER_YEAR = 8760.0


# --------------------------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StationResult:
    """What one station did in the measured period (means over replications in an experiment)."""

    name: str
    step: str
    machines: int
    batch_size: int
    cycle_time_s: float
    job_units: int
    buffer_capacity_units: float | None  # effective input buffer (None: a head; inf: unlimited)
    nominal_availability: float  # MTBF / (MTBF + MTTR)
    capacity_units_per_h: float  # units it can take in per scheduled hour: rate x availability x setup
    line_limit_good_units_per_h: float  # good cells/h at the line's end if this station were the only limit
    started_units: float
    good_units: float
    scrapped_units: float
    yield_frac: float  # good / (processed + expired): what leaves the station good
    utilization: float
    setup_fraction: float
    down_fraction: float
    blocked_fraction: float
    starved_fraction: float
    zone_wait_fraction: float
    availability: float
    performance: float
    quality: float
    oee: float
    wip_units: float  # units in its input buffers, in process and blocked (time average)
    feeds: str | None = None
    branch: str = ""
    carrier_wait_fraction: float = 0.0
    expired_units: float = 0.0
    units_started_per_good_unit: float = math.nan  # planned, from the scrap rates
    wip_buffer_units: float = 0.0
    wip_in_process_units: float = 0.0
    time_in_station_h: float = math.nan  # a good unit: in process + blocked (scheduled h)
    buffer_wait_h: dict[str, float] = field(default_factory=dict)  # per feeder: mean wait in its input buffer

    @property
    def active_fraction(self) -> float:
        """Busy, down or in setup: the share of time the station itself sets the pace."""
        return self.utilization + self.down_fraction + self.setup_fraction

    @property
    def state_fractions(self) -> dict[str, float]:
        """Fractions of scheduled machine time by state (they sum to 1), for state charts."""
        return {s: getattr(self, "utilization" if s == "busy" else f"{s}_fraction") for s in STATES}

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


@dataclass(frozen=True)
class ZoneResult:
    """A shared protective-atmosphere zone."""

    name: str
    kind: str
    atmosphere: str | None
    capacity: int | None
    stations: tuple[str, ...]
    utilization: float | None  # slot-time in use / (capacity x scheduled time); None without capacity
    exposure_limit_h: float | None = None
    exposure_mean_h: float | None = None  # calendar hours good parts spent in the zone (at leaving it)
    exposure_max_h: float | None = None
    expired_units: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


@dataclass(frozen=True)
class CarrierResult:
    """A carrier pool: how many carriers the simulated throughput needs (Little's law)."""

    name: str
    count: int
    units_per_carrier: int
    from_station: str
    to_station: str
    carriers_in_use_mean: float  # slot-time in use / (units per carrier x time)
    carriers_needed: float  # units entering the loop per hour x hold time / units per carrier (= in use)
    carriers_needed_ci95: tuple[float, float]
    hold_time_h: float  # scheduled hours a unit holds its slot
    units_per_h: float  # units entering the loop per scheduled hour
    max_in_use: int  # most carriers' slots in use at once (whole run), in carriers
    loop_wip_max_units: int  # largest sampled WIP inside the loop, from station counters
    wait_h_per_unit: float  # scheduled hours a unit waited for a slot at the loop's first station
    binding: bool  # units waited for carriers

    def needed_for(self, units_per_h: float) -> float:
        """Carriers for another rate into the loop, at this run's hold time (Little's law)."""
        return units_per_h * self.hold_time_h / self.units_per_carrier

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["carrier_count"] = self.count
        return jsonable(d)


@dataclass(frozen=True)
class LineResult:
    """One simulation run. Unit counts are over the measured period (after warm-up)."""

    line_name: str
    seed: int
    spawn_key: tuple[int, ...]
    days: float
    warmup_days: float
    lot_size: int
    scheduled_hours: float  # scheduled hours in the measured period
    scheduled_fraction: float
    started_units: int  # units started at the heads (each head's units are a cell's worth of its part)
    good_units: int
    scrapped_units: int  # process scrap, every station
    throughput_units_per_h: float  # good units per scheduled hour
    throughput_ci95_units_per_h: tuple[float, float]  # batch means within this run, when valid (else NaN)
    throughput_units_per_calendar_h: float
    good_units_per_year: float
    cell_energy_Wh: float | None
    energy_MWh_per_year: float | None
    yield_rty: float
    yield_rty_planned: float
    yield_overall: float  # good / cells' worth started on the branch that started the fewest
    yield_per_step: dict[str, float]
    stations: tuple[StationResult, ...]
    zones: tuple[ZoneResult, ...]
    bottleneck: str
    bottleneck_why: str
    wip_units: float
    wip_start_units: int
    wip_end_units: int
    lead_time_h: float | None
    lead_time_calendar_h: float | None
    materials_consumed_g: dict[str, float]  # over the measured period (kept for one release; see ..._per_year)
    materials_per_good_unit_g: dict[str, float]
    throughput_timeseries: tuple[float, ...]  # good units per calendar day from the start (warm-up included)
    events: int
    notes: tuple[str, ...] = field(default=())
    ci_method: str = ""
    scheduled_hours_per_year: float = math.nan
    expired_units: int = 0
    lead_time_by_head_h: dict[str, float] = field(default_factory=dict)
    lead_time_method: str = ""
    lead_time_traced_h: float | None = None  # measured on the units released at ``traced_head``
    traced_head: str | None = None
    wip_by_branch_units: dict[str, float] = field(default_factory=dict)
    bottlenecks: tuple[dict[str, Any], ...] = ()
    carriers: tuple[CarrierResult, ...] = ()
    materials_consumed_g_per_year: dict[str, float] = field(default_factory=dict)
    materials_purchased_g_per_year: dict[str, float] = field(default_factory=dict)
    materials_intermediate_g_per_year: dict[str, float] = field(default_factory=dict)
    wip_series_units: tuple[float, ...] = ()  # mean WIP per sample interval, whole run
    wip_series_end_days: tuple[float, ...] = ()  # calendar day at each interval's end
    warmup_check: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def timeseries_days(self) -> tuple[int, ...]:
        return tuple(range(len(self.throughput_timeseries)))

    @property
    def materials_consumed_g_per_replication(self) -> dict[str, float]:
        return self.materials_consumed_g

    def station(self, name: str) -> StationResult:
        for s in self.stations:
            if s.name == name:
                return s
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stations"] = [s.to_dict() for s in self.stations]
        d["zones"] = [z.to_dict() for z in self.zones]
        d["carriers"] = [c.to_dict() for c in self.carriers]
        d["materials_consumed_g_per_replication"] = self.materials_consumed_g
        if not all(math.isfinite(x) for x in self.throughput_ci95_units_per_h):
            d["throughput_ci95_units_per_h"] = None
        return jsonable(d)


@dataclass(frozen=True)
class ExperimentResult:
    """Independent replications of one line; the headline figures are means over replications."""

    line_name: str
    seed: int
    replications: int
    days: float
    warmup_days: float
    lot_size: int
    results: tuple[LineResult, ...]
    started_units: float
    good_units: float
    scrapped_units: float
    throughput_units_per_h: float
    throughput_ci95_units_per_h: tuple[float, float]  # NaN when no honest interval (see ci_method)
    ci_method: str
    throughput_units_per_calendar_h: float
    good_units_per_year: float
    energy_MWh_per_year: float | None
    energy_MWh_per_year_ci95: tuple[float, float] | None
    yield_rty: float
    yield_rty_planned: float
    yield_per_step: dict[str, float]
    stations: tuple[StationResult, ...]
    zones: tuple[ZoneResult, ...]
    bottleneck: str
    bottleneck_why: str
    wip_units: float
    lead_time_h: float | None
    lead_time_calendar_h: float | None
    materials_consumed_g: dict[str, float]
    materials_per_good_unit_g: dict[str, float]
    throughput_timeseries: tuple[float, ...]
    scheduled_fraction: float
    events: int
    notes: tuple[str, ...]
    expired_units: float = 0.0
    lead_time_ci95_h: tuple[float, float] = NAN_CI
    lead_time_by_head_h: dict[str, float] = field(default_factory=dict)
    lead_time_method: str = ""
    wip_by_branch_units: dict[str, float] = field(default_factory=dict)
    bottlenecks: tuple[dict[str, Any], ...] = ()
    carriers: tuple[CarrierResult, ...] = ()
    materials_consumed_g_per_year: dict[str, float] = field(default_factory=dict)
    materials_purchased_g_per_year: dict[str, float] = field(default_factory=dict)
    materials_intermediate_g_per_year: dict[str, float] = field(default_factory=dict)
    warmup_check: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    good_units_per_year_ci95: tuple[float, float] = NAN_CI

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``pouchline simulate --json``."""
        ci_ok = all(math.isfinite(x) for x in self.throughput_ci95_units_per_h)
        d = {
            "line": self.line_name,
            "sim_days": self.days,
            "warmup_days": self.warmup_days,
            "seed": self.seed,
            "replications": self.replications,
            "lot_size": self.lot_size,
            "scheduled_fraction": self.scheduled_fraction,
            "started_units": self.started_units,
            "good_units": self.good_units,
            "scrapped_units": self.scrapped_units,
            "expired_units": self.expired_units,
            "throughput_units_per_h": self.throughput_units_per_h,
            "throughput_ci95_units_per_h": list(self.throughput_ci95_units_per_h) if ci_ok else None,
            "ci_method": self.ci_method,
            "throughput_per_replication_units_per_h": [r.throughput_units_per_h for r in self.results],
            "throughput_units_per_calendar_h": self.throughput_units_per_calendar_h,
            "good_units_per_year": self.good_units_per_year,
            "good_units_per_year_ci95": list(self.good_units_per_year_ci95) if ci_ok else None,
            "energy_MWh_per_year": self.energy_MWh_per_year,
            "energy_MWh_per_year_ci95": list(self.energy_MWh_per_year_ci95) if self.energy_MWh_per_year_ci95 else None,
            "yield_rty": self.yield_rty,
            "yield_rty_planned": self.yield_rty_planned,
            "yield_per_step": self.yield_per_step,
            "bottleneck": self.bottleneck,
            "bottleneck_why": self.bottleneck_why,
            "bottlenecks": list(self.bottlenecks),
            "wip_units": self.wip_units,
            "wip_by_branch_units": self.wip_by_branch_units,
            "lead_time_h": self.lead_time_h,
            "lead_time_ci95_h": list(self.lead_time_ci95_h),
            "lead_time_calendar_h": self.lead_time_calendar_h,
            "lead_time_by_head_h": self.lead_time_by_head_h,
            "lead_time_method": self.lead_time_method,
            "warmup_check": self.warmup_check,
            "carriers": [c.to_dict() for c in self.carriers],
            "materials_consumed_g": self.materials_consumed_g,
            "materials_consumed_g_per_replication": self.materials_consumed_g,
            "materials_consumed_g_per_year": self.materials_consumed_g_per_year,
            "materials_purchased_g_per_year": self.materials_purchased_g_per_year,
            "materials_intermediate_g_per_year": self.materials_intermediate_g_per_year,
            "materials_per_good_unit_g": self.materials_per_good_unit_g,
            "stations": [s.to_dict() for s in self.stations],
            "zones": [z.to_dict() for z in self.zones],
            "throughput_timeseries_units_per_day": list(self.throughput_timeseries),
            "events": self.events,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }
        return jsonable(d)

    def stations_frame(self) -> "pd.DataFrame":
        """Per-station table (pandas) for printing and the app."""
        import pandas as pd

        rows = []
        for s in self.stations:
            rows.append({
                "station": s.name, "step": s.step, "branch": s.branch, "machines": s.machines,
                "capacity_u_h": s.capacity_units_per_h, "line_limit_u_h": s.line_limit_good_units_per_h,
                "started": s.started_units, "scrapped": s.scrapped_units, "expired": s.expired_units,
                "yield": s.yield_frac, "util": s.utilization, "avail": s.availability, "down": s.down_fraction,
                "setup": s.setup_fraction, "blocked": s.blocked_fraction, "starved": s.starved_fraction,
                "zone_wait": s.zone_wait_fraction, "carrier_wait": s.carrier_wait_fraction, "oee": s.oee,
                "wip": s.wip_units,
            })
        return pd.DataFrame(rows).set_index("station")


# --------------------------------------------------------------------------------------------
# KPI math
# --------------------------------------------------------------------------------------------
def _ratio(a: float, b: float, default: float = math.nan) -> float:
    return a / b if b else default


def _pct(f: float) -> str:
    return f"{100 * f:.1f} %"


def rank_bottlenecks(stations: Sequence[StationResult], zones: Sequence[ZoneResult] = (),
                     votes: dict[str, int] | None = None, replications: int = 1,
                     active_ci: dict[str, tuple[float, float]] | None = None) -> list[dict[str, Any]]:
    """Stations (and capacity-limited zones) ranked as bottleneck candidates: by the share of
    replications that named them, then by active share. Each entry: ``name``, ``active_fraction``
    (and its 95 % interval over replications), ``line_limit_good_units_per_h`` and ``votes``
    (share of replications)."""
    votes = votes or {}
    active_ci = active_ci or {}
    rows = []
    for s in stations:
        rows.append({"name": s.name, "kind": "station", "active_fraction": s.active_fraction,
                     "active_ci95": list(active_ci.get(s.name, NAN_CI)),
                     "line_limit_good_units_per_h": s.line_limit_good_units_per_h,
                     "votes": votes.get(s.name, 0) / replications, "votes_count": votes.get(s.name, 0)})
    for z in zones:
        if z.utilization is not None:
            name = f"zone:{z.name}"
            rows.append({"name": name, "kind": "zone", "active_fraction": z.utilization,
                         "active_ci95": list(active_ci.get(name, NAN_CI)), "line_limit_good_units_per_h": None,
                         "votes": votes.get(name, 0) / replications, "votes_count": votes.get(name, 0)})
    rows.sort(key=lambda r: (-r["votes_count"], -round(r["active_fraction"], 6),
                             r["line_limit_good_units_per_h"] if r["line_limit_good_units_per_h"] is not None else 0.0))
    for k, r in enumerate(rows, 1):
        r["rank"] = k
    return rows


def find_bottleneck(stations: Sequence[StationResult], zones: Sequence[ZoneResult] = ()) -> tuple[str, str]:
    """The bottleneck of one run and a sentence saying why (see the module docstring for the rule)."""
    if not stations:
        return "", ""
    best = max(stations, key=lambda s: (round(s.active_fraction, 6), -s.line_limit_good_units_per_h))
    for z in zones:
        if z.utilization is not None and z.utilization > best.active_fraction:
            return (f"zone:{z.name}", f"zone {z.name} ({z.kind}, {z.capacity} slots) is in use "
                    f"{_pct(z.utilization)} of scheduled time, more than any station is active "
                    f"(most active: {best.name}, {_pct(best.active_fraction)}); stations "
                    f"{', '.join(z.stations)} wait for it")
    return best.name, _station_why(best, stations)


def _station_why(best: StationResult, stations: Sequence[StationResult]) -> str:
    why = (f"{best.name}: active {_pct(best.active_fraction)} of scheduled time (busy {_pct(best.utilization)}, "
           f"down {_pct(best.down_fraction)}, setup {_pct(best.setup_fraction)}), blocked {_pct(best.blocked_fraction)}, "
           f"starved {_pct(best.starved_fraction)}")
    if best.zone_wait_fraction > 0.005:
        why += f", waiting for its zone {_pct(best.zone_wait_fraction)}"
    if best.carrier_wait_fraction > 0.005:
        why += f", waiting for carriers {_pct(best.carrier_wait_fraction)}"
    why += (f"; capacity {best.capacity_units_per_h:,.0f} units/h in, a line limit of "
            f"{best.line_limit_good_units_per_h:,.1f} good cells/h at the line's end")
    lowest = min(stations, key=lambda s: s.line_limit_good_units_per_h)
    if lowest is best:
        why += ", the lowest of all stations"
    else:
        why += f"; on paper {lowest.name} is lower ({lowest.line_limit_good_units_per_h:,.1f} good cells/h)"
    return why


def line_limits(specs: Sequence[Any], topo: Any | None = None) -> list[float]:
    """Good units/h at the end of the line if each station alone limited it: capacity / units
    started per good unit (along the station's route to the end)."""
    from pouchline.line.model import topology_of

    topo = topo or topology_of(specs)
    u = topo.units_started_per_good([s.scrap_rate for s in specs])
    return [s.capacity_units_per_h / ui for s, ui in zip(specs, u)]


_line_limits = line_limits  # the name earlier releases used


def intermediate_materials(recipe: Any) -> frozenset[str]:
    """Material ids a recipe makes on the line from other materials: the ``product`` of its steps
    (the InSnBi alloy of ``alloy_prep``). Pass them to :func:`pouchline.line.simulate` as
    ``intermediate_materials`` so purchased and intermediate materials are reported apart."""
    out = set()
    for step in getattr(recipe, "steps", ()) or ():
        product = getattr(step, "product", None)
        if isinstance(product, str) and product:
            out.add(product)
    return frozenset(out)


def _split_materials(per_year: dict[str, float], intermediates: Iterable[str]) -> tuple[dict, dict]:
    inter = set(intermediates)
    return ({m: g for m, g in per_year.items() if m not in inter}, {m: g for m, g in per_year.items() if m in inter})


def summarize(raw: "RawRun", plan: "RunPlan", *, seed: int, spawn_key: tuple[int, ...] = ()) -> LineResult:
    """Turn one run's raw measurements into a :class:`LineResult`."""
    line = plan.line
    topo = raw.topology
    specs = raw.specs
    clock = ShiftClock(line.calendar)
    span_s = raw.t_end_s - raw.t_start_s
    sched_h = span_s / 3600.0
    u = list(plan.units_per_good)
    limits = [s.capacity_units_per_h / ui for s, ui in zip(specs, u)]
    branch = topo.branch_of()
    stations = []
    for i, (spec, c, job, cap, lim) in enumerate(zip(specs, raw.stations, raw.job_units, raw.buffer_capacity_units,
                                                     limits)):
        machine_s = spec.machines * span_s
        f = [_ratio(x, machine_s, 0.0) for x in c.state_machine_s]
        busy, setup, down, blocked, starved, zone_wait, carrier_wait = f
        avail = 1.0 - down - setup
        quality = _ratio(c.good_units, c.processed_units + c.expired_units)
        entering = c.started_units - c.expired_units
        w_proc = _ratio(c.proc_unit_s, entering, 0.0) + _ratio(c.blocked_unit_s, c.good_units, 0.0)
        waits = {specs[f_].name: _ratio(b, n, 0.0) / 3600.0
                 for f_, b, n in zip(topo.feeders[i], c.buffer_unit_s, c.buffer_in_units)}
        stations.append(StationResult(
            name=spec.name, step=spec.step, machines=spec.machines, batch_size=spec.batch_size,
            cycle_time_s=spec.cycle_time_s, job_units=job, buffer_capacity_units=cap,
            nominal_availability=spec.availability, capacity_units_per_h=spec.capacity_units_per_h,
            line_limit_good_units_per_h=lim,
            started_units=c.started_units, good_units=c.good_units, scrapped_units=c.scrapped_units,
            yield_frac=quality, utilization=busy, setup_fraction=setup, down_fraction=down,
            blocked_fraction=blocked, starved_fraction=starved, zone_wait_fraction=zone_wait,
            availability=avail, performance=_ratio(busy, avail, 0.0), quality=quality,
            oee=busy * quality if math.isfinite(quality) else math.nan,
            wip_units=_ratio(c.wip_unit_s, span_s, 0.0), feeds=spec.feeds, branch=branch[i],
            carrier_wait_fraction=carrier_wait, expired_units=c.expired_units, units_started_per_good_unit=u[i],
            wip_buffer_units=_ratio(sum(c.buffer_unit_s), span_s, 0.0),
            wip_in_process_units=_ratio(c.proc_unit_s + c.blocked_unit_s, span_s, 0.0),
            time_in_station_h=w_proc / 3600.0, buffer_wait_h=waits,
        ))
    zones = []
    for zid, z in line.zones.items():
        members = tuple(s.name for s in specs if s.zone == zid)
        util = None
        if zid in raw.zone_slot_s:
            capacity, slot_s = raw.zone_slot_s[zid]
            util = _ratio(slot_s, capacity * span_s, 0.0)
        idx = [i for i, s in enumerate(specs) if s.zone == zid]
        exp_n = sum(raw.stations[i].exposure_units for i in idx)
        exp_s = sum(raw.stations[i].exposure_unit_s for i in idx)
        exp_max = max((raw.stations[i].exposure_max_s for i in idx), default=0.0)
        zones.append(ZoneResult(
            zid, z.kind, z.atmosphere, z.capacity, members, util, z.exposure_limit_h,
            exp_s / exp_n / 3600.0 if exp_n else None, exp_max / 3600.0 if exp_n else None,
            float(sum(raw.stations[i].expired_units for i in idx))))
    bottleneck, why = find_bottleneck(stations, zones)
    ranked = rank_bottlenecks(stations, zones, {bottleneck: 1}, 1)

    end = topo.end
    started = sum(raw.stations[h].started_units for h in topo.heads)
    good = raw.stations[end].good_units
    scrapped = sum(c.scrapped_units for c in raw.stations)
    expired = sum(c.expired_units for c in raw.stations)
    th = _ratio(good, sched_h, 0.0)
    sched_per_year = line.calendar.scheduled_h_per_week * 365.0 / 7.0
    per_year = th * sched_per_year
    energy = plan.cell_energy_Wh
    rty = 1.0
    per_step: dict[str, float] = {}
    for s, spec in zip(stations, specs):
        y = s.yield_frac if math.isfinite(s.yield_frac) else 1.0 - spec.scrap_rate
        rty *= y
        per_step[s.step] = per_step.get(s.step, 1.0) * y
    planned = float(np.prod([1.0 - s.scrap_rate for s in specs]))
    kits_started = min(raw.stations[h].started_units / topo.units_per_unit(h, end) for h in topo.heads)
    wip = sum(s.wip_units for s in stations)
    # lead time of a good unit: Little's law station by station along each head's route
    by_head: dict[str, float] = {}
    for h in topo.heads:
        path = topo.path(h)
        total = stations[h].time_in_station_h
        for prev, k in zip(path, path[1:]):
            total += stations[k].buffer_wait_h.get(specs[prev].name, 0.0) + stations[k].time_in_station_h
        by_head[specs[h].name] = total
    lead = max(by_head.values()) if good > 0 else None
    wip_branch: dict[str, float] = {}
    for s in stations:
        wip_branch[s.branch] = wip_branch.get(s.branch, 0.0) + s.wip_units
    consumed: dict[str, float] = {}
    for spec, c in zip(specs, raw.stations):
        for mat, g in plan.materials.get(spec.step, {}).items():
            consumed[mat] = consumed.get(mat, 0.0) + c.started_units * g
    per_good = {m: (g / good if good else math.nan) for m, g in consumed.items()}
    consumed_year = {m: _ratio(g, sched_h, 0.0) * sched_per_year for m, g in consumed.items()}
    purchased, intermediate = _split_materials(consumed_year, plan.intermediates)

    # carriers: Little's law on each loop
    carriers = []
    for cc in raw.carriers:
        a = [s.name for s in specs].index(cc.from_station)
        rate = _ratio(cc.acquired_units, sched_h, 0.0)
        hold_h = _ratio(cc.in_use_slot_s, cc.acquired_units, 0.0) / 3600.0
        in_use = _ratio(cc.in_use_slot_s, span_s, 0.0) / cc.units_per_carrier
        wait = _ratio(raw.stations[a].carrier_wait_unit_s, cc.acquired_units, 0.0) / 3600.0
        carriers.append(CarrierResult(
            cc.name, cc.count, cc.units_per_carrier, cc.from_station, cc.to_station, in_use,
            rate * hold_h / cc.units_per_carrier, NAN_CI, hold_h, rate,
            -(-cc.max_in_use_slots // cc.units_per_carrier), cc.loop_wip_max_units, wait,
            stations[a].carrier_wait_fraction > 0.001))

    # batch means within the measured period (only when valid), good units per calendar day
    t, n = raw.completion_s, raw.completion_units
    bm = batch_means_ci(t, n, raw.t_start_s, raw.t_end_s, clock.week_scheduled_s if not clock.is_continuous else WEEK_S)
    n_days = int(math.ceil(plan.warmup_days + plan.days - 1e-9))
    day = np.minimum((clock.to_calendar_s(t) // DAY_S).astype(np.int64), max(n_days - 1, 0))
    series = np.bincount(day, weights=n, minlength=n_days)[:n_days] if t.size else np.zeros(n_days)
    # WIP series (interval means over the whole run) and its warm-up check
    dt = np.diff(raw.wip_sample_s)
    wip_series = np.diff(raw.wip_integral_unit_s) / np.where(dt > 0, dt, 1.0)
    end_days = clock.to_calendar_s(raw.wip_sample_s[1:]) / DAY_S
    check = warmup_check(wip_series, end_days, plan.warmup_days, plan.warmup_days + plan.days)
    warnings = []
    if not check.ok:
        warnings.append(check.message)
    warnings.extend(_run_warnings(zones, carriers))
    traced = None
    if raw.trace_units:
        traced = raw.trace_lead_unit_s / raw.trace_units / 3600.0
    return LineResult(
        line_name=line.name, seed=seed, spawn_key=spawn_key, days=plan.days, warmup_days=plan.warmup_days,
        lot_size=raw.lot_size, scheduled_hours=sched_h, scheduled_fraction=clock.fraction,
        started_units=started, good_units=good, scrapped_units=scrapped,
        throughput_units_per_h=th, throughput_ci95_units_per_h=bm.ci95,
        throughput_units_per_calendar_h=good / (plan.days * 24.0), good_units_per_year=per_year,
        cell_energy_Wh=energy, energy_MWh_per_year=per_year * energy / 1e6 if energy else None,
        yield_rty=rty, yield_rty_planned=planned, yield_overall=_ratio(good, kits_started),
        yield_per_step=per_step, stations=tuple(stations), zones=tuple(zones),
        bottleneck=bottleneck, bottleneck_why=why, wip_units=wip,
        wip_start_units=sum(c.wip_start_units for c in raw.stations),
        wip_end_units=sum(c.wip_end_units for c in raw.stations),
        lead_time_h=lead, lead_time_calendar_h=lead / clock.fraction if lead is not None else None,
        materials_consumed_g=consumed, materials_per_good_unit_g=per_good,
        throughput_timeseries=tuple(float(x) for x in series), events=raw.events, notes=raw.notes,
        ci_method=bm.method, scheduled_hours_per_year=sched_per_year, expired_units=expired,
        lead_time_by_head_h=by_head, lead_time_method=LEAD_TIME_METHOD,
        lead_time_traced_h=traced, traced_head=specs[plan.trace_head].name if plan.trace_head is not None else None,
        wip_by_branch_units=wip_branch, bottlenecks=tuple(ranked), carriers=tuple(carriers),
        materials_consumed_g_per_year=consumed_year, materials_purchased_g_per_year=purchased,
        materials_intermediate_g_per_year=intermediate,
        wip_series_units=tuple(float(x) for x in wip_series), wip_series_end_days=tuple(float(x) for x in end_days),
        warmup_check=check.to_dict(), warnings=tuple(warnings),
    )


LEAD_TIME_METHOD = ("Little's law station by station (input buffer, in process, blocked) summed along each head's "
                    "route to the end; the longest route")


def _run_warnings(zones: Sequence[ZoneResult], carriers: Sequence[CarrierResult]) -> list[str]:
    out = []
    for z in zones:
        if z.expired_units > 0:
            out.append(f"zone {z.name}: {z.expired_units:,.0f} units passed the {z.exposure_limit_h:g} h exposure limit "
                       "and were scrapped (expired_units per station); WIP in the zone costs yield")
    for c in carriers:
        if c.binding:
            out.append(f"carriers {c.name}: units waited {c.wait_h_per_unit:.2f} h each for one of the {c.count:,} "
                       f"carriers; {c.carriers_needed:,.0f} were in use on average")
    return out


# --------------------------------------------------------------------------------------------
# combining replications
# --------------------------------------------------------------------------------------------
_FIXED = {"cycle_time_s", "nominal_availability", "capacity_units_per_h", "line_limit_good_units_per_h",
          "buffer_capacity_units", "units_started_per_good_unit"}


def _mean_station(items: Sequence[StationResult]) -> StationResult:
    first = items[0]
    values: dict[str, Any] = {}
    for f in fields(StationResult):
        v = getattr(first, f.name)
        if f.name in _FIXED:
            continue
        if isinstance(v, float) or f.name in ("started_units", "good_units", "scrapped_units", "expired_units"):
            values[f.name] = float(np.mean([getattr(s, f.name) for s in items]))
        elif isinstance(v, dict):
            values[f.name] = _mean_dict([getattr(s, f.name) for s in items])
    return replace(first, **values)


def _mean_dict(dicts: Sequence[dict[str, float]]) -> dict[str, float]:
    keys = list(dict.fromkeys(k for d in dicts for k in d))
    return {k: float(np.mean([d.get(k, math.nan) for d in dicts])) for k in keys}


def _mean_or_none(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def _experiment_bottleneck(results: Sequence[LineResult], stations: Sequence[StationResult],
                           zones: Sequence[ZoneResult]) -> tuple[str, str, list[dict[str, Any]]]:
    """Most votes wins (ties: higher mean active share); a sentence with votes, intervals and the
    runner-up, saying when the two cannot be told apart."""
    R = len(results)
    votes: dict[str, int] = {}
    for r in results:
        votes[r.bottleneck] = votes.get(r.bottleneck, 0) + 1
    active: dict[str, list[float]] = {s.name: [r.stations[i].active_fraction for r in results]
                                      for i, s in enumerate(stations)}
    for k, z in enumerate(zones):
        if z.utilization is not None:
            active[f"zone:{z.name}"] = [r.zones[k].utilization or 0.0 for r in results]
    ci = {name: mean_ci95(v) for name, v in active.items()}
    ranked = rank_bottlenecks(stations, zones, votes, R, ci)
    top = ranked[0]
    name = top["name"]
    if top["kind"] == "zone":
        zone = next(z for z in zones if f"zone:{z.name}" == name)
        why = (f"zone {zone.name} ({zone.kind}, {zone.capacity} slots) is in use {_pct(zone.utilization)} of "
               f"scheduled time; named in {top['votes_count']} of {R} replications; stations "
               f"{', '.join(zone.stations)} wait for it")
    else:
        best = next(s for s in stations if s.name == name)
        why = _station_why(best, stations)
        why += f"; named in {top['votes_count']} of {R} replication{'s' if R != 1 else ''}"
    if len(ranked) > 1:
        nxt = ranked[1]
        a, b = active[name], active[nxt["name"]]
        diff_ci = mean_ci95([x - y for x, y in zip(a, b)])
        limit = nxt["line_limit_good_units_per_h"]
        why += (f". Next: {nxt['name']}, active {_pct(nxt['active_fraction'])}, named in {nxt['votes_count']}"
                + (f", line limit {limit:,.1f} good cells/h" if limit is not None else ""))
        if R < 2:
            if abs(top["active_fraction"] - nxt["active_fraction"]) < 0.01:
                why += "; the two are within 1 point of each other: run several replications to tell them apart"
        elif diff_ci[0] <= 0.0 <= diff_ci[1]:
            why += ("; the two are within the 95 % confidence interval of each other (difference of active shares "
                    f"{100 * diff_ci[0]:+.2f} to {100 * diff_ci[1]:+.2f} points): either can bind; a what-if "
                    "(pouchline simulate --what-if) shows which machine buys output")
    return name, why, ranked


def combine(results: Sequence[LineResult], *, seed: int) -> ExperimentResult:
    """Means over replications, with Student-t confidence intervals across them."""
    if not results:
        raise ValueError("no replications to combine")
    r0 = results[0]
    R = len(results)
    th = [r.throughput_units_per_h for r in results]
    if R >= 2:
        ci, method = mean_ci95(th), f"Student t over {R} replications"
    else:
        ci, method = r0.throughput_ci95_units_per_h, r0.ci_method
    stations = tuple(_mean_station([r.stations[i] for r in results]) for i in range(len(r0.stations)))
    zones = tuple(
        replace(z, utilization=None if z.utilization is None else float(np.mean([r.zones[i].utilization for r in results])),
                exposure_mean_h=_mean_or_none([r.zones[i].exposure_mean_h for r in results]),
                exposure_max_h=max((r.zones[i].exposure_max_h or 0.0 for r in results), default=None)
                if z.exposure_limit_h is not None else None,
                expired_units=float(np.mean([r.zones[i].expired_units for r in results])))
        for i, z in enumerate(r0.zones)
    )
    bottleneck, why, ranked = _experiment_bottleneck(results, stations, zones)
    energy = [r.energy_MWh_per_year for r in results]
    energy_ok = all(e is not None for e in energy)
    per_h_to_year = r0.scheduled_hours_per_year
    ci_ok = all(math.isfinite(x) for x in ci)
    if energy_ok and r0.cell_energy_Wh and ci_ok:
        scale = r0.cell_energy_Wh / 1e6 * per_h_to_year  # units/h -> MWh/yr
        energy_ci = (ci[0] * scale, ci[1] * scale)
    else:
        energy_ci = None
    leads = [r.lead_time_h for r in results if r.lead_time_h is not None]
    lead = float(np.mean(leads)) if leads else None
    series = np.mean([r.throughput_timeseries for r in results], axis=0) if r0.throughput_timeseries else np.zeros(0)
    notes = tuple(dict.fromkeys(n for r in results for n in r.notes))
    carriers = []
    for k, c in enumerate(r0.carriers):
        needed = [r.carriers[k].carriers_needed for r in results]
        carriers.append(replace(
            c, carriers_in_use_mean=float(np.mean([r.carriers[k].carriers_in_use_mean for r in results])),
            carriers_needed=float(np.mean(needed)), carriers_needed_ci95=mean_ci95(needed),
            hold_time_h=float(np.mean([r.carriers[k].hold_time_h for r in results])),
            units_per_h=float(np.mean([r.carriers[k].units_per_h for r in results])),
            max_in_use=max(r.carriers[k].max_in_use for r in results),
            loop_wip_max_units=max(r.carriers[k].loop_wip_max_units for r in results),
            wait_h_per_unit=float(np.mean([r.carriers[k].wait_h_per_unit for r in results])),
            binding=any(r.carriers[k].binding for r in results)))
    wip_series = np.mean([r.wip_series_units for r in results], axis=0)
    check = warmup_check(wip_series, r0.wip_series_end_days, r0.warmup_days, r0.warmup_days + r0.days)
    exp_zones_carriers = _run_warnings(zones, carriers)
    warnings = ([] if check.ok else [check.message]) + exp_zones_carriers
    if not ci_ok:
        warnings.append(f"no confidence interval on throughput: {method}")
    return ExperimentResult(
        line_name=r0.line_name, seed=seed, replications=R, days=r0.days, warmup_days=r0.warmup_days,
        lot_size=r0.lot_size, results=tuple(results),
        started_units=float(np.mean([r.started_units for r in results])),
        good_units=float(np.mean([r.good_units for r in results])),
        scrapped_units=float(np.mean([r.scrapped_units for r in results])),
        throughput_units_per_h=float(np.mean(th)), throughput_ci95_units_per_h=(float(ci[0]), float(ci[1])),
        ci_method=method,
        throughput_units_per_calendar_h=float(np.mean([r.throughput_units_per_calendar_h for r in results])),
        good_units_per_year=float(np.mean([r.good_units_per_year for r in results])),
        energy_MWh_per_year=float(np.mean(energy)) if energy_ok else None, energy_MWh_per_year_ci95=energy_ci,
        yield_rty=float(np.mean([r.yield_rty for r in results])), yield_rty_planned=r0.yield_rty_planned,
        yield_per_step=_mean_dict([r.yield_per_step for r in results]), stations=stations, zones=zones,
        bottleneck=bottleneck, bottleneck_why=why,
        wip_units=float(np.mean([r.wip_units for r in results])), lead_time_h=lead,
        lead_time_calendar_h=lead / r0.scheduled_fraction if lead is not None else None,
        materials_consumed_g=_mean_dict([r.materials_consumed_g for r in results]),
        materials_per_good_unit_g=_mean_dict([r.materials_per_good_unit_g for r in results]),
        throughput_timeseries=tuple(float(x) for x in series), scheduled_fraction=r0.scheduled_fraction,
        events=sum(r.events for r in results), notes=notes,
        expired_units=float(np.mean([r.expired_units for r in results])),
        lead_time_ci95_h=mean_ci95(leads) if len(leads) == R else NAN_CI,
        lead_time_by_head_h=_mean_dict([r.lead_time_by_head_h for r in results]),
        lead_time_method=r0.lead_time_method,
        wip_by_branch_units=_mean_dict([r.wip_by_branch_units for r in results]),
        bottlenecks=tuple(ranked), carriers=tuple(carriers),
        materials_consumed_g_per_year=_mean_dict([r.materials_consumed_g_per_year for r in results]),
        materials_purchased_g_per_year=_mean_dict([r.materials_purchased_g_per_year for r in results]),
        materials_intermediate_g_per_year=_mean_dict([r.materials_intermediate_g_per_year for r in results]),
        warmup_check=check.to_dict(), warnings=tuple(warnings),
        good_units_per_year_ci95=(ci[0] * per_h_to_year, ci[1] * per_h_to_year),
    )
