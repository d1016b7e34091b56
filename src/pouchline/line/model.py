"""What a user writes about a production line, validated: stations, zones, carriers, release rule
and the shift calendar.

A line file (``recipes/lines/*.yaml``) lists its stations. Each station performs one recipe step
and moves *units*: one unit is one cell's worth of that step's output (the alloy for one cell,
the SE film for one cell, one stacked cell, ...). Quantities may be written with units
(``cycle_time_s: "0.75 min"``, ``rate_m_min: "12 m/min"``); pint reads them once, here, into
floats in the unit of the field's name (:func:`pouchline.units.to_canonical`).

**Chain or graph.** A file where no station names ``feeds`` is a chain in list order (each station
feeds the next). Otherwise every station but the last names the one station its good units go
to (``feeds: stacker``); the last station is the line's end and feeds nothing. A station fed by
several stations is a *merge* (assembly): it takes a kit per unit from each feeding branch, one
unit of each by default, or ``kit: {feeder_station: units}``. Since a unit is a cell's worth
everywhere, a kit of one unit per feeder is N cathode sheets, N films and N anodes of an N-layer
cell; per-sheet stations are given per area (``rate_m2_h``) so a cell's time scales with its
layers. Branches need not be contiguous in the file, but reading is easier when they are.

Example::

    name: pilot
    calendar: {hours_per_day: 8, days_per_week: 5, planned_maintenance_h_per_week: 4}
    zones:
      glovebox: {kind: glovebox, atmosphere: "Ar, O2/H2O < 0.1 ppm", capacity: 2}
    release: {rule: conwip, wip_cap_units: 40}
    carriers:
      fixtures: {count: 60, units_per_carrier: 1, from: clamp, to: formation}
    stations:
      - {name: film_mix, step: se_film_mixing, cycle_time_s: 30 min, batch_size: 20, feeds: stack}
      - {name: cathode_mix, step: cathode_mixing, cycle_time_s: 30 min, batch_size: 20, feeds: stack}
      - {name: stack, step: stacking, cycle_time_s: 10 min, feeds: clamp}
      - {name: clamp, step: clamping, cycle_time_s: 10 min, feeds: formation}
      - {name: formation, step: formation, cycle_time_s: 24 h, batch_size: 16, runs_off_shift: true}

**Carriers** (``carriers:``) are finite pools of fixtures, racks or trays: a unit holds one slot
of a carrier from the start of station ``from`` to the end of station ``to``; a carrier holds
``units_per_carrier`` units. **Release** (``release:``) controls what the branch heads start:
``conwip`` caps the units in the line that each head started (``wip_cap_units``, one number for
every head or one per head), ``rate`` starts work at a fixed pace of ``rate_units_per_h`` good
cells per scheduled hour (each head starts what that needs after its scrap). **Exposure**: a zone
may give ``exposure_limit_h`` (with its source); parts carry the calendar time since they
entered the zone at one of its ``exposure_starts_at`` stations (default: where units enter the
zone) and are scrapped when a station of the zone takes them after the limit.

How the simulation runs all of this is in :mod:`pouchline.line.simulation`.

:func:`load_line` is the only function of :mod:`pouchline.line` that reads a file.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Literal, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pouchline.errors import InputError, Problem
from pouchline.line.defaults import (
    DEFAULT_DAYS,
    DEFAULT_WARMUP_DAYS,
    MAX_BUFFER_UNITS,
    MAX_MACHINES_PER_LINE,
    MAX_MACHINES_PER_STATION,
    MAX_STATIONS,
    MAX_UNITS_PER_BATCH,
)

#: The step ids of the default recipe (``recipes/insnbi-lco-pouch.yaml``), in route order. Used by
#: the CLI to catch misspelt steps when the recipe itself cannot be loaded.
DEFAULT_STEP_IDS: tuple[str, ...] = (
    "alloy_prep", "melt_cast", "quench", "anode_rolling", "anode_punching",
    "se_film_mixing", "se_film_rolling", "se_film_cutting",
    "cathode_mixing", "cathode_hot_rolling", "cathode_punching",
    "prelithiation", "stacking", "sealing", "clamping", "formation",
)

HOURS_PER_WEEK = 168.0
#: Most rolling passes a station may give (the recipe's limit on a rolling schedule).
MAX_PASSES = 100


# --------------------------------------------------------------------------------------------
# validators shared by the models: parse with pint, then check the range with a message that
# says what is allowed (pydantic's own messages do not name the unit or the meaning)
# --------------------------------------------------------------------------------------------
def _number(v: Any, unit_key: str) -> float:
    # imported here: pint's registry takes ~0.5 s to build, and worker processes that only run
    # already-validated lines never need it
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if not math.isfinite(v):
            raise ValueError(f"{v!r} is not a finite number")
        return float(v)  # a bare number is in the field's unit already
    from pouchline.units import to_canonical

    try:
        return to_canonical(v, unit_key)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def machine_availability(mtbf_h: float | None, mttr_h: float | None) -> float:
    """MTBF / (MTBF + MTTR) of one machine with exponential failures and repairs; 1 without failures."""
    if mtbf_h is None or mttr_h is None:
        return 1.0
    return mtbf_h / (mtbf_h + mttr_h)


def _check(value: float, *, what: str, unit: str = "", gt: float | None = None, ge: float | None = None,
           lt: float | None = None, le: float | None = None) -> float:
    u = f" {unit}" if unit else ""
    shown = f"{value:g}{u}"
    if ge is not None and lt is not None and not (ge <= value < lt):
        raise ValueError(f"{shown} is outside [{ge:g}, {lt:g}): {what}")
    if gt is not None and not value > gt:
        raise ValueError(f"{shown} is not allowed: {what} must be > {gt:g}{u}")
    if ge is not None and not value >= ge:
        raise ValueError(f"{shown} is not allowed: {what} must be >= {ge:g}{u}")
    if lt is not None and not value < lt:
        raise ValueError(f"{shown} is not allowed: {what} must be < {lt:g}{u}")
    if le is not None and not value <= le:
        raise ValueError(f"{shown} is not allowed: {what} must be <= {le:g}{u}")
    return value


def _count(v: Any, what: str, minimum: int, maximum: int | None = None) -> int:
    top = f" and <= {maximum:,}" if maximum is not None else ""
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is a yes/no value; {what} is a whole number >= {minimum}{top}")
    if isinstance(v, str):
        try:
            v = float(_number(v, "count"))
        except ValueError:
            raise ValueError(f"{v!r} is not a number; {what} is a whole number >= {minimum}{top}") from None
    if isinstance(v, float):
        if not math.isfinite(v) or v != int(v):
            raise ValueError(f"{v!r} is not a whole number; {what} is a whole number >= {minimum}{top}")
        v = int(v)
    if not isinstance(v, int):
        raise ValueError(f"{v!r} is not a number; {what} is a whole number >= {minimum}{top}")
    if v < minimum:
        raise ValueError(f"{v} is not allowed: {what} must be a whole number >= {minimum}{top}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{v:,} is not allowed: {what} must be a whole number >= {minimum}{top} (a limit on the "
                         "work one simulation may take)")
    return v


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------
# calendar
# --------------------------------------------------------------------------------------------
class Calendar(_Model):
    """The weekly shift calendar shared by every station.

    The line works ``hours_per_day`` from midnight on each of the first ``days_per_week`` days of the
    week; ``planned_maintenance_h_per_week`` is taken from the end of the week's last working
    hours. Off-shift and planned-maintenance time is not scheduled: the whole line stands still
    (work in progress waits, repairs pause) and it counts as neither starved nor down. Every state
    fraction the simulation reports is a fraction of *scheduled* time.
    """

    hours_per_day: float = 24.0
    days_per_week: int = 7
    planned_maintenance_h_per_week: float = 0.0
    source: str | None = None

    @field_validator("hours_per_day", mode="before")
    @classmethod
    def _hpd(cls, v: Any) -> float:
        return _check(_number(v, "h"), what="working hours per day", unit="h", gt=0, le=24)

    @field_validator("days_per_week", mode="before")
    @classmethod
    def _dpw(cls, v: Any) -> int:
        n = _count(v, "working days per week", 1)
        if n > 7:
            raise ValueError(f"{n} is not allowed: working days per week must be 1-7")
        return n

    @field_validator("planned_maintenance_h_per_week", mode="before")
    @classmethod
    def _pm(cls, v: Any) -> float:
        return _check(_number(v, "h"), what="planned maintenance", unit="h/week", ge=0)

    @model_validator(mode="after")
    def _pm_fits(self) -> "Calendar":
        working = self.hours_per_day * self.days_per_week
        if self.planned_maintenance_h_per_week >= working:
            raise ValueError(
                f"planned_maintenance_h_per_week {self.planned_maintenance_h_per_week:g} h is not allowed: it "
                f"must be less than the {working:g} working hours per week ({self.hours_per_day:g} h x "
                f"{self.days_per_week} d)"
            )
        return self

    @property
    def scheduled_h_per_week(self) -> float:
        return self.hours_per_day * self.days_per_week - self.planned_maintenance_h_per_week

    @property
    def scheduled_fraction(self) -> float:
        """Scheduled hours over calendar hours (1.0 for 24/7 without planned maintenance)."""
        return self.scheduled_h_per_week / HOURS_PER_WEEK

    def scheduled_windows_h(self) -> list[tuple[float, float]]:
        """The week's scheduled windows as (start, end) in hours from the start of the week."""
        windows = [[d * 24.0, d * 24.0 + self.hours_per_day] for d in range(self.days_per_week)]
        left = self.planned_maintenance_h_per_week
        while left > 1e-12:
            start, end = windows[-1]
            cut = min(left, end - start)
            windows[-1][1] = end - cut
            left -= cut
            if windows[-1][1] - windows[-1][0] <= 1e-12:
                windows.pop()
        return [(a, b) for a, b in windows]


