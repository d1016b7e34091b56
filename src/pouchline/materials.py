"""The materials library: densities, molar masses, capacities, prices, hazards, the element
composition of every material and the world supply of every element.

Data lives in ``recipes/materials.yaml``; this module validates it. Prices are low / base / high
scenarios, each with the year and source of its figure (ids of ``docs/sources.md#market-prices-and-supply``).

Every number must be finite and physically possible: a NaN melting point would silently switch off
the casting check, an infinite price would turn every cost into null. The element composition of
a material is computed, never typed: an alloy's from its ``composition_at_pct``, anything else from
its chemical ``formula`` (``Li6PS5Cl``, ``LiCoO2``, ``(C2F4)n``) and the standard atomic weights of
:data:`pouchline.recipe.conversions.ATOMIC_MASS_G_MOL`. World production and reserves of the
elements (``elements:``) feed :mod:`pouchline.demand`.
"""

from __future__ import annotations

import math
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from pouchline.recipe.conversions import ATOMIC_MASS_G_MOL, atomic_to_weight_fractions
from pouchline.recipe.params import check_source

PriceScenario = Literal["low", "base", "high"]
PRICE_SCENARIOS: tuple[str, ...] = ("low", "base", "high")

#: Every field of the library refuses NaN and infinities (pydantic's ``allow_inf_nan``).
_CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

#: The chemical element symbols (IUPAC), to tell a misspelt symbol from one without a weight.
ELEMENT_SYMBOLS: frozenset[str] = frozenset("""
H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr
Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm
Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No
Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og""".split())

_FORMULA_TOKEN = re.compile(r"\s*(?:([A-Z][a-z]?)|(\d+(?:\.\d*)?|\.\d+)|(\()|(\))|(n\b|n$))")


def formula_atoms(formula: str) -> dict[str, float]:
    """Atoms per formula unit: ``'Li6PS5Cl'`` -> ``{'Li': 6, 'P': 1, 'S': 5, 'Cl': 1}``.

    Fractional counts (``In0.38Sn0.33Bi0.29``) and parentheses (``Ca(OH)2``) are allowed; a
    polymer's trailing ``n`` (``(C2F4)n``) stands for its repeat unit. Raises ``ValueError`` for
    anything else, naming the position.
    """
    if not isinstance(formula, str) or not formula.strip():
        raise ValueError("a formula must be a non-empty text such as LiCoO2")
    text = formula.strip()
    stack: list[dict[str, float]] = [{}]  # one mapping per open parenthesis
    pending: dict[str, float] | None = None  # an element or a closed group, waiting for its count
    after_group = False  # the previous token was ')'
    pos = 0

    def flush(k: float = 1.0) -> None:
        nonlocal pending
        for el, x in (pending or {}).items():
            stack[-1][el] = stack[-1].get(el, 0.0) + x * k
        pending = None

    while pos < len(text):
        m = _FORMULA_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot read {formula!r} at character {pos + 1} ({text[pos]!r}); "
                             "write element symbols with counts, e.g. Li6PS5Cl, LiCoO2 or (C2F4)n")
        sym, num, opening, closing, poly = m.groups()
        pos = m.end()
        if num is not None:
            if pending is None:
                raise ValueError(f"{formula!r}: the count {num} at character {m.start() + 1} follows no element")
            k = float(num)
            if not k > 0:
                raise ValueError(f"{formula!r}: count {num} must be a positive number")
            flush(k)
        elif poly is not None:  # (repeat unit)n: one repeat unit
            if not after_group:
                raise ValueError(f"{formula!r}: 'n' marks a polymer's repeat unit and must follow ')', as in (C2F4)n")
            flush()
        else:
            flush()
            if sym is not None:
                if sym not in ELEMENT_SYMBOLS:
                    raise ValueError(f"{formula!r}: {sym!r} is not a chemical element symbol")
                pending = {sym: 1.0}
            elif opening is not None:
                stack.append({})
            elif len(stack) == 1:
                raise ValueError(f"{formula!r}: ')' at character {m.start() + 1} closes no '('")
            else:
                pending = stack.pop()
        after_group = closing is not None
    flush()
    if len(stack) != 1:
        raise ValueError(f"{formula!r}: a '(' is never closed")
    if not stack[0]:
        raise ValueError(f"{formula!r} names no element")
    return stack[0]


def formula_mass_g_mol(atoms: Mapping[str, float]) -> float:
    """Mass of one formula unit, g/mol (Li6PS5Cl: 268.36)."""
    return sum(n * ATOMIC_MASS_G_MOL[el] for el, n in atoms.items())


def mass_fractions_from_atoms(atoms: Mapping[str, float]) -> dict[str, float]:
    """Element -> kg per kg from atoms per formula unit (Li6PS5Cl: Li 0.1552, P 0.1154, ...)."""
    total = formula_mass_g_mol(atoms)
    return {el: n * ATOMIC_MASS_G_MOL[el] / total for el, n in atoms.items()}


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


