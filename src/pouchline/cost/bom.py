"""The bill of materials as a tree of items: cell (level 0), components (level 1), materials
(level 2) and, for the alloy made in-house, its feedstock (level 3).

Pure: built from a :class:`~pouchline.cost.model.CostResult`, so the BOM and the cost model can
never disagree. Conventions:

* **Qty per** is per parent item; **ext. qty** is per cell, the product along the path of
  ``qty_per x (1 + scrap allowance)``.
* **Scrap allowance** ``a`` means input = output x (1 + a). The cost model's loss-rate factors
  ``F`` (units started at a step per good cell) become allowances ``a = F_item / F_parent - 1``,
  so the product along every path is the material's ``F`` and the BOM's roll-up equals the cost
  model's material cost exactly.
* **Cost roll-up** is bottom-up: an assembly's extended cost is the sum of its children's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from pouchline.cost.model import CostResult, MaterialLine, step_branch
from pouchline.materials import MaterialLibrary

COMPONENT_INFO: dict[str, tuple[str, str]] = {
    # component -> (item id, description)
    "cathode": ("SA-CATHODE", "Cathode sheet (composite on its current collector)"),
    "electrolyte_film": ("SA-SE-FILM", "Solid-electrolyte film"),
    "anode": ("SA-ANODE", "Anode: alloy on Cu foil"),
    "pouch": ("SA-POUCH", "Pouch"),
    "tabs": ("SA-TABS", "Tabs with sealant"),
    "fixture": ("SA-FIXTURE", "Pressure fixture (end plates and bolts)"),
    "other": ("SA-OTHER", "Other materials"),
}
SHEET_COMPONENTS = ("cathode", "electrolyte_film", "anode")


@dataclass(frozen=True)
class BomItem:
    """One item of the BOM and its children."""

    item_id: str
    description: str
    qty_per_parent: float
    uom: str
    scrap_allowance: float
    unit_cost_usd: float | None  # per uom; None for an assembly (rolled up from its children)
    make_buy: str  # "make" or "buy"
    source: str = ""
    material_id: str | None = None
    step_id: str | None = None
    price_year: int | None = None
    children: tuple["BomItem", ...] = ()
    g_per_uom: float | None = None  # grams in one unit of measure (kg: 1000, m2: areal density, ea: mass each)

    @property
    def is_assembly(self) -> bool:
        return self.unit_cost_usd is None

    def extended_cost_usd(self, parent_ext_qty: float = 1.0) -> float:
        """Cost of this item per top item, given the parent's extended quantity."""
        ext = parent_ext_qty * self.qty_per_parent * (1.0 + self.scrap_allowance)
        if self.unit_cost_usd is not None:
            return ext * self.unit_cost_usd
        return sum(c.extended_cost_usd(ext) for c in self.children)


@dataclass(frozen=True)
class BomRow:
    """A row of the indented BOM (depth-first order); ``parent`` is the parent's row index."""

    index: int
    level: int
    parent: int | None
    item: BomItem
    ext_qty: float
    ext_cost_usd: float
    children: tuple[int, ...] = field(default_factory=tuple)

    @property
    def unit_cost_rolled_usd(self) -> float:
        """Unit cost of an assembly as its extended cost over its extended quantity."""
        if self.item.unit_cost_usd is not None:
            return self.item.unit_cost_usd
        return self.ext_cost_usd / self.ext_qty if self.ext_qty else 0.0


def _line_item(ln: MaterialLine, parent_qty: float, parent_factor: float, materials: MaterialLibrary,
               repeated: bool) -> BomItem:
    desc = ln.name + (f" (at {ln.step_id})" if repeated else "")
    return BomItem(
        item_id=f"RM-{ln.material_id.upper().replace('_', '-')}", description=desc,
        qty_per_parent=ln.qty_per_cell / parent_qty if parent_qty else 0.0, uom=ln.uom,
        scrap_allowance=ln.start_factor / parent_factor - 1.0, unit_cost_usd=ln.unit_price, make_buy="buy",
        source=f"{ln.price_source} ({ln.price_year})", material_id=ln.material_id, step_id=ln.step_id,
        price_year=ln.price_year, g_per_uom=ln.g_per_cell / ln.qty_per_cell if ln.qty_per_cell else None)


