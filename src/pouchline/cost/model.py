"""What one good cell and one kWh cost: materials with scrap, and a process cost in the manner of
Argonne's BatPaC (direct labour, energy, equipment depreciation, building, overhead).

Pure functions: no file I/O, rates and materials passed in, so sweeps can call :func:`cost_cell`
thousands of times.

**Scrap (loss-rate form).** Step ``k`` loses a fraction ``s_k`` of the units it starts (yield
``1 - s_k``). A material consumed at step ``k`` is bought for every unit started at ``k``::

    units started at k per good cell  F_k = 1 / prod_{j >= k} (1 - s_j)

over ``k``'s own branch (anode, electrolyte film, cathode) and the assembly steps after the branches
merge at stacking (``convention="branch"``, the default: the plant is not serial).
``convention="serial"`` counts every later step in route order (it charges a scrapped film to the
anode made for it).

**Process cost.** Without a line, the plant is the line :mod:`pouchline.plant` sizes for the annual
volume (``CostRates.plant``); with a line, its stations, machines and throughput (simulated or from
the bottleneck). Every station's machines are entries of the equipment catalogue; capex, floor and
crew scale with the machine's capacity (BatPaC's manner). Annual costs divided by annual good
cells give the cost per good cell, so scrap also raises the process cost. Pressure fixtures in
circulation (cells in clamping and formation) are capex; a price adds BatPaC's layers.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping, Protocol, Sequence

from pouchline.cost.rates import CostRates
from pouchline.equipment import Catalogue, Machine, default_catalogue
from pouchline.materials import Material, MaterialLibrary, Role
from pouchline.plant.design import (
    atmosphere_kind,
    basis_per_unit,
    capacity_ratio,
    formation_hours,
    machine_figures,
    passes_mismatch,
    start_factors,
    step_branch,
    step_passes,
)
from pouchline.plant.design import step_yields as catalogue_step_yields
from pouchline.recipe.conversions import atomic_to_weight_fractions

CATEGORIES: tuple[str, ...] = ("materials", "labour", "energy", "depreciation", "building", "overhead")
COMPONENTS: tuple[str, ...] = ("cathode", "electrolyte_film", "anode", "pouch", "tabs", "fixture", "other")
HOURS_PER_YEAR = 8760.0


class CellLike(Protocol):
    """What the cost model reads from :func:`pouchline.cell.size_cell`'s result."""

    layers: int
    capacity_Ah: float
    energy_Wh: float
    materials_g: Mapping[str, float]
    fixture_materials_g: Mapping[str, float]
    materials_by_step_g: Mapping[str, Mapping[str, float]]


# ------------------------------------------------------------------------------------------------
# result objects
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MaterialLine:
    """One material consumed at one step, per good cell."""

    material_id: str
    name: str
    step_id: str
    component: str
    g_per_cell: float  # consumed at the step for one unit (no scrap)
    start_factor: float  # units started at the step per good cell
    price_unit: str  # USD/kg, USD/m2 or USD/each
    unit_price: float  # in price_unit
    price_per_kg: float
    uom: str  # kg, m2 or ea: the unit the price is quoted in
    qty_per_cell: float  # g_per_cell in uom
    cost_usd_per_cell: float  # g_per_cell x start_factor x price
    price_year: int
    price_source: str
    via: str | None = None  # the alloy a feedstock is bought for
    note: str = ""

    @property
    def g_per_good_cell(self) -> float:
        return self.g_per_cell * self.start_factor

    @property
    def scrap_allowance(self) -> float:
        """Extra bought over the net quantity: F - 1 (input = output x (1 + a))."""
        return self.start_factor - 1.0


@dataclass(frozen=True)
class AlloyUse:
    """An alloy made in-house from feedstock: how much a cell uses and where."""

    alloy_id: str
    name: str
    g_per_cell: float
    make_step_id: str | None  # the alloy_preparation step
    use_step_id: str | None  # the step that consumes the alloy (casting)
    start_factor: float  # units started at the use step per good cell
    weight_fractions: Mapping[str, float]  # feedstock material id -> kg per kg of alloy
    library_price_usd_kg: float | None  # the library's derived price, a cross-check only
    feedstock_price_usd_kg: float | None  # what the feedstock costs per kg of alloy


@dataclass(frozen=True)
class StationCost:
    """One station of the costed plant."""

    name: str
    step_id: str
    kind: str  # the recipe step kind
    machines: int
    basis: str
    units_per_cell: float  # basis units per unit started (kg, m2, layers, ...)
    capacity_per_machine_h: float  # basis units per machine-hour (after availability)
    demand_per_h: float  # basis units started per scheduled hour
    utilization: float
    capex_usd: float  # machines (and their gloveboxes or dry-room share)
    operators_per_shift: float
    power_kW: float
    atmosphere: str  # air, glovebox or dry_room
    floor_m2: float
    source: str  # "default plant" or "line"
    machine_id: str = ""  # equipment catalogue entry
    machine_class: str = ""
    capacity_ratio: float = 1.0  # machine capacity / the entry's reference capacity
    visits: int = 1  # ceil(passes / stands)
    entry_chosen: str = ""  # "named in the line" or "nearest in capacity"


@dataclass(frozen=True)
class CostLine:
    """One process cost line per good cell."""

    category: str
    item: str
    usd_per_cell: float
    basis: str


@dataclass(frozen=True)
class Assumption:
    topic: str
    text: str
    source: str = ""