class _Sourced(BaseModel):
    """A figure of one year with the source it comes from (subclasses add the value)."""

    model_config = _CONFIG

    year: int = Field(ge=1990, le=2100)
    source: str

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class PricePoint(_Sourced):
    value: float = Field(ge=0, le=1e7, description="price in the unit of the enclosing Price (up to 10 million)")


class Price(BaseModel):
    """Low / base / high prices in ``unit`` (USD/kg, USD/m2 or USD/each)."""

    model_config = _CONFIG

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
    model_config = _CONFIG

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str
    source: str | None = None

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Purchasing(BaseModel):
    """What a buyer needs to ask for a quote; every field optional (blank where unknown).

    ``moq`` is a quantity with its unit (``25 kg``, ``100 m2``, ``1000 each``), checked with pint;
    ``currency`` an ISO 4217 code (the library's prices are in USD); ``source`` tags where the
    entries come from (``paper: Liu2025 Methods`` names the lab's suppliers).
    """

    model_config = _CONFIG

    supplier: str | None = Field(default=None, max_length=200)
    supplier_part_number: str | None = Field(default=None, max_length=100)
    moq: str | None = Field(default=None, max_length=40, description="minimum order quantity with its unit")
    lead_time_weeks: float | None = Field(default=None, ge=0, le=104)
    packaging: str | None = Field(default=None, max_length=200)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    source: str | None = None

    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @field_validator("moq")
    @classmethod
    def _moq_has_a_unit(cls, v: str | None) -> str | None:
        if v is None:
            return v
        m = re.fullmatch(r"\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(each|pcs)\s*", v)
        if m:
            amount, ok = float(m.group(1).replace(",", "")), True
        else:
            from pouchline.units import parse_quantity

            q = parse_quantity(v)
            amount = float(q.magnitude)
            ok = any(q.check(dim) for dim in ("[mass]", "[length] ** 2", "[length]"))
        if not ok or not amount > 0:
            raise ValueError(f"{v!r} is not a minimum order quantity: give a number > 0 with a unit of mass, area, "
                             "length or 'each' (e.g. '25 kg', '100 m2', '1000 each')")
        return v.strip()


#: Physical ranges of the material fields (the densest element, osmium, is 22.6 g/cm3; lithium
#: metal, 3,860 mAh/g, has the highest capacity of any anode; nothing melts below absolute zero).
_Density = Annotated[float, Field(gt=0, le=30, description="g/cm3, at most 30")]
_MolarMass = Annotated[float, Field(gt=0, le=1e6, description="g/mol")]
_Capacity = Annotated[float, Field(gt=0, le=4000, description="mAh/g, at most 4,000 (lithium metal: 3,860)")]
_MeltingPoint = Annotated[float, Field(gt=-273.15, le=4000, description="degC, above absolute zero, at most 4,000")]
#: Largest disagreement allowed between a material's molar_mass_g_mol and its formula.
MOLAR_MASS_TOLERANCE_FRAC = 0.01