def build_bom(result: CostResult, recipe: Any, materials: MaterialLibrary) -> BomItem:
    """The cell's BOM tree from its cost result."""
    yields = result.step_yields
    by_comp: dict[str, list[MaterialLine]] = {}
    for ln in result.material_lines:
        by_comp.setdefault(ln.component, []).append(ln)
    alloys = {a.alloy_id: a for a in result.alloys}

    comps: list[BomItem] = []
    for comp in [c for c in COMPONENT_INFO if c in by_comp]:
        lines = by_comp[comp]
        # units of the component started per good cell: what survives its last step
        f_comp = min(ln.start_factor * yields.get(ln.step_id, 1.0) for ln in lines)
        if comp in SHEET_COMPONENTS:  # sheets are finished by the last step of their branch
            last = [s for s in recipe.steps if step_branch(s) == comp]
            if last:
                f_comp = min(f_comp, result.start_factors.get(last[-1].id, 1.0) * yields.get(last[-1].id, 1.0))
        for a in alloys.values():
            if any(ln.via == a.alloy_id for ln in lines):
                f_comp = min(f_comp, a.start_factor * yields.get(a.use_step_id or "", 1.0))
        qty = float(result.layers) if comp in SHEET_COMPONENTS else 1.0
        counts: dict[str, int] = {}
        for ln in lines:
            if ln.via is None:
                counts[ln.material_id] = counts.get(ln.material_id, 0) + 1
        kids: list[BomItem] = []
        done_alloys: set[str] = set()
        for ln in lines:
            if ln.via is None:
                kids.append(_line_item(ln, qty, f_comp, materials, counts[ln.material_id] > 1))
                continue
            if ln.via in done_alloys:
                continue
            done_alloys.add(ln.via)
            a = alloys.get(ln.via)
            feed = [x for x in lines if x.via == ln.via]
            alloy_g = a.g_per_cell if a is not None and a.g_per_cell > 0 else sum(x.g_per_cell for x in feed)
            f_alloy = a.start_factor if a is not None else max(x.start_factor for x in feed)
            name = a.name if a is not None else materials[ln.via].name
            fcount: dict[str, int] = {}
            for x in feed:
                fcount[x.material_id] = fcount.get(x.material_id, 0) + 1
            grand = tuple(_line_item(x, alloy_g / 1000.0, f_alloy, materials, fcount[x.material_id] > 1)
                          for x in feed)
            kids.append(BomItem(
                item_id=f"SA-{ln.via.upper().replace('_', '-')}", description=f"{name}, made in-house",
                qty_per_parent=alloy_g / 1000.0 / qty, uom="kg", scrap_allowance=f_alloy / f_comp - 1.0,
                unit_cost_usd=None, make_buy="make", g_per_uom=1000.0,
                source="derived: feedstock at library prices x weight fractions of the alloy's composition",
                material_id=ln.via, step_id=a.use_step_id if a is not None else None, children=grand))
        cid, cdesc = COMPONENT_INFO[comp]
        comps.append(BomItem(
            item_id=cid, description=cdesc, qty_per_parent=qty, uom="ea", scrap_allowance=f_comp - 1.0,
            unit_cost_usd=None, make_buy="make",
            source="derived: cell format" + (f", {result.layers} layer(s) per cell" if comp in SHEET_COMPONENTS else ""),
            children=tuple(kids)))
    title = getattr(recipe, "title", "") or recipe.id
    return BomItem(
        item_id=str(recipe.id), description=str(title), qty_per_parent=1.0, uom="ea", scrap_allowance=0.0,
        unit_cost_usd=None, make_buy="make",
        source=f"recipe {recipe.id} rev {recipe.revision}; {result.layers} layer(s), {result.capacity_Ah:.4g} Ah, "
               f"{result.energy_Wh:.4g} Wh",
        children=tuple(comps))


