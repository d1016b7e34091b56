"""The cell design: the single-layer data of the paper's cell, as a recipe section.

These are the inputs of :mod:`pouchline.cell`; they are parameters with units and sources like
the process steps. Every number is finite and within a physical range (the bounds below: a
thickness of 1e-300 um or a temperature below absolute zero is refused, naming the field).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pouchline.recipe.conversions import ATOMIC_MASS_G_MOL, parts_to_mass_fractions
from pouchline.recipe.params import P, Param, check_source, count

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


#: Metric coarse bolt sizes of the ISO 898-1 table in :mod:`pouchline.cell.fixture`.
BOLT_SIZES = ("M8", "M10", "M12", "M14", "M16", "M18", "M20", "M22", "M24", "M27", "M30")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Conditions(_Model):
    """The conditions every capacity and voltage of the design refers to."""

    temperature_C: P("C", ge=-60, le=150)
    stack_pressure_MPa: P("MPa", gt=0, le=1000)
    reference_c_rate: P("C_rate", gt=0, le=100)
    one_c_mAh_g: P("mAh_g", gt=0, le=5000) = Field(description="C-rate convention: 1 C in mAh per g of active")


class CompositeComponent(_Model):
    material: Slug
    parts: float = Field(gt=0, le=1e6, description="parts by mass")


class CathodeDesign(_Model):
    """The cathode composite sheet."""

    active_material: Slug
    composition: list[CompositeComponent] = Field(min_length=1)
    composition_basis: str = Field(description="how the parts are read (e.g. normalised by their sum)")
    active_loading_mg_cm2: P("mg_cm2", ge=0.01, le=1000)
    areal_capacity_mAh_cm2: P("mAh_cm2", ge=0.001, le=1000) = Field(
        description="discharge capacity at the reference C-rate")
    first_charge_capacity_mAh_g: P("mAh_g", gt=0, le=5000) = Field(description="first-charge capacity per g of active")
    porosity_frac: P("frac", ge=0, le=0.95)
    thickness_um: P("um", ge=1, le=100_000) | None = Field(default=None,
                                                            description="measured thickness; wins over porosity")
    sides: Literal[1, 2] | None = Field(
        default=None, description="cathode sheets on one or both sides of the Al foil; None follows anode.cast_sides"
    )

    @model_validator(mode="after")
    def _active_in_composition(self) -> "CathodeDesign":
        ids = [c.material for c in self.composition]
        if self.active_material not in ids:
            raise ValueError(f"active_material {self.active_material!r} is not in the composition {ids}")
        if len(set(ids)) != len(ids):
            raise ValueError(f"composition lists a material twice: {ids}")
        return self

    @property
    def mass_fractions(self) -> dict[str, float]:
        """Mass fraction of each component (parts normalised by their sum)."""
        return parts_to_mass_fractions({c.material: c.parts for c in self.composition})

    @property
    def specific_capacity_mAh_g(self) -> float:
        """Discharge capacity at the reference rate per g of active (3.46 / 21.0 = 164.8 mAh/g)."""
        return self.areal_capacity_mAh_cm2.target / self.active_loading_mg_cm2.target * 1000.0


class ElectrolyteFilmDesign(_Model):
    """The free-standing PTFE-bonded Li6PS5Cl film between the electrodes."""

    electrolyte: Slug
    binder: Slug
    binder_frac: P("frac", gt=0, lt=0.2)
    thickness_um: P("um", ge=1, le=10_000) = Field(description="a free-standing film is at least 1 um thick")
    density_g_cm3: P("g_cm3", ge=0.1, le=25) = Field(description="effective (porous) film density")

    @property
    def loading_mg_cm2(self) -> float:
        return self.thickness_um.target * self.density_g_cm3.target * 0.1


class AnodeDesign(_Model):
    """The InSnBi alloy foil cast on Cu."""

    alloy: Slug
    np_ratio: P("ratio", gt=0, le=20)
    np_basis: Literal["first_charge", "reference_discharge"] = Field(
        description="which cathode capacity the N/P ratio divides by"
    )
    specific_capacity_mAh_g: P("mAh_g", gt=0, le=5000) | None = Field(
        default=None, description="measured or stated; None computes it from the alloy's end phases"
    )
    density_g_cm3: P("g_cm3", ge=0.1, le=25) | None = Field(default=None, description="None takes the library's")
    volume_expansion_ratio: P("ratio", ge=1, le=20) = Field(description="lithiated / pristine volume")
    cast_sides: Literal[1, 2] = Field(default=1, description="alloy cast on one or both sides of the Cu foil")
    composition_at_pct: dict[str, float] | None = Field(
        default=None,
        description="another alloy composition to try (element -> at.%); None takes the library alloy's",
    )
    capacity_from: Literal["stated", "end_phases"] = Field(
        default="stated",
        description="'stated': specific_capacity_mAh_g (else the library's) wins; 'end_phases': computed from "
        "the composition and its lithiated end phases, scaled to the paper's 724 mAh/g",
    )
    end_phases: dict[str, str] | None = Field(
        default=None, description="element -> lithiated end phase (e.g. {Sn: Li17Sn4}); None: Li3Bi, Li13In3, Li22Sn5"
    )

    @field_validator("composition_at_pct")
    @classmethod
    def _composition(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        unknown = sorted(set(v) - set(ATOMIC_MASS_G_MOL))
        if unknown:
            raise ValueError(f"unknown elements {unknown}; expected symbols among {sorted(ATOMIC_MASS_G_MOL)}")
        bad = {el: x for el, x in v.items() if not (math.isfinite(x) and 0 < x <= 100)}
        if bad:
            raise ValueError(f"every at.% must be a finite number above 0 and at most 100, got {bad}")
        total = sum(v.values())
        if abs(total - 100.0) > 0.5:
            raise ValueError(f"atomic percentages sum to {total:g}, not 100 (allowed 99.5-100.5)")
        return v


class CurrentCollector(_Model):
    material: Slug
    thickness_um: P("um", ge=1, le=1000)


class RatePoint(_Model):
    c_rate: float = Field(gt=0, le=1000, description="charge rate, C (1 C per the conditions' convention)")
    retention_frac: float = Field(gt=0, le=1.0, description="capacity retained vs the reference rate")
    charge_min: float | None = Field(default=None, gt=0, le=100_000, description="measured charge time, min")


class RateCapability(_Model):
    protocol: str
    source: str
    points: list[RatePoint] = Field(min_length=1)
    voltage_ratio_slope: P("ratio", ge=0, lt=1) | None = Field(
        default=None,
        description="average-voltage loss per unit of capacity lost: V(rate)/V(ref) = 1 - slope x (1 - retention); "
        "None keeps the voltage at the reference value",
    )
    power_voltage_V: P("V", gt=0, le=10) | None = Field(
        default=None, description="voltage at which the specific power at the highest rate is quoted; None: average"
    )

    @field_validator("source")
    @classmethod
    def _tagged(cls, v: str) -> str:
        return check_source(v) or v

    @model_validator(mode="after")
    def _sorted(self) -> "RateCapability":
        rates = [p.c_rate for p in self.points]
        if rates != sorted(rates) or len(set(rates)) != len(rates):
            raise ValueError(f"points must be in increasing, distinct c_rate order, got {rates}")
        return self


class PackagingDesign(_Model):
    """Electrode size, pouch, tabs and margins of one pouch cell."""

    electrode_length_mm: P("mm", ge=1, le=5000) = Field(description="along the tab direction")
    electrode_width_mm: P("mm", ge=1, le=5000)
    layers: count(1, 10_000, description="layers per cell (the product); `pouchline cell` sizes this many by "
                  "default") = 1
    anode_overhang_mm: P("mm", ge=0, le=100)
    electrolyte_overhang_mm: P("mm", ge=0, le=100) | None = Field(
        default=None, description="electrolyte film beyond the cathode edge on each side; None: 0"
    )
    pouch_material: Slug
    seal_margin_mm: P("mm", gt=0, le=100)
    tab_margin_mm: P("mm", gt=0, le=500) = Field(description="extra length on the tab side for tabs and their seal")
    positive_tab: Slug
    negative_tab: Slug
    anode_collector: CurrentCollector
    cathode_collector: CurrentCollector | None = Field(
        default=None, description="None: free-standing cathode sheet as in the paper"
    )
    max_thickness_mm: P("mm", gt=0, le=1000) = Field(description="the thickest cell the line can stack and seal")

    @property
    def electrode_area_cm2(self) -> float:
        return self.electrode_length_mm.target * self.electrode_width_mm.target / 100.0


class FixtureDesign(_Model):
    """Steel end plates and bolts holding the stack pressure (Roark2012; ISO898-1 bolts).

    The bolt size and class are chosen from the ISO 898-1 table of :mod:`pouchline.cell.fixture`
    (the smallest preferred size whose count stays <= ``max_bolts``) unless ``bolt_size`` pins
    them; their mass follows from the size and grip unless ``bolt_mass_g`` is given.
    """

    plate_material: Slug
    youngs_modulus_GPa: P("GPa", ge=1, le=1000)
    allowable_stress_MPa: P("MPa", ge=1, le=5000)
    max_deflection_um: P("um", ge=0.1, le=10_000)
    plate_flange_mm: P("mm", ge=0, le=1000) = Field(description="plate extends this far beyond the cell for the bolts")
    bolt_utilisation_frac: P("frac", gt=0, le=1)
    bolt_size: Literal[BOLT_SIZES] | None = Field(  # type: ignore[valid-type]
        default=None, description="pin the bolt size (M8-M30); None chooses it from the ISO 898-1 table")
    bolt_class: Literal["8.8", "10.9"] | None = Field(
        default=None, description="pin the property class; None tries 8.8, then 10.9")
    max_bolts: count(4, 200, description="most bolts one fixture's flange takes") = 12
    nut_factor: P("ratio", ge=0.05, le=0.5) | None = Field(
        default=None, description="K of T = K F d; None: 0.2 (Shigley2015 Sec. 8-8)")
    bolt_mass_g: P("g", gt=0, le=100_000) | None = Field(
        default=None, description="one bolt with nut and washers; None estimates it from the size and grip")
    cells_per_fixture: count(1, 1000, description="cells stacked between one pair of end plates") = 1

    @model_validator(mode="before")
    @classmethod
    def _bolt_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if "bolt_proof_load_kN" in data:
                raise ValueError(
                    "bolt_proof_load_kN is replaced by the ISO 898-1 bolt table: give bolt_size (M8-M30) and "
                    "bolt_class (8.8 or 10.9), or leave both out and pouchline chooses them for the clamp force")
            if isinstance(data.get("bolt_class"), (int, float)) and not isinstance(data.get("bolt_class"), bool):
                data = {**data, "bolt_class": f"{data['bolt_class']:g}"}  # YAML reads 8.8 as a number
        return data


class CellDesign(_Model):
    """Everything needed to size the paper's cell from its single layer."""

    conditions: Conditions
    cathode: CathodeDesign
    electrolyte_film: ElectrolyteFilmDesign
    anode: AnodeDesign
    average_voltage_V: P("V", gt=0, le=10)
    rate_capability: RateCapability
    packaging: PackagingDesign
    fixture: FixtureDesign

    def materials(self) -> set[str]:
        """Every material id the design refers to."""
        ids = {c.material for c in self.cathode.composition}
        ids |= {self.electrolyte_film.electrolyte, self.electrolyte_film.binder, self.anode.alloy}
        pk = self.packaging
        ids |= {pk.pouch_material, pk.positive_tab, pk.negative_tab, pk.anode_collector.material}
        if pk.cathode_collector:
            ids.add(pk.cathode_collector.material)
        ids.add(self.fixture.plate_material)
        return ids


__all__ = [
    "BOLT_SIZES", "AnodeDesign", "CathodeDesign", "CellDesign", "CompositeComponent", "Conditions", "CurrentCollector",
    "ElectrolyteFilmDesign", "FixtureDesign", "PackagingDesign", "Param", "RateCapability", "RatePoint",
]
