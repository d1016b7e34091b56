"""The process cost inputs: every plant-wide rate a named, sourced figure with low / base / high values.

In the manner of Argonne's BatPaC cost model (Knehr et al., BatPaC 5.0, ANL/CSE-22/1, 2022), a
cell's cost is its materials plus a process cost built from rates: direct labour (operators per
machine and shift at a labour rate), energy (melting, machines, glovebox and dry-room
conditioning, formation), equipment depreciation, building and overhead; and a price adds
BatPaC's further layers (launch cost and working capital as investment, R&D, profit on the
investment, warranty). This module holds the plant-wide rates as data; the machines (rates,
capex, power, footprint, crews, yields) are in the equipment catalogue
(:mod:`pouchline.equipment`, ``recipes/equipment.yaml``); :mod:`pouchline.cost.model` holds the
arithmetic.

The defaults below are the shipped ``recipes/cost-rates.yaml`` (a test keeps the two equal). Every
figure carries a source with a tag: ``paper``, ``derived``, ``estimate``, ``sourced`` (a named
outside source and year), ``assumed``, ``user``. Rate names carry their unit (``labour_rate_usd_h``).
Every value must be a finite number in its range: an ``inf`` or ``nan`` is refused with the field.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pouchline.recipe.params import check_source

#: The shipped rates file.
DEFAULT_RATES_PATH = Path(__file__).resolve().parents[3] / "recipes" / "cost-rates.yaml"

RateScenario = Literal["low", "base", "high"]
RATE_SCENARIOS: tuple[str, ...] = ("low", "base", "high")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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

    @field_validator("low", "base", "high", mode="before")
    @classmethod
    def _finite(cls, v: Any, info: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{v!r} is not a number; {info.field_name} is a number")
        if not math.isfinite(v):
            raise ValueError(f"{v!r} is not allowed: {info.field_name} must be a finite number")
        return float(v)

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
        0.75, 1.0, 1.5, "x",
        "estimate: crews of the equipment catalogue as stated (1); leaner automation lowers them, glovebox "
        "work and QA sampling raise them", "multiplies the catalogue's operators per machine and shift")
    electricity_usd_kWh: Rate = _r(
        0.06, 0.10, 0.20, "USD/kWh",
        "estimate: industrial electricity; low China and US industrial tariffs, high EU 2022-23")
    furnace_efficiency_frac: Rate = _r(
        0.05, 0.15, 0.30, "fraction",
        "estimate: heat into the metal over electric energy of small batch furnaces and melt pots")
    glovebox_kW_per_station: Rate = _r(
        1.0, 2.0, 3.0, "kW",
        "estimate: glovebox 1-3 kW per station with purifier and antechamber", "runs all year (8,760 h)")
    glovebox_gas_usd_per_station_yr: Rate = _r(
        5_000, 10_000, 20_000, "USD/yr",
        "estimate: 5-20 kUSD/yr of Ar and regeneration gas per glovebox station")
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
                                                          "building_area_factor", "labour_rate_usd_h"))
        for name in ("furnace_efficiency_frac",):
            if getattr(self, name).high > 1:
                raise ValueError(f"{name}: {getattr(self, name).high:g} is not allowed; a fraction is <= 1")
        return self


# ------------------------------------------------------------------------------------------------
# step yields, plant, physics
# ------------------------------------------------------------------------------------------------
class StepYield(_Model):
    """Yield (1 - loss rate) of one recipe step on a pilot and a mature line; wins over the equipment
    catalogue's yield of the step's kind (the shipped rates file gives none)."""

    pilot: float = Field(gt=0, le=1)
    mature: float = Field(gt=0, le=1)
    source: str

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Plant(_Model):
    """The plant costed when no line is given: the line :mod:`pouchline.plant` sizes for the annual
    volume (one station per recipe step, machines of the equipment catalogue)."""

    annual_volume_MWh: float = Field(default=100.0, gt=0, description="good cells' energy per year")
    hours_per_day: float = Field(default=24.0, gt=0, le=24)
    days_per_year: float = Field(default=330.0, gt=0, le=366)
    yield_maturity: Literal["pilot", "mature"] = Field(
        default="mature", description="step yields of the equipment catalogue: a plant at steady state is mature "
                                      "(pouchline rampup: the way there from pilot yields)")
    machine_class: Literal["lab", "pilot", "production", "auto"] = Field(
        default="auto", description="machines of the sized plant; auto: per station the class of lowest annual cost")
    building: Literal["rent", "capital"] = Field(
        default="rent", description="rent: building_usd_m2_yr per year; capital: price_layers.building_capex_usd_m2 "
                                    "depreciated over building_life_yr and counted in the investment")
    source: str = ("estimate: a 0.1 GWh/yr pilot-to-demonstration plant, three shifts on 330 days, at steady state: "
                   "mature yields of the equipment catalogue (pouchline rampup gives the way there from pilot yields)")

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @property
    def scheduled_h_per_year(self) -> float:
        return self.hours_per_day * self.days_per_year


class PriceLayers(_Model):
    """BatPaC's layers between a manufacturing cost and a price (Knehr et al., BatPaC 5.0, 2022).

    Launch cost and working capital are investment (they earn the profit rate, they are not spent
    every year); R&D is a share of depreciation; profit is a return on the whole investment
    (equipment, fixtures, building when owned, launch cost, working capital); warranty is a share
    of the price. ``price = (cost + R&D + profit) / (1 - warranty)``.
    """

    launch_cost_frac_of_labour: Rate = _r(
        0.05, 0.10, 0.20, "fraction",
        "sourced: BatPaC5 launch cost 10 % of direct labour and its variable overhead (Baars2023, cost_rates)")
    launch_cost_frac_of_materials: Rate = _r(
        0.02, 0.05, 0.10, "fraction", "sourced: BatPaC5 launch cost 5 % of direct materials (Baars2023, cost_rates)")
    working_capital_frac_of_variable_cost: Rate = _r(
        0.10, 0.15, 0.25, "fraction",
        "sourced: BatPaC5 working capital 15 % of annual variable cost (Baars2023, cost_rates)")
    rnd_frac_of_depreciation: Rate = _r(
        0.20, 0.40, 0.60, "fraction", "sourced: BatPaC5 research and development 40 % of depreciation (Baars2023, cost_rates)")
    profit_frac_of_investment_yr: Rate = _r(
        0.03, 0.05, 0.10, "1/yr", "sourced: BatPaC5 profit 5 % of the investment per year, after tax (Baars2023, cost_rates)")
    warranty_frac_of_price: Rate = _r(
        0.03, 0.056, 0.08, "fraction", "sourced: BatPaC5 warranty 5.6 % of the price (Baars2023, cost_rates)")
    building_capex_usd_m2: Rate = _r(
        1200, 2300, 3700, "USD/m2",
        "sourced: Baars2023 factor_prices_europe, building cost 1,220-3,683 USD/m2 (European average 2,338) of the "
        "factor prices used with BatPaC5")
    building_life_yr: Rate = _r(
        15, 20, 30, "yr", "sourced: BatPaC5 depreciates buildings at half the equipment rate: 20 yr against 10 yr "
                          "(Baars2023, calculate_depreciation)")

    @model_validator(mode="after")
    def _ranges(self) -> "PriceLayers":
        for name in type(self).model_fields:
            rate: Rate = getattr(self, name)
            _positive(rate, name, allow_zero=name not in ("building_life_yr",))
        if self.warranty_frac_of_price.high >= 1:
            raise ValueError(f"warranty_frac_of_price: {self.warranty_frac_of_price.high:g} is not allowed; a share "
                             "of the price is < 1")
        return self

    def values(self, scenario: str = "base") -> dict[str, float]:
        return {name: getattr(self, name).value(scenario) for name in type(self).model_fields}


class AlloyThermal(_Model):
    """Heat to take the alloy from ambient to a process temperature."""

    specific_heat_J_gK: float = Field(default=0.185, gt=0)
    heat_of_fusion_J_g: float = Field(default=47.0, ge=0)
    melting_point_C: float = Field(default=85.0)
    ambient_C: float = Field(default=20.0)
    source: str = ("estimate: Kopp-Neumann specific heat 0.185 J/(g K) from CRC element values and mass-weighted "
                   "heat of fusion 47 J/g from Mendeleev2024 values (+/-20 %); alloy melts at about 85 degC "
                   "(Liu2025 Fig. 2a)")

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
    default_step_yield: dict[str, StepYield] = Field(
        default_factory=dict, description="step id -> yields that win over the equipment catalogue's (optional)")
    plant: Plant = Field(default_factory=Plant)
    price_layers: PriceLayers = Field(default_factory=PriceLayers)
    alloy_thermal: AlloyThermal = Field(default_factory=AlloyThermal)

    # -- flat view: every swept input by a dotted name --------------------------------------------
    def flat(self) -> dict[str, Rate]:
        """Every plant-wide :class:`Rate` by name (``labour_rate_usd_h``...); machine figures are in the
        equipment catalogue, price layers in :attr:`price_layers`."""
        return {name: getattr(self.rates, name) for name in GlobalRates.model_fields}

    def values(self, scenario: str = "base", overrides: dict[str, float] | None = None) -> dict[str, float]:
        """Every rate's value at ``scenario``, with ``overrides`` (name -> value) applied."""
        vals = {name: rate.value(scenario) for name, rate in self.flat().items()}
        if overrides:
            unknown = sorted(k for k in set(overrides) - set(vals) if not k.startswith("equipment."))
            if unknown:
                raise KeyError(f"unknown rate(s) {unknown}; known: {sorted(vals)}")
            vals.update(overrides)
        return vals


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
    "AlloyThermal", "CostRates", "DEFAULT_RATES_PATH", "GlobalRates", "Plant", "PriceLayers", "Rate",
    "StepYield", "load_rates", "rates_from_data",
]
