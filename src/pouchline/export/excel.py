"""The cost workbook: the bill of materials and the cost model in Excel (openpyxl).

The only module that writes the workbook. Sheets:

* **BOM**: the indented multi-level BOM. Extended quantities, extended costs and assembly costs
  are Excel formulas, so editing a unit cost, a quantity or a scrap allowance recomputes the
  cell total; the column "Ext. cost, Python" keeps the value pouchline computed.
* **Summary**: the headline figures; cost per cell and per kWh are formulas over the BOM and the
  breakdown (the energy per cell is the defined name ``EnergyWh``).
* **Breakdown**: cost per cell by category and item (materials = the BOM total, a formula).
* **Materials**: cost per material, ``SUMIF`` over the BOM.
* **Demand**: tonnes per year of every purchased material and element at the plant's volume, each
  element as a share of world production (:func:`pouchline.demand.material_demand`); only when
  the materials library has world figures (``elements:``).
* **Sensitivity**: the tornado table (values: it needs the cost model, which Excel does not have).
* **Plant** or **Line KPIs**: the costed stations (and the simulation's KPIs when given).
* **Assumptions**: every convention, rate, yield and price with its source.

Every sheet has one Excel table, a frozen header row, number formats with units and column widths
that fit. Text that comes from a recipe, a library or a user is written with :func:`put_text`,
so Excel never reads ``=...``, ``+...``, ``-...`` or ``@...`` as a formula (CWE-1236), and
control characters that the xlsx format cannot hold (``\x00``, ``\x1b``) are replaced. Only a
:class:`Formula`, which only this module makes, reaches the formula writer.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from pouchline.cost.bom import BomItem, flatten
from pouchline.cost.model import CATEGORIES, CostResult

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Excel's limit on the characters of one cell.
MAX_CELL_CHARS = 32_767

USD = '#,##0.00 "USD"'
USD4 = '#,##0.0000 "USD"'
USD_KWH = '#,##0 "USD/kWh"'
PCT = "0.0%"
PCT2 = "0.00%"
QTY = "0.000000"
INT = "#,##0"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


class Formula(str):
    """A formula pouchline built itself: the only text :func:`put_formula` writes as a formula.

    User text that happens to start with ``=`` is a plain ``str`` and is written as text.
    """


def clean_text(value: str) -> str:
    """``value`` without the control characters an xlsx file cannot hold, cut to Excel's cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "\u2026"


def put_text(cell: Any, value: Any) -> Any:
    """Write untrusted text so that Excel never sees a formula: stored as a string, and a leading
    ``= + - @``, tab or line break is shown with a quote prefix, so it stays text after F2 + Enter."""
    if value is None:
        cell.value = None
        return cell
    if not isinstance(value, str):
        value = str(value)
    value = clean_text(str.__str__(value))  # a plain str, also for a Formula passed as text
    cell.value = value
    cell.data_type = "s"  # openpyxl would store '=...' as a formula
    if value.startswith(DANGEROUS):
        cell.quotePrefix = True  # shown verbatim; stays text even after F2 + Enter
    return cell


def put_formula(cell: Any, formula: str, number_format: str | None = None) -> Any:
    """Write a formula that pouchline itself built (a :class:`Formula`, or a literal of this module)."""
    if not isinstance(formula, str) or not formula.startswith("="):
        raise ValueError(f"not a formula: {formula!r}")
    cell.value = Formula(formula)
    if number_format:
        cell.number_format = number_format
    return cell


def put_number(cell: Any, value: float | int | None, number_format: str | None = None) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        cell.value = None
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def _put(cell: Any, value: Any, number_format: str | None = None) -> Any:
    """A number as a number, anything else as text."""
    if isinstance(value, bool):
        return put_text(cell, "yes" if value else "no")
    if isinstance(value, (int, float)):
        return put_number(cell, value, number_format)
    return put_text(cell, value)


# ------------------------------------------------------------------------------------------------
# sheet helpers
# ------------------------------------------------------------------------------------------------
def _header(ws: Worksheet, headers: Sequence[str]) -> None:
    for j, h in enumerate(headers, start=1):
        c = put_text(ws.cell(1, j), h)
        c.font = Font(bold=True)
        c.fill = HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")