def flatten(root: BomItem) -> list[BomRow]:
    """The tree as indented rows, depth first, with extended quantities and costs."""
    rows: list[BomRow] = []

    def walk(item: BomItem, level: int, parent: int | None, parent_ext: float) -> int:
        idx = len(rows)
        ext = parent_ext * item.qty_per_parent * (1.0 + item.scrap_allowance)
        rows.append(BomRow(idx, level, parent, item, ext, item.extended_cost_usd(parent_ext)))
        kids = tuple(walk(c, level + 1, idx, ext) for c in item.children)
        rows[idx] = BomRow(idx, level, parent, item, ext, rows[idx].ext_cost_usd, kids)
        return idx

    walk(root, 0, None, 1.0)
    return rows


def iter_items(root: BomItem) -> Iterator[tuple[int, BomItem]]:
    """(level, item) depth first."""
    stack = [(0, root)]
    while stack:
        level, item = stack.pop()
        yield level, item
        stack.extend((level + 1, c) for c in reversed(item.children))


def total_cost_usd(root: BomItem) -> float:
    """The top item's rolled-up cost."""
    return root.extended_cost_usd(1.0)


# ------------------------------------------------------------------------------------------------
# the workbook's inputs: every process cost line as a formula of rates, prices and the plant
# ------------------------------------------------------------------------------------------------
#: A price older than this many years is flagged in the workbook (the pouch film's base price is from 2016).
PRICE_AGE_LIMIT_YR = 5
HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class CostInput:
    """One input of the cost workbook: a rate, a price, the volume or a figure of the costed plant.

    ``key`` is the workbook's defined name of its cell (``in_labour_rate_usd_h``, ``price_indium``);
    ``group`` is ``volume``, ``rates``, ``prices`` or ``plant``. Rates and prices are for the buyer or
    planner to change; plant figures are what pouchline sized (changing them does not resize the plant).
    """

    key: str
    label: str
    value: float
    unit: str
    source: str
    group: str
    year: int | None = None
    material_id: str | None = None


@dataclass(frozen=True)
class ProcessFormula:
    """A process cost line per good cell as an Excel expression of :class:`CostInput` names.

    ``expression`` is None when pouchline does not know how the line follows from the inputs (the
    workbook then holds the cost model's number); ``usd_per_cell`` is the cost model's value, which
    the expression reproduces at the inputs' values (:func:`evaluate`).
    """

    category: str
    item: str
    usd_per_cell: float
    basis: str
    expression: str | None


def price_age_yr(price_year: int | None, as_of: Any) -> int | None:
    """Whole years from a price's year to ``as_of`` (a date), or None without a year."""
    if price_year is None:
        return None
    return int(as_of.year) - int(price_year)


def price_flag(price_year: int | None, as_of: Any) -> str:
    """``'older than 5 years (2016)'`` for a price older than :data:`PRICE_AGE_LIMIT_YR`, else ''."""
    age = price_age_yr(price_year, as_of)
    if age is None or age <= PRICE_AGE_LIMIT_YR:
        return ""
    return f"OLD: {price_year}, {age} years (> {PRICE_AGE_LIMIT_YR}); get a quote"


def _rate_source(rates: Any, name: str) -> str:
    flat = rates.flat() if rates is not None else {}
    if name in flat:
        r = flat[name]
        return f"{r.source}; range {r.low:g}-{r.high:g}"
    if rates is not None and name in type(rates.price_layers).model_fields:
        r = getattr(rates.price_layers, name)
        return f"{r.source}; range {r.low:g}-{r.high:g}"
    return "user: rate override"


