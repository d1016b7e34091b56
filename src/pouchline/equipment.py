"""The equipment catalogue: every machine pouchline can put on a line, stated once.

``recipes/equipment.yaml`` lists, for each recipe step kind, machine classes (``lab``, ``pilot``,
``production``) with their rate and its basis, passes per visit (rolling mills with several stands),
capex (low / base / high), power, footprint, operators per machine and shift (the automation
level), MTBF / MTTR, and the yields of the step kind on a pilot and on a mature line. The
sizing (:mod:`pouchline.plant.sizing`), the cost model (:mod:`pouchline.cost.model`) and line files
(a station's ``equipment:``) read the same entries.

**Rate bases** (``rate.basis``); the *basis unit* of each is what ``capacity_ref_per_h`` counts:

==========  =========================================================  ============================
basis       given as                                                   basis unit
==========  =========================================================  ============================
batch       ``batch_size`` of ``batch_unit`` per ``cycle_time_s``        kg, m2 or cells
web         ``speed_m_min`` x ``width_mm``                             m2 (of web)
area        ``rate_m2_h``                                              m2
sheets      ``sheets_per_min`` (``sheets_per_layer`` sheets a layer)   sheets
channels    ``channels``; a cell holds one for the recipe's formation  channel-hours
            time plus ``extra_h_per_cell``
==========  =========================================================  ============================

**Passes.** A mill with ``stands`` stands does that many passes in one visit; a recipe step of
``p`` passes takes ``ceil(p / stands)`` visits, each at the machine's rate.

**Scaling with machine capacity** (the manner of Argonne's BatPaC, applied per machine): a machine
of capacity ``c`` where the entry states capex, footprint and operators at its reference capacity
``c_ref`` costs ``capex x (c / c_ref) ** scaling.capex``; likewise footprint (``scaling.floor``)
and operators (``scaling.labour``). The exponents are stated once, at the top of the file.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pouchline.errors import InputError, Problem
from pouchline.recipe.params import check_source

#: The shipped catalogue.
DEFAULT_EQUIPMENT_PATH = Path(__file__).resolve().parents[2] / "recipes" / "equipment.yaml"

MachineClass = Literal["lab", "pilot", "production"]
MACHINE_CLASSES: tuple[str, ...] = ("lab", "pilot", "production")
BASIS_UNIT: dict[str, str] = {"kg": "kg", "m2": "m2", "cells": "cells", "web": "m2", "area": "m2",
                              "sheets": "sheets", "channels": "channel-h"}


def _finite(v: Any, what: str, *, gt: float | None = None, ge: float | None = None, le: float | None = None,
            unit_key: str | None = None) -> float:
    """A finite number in range (strings are parsed by pint into ``unit_key``'s unit)."""
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is a yes/no value; {what} is a number")
    if isinstance(v, str):
        if unit_key is None:
            raise ValueError(f"{v!r} is not a number; {what} is a number")
        from pouchline.units import to_canonical

        v = to_canonical(v, unit_key)
    if not isinstance(v, (int, float)):
        raise ValueError(f"{v!r} is not a number; {what} is a number")
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{v!r} is not allowed: {what} must be a finite number")
    if gt is not None and not v > gt:
        raise ValueError(f"{v:g} is not allowed: {what} must be > {gt:g}")
    if ge is not None and not v >= ge:
        raise ValueError(f"{v:g} is not allowed: {what} must be >= {ge:g}")
    if le is not None and not v <= le:
        raise ValueError(f"{v:g} is not allowed: {what} must be <= {le:g}")
    return v


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _figure_sources(sources: dict[str, str], allowed: set[str], what: str) -> dict[str, str]:
    """A ``sources:`` mapping (figure name -> its own tagged source) that names only figures of ``what``."""
    for k, src in sources.items():
        if k not in allowed:
            raise ValueError(f"sources: {k!r} is not a figure of {what}; figures: {', '.join(sorted(allowed))}")
        check_source(src)
    return sources


class Rate(_Model):
    """How fast one machine works, on one of the bases of the module docstring."""

    basis: Literal["batch", "web", "area", "sheets", "channels"]
    batch_size: float | None = None
    batch_unit: Literal["kg", "m2", "cells"] | None = None
    cycle_time_s: float | None = None
    speed_m_min: float | None = None
    width_mm: float | None = None
    rate_m2_h: float | None = None
    sheets_per_min: float | None = None
    sheets_per_layer: float = 1.0
    channels: int | None = None
    extra_h_per_cell: float = 0.0

    _UNITS: ClassVar[dict[str, str]] = {"cycle_time_s": "s", "speed_m_min": "m_min", "width_mm": "mm", "rate_m2_h": "m2_h",
              "extra_h_per_cell": "h"}

    @field_validator("batch_size", "cycle_time_s", "speed_m_min", "width_mm", "rate_m2_h", "sheets_per_min",
                     "sheets_per_layer", mode="before")
    @classmethod
    def _pos(cls, v: Any, info: Any) -> float | None:
        return None if v is None else _finite(v, info.field_name, gt=0, unit_key=cls._UNITS.get(info.field_name))

    @field_validator("extra_h_per_cell", mode="before")
    @classmethod
    def _extra(cls, v: Any) -> float:
        return _finite(v, "extra_h_per_cell", ge=0, unit_key="h")

    @field_validator("channels", mode="before")
    @classmethod
    def _channels(cls, v: Any) -> int | None:
        if v is None:
            return None
        x = _finite(v, "channels", ge=1)
        if x != int(x):
            raise ValueError(f"{v!r} is not a whole number of channels")
        return int(x)

    @model_validator(mode="after")
    def _complete(self) -> "Rate":
        need = {"batch": ("batch_size", "batch_unit", "cycle_time_s"), "web": ("speed_m_min", "width_mm"),
                "area": ("rate_m2_h",), "sheets": ("sheets_per_min",), "channels": ("channels",)}[self.basis]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.basis!r} rate needs {', '.join(need)}; missing {', '.join(missing)}")
        return self

    @property
    def unit(self) -> str:
        """The basis unit (kg, m2, cells, sheets, channel-h)."""
        return self.batch_unit if self.basis == "batch" else BASIS_UNIT[self.basis]

    @property
    def per_h(self) -> float:
        """Basis units per machine-hour in one visit (channels: channel-hours per hour = channels)."""
        if self.basis == "batch":
            return self.batch_size * 3600.0 / self.cycle_time_s
        if self.basis == "web":
            return self.speed_m_min * 60.0 * self.width_mm / 1000.0
        if self.basis == "area":
            return self.rate_m2_h
        if self.basis == "sheets":
            return self.sheets_per_min * 60.0
        return float(self.channels)

    def describe(self) -> str:
        if self.basis == "batch":
            return f"{self.batch_size:g} {self.batch_unit} per {self.cycle_time_s / 60:g} min"
        if self.basis == "web":
            return f"{self.speed_m_min:g} m/min x {self.width_mm:g} mm"
        if self.basis == "area":
            return f"{self.rate_m2_h:g} m2/h"
        if self.basis == "sheets":
            return f"{self.sheets_per_min:g} sheets/min"
        return f"{self.channels} channels (+{self.extra_h_per_cell:g} h per cell)"