def _finish(ws: Worksheet, table_name: str, n_cols: int, n_rows: int, *, freeze: str = "A2",
            max_width: int = 60, wrap_cols: Iterable[int] = (), widths: dict[int, float] | None = None) -> None:
    """Excel table, frozen header, column widths that fit, print titles."""
    last = max(n_rows, 2)
    if n_rows < 2:  # a table needs a data row
        for j in range(1, n_cols + 1):
            ws.cell(2, j)
    ref = f"A1:{get_column_letter(n_cols)}{last}"
    t = Table(displayName=table_name, ref=ref)
    t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(t)
    ws.freeze_panes = freeze
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wrap = set(wrap_cols)
    for j in range(1, n_cols + 1):
        letter = get_column_letter(j)
        if widths and j in widths:
            ws.column_dimensions[letter].width = widths[j]
            continue
        best = 8
        for i in range(1, last + 1):
            v = ws.cell(i, j).value
            if v is None:
                continue
            if isinstance(v, str) and v.startswith("=") and ws.cell(i, j).data_type == "f":
                n = 14
            elif isinstance(v, float):
                n = 14
            else:
                n = len(str(v)) + 2
            if i == 1:
                n = min(n, 28)  # headers wrap
            best = max(best, n)
        ws.column_dimensions[letter].width = min(best, max_width)
        if j in wrap:
            for i in range(2, last + 1):
                ws.cell(i, j).alignment = Alignment(wrap_text=True, vertical="top")


# ------------------------------------------------------------------------------------------------
# the sheets
# ------------------------------------------------------------------------------------------------
BOM_HEADERS = ["Level", "Item No.", "Description", "Qty per parent", "UoM", "Scrap allowance", "Ext. qty per cell",
               "Unit cost (USD per UoM)", "Ext. cost (USD per cell)", "Ext. cost, Python (USD per cell)", "Make/Buy",
               "Material", "Consumed at step", "Price year", "Source"]


def _sheet_bom(ws: Worksheet, root: BomItem) -> dict[str, Any]:
    _header(ws, BOM_HEADERS)
    rows = flatten(root)
    for r in rows:
        n = r.index + 2
        it = r.item
        ws.cell(n, 1, r.level)
        put_text(ws.cell(n, 2), it.item_id)
        c = put_text(ws.cell(n, 3), it.description)
        c.alignment = Alignment(indent=r.level)
        if it.is_assembly:
            c.font = Font(bold=True)
        put_number(ws.cell(n, 4), it.qty_per_parent, QTY)
        put_text(ws.cell(n, 5), it.uom)
        put_number(ws.cell(n, 6), it.scrap_allowance, PCT2)
        up = f"G{r.parent + 2}" if r.parent is not None else "1"
        put_formula(ws.cell(n, 7), f"={up}*D{n}*(1+F{n})", QTY)
        if it.is_assembly:
            put_formula(ws.cell(n, 8), f"=IF(G{n}=0,0,I{n}/G{n})", USD4)
            kids = [f"I{k + 2}" for k in r.children]
            if kids:
                put_formula(ws.cell(n, 9), "=" + "+".join(kids), USD4)
            else:
                put_number(ws.cell(n, 9), 0.0, USD4)
        else:
            put_number(ws.cell(n, 8), it.unit_cost_usd, USD4)
            put_formula(ws.cell(n, 9), f"=G{n}*H{n}", USD4)
        put_number(ws.cell(n, 10), r.ext_cost_usd, USD4)
        put_text(ws.cell(n, 11), it.make_buy)
        put_text(ws.cell(n, 12), it.material_id or "")
        put_text(ws.cell(n, 13), it.step_id or "")
        put_number(ws.cell(n, 14), it.price_year)
        put_text(ws.cell(n, 15), it.source)
    last = len(rows) + 1
    _finish(ws, "BOM", len(BOM_HEADERS), last, freeze="C2", wrap_cols=(15,), widths={1: 7, 3: 46})
    return {"last_row": last, "total_cell": "BOM!$I$2", "rows": rows}