def _rate_unit(rates: Any, name: str) -> str:
    flat = rates.flat() if rates is not None else {}
    if name in flat:
        return flat[name].unit
    if rates is not None and name in type(rates.price_layers).model_fields:
        return getattr(rates.price_layers, name).unit
    return ""


#: Rates a process line uses, in the order the Inputs sheet lists them.
PROCESS_RATES = ("labour_rate_usd_h", "operators_per_station_shift", "overhead_frac_of_labour", "electricity_usd_kWh",
                 "furnace_efficiency_frac", "formation_grid_kWh_per_kWh_cycled", "glovebox_kW_per_station",
                 "glovebox_gas_usd_per_station_yr", "glovebox_capex_usd_per_station", "dry_room_kW_per_station",
                 "dry_room_capex_usd_per_station", "depreciation_life_yr", "maintenance_frac_of_capex_yr",
                 "building_usd_m2_yr", "building_area_factor")


#: What the Inputs sheet calls each rate (its field name stays beside it, as the name in formulas).
RATE_LABELS = {
    "labour_rate_usd_h": "Labour rate, fully burdened",
    "operators_per_station_shift": "Crew factor on the catalogue's operators per station and shift",
    "overhead_frac_of_labour": "Overhead (indirect staff, administration) per direct labour",
    "electricity_usd_kWh": "Electricity price",
    "furnace_efficiency_frac": "Furnace efficiency (heat into the metal / electric energy)",
    "formation_grid_kWh_per_kWh_cycled": "Formation: grid energy per cell energy cycled",
    "glovebox_kW_per_station": "Glovebox power per station",
    "glovebox_gas_usd_per_station_yr": "Glovebox gases per station and year",
    "glovebox_capex_usd_per_station": "Glovebox capex per station",
    "dry_room_kW_per_station": "Dry-room power per station",
    "dry_room_capex_usd_per_station": "Dry-room capex per station",
    "depreciation_life_yr": "Equipment depreciation life",
    "maintenance_frac_of_capex_yr": "Maintenance and spares per capex and year",
    "building_usd_m2_yr": "Building rent per m² and year",
    "building_area_factor": "Floor area per machine footprint",
    "building_capex_usd_m2": "Building capex per m²",
    "building_life_yr": "Building depreciation life",
}


def _line(result: Any, category: str, item: str) -> Any:
    return next((p for p in result.process_lines if p.category == category and p.item == item), None)


