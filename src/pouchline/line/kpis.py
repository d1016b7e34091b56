"""Results of line simulations and the KPI arithmetic behind them.

Definitions (all time fractions are fractions of *scheduled* time, summed over a station's
machines; off-shift and planned maintenance are not scheduled):

* **utilization** = busy; **availability** = 1 - down - setup (OEE availability);
  **performance** = busy / (1 - down - setup); **quality** = good / processed at the station;
  **OEE** = availability x performance x quality = busy x quality (Nakajima, *Introduction to TPM*,
  1988). ``nominal_availability`` is MTBF / (MTBF + MTTR).
* **throughput** = good units leaving the last station per scheduled hour;
  ``throughput_units_per_calendar_h`` divides by calendar hours instead.
* **rolled throughput yield** = product over stations of good / processed.
* **lead time** = average WIP / throughput (Little's law, as CT = WIP / TH in Hopp & Spearman,
  *Factory Physics*, 3rd ed. 2008); in calendar hours it is divided by the scheduled fraction.
* **bottleneck** = the station active (busy, down or in setup; not blocked, starved or waiting for
  a zone) the largest share of scheduled time (Roser, Nakano & Tanaka, "A practical bottleneck
  detection method", Proc. Winter Simulation Conference 2001), ties to the lower capacity.
* **95 % confidence interval** on throughput: Student t over replications (independent seeds);
  with one replication, over 20 batch means of the measured period (Law, *Simulation Modeling and
  Analysis*, 5th ed. 2015, ch. 9).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from pouchline.fileio import jsonable
from pouchline.line.clock import DAY_S, ShiftClock

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from pouchline.line.simulation import RawRun, RunPlan

STATES: tuple[str, ...] = ("busy", "setup", "down", "blocked", "starved", "zone_wait")
BATCH_MEANS = 20

_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)


def t975(df: int) -> float:
    """Two-sided 95 % Student t quantile (table to 30 degrees of freedom, Cornish-Fisher above)."""
    if df < 1:
        return math.inf
    if df <= 30:
        return _T975[df - 1]
    z = 1.959963985
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """Student-t 95 % confidence interval of the mean of ``values`` (a point for one value)."""
    x = np.asarray(values, dtype=float)
    m = float(x.mean()) if x.size else math.nan
    if x.size < 2:
        return (m, m)
    half = t975(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return (m - half, m + half)


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
    buffer_capacity_units: float | None  # effective input buffer (None: first station; inf: unlimited)
    nominal_availability: float  # MTBF / (MTBF + MTTR)
    capacity_units_per_h: float  # units it can take in per scheduled hour: rate x availability x setup
    line_limit_good_units_per_h: float  # good cells/h at the line's end if this station were the only limit
    started_units: float
    good_units: float
    scrapped_units: float
    yield_frac: float  # good / processed (units whose processing ended)
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
    wip_units: float

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

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


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
    started_units: int
    good_units: int
    scrapped_units: int
    throughput_units_per_h: float  # good units per scheduled hour
    throughput_ci95_units_per_h: tuple[float, float]  # batch means within this run
    throughput_units_per_calendar_h: float
    good_units_per_year: float
    cell_energy_Wh: float | None
    energy_MWh_per_year: float | None
    yield_rty: float
    yield_rty_planned: float
    yield_overall: float  # good / started (differs from RTY by the change in WIP)
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
    materials_consumed_g: dict[str, float]
    materials_per_good_unit_g: dict[str, float]
    throughput_timeseries: tuple[float, ...]  # good units per calendar day from the start (warm-up included)
    events: int
    notes: tuple[str, ...] = field(default=())

    @property
    def timeseries_days(self) -> tuple[int, ...]:
        return tuple(range(len(self.throughput_timeseries)))

    def station(self, name: str) -> StationResult:
        for s in self.stations:
            if s.name == name:
                return s
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stations"] = [s.to_dict() for s in self.stations]
        d["zones"] = [z.to_dict() for z in self.zones]
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
    throughput_ci95_units_per_h: tuple[float, float]
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

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``pouchline simulate --json``."""
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
            "throughput_units_per_h": self.throughput_units_per_h,
            "throughput_ci95_units_per_h": list(self.throughput_ci95_units_per_h),
            "ci_method": self.ci_method,
            "throughput_per_replication_units_per_h": [r.throughput_units_per_h for r in self.results],
            "throughput_units_per_calendar_h": self.throughput_units_per_calendar_h,
            "good_units_per_year": self.good_units_per_year,
            "energy_MWh_per_year": self.energy_MWh_per_year,
            "energy_MWh_per_year_ci95": list(self.energy_MWh_per_year_ci95) if self.energy_MWh_per_year_ci95 else None,
            "yield_rty": self.yield_rty,
            "yield_rty_planned": self.yield_rty_planned,
            "yield_per_step": self.yield_per_step,
            "bottleneck": self.bottleneck,
            "bottleneck_why": self.bottleneck_why,
            "wip_units": self.wip_units,
            "lead_time_h": self.lead_time_h,
            "lead_time_calendar_h": self.lead_time_calendar_h,
            "materials_consumed_g": self.materials_consumed_g,
            "materials_per_good_unit_g": self.materials_per_good_unit_g,
            "stations": [s.to_dict() for s in self.stations],
            "zones": [z.to_dict() for z in self.zones],
            "throughput_timeseries_units_per_day": list(self.throughput_timeseries),
            "events": self.events,
            "notes": list(self.notes),
        }
        return jsonable(d)

    def stations_frame(self) -> "pd.DataFrame":
        """Per-station table (pandas) for printing and the app."""
        import pandas as pd

        rows = []
        for s in self.stations:
            rows.append({
                "station": s.name, "step": s.step, "machines": s.machines,
                "capacity_u_h": s.capacity_units_per_h, "started": s.started_units, "scrapped": s.scrapped_units,
                "yield": s.yield_frac, "util": s.utilization, "avail": s.availability, "down": s.down_fraction,
                "setup": s.setup_fraction, "blocked": s.blocked_fraction, "starved": s.starved_fraction,
                "zone_wait": s.zone_wait_fraction, "oee": s.oee, "wip": s.wip_units,
            })
        return pd.DataFrame(rows).set_index("station")


