"""The process cost inputs: every rate a named, sourced figure with low / base / high values.

In the manner of Argonne's BatPaC cost model (ANL), a cell's cost is
its materials plus a process cost built from rates: direct labour (operators per station and
shift at a labour rate), energy (melting, heated stations, glovebox and dry-room conditioning,
formation), equipment depreciation (capex per station over a life), building and overhead. This
module holds those rates as data; :mod:`pouchline.cost.model` holds the arithmetic.

The defaults below are the shipped ``recipes/cost-rates.yaml`` (a test keeps the two equal). Every
figure carries a source with the tags of ``shared/reference/process-data.md``: ``paper``,
``derived``, ``estimate``, ``sourced`` (a named outside source and year), ``assumed``, ``user``.

Rate names carry their unit (``labour_rate_usd_h``). A station kind is a recipe step kind
(``hot_rolling``, ``formation``...); its throughput is given on one of these bases:

==========  ===================================================================================
``kg``      kg of material consumed at the step per machine-hour (furnaces, mills, blenders)
``m2``      m2 of electrode (cell electrode area x layers) per machine-hour (casting, calendering)
``m2_pass`` m2 x passes per machine-hour; the machine's m2/h is this over the step's passes
``layers``  electrode layers (sheet sets) per machine-hour (punching, prelithiation, stacking)
``cells``   cells per machine-hour (sealing, clamping)
``channels`` cycler channels per machine; a cell holds one channel for the formation time
==========  ===================================================================================
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pouchline.recipe.params import check_source

#: The shipped rates file.
DEFAULT_RATES_PATH = Path(__file__).resolve().parents[3] / "recipes" / "cost-rates.yaml"

RateScenario = Literal["low", "base", "high"]
RATE_SCENARIOS: tuple[str, ...] = ("low", "base", "high")
Basis = Literal["kg", "m2", "m2_pass", "layers", "cells", "channels"]

BASIS_UNITS: dict[str, str] = {
    "kg": "kg/h", "m2": "m2/h", "m2_pass": "m2 x passes/h", "layers": "layers/h", "cells": "cells/h",
    "channels": "channels",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rate(_Model):
    """One cost input: low / base / high values in ``unit`` with the source of the figures.

    ``low`` and ``high`` are the ends of the input's plausible range, not of the cost: a low
    depreciation life raises the cost.
    """

    low: float
    base: float
    high: float
    unit: str
    source: str
    note: str = ""

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @model_validator(mode="after")
    def _ordered(self) -> "Rate":
        if not self.low <= self.base <= self.high:
            raise ValueError(f"values must satisfy low <= base <= high, got {self.low:g} / {self.base:g} / "
                             f"{self.high:g} {self.unit}")
        return self

    def value(self, scenario: str = "base") -> float:
        if scenario not in RATE_SCENARIOS:
            raise ValueError(f"rate scenario {scenario!r} is not one of {RATE_SCENARIOS}")
        return getattr(self, scenario)


def _r(low: float, base: float, high: float, unit: str, source: str, note: str = "") -> Rate:
    return Rate(low=low, base=base, high=high, unit=unit, source=source, note=note)


def _positive(rate: Rate, name: str, *, allow_zero: bool = False) -> Rate:
    if rate.low < 0 or (not allow_zero and rate.low <= 0):
        raise ValueError(f"{name}: {rate.low:g} {rate.unit} is not allowed; it must be "
                         f"{'>= 0' if allow_zero else '> 0'}")
    return rate


# ------------------------------------------------------------------------------------------------
# global rates
# ------------------------------------------------------------------------------------------------
class GlobalRates(_Model):
    """Rates that apply to the whole plant."""

    labour_rate_usd_h: Rate = _r(
        10, 35, 60, "USD/h",
        "estimate: fully burdened direct labour; low East Asia, base US, high Western Europe")
    operators_per_station_shift: Rate = _r(
        0.5, 1.0, 1.5, "operators",
        "estimate: a pilot line staffs every station each shift; automation halves it, glovebox work "
        "and QA sampling raise it", "multiplied by the station kind's operator_factor, per machine")
    electricity_usd_kWh: Rate = _r(
        0.06, 0.10, 0.20, "USD/kWh",
        "estimate: industrial electricity; low China and US industrial tariffs, high EU 2022-23")
    furnace_efficiency_frac: Rate = _r(
        0.05, 0.15, 0.30, "fraction",
        "estimate: heat into the metal over electric energy of small batch furnaces and melt pots")
    glovebox_kW_per_station: Rate = _r(
        1.0, 2.0, 3.0, "kW",
        "estimate: process-data.md B6, glovebox 1-3 kW per station", "runs all year (8,760 h)")
    glovebox_gas_usd_per_station_yr: Rate = _r(
        5_000, 10_000, 20_000, "USD/yr",
        "estimate: process-data.md B6, $5-20k/yr gases per glovebox station")
    glovebox_capex_usd_per_station: Rate = _r(
        30_000, 60_000, 120_000, "USD",
        "estimate: Ar glovebox with purifier, 2-4 glove ports, sized around one machine")
    dry_room_kW_per_station: Rate = _r(
        2.0, 5.0, 10.0, "kW",
        "derived: 400 kW for a 16,000 m3 dry room = 25 W/m3 (Ahmed, Nelson, Dees, J. Power Sources 2016) "
        "x 100-400 m3 per station (estimate)", "runs all year (8,760 h)")
    dry_room_capex_usd_per_station: Rate = _r(
        50_000, 150_000, 300_000, "USD",
        "estimate: -40 degC dew-point room with desiccant unit, share per station")
    formation_grid_kWh_per_kWh_cycled: Rate = _r(
        0.15, 0.6, 1.2, "kWh/kWh",
        "estimate: grid energy per kWh of cell energy per formation cycle; low regenerative cyclers, "
        "high linear cyclers that burn the discharge")
    availability_frac: Rate = _r(
        0.75, 0.85, 0.95, "fraction",
        "estimate: uptime x setup factor of pilot-line machines; used to size the default plant only "
        "(a line file carries its own MTBF/MTTR)")
    depreciation_life_yr: Rate = _r(
        5, 7, 10, "yr", "estimate: straight-line life of cell-production equipment")
    building_usd_m2_yr: Rate = _r(
        100, 250, 500, "USD/(m2 yr)",
        "estimate: annualised cost of conditioned production floor (depreciation and upkeep)")
    building_area_factor: Rate = _r(
        1.5, 2.5, 4.0, "m2/m2",
        "estimate: floor area over machine footprints (aisles, utilities, storage, QA)")
    overhead_frac_of_labour: Rate = _r(
        0.3, 0.6, 1.0, "fraction",
        "estimate: indirect staff, supervision, QA and administration as a fraction of direct labour, "
        "in the manner of BatPaC's overheads")
    maintenance_frac_of_capex_yr: Rate = _r(
        0.02, 0.04, 0.08, "1/yr", "estimate: spares and maintenance per year over equipment capex")

    @model_validator(mode="after")
    def _ranges(self) -> "GlobalRates":
        for name in type(self).model_fields:
            rate: Rate = getattr(self, name)
            _positive(rate, name, allow_zero=name not in ("depreciation_life_yr", "furnace_efficiency_frac",
                                                          "availability_frac", "building_area_factor",
                                                          "labour_rate_usd_h"))
        for name in ("furnace_efficiency_frac", "availability_frac"):
            if getattr(self, name).high > 1:
                raise ValueError(f"{name}: {getattr(self, name).high:g} is not allowed; a fraction is <= 1")
        return self


# ------------------------------------------------------------------------------------------------
# station kinds
# ------------------------------------------------------------------------------------------------
class StationKind(_Model):
    """Cost inputs of one kind of station (one recipe step kind), per machine."""

    name: str = Field(description="what the machine is")
    basis: Basis
    throughput: Rate = Field(description="per machine-hour on the basis (channels per machine for formation)")
    capex_usd: Rate
    power_kW: Rate = Field(description="average electric draw while scheduled (drives, heaters, chillers)")
    operator_factor: float = Field(ge=0, description="operators per machine and shift, x operators_per_station_shift")
    footprint_m2: float = Field(gt=0, description="floor area of one machine")
    source: str = Field(description="source of operator_factor and footprint_m2")

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @model_validator(mode="after")
    def _ranges(self) -> "StationKind":
        _positive(self.throughput, "throughput")
        _positive(self.capex_usd, "capex_usd", allow_zero=True)
        _positive(self.power_kW, "power_kW", allow_zero=True)
        return self


def _kind(name: str, basis: str, throughput: tuple[float, float, float], tsrc: str,
          capex: tuple[float, float, float], power: tuple[float, float, float], operator_factor: float,
          footprint_m2: float, src: str = "estimate: pilot-line practice") -> StationKind:
    return StationKind(
        name=name, basis=basis, throughput=_r(*throughput, BASIS_UNITS[basis], tsrc),
        capex_usd=_r(*capex, "USD", "estimate: installed pilot-scale machine, 2024 USD"),
        power_kW=_r(*power, "kW", "estimate: average draw of the machine while scheduled"),
        operator_factor=operator_factor, footprint_m2=footprint_m2, source=src)


def _default_stations() -> dict[str, StationKind]:
    return {
        "alloy_preparation": _kind(
            "alloying furnace (Ar)", "kg", (2, 5, 10),
            "estimate: 10-20 kg crucible, 2-4 h per batch (1 h at 300 degC, paper)",
            (40_000, 80_000, 150_000), (3, 5, 10), 0.5, 6),
        "melt_cast": _kind(
            "melt pot and casting head on a heated Cu web", "m2", (10, 25, 60),
            "estimate: 0.2 m web at 1-5 m/min", (100_000, 200_000, 400_000), (5, 10, 20), 1.0, 15),
        "quench": _kind(
            "chill plate or roll, inline with casting", "m2", (10, 25, 60),
            "estimate: inline with casting (process-data.md B2: >= 1 s chill contact suffices)",
            (20_000, 50_000, 100_000), (1, 3, 6), 0.0, 6,
            "estimate: inline with casting, run by the casting operator"),
        "rolling_schedule": _kind(
            "two-high rolling mill for the alloy on Cu", "m2_pass", (60, 180, 360),
            "estimate: process-data.md B6, alloy foil 5-30 m/min, 0.2 m wide; divided by the recipe's passes",
            (150_000, 300_000, 600_000), (5, 15, 30), 1.0, 20),
        "punching": _kind(
            "die cutter", "layers", (600, 1800, 3600), "estimate: 1-6 s per sheet",
            (30_000, 80_000, 150_000), (1, 2, 4), 0.25, 6,
            "estimate: one operator tends about four die cutters"),
        "film_fibrillation": _kind(
            "ball mill for Li6PS5Cl-PTFE", "kg", (1, 3, 10),
            "estimate: 15 min milling (paper) plus loading, 1-5 kg jars",
            (30_000, 60_000, 120_000), (1, 3, 6), 0.5, 4),
        "film_rolling": _kind(
            "two-roll calender for the free-standing SE film", "m2", (12, 60, 240),
            "estimate: process-data.md B6, dry film 10-60 m/min at scale; 1-20 m/min x 0.2 m in a glovebox",
            (200_000, 400_000, 800_000), (5, 10, 20), 1.0, 15),
        "cathode_blending": _kind(
            "blade mixer for the cathode composite", "kg", (2, 5, 15),
            "estimate: 30 min blending (assumed in the recipe), 2-10 kg batches",
            (30_000, 60_000, 120_000), (1, 3, 6), 0.5, 4),
        "hot_rolling": _kind(
            "heated two-roll calender for the cathode", "m2_pass", (60, 180, 360),
            "estimate: process-data.md B6, dry film 10-60 m/min at scale; 5-30 m/min x 0.2 m; divided by "
            "the recipe's passes", (250_000, 500_000, 1_000_000), (10, 20, 40), 1.0, 20),
        "prelithiation": _kind(
            "press with Li-foil contact jigs", "m2", (0.25, 1.0, 4.0),
            "estimate: a 1 MN press holds 0.05 m2 per level at 20 MPa; 10-100 levels of anode + Li foil "
            "stacked with interleaves per 2-h cycle (120 min at 20 MPa, paper)",
            (50_000, 100_000, 200_000), (1, 2, 4), 0.25, 6,
            "estimate: one operator loads about four presses"),
        "stacking": _kind(
            "Z-fold or pick-and-place stacker", "layers", (120, 400, 2000),
            "estimate: 3 sheets per layer at 0.6-10 s per sheet; process-data.md B6: duplex stackers "
            "0.5-0.8 s/sheet (Taipu c. 2023)", (100_000, 300_000, 1_000_000), (2, 5, 10), 0.5, 15,
            "estimate: one operator feeds magazines of two stackers"),
        "sealing": _kind(
            "vacuum heat sealer", "cells", (60, 240, 600), "estimate: 6-60 s per cell",
            (50_000, 100_000, 250_000), (1, 3, 6), 0.5, 6),
        "clamping": _kind(
            "fixture bolting station with torque tools", "cells", (10, 30, 60),
            "estimate: 1-6 min per cell to torque the bolts in sequence",
            (10_000, 30_000, 60_000), (0.5, 1, 2), 1.0, 4),
        "formation": _kind(
            "cycler rack with a 60 degC chamber", "channels", (32, 64, 128),
            "estimate: channels per rack; a cell holds a channel for 2 x cycles / C-rate hours",
            (30_000, 80_000, 150_000), (1, 3, 6), 0.05, 3,
            "estimate: one operator loads and watches about 20 racks"),
        "default": _kind(
            "generic station", "cells", (30, 100, 300),
            "estimate: fallback for a step kind without its own rates (every shipped step kind has its own)",
            (30_000, 100_000, 300_000), (1, 3, 6), 1.0, 10),
    }


# ------------------------------------------------------------------------------------------------
# step yields, plant, physics
# ------------------------------------------------------------------------------------------------
class StepYield(_Model):
    """Default yield (1 - loss rate) of one recipe step, for a pilot and a mature line."""

    pilot: float = Field(gt=0, le=1)
    mature: float = Field(gt=0, le=1)
    source: str

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


_B6 = "estimate: process-data.md B6 default step yields pilot / mature"


def _default_yields() -> dict[str, StepYield]:
    def y(p: float, m: float, src: str = _B6) -> StepYield:
        return StepYield(pilot=p, mature=m, source=src)

    return {
        "alloy_prep": y(0.99, 0.995),
        "melt_cast": y(0.95, 0.98, _B6 + " (cast + quench, put on casting)"),
        "quench": y(1.0, 1.0, _B6 + " (counted with casting)"),
        "anode_rolling": y(0.92, 0.97),
        "anode_punching": y(0.97, 0.99, _B6 + " (punching)"),
        "se_film_mixing": y(1.0, 1.0, _B6 + " (SE film yield put on film rolling)"),
        "se_film_rolling": y(0.90, 0.97, _B6 + " (SE film)"),
        "se_film_cutting": y(0.97, 0.99, _B6 + " (punching)"),
        "cathode_mixing": y(1.0, 1.0, _B6 + " (cathode sheet yield put on hot rolling)"),
        "cathode_hot_rolling": y(0.92, 0.97, _B6 + " (cathode sheet)"),
        "cathode_punching": y(0.97, 0.99, _B6 + " (punching)"),
        "prelithiation": y(0.95, 0.98),
        "stacking": y(0.95, 0.99),
        "sealing": y(0.98, 0.995),
        "clamping": y(1.0, 1.0, "assumed: B6 gives no clamping yield; losses show up at formation"),
        "formation": y(0.95, 0.98),
    }


class Plant(_Model):
    """The plant costed when no line is given: one station kind per recipe step, as many machines
    as the annual volume needs (rounded up, at least one)."""

    annual_volume_MWh: float = Field(default=100.0, gt=0, description="good cells' energy per year")
    hours_per_day: float = Field(default=24.0, gt=0, le=24)
    days_per_year: float = Field(default=330.0, gt=0, le=366)
    yield_maturity: Literal["pilot", "mature"] = "pilot"
    source: str = ("estimate: a 0.1 GWh/yr pilot-to-demonstration plant, three shifts on 330 days; "
                   "pilot yields of process-data.md B6")

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @property
    def scheduled_h_per_year(self) -> float:
        return self.hours_per_day * self.days_per_year


class AlloyThermal(_Model):
    """Heat to take the alloy from ambient to a process temperature (process-data.md B2)."""

    specific_heat_J_gK: float = Field(default=0.185, gt=0)
    heat_of_fusion_J_g: float = Field(default=47.0, ge=0)
    melting_point_C: float = Field(default=85.0)
    ambient_C: float = Field(default=20.0)
    source: str = ("estimate: process-data.md B2, Kopp-Neumann specific heat 0.185 J/(g K) and mass-weighted "
                   "heat of fusion 47 J/g (+/-20 %); alloy melts at about 85 degC (paper)")

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    def heat_J_g(self, temperature_C: float) -> float:
        """Sensible heat to ``temperature_C`` plus the heat of fusion if it is above the melting point."""
        sensible = self.specific_heat_J_gK * max(0.0, temperature_C - self.ambient_C)
        return sensible + (self.heat_of_fusion_J_g if temperature_C >= self.melting_point_C else 0.0)


# ------------------------------------------------------------------------------------------------
# the whole set
# ------------------------------------------------------------------------------------------------
class CostRates(_Model):
    """All process cost inputs. ``CostRates()`` is the shipped default set."""

    id: str = "cost-rates"
    revision: str = "A"
    currency: Literal["USD"] = "USD"
    currency_year: int = Field(default=2024, ge=1990, le=2100)
    rates: GlobalRates = Field(default_factory=GlobalRates)
    stations: dict[str, StationKind] = Field(default_factory=_default_stations)
    default_step_yield: dict[str, StepYield] = Field(default_factory=_default_yields)
    plant: Plant = Field(default_factory=Plant)
    alloy_thermal: AlloyThermal = Field(default_factory=AlloyThermal)

    @model_validator(mode="after")
    def _has_default_kind(self) -> "CostRates":
        if "default" not in self.stations:
            raise ValueError("stations: needs a 'default' entry for step kinds without their own rates")
        return self

    # -- flat view: every swept input by a dotted name --------------------------------------------
    def flat(self) -> dict[str, Rate]:
        """Every :class:`Rate` by name: ``labour_rate_usd_h``, ``stations.hot_rolling.capex_usd``..."""
        out: dict[str, Rate] = {name: getattr(self.rates, name) for name in GlobalRates.model_fields}
        for kind, st in self.stations.items():
            for fld in ("throughput", "capex_usd", "power_kW"):
                out[f"stations.{kind}.{fld}"] = getattr(st, fld)
        return out

    def values(self, scenario: str = "base", overrides: dict[str, float] | None = None) -> dict[str, float]:
        """Every rate's value at ``scenario``, with ``overrides`` (name -> value) applied."""
        vals = {name: rate.value(scenario) for name, rate in self.flat().items()}
        if overrides:
            unknown = sorted(set(overrides) - set(vals))
            if unknown:
                raise KeyError(f"unknown rate(s) {unknown}; known: {sorted(vals)}")
            vals.update(overrides)
        return vals

    def station_kind(self, step_kind: str) -> str:
        """The key of ``stations`` used for a recipe step kind (``default`` when it has none)."""
        return step_kind if step_kind in self.stations else "default"


def load_rates(path: str | os.PathLike = DEFAULT_RATES_PATH) -> CostRates:
    """Read and validate a cost-rates file (every problem as an :class:`~pouchline.errors.InputError`)."""
    from pouchline.fileio import read_yaml, validate_model

    data = read_yaml(path, what="cost-rates file")
    return validate_model(CostRates, data, str(path))


def rates_from_data(data: dict, source: str = "cost rates") -> CostRates:
    """Validate parsed cost-rates data (e.g. with overrides applied)."""
    from pouchline.fileio import validate_model

    return validate_model(CostRates, data, source)


__all__ = [
    "AlloyThermal", "BASIS_UNITS", "CostRates", "DEFAULT_RATES_PATH", "GlobalRates", "Plant", "Rate",
    "StationKind", "StepYield", "load_rates", "rates_from_data",
]