def cost_inputs(result: Any, rates: Any = None, *, lot_cells: int = 100) -> list[CostInput]:
    """The inputs of the cost workbook: volume, rates, material prices and the costed plant's figures.

    Plant figures are taken from the cost result's stations (operators, power, gloveboxes, dry-room
    stations, machine capex without their enclosures, footprint); the melting and formation energy per
    cell are the cost model's lines over the rates they were computed with.
    """
    rv = dict(result.rates_used)
    pl = rates.price_layers.values("base") if rates is not None else {}
    st = result.stations
    n = float(result.annual_good_cells)
    out = [
        CostInput("in_annual_good_cells", "Good cells per year", n, "cells/yr",
                  f"derived: {result.volume_basis or 'the plant costed'}", "volume"),
        CostInput("in_lot_cells", "Lot size", float(lot_cells), "cells/lot",
                  "user: cells per lot (pouchline bom --lot-cells, plan --lot-cells)", "volume"),
        CostInput("in_scheduled_h_per_yr", "Scheduled hours per year", float(result.scheduled_h_per_year), "h/yr",
                  "derived: the plant's calendar", "volume"),
    ]
    building = "capital" if (rates is not None and rates.plant.building == "capital") else "rent"
    names = list(PROCESS_RATES)
    if building == "capital":
        names = [x for x in names if x != "building_usd_m2_yr"] + ["building_capex_usd_m2", "building_life_yr"]
    for name in names:
        value = rv.get(name, pl.get(name))
        if value is None:
            continue
        out.append(CostInput(f"in_{name}", RATE_LABELS.get(name, name), float(value), _rate_unit(rates, name), _rate_source(rates, name),
                             "rates"))
    seen: set[str] = set()
    for ln in result.material_lines:
        if ln.material_id in seen:
            continue
        seen.add(ln.material_id)
        out.append(CostInput(f"price_{ln.material_id}", f"{ln.name} ({result.prices})", float(ln.unit_price),
                             ln.price_unit, ln.price_source, "prices", year=ln.price_year, material_id=ln.material_id))
    labour_x = rv.get("operators_per_station_shift", 1.0) or 1.0
    ops = sum(s.operators_per_shift for s in st)
    gb = sum(s.machines for s in st if s.atmosphere == "glovebox")
    dr = sum(s.machines for s in st if s.atmosphere == "dry_room")
    machine_capex = sum(s.capex_usd for s in st) - gb * rv.get("glovebox_capex_usd_per_station", 0.0) \
        - dr * rv.get("dry_room_capex_usd_per_station", 0.0)
    elec = rv.get("electricity_usd_kWh", 0.0)
    melt = _line(result, "energy", "melting the alloy")
    form = _line(result, "energy", "formation cycling")
    melt_kwh = melt.usd_per_cell / elec * rv.get("furnace_efficiency_frac", 1.0) if melt and elec else 0.0
    form_kwh = form.usd_per_cell / elec / rv["formation_grid_kWh_per_kWh_cycled"] \
        if form and elec and rv.get("formation_grid_kWh_per_kWh_cycled") else 0.0
    plant = "derived: the stations of the plant costed (equipment catalogue x machines)"
    out += [
        CostInput("in_operators_1x", "Operator positions per shift at 1 x crews", ops / labour_x, "operators", plant,
                  "plant"),
        CostInput("in_station_kW", "Power of the stations while scheduled", sum(s.power_kW for s in st), "kW", plant,
                  "plant"),
        CostInput("in_gloveboxes", "Machines in gloveboxes", float(gb), "machines", plant, "plant"),
        CostInput("in_dry_room_stations", "Machines in the dry room", float(dr), "machines", plant, "plant"),
        CostInput("in_machine_capex_usd", "Machine capex (without glovebox and dry-room shares)", machine_capex, "USD",
                  plant, "plant"),
        CostInput("in_fixture_capex_usd", "Pressure fixtures in circulation, capex",
                  float(result.investment_usd.get("fixtures_usd", 0.0)), "USD",
                  f"derived: {result.fixtures_in_circulation:,} fixtures in clamping and formation", "plant"),
        CostInput("in_footprint_m2", "Machine footprints", sum(s.floor_m2 for s in st), "m2", plant, "plant"),
        CostInput("in_melt_kWh_per_cell", "Heat into the alloy per good cell (at 100 % furnace efficiency)", melt_kwh,
                  "kWh/cell", "derived: the cost model's melting line (alloy heat x units started)", "plant"),
        CostInput("in_formation_kWh_per_cell", "Cell energy cycled in formation per good cell", form_kwh, "kWh/cell",
                  "derived: cycles x cell energy x units started at formation", "plant"),
    ]
    return out