def _sheet_breakdown(ws: Worksheet, result: CostResult) -> dict[str, Any]:
    headers = ["Category", "Item", "USD per cell", "USD per kWh", "Share of cell cost", "USD per cell, Python",
               "Basis"]
    _header(ws, headers)
    items: list[tuple[str, str, float, str, str | None]] = [
        ("materials", "materials (BOM total, scrap included)", result.material_cost_per_cell_usd,
         "sum of the BOM's extended costs", Formula("=BOM!$I$2"))]
    for p in result.process_lines:
        items.append((p.category, p.item, p.usd_per_cell, p.basis, None))
    n_items = len(items)
    tot = n_items + 2
    for i, (cat, item, usd, basis, formula) in enumerate(items):
        n = i + 2
        put_text(ws.cell(n, 1), cat)
        put_text(ws.cell(n, 2), item)
        if formula:
            put_formula(ws.cell(n, 3), formula, USD4)
        else:
            put_number(ws.cell(n, 3), usd, USD4)
        put_formula(ws.cell(n, 4), f"=C{n}/(EnergyWh/1000)", USD_KWH)
        put_formula(ws.cell(n, 5), f"=IF($C${tot}=0,0,C{n}/$C${tot})", PCT)
        put_number(ws.cell(n, 6), usd, USD4)
        put_text(ws.cell(n, 7), basis)
    put_text(ws.cell(tot, 1), "total")
    put_text(ws.cell(tot, 2), "cost per good cell")
    put_formula(ws.cell(tot, 3), f"=SUM(C2:C{tot - 1})", USD4)
    put_formula(ws.cell(tot, 4), f"=C{tot}/(EnergyWh/1000)", USD_KWH)
    put_formula(ws.cell(tot, 5), f"=IF($C${tot}=0,0,C{tot}/$C${tot})", PCT)
    put_number(ws.cell(tot, 6), result.cost_per_cell_usd, USD4)
    put_text(ws.cell(tot, 7), "sum of the lines above")
    for j in range(1, 8):
        ws.cell(tot, j).font = Font(bold=True)
    _finish(ws, "Breakdown", len(headers), tot, wrap_cols=(7,))
    return {"total_row": tot, "first": 2, "last_item": tot - 1}


def _sheet_materials(ws: Worksheet, result: CostResult, bom_last: int, materials: Any) -> dict[str, Any]:
    headers = ["Material", "Name", "USD per cell", "USD per kWh", "Share of materials", "USD per cell, Python",
               "g per good cell", "Price", "Price unit", "Price year", "Price source"]
    _header(ws, headers)
    g_good: dict[str, float] = {}
    first: dict[str, Any] = {}
    for ln in result.material_lines:
        g_good[ln.material_id] = g_good.get(ln.material_id, 0.0) + ln.g_per_good_cell
        first.setdefault(ln.material_id, ln)
    mids = list(result.materials_usd_per_cell)
    last = len(mids) + 1
    for i, mid in enumerate(mids):
        n = i + 2
        ln = first[mid]
        put_text(ws.cell(n, 1), mid)
        put_text(ws.cell(n, 2), ln.name)
        put_formula(ws.cell(n, 3), f"=SUMIF(BOM!$L$2:$L${bom_last},A{n},BOM!$I$2:$I${bom_last})", USD4)
        put_formula(ws.cell(n, 4), f"=C{n}/(EnergyWh/1000)", USD_KWH)
        put_formula(ws.cell(n, 5), f"=IF(SUM($C$2:$C${last})=0,0,C{n}/SUM($C$2:$C${last}))", PCT)
        put_number(ws.cell(n, 6), result.materials_usd_per_cell[mid], USD4)
        put_number(ws.cell(n, 7), g_good[mid], '0.0000 "g"')
        put_number(ws.cell(n, 8), ln.unit_price, "#,##0.00##")
        put_text(ws.cell(n, 9), ln.price_unit)
        put_number(ws.cell(n, 10), ln.price_year)
        put_text(ws.cell(n, 11), ln.price_source)
    _finish(ws, "Materials", len(headers), last, wrap_cols=(11,))
    return {"last_row": last}