class Material(BaseModel):
    """One material of the library."""

    model_config = _CONFIG

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    role: Role
    formula: str | None = Field(default=None, description="chemical formula, e.g. Li6PS5Cl, LiCoO2, (C2F4)n")
    density_g_cm3: _Density | None = None
    density_source: str | None = None
    molar_mass_g_mol: _MolarMass | None = None
    specific_capacity_mAh_g: _Capacity | None = None
    capacity_source: str | None = None
    melting_point_C: _MeltingPoint | None = None
    composition_at_pct: dict[str, float] | None = Field(
        default=None, description="for alloys: element symbol -> at.%, summing to 100"
    )
    areal_density_g_m2: Annotated[float, Field(gt=0, le=10_000)] | None = Field(
        default=None, description="for sheet goods sold by area (pouch film), g/m2"
    )
    thickness_um: Annotated[float, Field(gt=0, le=100_000)] | None = None
    mass_per_each_g: Annotated[float, Field(gt=0, le=1e6)] | None = Field(
        default=None, description="for items sold per piece (tabs)"
    )
    price: Price
    purchasing: Purchasing | None = Field(default=None, description="supplier, part number, MOQ, lead time, ...")
    hazards: list[Hazard] = Field(default_factory=list)
    notes: str | None = None

    _src = field_validator("density_source", "capacity_source")(classmethod(lambda cls, v: check_source(v)))

    @field_validator("formula")
    @classmethod
    def _formula_reads(cls, v: str | None) -> str | None:
        if v is not None:
            formula_atoms(v)
        return v

    @field_validator("composition_at_pct")
    @classmethod
    def _sums_to_100(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        unknown = sorted(el for el in v if el not in ATOMIC_MASS_G_MOL)
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not an "
                             f"element pouchline has an atomic mass for; allowed: {', '.join(sorted(ATOMIC_MASS_G_MOL))}")
        if any(not x > 0 for x in v.values()):
            raise ValueError(f"every at.% must be > 0, got {v}")
        total = sum(v.values())
        if abs(total - 100.0) > 0.5:
            raise ValueError(f"atomic percentages sum to {total:g}, not 100 (allowed 99.5-100.5)")
        return v

    @model_validator(mode="after")
    def _formula_agrees(self) -> "Material":
        """The formula, the alloy composition and the molar mass must describe one substance."""
        atoms = formula_atoms(self.formula) if self.formula else None
        if atoms is None or any(el not in ATOMIC_MASS_G_MOL for el in atoms):
            return self
        if self.composition_at_pct:
            n = sum(atoms.values())
            if set(atoms) != set(self.composition_at_pct) or any(
                    abs(100.0 * atoms[el] / n - x) > 0.5 for el, x in self.composition_at_pct.items()):
                want = ", ".join(f"{el} {100.0 * x / n:.2f}" for el, x in atoms.items())
                raise ValueError(f"composition_at_pct {self.composition_at_pct} disagrees with the formula "
                                 f"{self.formula} ({want} at.%); allowed: within 0.5 at.%")
        if self.molar_mass_g_mol is not None:
            m = formula_mass_g_mol(atoms)
            if abs(self.molar_mass_g_mol - m) > MOLAR_MASS_TOLERANCE_FRAC * m:
                raise ValueError(f"molar_mass_g_mol {self.molar_mass_g_mol:g} g/mol disagrees with the formula "
                                 f"{self.formula} ({m:.2f} g/mol from standard atomic weights); allowed: within "
                                 f"{100 * MOLAR_MASS_TOLERANCE_FRAC:g} %")
        return self

    def element_mass_fractions(self) -> dict[str, float] | None:
        """Element symbol -> kg per kg of this material, or ``None`` when it cannot be computed.

        An alloy's from its ``composition_at_pct`` (In0.38Sn0.33Bi0.29: In 0.3042, Sn 0.2732,
        Bi 0.4226); anything else from its ``formula`` (Li6PS5Cl: Li 0.1552). ``None`` for a
        material without either (laminates, tabs with sealant) or whose formula has an element
        without an atomic mass in :data:`~pouchline.recipe.conversions.ATOMIC_MASS_G_MOL`.
        """
        if self.composition_at_pct:
            return atomic_to_weight_fractions(self.composition_at_pct)
        if not self.formula:
            return None
        atoms = formula_atoms(self.formula)
        if any(el not in ATOMIC_MASS_G_MOL for el in atoms):
            return None
        return mass_fractions_from_atoms(atoms)

    def composition_gap(self) -> str | None:
        """Why :meth:`element_mass_fractions` is ``None`` (a sentence), or ``None`` when it is not."""
        if self.composition_at_pct:
            return None
        if not self.formula:
            return "no formula or alloy composition (a mixture); not resolved to elements"
        missing = sorted(el for el in formula_atoms(self.formula) if el not in ATOMIC_MASS_G_MOL)
        if missing:
            return (f"formula {self.formula} has {', '.join(missing)}, which pouchline has no atomic mass for; "
                    "not resolved to elements")
        return None

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


SupplyStage = Literal["mine", "refinery", "smelter", "all_forms", "feedstock"]


class WorldProduction(_Sourced):
    """World production of one element in one year, tonnes of contained element per year.

    ``stage`` says what is counted: ``mine`` (element content of mine output), ``refinery`` or
    ``smelter`` (refined metal), ``all_forms`` (every recovered form, as USGS counts sulfur) or
    ``feedstock`` (the raw material pool a synthetic material is made from).
    """

    value_t_per_yr: float = Field(gt=0, le=1e11, description="t/yr of contained element")
    stage: SupplyStage


class WorldReserves(_Sourced):
    """World reserves of one element, tonnes of contained element."""

    value_t: float = Field(gt=0, le=1e15, description="t of contained element")


class ElementSupply(BaseModel):
    """The world supply of one chemical element: annual production and reserves."""

    model_config = _CONFIG

    symbol: str
    name: str
    world_production: WorldProduction | None = None
    world_reserves: WorldReserves | None = None
    notes: str | None = None

    @field_validator("symbol")
    @classmethod
    def _is_element(cls, v: str) -> str:
        if v not in ELEMENT_SYMBOLS:
            raise ValueError(f"{v!r} is not a chemical element symbol (e.g. In, Li, Co)")
        return v


class MaterialLibrary(BaseModel):
    """All materials, by id, and the world supply of their elements."""

    model_config = _CONFIG

    id: str = "materials"
    revision: str = "A"
    materials: list[Material]
    elements: list[ElementSupply] = Field(default_factory=list)

    @field_validator("materials", "elements")
    @classmethod
    def _unique(cls, v: list, info: ValidationInfo) -> list:
        what, key = ("material id", "id") if info.field_name == "materials" else ("element symbol", "symbol")
        seen: set[str] = set()
        for item in v:
            k = getattr(item, key)
            if k in seen:
                raise ValueError(f"{what} {k!r} appears twice")
            seen.add(k)
        return v

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

    def element(self, symbol: str) -> ElementSupply | None:
        """The world-supply entry of an element, or ``None`` when the library has none."""
        return next((e for e in self.elements if e.symbol == symbol), None)


DEFAULT_MATERIALS_PATH = Path(__file__).resolve().parents[2] / "recipes" / "materials.yaml"