#: The cost model's process lines (:func:`pouchline.cost.cost_cell`) as expressions of the inputs.
_EXPRESSIONS: dict[tuple[str, str], str] = {
    ("labour", "direct labour"):
        "in_operators_1x*in_operators_per_station_shift*in_scheduled_h_per_yr*in_labour_rate_usd_h/in_annual_good_cells",
    ("energy", "stations (drives, heaters, chillers)"):
        "in_station_kW*in_scheduled_h_per_yr*in_electricity_usd_kWh/in_annual_good_cells",
    ("energy", "glovebox conditioning"):
        f"in_gloveboxes*in_glovebox_kW_per_station*{HOURS_PER_YEAR:g}*in_electricity_usd_kWh/in_annual_good_cells",
    ("energy", "dry-room conditioning"):
        f"in_dry_room_stations*in_dry_room_kW_per_station*{HOURS_PER_YEAR:g}*in_electricity_usd_kWh/in_annual_good_cells",
    ("energy", "melting the alloy"): "in_melt_kWh_per_cell/in_furnace_efficiency_frac*in_electricity_usd_kWh",
    ("energy", "formation cycling"): "in_formation_kWh_per_cell*in_formation_grid_kWh_per_kWh_cycled*in_electricity_usd_kWh",
    ("depreciation", "equipment (incl. gloveboxes, dry room)"):
        "(in_machine_capex_usd+in_gloveboxes*in_glovebox_capex_usd_per_station+in_dry_room_stations"
        "*in_dry_room_capex_usd_per_station)/in_depreciation_life_yr/in_annual_good_cells",
    ("depreciation", "pressure fixtures in circulation"):
        "in_fixture_capex_usd/in_depreciation_life_yr/in_annual_good_cells",
    ("building", "production floor"):
        "in_footprint_m2*in_building_area_factor*in_building_usd_m2_yr/in_annual_good_cells",
    ("building", "production floor (owned)"):
        "in_footprint_m2*in_building_area_factor*in_building_capex_usd_m2/in_building_life_yr/in_annual_good_cells",
    ("overhead", "indirect staff and administration"):
        "in_operators_1x*in_operators_per_station_shift*in_scheduled_h_per_yr*in_labour_rate_usd_h"
        "*in_overhead_frac_of_labour/in_annual_good_cells",
    ("overhead", "maintenance and spares"):
        "(in_machine_capex_usd+in_gloveboxes*in_glovebox_capex_usd_per_station+in_dry_room_stations"
        "*in_dry_room_capex_usd_per_station)*in_maintenance_frac_of_capex_yr/in_annual_good_cells",
    ("overhead", "glovebox gases"): "in_gloveboxes*in_glovebox_gas_usd_per_station_yr/in_annual_good_cells",
}


def evaluate(expression: str, inputs: Sequence[CostInput]) -> float:
    """An expression of :data:`_EXPRESSIONS` at the inputs' values (names, numbers, + - * / and brackets only)."""
    if not re.fullmatch(r"[A-Za-z0-9_.+\-*/() ]+", expression):
        raise ValueError(f"not an input expression: {expression!r}")
    names = {i.key: i.value for i in inputs}
    return float(eval(expression, {"__builtins__": {}}, names))  # noqa: S307 - our own expressions, checked above


def process_formulas(result: Any, inputs: Sequence[CostInput], rel_tol: float = 1e-9) -> list[ProcessFormula]:
    """Every process cost line of ``result`` with its expression of ``inputs``.

    An expression that does not reproduce the cost model's value at the inputs' values (a line the
    model computes another way) is dropped: that line keeps the model's number, so the workbook never
    disagrees with ``pouchline cost``; its basis says it is not linked to the Inputs sheet.
    """
    out = []
    for p in result.process_lines:
        expr = _EXPRESSIONS.get((p.category, p.item))
        if expr is not None:
            try:
                got = evaluate(expr, inputs)
            except (NameError, ZeroDivisionError):
                got = math.nan
            if not math.isclose(got, p.usd_per_cell, rel_tol=rel_tol, abs_tol=1e-12):
                expr = None
        out.append(ProcessFormula(p.category, p.item, p.usd_per_cell, p.basis if expr else
                                  f"{p.basis} (the cost model's value; not linked to the Inputs sheet)", expr))
    return out


__all__ = ["BomItem", "BomRow", "COMPONENT_INFO", "CostInput", "PRICE_AGE_LIMIT_YR", "ProcessFormula", "RATE_LABELS", "build_bom",
           "cost_inputs", "evaluate", "flatten", "iter_items", "price_age_yr", "price_flag", "process_formulas",
           "total_cost_usd"]
