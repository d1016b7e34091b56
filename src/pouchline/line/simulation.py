"""The SimPy core: one process per machine, one input buffer per feeding station, lots of units.

Model
-----
* **Route as a graph.** Each station performs one recipe step; a *unit* is one cell's worth of
  that step's output. A line file is a chain in list order, or a graph in which every station
  but the last names the station it ``feeds`` (:mod:`pouchline.line.model`). The anode, SE-film
  and cathode branches run in parallel; each branch head takes raw material that never runs
  out. A station fed by several branches is a **merge** (stacking): every feeder has its own
  input buffer, and a machine takes a kit per job, ``J x kit`` units from each feeder's buffer
  (one unit of each by default: a cell's worth of anodes, films and cathode sheets), feeder by
  feeder, holding what it has until every part is there (*starved*; the held parts count as WIP
  waiting at the merge). A feeder whose buffer at the merge is full is
  *blocked*, so blocking and starving happen at the merge as they do on the floor, stock builds
  up between branches, and scrap is charged to the branch that makes it: material consumed at a
  step is units started there x grams per unit.
* **Lots.** Units move in lots of ``lot_size`` (a transfer quantity, not a product). A machine
  takes a *job* of ``J = batch_size x max(1, ceil(L / batch_size))`` units, with ``L`` the lot size
  or the station's ``transfer_units`` (a roll) if larger, runs ``J / batch_size`` cycles of
  ``cycle_time_s`` (a batch station, e.g. a glovebox oven, takes one full batch of several lots),
  loses a binomial number of them to scrap and puts the rest in the next station's buffer,
  waiting while it is full (blocking after service). Buffers count units, so scrap shrinks lots
  and batches are formed from any lots.
* **Failures** are operation-dependent: each machine fails after an exponential amount of
  *operating* time (mean ``mtbf_h``) and is repaired in an exponential time (mean ``mttr_h``), so a
  machine that is always busy is up MTBF/(MTBF+MTTR) of the time. Idle machines do not fail.
* **Unattended processes** (``runs_off_shift``) keep running through off-shift hours: a job's
  scheduled duration is the scheduled time between its start and its calendar end (or the next
  shift's start). Their failures count scheduled operating time.
* **Setups** take ``setup_time_s`` every ``setup_every_units`` units, or at the first job of each
  calendar day. **Zones** (glovebox ports, dry-room operators) are shared slots: a machine holds
  ``zone_slots`` of its zone while it processes a job.
* **Release rule** (optional, :class:`~pouchline.line.model.Release`): under CONWIP a head takes
  ``J`` cards before it starts a job; a card comes back when its unit leaves the head's loop: taken
  by the first merge on the route (or leaving the line's end, on a chain), or scrapped or expired
  on the way. Under a release rate a head starts work at a fixed pace. Waiting for either counts
  as *starved*.
* **Carriers** (fixtures, racks): a machine of the loop's ``from`` station takes one slot per
  unit after its inputs (waiting: *carrier_wait*); the slot is freed when ``to`` ends the unit, or
  when the unit is scrapped inside the loop.
* **Exposure limits.** In a zone with ``exposure_limit_h``, units carry the time at which they
  entered it (calendar time, or scheduled time with ``exposure_clock: scheduled``; a deque of
  (time, units) per buffer, kept only on the buffers where a limit applies; a merged unit carries
  its oldest part's time) until they leave the zone. A station of the zone that takes units past
  the limit scraps them (*expired*) before processing; at a merge an expired part makes its kit
  scrap (its partners are not put back: conservative).
* **Calendar.** The simulation clock counts scheduled seconds only; off-shift and planned
  maintenance are cut out (:mod:`pouchline.line.clock`).
* **Random numbers.** ``SeedSequence(seed)`` spawns one child per station, and each child a stream
  for failures and one for scrap (PCG64). A run is a pure function of its inputs and seed, and
  two lines that differ in one station's machines share every stream (common random numbers,
  used by :func:`pouchline.line.experiment.what_if`).

Statistics collected (turned into KPIs by :mod:`pouchline.line.kpis`): per station the machine
time by state, units started / processed / good / scrapped / expired, and the time integrals of
units in process, units blocked and units in each input buffer, from which the lead time of a
good unit follows by Little's law station by station (Little, Oper. Res. 1961); the WIP of the
whole line on a regular grid (for the MSER-5 warm-up check); carriers in use; and when asked
(``trace_from``), the measured lead time of the good units released at one head, to test that
Little's-law figure against.

Granularity: a job costs about one SimPy event. A get or put that can proceed at once costs none
(:class:`Buffer`), and a machine waiting for its input is woken only when its job ends: the buffer
that hands it the input starts the job (:meth:`_Machine.begin`) whenever nothing else needs
waiting. A year of the 1 GWh line (29 million cells; lots of 200, rolls of ~1,800 cells at the
roll-to-roll steps and punches) is ~1 million events, a few seconds, instead of hours for one
entity per cell. ``benchmarks/bench_line.py`` measures it against the naive model and against the
serial model of the previous release. Lots are transfer batches: WIP in process, lead time and a
part's exposure include whole lots at machines (a punch holds a roll's sheets until the roll is
done), which is how carts, magazines and rolls move in a plant, and errs long by up to one job.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from heapq import heappop, heappush
from itertools import chain
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

import numpy as np
import simpy
from simpy.events import NORMAL, URGENT

from pouchline.errors import InputError, Problem
from pouchline.line.clock import ShiftClock
from pouchline.line.defaults import MAX_SIM_DAYS, MAX_WORK_PER_RUN
from pouchline.line.model import (
    LOT_MINUTES,
    Line,
    StationSpec,
    Topology,
    _nice_floor,
    default_lot_size,
    job_units,
    topology_of,
)

if TYPE_CHECKING:  # pragma: no cover
    from pouchline.line.kpis import LineResult

__all__ = ["STATES", "simulate", "plan_run", "run_plan", "RunPlan", "RawRun", "default_lot_size", "job_units",
           "LOT_MINUTES", "MAX_SIM_DAYS", "estimate_work", "_nice_floor"]

STATES: tuple[str, ...] = ("busy", "setup", "down", "blocked", "starved", "zone_wait", "carrier_wait")
BUSY, SETUP, DOWN, BLOCKED, STARVED, ZONE_WAIT, CARRIER_WAIT = range(7)

_PROGRESS_CHUNKS = 100
_DRAW_BLOCK = 2048
#: WIP samples over a run (warm-up included), for the warm-up check and the carrier loops.
WIP_SAMPLES = 600
INF = math.inf

ProgressCallback = Callable[[float], None]


# --------------------------------------------------------------------------------------------
# raw measurements of one run (turned into KPIs by pouchline.line.kpis)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StationCounts:
    """What one station did in the measured window (after warm-up)."""

    state_machine_s: tuple[float, ...]  # machine-seconds per state in STATES order, summed over machines
    started_units: int  # units taken (they consume material; scrapped and expired units included)
    processed_units: int  # units whose processing ended (good + scrapped)
    good_units: int  # units passed on
    scrapped_units: int
    expired_units: int  # units taken past their zone's exposure limit, scrapped before processing
    jobs: int
    wip_unit_s: float  # integral of units at the station: its input buffers, in process, blocked
    proc_unit_s: float  # integral of units taken and not yet processed (waits, setup, processing)
    blocked_unit_s: float  # integral of good units waiting for room downstream
    buffer_unit_s: tuple[float, ...]  # integral of each feeder's units waiting here: in its buffer, or held by a merge
    buffer_in_units: tuple[int, ...]  # units put into each input buffer
    wip_end_units: int
    wip_start_units: int
    carrier_wait_unit_s: float  # units x time spent waiting for a carrier (at a loop's first station)
    exposure_unit_s: float  # calendar unit-seconds of exposure of the good units leaving a zone here
    exposure_units: int
    exposure_max_s: float


@dataclass(frozen=True)
class CarrierCounts:
    """A carrier pool over the measured window."""

    name: str
    slots: int  # count x units per carrier
    units_per_carrier: int
    count: int
    from_station: str
    to_station: str
    in_use_slot_s: float  # integral of slots in use
    acquired_units: int  # units that took a slot
    max_in_use_slots: int  # whole run
    loop_wip_max_units: int  # largest sampled WIP inside the loop (from station counters, not the pool)


@dataclass(frozen=True)
class RawRun:
    """Everything measured in one run, in scheduled seconds."""

    specs: tuple[StationSpec, ...]
    topology: Topology
    lot_size: int
    job_units: tuple[int, ...]
    buffer_capacity_units: tuple[float | None, ...]  # effective input buffer per station (first feeder; None: head)
    t_start_s: float  # scheduled time at the end of warm-up
    t_end_s: float
    stations: tuple[StationCounts, ...]
    zone_slot_s: dict[str, tuple[int, float]]  # zone -> (capacity, slot-seconds in use)
    carriers: tuple[CarrierCounts, ...]
    completion_s: np.ndarray  # scheduled times at which good units left the line (whole run)
    completion_units: np.ndarray
    wip_sample_s: np.ndarray  # sample times (scheduled s) of the WIP grid, from 0 to t_end
    wip_integral_unit_s: np.ndarray  # integral of total WIP (units) from 0 to each sample time
    trace_lead_unit_s: float  # traced good units: sum of (completion - release at the traced head)
    trace_units: int
    events: int
    notes: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _exponentials(rng: np.random.Generator) -> Iterator[float]:
    """Standard exponential draws, made in blocks; ``next()`` is a C-level step within a block."""
    return chain.from_iterable(_blocks(rng.standard_exponential, (_DRAW_BLOCK,)))


def _binomials(rng: np.random.Generator, n: int, p: float) -> Iterator[int]:
    """Binomial(n, p) draws, made in blocks; ``next()`` is a C-level step within a block."""
    return chain.from_iterable(_blocks(rng.binomial, (n, p, _DRAW_BLOCK)))


def _blocks(draw: Callable[..., np.ndarray], args: tuple) -> Iterator[list]:
    while True:
        yield draw(*args).tolist()


def _check_run_args(days: Any, warmup_days: Any, lot_size: Any) -> tuple[float, float, int | None]:
    problems = []
    try:
        d = float(days)
        if not (math.isfinite(d) and 0 < d <= MAX_SIM_DAYS):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem("days", f"{days!r} is not allowed: the measured period must be > 0 and at most "
                                f"{MAX_SIM_DAYS:g} days (10 years)", days))
        d = 0.0
    try:
        w = float(warmup_days)
        if not (math.isfinite(w) and 0 <= w <= MAX_SIM_DAYS):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem("warmup_days", f"{warmup_days!r} is not allowed: the warm-up must be >= 0 days and "
                                f"at most {MAX_SIM_DAYS:g} days", warmup_days))
        w = 0.0
    if lot_size is not None and (isinstance(lot_size, bool) or not isinstance(lot_size, (int, np.integer))
                                 or lot_size < 1):
        problems.append(Problem("lot_size", f"{lot_size!r} is not allowed: a lot is a whole number of units >= 1",
                                lot_size))
    if problems:
        raise InputError(problems)
    return d, w, (int(lot_size) if lot_size is not None else None)


def check_materials(materials_per_unit_g: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, float]]:
    """Validate ``{step_id: {material_id: grams per unit entering the step}}`` into floats."""
    if materials_per_unit_g is None:
        return {}
    from pouchline.units import to_canonical  # pint only at the boundary
    if not isinstance(materials_per_unit_g, Mapping):
        raise InputError.single("", "materials_per_unit_g", "must map step ids to {material: grams per unit}")
    out: dict[str, dict[str, float]] = {}
    problems = []
    for step, mats in materials_per_unit_g.items():
        if not isinstance(mats, Mapping):
            problems.append(Problem(f"materials_per_unit_g.{step}", f"{mats!r} is not a mapping of material to grams",
                                    mats))
            continue
        out[step] = {}
        for mat, g in mats.items():
            try:
                grams = to_canonical(g, "g")
                if not (math.isfinite(grams) and grams >= 0):
                    raise ValueError(f"{g!r} is not allowed; grams per unit must be a finite number >= 0")
            except ValueError as exc:
                problems.append(Problem(f"materials_per_unit_g.{step}.{mat}", str(exc), g))
                continue
            out[step][mat] = grams
    if problems:
        raise InputError(problems)
    return out


def estimate_work(specs: tuple[StationSpec, ...], topo: Topology, jobs: tuple[int, ...],
                  capacities: tuple[tuple[float, ...], ...], scheduled_h: float) -> float:
    """Machine jobs plus failures a run of ``scheduled_h`` scheduled hours will take, about.

    A station runs at most at its capacity, and not faster than what its finite output buffer
    lets through to the stations after it: ``r_i = min(c_i, r_j k / (1 - p_i))`` (``j`` the station
    it feeds, ``k`` the kit). Jobs = ``r_i T / J_i``; failures <= machines x ``T / (MTBF + MTTR)``.
    """
    rate = [0.0] * len(specs)
    for i in reversed(topo.order):
        cap = specs[i].capacity_units_per_h
        j = topo.fed[i]
        if j is None:
            rate[i] = cap
            continue
        buf = capacities[j][topo.feeders[j].index(i)]
        through = rate[j] * topo.kit_into_fed(i) / max(1e-12, 1.0 - specs[i].scrap_rate)
        rate[i] = cap if math.isinf(buf) else min(cap, through)
    work = 0.0
    for s, r, J in zip(specs, rate, jobs):
        work += r * scheduled_h / J
        if s.mtbf_h is not None and s.mttr_h is not None:
            work += s.machines * scheduled_h / (s.mtbf_h + s.mttr_h)
    return work


@dataclass
class RunPlan:
    """A run's fixed inputs, checked and sized (:func:`plan_run`); the parent process builds it
    before any worker starts, so workers never meet bad input."""

    line: Line
    specs: tuple[StationSpec, ...]
    days: float
    warmup_days: float
    lot_size: int
    job_units: tuple[int, ...]
    capacities: tuple[float | None, ...]  # first input buffer of each station (None at heads), for reports
    notes: tuple[str, ...]
    materials: dict[str, dict[str, float]]
    cell_energy_Wh: float | None
    topology: Topology = None  # type: ignore[assignment]
    input_capacities: tuple[tuple[float, ...], ...] = ()  # per station, per feeder (topology order)
    token_caps: dict[int, int] = field(default_factory=dict)  # head -> CONWIP cards
    release_rates: dict[int, float] = field(default_factory=dict)  # head -> units per scheduled hour
    units_per_good: tuple[float, ...] = ()  # planned units started per good unit at the line's end
    exposure_limit_s: tuple[float | None, ...] = ()  # calendar seconds, per station (None: no limit)
    clock_start: tuple[bool, ...] = ()
    clocked_out: tuple[bool, ...] = ()
    trace_head: int | None = None
    t_warm_s: float = 0.0
    t_end_s: float = 0.0
    work_estimate: float = 0.0
    intermediates: frozenset[str] = frozenset()


def conwip_loop(topo: Topology, head: int) -> tuple[list[int], int | None]:
    """The stations of a head's CONWIP loop and the merge that ends it (``None``: the loop runs to
    the line's end). A card comes back when its unit is scrapped or expires inside the loop, when
    the merge takes it, or when it leaves the line's end."""
    loop = []
    for k in topo.path(head):
        if len(topo.feeders[k]) > 1:
            return loop, k
        loop.append(k)
    return loop, None


