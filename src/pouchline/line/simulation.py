"""The SimPy core: one station process per machine, one buffer per station, lots of units.

Model
-----
* **Serial line in route order.** Each station performs one recipe step; a *unit* is one cell's
  worth of that step's output. The real route converges (anode, SE film and cathode branches feed
  stacking); a serial line in route order is the usual first-order model of it. It is exact for
  mean flows: units started at a step = good cells / product of the yields from that step on,
  whether the step sits on a branch or not, so yields, rolled throughput yield, material consumed
  and the bottleneck's capacity come out the same. It is approximate for dynamics: a failure on
  one branch starves the other branches' downstream stations instead of letting them build stock.
* **Lots.** Units move in lots of ``lot_size`` (a transfer quantity, not a product). A machine
  takes a *job* of ``J = batch_size x max(1, ceil(L / batch_size))`` units from its input
  buffer, with ``L`` the lot size or the station's ``transfer_units`` (a roll) if larger,
  runs ``J / batch_size`` cycles of ``cycle_time_s`` (a batch station, e.g. a glovebox
  oven, takes one full batch of several lots), loses a binomial number of them to scrap and puts
  the rest in the next station's buffer, waiting while it is full (blocking after service).
  Buffers count units, so scrap shrinks lots and batches are formed from any lots.
* **Failures** are operation-dependent: each machine fails after an exponential amount of
  *operating* time (mean ``mtbf_h``) and is repaired in an exponential time (mean ``mttr_h``), so a
  machine that is always busy is up MTBF/(MTBF+MTTR) of the time. Idle machines do not fail.
* **Unattended processes** (``runs_off_shift``) keep running through off-shift hours: a job's
  scheduled duration is the scheduled time between its start and its calendar end (or the next
  shift's start). Their failures count scheduled operating time.
* **Setups** take ``setup_time_s`` every ``setup_every_units`` units, or at the first job of each
  calendar day.
* **Zones** (glovebox ports, dry-room operators) are shared slots: a machine holds
  ``zone_slots`` of its zone while it processes a job.
* **Calendar.** The simulation clock counts scheduled seconds only; off-shift and planned
  maintenance are cut out (:mod:`pouchline.line.clock`).
* **Random numbers.** ``SeedSequence(seed)`` spawns one child per station, and each child a stream
  for failures and one for scrap (PCG64). A run is a pure function of its inputs and seed.

Granularity: a job costs 1-2 SimPy events (a get or put that can proceed at once costs none, see
:class:`Buffer`). A year of the 1 GWh line (29 million cells; lots of 200, rolls of ~1,800 cells at
the roll-to-roll steps) is ~1.5 million events, a few seconds, instead of an hour for one entity
per cell; lots of 100 give the same throughput within 0.1 %. ``benchmarks/bench_line.py``
measures both. Lots are transfer batches: WIP in process and lead time include whole lots at
machines, which is how carts, magazines and rolls move in a plant.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

import numpy as np
import simpy

from pouchline.errors import InputError, Problem
from pouchline.line.clock import ShiftClock
from pouchline.line.model import Line, StationSpec

if TYPE_CHECKING:  # pragma: no cover
    from pouchline.line.kpis import LineResult

STATES: tuple[str, ...] = ("busy", "setup", "down", "blocked", "starved", "zone_wait")
BUSY, SETUP, DOWN, BLOCKED, STARVED, ZONE_WAIT = range(6)

#: Default lot: about this many minutes of the slowest station's output (see default_lot_size).
LOT_MINUTES = 5.0
_PROGRESS_CHUNKS = 100
_DRAW_BLOCK = 2048

ProgressCallback = Callable[[float], None]


# --------------------------------------------------------------------------------------------
# raw measurements of one run (turned into KPIs by pouchline.line.kpis)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StationCounts:
    """What one station did in the measured window (after warm-up)."""

    state_machine_s: tuple[float, ...]  # machine-seconds per state in STATES order, summed over machines
    started_units: int  # units taken into processing (they consume material, scrap included)
    processed_units: int  # units whose processing ended (good + scrapped)
    good_units: int  # units passed on
    scrapped_units: int
    jobs: int
    wip_unit_s: float  # integral of units at the station (input buffer, in process, blocked)
    wip_end_units: int
    wip_start_units: int


@dataclass(frozen=True)
class RawRun:
    """Everything measured in one run, in scheduled seconds."""

    specs: tuple[StationSpec, ...]
    lot_size: int
    job_units: tuple[int, ...]
    buffer_capacity_units: tuple[float | None, ...]  # effective, per station (None: first; inf: unlimited)
    t_start_s: float  # scheduled time at the end of warm-up
    t_end_s: float
    stations: tuple[StationCounts, ...]
    zone_slot_s: dict[str, tuple[int, float]]  # zone -> (capacity, slot-seconds in use)
    completion_s: np.ndarray  # scheduled times at which good units left the line (whole run)
    completion_units: np.ndarray
    events: int
    notes: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _nice_floor(x: float) -> int:
    """The largest of 1, 2, 5 x 10^k not above x (at least 1)."""
    if x < 1:
        return 1
    k = 10 ** int(math.floor(math.log10(x)))
    for m in (5, 2, 1):
        if m * k <= x:
            return m * k
    return k


def default_lot_size(specs: tuple[StationSpec, ...], minutes: float = LOT_MINUTES) -> int:
    """A lot of about ``minutes`` of the slowest station's output, rounded down to 1-2-5.

    For the 1 GWh line (~3,800 cells/h) that is 200 cells; for a pilot line making a few cells an
    hour, 1. The lot is also kept within the smallest finite buffer so lots fit the buffers as
    written. Lots this small against the hours-long failures, repairs and buffers of a line change
    throughput by well under 1 % (see benchmarks/bench_line.py).
    """
    slowest = min(s.capacity_units_per_h for s in specs)
    lot = _nice_floor(slowest * minutes / 60.0)
    finite = [s.buffer_capacity for s in specs[1:] if s.buffer_capacity]
    if finite:
        lot = min(lot, _nice_floor(min(finite)))
    return max(1, lot)


def job_units(spec: StationSpec, lot_size: int) -> int:
    """Units one machine takes at once: whole batches covering a lot (or the station's transfer
    quantity, e.g. a roll, when that is larger)."""
    want = max(lot_size, spec.transfer_units or 0)
    return spec.batch_size * max(1, -(-want // spec.batch_size))


def _exponentials(rng: np.random.Generator) -> Iterator[float]:
    while True:
        yield from rng.standard_exponential(_DRAW_BLOCK).tolist()


def _binomials(rng: np.random.Generator, n: int, p: float) -> Iterator[int]:
    while True:
        yield from rng.binomial(n, p, _DRAW_BLOCK).tolist()


#: Longest simulated period accepted (days): a year of the GWh line takes ~4 s, ten years ~40 s.
MAX_SIM_DAYS = 3660.0


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
        problems.append(Problem("warmup_days", f"{warmup_days!r} is not allowed: the warm-up must be >= 0 days",
                                warmup_days))
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
                if grams < 0:
                    raise ValueError(f"{g!r} is negative; grams per unit must be >= 0")
            except ValueError as exc:
                problems.append(Problem(f"materials_per_unit_g.{step}.{mat}", str(exc), g))
                continue
            out[step][mat] = grams
    if problems:
        raise InputError(problems)
    return out


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
    capacities: tuple[float | None, ...]
    notes: tuple[str, ...]
    materials: dict[str, dict[str, float]]
    cell_energy_Wh: float | None


def plan_run(line: Line, *, days: float, warmup_days: float = 0.0, lot_size: int | None = None,
             area_per_cell_cm2: float | None = None, materials_per_unit_g: Mapping | None = None,
             cell_energy_Wh: float | None = None) -> RunPlan:
    """Check a run's inputs and size lots, jobs and buffers. Raises :class:`InputError`."""
    d, w, lot = _check_run_args(days, warmup_days, lot_size)
    specs = line.station_specs(area_per_cell_cm2)
    materials = check_materials(materials_per_unit_g)
    if cell_energy_Wh is not None and (isinstance(cell_energy_Wh, bool) or not isinstance(cell_energy_Wh, (int, float))
                                       or not (math.isfinite(cell_energy_Wh) and cell_energy_Wh > 0)):
        raise InputError.single("", "cell_energy_Wh", f"{cell_energy_Wh!r} is not allowed: energy per cell must be > 0 Wh",
                                cell_energy_Wh)
    notes: list[str] = []
    if lot is None:
        lot = line.lot_size or default_lot_size(specs)
    jobs = tuple(job_units(s, lot) for s in specs)
    caps: list[float | None] = [None]
    for i in range(1, len(specs)):
        need = jobs[i] + jobs[i - 1] - 1  # smallest buffer that cannot deadlock with these job sizes
        given = specs[i].buffer_capacity
        if given is None:
            caps.append(math.inf)
        elif given < need:
            caps.append(float(need))
            notes.append(f"{specs[i].name}: input buffer raised from {given} to {need} units, the least that holds a "
                         f"job of {jobs[i - 1]} units from {specs[i - 1].name} and a job of {jobs[i]} without "
                         f"deadlock (jobs are lots of {lot} units, whole batches or transfer_units)")
        else:
            caps.append(float(given))
    if specs[0].buffer_capacity is not None:
        notes.append(f"{specs[0].name}: buffer_capacity is not used at the first station (raw material never runs out)")
    used = {s.step for s in specs}
    unused = sorted(set(materials) - used)
    if unused:
        notes.append(f"materials_per_unit_g names steps no station performs: {', '.join(unused)}")
    energy = cell_energy_Wh if cell_energy_Wh is not None else line.cell_energy_Wh
    return RunPlan(line, specs, d, w, lot, jobs, tuple(caps), tuple(notes), materials, energy)