# --------------------------------------------------------------------------------------------
# zones (protective atmosphere: glovebox, dry room)
# --------------------------------------------------------------------------------------------
class Zone(_Model):
    """A protective-atmosphere zone that stations share.

    ``capacity`` is the number of operations that can run in it at once (glovebox glove ports,
    dry-room operators); each machine of a station in the zone holds ``zone_slots`` of it while it
    processes a batch. ``area_m2`` is checked statically against the stations' footprints.
    Both are optional: a zone without them only labels the atmosphere.

    ``exposure_limit_h`` is the longest calendar time a part may spend in the zone's atmosphere
    (a sulfide electrolyte in a dry room) from the start of one of ``exposure_starts_at`` (default:
    the zone's stations fed from outside it, and its branch heads) until it leaves the zone; a
    station of the zone that takes a part past the limit scraps it (``expired_units``). Give its
    source: the limit is a process specification, not a law of nature. ``exposure_clock`` says
    whether parts age in calendar time (``calendar``, the default: WIP stays in the zone while the
    line stands off shift or in planned maintenance) or in scheduled time only (``scheduled``: WIP
    goes to protected storage, e.g. sealed inert boxes, whenever the line stops).

    ``equipment`` names an entry of the equipment catalogue's ``enclosures`` (e.g. the -40 degC dew
    point dry room); its figures (kind, atmosphere, exposure limit, clock and their sources) fill
    the fields the zone does not give (:func:`pouchline.equipment.resolve_line_equipment`).
    """

    kind: Literal["glovebox", "dry_room", "enclosure"] = "glovebox"
    atmosphere: str | None = None
    capacity: int | None = None
    area_m2: float | None = None
    exposure_limit_h: float | None = None
    exposure_starts_at: list[str] | None = None
    exposure_clock: Literal["calendar", "scheduled"] = "calendar"
    source: str | None = None
    exposure_source: str | None = None
    equipment: str | None = None  # an id of the catalogue's enclosures; its figures fill fields not given here

    @field_validator("capacity", mode="before")
    @classmethod
    def _cap(cls, v: Any) -> int | None:
        return None if v is None else _count(v, "zone capacity (concurrent operations)", 1, MAX_MACHINES_PER_LINE)

    @field_validator("area_m2", mode="before")
    @classmethod
    def _area(cls, v: Any) -> float | None:
        return None if v is None else _check(_number(v, "m2"), what="zone area", unit="m2", gt=0)

    @field_validator("exposure_limit_h", mode="before")
    @classmethod
    def _limit(cls, v: Any) -> float | None:
        return None if v is None else _check(_number(v, "h"), what="an exposure limit", unit="h", gt=0, le=8760)

    @model_validator(mode="after")
    def _limit_has_source(self) -> "Zone":
        if self.exposure_limit_h is not None and not self.exposure_source:
            raise ValueError("exposure_limit_h needs exposure_source: where the limit comes from (e.g. \"estimate: "
                             "...\" or \"sourced: ...\")")
        if self.exposure_starts_at is not None and self.exposure_limit_h is None:
            raise ValueError("exposure_starts_at is only used with exposure_limit_h")
        return self