def _clocks(line: Line, specs: tuple[StationSpec, ...], topo: Topology,
            trace_head: int | None) -> tuple[tuple[float | None, ...], tuple[bool, ...], tuple[bool, ...]]:
    """Per station: exposure limit in seconds (negative: counted in scheduled seconds, positive: in
    calendar seconds), whether units start a clock here, whether its output carries one (see the
    module docstring)."""
    n = len(specs)
    if trace_head is not None:
        down = set(topo.path(trace_head))
        return (None,) * n, tuple(i == trace_head for i in range(n)), tuple(i in down for i in range(n))
    limit: list[float | None] = [None] * n
    start = [False] * n
    for i, s in enumerate(specs):
        zone = line.zones.get(s.zone) if s.zone else None
        if zone is None or zone.exposure_limit_h is None:
            continue
        if zone.exposure_clock == "calendar":
            limit[i] = zone.exposure_limit_h * 3600.0
        else:  # scheduled hours: negative marks the scheduled clock (see _machine)
            limit[i] = -zone.exposure_limit_h * 3600.0
        if zone.exposure_starts_at is not None:
            start[i] = s.name in zone.exposure_starts_at
        else:  # where units enter the zone: a head, or fed only from outside it
            start[i] = all(specs[f].zone != s.zone for f in topo.feeders[i])
    out = [False] * n
    for i in topo.order:
        carried = any(out[f] for f in topo.feeders[i])
        j = topo.fed[i]
        stays = j is not None and limit[j] is not None
        out[i] = (start[i] or carried) and stays
    return tuple(limit), tuple(start), tuple(out)


