"""The materials library: densities, molar masses, capacities, prices and hazards.

Data lives in ``recipes/materials.yaml``; this module validates it. Prices are low / base / high
scenarios, each with the year and source of its figure (``shared/reference/process-data.md`` B4).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pouchline.recipe.params import check_source

PriceScenario = Literal["low", "base", "high"]
PRICE_SCENARIOS: tuple[str, ...] = ("low", "base", "high")


class Role(str, Enum):
    active = "active"
    solid_electrolyte = "solid_electrolyte"
    binder = "binder"
    conductive_additive = "conductive_additive"
    current_collector = "current_collector"
    packaging = "packaging"
    tab = "tab"
    lithium_source = "lithium_source"
    feedstock = "feedstock"
    fixture = "fixture"


class PricePoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(ge=0, description="price in the unit of the enclosing Price")
    year: int = Field(ge=1990, le=2100)
    source: str

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Price(BaseModel):
    """Low / base / high prices in ``unit`` (USD/kg, USD/m2 or USD/each)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: Literal["USD/kg", "USD/m2", "USD/each"] = "USD/kg"
    low: PricePoint
    base: PricePoint
    high: PricePoint

    @model_validator(mode="after")
    def _ordered(self) -> "Price":
        if not self.low.value <= self.base.value <= self.high.value:
            raise ValueError(
                f"prices must satisfy low <= base <= high, got {self.low.value:g} / "
                f"{self.base.value:g} / {self.high.value:g} {self.unit}"
            )
        return self

    def value(self, scenario: str = "base") -> float:
        if scenario not in PRICE_SCENARIOS:
            raise ValueError(f"price scenario {scenario!r} is not one of {PRICE_SCENARIOS}")
        return getattr(self, scenario).value


class Hazard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str
    source: str | None = None

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Material(BaseModel):
    """One material of the library."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    role: Role
    formula: str | None = None
    density_g_cm3: Annotated[float, Field(gt=0)] | None = None
    density_source: str | None = None
    molar_mass_g_mol: Annotated[float, Field(gt=0)] | None = None
    specific_capacity_mAh_g: Annotated[float, Field(gt=0)] | None = None
    capacity_source: str | None = None
    melting_point_C: float | None = None
    composition_at_pct: dict[str, float] | None = Field(
        default=None, description="for alloys: element symbol -> at.%, summing to 100"
    )
    areal_density_g_m2: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="for sheet goods sold by area (pouch film)"
    )
    thickness_um: Annotated[float, Field(gt=0)] | None = None
    mass_per_each_g: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="for items sold per piece (tabs)"
    )
    price: Price
    hazards: list[Hazard] = Field(default_factory=list)
    notes: str | None = None

    _src = field_validator("density_source", "capacity_source")(classmethod(lambda cls, v: check_source(v)))

    @field_validator("composition_at_pct")
    @classmethod
    def _sums_to_100(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        if any(x <= 0 for x in v.values()):
            raise ValueError(f"every at.% must be > 0, got {v}")
        total = sum(v.values())
        if abs(total - 100.0) > 0.5:
            raise ValueError(f"atomic percentages sum to {total:g}, not 100 (allowed 99.5-100.5)")
        return v

    def price_per_kg(self, scenario: str = "base") -> float:
        """Price in USD/kg. Sheet goods convert with ``areal_density_g_m2``, pieces with
        ``mass_per_each_g``."""
        p = self.price.value(scenario)
        if self.price.unit == "USD/kg":
            return p
        if self.price.unit == "USD/m2" and self.areal_density_g_m2:
            return p / (self.areal_density_g_m2 / 1000.0)
        if self.price.unit == "USD/each" and self.mass_per_each_g:
            return p / (self.mass_per_each_g / 1000.0)
        raise ValueError(f"material {self.id}: price in {self.price.unit} has no mass basis")


class MaterialLibrary(BaseModel):
    """All materials, by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = "materials"
    revision: str = "A"
    materials: list[Material]

    @model_validator(mode="after")
    def _unique(self) -> "MaterialLibrary":
        seen: set[str] = set()
        for m in self.materials:
            if m.id in seen:
                raise ValueError(f"material id {m.id!r} appears twice")
            seen.add(m.id)
        return self

    def __contains__(self, material_id: object) -> bool:
        return any(m.id == material_id for m in self.materials)

    def __getitem__(self, material_id: str) -> Material:
        for m in self.materials:
            if m.id == material_id:
                return m
        raise KeyError(material_id)

    def get(self, material_id: str) -> Material | None:
        try:
            return self[material_id]
        except KeyError:
            return None

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.materials]


DEFAULT_MATERIALS_PATH = Path(__file__).resolve().parents[2] / "recipes" / "materials.yaml"