# --------------------------------------------------------------------------------------------
# the core
# --------------------------------------------------------------------------------------------
class Buffer:
    """A count of units with first-come-first-served waiting takers and givers.

    Like ``simpy.Container``, except that a ``get`` or ``put`` that can proceed at once returns
    ``None`` instead of an event: in a line most of them can, and this halves the events per lot.
    Otherwise it returns an event that succeeds once the units are taken (or stored).
    """

    __slots__ = ("env", "capacity", "level", "getters", "putters")

    def __init__(self, env: simpy.Environment, capacity: float, level: float = 0) -> None:
        self.env = env
        self.capacity = capacity
        self.level = level
        self.getters: deque = deque()
        self.putters: deque = deque()

    def get(self, n: int) -> simpy.Event | None:
        if not self.getters and self.level >= n:
            self.level -= n
            if self.putters:
                self._settle()
            return None
        ev = simpy.Event(self.env)
        self.getters.append((n, ev))
        return ev

    def put(self, n: int) -> simpy.Event | None:
        if not self.putters and self.level + n <= self.capacity:
            self.level += n
            if self.getters:
                self._settle()
            return None
        ev = simpy.Event(self.env)
        self.putters.append((n, ev))
        return ev

    def _settle(self) -> None:
        moved = True
        while moved:
            moved = False
            while self.getters and self.level >= self.getters[0][0]:
                n, ev = self.getters.popleft()
                self.level -= n
                ev.succeed()
                moved = True
            while self.putters and self.level + self.putters[0][0] <= self.capacity:
                n, ev = self.putters.popleft()
                self.level += n
                ev.succeed()
                moved = True