def plan_run(line: Line, *, days: float, warmup_days: float = 0.0, lot_size: int | None = None,
             area_per_cell_cm2: float | None = None, materials_per_unit_g: Mapping | None = None,
             cell_energy_Wh: float | None = None, trace_from: str | None = None,
             intermediate_materials: Any = ()) -> RunPlan:
    """Check a run's inputs and size lots, jobs, buffers, cards and carriers; estimate its work.

    Raises :class:`InputError` naming every problem, before any simulation starts.
    """
    d, w, lot = _check_run_args(days, warmup_days, lot_size)
    specs = line.station_specs(area_per_cell_cm2)
    topo = topology_of(specs)
    materials = check_materials(materials_per_unit_g)
    if cell_energy_Wh is not None and (isinstance(cell_energy_Wh, bool) or not isinstance(cell_energy_Wh, (int, float))
                                       or not (math.isfinite(cell_energy_Wh) and cell_energy_Wh > 0)):
        raise InputError.single("", "cell_energy_Wh", f"{cell_energy_Wh!r} is not allowed: energy per cell must be > 0 Wh",
                                cell_energy_Wh)
    problems: list[Problem] = []
    notes: list[str] = []
    clock = ShiftClock(line.calendar)
    t_warm = float(clock.to_scheduled_s(w * 86400.0))
    t_end = float(clock.to_scheduled_s((w + d) * 86400.0))
    if not t_end > t_warm:
        problems.append(Problem("days", f"{d:g} days after {w:g} days of warm-up fall entirely off shift on the "
                                f"line's calendar ({line.calendar.hours_per_day:g} h/day, {line.calendar.days_per_week} "
                                "days/week from day 0, less planned maintenance): nothing is scheduled in the measured "
                                "period; measure longer or change the warm-up", d))
    trace_head = None
    if trace_from is not None:
        names = [s.name for s in specs]
        if trace_from not in names or trace_from not in [names[h] for h in topo.heads]:
            problems.append(Problem("trace_from", f"{trace_from!r} is not a head of the line; heads: "
                                    f"{', '.join(names[h] for h in topo.heads)}", trace_from))
        elif any(z.exposure_limit_h is not None for z in line.zones.values()):
            problems.append(Problem("trace_from", "tracing needs a line without exposure limits (both use the units' "
                                    "clocks)", trace_from))
        else:
            trace_head = names.index(trace_from)

    if lot is None:
        lot = line.lot_size or default_lot_size(specs)
    jobs = tuple(job_units(s, lot) for s in specs)
    # input buffers: one per feeder; at least what holds a job of the feeder and a job's kit
    inputs: list[tuple[float, ...]] = []
    for i, s in enumerate(specs):
        caps = []
        for f, k in zip(topo.feeders[i], topo.kit[i]):
            need = jobs[f] + jobs[i] * k - 1  # smallest buffer that cannot deadlock with these job sizes
            given = s.buffer_capacity
            if given is None:
                caps.append(INF)
            elif given < need:
                caps.append(float(need))
                src = f" of {specs[f].name}'s units" if len(topo.feeders[i]) > 1 else ""
                notes.append(f"{s.name}: input buffer{src} raised from {given} to {need} units, the least that holds a "
                             f"job of {jobs[f]} units from {specs[f].name} and a job of {jobs[i]}"
                             f"{f' x kit {k}' if k != 1 else ''} without deadlock (jobs are lots of {lot} units, "
                             "whole batches or transfer_units)")
            else:
                caps.append(float(given))
        inputs.append(tuple(caps))
    for h in topo.heads:
        if specs[h].buffer_capacity is not None:
            notes.append(f"{specs[h].name}: buffer_capacity is not used at a head (raw material never runs out)")

    u = topo.units_started_per_good([s.scrap_rate for s in specs])
    token_caps: dict[int, int] = {}
    release_rates: dict[int, float] = {}
    rel = line.release
    if rel is not None and rel.rule == "conwip":
        for h in topo.heads:
            cap = rel.wip_cap_units if isinstance(rel.wip_cap_units, int) else rel.wip_cap_units[specs[h].name]
            loop, merge = conwip_loop(topo, h)
            need = sum(jobs[k] * topo.units_per_unit(h, k) for k in loop)
            route = [specs[k].name for k in loop]
            if merge is not None:
                f = loop[-1]
                need += jobs[merge] * topo.kit[merge][topo.feeders[merge].index(f)] * topo.units_per_unit(h, f)
                route.append(specs[merge].name)
            if cap < need:
                where = ("release.wip_cap_units" if isinstance(rel.wip_cap_units, int)
                         else f"release.wip_cap_units.{specs[h].name}")
                problems.append(Problem(where, f"{cap:,} units is not allowed for head {specs[h].name}: the jobs in its "
                                        f"loop ({' -> '.join(route)}) take {need:,} of its units at once, so a smaller "
                                        "cap could stop the line", cap))
            token_caps[h] = int(cap)
    elif rel is not None:
        for h in topo.heads:  # u[h] units started at h per good cell, its branch's scrap and assembly's included
            release_rates[h] = rel.rate_units_per_h * u[h]
    for cid, pool in line.carriers.items():
        a = [s.name for s in specs].index(pool.from_station)
        b = [s.name for s in specs].index(pool.to_station)
        loop = topo.path(a)[:topo.path(a).index(b) + 1]
        need = sum(jobs[k] for k in loop)
        if pool.slots < need:
            problems.append(Problem(f"carriers.{cid}.count", f"{pool.count:,} carriers x {pool.units_per_carrier} units "
                                    f"= {pool.slots:,} slots is not allowed: the jobs in its loop "
                                    f"({' + '.join(f'{specs[k].name} {jobs[k]}' for k in loop)}) take {need:,} units "
                                    "at once, so fewer slots could stop the line", pool.count))
    limit, start, out = _clocks(line, specs, topo, trace_head)
    sched_h = t_end / 3600.0
    work = estimate_work(specs, topo, jobs, tuple(inputs), sched_h) if t_end > 0 else 0.0
    if work > MAX_WORK_PER_RUN:
        slow = max(range(len(specs)), key=lambda i: specs[i].capacity_units_per_h / jobs[i])
        problems.append(Problem("days", f"{d:g} days after {w:g} days of warm-up would take about {work:,.0f} machine "
                                f"jobs and failures, more than the limit of {MAX_WORK_PER_RUN:,} per run (about 14 years "
                                f"of the 1 GWh line): simulate fewer days, or raise lot_size (now {lot}; "
                                f"{specs[slow].name} alone runs ~{specs[slow].capacity_units_per_h / jobs[slow]:,.0f} "
                                "jobs per hour)", d))
    if problems:
        raise InputError(problems)
    used = {s.step for s in specs}
    unused = sorted(set(materials) - used)
    if unused:
        notes.append(f"materials_per_unit_g names steps no station performs: {', '.join(unused)}")
    energy = cell_energy_Wh if cell_energy_Wh is not None else line.cell_energy_Wh
    first = tuple((caps[0] if caps else None) for caps in inputs)
    return RunPlan(line, specs, d, w, lot, jobs, first, tuple(notes), materials, energy, topo, tuple(inputs),
                   token_caps, release_rates, tuple(u), limit, start, out, trace_head, t_warm, t_end, work,
                   frozenset(intermediate_materials or ()))