def _sheet_summary(ws: Worksheet, result: CostResult, recipe: Any, bd: dict[str, Any], extra: Sequence[tuple]) -> int:
    headers = ["Quantity", "Value", "Unit", "Python value", "Note"]
    _header(ws, headers)
    tot = bd["total_row"]
    first, last_item = bd["first"], bd["last_item"]
    rows: list[tuple[str, Any, str, Any, str, str | None]] = []  # label, value|formula, unit, python, note, fmt

    def add(label, value, unit="", python=None, note="", fmt=None):
        rows.append((label, value, unit, python, note, fmt))

    add("Recipe", recipe.id, "", None, getattr(recipe, "title", ""))
    add("Recipe revision", recipe.revision, "", None, f"content hash {getattr(recipe, 'hash', '')}")
    add("Material prices", result.prices, "scenario", None, "low / base / high of recipes/materials.yaml")
    add("Layers", result.layers, "", result.layers, "", INT)
    add("Capacity", result.capacity_Ah, "Ah", result.capacity_Ah, "", "0.000")
    energy_row = len(rows) + 2
    add("Energy per cell", result.energy_Wh, "Wh", result.energy_Wh, "defined name EnergyWh", "0.0000")
    cost_row = len(rows) + 2
    add("Cost per good cell", Formula(f"=Breakdown!$C${tot}"), "USD", result.cost_per_cell_usd,
        "materials + process; formula over Breakdown", USD4)
    add("Cost per kWh", Formula(f"=B{cost_row}/(B{energy_row}/1000)"), "USD/kWh", result.cost_per_kWh_usd, "", USD_KWH)
    mat_row = len(rows) + 2
    add("Material cost per cell", Formula("=BOM!$I$2"), "USD", result.material_cost_per_cell_usd,
        "BOM total, scrap included", USD4)
    add("Material cost per kWh", Formula(f"=B{mat_row}/(B{energy_row}/1000)"), "USD/kWh", result.material_cost_per_kWh_usd,
        "", USD_KWH)
    add("Process cost per cell", Formula(f"=B{cost_row}-B{mat_row}"), "USD", result.process_cost_per_cell_usd,
        "labour, energy, depreciation, building, overhead", USD4)
    add("Jellyroll materials per kWh (no scrap)", result.jellyroll_material_cost_per_kWh_usd, "USD/kWh",
        result.jellyroll_material_cost_per_kWh_usd,
        "cathode composite + SE film + alloy, no foils or package; process-data.md B5: about 345 USD/kWh at base",
        USD_KWH)
    for cat in CATEGORIES:
        add(f"{cat.capitalize()} cost per cell",
            Formula(f'=SUMIF(Breakdown!$A${first}:$A${last_item},"{cat}",Breakdown!$C${first}:$C${last_item})'), "USD",
            result.breakdown_usd_per_cell.get(cat, 0.0), "by category, from Breakdown", USD4)
    add("Plant", "line " + (result.line_name or "") if result.plant_mode == "line" else "default plant", "", None,
        "see the Plant / Line KPIs sheet")
    add("Good cells per year", result.annual_good_cells, "cells/yr", result.annual_good_cells, "", INT)
    add("Energy per year", result.annual_MWh, "MWh/yr", result.annual_MWh, "", "#,##0.0")
    add("Good cells per scheduled hour", result.good_cells_per_h, "cells/h", result.good_cells_per_h, "", "#,##0.0")
    add("Scheduled hours per year", result.scheduled_h_per_year, "h/yr", result.scheduled_h_per_year, "", INT)
    add("Equipment capex", result.capex_usd, "USD", result.capex_usd, "machines, gloveboxes, dry room", '#,##0 "USD"')
    add("Rolled throughput yield", result.rolled_throughput_yield, "fraction", result.rolled_throughput_yield,
        "product of the step yields", PCT)
    for label, value, unit, note, fmt in extra:
        add(label, value, unit, value if isinstance(value, (int, float)) else None, note, fmt)

    for i, (label, value, unit, python, note, fmt) in enumerate(rows):
        n = i + 2
        put_text(ws.cell(n, 1), label)
        if isinstance(value, Formula):
            put_formula(ws.cell(n, 2), value, fmt)
        else:
            _put(ws.cell(n, 2), value, fmt)
        put_text(ws.cell(n, 3), unit)
        if python is not None:
            put_number(ws.cell(n, 4), python, fmt)
        put_text(ws.cell(n, 5), note)
    last = len(rows) + 1
    _finish(ws, "Summary", len(headers), last, wrap_cols=(5,), widths={1: 36, 2: 22, 3: 10, 4: 18, 5: 60})
    return energy_row


