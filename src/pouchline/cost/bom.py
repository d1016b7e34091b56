"""The bill of materials as a tree of items: cell (level 0), components (level 1), materials
(level 2) and, for the alloy made in-house, its feedstock (level 3).

Pure: built from a :class:`~pouchline.cost.model.CostResult`, so the BOM and the cost model can
never disagree. Conventions (ecosystem-notes.md section 2):

* **Qty per** is per parent item; **ext. qty** is per cell, the product along the path of
  ``qty_per x (1 + scrap allowance)``.
* **Scrap allowance** ``a`` means input = output x (1 + a). The cost model's loss-rate factors
  ``F`` (units started at a step per good cell) become allowances ``a = F_item / F_parent - 1``,
  so the product along every path is the material's ``F`` and the BOM's roll-up equals the cost
  model's material cost exactly.
* **Cost roll-up** is bottom-up: an assembly's extended cost is the sum of its children's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

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
        price_year=ln.price_year)


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
                unit_cost_usd=None, make_buy="make",
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


__all__ = ["BomItem", "BomRow", "COMPONENT_INFO", "build_bom", "flatten", "iter_items", "total_cost_usd"]