# --------------------------------------------------------------------------------------------
# the core
# --------------------------------------------------------------------------------------------
class Buffer:
    """A count of units with first-come-first-served waiting takers and givers.

    Like ``simpy.Container``, except that a ``get`` or ``put`` that can proceed at once returns
    ``None`` instead of an event: in a line most of them can, and this halves the events per lot.
    Otherwise it returns an event that succeeds once the units are taken (or stored): ``ev`` if
    given (a machine's own event, reused for each of its waits), else a new one. A waiting
    taker may leave a ``starter``: called with the time and the units' clocks when its units are
    taken, it may start the taker's job at once and return its duration; the taker's event then
    fires when the job ends, which saves the event of waking it up first (most stations wait for
    input before most jobs, so this removes about a third of a line's events).

    ``s`` accumulates (units x time) of every change, so the time integral of the level up to
    ``t`` is ``level x t - s``. With ``lots`` (a deque of ``[time, units]``, neighbours with the same
    time joined) the buffer also keeps the units' clocks in FIFO order: a get hands them over as
    ``taken`` (or as the event's value), and a put takes them, as *clocks*: one time when every unit
    has the same (the common case, and no list to make), else a list of ``[time, units]`` in unit
    order.
    """

    __slots__ = ("env", "capacity", "level", "getters", "putters", "s", "lots", "taken", "puts")

    def __init__(self, env: simpy.Environment, capacity: float, level: float = 0, timed: bool = False) -> None:
        self.env = env
        self.capacity = capacity
        self.level = level
        self.getters: deque = deque()
        self.putters: deque = deque()
        self.s = 0.0
        self.lots: deque | None = deque() if timed else None
        self.taken: list | None = None
        self.puts = 0  # units put, whole run

    def integral(self, t: float) -> float:
        return self.level * t - self.s

    def get(self, n: int, starter: Callable[[float, Any], float | None] | None = None,
            ev: simpy.Event | None = None) -> simpy.Event | None:
        if not self.getters and self.level >= n:
            self.level -= n
            self.s -= n * self.env._now
            lots = self.lots
            if lots is not None:
                head = lots[0]
                if head[1] > n:  # the common case: part of the oldest lot
                    head[1] -= n
                    self.taken = head[0]
                else:
                    self.taken = self._pop(n)
            putters = self.putters
            if putters and self.level + putters[0][0] <= self.capacity:
                self._serve_putters()
            return None
        if ev is None:
            ev = simpy.Event(self.env)
        self.getters.append((n, ev, starter))
        return ev

    def put(self, n: int, lots: list | None = None, ev: simpy.Event | None = None) -> simpy.Event | None:
        if not self.putters and self.level + n <= self.capacity:
            self.level += n
            self.s += n * self.env._now
            self.puts += n
            fifo = self.lots
            if fifo is not None:
                if type(lots) is not list and fifo and fifo[-1][0] == lots:  # _append_lots' common case, inline
                    fifo[-1][1] += n
                else:
                    _append_lots(fifo, lots, n)
            getters = self.getters
            if getters and self.level >= getters[0][0]:
                self._serve_getters()
            return None
        if ev is None:
            ev = simpy.Event(self.env)
        self.putters.append((n, ev, lots))
        return ev

    def _pop(self, n: int) -> float | list:
        """Clocks of the ``n`` oldest units, taking whole lots from the FIFO."""
        out = []
        lots = self.lots
        while n > 0:
            lot = lots[0]
            if lot[1] <= n:
                lots.popleft()
                out.append(lot)
                n -= lot[1]
            else:
                lot[1] -= n
                out.append([lot[0], n])
                n = 0
        return out[0][0] if len(out) == 1 else out

    # A put that went through at once found no waiting putters, so only getters can be served; a
    # get that went through at once found no waiting getters, so only putters can. Serving one
    # side never lets the other side's head through (it only moves the level the other way).
    def _serve_getters(self) -> None:
        env = self.env
        now = env._now
        getters = self.getters
        while getters and self.level >= getters[0][0]:
            n, ev, starter = getters.popleft()
            self.level -= n
            self.s -= n * now
            lots = self.lots
            if lots is None:
                taken = None
            elif lots[0][1] > n:  # the common case: part of the oldest lot
                head = lots[0]
                head[1] -= n
                taken = head[0]
            else:
                taken = self._pop(n)
            if starter is not None:
                delay = starter(now, taken)
                if delay is not None:  # the taker started its job: wake it when the job ends
                    ev._ok = True
                    ev._value = None
                    heappush(env._queue, (now + delay, NORMAL, next(env._eid), ev))
                    continue
            ev._ok = True  # ev.succeed(taken), inline
            ev._value = taken
            heappush(env._queue, (now, NORMAL, next(env._eid), ev))

    def _serve_putters(self) -> None:
        env = self.env
        now = env._now
        putters = self.putters
        while putters and self.level + putters[0][0] <= self.capacity:
            n, ev, lots = putters.popleft()
            self.level += n
            self.s += n * now
            self.puts += n
            if self.lots is not None:
                _append_lots(self.lots, lots, n)
            ev._ok = True  # ev.succeed(), inline
            ev._value = None
            heappush(env._queue, (now, NORMAL, next(env._eid), ev))


def _append_lots(fifo: deque, clocks: float | list, n: int) -> None:
    """Append the clocks of ``n`` units to a buffer's FIFO, joining a lot to the one before it when
    both carry the same time (consecutive jobs of a merge that drew on the same parts): the units
    and their clocks are the same, and takes, expiry and exposure then handle one lot, not many."""
    if type(clocks) is not list:  # one time for every unit
        if fifo and fifo[-1][0] == clocks:
            fifo[-1][1] += n
        else:
            fifo.append([clocks, n])
        return
    if not fifo:
        fifo.extend(clocks)
        return
    tail = fifo[-1]
    for lot in clocks:
        if lot[0] == tail[0]:
            tail[1] += lot[1]
        else:
            fifo.append(lot)
            tail = lot


class _Cards(Buffer):
    """CONWIP cards of one head: a :class:`Buffer` whose put is only ever a give-back (it always
    fits), so it skips the level integral and the clocks."""

    __slots__ = ()

    def put(self, n: int, lots: list | None = None) -> None:
        self.level += n
        getters = self.getters
        if getters and self.level >= getters[0][0]:
            self._serve_getters()