class CapexRange(_Model):
    """Installed capex of one machine at its reference capacity, USD."""

    low: float
    base: float
    high: float

    @field_validator("low", "base", "high", mode="before")
    @classmethod
    def _usd(cls, v: Any, info: Any) -> float:
        return _finite(v, f"capex ({info.field_name})", ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> "CapexRange":
        if not self.low <= self.base <= self.high:
            raise ValueError(f"values must satisfy low <= base <= high, got {self.low:g} / {self.base:g} / "
                             f"{self.high:g} USD")
        return self

    def value(self, scenario: str = "base") -> float:
        return getattr(self, scenario)


class Machine(_Model):
    """One catalogue entry: a class of machine for one step kind, per machine."""

    kind: str = Field(min_length=1, description="the recipe step kind it performs")
    machine_class: MachineClass = Field(alias="class")
    name: str = Field(min_length=1)
    rate: Rate
    stands: int = Field(default=1, description="passes per visit (stands of a mill)")
    area_factor: float = Field(default=1.0, description="web area per unit of electrode area (overhang, trim)")
    capex_usd: CapexRange
    capex_exponent: float | None = Field(default=None, description="overrides scaling.capex for this machine")
    power_kW: float
    footprint_m2: float
    operators_per_shift: float = Field(description="operators per machine and shift (automation level)")
    mtbf_h: float | None = None
    mttr_h: float | None = None
    runs_off_shift: bool = False
    enclosure: Literal["glovebox", "dry_room"] = Field(
        default="glovebox", description="where it runs a step the recipe puts in a protective atmosphere")
    source: str = Field(description="source of the figures that have no entry in sources")
    sources: dict[str, str] = Field(default_factory=dict, description="figure name -> its own source")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("power_kW", "footprint_m2", "operators_per_shift", mode="before")
    @classmethod
    def _nonneg(cls, v: Any, info: Any) -> float:
        unit = {"power_kW": "kW", "footprint_m2": "m2"}.get(info.field_name)
        return _finite(v, info.field_name, ge=0, unit_key=unit)

    @field_validator("area_factor", mode="before")
    @classmethod
    def _af(cls, v: Any) -> float:
        return _finite(v, "area_factor", ge=1)

    @field_validator("capex_exponent", mode="before")
    @classmethod
    def _exp(cls, v: Any) -> float | None:
        return None if v is None else _finite(v, "capex_exponent", gt=0, le=1.5)

    @field_validator("mtbf_h", "mttr_h", mode="before")
    @classmethod
    def _time(cls, v: Any, info: Any) -> float | None:
        return None if v is None else _finite(v, info.field_name, gt=0, unit_key="h")

    @field_validator("stands", mode="before")
    @classmethod
    def _stands(cls, v: Any) -> int:
        x = _finite(v, "stands (passes per visit)", ge=1)
        if x != int(x):
            raise ValueError(f"{v!r} is not a whole number of stands")
        return int(x)

    @field_validator("source")
    @classmethod
    def _src(cls, v: str) -> str:
        return check_source(v)

    @field_validator("sources")
    @classmethod
    def _srcs(cls, v: dict[str, str]) -> dict[str, str]:
        return _figure_sources(v, set(cls.model_fields) - {"source", "sources", "kind", "machine_class", "name"},
                               "a machine")

    @model_validator(mode="after")
    def _pair(self) -> "Machine":
        if (self.mtbf_h is None) != (self.mttr_h is None):
            raise ValueError("give both mtbf_h and mttr_h, or neither (a machine that never fails)")
        return self

    @property
    def availability(self) -> float:
        """MTBF / (MTBF + MTTR); 1 for a machine that never fails."""
        if self.mtbf_h is None or self.mttr_h is None:
            return 1.0
        return self.mtbf_h / (self.mtbf_h + self.mttr_h)

    @property
    def capacity_ref_per_h(self) -> float:
        """Reference capacity in basis units x passes per machine-hour: rate x stands."""
        return self.rate.per_h * self.stands

    @property
    def is_mill(self) -> bool:
        """Whether the entry states its ``stands``: a rolling mill, whose time per unit depends on
        the recipe's passes."""
        return "stands" in self.model_fields_set

    def visits(self, passes: int) -> int:
        """Visits a unit makes to do ``passes`` passes: ceil(passes / stands)."""
        return max(1, -(-max(1, int(passes)) // self.stands))

    def source_of(self, figure: str) -> str:
        return self.sources.get(figure, self.source)


class Scaling(_Model):
    """Exponents of capex, floor area and operators with a machine's capacity."""

    capex: float
    floor: float
    labour: float
    source: str

    @field_validator("capex", "floor", "labour", mode="before")
    @classmethod
    def _exp(cls, v: Any, info: Any) -> float:
        return _finite(v, f"scaling exponent {info.field_name}", ge=0, le=1.5)

    @field_validator("source")
    @classmethod
    def _src(cls, v: str) -> str:
        return check_source(v)


class KindData(_Model):
    """What belongs to a step kind, not to one machine: its yield on a pilot and a mature line."""

    yield_pilot: float
    yield_mature: float
    source: str

    @field_validator("yield_pilot", "yield_mature", mode="before")
    @classmethod
    def _y(cls, v: Any, info: Any) -> float:
        return _finite(v, info.field_name, gt=0, le=1)

    @field_validator("source")
    @classmethod
    def _src(cls, v: str) -> str:
        return check_source(v)

    def yield_at(self, maturity: str) -> float:
        return self.yield_mature if maturity == "mature" else self.yield_pilot


def _tau(v: Any, what: str) -> float:
    return _finite(v, what, ge=0, le=600)


def _mtbf_frac(v: Any) -> float:
    return _finite(v, "mtbf_start_frac (MTBF at start of production over the mature MTBF)", gt=0, le=1)


class RampUp(_Model):
    """How a line learns, from start of production (SOP) to its mature figures.

    ``form: exponential`` (the only form so far): a figure x of a station at t months after SOP is
    ``x(t) = mature - (mature - start) * exp(-t / tau)``, for its yield (``yield_tau_months``;
    start: the catalogue's ``yield_pilot`` of the step kind, mature: ``yield_mature``) and for its
    availability MTBF / (MTBF + MTTR) (``availability_tau_months``; at SOP the MTBF is
    ``mtbf_start_frac`` x the mature MTBF at the same MTTR). A time constant of 0 starts mature.
    Used by :func:`pouchline.plant.rampup.ramp_up`; a line file overrides it under ``rampup:``.
    """

    form: Literal["exponential"] = "exponential"
    yield_tau_months: float
    availability_tau_months: float
    mtbf_start_frac: float
    source: str
    sources: dict[str, str] = Field(default_factory=dict, description="figure name -> its own source")

    @field_validator("yield_tau_months", "availability_tau_months", mode="before")
    @classmethod
    def _taus(cls, v: Any, info: Any) -> float:
        return _tau(v, info.field_name)

    @field_validator("mtbf_start_frac", mode="before")
    @classmethod
    def _frac(cls, v: Any) -> float:
        return _mtbf_frac(v)

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @field_validator("sources")
    @classmethod
    def _srcs(cls, v: dict[str, str]) -> dict[str, str]:
        return _figure_sources(v, {"yield_tau_months", "availability_tau_months", "mtbf_start_frac"}, "the ramp-up")

    def source_of(self, figure: str) -> str:
        return self.sources.get(figure, self.source)


class StationRampUp(_Model):
    """A line file's ramp-up figures for one station (``rampup.stations.<station name>``)."""

    yield_start: float | None = Field(default=None, description="the station's yield at SOP (mature: 1 - scrap_rate)")
    mtbf_start_frac: float | None = None
    yield_tau_months: float | None = None
    availability_tau_months: float | None = None

    @field_validator("yield_start", mode="before")
    @classmethod
    def _y(cls, v: Any) -> float | None:
        return None if v is None else _finite(v, "yield_start (a yield)", gt=0, le=1, unit_key="frac")

    @field_validator("mtbf_start_frac", mode="before")
    @classmethod
    def _frac(cls, v: Any) -> float | None:
        return None if v is None else _mtbf_frac(v)

    @field_validator("yield_tau_months", "availability_tau_months", mode="before")
    @classmethod
    def _taus(cls, v: Any, info: Any) -> float | None:
        return None if v is None else _tau(v, info.field_name)


class RampUpOverride(_Model):
    """A line file's ``rampup:`` section: what differs from the catalogue's ramp-up, for the whole
    line and per station (by station name)::

        rampup:
          yield_tau_months: 6
          stations:
            stacker: {yield_start: 0.9, mtbf_start_frac: 0.5}
          source: "user: the stacker vendor's commissioning plan"
    """

    yield_tau_months: float | None = None
    availability_tau_months: float | None = None
    mtbf_start_frac: float | None = None
    stations: dict[str, StationRampUp] = Field(default_factory=dict)
    source: str | None = None

    @field_validator("yield_tau_months", "availability_tau_months", mode="before")
    @classmethod
    def _taus(cls, v: Any, info: Any) -> float | None:
        return None if v is None else _tau(v, info.field_name)

    @field_validator("mtbf_start_frac", mode="before")
    @classmethod
    def _frac(cls, v: Any) -> float | None:
        return None if v is None else _mtbf_frac(v)

    @field_validator("source")
    @classmethod
    def _src(cls, v: str | None) -> str | None:
        return None if v is None else check_source(v)

    def applied_to(self, base: RampUp) -> RampUp:
        """The catalogue's ramp-up with this section's line-wide figures in place of its own."""
        given = {k: getattr(self, k) for k in ("yield_tau_months", "availability_tau_months", "mtbf_start_frac")
                 if getattr(self, k) is not None}
        if not given:
            return base
        src = self.source or "user: the line file's rampup section"
        return base.model_copy(update={**given, "sources": {**base.sources, **{k: src for k in given}}})


class Enclosure(_Model):
    """A protective atmosphere a line's zone can name (``zones.<id>.equipment``): its kind, the
    atmosphere it keeps and, for a dry room, how long a sulfide part may stay in it.

    The fields are those of :class:`pouchline.line.Zone` that do not depend on the line (its
    stations, area and capacity do); a zone naming the entry takes the ones it does not give.
    """

    kind: Literal["glovebox", "dry_room"]
    atmosphere: str
    exposure_limit_h: float | None = None
    exposure_clock: Literal["calendar", "scheduled"] | None = None
    exposure_source: str | None = None
    source: str

    @field_validator("exposure_limit_h", mode="before")
    @classmethod
    def _limit(cls, v: Any) -> float | None:
        return None if v is None else _finite(v, "exposure_limit_h", gt=0, le=8760, unit_key="h")

    @field_validator("source", "exposure_source")
    @classmethod
    def _src(cls, v: str | None) -> str | None:
        return None if v is None else check_source(v)

    @model_validator(mode="after")
    def _limit_has_source(self) -> "Enclosure":
        if self.exposure_limit_h is not None and not self.exposure_source:
            raise ValueError("exposure_limit_h needs exposure_source: where the limit comes from")
        return self

    def zone_fields(self) -> dict[str, Any]:
        """The zone fields this entry states (what a zone naming it is filled with)."""
        out: dict[str, Any] = {"kind": self.kind, "atmosphere": self.atmosphere, "source": self.source}
        if self.exposure_limit_h is not None:
            out.update(exposure_limit_h=self.exposure_limit_h, exposure_source=self.exposure_source)
            if self.exposure_clock is not None:
                out["exposure_clock"] = self.exposure_clock
        return out


class Catalogue(_Model):
    """The whole catalogue (``recipes/equipment.yaml``)."""

    id: str = "equipment"
    revision: str = "A"
    currency_year: int = Field(default=2024, ge=1990, le=2100)
    scaling: Scaling
    kinds: dict[str, KindData]
    machines: dict[str, Machine]
    enclosures: dict[str, Enclosure] = Field(default_factory=dict)
    rampup: RampUp | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Catalogue":
        problems = []
        for mid, m in self.machines.items():
            if m.kind not in self.kinds:
                problems.append(f"machines.{mid}.kind: {m.kind!r} has no entry under kinds: "
                                f"({', '.join(sorted(self.kinds))})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def entry(self, machine_id: str, *, source: str = "", field: str = "equipment") -> Machine:
        """The entry ``machine_id``, or an :class:`InputError` listing the ids there are."""
        if machine_id not in self.machines:
            raise InputError.single(source, field, f"{machine_id!r} is not in the equipment catalogue; ids: "
                                    f"{', '.join(sorted(self.machines))}", machine_id)
        return self.machines[machine_id]

    def for_kind(self, kind: str) -> dict[str, Machine]:
        """Entries performing step ``kind`` by id, in class order lab, pilot, production."""
        found = {k: m for k, m in self.machines.items() if m.kind == kind}
        return dict(sorted(found.items(), key=lambda kv: MACHINE_CLASSES.index(kv[1].machine_class)))

    def of_class(self, kind: str, machine_class: str) -> tuple[str, Machine] | None:
        for mid, m in self.for_kind(kind).items():
            if m.machine_class == machine_class:
                return mid, m
        return None

    def exponent(self, machine: Machine, what: str = "capex") -> float:
        if what == "capex" and machine.capex_exponent is not None:
            return machine.capex_exponent
        return getattr(self.scaling, what)

    def step_yield(self, kind: str, maturity: str) -> tuple[float, str] | None:
        k = self.kinds.get(kind)
        return None if k is None else (k.yield_at(maturity), f"{k.source} ({maturity})")


def load_catalogue(path: str | os.PathLike = DEFAULT_EQUIPMENT_PATH) -> Catalogue:
    """Read and validate an equipment catalogue; every problem is an :class:`InputError` naming the file."""
    from pouchline.fileio import read_yaml, validate_model

    data = read_yaml(path, what="equipment catalogue")
    return validate_model(Catalogue, data, str(path))


@lru_cache(maxsize=1)
def _default_catalogue(mtime_ns: int) -> Catalogue:
    return load_catalogue(DEFAULT_EQUIPMENT_PATH)


def default_catalogue() -> Catalogue:
    """The shipped catalogue (read once per process while the file is unchanged)."""
    return _default_catalogue(DEFAULT_EQUIPMENT_PATH.stat().st_mtime_ns)


# ------------------------------------------------------------------------------------------------
# line files: a station that names a catalogue entry
# ------------------------------------------------------------------------------------------------
def station_fields_from(machine: Machine) -> dict[str, Any]:
    """The line-station fields an entry states without knowing the cell.

    Web machines give their speed, width and trim; machines with a fixed cycle per cell give
    ``cycle_time_s`` and ``batch_size``; every machine gives MTBF/MTTR, footprint and
    ``runs_off_shift``, and a mill its ``stands`` (the station gives the recipe's ``passes``). A
    rate per kg, m2 of batch, sheet or channel-hour depends on the cell: the station (or
    ``pouchline size``, which writes it) must state it.
    """
    out: dict[str, Any] = {"footprint_m2": machine.footprint_m2}
    if machine.mtbf_h is not None:
        out.update(mtbf_h=machine.mtbf_h, mttr_h=machine.mttr_h)
    if machine.runs_off_shift:
        out["runs_off_shift"] = True
    if machine.stands != 1:
        out["stands"] = machine.stands
    r = machine.rate
    if r.basis == "web":
        out.update(rate_m_min=r.speed_m_min, web_width_mm=r.width_mm)
        if machine.area_factor != 1.0:
            out["area_factor"] = machine.area_factor
    elif r.basis == "area":
        out["rate_m2_h"] = r.rate_m2_h
        if machine.area_factor != 1.0:
            out["area_factor"] = machine.area_factor
    elif r.basis == "batch" and r.batch_unit == "cells" and r.batch_size == int(r.batch_size):
        out.update(cycle_time_s=r.cycle_time_s, batch_size=int(r.batch_size))
    return out


_SPEED_FIELDS = ("cycle_time_s", "rate_m_min", "rate_m2_h")


def line_rampup(data: Any, source: str = "") -> RampUpOverride | None:
    """The validated ``rampup:`` section of parsed line-file data (``None`` without one).

    Every problem is an :class:`InputError` naming ``rampup.<field>``. :func:`resolve_line_equipment`
    checks the section and drops it, so :class:`pouchline.line.Line` (which does not model it)
    accepts a line file that carries one; :func:`pouchline.plant.rampup.ramp_up` uses it.
    """
    if not isinstance(data, Mapping) or data.get("rampup") is None:
        return None
    from pouchline.fileio import validate_model

    try:
        return validate_model(RampUpOverride, data["rampup"], source)
    except InputError as exc:
        raise InputError([Problem(f"rampup.{p.field}" if p.field else "rampup", p.message, p.value, p.source or source)
                          for p in exc.problems]) from None


def _given(st: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a station or zone gives (a field set to null counts as not given)."""
    return {k: v for k, v in st.items() if v is not None}


def resolve_line_equipment(data: Any, source: str = "", catalogue: Catalogue | None = None) -> Any:
    """Line data with each station's ``equipment:`` entry (and each zone's enclosure) filled in:
    fields the station does not give are taken from the entry; fields it gives win. Returns
    ``data`` unchanged when nothing names an entry. A speed the entry cannot state for an unknown
    cell must be in the station; a mill (an entry with ``stands``) needs the station's ``passes``.

    With the line's ``maturity`` (``pilot`` or ``mature``), a station naming an entry and giving no
    ``scrap_rate`` takes ``1 - `` the catalogue's yield of the entry's step kind at that maturity.
    """
    if isinstance(data, Mapping) and "rampup" in data:  # checked here; the simulation does not use it
        line_rampup(data, source)
        data = {k: v for k, v in data.items() if k != "rampup"}
    if not isinstance(data, Mapping) or not isinstance(data.get("stations"), list):
        return data
    zones = data.get("zones") if isinstance(data.get("zones"), Mapping) else {}
    named_zone = any(isinstance(z, Mapping) and z.get("equipment") is not None for z in zones.values())
    if not named_zone and not any(isinstance(s, Mapping) and s.get("equipment") is not None for s in data["stations"]):
        return data
    cat = catalogue or default_catalogue()
    maturity = data.get("maturity") if data.get("maturity") in ("pilot", "mature") else None
    problems: list[Problem] = []
    stations = []
    for i, st in enumerate(data["stations"]):
        if not isinstance(st, Mapping) or st.get("equipment") is None:
            stations.append(st)
            continue
        mid = st["equipment"]
        if not isinstance(mid, str) or mid not in cat.machines:
            problems.append(Problem(f"stations[{i}].equipment", f"{mid!r} is not in the equipment catalogue; ids: "
                                    f"{', '.join(sorted(cat.machines))}", mid, source))
            stations.append(st)
            continue
        m = cat.machines[mid]
        own = _given(st)
        filled = station_fields_from(m)
        if any(k in own for k in _SPEED_FIELDS):  # the station states its own speed: keep all of it
            filled = {k: v for k, v in filled.items() if k not in _SPEED_FIELDS + ("web_width_mm", "batch_size",
                                                                                  "area_factor")}
        elif not any(k in filled for k in _SPEED_FIELDS):
            problems.append(Problem(
                f"stations[{i}]", f"names {mid!r} ({m.name}), whose rate ({m.rate.describe()}"
                + (f", {m.stands} passes per visit" if m.stands > 1 else "")
                + ") depends on the cell: give cycle_time_s and batch_size (units per batch) for this cell, or let "
                "`pouchline size` write the line", None, source))
        if m.is_mill and "passes" not in own:
            problems.append(Problem(
                f"stations[{i}].passes", f"is required: {mid!r} is a mill of {m.stands} stand(s); give the rolling "
                "passes of the recipe step (a unit takes ceil(passes / stands) visits of machine time)", None, source))
        if maturity is not None and "scrap_rate" not in own and m.kind in cat.kinds:
            filled["scrap_rate"] = round(1.0 - cat.kinds[m.kind].yield_at(maturity), 12)
        stations.append({**filled, **dict(st), **{k: v for k, v in filled.items() if st.get(k, v) is None}})
    out_zones: dict[str, Any] = dict(zones)
    for zid, z in zones.items():
        if not isinstance(z, Mapping) or z.get("equipment") is None:
            continue
        eid = z["equipment"]
        if not isinstance(eid, str) or eid not in cat.enclosures:
            problems.append(Problem(f"zones.{zid}.equipment", f"{eid!r} is not an enclosure of the equipment "
                                    f"catalogue; ids: {', '.join(sorted(cat.enclosures)) or 'none'}", eid, source))
            continue
        filled = cat.enclosures[eid].zone_fields()
        out_zones[zid] = {**filled, **dict(z), **{k: v for k, v in filled.items() if z.get(k, v) is None}}
    if problems:
        raise InputError(problems)
    out = {**dict(data), "stations": stations}
    if zones:
        out["zones"] = out_zones
    return out


__all__ = [
    "BASIS_UNIT", "Catalogue", "DEFAULT_EQUIPMENT_PATH", "Enclosure", "KindData", "MACHINE_CLASSES", "Machine", "RampUp",
    "RampUpOverride", "Rate", "Scaling", "StationRampUp", "default_catalogue", "line_rampup", "load_catalogue",
    "resolve_line_equipment", "station_fields_from",
]