@dataclass(frozen=True)
class CostResult:
    """The cost of one good cell and one kWh, with its breakdown."""

    recipe_id: str
    recipe_revision: str
    prices: str
    scrap_convention: str
    layers: int
    capacity_Ah: float
    energy_Wh: float
    cost_per_cell_usd: float
    cost_per_kWh_usd: float
    material_cost_per_cell_usd: float
    material_cost_per_kWh_usd: float
    jellyroll_material_cost_per_kWh_usd: float
    breakdown_usd_per_cell: dict[str, float]
    materials_usd_per_cell: dict[str, float]
    components_usd_per_cell: dict[str, float]
    material_lines: tuple[MaterialLine, ...]
    alloys: tuple[AlloyUse, ...]
    process_lines: tuple[CostLine, ...]
    step_yields: dict[str, float]
    step_yield_sources: dict[str, str]
    start_factors: dict[str, float]
    rolled_throughput_yield: float
    plant_mode: str  # "default" or "line"
    line_name: str | None
    annual_good_cells: float
    scheduled_h_per_year: float
    good_cells_per_h: float
    stations: tuple[StationCost, ...]
    capex_usd: float
    rates_used: dict[str, float]
    include_fixture: bool
    assumptions: tuple[Assumption, ...]
    fixture_cost_per_cell_usd: float = 0.0  # the pressure fixture per cell, whether included or not
    line_kpis: dict[str, Any] | None = None
    price_per_cell_usd: float = math.nan  # cost with BatPaC's R&D, profit and warranty
    price_per_kWh_usd: float = math.nan
    price_layers_usd_per_cell: dict[str, float] = field(default_factory=dict)
    investment_usd: dict[str, float] = field(default_factory=dict)
    fixtures_in_circulation: int = 0
    fixture_cells_in_circulation: float = 0.0
    electricity_MWh_per_yr: float = 0.0
    labour_h_per_yr: float = 0.0
    operators_per_shift: float = 0.0
    floor_m2: float = 0.0  # building floor (machine footprints x building_area_factor)
    dry_room_m2: float = 0.0  # of which dry room
    plant_line: Any = None  # the line costed (the sized line of the default plant)
    volume_basis: str = ""  # what set annual_good_cells (the requested volume, the simulated output, ...)

    @property
    def energy_kWh(self) -> float:
        return self.energy_Wh / 1000.0

    @property
    def process_cost_per_cell_usd(self) -> float:
        return self.cost_per_cell_usd - self.material_cost_per_cell_usd

    @property
    def process_cost_per_kWh_usd(self) -> float:
        return self.process_cost_per_cell_usd / self.energy_kWh if self.energy_kWh > 0 else math.nan

    @property
    def equipment_capex_usd(self) -> float:
        return sum(s.capex_usd for s in self.stations)

    @property
    def annual_MWh(self) -> float:
        return self.annual_good_cells * self.energy_Wh / 1e6

    def per_kWh(self, usd_per_cell: float) -> float:
        return usd_per_cell / self.energy_kWh if self.energy_kWh > 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (what ``pouchline cost --json`` prints)."""
        return {
            "recipe": self.recipe_id,
            "recipe_revision": self.recipe_revision,
            "prices": self.prices,
            "layers": self.layers,
            "capacity_Ah": self.capacity_Ah,
            "energy_Wh": self.energy_Wh,
            "cost_per_cell_usd": self.cost_per_cell_usd,
            "cost_per_kWh_usd": self.cost_per_kWh_usd,
            "material_cost_per_cell_usd": self.material_cost_per_cell_usd,
            "material_cost_per_kWh_usd": self.material_cost_per_kWh_usd,
            "process_cost_per_cell_usd": self.process_cost_per_cell_usd,
            "process_cost_per_kWh_usd": self.process_cost_per_kWh_usd,
            "price_per_cell_usd": self.price_per_cell_usd,
            "price_per_kWh_usd": self.price_per_kWh_usd,
            "price_layers_usd_per_cell": dict(self.price_layers_usd_per_cell),
            "jellyroll_material_cost_per_kWh_usd": self.jellyroll_material_cost_per_kWh_usd,
            "include_fixture": self.include_fixture,
            "fixture_cost_per_cell_usd": self.fixture_cost_per_cell_usd,
            "fixture_cost_per_kWh_usd": self.per_kWh(self.fixture_cost_per_cell_usd),
            "breakdown_usd_per_cell": dict(self.breakdown_usd_per_cell),
            "breakdown_usd_per_kWh": {k: self.per_kWh(v) for k, v in self.breakdown_usd_per_cell.items()},
            "materials_usd_per_cell": dict(self.materials_usd_per_cell),
            "materials_usd_per_kWh": {k: self.per_kWh(v) for k, v in self.materials_usd_per_cell.items()},
            "components_usd_per_cell": dict(self.components_usd_per_cell),
            "process_lines": [asdict(p) for p in self.process_lines],
            "material_lines": [{**asdict(m), "g_per_good_cell": m.g_per_good_cell} for m in self.material_lines],
            "scrap_convention": self.scrap_convention,
            "step_yields": dict(self.step_yields),
            "start_factors": dict(self.start_factors),
            "rolled_throughput_yield": self.rolled_throughput_yield,
            "plant": {
                "mode": self.plant_mode,
                "line": self.line_name,
                "volume_basis": self.volume_basis,
                "annual_good_cells": self.annual_good_cells,
                "annual_MWh": self.annual_MWh,
                "scheduled_h_per_year": self.scheduled_h_per_year,
                "good_cells_per_h": self.good_cells_per_h,
                "capex_usd": self.capex_usd,
                "equipment_capex_usd": self.equipment_capex_usd,
                "investment_usd": dict(self.investment_usd),
                "fixtures_in_circulation": self.fixtures_in_circulation,
                "fixture_cells_in_circulation": self.fixture_cells_in_circulation,
                "electricity_MWh_per_yr": self.electricity_MWh_per_yr,
                "labour_h_per_yr": self.labour_h_per_yr,
                "operators_per_shift": self.operators_per_shift,
                "floor_m2": self.floor_m2,
                "dry_room_m2": self.dry_room_m2,
                "stations": [asdict(s) for s in self.stations],
            },
            "assumptions": [asdict(a) for a in self.assumptions],
        }


# ------------------------------------------------------------------------------------------------
# steps: branches, yields, start factors
# ------------------------------------------------------------------------------------------------
def _mapping(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    raise TypeError(f"line_kpis must be a mapping or have to_dict(), not {type(obj).__name__}")


def resolve_step_yields(
    recipe: Any,
    rates: CostRates,
    *,
    step_yields: Mapping[str, float] | None = None,
    line: Any = None,
    line_kpis: Mapping[str, Any] | None = None,
    maturity: str | None = None,
    catalogue: Catalogue | None = None,
) -> tuple[dict[str, float], dict[str, str]]:
    """Yield (1 - loss rate) of every recipe step and where it comes from.

    Precedence: ``step_yields`` given by the caller, the simulation's measured ``yield_per_step``,
    the line's station scrap rates (stations of one step multiply), then the rates file's
    ``default_step_yield`` for the step id, the equipment catalogue's yield of the step kind
    (pilot or mature), then 100 %.
    """
    maturity = maturity or rates.plant.yield_maturity
    defaults, dsrc = catalogue_step_yields(recipe, catalogue or default_catalogue(), maturity, rates)
    kpis = _mapping(line_kpis)
    measured = dict((kpis or {}).get("yield_per_step") or {})
    from_line: dict[str, float] = {}
    if line is not None:
        for st in line.stations:
            from_line[st.step] = from_line.get(st.step, 1.0) * (1.0 - float(st.scrap_rate))
    out: dict[str, float] = {}
    src: dict[str, str] = {}
    for s in recipe.steps:
        if step_yields is not None and s.id in step_yields:
            out[s.id], src[s.id] = float(step_yields[s.id]), "user: given to the cost model"
        elif s.id in measured and measured[s.id] is not None and math.isfinite(measured[s.id]):
            out[s.id], src[s.id] = float(measured[s.id]), "derived: measured in the line simulation"
        elif s.id in from_line:
            out[s.id], src[s.id] = from_line[s.id], f"line {getattr(line, 'name', '')}: station scrap_rate"
        else:
            out[s.id], src[s.id] = defaults[s.id], dsrc[s.id]
        if not 0.0 < out[s.id] <= 1.0:
            raise ValueError(f"step {s.id}: yield {out[s.id]!r} is not in (0, 1]")
    return out, src


def trim_multipliers(recipe: Any, trim: Mapping[str, float]) -> dict[str, float]:
    """Step id -> web-trim multiplier of the materials consumed at that step.

    One web runs through a branch (cast, quench, roll; or mix, calender): the extra width a later
    station needs is already there earlier, so trims do not compound. The multiplier of step k
    is the largest trim at step k or after it in k's own branch (1 for assembly steps).
    """
    steps = list(recipe.steps)
    out: dict[str, float] = {}
    for k, s in enumerate(steps):
        b = step_branch(s)
        if b is None:
            out[s.id] = 1.0
            continue
        out[s.id] = max([trim.get(t.id, 1.0) for t in steps[k:] if step_branch(t) == b] or [1.0])
    return out


def web_trim_factors(line: Any) -> dict[str, float]:
    """Step id -> web area used per unit of output / area in the cell (the line's ``area_factor``).

    Only stations given as web rates have one; stations of one step multiply. Empty without a line.
    """
    out: dict[str, float] = {}
    for st in getattr(line, "stations", None) or ():
        f = float(getattr(st, "area_factor", 1.0) or 1.0)
        if f != 1.0 and (getattr(st, "rate_m_min", None) is not None or getattr(st, "rate_m2_h", None) is not None):
            out[st.step] = out.get(st.step, 1.0) * f
    return out


# ------------------------------------------------------------------------------------------------
# materials
# ------------------------------------------------------------------------------------------------
def _uom(m: Material) -> tuple[str, float]:
    """Unit of measure of a material's price and how many of it one gram is."""
    unit = m.price.unit
    if unit == "USD/m2" and m.areal_density_g_m2:
        return "m2", 1.0 / m.areal_density_g_m2
    if unit == "USD/each" and m.mass_per_each_g:
        return "ea", 1.0 / m.mass_per_each_g
    return "kg", 1e-3


def alloy_feedstock_fractions(alloy: Material, materials: MaterialLibrary,
                              candidates: Sequence[str] = ()) -> dict[str, float] | None:
    """Feedstock material id -> kg per kg of alloy, from the alloy's atomic composition.

    An element maps to the library material whose ``formula`` is its symbol (the alloy step's
    inputs first). ``None`` when the alloy has no composition or an element has no material.
    """
    if not alloy.composition_at_pct:
        return None
    try:
        wt = atomic_to_weight_fractions(alloy.composition_at_pct)
    except KeyError:
        return None
    pool = [materials[c] for c in candidates if c in materials] + [
        m for m in materials.materials if m.role == Role.feedstock]
    out: dict[str, float] = {}
    for el, w in wt.items():
        mat = next((m for m in pool if (m.formula or "") == el), None)
        if mat is None:
            return None
        out[mat.id] = out.get(mat.id, 0.0) + w
    return out


def _price(m: Material, prices: str, overrides: Mapping[str, float] | None) -> float:
    if overrides and m.id in overrides:
        return float(overrides[m.id])
    return m.price.value(prices)


def _price_per_kg(m: Material, unit_price: float) -> float:
    uom, per_g = _uom(m)
    return unit_price * per_g * 1000.0


def _component(m: Material, step: Any, recipe: Any, fixture_ids: set[str]) -> str:
    if m.id in fixture_ids or m.role == Role.fixture:
        return "fixture"
    if m.role == Role.packaging:
        return "pouch"
    if m.role == Role.tab:
        return "tabs"
    pk = recipe.cell.packaging
    if m.id == pk.anode_collector.material:
        return "anode"
    if pk.cathode_collector is not None and m.id == pk.cathode_collector.material:
        return "cathode"
    return step_branch(step) or "other"


def _default_step_for(m: Material, recipe: Any, fixture_ids: set[str]) -> Any:
    """The step a material is costed at when the cell format does not say where it is consumed."""
    steps = list(recipe.steps)
    for s in steps:
        if m.id in s.inputs:
            return s
    pk = recipe.cell.packaging

    def first(kinds: Iterable[str]) -> Any:
        kinds = set(kinds)
        return next((s for s in steps if s.kind in kinds), None)

    if m.id in fixture_ids or m.role == Role.fixture:
        found = first(["clamping"])
    elif m.role in (Role.packaging, Role.tab):
        found = first(["sealing"])
    elif m.id == pk.anode_collector.material:
        found = first(["melt_cast"])
    elif pk.cathode_collector is not None and m.id == pk.cathode_collector.material:
        found = first(["hot_rolling", "cathode_blending"])
    else:
        found = None
    return found or steps[0]


def _use_step(recipe: Any, alloy_id: str) -> str | None:
    """The step that consumes an alloy (the casting step names it as ``alloy``)."""
    return next((s.id for s in recipe.steps if getattr(s, "alloy", None) == alloy_id), None)


@dataclass
class _MaterialPlan:
    lines: list[MaterialLine]
    alloys: list[AlloyUse]
    notes: list[Assumption]


def material_lines(
    recipe: Any,
    materials: MaterialLibrary,
    cell: CellLike,
    factors: Mapping[str, float],
    *,
    prices: str = "base",
    price_overrides: Mapping[str, float] | None = None,
    include_fixture: bool = False,
) -> _MaterialPlan:
    """Every material bought per good cell, by the step that consumes it.

    Alloys made in-house (the ``product`` of an ``alloy_preparation`` step) are priced from their
    feedstock at its library prices and weight fractions, so that the indium price drives the
    cost; the alloy's own library price is only a cross-check.
    """
    steps = {s.id: s for s in recipe.steps}
    first_step = recipe.steps[0]
    by_step: dict[str, dict[str, float]] = {k: dict(v) for k, v in (cell.materials_by_step_g or {}).items()}
    fixture_g = fixture_per_cell_g(cell)  # the fixture's material over the cells it holds
    fixture_ids = set(fixture_g)
    made = {s.product: s for s in recipe.steps if s.kind == "alloy_preparation" and getattr(s, "product", None)}
    notes: list[Assumption] = []

    lines: list[MaterialLine] = []
    consumed: dict[str, float] = defaultdict(float)  # material id -> g accounted (alloys as alloy g)
    alloy_use: dict[str, tuple[str | None, float]] = {}  # alloy id -> (use step, g)

    def add(mid: str, step: Any, g: float, via: str | None = None, note: str = "") -> None:
        m = materials[mid]
        up = _price(m, prices, price_overrides)
        uom, per_g = _uom(m)
        pkg = _price_per_kg(m, up)
        f = factors.get(step.id, 1.0)
        pp = getattr(m.price, prices)
        lines.append(MaterialLine(
            material_id=mid, name=m.name, step_id=step.id, component=_component(m, step, recipe, fixture_ids),
            g_per_cell=g, start_factor=f, price_unit=m.price.unit, unit_price=up, price_per_kg=pkg,
            uom=uom, qty_per_cell=g * per_g, cost_usd_per_cell=g * f * pkg / 1000.0,
            price_year=pp.year, price_source=(pp.source if not (price_overrides and mid in price_overrides)
                                              else "user: price override"),
            via=via, note=note))

    fractions: dict[str, dict[str, float] | None] = {}

    def feedstock(alloy_id: str) -> dict[str, float] | None:
        if alloy_id not in fractions:
            mk = made.get(alloy_id)
            fractions[alloy_id] = alloy_feedstock_fractions(materials[alloy_id], materials,
                                                            list(mk.inputs) if mk is not None else [])
        return fractions[alloy_id]

    feed_listed = {aid: any(mid in by_step.get(mk.id, {}) for mid in (feedstock(aid) or {}))
                   for aid, mk in made.items()}

    unknown_steps = [sid for sid in by_step if sid not in steps]
    for sid in unknown_steps:
        notes.append(Assumption("materials", f"the cell format lists materials at step {sid!r}, which the recipe "
                                f"does not have; costed as consumed at the first step ({first_step.id})",
                                "assumed: pouchline.cost"))
    feed_g: dict[str, float] = defaultdict(float)  # alloy id -> feedstock g listed at its make step
    order = [s.id for s in recipe.steps] + unknown_steps
    for sid in order:
        step = steps.get(sid, first_step)
        for mid, g in by_step.get(sid, {}).items():
            if g is None or g <= 0:
                continue
            if not include_fixture and mid in fixture_ids:
                continue
            if mid not in materials:
                raise KeyError(f"the cell format consumes {mid!r} at step {sid}, which is not in the materials library")
            if mid in made:
                alloy_use.setdefault(mid, (sid, 0.0))
                alloy_use[mid] = (alloy_use[mid][0], alloy_use[mid][1] + g)
                consumed[mid] += g
                if feed_listed.get(mid):
                    continue  # its feedstock is listed where the alloy is made
                fr = feedstock(mid)
                if fr is None:
                    add(mid, step, g, note="priced at the library's alloy price: no feedstock composition")
                    continue
                mk = made[mid]
                at = mk if recipe.step_ids.index(mk.id) <= recipe.step_ids.index(step.id) else step
                for fid, w in fr.items():
                    add(fid, at, g * w, via=mid)
                continue
            # feedstock listed where an alloy is made is bought for that alloy
            via = next((aid for aid, mk in made.items() if sid == mk.id and mid in (feedstock(aid) or {})), None)
            add(mid, step, g, via=via)
            consumed[via or mid] += g
            if via is not None:
                feed_g[via] += g

    for aid, g in feed_g.items():
        if aid not in alloy_use:
            alloy_use[aid] = (_use_step(recipe, aid), g)

    # what the cell holds but no step consumes: cost it at its most plausible step
    wanted = dict(cell.materials_g or {})
    if include_fixture:
        for mid, g in fixture_g.items():
            wanted[mid] = max(wanted.get(mid, 0.0), g) if mid in wanted else g
    else:
        for mid in fixture_ids:
            wanted.pop(mid, None)
    for mid, g in wanted.items():
        if g is None or g <= 0:
            continue
        rest = g - consumed.get(mid, 0.0)
        if rest <= 1e-9 * max(1.0, g):
            continue
        if mid not in materials:
            raise KeyError(f"the cell holds {mid!r}, which is not in the materials library")
        m = materials[mid]
        if mid in made:
            mk = made[mid]
            fr = feedstock(mid)
            alloy_use.setdefault(mid, (_use_step(recipe, mid), 0.0))
            alloy_use[mid] = (alloy_use[mid][0], alloy_use[mid][1] + rest)
            if fr is None:
                add(mid, mk, rest, note="priced at the library's alloy price: no feedstock composition")
            else:
                for fid, w in fr.items():
                    add(fid, mk, rest * w, via=mid)
            continue
        step = _default_step_for(m, recipe, fixture_ids)
        if mid in fixture_ids:
            add(mid, step, rest, note=f"pressure fixture, costed as consumed at {step.id}")
            continue
        note = f"{rest:.4g} g per cell not assigned to a step by the cell format; costed as consumed at {step.id}"
        add(mid, step, rest, note=note)
        notes.append(Assumption("materials", f"{mid}: {note}", "assumed: pouchline.cost"))

    alloys: list[AlloyUse] = []
    for aid, (use_sid, g) in alloy_use.items():
        m = materials[aid]
        mk = made.get(aid)
        fr = feedstock(aid) if mk is not None else None
        feed_price = None
        if fr:
            feed_price = sum(w * _price_per_kg(materials[fid], _price(materials[fid], prices, price_overrides))
                             for fid, w in fr.items())
        f_use = factors.get(use_sid, factors.get(mk.id, 1.0) if mk else 1.0) if use_sid else (
            factors.get(mk.id, 1.0) if mk else 1.0)
        alloys.append(AlloyUse(
            alloy_id=aid, name=m.name, g_per_cell=g, make_step_id=mk.id if mk else None, use_step_id=use_sid,
            start_factor=f_use, weight_fractions=dict(fr or {}),
            library_price_usd_kg=_price(m, prices, None) if m.price.unit == "USD/kg" else None,
            feedstock_price_usd_kg=feed_price))
    return _MaterialPlan(lines=lines, alloys=alloys, notes=notes)


# ------------------------------------------------------------------------------------------------
# the plant
# ------------------------------------------------------------------------------------------------
def electrode_area_cm2(cell: Any, recipe: Any) -> float:
    """Electrode (cathode sheet) area of one layer: the cell format's, else the recipe's."""
    for attr in ("electrode_area_cm2", "layer_area_cm2", "area_cm2"):
        v = getattr(cell, attr, None)
        if isinstance(v, (int, float)) and v > 0:
            return float(v)
    return float(recipe.cell.packaging.electrode_area_cm2)


@dataclass
class _Plant:
    mode: str
    stations: list[StationCost]
    annual_good_cells: float
    scheduled_h: float
    line_name: str | None
    notes: list[Assumption] = field(default_factory=list)
    fixture_cells_in_circulation: float = 0.0
    fixture_cells_how: str = ""
    fixtures: int | None = None  # the line's fixture pool (carriers), when it has one
    line: Any = None
    annual_how: str = ""  # what sets the annual volume: the plant's volume, the simulation, the bottleneck


def _nearest_entry(catalogue: Catalogue, step: Any, cell: Any, recipe: Any, units_h: float) -> tuple[str, Machine]:
    """The catalogue entry of the step's kind whose reference capacity is nearest (in log) to a machine
    making ``units_h`` units per hour."""
    best = None
    for mid, m in catalogue.for_kind(step.kind).items():
        try:
            b = basis_per_unit(m, step, cell, recipe)
        except (ValueError, ZeroDivisionError):
            continue
        if not b > 0:
            continue
        r = capacity_ratio(m, units_h, b, m.visits(step_passes(step)))
        d = abs(math.log(r)) if r > 0 else math.inf
        if best is None or d < best[0]:
            best = (d, mid, m)
    if best is None:
        raise ValueError(f"step {step.id}: the equipment catalogue has no machine for step kind {step.kind!r}")
    return best[1], best[2]


def line_plant(recipe: Any, cell: CellLike, rates: CostRates, rv: Mapping[str, float],
               factors: Mapping[str, float], line: Any, kpis: Mapping[str, Any] | None, *,
               catalogue: Catalogue | None = None, annual_good_cells: float | None = None,
               annual_how: str | None = None, mode: str = "line") -> _Plant:
    """The line's stations costed from their catalogue entries; throughput from the simulation,
    ``annual_good_cells`` or else the bottleneck rate.

    A station's entry is its ``equipment`` or, without one, the entry of its step kind nearest in
    capacity. Capex, footprint and crew of a machine scale with its capacity over the entry's
    (:func:`pouchline.plant.design.machine_figures`).
    """
    catalogue = catalogue or default_catalogue()
    line.validate_steps(recipe.step_ids, source=getattr(line, "name", "line"))
    cal = getattr(line, "calendar", None)
    sched = (cal.scheduled_h_per_week * 365.0 / 7.0) if cal is not None else HOURS_PER_YEAR
    area_cm2 = electrode_area_cm2(cell, recipe) * cell.layers
    specs = {sp.name: sp for sp in line.station_specs(area_per_cell_cm2=area_cm2)}
    zones = getattr(line, "zones", {}) or {}
    sim_st = {d.get("name"): d for d in (kpis or {}).get("stations", []) or [] if isinstance(d, Mapping)}
    notes: list[Assumption] = []
    steps = {s.id: s for s in recipe.steps}
    if annual_good_cells is not None:
        annual, how = float(annual_good_cells), annual_how or "given"
    elif kpis and kpis.get("good_units_per_year"):
        annual = float(kpis["good_units_per_year"])
        how = "measured in the line simulation"
    elif kpis and kpis.get("throughput_units_per_h"):
        annual = float(kpis["throughput_units_per_h"]) * sched
        how = "simulated throughput x scheduled hours"
    else:
        limits = [sp.capacity_units_per_h / factors.get(sp.step, 1.0) for sp in specs.values()]
        annual = min(limits) * sched if limits else 0.0
        how = "bottleneck: min over stations of capacity / units started per good cell"
    if not annual > 0:
        raise ValueError(f"line {line.name}: no good cells per year ({annual!r}); cannot spread annual costs")
    good_h = annual / sched
    labour_x = rv.get("operators_per_station_shift", 1.0)
    stations: list[StationCost] = []
    fixture_cells = 0.0
    for st in line.stations:
        step = steps[st.step]
        sp = specs[st.name]
        units_h = sp.rate_units_per_h / max(1, sp.machines)
        mid = getattr(st, "equipment", None)
        if mid:
            m = catalogue.entry(mid, source=str(getattr(line, "name", "")), field=f"stations.{st.name}.equipment")
            if m.kind != step.kind:
                raise ValueError(f"line {line.name}: station {st.name} names {mid!r}, a {m.kind} machine, for step "
                                 f"{step.id} of kind {step.kind}")
            chosen = "named in the line"
        else:
            mid, m = _nearest_entry(catalogue, step, cell, recipe, units_h)
            chosen = "nearest in capacity"
        b = basis_per_unit(m, step, cell, recipe)
        wrong = passes_mismatch(st, step)
        if wrong is not None:
            raise ValueError(f"line {line.name}: {wrong}")
        visits = sp.visits  # ceil(passes / stands) of the station: the machine time the simulation runs
        ratio = capacity_ratio(m, units_h, b, visits)
        fig = machine_figures(catalogue, m, ratio, capex_usd=rv.get(f"equipment.{mid}.capex_usd"),
                              power_kW=rv.get(f"equipment.{mid}.power_kW"),
                              footprint_m2=getattr(st, "footprint_m2", None), labour_multiplier=labour_x)
        zone = zones.get(st.zone) if st.zone else None
        zkind = getattr(zone, "kind", None)
        atm = ("glovebox" if zkind == "glovebox" else "dry_room" if zkind == "dry_room" else
               "air" if zkind is not None else atmosphere_kind(recipe, step))
        n = int(st.machines)
        capex_m = fig.capex_usd + (rv["glovebox_capex_usd_per_station"] if atm == "glovebox" else
                                   rv["dry_room_capex_usd_per_station"] if atm == "dry_room" else 0.0)
        demand = good_h * factors.get(step.id, 1.0)
        cap_m = sp.capacity_units_per_h / max(1, sp.machines)
        util = sim_st.get(st.name, {}).get("utilization")
        if step.kind in ("clamping", "formation"):
            fixture_cells += demand * sp.cycle_time_s / 3600.0  # Little's law: L = lambda W
        stations.append(StationCost(
            name=st.name, step_id=step.id, kind=step.kind, machines=n, basis=m.rate.unit, units_per_cell=b * visits,
            capacity_per_machine_h=cap_m, demand_per_h=demand,
            utilization=float(util) if util is not None else (demand / (n * cap_m) if n and cap_m > 0 else 0.0),
            capex_usd=n * capex_m, operators_per_shift=n * fig.operators_per_shift, power_kW=n * fig.power_kW,
            atmosphere=atm, floor_m2=n * fig.footprint_m2, source=f"{'default plant' if mode == 'default' else 'line'} "
            f"{line.name}", machine_id=mid, machine_class=m.machine_class, capacity_ratio=ratio, visits=visits,
            entry_chosen=chosen))
    fx_how = "Little's law: good cells/h x units started per good cell x hours in clamping and formation"
    if sim_st:
        wip = [float(d.get("wip_units") or 0.0) for d in sim_st.values()
               if steps.get(d.get("step")) is not None and steps[d.get("step")].kind in ("clamping", "formation")]
        if wip:
            fixture_cells, fx_how = sum(wip), "work in progress at clamping and formation, measured in the line simulation"
    fixtures, fixture_cells, fx_how = fixture_pool(line, steps, kpis, fixture_cells, fx_how)
    missing = [s.id for s in recipe.steps if s.id not in {st.step for st in line.stations}]
    if missing:
        notes.append(Assumption("plant", f"line {line.name} has no station for step(s) {', '.join(missing)}: "
                                "no labour, energy or capex is costed for them", "assumed: pouchline.cost"))
    what = "the sized plant" if mode == "default" else f"line {line.name}"
    notes.insert(0, Assumption(
        "plant", f"{what}: {annual:,.0f} good cells/yr ({how}); {sched:,.0f} scheduled h/yr from its calendar; each "
        "station's machines from the equipment catalogue, capex, floor and crew scaled with the machine's capacity over "
        "the entry's (exponents of the catalogue)", getattr(line, "source", None) or ""))
    return _Plant(mode, stations, annual, sched, None if mode == "default" else line.name, notes, fixture_cells,
                  fx_how, fixtures, line, how)


def fixture_pool(line: Any, steps: Mapping[str, Any], kpis: Mapping[str, Any] | None, cells: float,
                 how: str) -> tuple[int | None, float, str]:
    """The fixtures a plant pays for: ``(fixtures or None, cells in fixtures, how)``.

    A line whose carrier pool starts at a clamping station owns that pool: the plant buys every one of
    its ``count`` fixtures (a pool at the mean in use would make cells wait for one about half the
    time), whatever the simulation says it needs; the simulation's ``carriers_needed`` (Little's law
    on the loop) is quoted beside it. Without a pool, ``cells`` (the simulated WIP at clamping and
    formation, or Little's law on paper) over the cells one fixture holds.
    """
    by_name = {st.name: st for st in line.stations}
    pools = [(cid, p) for cid, p in (getattr(line, "carriers", None) or {}).items()
             if getattr(steps.get(getattr(by_name.get(p.from_station), "step", None)), "kind", None) == "clamping"]
    if not pools:
        return None, cells, how
    sim = {c.get("name"): c for c in (kpis or {}).get("carriers", []) or [] if isinstance(c, Mapping)}
    count = sum(p.count for _, p in pools)
    slots = sum(p.slots for _, p in pools)
    text = "; ".join(f"pool {cid}: {p.count:,} fixtures of {p.units_per_carrier} cell(s)" for cid, p in pools)
    needed = [sim[cid].get("carriers_needed") for cid, _ in pools if cid in sim]
    if needed and all(isinstance(x, (int, float)) for x in needed):
        text += f" ({sum(needed):,.0f} in use on average in the simulation, Little's law)"
    return count, float(slots), f"the line's fixture pool ({text}): the plant buys the whole pool"


def default_plant(recipe: Any, cell: CellLike, rates: CostRates, rv: Mapping[str, float],
                  factors: Mapping[str, float], *, annual_volume_MWh: float | None = None,
                  catalogue: Catalogue | None = None, maturity: str | None = None,
                  machine_class: str | None = None) -> _Plant:
    """The plant without a line: the line :func:`pouchline.plant.design.design_plant` sizes for the
    annual volume (the rates' ``plant.annual_volume_MWh`` by default), costed at that volume."""
    from pouchline.line import Line
    from pouchline.plant.design import design_plant, line_data

    catalogue = catalogue or default_catalogue()
    volume = annual_volume_MWh if annual_volume_MWh is not None else rates.plant.annual_volume_MWh
    if cell.energy_Wh <= 0:
        raise ValueError(f"the cell's energy is {cell.energy_Wh!r} Wh; it must be > 0 to cost the plant")
    design = design_plant(recipe, cell, catalogue, rates, volume_MWh_per_yr=volume,
                          machine_class=machine_class or rates.plant.machine_class,
                          maturity=maturity or rates.plant.yield_maturity, rate_values=rv)
    line = Line.from_data(line_data(design, name=f"sized-{volume:g}-MWh", cell=cell, rates=rates, catalogue=catalogue,
                                    source="derived: pouchline.plant.design_plant"), "sized plant")
    annual = volume * 1e6 / cell.energy_Wh
    plant = line_plant(recipe, cell, rates, rv, factors, line, None, catalogue=catalogue, annual_good_cells=annual,
                       annual_how=f"the requested volume, {volume:g} MWh/yr, on the line sized on paper for it "
                                  "(not simulated)", mode="default")
    plant.notes.insert(1, Assumption(
        "plant", f"no line given: the plant is the line pouchline sizes for {volume:g} MWh/yr "
        f"({design.machine_class} machines, {design.maturity} yields; machines = ceil(units started per hour / "
        "capacity per machine at its MTBF/MTTR availability)), the same as `pouchline size` before simulation",
        rates.plant.source))
    return plant


# ------------------------------------------------------------------------------------------------
# the cost
# ------------------------------------------------------------------------------------------------
def fixture_per_cell_g(cell: Any) -> dict[str, float]:
    """Fixture material per cell: the fixture's materials over the cells it holds."""
    k = int(getattr(getattr(cell, "fixture", None), "cells_per_fixture", 1) or 1)
    return {mid: g / k for mid, g in (getattr(cell, "fixture_materials_g", None) or {}).items()}


def cost_cell(
    recipe: Any,
    materials: MaterialLibrary,
    cell: CellLike,
    *,
    rates: CostRates,
    prices: str = "base",
    step_yields: Mapping[str, float] | None = None,
    line: Any = None,
    line_kpis: Any = None,
    include_fixture: bool = False,
    convention: str = "branch",
    annual_volume_MWh: float | None = None,
    maturity: str | None = None,
    price_overrides: Mapping[str, float] | None = None,
    rate_overrides: Mapping[str, float] | None = None,
    catalogue: Catalogue | None = None,
    machine_class: str | None = None,
) -> CostResult:
    """Cost of one good cell and one kWh of ``cell`` (a :func:`pouchline.cell.size_cell` result).

    ``prices``: material price scenario (low / base / high of ``materials.yaml``); the process
    rates are at base unless ``rate_overrides`` (name of :meth:`CostRates.flat`, or
    ``equipment.<id>.capex_usd`` / ``equipment.<id>.power_kW`` -> value) says otherwise.
    ``price_overrides``: material id -> price in the material's price unit. ``step_yields``: step
    id -> yield, wins over the line and the defaults. ``line``: a :class:`pouchline.line.Line`;
    ``line_kpis``: its simulation result (or ``to_dict()``). Without a line the plant is the line
    :mod:`pouchline.plant` sizes for ``annual_volume_MWh`` (``machine_class``, ``maturity``).
    ``catalogue``: the equipment catalogue (default ``recipes/equipment.yaml``).
    """
    if prices not in ("low", "base", "high"):
        raise ValueError(f"price scenario {prices!r} is not one of low, base, high")
    catalogue = catalogue or default_catalogue()
    rv = rates.values("base", dict(rate_overrides) if rate_overrides else None)
    kpis = _mapping(line_kpis)
    yields, ysrc = resolve_step_yields(recipe, rates, step_yields=step_yields, line=line, line_kpis=kpis,
                                       maturity=maturity, catalogue=catalogue)
    factors = start_factors(recipe, yields, convention)
    if line is not None:
        plant = line_plant(recipe, cell, rates, rv, factors, line, kpis, catalogue=catalogue)
    else:
        plant = default_plant(recipe, cell, rates, rv, factors, annual_volume_MWh=annual_volume_MWh,
                              catalogue=catalogue, maturity=maturity, machine_class=machine_class)
    # Web trim: a line station's area_factor (> 1: overhang, edge trim) takes that much more web
    # per good unit. It is material, not units: it inflates the materials of that step and of
    # the steps before it (like a loss), but not the units the stations process. The default
    # plant is a sized line too: its web machines' trim is bought the same way.
    trim = web_trim_factors(plant.line)
    if trim:
        tf = trim_multipliers(recipe, trim)
        mfactors = {k: f * tf.get(k, 1.0) for k, f in factors.items()}
    else:
        mfactors = factors
    mp = material_lines(recipe, materials, cell, mfactors, prices=prices, price_overrides=price_overrides,
                        include_fixture=include_fixture)

    n = plant.annual_good_cells
    sched = plant.scheduled_h
    st = plant.stations
    kwh_price = rv["electricity_usd_kWh"]
    proc: list[CostLine] = []

    def add(category: str, item: str, usd_per_yr: float, basis: str) -> None:
        proc.append(CostLine(category, item, usd_per_yr / n, basis))

    # labour
    ops = sum(s.operators_per_shift for s in st)
    labour_yr = ops * sched * rv["labour_rate_usd_h"]
    add("labour", "direct labour", labour_yr,
        f"{ops:.3g} operators per shift (equipment catalogue crews x machines) x {sched:,.0f} h/yr x "
        f"{rv['labour_rate_usd_h']:g} USD/h")

    # energy
    kw_st = sum(s.power_kW for s in st)
    kwh_yr: dict[str, float] = {}
    kwh_yr["stations"] = kw_st * sched
    gb = sum(s.machines for s in st if s.atmosphere == "glovebox")
    dr = sum(s.machines for s in st if s.atmosphere == "dry_room")
    kwh_yr["glovebox"] = gb * rv["glovebox_kW_per_station"] * HOURS_PER_YEAR
    kwh_yr["dry_room"] = dr * rv["dry_room_kW_per_station"] * HOURS_PER_YEAR
    add("energy", "stations (drives, heaters, chillers)", kwh_yr["stations"] * kwh_price,
        f"{kw_st:.3g} kW x {sched:,.0f} h/yr x {kwh_price:g} USD/kWh")
    add("energy", "glovebox conditioning", kwh_yr["glovebox"] * kwh_price,
        f"{gb} gloveboxes x {rv['glovebox_kW_per_station']:g} kW x 8,760 h/yr")
    add("energy", "dry-room conditioning", kwh_yr["dry_room"] * kwh_price,
        f"{dr} dry-room stations x {rv['dry_room_kW_per_station']:g} kW x 8,760 h/yr")
    th = rates.alloy_thermal
    melt_kwh = 0.0  # per good cell
    melt_parts = []
    for a in mp.alloys:
        for sid in (a.make_step_id, a.use_step_id):
            if sid is None:
                continue
            s = recipe.step(sid)
            t = getattr(getattr(s, "temperature_C", None), "target", None)
            if t is None:
                continue
            kwh = a.g_per_cell * th.heat_J_g(t) / 3.6e6 / rv["furnace_efficiency_frac"]
            melt_kwh += kwh * factors.get(sid, 1.0)
            melt_parts.append(f"{sid} {t:g} degC")
    kwh_yr["melting"] = melt_kwh * n
    add("energy", "melting the alloy", kwh_yr["melting"] * kwh_price,
        f"alloy heat to {', '.join(melt_parts) or '-'} over furnace efficiency {rv['furnace_efficiency_frac']:g}")
    form_kwh = 0.0
    for s in recipe.steps_of_kind("formation"):
        form_kwh += getattr(s, "cycles", 1) * cell.energy_Wh / 1000.0 * rv["formation_grid_kWh_per_kWh_cycled"] \
            * factors.get(s.id, 1.0)
    kwh_yr["formation"] = form_kwh * n
    add("energy", "formation cycling", kwh_yr["formation"] * kwh_price,
        f"cycles x cell energy x {rv['formation_grid_kWh_per_kWh_cycled']:g} kWh/kWh cycled")

    # fixtures in circulation (tooling of the plant) unless every cell ships with its own
    fx_lines = material_lines(recipe, materials, cell, mfactors, prices=prices, price_overrides=price_overrides,
                              include_fixture=True)
    fixture_cost = sum(ln.cost_usd_per_cell for ln in fx_lines.lines if ln.component == "fixture")
    k_fx = int(getattr(getattr(cell, "fixture", None), "cells_per_fixture", 1) or 1)
    fixture_unit_usd = sum(ln.g_per_cell * ln.price_per_kg / 1000.0 for ln in fx_lines.lines
                           if ln.component == "fixture") * k_fx  # one fixture, at its material price
    if include_fixture:
        fixtures = 0
    elif plant.fixtures is not None:
        fixtures = int(plant.fixtures)  # the line's pool: each carrier is one of the cell's fixtures (plates, bolts)
    else:
        fixtures = math.ceil(plant.fixture_cells_in_circulation / k_fx - 1e-9)
    fixture_capex = fixtures * fixture_unit_usd

    # depreciation, building, overhead
    equipment_capex = sum(s.capex_usd for s in st)
    capex = equipment_capex + fixture_capex
    add("depreciation", "equipment (incl. gloveboxes, dry room)", equipment_capex / rv["depreciation_life_yr"],
        f"{equipment_capex:,.0f} USD over {rv['depreciation_life_yr']:g} yr, straight line")
    if fixtures:
        held = (f"{plant.fixture_cells_how}" if plant.fixtures is not None else
                f"{plant.fixture_cells_in_circulation:,.0f} cells in clamping and formation / {k_fx} per fixture: "
                f"{plant.fixture_cells_how}")
        add("depreciation", "pressure fixtures in circulation", fixture_capex / rv["depreciation_life_yr"],
            f"{fixtures:,} fixtures x {fixture_unit_usd:,.0f} USD over {rv['depreciation_life_yr']:g} yr ({held})")
    floor = sum(s.floor_m2 for s in st) * rv["building_area_factor"]
    pl = rates.price_layers.values("base")
    building_capex = 0.0
    if rates.plant.building == "capital":
        building_capex = floor * pl["building_capex_usd_m2"]
        add("building", "production floor (owned)", building_capex / pl["building_life_yr"],
            f"{floor:,.0f} m2 x {pl['building_capex_usd_m2']:,.0f} USD/m2 over {pl['building_life_yr']:g} yr")
    else:
        add("building", "production floor", floor * rv["building_usd_m2_yr"],
            f"{floor:,.0f} m2 x {rv['building_usd_m2_yr']:g} USD/(m2 yr)")
    add("overhead", "indirect staff and administration", labour_yr * rv["overhead_frac_of_labour"],
        f"{rv['overhead_frac_of_labour']:g} x direct labour")
    add("overhead", "maintenance and spares", equipment_capex * rv["maintenance_frac_of_capex_yr"],
        f"{rv['maintenance_frac_of_capex_yr']:g} x equipment capex per year")
    add("overhead", "glovebox gases", gb * rv["glovebox_gas_usd_per_station_yr"],
        f"{gb} gloveboxes x {rv['glovebox_gas_usd_per_station_yr']:,.0f} USD/yr")

    mat_total = sum(ln.cost_usd_per_cell for ln in mp.lines)
    breakdown = {c: 0.0 for c in CATEGORIES}
    breakdown["materials"] = mat_total
    for p in proc:
        breakdown[p.category] += p.usd_per_cell
    total = sum(breakdown.values())
    by_mat: dict[str, float] = defaultdict(float)
    by_comp: dict[str, float] = defaultdict(float)
    for ln in mp.lines:
        by_mat[ln.material_id] += ln.cost_usd_per_cell
        by_comp[ln.component] += ln.cost_usd_per_cell
    kwh = cell.energy_Wh / 1000.0
    jelly = sum(ln.g_per_cell * ln.price_per_kg / 1000.0 for ln in mp.lines
                if ln.component in ("cathode", "electrolyte_film", "anode")
                and materials[ln.material_id].role not in (Role.current_collector, Role.lithium_source))

    # BatPaC's layers from cost to price
    variable_yr = (mat_total + breakdown["labour"] + breakdown["energy"] + breakdown["overhead"]) * n
    launch = (pl["launch_cost_frac_of_labour"] * labour_yr * (1 + rv["overhead_frac_of_labour"])
              + pl["launch_cost_frac_of_materials"] * mat_total * n)
    working = pl["working_capital_frac_of_variable_cost"] * variable_yr
    investment = {"equipment_usd": equipment_capex, "fixtures_usd": fixture_capex, "building_usd": building_capex,
                  "launch_usd": launch, "working_capital_usd": working}
    depreciation_yr = breakdown["depreciation"] * n
    rnd = pl["rnd_frac_of_depreciation"] * depreciation_yr / n
    profit = pl["profit_frac_of_investment_yr"] * sum(investment.values()) / n
    price = (total + rnd + profit) / (1.0 - pl["warranty_frac_of_price"])
    layers = {"research_and_development": rnd, "profit": profit, "warranty": price * pl["warranty_frac_of_price"]}

    rty = 1.0
    for y in yields.values():
        rty *= y
    assumptions = _assumptions(recipe, materials, rates, prices, convention, include_fixture, mp, plant,
                               yields, ysrc, factors, cell)
    assumptions.append(Assumption(
        "price", f"price = (cost + R&D {pl['rnd_frac_of_depreciation']:g} x depreciation + profit "
        f"{pl['profit_frac_of_investment_yr']:g}/yr x investment) / (1 - warranty {pl['warranty_frac_of_price']:g}); "
        f"investment = equipment + fixtures + owned building + launch cost ({pl['launch_cost_frac_of_labour']:g} x "
        f"labour with overhead + {pl['launch_cost_frac_of_materials']:g} x materials, per year) + working capital "
        f"({pl['working_capital_frac_of_variable_cost']:g} x annual variable cost)",
        "sourced: BatPaC5 cost-to-price factors (Baars2023, cost_rates)"))
    if trim:
        assumptions.append(Assumption(
            "scrap", "web trim of the line (station area_factor) is bought as material: "
            + ", ".join(f"{k} x{v:.3g}" for k, v in trim.items())
            + "; the web of one branch carries its widest trim through every step, so a material is inflated by "
            "the largest area_factor at or after its step in its own branch (not the units processed)",
            f"line {getattr(plant.line, 'name', '')}: station area_factor"))
    dry_floor = sum(s.floor_m2 for s in st if s.atmosphere == "dry_room") * rv["building_area_factor"]
    return CostResult(
        recipe_id=recipe.id, recipe_revision=recipe.revision, prices=prices, scrap_convention=convention,
        layers=int(cell.layers), capacity_Ah=float(cell.capacity_Ah), energy_Wh=float(cell.energy_Wh),
        cost_per_cell_usd=total, cost_per_kWh_usd=total / kwh, material_cost_per_cell_usd=mat_total,
        material_cost_per_kWh_usd=mat_total / kwh, jellyroll_material_cost_per_kWh_usd=jelly / kwh,
        breakdown_usd_per_cell=breakdown,
        materials_usd_per_cell=dict(sorted(by_mat.items(), key=lambda kv: -kv[1])),
        components_usd_per_cell={c: by_comp[c] for c in COMPONENTS if c in by_comp},
        material_lines=tuple(mp.lines), alloys=tuple(mp.alloys), process_lines=tuple(proc),
        step_yields=yields, step_yield_sources=ysrc, start_factors=factors, rolled_throughput_yield=rty,
        plant_mode=plant.mode, line_name=plant.line_name, annual_good_cells=n, scheduled_h_per_year=sched,
        good_cells_per_h=n / sched, stations=tuple(st), capex_usd=capex, rates_used=dict(rv),
        include_fixture=include_fixture, assumptions=tuple(assumptions), fixture_cost_per_cell_usd=fixture_cost,
        line_kpis=kpis, price_per_cell_usd=price, price_per_kWh_usd=price / kwh, price_layers_usd_per_cell=layers,
        investment_usd=investment, fixtures_in_circulation=fixtures, fixture_cells_in_circulation=plant.fixture_cells_in_circulation,
        electricity_MWh_per_yr=sum(kwh_yr.values()) / 1000.0, labour_h_per_yr=ops * sched, operators_per_shift=ops,
        floor_m2=floor, dry_room_m2=dry_floor, plant_line=plant.line, volume_basis=plant.annual_how)


def _assumptions(recipe, materials, rates, prices, convention, include_fixture, mp, plant, yields, ysrc,
                 factors, cell) -> list[Assumption]:
    out = [
        Assumption("scrap", "loss-rate form: a material consumed at step k is bought for every unit started at k; "
                   "units started at k = good units / product over steps j >= k of (1 - scrap_j)"
                   + (" in route order (serial line)" if convention == "serial" else
                      " over k's own branch and the assembly steps after the branches merge"),
                   "derived: units started at k = good / prod(1 - scrap_j) (docs/model.md#materials-with-scrap)"),
        Assumption("scrap", "BOM scrap allowance a = F_child / F_parent - 1, so that input = output x (1 + a) "
                   "along each BOM path multiplies out to F_k", "derived: pouchline.cost"),
        Assumption("prices", f"material prices at the '{prices}' scenario of {materials.id} rev {materials.revision}; "
                   f"process rates at base ({rates.id} rev {rates.revision}, {rates.currency_year} USD)",
                   "derived: prices x quantities (recipes/materials.yaml, recipes/cost-rates.yaml)"),
        Assumption("process", "process cost per good cell = annual labour, energy, depreciation, building and "
                   "overhead / annual good cells, in the manner of Argonne's BatPaC",
                   "estimate: pouchline.cost"),
        Assumption("fixture", "the 30 MPa pressure fixture (end plates, bolts) is " +
                   ("included as part of every cell" if include_fixture else
                    "not included (module or pack hardware); its cost per cell is reported separately"),
                   "paper: Liu2025 Methods, pouch clamped between two iron plates with screws at 30 MPa"),
    ]
    for a in mp.alloys:
        txt = (f"{a.alloy_id} is made in-house and priced from its feedstock "
               + ", ".join(f"{k} {w * 100:.2f} wt%" for k, w in a.weight_fractions.items()))
        if a.feedstock_price_usd_kg is not None:
            txt += f" = {a.feedstock_price_usd_kg:.1f} USD/kg of alloy"
        if a.library_price_usd_kg is not None:
            txt += f"; the library's derived alloy price ({a.library_price_usd_kg:g} USD/kg) is a cross-check only"
        out.append(Assumption("alloy", txt, "derived: atomic_to_weight_fractions of the alloy composition"))
    out.extend(plant.notes)
    out.extend(mp.notes)
    out.append(Assumption("energy", "gloveboxes and dry rooms run all year (8,760 h); machines draw their "
                          "average power during scheduled hours", "estimate: pouchline.cost"))
    for a in getattr(cell, "assumptions", None) or ():
        if isinstance(a, str):
            out.append(Assumption("cell", a, "pouchline.cell"))
        elif isinstance(a, Mapping):
            out.append(Assumption("cell", str(a.get("text") or a.get("name") or a), str(a.get("source", ""))))
        else:
            out.append(Assumption("cell", str(a), ""))
    return out


__all__ = [
    "Assumption", "AlloyUse", "CATEGORIES", "COMPONENTS", "CellLike", "CostLine", "CostResult", "MaterialLine",
    "StationCost", "alloy_feedstock_fractions", "cost_cell", "default_plant", "electrode_area_cm2", "fixture_pool",
    "fixture_per_cell_g", "formation_hours", "line_plant", "material_lines", "resolve_step_yields", "start_factors",
    "step_branch",
]