def _sheet_sensitivity(ws: Worksheet, df: Any, result: CostResult) -> None:
    headers = ["Input", "Kind", "Unit", "Low", "Base", "High", "USD/kWh at low", "USD/kWh at high",
               "Swing (USD/kWh)", "Source"]
    _header(ws, headers)
    n = 1
    if df is not None:
        for rec in df.to_dict("records"):
            n += 1
            put_text(ws.cell(n, 1), rec["input"])
            put_text(ws.cell(n, 2), rec["kind"])
            put_text(ws.cell(n, 3), rec["unit"])
            for j, k in ((4, "low_value"), (5, "base_value"), (6, "high_value")):
                put_number(ws.cell(n, j), float(rec[k]), "#,##0.00##")
            for j, k in ((7, "cost_per_kWh_low_usd"), (8, "cost_per_kWh_high_usd"), (9, "swing_usd_per_kWh")):
                put_number(ws.cell(n, j), float(rec[k]), USD_KWH)
            put_text(ws.cell(n, 10), rec["source"])
    _finish(ws, "Sensitivity", len(headers), n, wrap_cols=(10,), widths={1: 48})


def _sheet_stations(ws: Worksheet, result: CostResult) -> None:
    headers = ["Station", "Step", "Station kind", "Machines", "Throughput basis", "Basis units per cell",
               "Capacity per machine-hour", "Demand per hour", "Utilization", "Capex (USD)", "Operators per shift",
               "Power (kW)", "Atmosphere", "Floor (m2)", "Source"]
    sim = {}
    if result.line_kpis:
        sim = {d.get("name"): d for d in result.line_kpis.get("stations", []) or [] if isinstance(d, dict)}
    sim_cols = [("availability", "Availability (sim)", PCT), ("oee", "OEE (sim)", PCT),
                ("yield_frac", "Yield (sim)", PCT2), ("started_units", "Started units (sim)", INT),
                ("scrapped_units", "Scrapped units (sim)", INT)] if sim else []
    headers = headers + [h for _, h, _ in sim_cols]
    _header(ws, headers)
    for i, s in enumerate(result.stations):
        n = i + 2
        put_text(ws.cell(n, 1), s.name)
        put_text(ws.cell(n, 2), s.step_id)
        put_text(ws.cell(n, 3), s.kind)
        put_number(ws.cell(n, 4), s.machines, INT)
        put_text(ws.cell(n, 5), s.basis)
        put_number(ws.cell(n, 6), s.units_per_cell, "0.0000")
        put_number(ws.cell(n, 7), s.capacity_per_machine_h, "#,##0.00")
        put_number(ws.cell(n, 8), s.demand_per_h, "#,##0.00")
        put_number(ws.cell(n, 9), s.utilization, PCT)
        put_number(ws.cell(n, 10), s.capex_usd, '#,##0 "USD"')
        put_number(ws.cell(n, 11), s.operators_per_shift, "0.00")
        put_number(ws.cell(n, 12), s.power_kW, '0.0 "kW"')
        put_text(ws.cell(n, 13), s.atmosphere)
        put_number(ws.cell(n, 14), s.floor_m2, '#,##0 "m2"')
        put_text(ws.cell(n, 15), s.source)
        d = sim.get(s.name, {})
        for j, (key, _, fmt) in enumerate(sim_cols, start=16):
            v = d.get(key)
            put_number(ws.cell(n, j), float(v) if isinstance(v, (int, float)) else None, fmt)
    _finish(ws, "Stations", len(headers), len(result.stations) + 1)