# --------------------------------------------------------------------------------------------
# KPI math
# --------------------------------------------------------------------------------------------
def _ratio(a: float, b: float, default: float = math.nan) -> float:
    return a / b if b else default


def find_bottleneck(stations: Sequence[StationResult], zones: Sequence[ZoneResult] = ()) -> tuple[str, str]:
    """The bottleneck and a sentence saying why (see the module docstring for the rule)."""
    if not stations:
        return "", ""
    best = max(stations, key=lambda s: (round(s.active_fraction, 6), -s.line_limit_good_units_per_h))
    lowest = min(stations, key=lambda s: s.line_limit_good_units_per_h)
    pct = lambda f: f"{100 * f:.0f} %"  # noqa: E731
    why = (f"{best.name}: active {pct(best.active_fraction)} of scheduled time (busy {pct(best.utilization)}, "
           f"down {pct(best.down_fraction)}, setup {pct(best.setup_fraction)}), blocked {pct(best.blocked_fraction)}, "
           f"starved {pct(best.starved_fraction)}")
    if best.zone_wait_fraction > 0.005:
        why += f", waiting for its zone {pct(best.zone_wait_fraction)}"
    why += (f"; capacity {best.capacity_units_per_h:,.0f} units/h in, which allows "
            f"{best.line_limit_good_units_per_h:,.1f} good units/h at the line's end")
    if lowest is best:
        why += ", the lowest of all stations"
    else:
        why += (f"; on paper {lowest.name} is lower ({lowest.line_limit_good_units_per_h:,.1f} good units/h): "
                "the two are close, compare over more replications")
    for z in zones:
        if z.utilization is not None and z.utilization > best.active_fraction:
            return (f"zone:{z.name}", f"zone {z.name} ({z.kind}, {z.capacity} slots) is in use "
                    f"{pct(z.utilization)} of scheduled time, more than any station is active "
                    f"(most active: {best.name}, {pct(best.active_fraction)}); stations "
                    f"{', '.join(z.stations)} wait for it")
    return best.name, why


def _line_limits(specs: Sequence[Any]) -> list[float]:
    """Good units/h at the end of the line if each station alone limited it."""
    out = []
    for i, s in enumerate(specs):
        survive = 1.0
        for t in specs[i:]:
            survive *= 1.0 - t.scrap_rate
        out.append(s.capacity_units_per_h * survive)
    return out