# --------------------------------------------------------------------------------------------
# stations
# --------------------------------------------------------------------------------------------
class Station(_Model):
    """One station of the line: ``machines`` identical machines performing recipe step ``step``.

    Speed is given by exactly one of

    * ``cycle_time_s``: time for one batch of ``batch_size`` units on one machine;
    * ``rate_m_min`` and ``web_width_mm``: a web process (calendering, casting) at a line speed;
    * ``rate_m2_h``: a web process as area per hour.

    Web rates become units with the cell's electrode area: one unit takes
    ``area_per_cell_cm2 x area_factor`` of web (``area_factor`` covers overhang and edge trim).

    ``mtbf_h``/``mttr_h`` are the mean operating time between failures and the mean repair time of
    one machine (exponential; omit both for a machine that never fails). ``scrap_rate`` is the
    fraction of units lost at the step. ``buffer_capacity`` is the number of units the station's
    input buffer holds (omit for unlimited; ignored at the first station, which never starves).
    ``transfer_units`` is what the station takes and passes on at once when that is more than a
    lot: a roll between roll-to-roll steps, a rack (omit to move lots).
    ``setup_time_s`` is spent before every ``setup_every_units`` units, or at the start of every
    working day when ``setup_every_units`` is omitted. ``runs_off_shift: true`` marks an unattended
    process (furnace, press holding pressure, formation) that keeps running through off-shift
    hours once loaded; it is loaded and unloaded in working hours only.

    ``feeds`` names the station this one's good units go to (graph lines, see the module
    docstring); ``kit`` gives, at a station with feeders, the units it takes from each feeder
    per unit it makes (default 1 of each). At a merge every feeder has its own input buffer of
    ``buffer_capacity`` of its units.

    **Passes** (rolling mills): ``passes`` is the number of rolling passes a unit needs (the recipe
    step's schedule) and ``stands`` the passes one visit makes (a tandem mill's stands, filled from
    its equipment entry). A unit takes ``visits = ceil(passes / stands)`` visits, each at the
    station's speed: the speed fields (``cycle_time_s``, ``rate_m_min``, ``rate_m2_h``) are per visit
    and machine time per unit is multiplied by ``visits`` (as the cost model counts it).

    ``equipment`` names an entry of ``recipes/equipment.yaml``: the fields a station does not give
    are filled from it when the line is loaded (and ``scrap_rate`` from the catalogue's yield of
    the entry's step kind at the line's ``maturity``), see
    :func:`pouchline.equipment.resolve_line_equipment`.
    """

    name: str = Field(min_length=1)
    step: str = Field(min_length=1)
    feeds: str | None = None
    kit: dict[str, int] | None = None
    cycle_time_s: float | None = None
    rate_m_min: float | None = None
    web_width_mm: float | None = None
    rate_m2_h: float | None = None
    area_factor: float = 1.0
    batch_size: int = 1
    machines: int = 1
    mtbf_h: float | None = None
    mttr_h: float | None = None
    scrap_rate: float = 0.0
    buffer_capacity: int | None = None
    transfer_units: int | None = None
    setup_time_s: float = 0.0
    setup_every_units: int | None = None
    runs_off_shift: bool = False
    zone: str | None = None
    zone_slots: int = 1
    passes: int | None = None  # rolling passes a unit needs (the recipe step's); None: one
    stands: int = 1  # passes one visit makes (a mill's stands)
    footprint_m2: float | None = None
    equipment: str | None = None  # an id of recipes/equipment.yaml; its figures fill fields not given here
    source: str | None = None
    notes: str | None = None

    # quantities: field -> (unit key parsed by pint, unit shown, what it is, bounds)
    _QUANTITIES: ClassVar[dict[str, tuple[str, str, str, dict[str, float]]]] = {
        # physical ranges (issue 19: 1e-300 h MTBF was accepted and made a line that never runs): a cycle from
        # 1 ms to 30 days, a failure at most every 36 s and at least once in ~114 years, a repair from 3.6 s to a year
        "cycle_time_s": ("s", "s", "a cycle time", {"gt": 0, "le": 30 * 86400.0}),
        "rate_m_min": ("m_min", "m/min", "a web speed", {"gt": 0, "le": 2000.0}),
        "web_width_mm": ("mm", "mm", "a web width", {"gt": 0, "le": 10000.0}),
        "rate_m2_h": ("m2_h", "m2/h", "an area rate", {"gt": 0, "le": 1e6}),
        "area_factor": ("ratio", "", "web area per unit over the cell's electrode area", {"gt": 0, "le": 1000.0}),
        "mtbf_h": ("h", "h", "mean time between failures", {"ge": 0.01, "le": 1e6}),
        "mttr_h": ("h", "h", "mean time to repair", {"ge": 0.001, "le": 8760.0}),
        "scrap_rate": ("frac", "", "the fraction of units lost at the step", {"ge": 0, "lt": 1}),
        "setup_time_s": ("s", "s", "a setup time", {"ge": 0, "le": 30 * 86400.0}),
        "footprint_m2": ("m2", "m2", "footprint per machine", {"ge": 0}),
    }
    # whole numbers: field -> (what it is, minimum, maximum)
    _COUNTS: ClassVar[dict[str, tuple[str, int, int]]] = {
        "batch_size": ("batch size (units per batch)", 1, MAX_UNITS_PER_BATCH),
        "machines": ("the number of parallel machines", 1, MAX_MACHINES_PER_STATION),
        "buffer_capacity": ("buffer capacity (units)", 0, MAX_BUFFER_UNITS),
        "transfer_units": ("units moved at once (a roll, a rack)", 1, MAX_UNITS_PER_BATCH),
        "setup_every_units": ("units between setups", 1, MAX_BUFFER_UNITS),
        "zone_slots": ("zone slots held per machine", 0, MAX_MACHINES_PER_LINE),
        "passes": ("rolling passes per unit", 1, MAX_PASSES),
        "stands": ("passes per visit (a mill's stands)", 1, MAX_PASSES),
    }

    @field_validator(*_QUANTITIES, mode="before")
    @classmethod
    def _quantity(cls, v: Any, info: Any) -> float | None:
        unit_key, unit, what, bounds = cls._QUANTITIES[info.field_name]
        return None if v is None else _check(_number(v, unit_key), what=what, unit=unit, **bounds)

    @field_validator(*_COUNTS, mode="before")
    @classmethod
    def _whole(cls, v: Any, info: Any) -> int | None:
        what, minimum, maximum = cls._COUNTS[info.field_name]
        return None if v is None else _count(v, what, minimum, maximum)

    @field_validator("kit", mode="before")
    @classmethod
    def _kit(cls, v: Any) -> dict[str, int] | None:
        if v is None:
            return None
        if not isinstance(v, Mapping) or not v:
            raise ValueError(f"{v!r} is not allowed: kit maps feeding stations to the units taken from each per unit "
                             "made, e.g. {cathode_punch: 1, se_cutter: 1}")
        return {str(k): _count(n, f"kit units from {k}", 1, MAX_UNITS_PER_BATCH) for k, n in v.items()}

    def problems(self) -> list[Problem]:
        """Checks across fields; the fields are named relative to the station."""
        given = [k for k in ("cycle_time_s", "rate_m_min", "rate_m2_h") if getattr(self, k) is not None]
        problems: list[Problem] = []
        if len(given) != 1:
            problems.append(Problem(
                "cycle_time_s",
                ("no speed given" if not given else f"{' and '.join(given)} are both given")
                + ": give exactly one of cycle_time_s, rate_m_min (with web_width_mm) or rate_m2_h",
                None,
            ))
        if self.rate_m_min is not None and self.web_width_mm is None:
            problems.append(Problem("web_width_mm", "is required with rate_m_min (m/min x width = area rate)"))
        if self.web_width_mm is not None and self.rate_m_min is None:
            problems.append(Problem("web_width_mm", f"{self.web_width_mm:g} mm is only used with rate_m_min",
                                    self.web_width_mm))
        if (self.mtbf_h is None) != (self.mttr_h is None):
            missing = "mttr_h" if self.mttr_h is None else "mtbf_h"
            problems.append(Problem(missing, "is required: give both mtbf_h and mttr_h, or neither "
                                             "(a machine that never fails)"))
        return problems

    @property
    def availability(self) -> float:
        """Share of operating time a machine is up (see :func:`machine_availability`)."""
        return machine_availability(self.mtbf_h, self.mttr_h)

    @property
    def uses_web_rate(self) -> bool:
        return self.cycle_time_s is None

    @property
    def visits(self) -> int:
        """Visits a unit makes: ceil(passes / stands) (1 without passes)."""
        return max(1, -(-(self.passes or 1) // self.stands))


# --------------------------------------------------------------------------------------------
# carriers and the release rule
# --------------------------------------------------------------------------------------------
class CarrierPool(_Model):
    """A finite pool of carriers: fixtures, racks, trays.

    A unit takes a slot of a carrier when station ``from`` starts it and frees it when station
    ``to`` ends it (or when it is scrapped in between); a carrier has ``units_per_carrier`` slots
    (e.g. 10 cells clamped between one pair of plates). A machine of ``from`` that finds no free
    slots waits (``carrier_wait``). Every station after ``from`` up to ``to`` must have a single
    feeder, so a unit is the same unit all the way round the loop.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    count: int
    units_per_carrier: int = 1
    from_station: str = Field(alias="from", min_length=1)
    to_station: str = Field(alias="to", min_length=1)
    source: str | None = None

    @field_validator("count", mode="before")
    @classmethod
    def _n(cls, v: Any) -> int:
        return _count(v, "the number of carriers", 1, MAX_BUFFER_UNITS)

    @field_validator("units_per_carrier", mode="before")
    @classmethod
    def _upc(cls, v: Any) -> int:
        return _count(v, "units per carrier", 1, MAX_UNITS_PER_BATCH)

    @property
    def slots(self) -> int:
        """Units the pool can hold at once: count x units per carrier."""
        return self.count * self.units_per_carrier


class Release(_Model):
    """What the branch heads may start, so that work in progress follows demand.

    * ``rule: conwip``: a head starts a job only while the units it started that are still in its
      loop stay within ``wip_cap_units``: one number for every head, or ``{head_station: units}``.
      A head's loop is its branch up to the first merge (the merge taking a kit frees the parts'
      places), or the whole route when it meets no merge (a chain); a unit scrapped or expired in
      the loop frees its place too. That is CONWIP with one loop per fabrication branch feeding
      assembly (Spearman, Woodruff & Hopp, "CONWIP: a pull alternative to kanban", Int. J. Prod.
      Res. 1990; Hopp & Spearman, *Factory Physics*, 3rd ed. 2008, ch. 10 and 14).
    * ``rule: rate``: the heads start work at the pace of ``rate_units_per_h`` good cells per
      scheduled hour: each head starts that many cells' worth divided by the planned yield from it
      to the line's end.

    Without a release section the heads start work whenever they can (until their output buffer is
    full), and work in progress is set by the buffer sizes.
    """

    rule: Literal["conwip", "rate"]
    wip_cap_units: int | dict[str, int] | None = None
    rate_units_per_h: float | None = None
    source: str | None = None

    @field_validator("wip_cap_units", mode="before")
    @classmethod
    def _cap(cls, v: Any) -> int | dict[str, int] | None:
        if v is None:
            return None
        if isinstance(v, Mapping):
            if not v:
                raise ValueError("{} is not allowed: give one cap for every head, or {head_station: units}")
            return {str(k): _count(n, f"the WIP cap of head {k} (units)", 1, MAX_BUFFER_UNITS) for k, n in v.items()}
        return _count(v, "the WIP cap (units)", 1, MAX_BUFFER_UNITS)

    @field_validator("rate_units_per_h", mode="before")
    @classmethod
    def _rate(cls, v: Any) -> float | None:
        return None if v is None else _check(_number(v, "1/hour"), what="a release rate (good cells per scheduled "
                                             "hour)", unit="/h", gt=0)

    @model_validator(mode="after")
    def _one_rule(self) -> "Release":
        if self.rule == "conwip" and self.wip_cap_units is None:
            raise ValueError("rule conwip needs wip_cap_units (one number, or {head_station: units})")
        if self.rule == "rate" and self.rate_units_per_h is None:
            raise ValueError("rule rate needs rate_units_per_h (good cells per scheduled hour)")
        if self.rule == "conwip" and self.rate_units_per_h is not None:
            raise ValueError("rate_units_per_h is only used with rule: rate")
        if self.rule == "rate" and self.wip_cap_units is not None:
            raise ValueError("wip_cap_units is only used with rule: conwip")
        return self


# --------------------------------------------------------------------------------------------
# the route as a graph
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topology:
    """The route as indices into the station list: who feeds whom, the heads and the end.

    ``fed[i]`` is the station ``i`` feeds (``None`` for the end); ``feeders[i]`` the stations
    feeding ``i`` in list order and ``kit[i]`` the units ``i`` takes from each of them per unit
    it makes; ``order`` lists every station after all its feeders.
    """

    names: tuple[str, ...]
    fed: tuple[int | None, ...]
    feeders: tuple[tuple[int, ...], ...]
    kit: tuple[tuple[int, ...], ...]
    heads: tuple[int, ...]
    end: int
    order: tuple[int, ...]

    @property
    def is_chain(self) -> bool:
        return all(f == i + 1 for i, f in enumerate(self.fed[:-1])) and self.fed[-1] is None

    def path(self, i: int) -> list[int]:
        """Station ``i`` and every station after it to the line's end."""
        out = [i]
        while self.fed[out[-1]] is not None:
            out.append(self.fed[out[-1]])  # type: ignore[arg-type]
        return out

    def kit_into_fed(self, i: int) -> int:
        """Units of ``i`` the station it feeds takes per unit it makes (1 at the end)."""
        j = self.fed[i]
        return 1 if j is None else self.kit[j][self.feeders[j].index(i)]

    def upstream(self, i: int) -> list[int]:
        """Every station whose units end up in ``i`` (``i`` included)."""
        out, todo = [], [i]
        while todo:
            k = todo.pop()
            out.append(k)
            todo.extend(self.feeders[k])
        return out

    def units_per_unit(self, i: int, j: int) -> int:
        """Units of station ``i`` inside one unit of station ``j`` downstream of it (product of kits)."""
        n, k = 1, i
        while k != j:
            n *= self.kit_into_fed(k)
            k = self.fed[k]  # type: ignore[assignment]
            if k is None:
                raise ValueError(f"{self.names[j]} is not downstream of {self.names[i]}")
        return n

    def units_started_per_good(self, scrap_rates: Sequence[float]) -> list[float]:
        """Units started at each station per good unit leaving the line's end (planned scrap).

        ``u_end = 1 / (1 - p_end)``; a station feeding ``j`` with kit ``k`` starts
        ``u_i = k u_j / (1 - p_i)``: its own scrap and everything after it on its path.
        """
        u = [0.0] * len(self.names)
        for i in reversed(self.order):
            j = self.fed[i]
            after = 1.0 if j is None else self.kit_into_fed(i) * u[j]
            u[i] = after / (1.0 - scrap_rates[i])
        return u

    def branch_of(self) -> list[str]:
        """Each station's branch: the name of the head it descends from, or ``"assembly"`` from the
        first merge on (a chain is one branch, named after its head)."""
        out = [""] * len(self.names)
        for i in self.order:
            heads = {out[f] for f in self.feeders[i]}
            if not self.feeders[i]:
                out[i] = self.names[i]
            elif len(self.feeders[i]) > 1 or "assembly" in heads:
                out[i] = "assembly"
            else:
                out[i] = heads.pop()
        return out


def _graph_problems(stations: Sequence["Station"]) -> tuple[list[Problem], "Topology | None"]:
    """Check ``feeds`` and ``kit`` and build the :class:`Topology` (``None`` if the graph is broken)."""
    problems: list[Problem] = []
    n = len(stations)
    names = [s.name for s in stations]
    index = {name: i for i, name in enumerate(names)}
    graph = any(s.feeds is not None for s in stations)
    fed: list[int | None] = []
    if not graph:
        fed = [i + 1 for i in range(n - 1)] + [None]
    else:
        last = names[-1]
        for i, st in enumerate(stations):
            if i == n - 1:
                if st.feeds is not None:
                    problems.append(Problem(f"stations[{i}].feeds", f"{st.feeds!r} is not allowed: the last station "
                                            f"({st.name}) is the line's end and feeds nothing", st.feeds))
                fed.append(None)
            elif st.feeds is None:
                problems.append(Problem(f"stations[{i}].feeds", f"is required: in a line where stations name what they "
                                        f"feed, every station but the last ({last}, the line's end) feeds one station",
                                        None))
                fed.append(None)
            elif st.feeds == st.name:
                problems.append(Problem(f"stations[{i}].feeds", f"{st.feeds!r} is not allowed: a station cannot feed "
                                        "itself", st.feeds))
                fed.append(None)
            elif st.feeds not in index:
                problems.append(Problem(f"stations[{i}].feeds", f"{st.feeds!r} is not a station of the line; stations: "
                                        f"{', '.join(names)}", st.feeds))
                fed.append(None)
            else:
                fed.append(index[st.feeds])
        if problems:
            return problems, None
        # every path must reach the end: following feeds from any station ends at the last one
        done = [False] * n
        done[n - 1] = True
        for i in range(n):
            path: list[int] = []
            on_path: set[int] = set()
            k: int | None = i
            while k is not None and not done[k] and k not in on_path:
                path.append(k)
                on_path.add(k)
                k = fed[k]
            if k is not None and k in on_path:  # came back to a station of this walk: a cycle
                cycle = path[path.index(k):]
                loop = " -> ".join(names[c] for c in cycle + [k])
                problems.append(Problem(f"stations[{min(cycle)}].feeds", f"stations {loop} form a cycle: every "
                                        f"path must end at the last station, {names[-1]}", names[min(cycle)]))
            for c in path:
                done[c] = True
        if problems:
            return problems, None
    for i, st in enumerate(stations):
        feeding = [names[j] for j in range(n) if fed[j] == i]
        for k in st.kit or {}:
            if k not in feeding:
                allowed = ", ".join(feeding) or "none: nothing feeds it, it takes raw material"
                problems.append(Problem(f"stations[{i}].kit.{k}", f"{k!r} does not feed {st.name}; its feeders: {allowed}",
                                        k))
    if problems:
        return problems, None
    return [], _make_topology(names, fed, lambda i, j: int((stations[i].kit or {}).get(names[j], 1)))


def _make_topology(names: Sequence[str], fed: Sequence[int | None], kit_for: Any) -> Topology:
    """A :class:`Topology` from who feeds whom; ``kit_for(i, j)`` is what ``i`` takes from feeder ``j``."""
    n = len(names)
    feeders = tuple(tuple(j for j in range(n) if fed[j] == i) for i in range(n))
    kit = tuple(tuple(kit_for(i, j) for j in feeders[i]) for i in range(n))
    heads = tuple(i for i in range(n) if not feeders[i])
    waiting = [len(f) for f in feeders]
    order = list(heads)
    for i in order:  # Kahn's algorithm: a station comes once all its feeders have
        j = fed[i]
        if j is not None:
            waiting[j] -= 1
            if waiting[j] == 0:
                order.append(j)
    end = next(i for i in range(n) if fed[i] is None)
    return Topology(tuple(names), tuple(fed), feeders, kit, heads, end, tuple(order))


# --------------------------------------------------------------------------------------------
# the line
# --------------------------------------------------------------------------------------------
class Line(_Model):
    """A production line: stations (a chain, or a graph with ``feeds``), zones, carriers, an
    optional release rule and the shift calendar.

    ``cell_energy_Wh`` and ``area_per_cell_cm2`` describe the product (the cell-format module can
    supply them instead); ``lot_size`` is the simulation's transfer quantity (units moved between
    stations at once; chosen from the line when omitted, see
    :func:`pouchline.line.model.default_lot_size`). ``maturity`` (``pilot`` or ``mature``) says
    which of the equipment catalogue's step yields a station naming an ``equipment`` entry takes
    when it gives no ``scrap_rate``.
    """

    name: str = Field(min_length=1)
    description: str | None = None
    source: str | None = None
    cell_energy_Wh: float | None = None
    area_per_cell_cm2: float | None = None
    lot_size: int | None = None
    maturity: Literal["pilot", "mature"] | None = None
    calendar: Calendar = Field(default_factory=Calendar)
    zones: dict[str, Zone] = Field(default_factory=dict)
    release: Release | None = None
    carriers: dict[str, CarrierPool] = Field(default_factory=dict)
    stations: list[Station]

    @field_validator("cell_energy_Wh", mode="before")
    @classmethod
    def _ce(cls, v: Any) -> float | None:
        return None if v is None else _check(_number(v, "Wh"), what="energy per cell", unit="Wh", gt=0)

    @field_validator("area_per_cell_cm2", mode="before")
    @classmethod
    def _apc(cls, v: Any) -> float | None:
        return None if v is None else _check(_number(v, "cm2"), what="electrode area per cell", unit="cm2", gt=0)

    @field_validator("lot_size", mode="before")
    @classmethod
    def _ls(cls, v: Any) -> int | None:
        return None if v is None else _count(v, "lot size (units moved together)", 1, MAX_UNITS_PER_BATCH)

    @field_validator("stations", mode="before")
    @classmethod
    def _nonempty(cls, v: Any) -> Any:
        if v is None or (isinstance(v, list) and len(v) == 0):
            raise ValueError("the line has no stations: list at least one station in route order")
        if isinstance(v, list) and len(v) > MAX_STATIONS:
            raise ValueError(f"{len(v):,} stations is not allowed: a line may have at most {MAX_STATIONS:,}")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> "Line":
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for i, st in enumerate(self.stations):
            problems.extend(Problem(f"stations[{i}].{p.field}", p.message, p.value) for p in st.problems())
            if st.name in seen:
                problems.append(Problem(f"stations[{i}].name", f"{st.name!r} is already the name of "
                                        f"stations[{seen[st.name]}]; station names must be unique", st.name))
            seen.setdefault(st.name, i)
            if st.zone is not None and st.zone not in self.zones:
                allowed = ", ".join(sorted(self.zones)) or "none are defined (add a zones: section)"
                problems.append(Problem(f"stations[{i}].zone", f"{st.zone!r} is not a zone of the line; "
                                        f"zones: {allowed}", st.zone))
            elif st.zone is not None:
                cap = self.zones[st.zone].capacity
                if cap is not None and st.zone_slots > cap:
                    problems.append(Problem(f"stations[{i}].zone_slots", f"{st.zone_slots} is more than zone "
                                            f"{st.zone!r} has ({cap}); a machine could never start",
                                            st.zone_slots))
        total = sum(st.machines for st in self.stations)
        if total > MAX_MACHINES_PER_LINE:
            problems.append(Problem("stations", f"{total:,} machines in all is not allowed: a line may have at most "
                                    f"{MAX_MACHINES_PER_LINE:,} (each machine is one simulated process)", total))
        for zid, zone in self.zones.items():
            if zone.area_m2 is not None:
                used = sum(st.machines * (st.footprint_m2 or 0.0) for st in self.stations if st.zone == zid)
                if used > zone.area_m2:
                    problems.append(Problem(f"zones.{zid}.area_m2", f"{zone.area_m2:g} m2 is less than the "
                                            f"{used:g} m2 its stations' machines occupy (machines x footprint_m2)",
                                            zone.area_m2))
            members = [st.name for st in self.stations if st.zone == zid]
            for k, name in enumerate(zone.exposure_starts_at or []):
                if name not in members:
                    problems.append(Problem(f"zones.{zid}.exposure_starts_at[{k}]", f"{name!r} is not a station of "
                                            f"zone {zid}; its stations: {', '.join(members) or 'none'}", name))
        if problems:  # the graph checks below need unique names
            raise InputError(problems)
        graph_problems, topo = _graph_problems(self.stations)
        problems.extend(graph_problems)
        if topo is not None:
            problems.extend(self._carrier_problems(topo))
            problems.extend(self._release_problems(topo))
        if problems:
            raise InputError(problems)
        problems.extend(self._default_run_problems())
        if problems:
            raise InputError(problems)
        return self

    def _carrier_problems(self, topo: Topology) -> list[Problem]:
        problems = []
        index = {name: i for i, name in enumerate(topo.names)}
        for cid, pool in self.carriers.items():
            bad = False
            for key, name in (("from", pool.from_station), ("to", pool.to_station)):
                if name not in index:
                    problems.append(Problem(f"carriers.{cid}.{key}", f"{name!r} is not a station of the line; stations: "
                                            f"{', '.join(topo.names)}", name))
                    bad = True
            if bad:
                continue
            a, b = index[pool.from_station], index[pool.to_station]
            path = topo.path(a)
            if b not in path:
                problems.append(Problem(f"carriers.{cid}.to", f"{pool.to_station!r} is not on the route after "
                                        f"{pool.from_station!r} (route from it: {' -> '.join(topo.names[k] for k in path)})",
                                        pool.to_station))
                continue
            for k in path[1:path.index(b) + 1]:
                if len(topo.feeders[k]) > 1:
                    problems.append(Problem(f"carriers.{cid}", f"the loop {pool.from_station} -> {pool.to_station} "
                                            f"passes the merge {topo.names[k]}; a carrier loop must start at or after "
                                            "the last merge it crosses", cid))
                    break
        return problems

    def _release_problems(self, topo: Topology) -> list[Problem]:
        rel = self.release
        if rel is None or not isinstance(rel.wip_cap_units, dict):
            return []
        heads = [topo.names[h] for h in topo.heads]
        problems = [Problem(f"release.wip_cap_units.{k}", f"{k!r} is not a head of the line (a station nothing feeds); "
                            f"heads: {', '.join(heads)}", k) for k in rel.wip_cap_units if k not in heads]
        missing = [h for h in heads if h not in rel.wip_cap_units]
        if missing:
            problems.append(Problem("release.wip_cap_units", f"gives no cap for head(s) {', '.join(missing)}: give every "
                                    "head a cap, or one number for all", None))
        return problems

    def _default_run_problems(self) -> list[Problem]:
        """The limits a run checks before it starts, for the default run of the file's own cell
        (so that ``pouchline validate`` catches a line no command could simulate)."""
        if self.area_per_cell_cm2 is None and any(st.uses_web_rate for st in self.stations):
            return []  # web rates need the cell's area: checked when a run gets one
        from pouchline.line.simulation import plan_run

        try:
            plan_run(self, days=DEFAULT_DAYS, warmup_days=DEFAULT_WARMUP_DAYS)
        except InputError as exc:
            return [Problem(p.field or "stations", f"{p.message} (checked for the default run: {DEFAULT_DAYS:g} days "
                            f"after {DEFAULT_WARMUP_DAYS:g} days of warm-up, the file's own cell)", p.value)
                    for p in exc.problems]
        return []

    # ----------------------------------------------------------------------------------------
    def topology(self) -> Topology:
        """The route as a graph of station indices (a chain when no station names ``feeds``)."""
        problems, topo = _graph_problems(self.stations)
        if topo is None:  # pragma: no cover - a validated Line always has one
            raise InputError(problems)
        return topo

    def validate_steps(self, step_ids: Iterable[str], *, source: str = "", against: str = "the recipe") -> None:
        """Raise :class:`InputError` for every station whose ``step`` is not one of ``step_ids``.

        ``source`` is the line file (for the message), ``against`` names where the ids come from.
        """
        allowed = list(step_ids)
        allowed_set = set(allowed)
        problems = [
            Problem(f"stations[{i}].step", f"{st.step!r} is not a step of {against}; steps: {', '.join(allowed)}",
                    st.step, source)
            for i, st in enumerate(self.stations) if st.step not in allowed_set
        ]
        if problems:
            raise InputError(problems)

    def station_specs(self, area_per_cell_cm2: float | None = None) -> tuple["StationSpec", ...]:
        """The stations as plain numbers for the simulation (web rates converted to cycle times).

        ``area_per_cell_cm2`` (electrode area of one cell, from the cell format) wins over the line
        file's value; it is needed only by stations given a web rate.
        """
        area = area_per_cell_cm2 if area_per_cell_cm2 is not None else self.area_per_cell_cm2
        problems: list[Problem] = []
        if area is not None and not (isinstance(area, (int, float)) and math.isfinite(area) and area > 0):
            raise InputError.single("", "area_per_cell_cm2", f"{area!r} is not allowed: the electrode area "
                                    "per cell must be a number > 0 cm2", area)
        from pouchline.line.clock import ShiftClock

        clock = ShiftClock(self.calendar)
        topo = self.topology()
        specs = []
        for i, st in enumerate(self.stations):
            if st.cycle_time_s is not None:
                cycle = st.cycle_time_s * st.visits
            elif area is None:
                problems.append(Problem(
                    f"stations[{i}]", f"{st.name!r} is given a web rate, which needs the electrode area per "
                    "cell: set area_per_cell_cm2 in the line file or pass it from the cell format", None))
                continue
            else:
                m2_h = st.rate_m2_h if st.rate_m2_h is not None else st.rate_m_min * 60.0 * st.web_width_mm / 1000.0
                units_per_h = m2_h * 1e4 / (area * st.area_factor)
                cycle = st.batch_size * 3600.0 / units_per_h * st.visits
            speedup = clock.off_shift_speedup(cycle) if st.runs_off_shift else 1.0
            fed = topo.fed[i]
            specs.append(StationSpec(
                name=st.name, step=st.step, cycle_time_s=cycle, batch_size=st.batch_size, machines=st.machines,
                mtbf_h=st.mtbf_h, mttr_h=st.mttr_h, scrap_rate=st.scrap_rate, buffer_capacity=st.buffer_capacity,
                transfer_units=st.transfer_units,
                setup_time_s=st.setup_time_s, setup_every_units=st.setup_every_units, zone=st.zone,
                zone_slots=st.zone_slots if st.zone is not None else 0,
                hours_per_setup_day=self.calendar.hours_per_day, runs_off_shift=st.runs_off_shift,
                off_shift_speedup=speedup, feeds=None if fed is None else topo.names[fed],
                kit=tuple((topo.names[f], k) for f, k in zip(topo.feeders[i], topo.kit[i])), visits=st.visits,
            ))
        if problems:
            raise InputError(problems)
        return tuple(specs)

    @classmethod
    def from_data(cls, data: Any, source: str = "") -> "Line":
        """Validate parsed YAML/JSON data; every problem becomes an :class:`InputError`."""
        if not isinstance(data, Mapping):
            raise InputError.single(source, "", f"a line file must be a mapping with name, calendar and "
                                    f"stations, not {type(data).__name__}", None)
        from pouchline.equipment import resolve_line_equipment

        data = resolve_line_equipment(data, source)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise validation_error_to_input_error(exc, source, data) from None
        except InputError as exc:
            raise exc.with_source(source) from None


@dataclass(frozen=True)
class StationSpec:
    """A station as plain floats in named units: what the simulation runs.

    ``feeds`` is the station it feeds (``None`` at the line's end) and ``kit`` the units taken
    from each feeder per unit made, as ``((feeder, units), ...)`` (empty at a head).
    ``cycle_time_s`` is a batch's whole time on one machine: the station's time per visit x
    ``visits`` (a rolling mill's ceil(passes / stands)).
    """

    name: str
    step: str
    cycle_time_s: float
    batch_size: int
    machines: int
    mtbf_h: float | None
    mttr_h: float | None
    scrap_rate: float
    buffer_capacity: int | None
    setup_time_s: float
    setup_every_units: int | None
    zone: str | None
    zone_slots: int
    hours_per_setup_day: float = 24.0
    transfer_units: int | None = None
    runs_off_shift: bool = False
    off_shift_speedup: float = 1.0  # jobs per scheduled hour gained by running through off-shift time
    feeds: str | None = None
    kit: tuple[tuple[str, int], ...] = ()
    visits: int = 1

    @property
    def availability(self) -> float:
        """Share of operating time a machine is up (see :func:`machine_availability`)."""
        return machine_availability(self.mtbf_h, self.mttr_h)

    @property
    def rate_units_per_h(self) -> float:
        """Units per hour with every machine up and busy: machines x batch / cycle time."""
        return self.machines * self.batch_size * 3600.0 / self.cycle_time_s

    @property
    def setup_factor(self) -> float:
        """Share of a machine's working time not spent on setups."""
        if self.setup_time_s <= 0:
            return 1.0
        if self.setup_every_units is not None:
            run = self.setup_every_units * self.cycle_time_s / self.batch_size
            return run / (run + self.setup_time_s)
        return max(0.0, 1.0 - self.setup_time_s / (self.hours_per_setup_day * 3600.0))

    @property
    def capacity_units_per_h(self) -> float:
        """Long-run input capacity per scheduled hour: rate x availability x setup factor (x the
        off-shift speed-up of an unattended process)."""
        return self.rate_units_per_h * self.availability * self.setup_factor * self.off_shift_speedup


def topology_of(specs: Sequence[StationSpec]) -> Topology:
    """The :class:`Topology` of station specs (from their ``feeds`` and ``kit``)."""
    names = [s.name for s in specs]
    index = {n: i for i, n in enumerate(names)}
    fed = [None if s.feeds is None else index[s.feeds] for s in specs]
    return _make_topology(names, fed, lambda i, j: dict(specs[i].kit).get(names[j], 1))


# --------------------------------------------------------------------------------------------
# lots and jobs
# --------------------------------------------------------------------------------------------
#: Default lot: about this many minutes of the slowest station's output (see default_lot_size).
LOT_MINUTES = 5.0
#: No machine takes a lot's worth of batches lasting longer than this (unless one batch, or the
#: station's transfer quantity, does): see :func:`job_units`.
MAX_JOB_H = 2.0


def _nice_floor(x: float) -> int:
    """The largest of 1, 2, 5 x 10^k not above x (at least 1)."""
    if not x >= 1 or not math.isfinite(x):
        return 1 if not x >= 1 else int(MAX_UNITS_PER_BATCH)
    k = 10 ** int(math.floor(math.log10(x)))
    for m in (5, 2, 1):
        if m * k <= x:
            return m * k
    return k


def default_lot_size(specs: Sequence[StationSpec], minutes: float = LOT_MINUTES) -> int:
    """A lot of about ``minutes`` of the slowest station's output, rounded down to 1-2-5.

    For the 1 GWh line (~3,800 cells/h) that is 200 cells; for a pilot line making a few cells an
    hour, 1. The lot is also kept within the smallest finite input buffer so lots fit the buffers
    as written. Lots this small against the hours-long failures, repairs and buffers of a line
    change throughput by well under 1 % (see benchmarks/bench_line.py).
    """
    slowest = min(s.capacity_units_per_h for s in specs)
    lot = _nice_floor(slowest * minutes / 60.0)
    finite = [s.buffer_capacity for s in specs if s.buffer_capacity and s.kit]
    if finite:
        lot = min(lot, _nice_floor(min(finite)))
    return max(1, min(lot, MAX_UNITS_PER_BATCH))


def job_units(spec: StationSpec, lot_size: int) -> int:
    """Units one machine takes at once: whole batches covering a lot (or the station's transfer
    quantity, e.g. a roll, when that is larger), but no more of a lot's batches than fit in
    :data:`MAX_JOB_H` of the machine's time (at least one batch).

    The lot is a transfer quantity sized for the line (about 5 minutes of its output); a station of
    many machines shares a lot among them instead of giving it all to one. At 10 GWh/yr of the 10 Ah
    cell the lot is 2,000 cells: one of 200 stackers would take it for 10 h (past the dry room's 8 h
    exposure limit: every sheet expired) and one 256-channel formation rack for eight 24-h batches in
    a row while other racks idle. With the cap a stacker takes 400 cells (2 h), a rack one batch of
    256. On the shipped lines no job reaches the cap (the lot is 200 cells; rolls are transfer units).
    """
    batches = max(1, -(-lot_size // spec.batch_size))
    if batches > 1 and batches * spec.cycle_time_s > MAX_JOB_H * 3600.0:
        batches = max(1, int(MAX_JOB_H * 3600.0 // spec.cycle_time_s))
    if spec.transfer_units:
        batches = max(batches, -(-spec.transfer_units // spec.batch_size))
    return spec.batch_size * batches


# --------------------------------------------------------------------------------------------
# errors and loading
# --------------------------------------------------------------------------------------------
_MODEL_AT_ROOT = {"calendar": Calendar, "zones": Zone, "stations": Station, "carriers": CarrierPool,
                  "release": Release}


def _path_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    if len(loc) <= 1:
        return list(Line.model_fields)
    model = _MODEL_AT_ROOT.get(loc[0])
    if model is Calendar:
        return list(Calendar.model_fields)
    return list(model.model_fields) if model is not None else []


def validation_error_to_input_error(exc: ValidationError, source: str, data: Any = None) -> InputError:
    """Turn a pydantic ``ValidationError`` into an :class:`InputError` naming each field path."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        path = _path_text(loc)
        kind = err.get("type", "")
        value = err.get("input")
        msg = str(err.get("msg", "invalid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if kind == "missing":
            msg = "is required"
        elif kind == "extra_forbidden":
            allowed = _allowed_fields(loc)
            msg = f"is not a known field{'; allowed: ' + ', '.join(allowed) if allowed else ''}"
            value = None
        elif kind == "literal_error":
            msg = f"{value!r} is not allowed; {msg[0].lower() + msg[1:]}"
        elif kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
            msg = f"{value!r} is not allowed: {msg[0].lower() + msg[1:]}"
        problems.append(Problem(path, msg, value, source))
    return InputError(problems)


def parse_line_text(text: str | bytes, source: str = "upload") -> Line:
    """Validate a line given as YAML text or bytes (e.g. an upload in the app).

    Reading goes through :func:`pouchline.fileio.read_yaml_text` like every other pouchline file
    (size limit, binary and encoding checks, a cap on YAML aliases).
    """
    from pouchline.fileio import read_yaml_text

    data = read_yaml_text(text, source, what="line file")
    return Line.from_data(data, source)


def load_line(path: str | os.PathLike[str]) -> Line:
    """Read and validate a line file. Every problem is an :class:`InputError` naming the file."""
    from pouchline.fileio import read_yaml

    data = read_yaml(path, what="line file")
    return Line.from_data(data, str(path))


def atmosphere_deviations(line: "Line", recipe: Any) -> list[str]:
    """Stations whose zone is not the kind of atmosphere the recipe's step names.

    A recipe step in an ``argon_glovebox`` run by a station in a ``dry_room`` zone (or the other
    way round, or in no zone at all) is a deviation from the recipe: the line may be right for
    a factory, but the recipe's travelers still print the recipe's atmosphere. Returns one
    readable line per station; empty when the line follows the recipe.
    """
    want = {"argon_glovebox": "glovebox", "dry_room": "dry_room"}
    out: list[str] = []
    zones = getattr(line, "zones", None) or {}
    for st in line.stations:
        try:
            step = recipe.step(st.step)
            atm = recipe.atmosphere(step.atmosphere)
        except KeyError:
            continue
        need = want.get(atm.kind)
        if need is None:
            continue
        zone = zones.get(st.zone) if st.zone else None
        have = getattr(zone, "kind", None)
        if have != need:
            where = f"zone {st.zone!r} ({have})" if zone is not None else "no protective zone"
            out.append(f"station {st.name} runs recipe step {st.step} in {where}; the recipe names "
                       f"{atm.describe()}: a deviation that needs a recipe revision before production")
    return out