def _sheet_assumptions(ws: Worksheet, result: CostResult, rates: Any, materials: Any) -> None:
    headers = ["Topic", "Assumption", "Value", "Unit", "Source"]
    _header(ws, headers)
    rows: list[tuple[str, str, Any, str, str]] = []
    for a in result.assumptions:
        rows.append((a.topic, a.text, None, "", a.source))
    for sid, y in result.step_yields.items():
        rows.append(("yield", f"yield of step {sid}", y, "fraction", result.step_yield_sources.get(sid, "")))
    for sid, f in result.start_factors.items():
        rows.append(("scrap", f"units started at {sid} per good cell (F)", f, "units/cell",
                     "derived: 1 / product of downstream yields"))
    if rates is not None:
        flat = rates.flat()
        kinds = {s.kind for s in result.stations}
        for name, rate in flat.items():
            if name.startswith("stations.") and name.split(".")[1] not in kinds:
                continue
            used = result.rates_used.get(name, rate.base)
            src = rate.source + (f" ({rate.note})" if rate.note else "") + \
                f"; range {rate.low:g}-{rate.high:g}"
            rows.append(("rate", name, used, rate.unit, src))
        p = rates.plant
        if result.plant_mode == "default":
            rows.append(("plant", "annual volume of the default plant", result.annual_MWh, "MWh/yr", p.source))
            rows.append(("plant", "scheduled hours per year", result.scheduled_h_per_year, "h/yr", p.source))
        th = rates.alloy_thermal
        rows.append(("energy", "alloy specific heat", th.specific_heat_J_gK, "J/(g K)", th.source))
        rows.append(("energy", "alloy heat of fusion", th.heat_of_fusion_J_g, "J/g", th.source))
    seen = set()
    for ln in result.material_lines:
        if ln.material_id in seen:
            continue
        seen.add(ln.material_id)
        rows.append(("price", f"{ln.material_id}: {ln.name} ({result.prices})", ln.unit_price, ln.price_unit,
                     f"{ln.price_source} ({ln.price_year})"))
    for i, (topic, text, value, unit, src) in enumerate(rows):
        n = i + 2
        put_text(ws.cell(n, 1), topic)
        put_text(ws.cell(n, 2), text)
        if value is not None:
            _put(ws.cell(n, 3), value, "#,##0.00##")
        put_text(ws.cell(n, 4), unit)
        put_text(ws.cell(n, 5), src)
    _finish(ws, "Assumptions", len(headers), len(rows) + 1, wrap_cols=(2, 5), widths={2: 70, 5: 70})


def _sheet_demand(ws: Worksheet, demand: Any) -> None:
    """Materials, then elements: t/yr at the plant's volume and the share of world production."""
    columns = [("Kind", None), ("Item", None), ("Name", None), ("g per good cell", "#,##0.000"),
               ("t per year", "#,##0.0"), ("World production (t/yr)", INT), ("Stage", None), ("Year", "0"),
               ("Share of world production", "0.000%"), ("Supply risk", None), ("GWh/yr at world output", "#,##0.0"),
               ("World reserves (t)", INT), ("Composition (wt%) / from materials", None), ("Source or note", None)]
    _header(ws, [h for h, _ in columns])
    rows = [("material", r.material_id, r.name, r.g_per_good_cell, r.demand_t_per_yr, None, "", None, None, "",
             None, None, r.composition_wt_pct, r.note) for r in demand.materials.itertuples()]
    rows += [("element", r.element, r.name, r.g_per_good_cell, r.demand_t_per_yr, r.world_production_t_per_yr,
              r.world_production_stage, None if pd.isna(r.world_production_year) else int(r.world_production_year),
              r.share_of_world_frac, "SUPPLY RISK" if r.supply_risk else "", r.GWh_per_yr_at_world_output,
              r.world_reserves_t, r.from_materials, r.world_production_source) for r in demand.elements.itertuples()]
    for i, row in enumerate(rows, start=2):
        for j, (value, (_, fmt)) in enumerate(zip(row, columns), start=1):
            if fmt is None:
                put_text(ws.cell(i, j), value)
            else:
                put_number(ws.cell(i, j), None if value is None else float(value), fmt)
    _finish(ws, "Demand", len(columns), len(rows) + 1, wrap_cols=(14,), widths={13: 40, 14: 70})