def summarize(raw: "RawRun", plan: "RunPlan", *, seed: int, spawn_key: tuple[int, ...] = ()) -> LineResult:
    """Turn one run's raw measurements into a :class:`LineResult`."""
    line = plan.line
    clock = ShiftClock(line.calendar)
    span_s = raw.t_end_s - raw.t_start_s
    sched_h = span_s / 3600.0
    limits = _line_limits(raw.specs)
    stations = []
    for spec, c, job, cap, lim in zip(raw.specs, raw.stations, raw.job_units, raw.buffer_capacity_units, limits):
        machine_s = spec.machines * span_s
        f = [_ratio(x, machine_s, 0.0) for x in c.state_machine_s]
        busy, setup, down, blocked, starved, zone_wait = f
        avail = 1.0 - down - setup
        quality = _ratio(c.good_units, c.processed_units)
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
            wip_units=_ratio(c.wip_unit_s, span_s, 0.0),
        ))
    zones = []
    for zid, z in line.zones.items():
        members = tuple(s.name for s in raw.specs if s.zone == zid)
        util = None
        if zid in raw.zone_slot_s:
            capacity, slot_s = raw.zone_slot_s[zid]
            util = _ratio(slot_s, capacity * span_s, 0.0)
        zones.append(ZoneResult(zid, z.kind, z.atmosphere, z.capacity, members, util))
    bottleneck, why = find_bottleneck(stations, zones)

    started = raw.stations[0].started_units
    good = raw.stations[-1].good_units
    scrapped = sum(c.scrapped_units for c in raw.stations)
    th = _ratio(good, sched_h, 0.0)
    per_year = good / plan.days * 365.0
    energy = plan.cell_energy_Wh
    rty = 1.0
    per_step: dict[str, float] = {}
    for s in stations:
        y = s.yield_frac if math.isfinite(s.yield_frac) else 1.0 - next(p.scrap_rate for p in raw.specs if p.name == s.name)
        rty *= y
        per_step[s.step] = per_step.get(s.step, 1.0) * y
    planned = float(np.prod([1.0 - s.scrap_rate for s in raw.specs]))
    wip = sum(s.wip_units for s in stations)
    lead = wip / th if th > 0 else None
    consumed: dict[str, float] = {}
    for spec, c in zip(raw.specs, raw.stations):
        for mat, g in plan.materials.get(spec.step, {}).items():
            consumed[mat] = consumed.get(mat, 0.0) + c.started_units * g
    per_good = {m: (g / good if good else math.nan) for m, g in consumed.items()}

    # batch means within the measured period, and good units per calendar day over the whole run
    t, n = raw.completion_s, raw.completion_units
    inside = (t > raw.t_start_s) & (t <= raw.t_end_s)
    edges = np.linspace(raw.t_start_s, raw.t_end_s, BATCH_MEANS + 1)
    per_batch, _ = np.histogram(t[inside], bins=edges, weights=n[inside])
    ci = mean_ci95(per_batch / (span_s / BATCH_MEANS / 3600.0))
    n_days = int(math.ceil(plan.warmup_days + plan.days - 1e-9))
    day = np.minimum((clock.to_calendar_s(t) // DAY_S).astype(np.int64), max(n_days - 1, 0))
    series = np.bincount(day, weights=n, minlength=n_days)[:n_days] if t.size else np.zeros(n_days)

    return LineResult(
        line_name=line.name, seed=seed, spawn_key=spawn_key, days=plan.days, warmup_days=plan.warmup_days,
        lot_size=raw.lot_size, scheduled_hours=sched_h, scheduled_fraction=clock.fraction,
        started_units=started, good_units=good, scrapped_units=scrapped,
        throughput_units_per_h=th, throughput_ci95_units_per_h=ci,
        throughput_units_per_calendar_h=good / (plan.days * 24.0), good_units_per_year=per_year,
        cell_energy_Wh=energy, energy_MWh_per_year=per_year * energy / 1e6 if energy else None,
        yield_rty=rty, yield_rty_planned=planned, yield_overall=_ratio(good, started),
        yield_per_step=per_step, stations=tuple(stations), zones=tuple(zones),
        bottleneck=bottleneck, bottleneck_why=why, wip_units=wip,
        wip_start_units=sum(c.wip_start_units for c in raw.stations),
        wip_end_units=sum(c.wip_end_units for c in raw.stations),
        lead_time_h=lead, lead_time_calendar_h=lead / clock.fraction if lead is not None else None,
        materials_consumed_g=consumed, materials_per_good_unit_g=per_good,
        throughput_timeseries=tuple(float(x) for x in series), events=raw.events, notes=raw.notes,
    )


def _mean_station(items: Sequence[StationResult]) -> StationResult:
    first = items[0]
    values = {}
    for f in fields(StationResult):
        v = getattr(first, f.name)
        if isinstance(v, float) and f.name not in ("cycle_time_s", "nominal_availability", "capacity_units_per_h",
                                                   "line_limit_good_units_per_h", "buffer_capacity_units"):
            values[f.name] = float(np.mean([getattr(s, f.name) for s in items]))
        elif f.name in ("started_units", "good_units", "scrapped_units"):
            values[f.name] = float(np.mean([getattr(s, f.name) for s in items]))
    return replace(first, **values)


def _mean_dict(dicts: Sequence[dict[str, float]]) -> dict[str, float]:
    keys = list(dict.fromkeys(k for d in dicts for k in d))
    return {k: float(np.mean([d.get(k, math.nan) for d in dicts])) for k in keys}


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
        ci, method = r0.throughput_ci95_units_per_h, f"Student t over {BATCH_MEANS} batch means of one replication"
    stations = tuple(_mean_station([r.stations[i] for r in results]) for i in range(len(r0.stations)))
    zones = tuple(
        replace(z, utilization=None if z.utilization is None else float(np.mean([r.zones[i].utilization for r in results])))
        for i, z in enumerate(r0.zones)
    )
    bottleneck, why = find_bottleneck(stations, zones)
    energy = [r.energy_MWh_per_year for r in results]
    energy_ok = all(e is not None for e in energy)
    if energy_ok and r0.cell_energy_Wh:
        scale = r0.cell_energy_Wh / 1e6 * (r0.scheduled_hours / r0.days * 365.0)  # units/h -> MWh/yr
        energy_ci = (ci[0] * scale, ci[1] * scale)
    else:
        energy_ci = None
    leads = [r.lead_time_h for r in results if r.lead_time_h is not None]
    lead = float(np.mean(leads)) if leads else None
    series = np.mean([r.throughput_timeseries for r in results], axis=0) if r0.throughput_timeseries else np.zeros(0)
    notes = tuple(dict.fromkeys(n for r in results for n in r.notes))
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
    )
