"""What a user writes about a production line, validated: stations, zones and the shift calendar.

A line file (``recipes/lines/*.yaml``) lists the stations in route order. Each station performs
one recipe step and moves *units*: one unit is one cell's worth of that step's output (the alloy
for one cell, the SE film for one cell, one stacked cell, ...). Quantities may be written with
units (``cycle_time_s: "0.75 min"``, ``rate_m_min: "12 m/min"``); pint reads them once, here, into
floats in the unit of the field's name (:func:`pouchline.units.to_canonical`).

Example::

    name: pilot
    calendar: {hours_per_day: 8, days_per_week: 5, planned_maintenance_h_per_week: 4}
    zones:
      glovebox: {kind: glovebox, atmosphere: "Ar, O2/H2O < 0.1 ppm", capacity: 2}
    stations:
      - {name: ball_mill, step: se_film_mixing, cycle_time_s: 30 min, batch_size: 50,
         scrap_rate: 0.0, buffer_capacity: 200, zone: glovebox, zone_slots: 0}

The route is modelled as a serial line in route order, see :mod:`pouchline.line.simulation` for why
that is the usual first-order model of the converging anode / SE film / cathode branches.

:func:`load_line` is the only function of :mod:`pouchline.line` that reads a file.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pouchline.errors import InputError, Problem

#: The step ids of the default recipe (``recipes/insnbi-lco-pouch.yaml``), in route order. Used by
#: the CLI to catch misspelt steps when the recipe itself cannot be loaded.
DEFAULT_STEP_IDS: tuple[str, ...] = (
    "alloy_prep", "melt_cast", "quench", "anode_rolling", "anode_punching",
    "se_film_mixing", "se_film_rolling", "se_film_cutting",
    "cathode_mixing", "cathode_hot_rolling", "cathode_punching",
    "prelithiation", "stacking", "sealing", "clamping", "formation",
)

HOURS_PER_WEEK = 168.0


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


def _count(v: Any, what: str, minimum: int) -> int:
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is a yes/no value; {what} is a whole number >= {minimum}")
    if isinstance(v, str):
        try:
            v = float(_number(v, "count"))
        except ValueError:
            raise ValueError(f"{v!r} is not a number; {what} is a whole number >= {minimum}") from None
    if isinstance(v, float):
        if not math.isfinite(v) or v != int(v):
            raise ValueError(f"{v!r} is not a whole number; {what} is a whole number >= {minimum}")
        v = int(v)
    if not isinstance(v, int):
        raise ValueError(f"{v!r} is not a number; {what} is a whole number >= {minimum}")
    if v < minimum:
        raise ValueError(f"{v} is not allowed: {what} must be a whole number >= {minimum}")
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
    """

    kind: Literal["glovebox", "dry_room", "enclosure"] = "glovebox"
    atmosphere: str | None = None
    capacity: int | None = None
    area_m2: float | None = None
    source: str | None = None

    @field_validator("capacity", mode="before")
    @classmethod
    def _cap(cls, v: Any) -> int | None:
        return None if v is None else _count(v, "zone capacity (concurrent operations)", 1)

    @field_validator("area_m2", mode="before")
    @classmethod
    def _area(cls, v: Any) -> float | None:
        return None if v is None else _check(_number(v, "m2"), what="zone area", unit="m2", gt=0)


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
    """

    name: str = Field(min_length=1)
    step: str = Field(min_length=1)
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
    footprint_m2: float | None = None
    equipment: str | None = None  # an id of recipes/equipment.yaml; its figures fill fields not given here
    source: str | None = None
    notes: str | None = None

    # quantities: field -> (unit key parsed by pint, unit shown, what it is, bounds)
    _QUANTITIES: ClassVar[dict[str, tuple[str, str, str, dict[str, float]]]] = {
        "cycle_time_s": ("s", "s", "a cycle time", {"gt": 0}),
        "rate_m_min": ("m_min", "m/min", "a web speed", {"gt": 0}),
        "web_width_mm": ("mm", "mm", "a web width", {"gt": 0}),
        "rate_m2_h": ("m2_h", "m2/h", "an area rate", {"gt": 0}),
        "area_factor": ("ratio", "", "web area per unit over the cell's electrode area", {"gt": 0}),
        "mtbf_h": ("h", "h", "mean time between failures", {"gt": 0}),
        "mttr_h": ("h", "h", "mean time to repair", {"gt": 0}),
        "scrap_rate": ("frac", "", "the fraction of units lost at the step", {"ge": 0, "lt": 1}),
        "setup_time_s": ("s", "s", "a setup time", {"ge": 0}),
        "footprint_m2": ("m2", "m2", "footprint per machine", {"ge": 0}),
    }
    # whole numbers: field -> (what it is, minimum)
    _COUNTS: ClassVar[dict[str, tuple[str, int]]] = {
        "batch_size": ("batch size (units per batch)", 1),
        "machines": ("the number of parallel machines", 1),
        "buffer_capacity": ("buffer capacity (units)", 0),
        "transfer_units": ("units moved at once (a roll, a rack)", 1),
        "setup_every_units": ("units between setups", 1),
        "zone_slots": ("zone slots held per machine", 0),
    }

    @field_validator(*_QUANTITIES, mode="before")
    @classmethod
    def _quantity(cls, v: Any, info: Any) -> float | None:
        unit_key, unit, what, bounds = cls._QUANTITIES[info.field_name]
        return None if v is None else _check(_number(v, unit_key), what=what, unit=unit, **bounds)

    @field_validator(*_COUNTS, mode="before")
    @classmethod
    def _whole(cls, v: Any, info: Any) -> int | None:
        what, minimum = cls._COUNTS[info.field_name]
        return None if v is None else _count(v, what, minimum)

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


# --------------------------------------------------------------------------------------------
# the line
# --------------------------------------------------------------------------------------------
class Line(_Model):
    """A production line: stations in route order, zones and the shift calendar.

    ``cell_energy_Wh`` and ``area_per_cell_cm2`` describe the product (the cell-format module can
    supply them instead); ``lot_size`` is the simulation's transfer quantity (units moved between
    stations at once; chosen from the line when omitted, see
    :func:`pouchline.line.simulation.default_lot_size`).
    """

    name: str = Field(min_length=1)
    description: str | None = None
    source: str | None = None
    cell_energy_Wh: float | None = None
    area_per_cell_cm2: float | None = None
    lot_size: int | None = None
    calendar: Calendar = Field(default_factory=Calendar)
    zones: dict[str, Zone] = Field(default_factory=dict)
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
        return None if v is None else _count(v, "lot size (units moved together)", 1)

    @field_validator("stations", mode="before")
    @classmethod
    def _nonempty(cls, v: Any) -> Any:
        if v is None or (isinstance(v, list) and len(v) == 0):
            raise ValueError("the line has no stations: list at least one station in route order")
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
        for zid, zone in self.zones.items():
            if zone.area_m2 is None:
                continue
            used = sum(st.machines * (st.footprint_m2 or 0.0) for st in self.stations if st.zone == zid)
            if used > zone.area_m2:
                problems.append(Problem(f"zones.{zid}.area_m2", f"{zone.area_m2:g} m2 is less than the "
                                        f"{used:g} m2 its stations' machines occupy (machines x footprint_m2)",
                                        zone.area_m2))
        if problems:
            raise InputError(problems)
        return self

    # ----------------------------------------------------------------------------------------
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
        specs = []
        for i, st in enumerate(self.stations):
            if st.cycle_time_s is not None:
                cycle = st.cycle_time_s
            elif area is None:
                problems.append(Problem(
                    f"stations[{i}]", f"{st.name!r} is given a web rate, which needs the electrode area per "
                    "cell: set area_per_cell_cm2 in the line file or pass it from the cell format", None))
                continue
            else:
                m2_h = st.rate_m2_h if st.rate_m2_h is not None else st.rate_m_min * 60.0 * st.web_width_mm / 1000.0
                units_per_h = m2_h * 1e4 / (area * st.area_factor)
                cycle = st.batch_size * 3600.0 / units_per_h
            speedup = clock.off_shift_speedup(cycle) if st.runs_off_shift else 1.0
            specs.append(StationSpec(
                name=st.name, step=st.step, cycle_time_s=cycle, batch_size=st.batch_size, machines=st.machines,
                mtbf_h=st.mtbf_h, mttr_h=st.mttr_h, scrap_rate=st.scrap_rate, buffer_capacity=st.buffer_capacity,
                transfer_units=st.transfer_units,
                setup_time_s=st.setup_time_s, setup_every_units=st.setup_every_units, zone=st.zone,
                zone_slots=st.zone_slots if st.zone is not None else 0,
                hours_per_setup_day=self.calendar.hours_per_day, runs_off_shift=st.runs_off_shift,
                off_shift_speedup=speedup,
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
    """A station as plain floats in named units: what the simulation runs."""

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


# --------------------------------------------------------------------------------------------
# errors and loading
# --------------------------------------------------------------------------------------------
_MODEL_AT_ROOT = {"calendar": Calendar, "zones": Zone, "stations": Station}


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