# ------------------------------------------------------------------------------------------------
# public API
# ------------------------------------------------------------------------------------------------
def build_workbook(result: CostResult, bom: BomItem, *, recipe: Any, materials: Any = None, rates: Any = None,
                   sensitivity: Any = None) -> Workbook:
    """The cost workbook (not saved)."""
    wb = Workbook()
    ws_sum = wb.active
    ws_sum.title = "Summary"
    ws_bom = wb.create_sheet("BOM")
    ws_bd = wb.create_sheet("Breakdown")
    ws_mat = wb.create_sheet("Materials")
    demand = None
    if materials is not None and getattr(materials, "elements", None) and result.annual_good_cells > 0:
        from pouchline.demand import material_demand

        demand = material_demand(result, materials)
        _sheet_demand(wb.create_sheet("Demand"), demand)
    ws_sens = wb.create_sheet("Sensitivity")
    ws_st = wb.create_sheet("Line KPIs" if result.plant_mode == "line" else "Plant")
    ws_as = wb.create_sheet("Assumptions")

    info = _sheet_bom(ws_bom, bom)
    bd = _sheet_breakdown(ws_bd, result)
    _sheet_materials(ws_mat, result, info["last_row"], materials)
    extra: list[tuple] = []
    k = result.line_kpis or {}
    if result.plant_mode == "line" and k:
        for key, label, unit, fmt in (("throughput_units_per_h", "Simulated throughput", "cells/h", "#,##0.0"),
                                      ("yield_rty", "Simulated rolled throughput yield", "fraction", PCT),
                                      ("good_units", "Simulated good units", "cells", INT)):
            if isinstance(k.get(key), (int, float)):
                extra.append((label, float(k[key]), unit, "line simulation", fmt))
        if k.get("bottleneck"):
            extra.append(("Bottleneck", str(k["bottleneck"]), "", str(k.get("bottleneck_why", "")), None))
    if demand is not None and demand.tightest is not None:
        t = demand.tightest
        extra.append((f"Share of world {t['name']} production", t["share_of_world_frac"], "fraction",
                      f"the tightest element at {demand.GWh_per_yr:,.3g} GWh/yr; see the Demand sheet", PCT2))
        extra.append(("Volume that takes the world's whole output", t["GWh_per_yr_at_world_output"], "GWh/yr",
                      f"of {t['name']} ({t['world_production_stage']}, {t['world_production_year']})", "#,##0.00"))
    energy_row = _sheet_summary(ws_sum, result, recipe, bd, extra)
    wb.defined_names["EnergyWh"] = DefinedName("EnergyWh", attr_text=f"Summary!$B${energy_row}")
    wb.defined_names["CostPerCell"] = DefinedName("CostPerCell", attr_text=f"Breakdown!$C${bd['total_row']}")
    wb.defined_names["MaterialCostPerCell"] = DefinedName("MaterialCostPerCell", attr_text="BOM!$I$2")
    _sheet_sensitivity(ws_sens, sensitivity, result)
    _sheet_stations(ws_st, result)
    _sheet_assumptions(ws_as, result, rates, materials)

    wb.properties.creator = "pouchline"
    wb.properties.title = clean_text(f"Cost and BOM of {recipe.id} rev {recipe.revision}")[:200]
    return wb


def write_cost_workbook(path: str | os.PathLike, result: CostResult, bom: BomItem, *, recipe: Any,
                        materials: Any = None, rates: Any = None, sensitivity: Any = None) -> Path:
    """Write the workbook to ``path`` atomically (a failure leaves any earlier file untouched)."""
    from pouchline.fileio import atomic_write

    wb = build_workbook(result, bom, recipe=recipe, materials=materials, rates=rates, sensitivity=sensitivity)
    return atomic_write(path, lambda p: wb.save(p))


def cost_workbook_bytes(result: CostResult, bom: BomItem, *, recipe: Any, materials: Any = None, rates: Any = None,
                        sensitivity: Any = None) -> bytes:
    """The workbook as bytes (for a download button)."""
    wb = build_workbook(result, bom, recipe=recipe, materials=materials, rates=rates, sensitivity=sensitivity)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["DANGEROUS", "Formula", "build_workbook", "clean_text", "cost_workbook_bytes", "put_formula", "put_text",
           "write_cost_workbook"]