class _Station:
    __slots__ = ("spec", "job", "time", "started", "good", "scrapped", "jobs", "wip_n", "wip_s", "machines")

    def __init__(self, spec: StationSpec, job: int) -> None:
        self.spec = spec
        self.job = job
        self.time = [0.0] * len(STATES)
        self.started = self.good = self.scrapped = self.jobs = 0
        self.wip_n = 0  # units at the station now
        self.wip_s = 0.0  # sum of (change x time): integral of wip to t is wip_n * t - wip_s
        self.machines: list[_Machine] = []


class _Machine:
    __slots__ = ("state", "since")

    def __init__(self) -> None:
        self.state = STARVED
        self.since = 0.0


class _Zone:
    __slots__ = ("res", "n", "s", "capacity")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.res = Buffer(env, capacity, capacity)  # free slots
        self.capacity = capacity
        self.n = 0
        self.s = 0.0


def _machine(env: simpy.Environment, st: _Station, m: _Machine, inbuf: Buffer | None,
             outbuf: Buffer | None, nxt: _Station | None, zone: _Zone | None, slots: int,
             exp: Iterator[float], scrap: Iterator[int] | None, clock: ShiftClock,
             sink_t: array, sink_n: array):
    """One machine: take a job, wait for a zone slot, set up, process (failing), scrap, pass on.

    ``exp`` (standard exponentials) and ``scrap`` (good units per job) are the station's streams,
    shared by its machines.
    """
    spec = st.spec
    J = st.job
    T = st.time
    timeout = env.timeout
    proc_s = (J // spec.batch_size) * spec.cycle_time_s
    failing = spec.mtbf_h is not None and spec.mttr_h is not None
    if failing:
        mtbf_s, mttr_s = spec.mtbf_h * 3600.0, spec.mttr_h * 3600.0
        ttf = mtbf_s * next(exp)
    setup_s = spec.setup_time_s
    every = spec.setup_every_units
    per_day = setup_s > 0 and every is None
    since_setup = 0
    setup_day = 0
    use_zone = zone is not None and slots > 0
    off_shift = spec.runs_off_shift and not clock.is_continuous

    while True:
        # ---- take a job from the input buffer (the first station never waits for material)
        if inbuf is not None:
            ev = inbuf.get(J)
            if ev is not None:
                now = env.now
                T[m.state] += now - m.since
                m.state, m.since = STARVED, now
                yield ev
        now = env.now
        if inbuf is None:
            st.wip_n += J
            st.wip_s += J * now
        st.started += J
        # ---- a slot of the shared zone (glovebox ports, dry-room operators)
        if use_zone:
            ev = zone.res.get(slots)
            if ev is not None:
                T[m.state] += now - m.since
                m.state, m.since = ZONE_WAIT, now
                yield ev
                now = env.now
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
                yield timeout(setup_s)
                now = env.now
            since_setup += J
        # ---- process; failures consume operating time only
        T[m.state] += now - m.since
        m.state, m.since = BUSY, now
        job_s = clock.off_shift_duration_s(now, proc_s) if off_shift else proc_s
        if failing:
            left = job_s
            while ttf < left:
                yield timeout(ttf)
                left -= ttf
                now = env.now
                T[BUSY] += now - m.since
                m.state, m.since = DOWN, now
                yield timeout(mttr_s * next(exp))
                now = env.now
                T[DOWN] += now - m.since
                m.state, m.since = BUSY, now
                ttf = mtbf_s * next(exp)
            ttf -= left
            yield timeout(left)
        else:
            yield timeout(job_s)
        now = env.now
        if use_zone:
            zone.res.put(slots)  # always fits: the slots were taken from it
            zone.n -= slots
            zone.s -= slots * now
        # ---- scrap and pass on
        good = next(scrap) if scrap is not None else J
        lost = J - good
        st.jobs += 1
        st.good += good
        if lost:
            st.scrapped += lost
            st.wip_n -= lost
            st.wip_s -= lost * now
        if good:
            if outbuf is not None:
                ev = outbuf.put(good)
                if ev is not None:
                    T[m.state] += now - m.since
                    m.state, m.since = BLOCKED, now
                    yield ev
                    now = env.now
                nxt.wip_n += good
                nxt.wip_s += good * now
            else:
                sink_t.append(now)
                sink_n.append(good)
            st.wip_n -= good
            st.wip_s -= good * now


def _snapshot(stations: list[_Station], now: float) -> list[tuple]:
    """Close every machine's open state interval at ``now`` and copy the counters."""
    out = []
    for st in stations:
        for m in st.machines:
            st.time[m.state] += now - m.since
            m.since = now
        out.append((tuple(st.time), st.started, st.good, st.scrapped, st.jobs * st.job,
                    st.wip_n * now - st.wip_s, st.wip_n))
    return out


def _seed_sequence(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        raise InputError.single("", "seed", "a seed is required: runs are reproducible from it")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError.single("", "seed", f"{seed!r} is not allowed: a seed is a whole number >= 0", seed)
    return np.random.SeedSequence(int(seed))


def run_plan(plan: RunPlan, seed: int | np.random.SeedSequence, progress: ProgressCallback | None = None) -> RawRun:
    """Run one planned simulation and return its raw measurements (no KPIs)."""
    ss = _seed_sequence(seed)
    specs = plan.specs
    clock = ShiftClock(plan.line.calendar)
    t_warm = float(clock.to_scheduled_s(plan.warmup_days * 86400.0))
    t_end = float(clock.to_scheduled_s((plan.warmup_days + plan.days) * 86400.0))

    env = simpy.Environment()
    stations = [_Station(s, j) for s, j in zip(specs, plan.job_units)]
    buffers: list[Buffer | None] = [None]
    for cap in plan.capacities[1:]:
        buffers.append(Buffer(env, cap))
    zones: dict[str, _Zone] = {}
    for zid, z in plan.line.zones.items():
        if z.capacity is not None and any(s.zone == zid and s.zone_slots > 0 for s in specs):
            zones[zid] = _Zone(env, z.capacity)
    sink_t: array = array("d")
    sink_n: array = array("q")
    children = ss.spawn(len(specs))
    for i, (st, child) in enumerate(zip(stations, children)):
        fail_ss, scrap_ss = child.spawn(2)
        exp = _exponentials(np.random.Generator(np.random.PCG64(fail_ss)))
        scrap = (_binomials(np.random.Generator(np.random.PCG64(scrap_ss)), st.job, 1.0 - st.spec.scrap_rate)
                 if st.spec.scrap_rate > 0 else None)
        for _ in range(st.spec.machines):
            m = _Machine()
            st.machines.append(m)
            env.process(_machine(
                env, st, m, buffers[i], buffers[i + 1] if i + 1 < len(specs) else None,
                stations[i + 1] if i + 1 < len(specs) else None, zones.get(st.spec.zone), st.spec.zone_slots,
                exp, scrap, clock, sink_t, sink_n,
            ))

    def zone_integrals(now: float) -> dict[str, float]:
        return {zid: z.n * now - z.s for zid, z in zones.items()}

    # run: warm-up, snapshot, then the measured period in chunks (for the progress callback)
    if t_warm > 0:
        env.run(until=t_warm)
    start = _snapshot(stations, t_warm)
    zone_start = zone_integrals(t_warm)
    chunks = _PROGRESS_CHUNKS if progress is not None else 1
    for k in range(1, chunks + 1):
        env.run(until=t_warm + (t_end - t_warm) * k / chunks)
        if progress is not None:
            progress(env.now / t_end)
    end = _snapshot(stations, t_end)
    zone_end = zone_integrals(t_end)

    counts = []
    specs_job = plan.job_units
    for i, (a, b) in enumerate(zip(start, end)):
        counts.append(StationCounts(
            state_machine_s=tuple(y - x for x, y in zip(a[0], b[0])),
            started_units=b[1] - a[1], processed_units=b[4] - a[4], good_units=b[2] - a[2],
            scrapped_units=b[3] - a[3], jobs=(b[4] - a[4]) // specs_job[i],
            wip_unit_s=b[5] - a[5], wip_end_units=b[6], wip_start_units=a[6],
        ))
    try:
        events = next(env._eid)  # simpy's event counter (private; only used for the benchmark figure)
    except Exception:  # pragma: no cover - simpy internals changed
        events = -1
    return RawRun(
        specs=specs, lot_size=plan.lot_size, job_units=plan.job_units,
        buffer_capacity_units=plan.capacities,
        t_start_s=t_warm, t_end_s=t_end, stations=tuple(counts),
        zone_slot_s={zid: (zones[zid].capacity, zone_end[zid] - zone_start[zid]) for zid in zones},
        completion_s=np.frombuffer(sink_t, dtype=float).copy(),
        completion_units=np.frombuffer(sink_n, dtype=np.int64).copy(),
        events=events, notes=plan.notes,
    )


def simulate(line: Line, *, days: float, warmup_days: float = 0.0, seed: int | np.random.SeedSequence = 0,
             lot_size: int | None = None, area_per_cell_cm2: float | None = None,
             materials_per_unit_g: Mapping[str, Mapping[str, float]] | None = None,
             cell_energy_Wh: float | None = None, progress: ProgressCallback | None = None) -> "LineResult":
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

    Returns a :class:`pouchline.line.kpis.LineResult`. Raises :class:`InputError` for bad input.
    """
    from pouchline.line.kpis import summarize

    plan = plan_run(line, days=days, warmup_days=warmup_days, lot_size=lot_size,
                    area_per_cell_cm2=area_per_cell_cm2, materials_per_unit_g=materials_per_unit_g,
                    cell_energy_Wh=cell_energy_Wh)
    ss = _seed_sequence(seed)
    raw = run_plan(plan, ss, progress)
    return summarize(raw, plan, seed=int(ss.entropy), spawn_key=tuple(ss.spawn_key))