def _merge_clocks(parts: list[tuple[float | list, int, int]], J: int) -> float | list:
    """Clocks of ``J`` merged units: each takes the oldest (smallest) clock of its parts.

    ``parts`` holds, per clocked feeder, the clocks of its ``J x kit`` units (one time, or lots
    ``[[time, units], ...]``), their number and its kit. Unit ``u`` is made of units
    ``[u k, (u + 1) k)`` of each feeder.
    """
    if len(parts) == 1 and parts[0][2] == 1:  # one clocked feeder, one unit per unit: its clocks
        return parts[0][0]
    if len(parts) == 2 and parts[0][2] == 1 and parts[1][2] == 1:
        a, b = parts[0][0], parts[1][0]
        if type(a) is not list and type(b) is not list:
            return a if a < b else b
        out = _merge_two(a if type(a) is list else [[a, J]], b if type(b) is list else [[b, J]])
        return out[0][0] if len(out) == 1 else out
    spans = []
    for clocks, units, k in parts:
        lots = clocks if type(clocks) is list else [[clocks, units]]
        pos = 0
        for t, n in lots:
            spans.append((pos // k, -(-(pos + n) // k), t))
            pos += n
    cuts = sorted({0, J, *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
    out: list = []
    for lo, hi in zip(cuts, cuts[1:]):
        t = min((t for a, b, t in spans if a < hi and b > lo), default=INF)
        if out and out[-1][0] == t:
            out[-1][1] += hi - lo
        else:
            out.append([t, hi - lo])
    return out[0][0] if len(out) == 1 else out


def _merge_two(a: list, b: list) -> list:
    """Unit-by-unit minimum of two lot lists covering the same number of units (two pointers)."""
    out: list = []
    i = j = 0
    ra, rb = a[0][1], b[0][1]
    while True:
        ta, tb = a[i][0], b[j][0]
        t = ta if ta < tb else tb
        m = ra if ra < rb else rb
        if out and out[-1][0] == t:
            out[-1][1] += m
        else:
            out.append([t, m])
        ra -= m
        rb -= m
        if ra == 0:
            i += 1
            if i == len(a):
                return out
            ra = a[i][1]
        if rb == 0:
            j += 1
            rb = b[j][1]


def _drop_from_back(lots: list, n: int) -> None:
    """Remove ``n`` units from the end of ``lots`` (scrapped units of a job)."""
    while n > 0 and lots:
        last = lots[-1]
        if last[1] <= n:
            n -= last[1]
            lots.pop()
        else:
            last[1] -= n
            n = 0


class _Station:
    __slots__ = ("spec", "job", "time", "started", "good", "scrapped", "expired", "jobs", "proc_n",
                 "proc_s", "blk_n", "blk_s", "machines", "inputs", "outbuf", "returns", "gate", "next_release",
                 "release_dt_s", "carrier_take", "carrier_end", "carrier_lost", "cwait_s", "clock_start",
                 "clocked_in", "clocked_out", "limit_s", "scrap_rng", "exp_s", "exp_n", "exp_max", "exits_zone",
                 "take_returns", "setup_s", "to_calendar", "calendar_clock", "pools_expired", "held", "held_s")

    def __init__(self, spec: StationSpec, job: int) -> None:
        self.spec = spec
        self.job = job
        self.time = [0.0] * len(STATES)
        self.started = self.good = self.scrapped = self.expired = self.jobs = 0
        self.proc_n = 0  # units taken and not yet processed
        self.proc_s = 0.0  # integral to t is proc_n * t - proc_s
        self.blk_n = 0  # good units waiting for room downstream
        self.blk_s = 0.0
        self.machines: list[_Machine] = []
        self.inputs: list[tuple[Buffer, int, int]] = []  # (buffer, units per job, kit)
        self.outbuf: Buffer | None = None
        self.returns: list[tuple[Buffer, int]] = []  # CONWIP cards to give back per unit leaving here
        self.take_returns: list[tuple[Buffer, int]] = []  # cards given back when a merge takes its kit
        self.gate: Buffer | None = None  # CONWIP cards of this head
        self.next_release = 0.0
        self.release_dt_s = 0.0  # scheduled seconds per unit released (rate rule)
        self.carrier_take: list = []  # pools whose loop starts here
        self.carrier_end: list = []  # pools whose loop ends here (free at processing end)
        self.carrier_lost: list = []  # pools to free for units scrapped here inside a loop
        self.cwait_s = 0.0
        self.clock_start = self.clocked_in = self.clocked_out = self.exits_zone = False
        self.limit_s: float | None = None
        self.scrap_rng: np.random.Generator | None = None
        self.exp_s = 0.0
        self.exp_n = 0
        self.exp_max = 0.0
        self.setup_s = spec.setup_time_s
        self.to_calendar: Callable[[float], float] = lambda t: t
        self.calendar_clock = False
        self.pools_expired: list = []  # pools freed by units expiring here
        self.held: list[int] = []  # per feeder: parts a merge has taken while it waits for the others
        self.held_s: list[float] = []


class _Machine:
    """One machine: its state (for the time per state), its operating time to the next failure,
    and the job it holds. :meth:`begin` starts a job at once when nothing needs waiting."""

    __slots__ = ("state", "since", "ttf", "fused", "n", "lots", "st", "clock", "zone", "slots", "use_zone",
                 "proc_s", "failing", "off_shift", "plain", "quick", "expires", "carried", "send")

    def __init__(self, st: "_Station | None" = None, clock: ShiftClock | None = None, zone: "_Zone | None" = None,
                 slots: int = 0) -> None:
        self.state = STARVED
        self.since = 0.0
        self.ttf = math.inf
        self.fused = False
        self.n = 0
        self.lots: list | None = None
        self.st = st
        self.clock = clock
        self.zone = zone
        self.slots = slots
        self.use_zone = zone is not None and slots > 0
        self.plain = self.quick = self.expires = False  # set by settle() once the station is wired
        self.carried: _Pool | None = None
        if st is not None:
            spec = st.spec
            self.proc_s = (st.job // spec.batch_size) * spec.cycle_time_s
            self.failing = spec.mtbf_h is not None and spec.mttr_h is not None
            self.off_shift = spec.runs_off_shift and not clock.is_continuous

    def settle(self) -> None:
        """Decide which short path :meth:`begin` may take (call once the station is wired)."""
        st = self.st
        # nothing to wait for but a failure: no setup, carrier or zone slot
        self.quick = st.setup_s <= 0 and not st.carrier_take and not self.use_zone
        # ... and no clocks or off-shift running either: the common case
        self.plain = self.quick and not self.off_shift and not st.clock_start and not st.clocked_in
        self.expires = st.limit_s is not None and st.clocked_in
        # ... or one carrier pool to take from and nothing else (a fixture loop's first station)
        self.carried = (st.carrier_take[0] if len(st.carrier_take) == 1 and st.setup_s <= 0 and not self.use_zone
                        and not self.off_shift and not st.clock_start and not st.clocked_in else None)

    def begin(self, now: float, lots: list | None) -> float | None:
        """Start a job with the units just taken, if it needs no wait (carrier, zone slot), no setup
        and ends before the next failure: return its duration (0 when every unit expired) with
        the job's units and clocks in ``n``/``lots``. Otherwise change nothing and return None."""
        st = self.st
        if self.plain:  # no setup, carrier, zone, clocks or off-shift running: the common case
            job_s = self.proc_s
            if self.ttf < job_s:
                return None
            J = st.job
            st.started += J
            st.proc_n += J
            st.proc_s += J * now
            self.n, self.lots, self.fused = J, None, True
            st.time[self.state] += now - self.since
            self.state, self.since = BUSY, now
            self.ttf -= job_s
            return job_s
        if self.quick:  # clocks or off-shift running, nothing else: _admit inline
            job_s = self.clock.off_shift_duration_s(now, self.proc_s) if self.off_shift else self.proc_s
            if self.ttf < job_s:
                return None
            J = n = st.job
            st.started += J
            if self.expires:
                n, lots = _past_limit(st, now, lots)
                if n == 0:
                    self.n, self.lots, self.fused = 0, lots, True
                    return 0.0
            if st.clock_start:
                lots = _start_clocks(st, now, lots)
            st.proc_n += n
            st.proc_s += n * now
            self.n, self.lots, self.fused = n, lots, True
            st.time[self.state] += now - self.since
            self.state, self.since = BUSY, now
            self.ttf -= job_s
            return job_s
        pool = self.carried
        if pool is not None:  # one carrier pool, nothing else: _admit and the pool's get inline
            res = pool.res
            J = st.job
            if res.getters or res.level < J:
                return None
            job_s = self.proc_s
            if self.ttf < job_s:
                return None
            st.started += J
            st.proc_n += J
            st.proc_s += J * now
            res.level -= J  # res.get(J): it goes through (checked above), and a pool's puts never wait
            res.s -= J * now
            pool.acquired += J
            used = pool.slots - res.level
            if used > pool.max_used:
                pool.max_used = used
            self.n, self.lots, self.fused = J, lots, True
            st.time[self.state] += now - self.since
            self.state, self.since = BUSY, now
            self.ttf -= job_s
            return job_s
        if st.setup_s > 0:
            return None
        J = st.job
        for pool in st.carrier_take:
            res = pool.res
            if res.getters or res.level < J:
                return None
        if self.use_zone:
            res = self.zone.res
            if res.getters or res.level < self.slots:
                return None
        job_s = self.clock.off_shift_duration_s(now, self.proc_s) if self.off_shift else self.proc_s
        if self.ttf < job_s:
            return None
        n, lots = _admit(st, now, lots)
        self.n, self.lots, self.fused = n, lots, True
        if n == 0:
            return 0.0
        for pool in st.carrier_take:
            pool.res.get(n)
            pool.acquired += n
            used = pool.slots - pool.res.level
            if used > pool.max_used:
                pool.max_used = used
        if self.use_zone:
            zone = self.zone
            zone.res.get(self.slots)
            zone.n += self.slots
            zone.s += self.slots * now
        st.time[self.state] += now - self.since
        self.state, self.since = BUSY, now
        self.ttf -= job_s
        return job_s


def _admit(st: "_Station", now: float, lots: list | None) -> tuple[int, list | None]:
    """A job's units enter the station: count them, scrap those past their exposure limit, start
    the clocks of units entering a zone. Returns the units left and their clocks."""
    J = st.job
    st.started += J
    n = J
    if st.limit_s is not None and st.clocked_in:
        n, lots = _past_limit(st, now, lots)
    if n and st.clock_start:
        lots = _start_clocks(st, now, lots)
    st.proc_n += n
    st.proc_s += n * now
    return n, lots


def _past_limit(st: "_Station", now: float, lots: float | list) -> tuple[int, float | list]:
    """A job's units (``st.job``, clocks ``lots``) taken at ``now`` at a station with an exposure
    limit: scrap those past it (:func:`_expire`) if any; return the units left and their clocks."""
    threshold = (st.to_calendar(now) if st.calendar_clock else now) - st.limit_s
    if type(lots) is list:
        for lot in lots:
            if lot[0] < threshold:
                return _expire(st, lots, threshold)
    elif lots < threshold:
        return _expire(st, lots, threshold)
    return st.job, lots


def _expire(st: "_Station", lots: float | list, threshold: float) -> tuple[int, float | list]:
    """Scrap the units of a job (``st.job`` units with clocks ``lots``) whose clock is older than
    ``threshold``: count them, give back their CONWIP cards and carrier slots. Returns the units
    left and their clocks."""
    keep = [x for x in lots if x[0] >= threshold] if type(lots) is list else []
    J = st.job
    gone = J - sum(c for _, c in keep)
    st.expired += gone
    if st.returns:
        _give_back(st.returns, gone)
    for pool in st.pools_expired:
        pool.res.put(gone)
    return J - gone, (keep[0][0] if len(keep) == 1 else keep)


def _start_clocks(st: "_Station", now: float, lots: float | list | None) -> float | list:
    """Clocks of units entering a zone here: now, or their own clock if it started earlier."""
    t0 = st.to_calendar(now) if st.calendar_clock else now
    if lots is None:
        return t0
    if type(lots) is list:
        return [[min(t, t0), c] for t, c in lots]
    return min(lots, t0)


class _Zone:
    __slots__ = ("res", "n", "s", "capacity")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.res = Buffer(env, capacity, capacity)  # free slots
        self.capacity = capacity
        self.n = 0
        self.s = 0.0


class _Pool:
    __slots__ = ("res", "slots", "max_used", "acquired", "spec", "cid", "loop")

    def __init__(self, env: simpy.Environment, cid: str, spec: Any, loop: list[int]) -> None:
        self.res = Buffer(env, spec.slots, spec.slots)  # free slots
        self.slots = spec.slots
        self.max_used = 0
        self.acquired = 0
        self.spec = spec
        self.cid = cid
        self.loop = loop


class _Sink:
    __slots__ = ("t", "n", "trace_s", "trace_n", "t_warm")

    def __init__(self, t_warm: float) -> None:
        self.t: array = array("d")
        self.n: array = array("q")
        self.trace_s = 0.0
        self.trace_n = 0
        self.t_warm = t_warm


def _give_back(returns: list[tuple["_Cards", int]], n: int) -> None:
    for cards, mult in returns:
        cards.put(n * mult)  # always fits: the cards were taken from it


def _start(env: simpy.Environment, m: "_Machine", generator: Iterator) -> None:
    """Start a machine's generator as ``env.process`` does (an urgent event now, so the events'
    order and ids stay SimPy's), but without ``simpy.Process``: the generator resumes itself. At
    each wait it appends its own ``send`` (``m.send``, a C-level call) to the event it waits for
    and yields nothing; the run loop then calls ``send(event)`` and the generator reads the event's
    value. That saves a Python frame per event. The machines never use what ``Process`` adds
    (interrupts, failed events, a process's end event, ``env.active_process``); an exception in a
    machine propagates out of the run loop."""
    m.send = send = generator.send
    start = simpy.Event(env)  # as simpy.events.Initialize
    start._ok = True
    start._value = None
    start.callbacks.append(lambda _event: send(None))
    heappush(env._queue, (env._now, URGENT, next(env._eid), start))


def _machine(env: simpy.Environment, st: _Station, m: _Machine, exp: Iterator[float], scrap: Iterator[int] | None,
             sink: _Sink):
    """One machine: (release) take a job's inputs, (expire) carrier, zone, set up, process
    (failing), scrap, pass on.

    ``exp`` (standard exponentials) and ``scrap`` (good units per full job) are the station's
    streams, shared by its machines. Most jobs start through :meth:`_Machine.begin` (at once, or
    from the buffer that hands over the inputs); the rest take the slow path below, which waits.
    """
    spec = st.spec
    J = st.job
    T = st.time
    clock = m.clock
    queue, eid = env._queue, env._eid
    # the machine's event, reused for every wait (a machine waits for one thing at a time): its
    # timeouts, scheduled as env.timeout() schedules, without making a Timeout each time, and its
    # waits in buffers, card and carrier pools and zones, which trigger it
    tev = simpy.Event(env)
    tev._ok = True
    tev._value = None
    send = m.send  # this generator's own send: appended to the event it waits for, then a bare yield
    resume = [send]  # tev's callbacks: the run loop only reads the list, so it is made once

    def timeout(delay: float) -> None:
        tev.callbacks = resume
        heappush(queue, (env._now + delay, NORMAL, next(eid), tev))

    proc_s = m.proc_s
    failing = m.failing
    if failing:
        mtbf_s, mttr_s = spec.mtbf_h * 3600.0, spec.mttr_h * 3600.0
        m.ttf = mtbf_s * next(exp)
    setup_s = spec.setup_time_s
    every = spec.setup_every_units
    per_day = setup_s > 0 and every is None
    since_setup = 0
    setup_day = 0
    zone, slots, use_zone = m.zone, m.slots, m.use_zone
    off_shift = m.off_shift
    inputs = st.inputs
    single = inputs[0] if len(inputs) == 1 else None
    outbuf = st.outbuf
    returns = st.returns
    take_returns = st.take_returns
    gate = st.gate
    rate_gate = st.release_dt_s > 0
    pools_take, pools_end, pools_lost = st.carrier_take, st.carrier_end, st.carrier_lost
    clocked_out = st.clocked_out
    exits_zone = st.exits_zone
    trace_sink = (st.clocked_in or st.clock_start) and outbuf is None and st.limit_s is None
    p_good = 1.0 - spec.scrap_rate
    begin = m.begin
    inputs_waited = True  # a merge's parts were not all there: it took them one by one

    while True:
        fused = False
        # ---- release: CONWIP cards or a release pace (heads only)
        if gate is not None:
            if gate.get(J, begin, tev) is not None:
                now = env._now
                T[m.state] += now - m.since
                m.state, m.since = STARVED, now
                tev.callbacks = resume
                yield
                fused = m.fused
        elif rate_gate:
            now = env._now
            if now < st.next_release:
                T[m.state] += now - m.since
                m.state, m.since = STARVED, now
                timeout(st.next_release - now)
                yield
            st.next_release = max(st.next_release, env._now) + J * st.release_dt_s
        # ---- inputs: a job from the buffer, or a kit from every feeder's buffer
        if single is not None:
            buf = single[0]
            need = single[1]
            if buf.getters or buf.level < need:  # buf.get(need, begin, tev), inline: wait (see Buffer)
                buf.getters.append((need, tev, begin))
                now = env._now
                T[m.state] += now - m.since
                m.state, m.since = STARVED, now
                tev.callbacks = resume
                yield
                lots = tev._value
                fused = m.fused
            else:  # buf.get(need), inline: it goes through
                now = env._now
                buf.level -= need
                buf.s -= need * now
                fifo = buf.lots
                if fifo is None:
                    lots = None
                else:
                    head = fifo[0]
                    if head[1] > need:  # part of the oldest lot
                        head[1] -= need
                        lots = head[0]
                    else:
                        lots = buf._pop(need)
                putters = buf.putters
                if putters and buf.level + putters[0][0] <= buf.capacity:
                    buf._serve_putters()
        elif inputs:  # a merge: a kit from every feeder's buffer
            parts = []
            for buf, need, _ in inputs:
                if buf.getters or buf.level < need:
                    break
            else:  # every part is there (the common case): take the kit at once
                now = env._now
                for buf, need, k in inputs:  # buf.get(need), inline: it goes through (checked above)
                    buf.level -= need
                    buf.s -= need * now
                    fifo = buf.lots
                    if fifo is not None:
                        head = fifo[0]
                        if head[1] > need:  # part of the oldest lot
                            head[1] -= need
                            parts.append((head[0], need, k))
                        else:
                            parts.append((buf._pop(need), need, k))
                    putters = buf.putters
                    if putters and buf.level + putters[0][0] <= buf.capacity:
                        buf._serve_putters()
                inputs_waited = False
            if inputs_waited:  # picks each feeder's parts in turn, holding those it has
                held, held_s = st.held, st.held_s
                for q, (buf, need, k) in enumerate(inputs):
                    if buf.get(need, None, tev) is not None:
                        now = env._now
                        T[m.state] += now - m.since
                        m.state, m.since = STARVED, now
                        tev.callbacks = resume
                        yield
                        got = tev._value
                    else:
                        got = buf.taken
                    if buf.lots is not None:
                        parts.append((got, need, k))
                    held[q] += need
                    held_s[q] += need * env._now
                now = env._now
                for q, (_, need, _) in enumerate(inputs):  # the kit is complete: its parts enter processing
                    held[q] -= need
                    held_s[q] -= need * now
            inputs_waited = True
            if not parts:
                lots = None
            elif len(parts) == 2 and type(parts[0][0]) is not list and type(parts[1][0]) is not list \
                    and parts[0][2] == 1 and parts[1][2] == 1:  # the common case: two clocked feeders, one time each
                ta, tb = parts[0][0], parts[1][0]
                lots = ta if ta < tb else tb
            else:
                lots = _merge_clocks(parts, J)
            for cards, k in take_returns:  # cards.put(k), inline
                cards.level += k
                if cards.getters and cards.level >= cards.getters[0][0]:
                    cards._serve_getters()
        else:  # a head: raw material
            lots = None
        if fused:  # the job started when its inputs came and has ended now
            m.fused = False
            n, lots = m.n, m.lots
            if n == 0:
                continue
        else:
            now = env._now
            job_s = begin(now, lots)
            if job_s is not None:  # started at once
                m.fused = False
                n, lots = m.n, m.lots
                if n == 0:
                    continue
                tev.callbacks = resume  # timeout(job_s), inline
                heappush(queue, (now + job_s, NORMAL, next(eid), tev))
                yield
            else:  # the slow path: a wait, a setup or a failure on the way
                n, lots = _admit(st, now, lots)
                if n == 0:
                    continue
                # ---- carriers (a fixture, a rack) for the loop that starts here
                for pool in pools_take:
                    if pool.res.get(n, None, tev) is not None:
                        T[m.state] += now - m.since
                        m.state, m.since = CARRIER_WAIT, now
                        tev.callbacks = resume
                        yield
                        st.cwait_s += n * (env._now - now)
                        now = env._now
                    pool.acquired += n
                    used = pool.slots - pool.res.level
                    if used > pool.max_used:
                        pool.max_used = used
                # ---- a slot of the shared zone (glovebox ports, dry-room operators)
                if use_zone:
                    if zone.res.get(slots, None, tev) is not None:
                        T[m.state] += now - m.since
                        m.state, m.since = ZONE_WAIT, now
                        tev.callbacks = resume
                        yield
                        now = env._now
                    zone.n += slots
                    zone.s += slots * now
                # ---- setup
                if setup_s > 0:
                    if per_day:
                        day = clock.calendar_day(now)
                        due = day != setup_day
                        setup_day = day
                    else:
                        due = since_setup >= every
                    if due:
                        since_setup = 0
                        T[m.state] += now - m.since
                        m.state, m.since = SETUP, now
                        timeout(setup_s)
                        yield
                        now = env._now
                    since_setup += n
                # ---- process; failures consume operating time only
                T[m.state] += now - m.since
                m.state, m.since = BUSY, now
                left = clock.off_shift_duration_s(now, proc_s) if off_shift else proc_s
                if failing:
                    while m.ttf < left:
                        timeout(m.ttf)
                        yield
                        left -= m.ttf
                        now = env._now
                        T[BUSY] += now - m.since
                        m.state, m.since = DOWN, now
                        timeout(mttr_s * next(exp))
                        yield
                        now = env._now
                        T[DOWN] += now - m.since
                        m.state, m.since = BUSY, now
                        m.ttf = mtbf_s * next(exp)
                    m.ttf -= left
                timeout(left)
                yield
        now = env._now
        if use_zone:
            zone.res.put(slots)  # always fits: the slots were taken from it
            zone.n -= slots
            zone.s -= slots * now
        # ---- scrap
        if scrap is None:
            good = n
        elif n == J:
            good = next(scrap)
        else:
            good = int(st.scrap_rng.binomial(n, p_good))
        lost = n - good
        st.jobs += 1
        st.good += good  # processed units are good + scrapped (counted in snapshot)
        st.proc_n -= n
        st.proc_s -= n * now
        if pools_end:
            for pool in pools_end:
                pool.res.put(n)
        if lost:
            st.scrapped += lost
            if returns:
                _give_back(returns, lost)
            if pools_lost:
                for pool in pools_lost:
                    pool.res.put(lost)
            if type(lots) is list:  # the scrapped units are the job's last (one time: nothing to do)
                if len(lots) == 1:
                    lots[0][1] -= lost
                else:
                    _drop_from_back(lots, lost)
        if exits_zone and lots is not None and good and now > sink.t_warm:
            cal = st.to_calendar(now) if st.calendar_clock else now
            if type(lots) is list:
                for t, c in lots:
                    st.exp_s += (cal - t) * c
                    st.exp_n += c
                    if cal - t > st.exp_max:
                        st.exp_max = cal - t
            else:
                st.exp_s += (cal - lots) * good
                st.exp_n += good
                if cal - lots > st.exp_max:
                    st.exp_max = cal - lots
        if not good:
            continue
        # ---- pass on
        if outbuf is not None:
            if not outbuf.putters and outbuf.level + good <= outbuf.capacity:  # outbuf.put(good, lots), inline
                outbuf.level += good
                outbuf.s += good * now
                outbuf.puts += good
                if clocked_out:
                    fifo = outbuf.lots
                    if type(lots) is not list and fifo and fifo[-1][0] == lots:
                        fifo[-1][1] += good
                    else:
                        _append_lots(fifo, lots, good)
                getters = outbuf.getters
                if getters and outbuf.level >= getters[0][0]:
                    outbuf._serve_getters()
            else:  # blocked: wait for room (see Buffer.put)
                outbuf.putters.append((good, tev, lots if clocked_out else None))
                T[m.state] += now - m.since
                m.state, m.since = BLOCKED, now
                st.blk_n += good
                st.blk_s += good * now
                tev.callbacks = resume
                yield
                now = env._now
                st.blk_n -= good
                st.blk_s -= good * now
        else:
            sink.t.append(now)
            sink.n.append(good)
            if returns:
                _give_back(returns, good)
            if trace_sink and now > sink.t_warm:
                for t, c in (lots if type(lots) is list else ((lots, good),)):
                    if t < INF:
                        sink.trace_s += (now - t) * c
                        sink.trace_n += c


def _run_until(env: simpy.Environment, until: float) -> None:
    """``env.run(until=until)``, the loop of ``Environment.step`` written out (a method call less per
    event, a tenth of the run time): every event scheduled before ``until`` is processed in SimPy's
    order (time, priority, id), none at ``until``, and the clock then stands at ``until``. It takes
    the two ids SimPy's ``run`` gives its stop event (scheduled, then rescheduled when it stops), so
    the order of events and the event count stay SimPy's."""
    next(env._eid)
    next(env._eid)
    queue = env._queue
    while queue and queue[0][0] < until:
        env._now, _, _, event = heappop(queue)
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):  # a process crashed: raise as SimPy does
            raise event._value
    env._now = until


def _seed_sequence(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        raise InputError.single("", "seed", "a seed is required: runs are reproducible from it")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError.single("", "seed", f"{seed!r} is not allowed: a seed is a whole number >= 0", seed)
    return np.random.SeedSequence(int(seed))


def _station_integrals(st: _Station, now: float) -> tuple[float, float]:
    return st.proc_n * now - st.proc_s, st.blk_n * now - st.blk_s


def run_plan(plan: RunPlan, seed: int | np.random.SeedSequence, progress: ProgressCallback | None = None) -> RawRun:
    """Run one planned simulation and return its raw measurements (no KPIs)."""
    ss = _seed_sequence(seed)
    specs, topo = plan.specs, plan.topology
    n_st = len(specs)
    clock = ShiftClock(plan.line.calendar)
    t_warm, t_end = plan.t_warm_s, plan.t_end_s

    env = simpy.Environment()
    stations = [_Station(s, j) for s, j in zip(specs, plan.job_units)]
    # input buffers, one per (feeder -> station); clocks only where a limit (or the trace) needs them
    inbufs: list[list[Buffer]] = []
    for i, st in enumerate(stations):
        row = []
        for f, k, cap in zip(topo.feeders[i], topo.kit[i], plan.input_capacities[i]):
            buf = Buffer(env, cap, timed=plan.clocked_out[f])
            row.append(buf)
            st.inputs.append((buf, st.job * k, k))
            st.held.append(0)
            st.held_s.append(0.0)
            stations[f].outbuf = buf
        inbufs.append(row)
    for i, st in enumerate(stations):
        st.clock_start = plan.clock_start[i]
        st.clocked_out = plan.clocked_out[i]
        st.clocked_in = any(plan.clocked_out[f] for f in topo.feeders[i])  # its inputs carry clocks
        limit = plan.exposure_limit_s[i] if plan.exposure_limit_s else None
        # the units' clock: calendar seconds (limit > 0) or scheduled seconds (limit < 0; tracing)
        st.limit_s = None if limit is None else abs(limit)
        st.calendar_clock = limit is not None and limit > 0 and not clock.is_continuous
        st.to_calendar = clock.start_calendar_s
        st.exits_zone = (st.clocked_in or st.clock_start) and not st.clocked_out and plan.trace_head is None
    # release: CONWIP cards per head, returned when its units leave its loop (scrap, expired, or
    # taken by the first merge on the route; at the line's end when there is none)
    for h, cap in plan.token_caps.items():
        cards = _Cards(env, cap, cap)
        stations[h].gate = cards
        loop, merge = conwip_loop(topo, h)
        for k in loop:
            stations[k].returns.append((cards, topo.units_per_unit(h, k)))
        if merge is not None:
            feeder = loop[-1]
            kit = topo.kit[merge][topo.feeders[merge].index(feeder)]
            stations[merge].take_returns.append((cards, stations[merge].job * kit * topo.units_per_unit(h, feeder)))
    for h, rate in plan.release_rates.items():
        stations[h].release_dt_s = 3600.0 / rate
    # carriers
    pools: list[_Pool] = []
    names = [s.name for s in specs]
    for cid, spec in plan.line.carriers.items():
        a, b = names.index(spec.from_station), names.index(spec.to_station)
        path = topo.path(a)
        loop = path[:path.index(b) + 1]
        pool = _Pool(env, cid, spec, loop)
        pools.append(pool)
        stations[a].carrier_take.append(pool)
        stations[b].carrier_end.append(pool)
        for k in loop[:-1]:
            stations[k].carrier_lost.append(pool)
        for k in loop[1:]:  # units expiring after the loop's first station hold a slot
            stations[k].pools_expired.append(pool)
    zones: dict[str, _Zone] = {}
    for zid, z in plan.line.zones.items():
        if z.capacity is not None and any(s.zone == zid and s.zone_slots > 0 for s in specs):
            zones[zid] = _Zone(env, z.capacity)
    sink = _Sink(t_warm)
    children = ss.spawn(n_st)
    for st, child in zip(stations, children):
        fail_ss, scrap_ss = child.spawn(2)
        exp = _exponentials(np.random.Generator(np.random.PCG64(fail_ss)))
        scrap = None
        if st.spec.scrap_rate > 0:
            st.scrap_rng = np.random.Generator(np.random.PCG64(scrap_ss))
            scrap = _binomials(st.scrap_rng, st.job, 1.0 - st.spec.scrap_rate)
        for _ in range(st.spec.machines):
            m = _Machine(st, clock, zones.get(st.spec.zone), st.spec.zone_slots)
            m.settle()
            st.machines.append(m)
            _start(env, m, _machine(env, st, m, exp, scrap, sink))

    # the WIP grid (warm-up check) and the carrier loops' WIP from station counters
    all_bufs = [b for row in inbufs for b in row]
    sample_t = np.linspace(0.0, t_end, WIP_SAMPLES + 1)
    wip_int = np.zeros(WIP_SAMPLES + 1)
    loop_max = [0] * len(pools)

    def total_integral(now: float) -> float:
        tot = 0.0
        for st in stations:
            tot += st.proc_n * now - st.proc_s + st.blk_n * now - st.blk_s
            for h, hs in zip(st.held, st.held_s):
                tot += h * now - hs
        for b in all_bufs:
            tot += b.level * now - b.s
        return tot

    def sample(k: int, now: float) -> None:
        wip_int[k] = total_integral(now)
        for p, pool in enumerate(pools):
                inside = sum(stations[j].proc_n + (stations[j].blk_n if j != pool.loop[-1] else 0)
                             for j in pool.loop[1:])
                inside += sum(inbufs[j][topo.feeders[j].index(pool.loop[q])].level
                              for q, j in enumerate(pool.loop[1:]))
                if inside > loop_max[p]:
                    loop_max[p] = inside

    def sampler():
        for k in range(1, WIP_SAMPLES):  # the last sample, at the end, is taken after the run
            yield env.timeout(sample_t[k] - env.now)
            sample(k, env.now)

    env.process(sampler())

    def snapshot(now: float) -> list[tuple]:
        """Close every machine's open state interval at ``now`` and copy the counters."""
        out = []
        for i, st in enumerate(stations):
            for m in st.machines:
                st.time[m.state] += now - m.since
                m.since = now
            proc, blk = _station_integrals(st, now)
            # a feeder's parts wait at a merge in its buffer or held by a machine for their partners
            bufs = tuple(b.integral(now) + h * now - hs for b, h, hs in zip(inbufs[i], st.held, st.held_s))
            out.append((tuple(st.time), st.started, st.good, st.scrapped, st.good + st.scrapped, proc, blk, bufs,
                        tuple(b.puts for b in inbufs[i]),
                        st.proc_n + st.blk_n + sum(b.level for b in inbufs[i]) + sum(st.held),
                        st.expired, st.jobs, st.cwait_s, st.exp_s, st.exp_n))
        return out

    def pool_state(now: float) -> list[tuple[float, int]]:
        return [(p.slots * now - p.res.integral(now), p.acquired) for p in pools]

    def zone_integrals(now: float) -> dict[str, float]:
        return {zid: z.n * now - z.s for zid, z in zones.items()}

    # run: warm-up, snapshot, then the measured period in chunks (for the progress callback)
    if t_warm > 0:
        _run_until(env, t_warm)
    start = snapshot(t_warm)
    zone_start = zone_integrals(t_warm)
    pools_start = pool_state(t_warm)
    chunks = _PROGRESS_CHUNKS if progress is not None else 1
    for k in range(1, chunks + 1):
        until = t_warm + (t_end - t_warm) * k / chunks
        if until > env.now:
            _run_until(env, until)
        if progress is not None:
            progress(k / chunks)
    sample(WIP_SAMPLES, t_end)  # env.run(until=t) stops before the events at t
    end = snapshot(t_end)
    zone_end = zone_integrals(t_end)
    pools_end = pool_state(t_end)

    counts = []
    for i, (a, b) in enumerate(zip(start, end)):
        bufs = tuple(y - x for x, y in zip(a[7], b[7]))
        proc, blk = b[5] - a[5], b[6] - a[6]
        counts.append(StationCounts(
            state_machine_s=tuple(y - x for x, y in zip(a[0], b[0])),
            started_units=b[1] - a[1], good_units=b[2] - a[2], scrapped_units=b[3] - a[3],
            processed_units=b[4] - a[4], expired_units=b[10] - a[10], jobs=b[11] - a[11],
            wip_unit_s=proc + blk + sum(bufs), proc_unit_s=proc, blocked_unit_s=blk, buffer_unit_s=bufs,
            buffer_in_units=tuple(y - x for x, y in zip(a[8], b[8])),
            wip_end_units=b[9], wip_start_units=a[9], carrier_wait_unit_s=b[12] - a[12],
            exposure_unit_s=b[13] - a[13], exposure_units=b[14] - a[14], exposure_max_s=stations[i].exp_max,
        ))
    carriers = tuple(CarrierCounts(
        name=p.cid, slots=p.slots, units_per_carrier=p.spec.units_per_carrier, count=p.spec.count,
        from_station=p.spec.from_station, to_station=p.spec.to_station,
        in_use_slot_s=e[0] - s0[0], acquired_units=e[1] - s0[1], max_in_use_slots=p.max_used,
        loop_wip_max_units=loop_max[k],
    ) for k, (p, s0, e) in enumerate(zip(pools, pools_start, pools_end)))
    try:
        events = next(env._eid)  # simpy's event counter (private; only used for the benchmark figure)
    except Exception:  # pragma: no cover - simpy internals changed
        events = -1
    return RawRun(
        specs=specs, topology=topo, lot_size=plan.lot_size, job_units=plan.job_units,
        buffer_capacity_units=plan.capacities,
        t_start_s=t_warm, t_end_s=t_end, stations=tuple(counts),
        zone_slot_s={zid: (zones[zid].capacity, zone_end[zid] - zone_start[zid]) for zid in zones},
        carriers=carriers,
        completion_s=np.frombuffer(sink.t, dtype=float).copy(),
        completion_units=np.frombuffer(sink.n, dtype=np.int64).copy(),
        wip_sample_s=sample_t, wip_integral_unit_s=wip_int,
        trace_lead_unit_s=sink.trace_s, trace_units=sink.trace_n,
        events=events, notes=plan.notes,
    )


def simulate(line: Line, *, days: float, warmup_days: float = 0.0, seed: int | np.random.SeedSequence = 0,
             lot_size: int | None = None, area_per_cell_cm2: float | None = None,
             materials_per_unit_g: Mapping[str, Mapping[str, float]] | None = None,
             cell_energy_Wh: float | None = None, progress: ProgressCallback | None = None,
             intermediate_materials: Any = (), trace_from: str | None = None) -> "LineResult":
    """Simulate ``line`` for ``days`` calendar days after ``warmup_days`` of warm-up.

    Parameters
    ----------
    line : the validated line (:func:`pouchline.line.load_line`).
    days : measured period, calendar days (the run lasts ``warmup_days + days``).
    warmup_days : calendar days simulated first and left out of every statistic.
    seed : an int (or a ``numpy.random.SeedSequence``); the same seed gives bit-identical results.
    lot_size : units moved together; default from the line file or :func:`default_lot_size`.
    area_per_cell_cm2 : electrode area per cell, to turn web rates (m/min, m2/h) into units/h.
    materials_per_unit_g : ``{step_id: {material_id: grams per unit entering the step}}``;
        material consumed = units started at the step x grams (scrapped units included).
    cell_energy_Wh : energy per cell, for MWh/year (wins over the line file's ``cell_energy_Wh``).
    progress : called with the fraction of the run done (0-1), about 100 times.
    intermediate_materials : material ids made on the line from other materials (the InSnBi
        alloy made at alloy_prep from In, Sn and Bi); reported apart from purchased materials.
    trace_from : a head station: measure the lead time of the good units released there
        (``lead_time_traced_h``), to check the Little's-law lead time against.

    Returns a :class:`pouchline.line.kpis.LineResult`. Raises :class:`InputError` for bad input,
    before the simulation starts.
    """
    from pouchline.line.kpis import summarize

    plan = plan_run(line, days=days, warmup_days=warmup_days, lot_size=lot_size,
                    area_per_cell_cm2=area_per_cell_cm2, materials_per_unit_g=materials_per_unit_g,
                    cell_energy_Wh=cell_energy_Wh, trace_from=trace_from,
                    intermediate_materials=intermediate_materials)
    ss = _seed_sequence(seed)
    raw = run_plan(plan, ss, progress)
    return summarize(raw, plan, seed=int(ss.entropy), spawn_key=tuple(ss.spawn_key))
