"""The cost workbook: the bill of materials and the cost model in Excel (openpyxl), for a buyer and a planner.

The only module that writes the workbook. Sheets:

* **Summary**: the headline figures on one printable A4 page; cost per cell and per kWh are
  formulas over the BOM and the breakdown (the energy per cell is the defined name ``EnergyWh``).
* **Inputs**: every rate, material price and volume the costs read, each a defined name
  (``in_labour_rate_usd_h``, ``price_indium``, ``in_annual_good_cells``), and the figures of the
  plant pouchline sized (operators, power, gloveboxes, capex, floor). Change a rate or a price here
  and every process line, the BOM and the totals follow.
* **BOM**: the indented multi-level BOM with g per cell and quantities per lot and per year (scrap
  included, in kg/t, m², ea), extended quantities and costs as formulas, unit costs of bought
  items from the Inputs sheet.
* **Purchasing**: every purchased material once, with its quantities (formulas over the BOM), price,
  currency, price year (flagged when older than five years), supplier, part number, MOQ, lead time
  and packaging from the materials library (blank where it does not know them).
* **Breakdown**: cost per cell by category and item; every process line is a formula of the Inputs
  (:func:`pouchline.cost.bom.process_formulas`), materials are the BOM total.
* **Materials**: cost per material, ``SUMIF`` over the BOM.
* **Demand**: tonnes per year of every purchased material and element at the plant's volume, each
  element as a share of world production (:func:`pouchline.demand.material_demand`); only when
  the materials library has world figures (``elements:``).
* **Sensitivity**: the tornado table (values: it needs the cost model, which Excel does not have).
* **Plant** or **Line KPIs**: the costed stations (and the simulation's KPIs when given).
* **Assumptions**: every convention, rate, yield and price with its source.
* **Check** (hidden): every total the workbook computes beside pouchline's own value.

Every sheet has one Excel table, a frozen header row, number formats with units, column widths
that fit, wrapped long text and an A4 print setup (print area, the header row on every page, a
scale that never prints the 11 pt type under 8 pt). Text that comes from a recipe, a library or a
user is written with :func:`put_text`, so Excel never reads ``=...``, ``+...``, ``-...`` or ``@...``
as a formula (CWE-1236), and control characters that the xlsx format cannot hold (``\x00``,
``\x1b``) are replaced. Only a :class:`Formula`, which only this module makes, reaches the
formula writer.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
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

from pouchline.cost.bom import BomItem, CostInput, ProcessFormula, cost_inputs, flatten, price_flag, process_formulas
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
#: Cells per lot of the BOM's and Purchasing's quantities per lot unless the caller says (plan's default lot).
DEFAULT_LOT_CELLS = 100


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
OLD_FILL = PatternFill("solid", fgColor="F8CBAD")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
#: Printable width of A4 (mm) between 10 mm margins, and the smallest print scale: the workbook's
#: 11 pt type prints at 11 x 0.75 = 8.25 pt, never under 8 pt (issue 16).
A4_MM = {"portrait": 190.0, "landscape": 277.0}
MIN_PRINT_SCALE = 0.75
MARGIN_IN = 0.4


def _header(ws: Worksheet, headers: Sequence[str]) -> None:
    for j, h in enumerate(headers, start=1):
        c = put_text(ws.cell(1, j), h)
        c.font = Font(bold=True)
        c.fill = HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")


def column_width_mm(width: float) -> float:
    """Printed width of a column of ``width`` characters at 100 %, as LibreOffice prints it (7 points a
    character; Excel prints the same column narrower, so a scale chosen with this fits both)."""
    return width * 7.0 * 25.4 / 72.0


def print_scale(natural_mm: float, orientation: str) -> int:
    """The print scale (%) that fits ``natural_mm`` of columns on the page width, never under
    :data:`MIN_PRINT_SCALE` (a wider sheet continues on the next page, its title columns repeated)."""
    fit = A4_MM[orientation] / natural_mm if natural_mm > 0 else 1.0
    return int(max(100 * MIN_PRINT_SCALE, min(100.0, math.floor(100 * fit))))


def _print_setup(ws: Worksheet, n_cols: int, n_rows: int, *, orientation: str = "landscape", one_page: bool = False,
                 title_cols: str | None = None) -> None:
    """A4, a print area, the header row repeated on every page, margins, and a scale that keeps type >= 8 pt.

    The scale fits the columns on the page width, but never goes under :data:`MIN_PRINT_SCALE`
    (75 %: the 11 pt type prints at 8.25 pt); a wider sheet continues on the next page with
    ``title_cols`` repeated. ``one_page`` fits the sheet on one page (the Summary).
    """
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.print_area = f"A1:{get_column_letter(n_cols)}{max(n_rows, 2)}"
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = MARGIN_IN
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.gridLines = False
    natural = sum(column_width_mm(ws.column_dimensions[get_column_letter(j)].width or 8.43) for j in range(1, n_cols + 1))
    if one_page:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1
        return
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = print_scale(natural, orientation)
    if title_cols and natural * ws.page_setup.scale / 100.0 > A4_MM[orientation]:
        ws.print_title_cols = title_cols


def _finish(ws: Worksheet, table_name: str, n_cols: int, n_rows: int, *, freeze: str = "A2",
            max_width: int = 60, wrap_cols: Iterable[int] = (), widths: dict[int, float] | None = None,
            orientation: str = "landscape", one_page: bool = False, title_cols: str | None = None,
            printable: bool = True) -> None:
    """Excel table, frozen header, column widths that fit, wrapped long text, A4 print setup (none when not
    ``printable``: LibreOffice prints a hidden sheet that has a print area)."""
    last = max(n_rows, 2)
    if n_rows < 2:  # a table needs a data row
        for j in range(1, n_cols + 1):
            ws.cell(2, j)
    ref = f"A1:{get_column_letter(n_cols)}{last}"
    t = Table(displayName=table_name, ref=ref)
    t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(t)
    ws.freeze_panes = freeze
    wrap = set(wrap_cols)
    for row in ws.iter_rows(min_row=2, max_row=last, max_col=n_cols):
        for c in row:
            if c.alignment.vertical is None:
                c.alignment = Alignment(vertical="top", indent=c.alignment.indent, wrap_text=c.alignment.wrap_text)
    for j in range(1, n_cols + 1):
        letter = get_column_letter(j)
        if widths and j in widths:
            ws.column_dimensions[letter].width = widths[j]
        else:
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
                    n = min(n, 16)  # headers wrap
                best = max(best, n)
            ws.column_dimensions[letter].width = min(best, max_width)
        if j in wrap:
            for i in range(2, last + 1):
                ws.cell(i, j).alignment = Alignment(wrap_text=True, vertical="top", indent=ws.cell(i, j).alignment.indent)
    _row_heights(ws, n_cols, last, wrap | {j for j in range(1, n_cols + 1) if ws.cell(1, j).alignment.wrap_text})
    if printable:
        _print_setup(ws, n_cols, last, orientation=orientation, one_page=one_page, title_cols=title_cols)


#: Height of one line of 11 pt text in a row, pt.
LINE_PT = 14.5


def _wrapped_lines(text: str, per_line: int) -> int:
    """Lines ``text`` takes when wrapped at word boundaries to ``per_line`` characters (a long word breaks)."""
    lines, used = 1, 0
    for word in text.split():
        while len(word) > per_line:  # a word longer than the line breaks across lines
            lines += 1 if used else 0
            word, used = word[per_line:], 0
            lines += 1
        if used and used + 1 + len(word) > per_line:
            lines, used = lines + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return lines


def _row_heights(ws: Worksheet, n_cols: int, last: int, wrap: set[int]) -> None:
    """Rows tall enough for their wrapped text (neither Excel nor LibreOffice sizes them when opening a file)."""
    for i in range(1, last + 1):
        lines = 1
        for j in wrap:
            v = ws.cell(i, j).value
            if not isinstance(v, str) or ws.cell(i, j).data_type == "f":
                continue
            width = ws.column_dimensions[get_column_letter(j)].width or 8.43
            per_line = max(1, int(width) - (2 if i == 1 else 1))  # bold headers are wider
            lines = max(lines, sum(_wrapped_lines(part, per_line) for part in v.split("\n")))
        if lines > 1:
            ws.row_dimensions[i].height = LINE_PT * lines + 2


def _put_price_age(ws: Worksheet, row: int, col: int, year: int | None, as_of: dt.date, *, is_price: bool = True) -> None:
    """A price's year in column ``col`` and its age flag beside it, both shaded when older than five years."""
    put_number(ws.cell(row, col), year)
    flag = price_flag(year, as_of) if is_price else ""
    put_text(ws.cell(row, col + 1), flag)
    if flag:
        for j in (col, col + 1):
            ws.cell(row, j).fill = OLD_FILL


def _name(wb: Workbook, name: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=ref)


def _scaled(uom: str, qty: float, per: str) -> tuple[float, str]:
    """(divisor, unit text) that puts ``qty`` (in ``uom``) in a unit people read: kg under 1 as g, over 1,000 as t."""
    if uom == "kg":
        if qty >= 1000.0:
            return 1000.0, f"t{per}"
        if 0 < qty < 1.0:
            return 0.001, f"g{per}"
        return 1.0, f"kg{per}"
    if uom == "m2":
        return 1.0, f"m²{per}"
    return 1.0, f"{uom}{per}"


# ------------------------------------------------------------------------------------------------
# the sheets
# ------------------------------------------------------------------------------------------------
INPUT_HEADERS = ["Group", "Input", "Value", "Unit", "Name in formulas", "Year", "Price age", "Source"]


def _sheet_inputs(wb: Workbook, ws: Worksheet, inputs: Sequence[CostInput], as_of: dt.date) -> dict[str, str]:
    """The Inputs sheet: every rate, price and volume the process lines and the BOM read, each a defined name."""
    _header(ws, INPUT_HEADERS)
    refs: dict[str, str] = {}
    groups = {"volume": "volume", "rates": "rate", "prices": "material price", "plant": "plant (as sized)"}
    for i, x in enumerate(inputs, start=2):
        put_text(ws.cell(i, 1), groups.get(x.group, x.group))
        put_text(ws.cell(i, 2), x.label)
        fmt = INT if float(x.value).is_integer() or x.unit.startswith("cells") else "#,##0.0###"
        put_number(ws.cell(i, 3), x.value, fmt)
        if x.group in ("rates", "prices", "volume"):
            ws.cell(i, 3).fill = INPUT_FILL
        put_text(ws.cell(i, 4), x.unit)
        put_text(ws.cell(i, 5), x.key)
        _put_price_age(ws, i, 6, x.year, as_of, is_price=x.group == "prices")
        put_text(ws.cell(i, 8), x.source)
        refs[x.key] = f"Inputs!$C${i}"
        _name(wb, x.key, refs[x.key])
    _finish(ws, "Inputs", len(INPUT_HEADERS), len(inputs) + 1, freeze="C2", wrap_cols=(2, 7, 8),
            widths={1: 13, 2: 27, 3: 16, 4: 10, 5: 24, 6: 6, 7: 14, 8: 38}, title_cols="A:C")
    return refs


BOM_HEADERS = ["Level", "Item No.", "Description", "Qty per parent", "UoM", "Scrap allowance", "Ext. qty per cell",
               "g per cell", "Qty per lot", "Lot unit", "Qty per year", "Year unit", "Unit cost (USD per UoM)",
               "Ext. cost (USD per cell)", "Make/Buy", "Material", "Consumed at step", "Price year", "Price age",
               "Source"]


def _sheet_bom(ws: Worksheet, root: BomItem, result: CostResult, prices: set[str], lot_cells: int,
               as_of: dt.date) -> dict[str, Any]:
    _header(ws, BOM_HEADERS)
    rows = flatten(root)
    for r in rows:
        n = r.index + 2
        it = r.item
        ws.cell(n, 1, r.level)
        put_text(ws.cell(n, 2), it.item_id)
        c = put_text(ws.cell(n, 3), it.description)
        c.alignment = Alignment(indent=r.level, wrap_text=True, vertical="top")
        if it.is_assembly:
            c.font = Font(bold=True)
        put_number(ws.cell(n, 4), it.qty_per_parent, QTY)
        put_text(ws.cell(n, 5), it.uom)
        put_number(ws.cell(n, 6), it.scrap_allowance, PCT2)
        up = f"G{r.parent + 2}" if r.parent is not None else "1"
        put_formula(ws.cell(n, 7), f"={up}*D{n}*(1+F{n})", QTY)
        if it.g_per_uom:
            put_formula(ws.cell(n, 8), f"=G{n}*{it.g_per_uom!r}", "#,##0.0000")
        lot_div, lot_unit = _scaled(it.uom, r.ext_qty * lot_cells, "")
        put_formula(ws.cell(n, 9), f"=G{n}*in_lot_cells/{lot_div!r}", _qty_format(lot_unit))
        put_text(ws.cell(n, 10), lot_unit)
        yr_div, yr_unit = _scaled(it.uom, r.ext_qty * result.annual_good_cells, "/yr")
        put_formula(ws.cell(n, 11), f"=G{n}*in_annual_good_cells/{yr_div!r}", _qty_format(yr_unit))
        put_text(ws.cell(n, 12), yr_unit)
        if it.is_assembly:
            put_formula(ws.cell(n, 13), f"=IF(G{n}=0,0,N{n}/G{n})", USD4)
            kids = [f"N{k + 2}" for k in r.children]
            if kids:
                put_formula(ws.cell(n, 14), "=" + "+".join(kids), USD4)
            else:
                put_number(ws.cell(n, 14), 0.0, USD4)
        else:
            if it.material_id in prices:  # the price lives on the Inputs sheet
                put_formula(ws.cell(n, 13), f"=price_{it.material_id}", USD4)
            else:
                put_number(ws.cell(n, 13), it.unit_cost_usd, USD4)
            put_formula(ws.cell(n, 14), f"=G{n}*M{n}", USD4)
        put_text(ws.cell(n, 15), it.make_buy)
        put_text(ws.cell(n, 16), it.material_id or "")
        put_text(ws.cell(n, 17), it.step_id or "")
        _put_price_age(ws, n, 18, it.price_year, as_of)
        put_text(ws.cell(n, 20), it.source)
    last = len(rows) + 1
    _finish(ws, "BOM", len(BOM_HEADERS), last, freeze="D2", wrap_cols=(19, 20),
            widths={1: 6, 2: 15, 3: 32, 4: 11, 5: 6, 6: 10, 7: 11, 8: 10, 9: 11, 10: 6, 11: 12, 12: 8, 13: 14, 14: 14,
                    15: 6, 16: 11, 17: 16, 18: 7, 19: 15, 20: 40}, title_cols="A:C")
    return {"last_row": last, "total_cell": "BOM!$N$2", "rows": rows}


PURCHASING_HEADERS = ["Material", "Name", "Supplier", "Supplier part no.", "Qty per year", "Year unit", "Qty per lot",
                      "Lot unit", "MOQ", "Lead time (weeks)", "Packaging", "Unit price", "Price unit", "Currency",
                      "Price year", "Price age", "g per good cell", "Source of the purchasing data"]


def _qty_format(unit: str) -> str:
    """Whole pieces, one decimal of kg, t or m², three of g."""
    if unit.startswith("ea"):
        return INT
    if unit.startswith("g"):
        return "#,##0.000"
    return "#,##0.0"


def _sheet_purchasing(ws: Worksheet, result: CostResult, materials: Any, bom_last: int, lot_cells: int,
                      as_of: dt.date) -> None:
    """What a buyer asks quotes for: every purchased material once, its supplier and terms first, quantities by
    formula over the BOM (scrap included), price with its currency and age."""
    _header(ws, PURCHASING_HEADERS)
    lines: dict[str, Any] = {}
    per_cell: dict[str, float] = {}
    for ln in result.material_lines:
        lines.setdefault(ln.material_id, ln)
        per_cell[ln.material_id] = per_cell.get(ln.material_id, 0.0) + ln.qty_per_cell * ln.start_factor
    bom_g = f"BOM!$H$2:$H${bom_last}"
    bom_q = f"BOM!$G$2:$G${bom_last}"
    bom_m = f"BOM!$P$2:$P${bom_last}"
    for i, (mid, ln) in enumerate(lines.items(), start=2):
        mat = materials.get(mid) if materials is not None else None
        buy = getattr(mat, "purchasing", None)
        put_text(ws.cell(i, 1), mid)
        put_text(ws.cell(i, 2), ln.name)
        yr_div, yr_unit = _scaled(ln.uom, per_cell[mid] * result.annual_good_cells, "/yr")
        put_formula(ws.cell(i, 5), f"=SUMIF({bom_m},A{i},{bom_q})*in_annual_good_cells/{yr_div!r}",
                    _qty_format(yr_unit))
        put_text(ws.cell(i, 6), yr_unit)
        lot_div, lot_unit = _scaled(ln.uom, per_cell[mid] * lot_cells, "")
        put_formula(ws.cell(i, 7), f"=SUMIF({bom_m},A{i},{bom_q})*in_lot_cells/{lot_div!r}", _qty_format(lot_unit))
        put_text(ws.cell(i, 8), lot_unit)
        put_formula(ws.cell(i, 12), f"=price_{mid}", "#,##0.00##")
        put_text(ws.cell(i, 13), ln.price_unit)
        put_text(ws.cell(i, 14), (buy.currency if buy is not None and buy.currency else ln.price_unit.split("/")[0]))
        _put_price_age(ws, i, 15, ln.price_year, as_of)
        put_formula(ws.cell(i, 17), f"=SUMIF({bom_m},A{i},{bom_g})", "#,##0.0000")
        if buy is not None:
            put_text(ws.cell(i, 3), buy.supplier)
            put_text(ws.cell(i, 4), buy.supplier_part_number)
            put_text(ws.cell(i, 9), buy.moq)
            put_number(ws.cell(i, 10), buy.lead_time_weeks, "0.#")
            put_text(ws.cell(i, 11), buy.packaging)
            put_text(ws.cell(i, 18), buy.source)
    _finish(ws, "Purchasing", len(PURCHASING_HEADERS), len(lines) + 1, freeze="C2", wrap_cols=(2, 3, 11, 16, 18),
            widths={1: 10, 2: 25, 3: 20, 4: 11, 5: 11, 6: 6, 7: 10, 8: 5, 9: 8, 10: 9, 11: 17, 12: 9, 13: 9, 14: 8,
                    15: 6, 16: 15, 17: 9, 18: 34}, title_cols="A:B")


def _sheet_breakdown(ws: Worksheet, result: CostResult, formulas: Sequence[ProcessFormula]) -> dict[str, Any]:
    headers = ["Category", "Item", "USD per cell", "USD per kWh", "Share of cell cost", "Basis"]
    _header(ws, headers)
    items: list[tuple[str, str, float, str, str | None]] = [
        ("materials", "materials (BOM total, scrap included)", result.material_cost_per_cell_usd,
         "sum of the BOM's extended costs", "=MaterialCostPerCell")]
    for p in formulas:
        items.append((p.category, p.item, p.usd_per_cell, p.basis, "=" + p.expression if p.expression else None))
    tot = len(items) + 2
    for i, (cat, item, usd, basis, formula) in enumerate(items):
        n = i + 2
        put_text(ws.cell(n, 1), cat)
        put_text(ws.cell(n, 2), item)
        if formula:
            put_formula(ws.cell(n, 3), Formula(formula), USD4)
        else:
            put_number(ws.cell(n, 3), usd, USD4)
        put_formula(ws.cell(n, 4), f"=C{n}/(EnergyWh/1000)", USD_KWH)
        put_formula(ws.cell(n, 5), f"=IF($C${tot}=0,0,C{n}/$C${tot})", PCT)
        put_text(ws.cell(n, 6), basis)
    put_text(ws.cell(tot, 1), "total")
    put_text(ws.cell(tot, 2), "cost per good cell")
    put_formula(ws.cell(tot, 3), f"=SUM(C2:C{tot - 1})", USD4)
    put_formula(ws.cell(tot, 4), f"=C{tot}/(EnergyWh/1000)", USD_KWH)
    put_formula(ws.cell(tot, 5), f"=IF($C${tot}=0,0,C{tot}/$C${tot})", PCT)
    put_text(ws.cell(tot, 6), "sum of the lines above")
    for j in range(1, 7):
        ws.cell(tot, j).font = Font(bold=True)
    _finish(ws, "Breakdown", len(headers), tot, wrap_cols=(2, 6), widths={1: 13, 2: 34, 3: 15, 4: 17, 5: 10, 6: 70},
            title_cols="A:B")
    return {"total_row": tot, "first": 2, "last_item": tot - 1, "items": items}


def _sheet_materials(ws: Worksheet, result: CostResult, bom_last: int, as_of: dt.date) -> dict[str, Any]:
    headers = ["Material", "Name", "USD per cell", "USD per kWh", "Share of materials", "g per good cell", "Price",
               "Price unit", "Price year", "Price age", "Price source"]
    _header(ws, headers)
    first: dict[str, Any] = {}
    for ln in result.material_lines:
        first.setdefault(ln.material_id, ln)
    mids = list(result.materials_usd_per_cell)
    last = len(mids) + 1
    for i, mid in enumerate(mids):
        n = i + 2
        ln = first[mid]
        put_text(ws.cell(n, 1), mid)
        put_text(ws.cell(n, 2), ln.name)
        put_formula(ws.cell(n, 3), f"=SUMIF(BOM!$P$2:$P${bom_last},A{n},BOM!$N$2:$N${bom_last})", USD4)
        put_formula(ws.cell(n, 4), f"=C{n}/(EnergyWh/1000)", USD_KWH)
        put_formula(ws.cell(n, 5), f"=IF(SUM($C$2:$C${last})=0,0,C{n}/SUM($C$2:$C${last}))", PCT)
        put_formula(ws.cell(n, 6), f"=SUMIF(BOM!$P$2:$P${bom_last},A{n},BOM!$H$2:$H${bom_last})", '0.0000 "g"')
        put_formula(ws.cell(n, 7), f"=price_{mid}", "#,##0.00##")
        put_text(ws.cell(n, 8), ln.price_unit)
        _put_price_age(ws, n, 9, ln.price_year, as_of)
        put_text(ws.cell(n, 11), ln.price_source)
    _finish(ws, "Materials", len(headers), last, wrap_cols=(2, 10, 11),
            widths={1: 11, 2: 30, 3: 14, 4: 12, 5: 9, 6: 12, 7: 10, 8: 9, 9: 6, 10: 16, 11: 46})
    return {"last_row": last, "mids": mids}


def _sheet_summary(ws: Worksheet, result: CostResult, recipe: Any, bd: dict[str, Any], extra: Sequence[tuple],
                   as_of: dt.date) -> dict[str, int]:
    """The headline figures on one printable A4 page; every cost a formula over the other sheets."""
    headers = ["Quantity", "Value", "Unit", "Note"]
    _header(ws, headers)
    tot = bd["total_row"]
    first, last_item = bd["first"], bd["last_item"]
    rows: list[tuple[str, Any, str, str, str | None]] = []  # label, value|formula, unit, note, fmt

    def add(label, value, unit="", note="", fmt=None):
        rows.append((label, value, unit, note, fmt))

    add("Recipe", recipe.id, "", getattr(recipe, "title", ""))
    add("Recipe revision", recipe.revision, "", f"content hash {getattr(recipe, 'hash', '')}")
    add("Material prices", result.prices, "scenario", f"low / base / high of the materials library; as of {as_of}")
    add("Layers", result.layers, "", "", INT)
    add("Capacity", result.capacity_Ah, "Ah", "", "0.000")
    rowno = {}
    rowno["energy"] = len(rows) + 2
    add("Energy per cell", result.energy_Wh, "Wh", "defined name EnergyWh", "0.0000")
    rowno["cost"] = len(rows) + 2
    add("Cost per good cell", Formula(f"=Breakdown!$C${tot}"), "USD", "materials + process; formula over Breakdown",
        USD4)
    rowno["cost_kwh"] = len(rows) + 2
    add("Cost per kWh", Formula(f"=B{rowno['cost']}/(B{rowno['energy']}/1000)"), "USD/kWh", "", USD_KWH)
    rowno["mat"] = len(rows) + 2
    add("Material cost per cell", Formula("=MaterialCostPerCell"), "USD", "BOM total, scrap included", USD4)
    add("Material cost per kWh", Formula(f"=B{rowno['mat']}/(B{rowno['energy']}/1000)"), "USD/kWh", "", USD_KWH)
    add("Process cost per cell", Formula(f"=B{rowno['cost']}-B{rowno['mat']}"), "USD",
        "labour, energy, depreciation, building, overhead: formulas of the Inputs sheet", USD4)
    add("Jellyroll materials per kWh (no scrap)", result.jellyroll_material_cost_per_kWh_usd, "USD/kWh",
        "cathode composite + SE film + alloy, no foils or package", USD_KWH)
    for cat in CATEGORIES:
        add(f"{cat.capitalize()} cost per cell",
            Formula(f'=SUMIF(Breakdown!$A${first}:$A${last_item},"{cat}",Breakdown!$C${first}:$C${last_item})'), "USD",
            "by category, from Breakdown", USD4)
    add("Plant", "line " + (result.line_name or "") if result.plant_mode == "line" else "default plant", "",
        "see the Plant / Line KPIs sheet")
    add("Good cells per year", Formula("=in_annual_good_cells"), "cells/yr", "Inputs: the volume costs are spread over",
        INT)
    add("Energy per year", Formula(f"=in_annual_good_cells*B{rowno['energy']}/1e6"), "MWh/yr", "", "#,##0.0##")
    add("Lot size", Formula("=in_lot_cells"), "cells", "Inputs: quantities per lot on BOM and Purchasing", INT)
    add("Scheduled hours per year", Formula("=in_scheduled_h_per_yr"), "h/yr", "", INT)
    add("Equipment capex", result.capex_usd, "USD", "machines, gloveboxes, dry room", '#,##0 "USD"')
    add("Rolled throughput yield", result.rolled_throughput_yield, "fraction", "product of the step yields", PCT)
    for label, value, unit, note, fmt in extra:
        add(label, value, unit, note, fmt)
    old = sorted({ln.price_year for ln in result.material_lines if price_flag(ln.price_year, as_of)})
    if old:
        add("Prices older than 5 years", ", ".join(sorted({ln.material_id for ln in result.material_lines
                                                            if price_flag(ln.price_year, as_of)})),
            "", f"from {', '.join(str(y) for y in old)}: flagged on Inputs, BOM, Purchasing and Materials")

    for i, (label, value, unit, note, fmt) in enumerate(rows):
        n = i + 2
        fmt = re.sub(r'\s*"[^"]*"', "", fmt) if fmt else fmt  # the unit has its own column here
        put_text(ws.cell(n, 1), label)
        if isinstance(value, Formula):
            put_formula(ws.cell(n, 2), value, fmt)
        else:
            _put(ws.cell(n, 2), value, fmt)
        put_text(ws.cell(n, 3), unit)
        put_text(ws.cell(n, 4), note)
        if label.startswith("Prices older"):
            ws.cell(n, 2).fill = OLD_FILL
    last = len(rows) + 1
    _finish(ws, "Summary", len(headers), last, wrap_cols=(1, 2, 4), widths={1: 28, 2: 18, 3: 9, 4: 38},
            orientation="portrait", one_page=True)
    return {**rowno, "last": last}


def _sheet_check(ws: Worksheet, checks: Sequence[tuple[str, str, float]]) -> None:
    """Developer checks (hidden): every total the workbook computes by formula beside pouchline's own value."""
    headers = ["Where", "Workbook (formula)", "pouchline", "Difference", "Relative difference"]
    _header(ws, headers)
    for i, (what, ref, python) in enumerate(checks, start=2):
        put_text(ws.cell(i, 1), what)
        put_formula(ws.cell(i, 2), f"={ref}", "0.000000000")
        put_number(ws.cell(i, 3), python, "0.000000000")
        put_formula(ws.cell(i, 4), f"=B{i}-C{i}", "0.0E+00")
        put_formula(ws.cell(i, 5), f"=IF(C{i}=0,B{i},B{i}/C{i}-1)", "0.0E+00")
    _finish(ws, "Check", len(headers), len(checks) + 1, widths={1: 50, 2: 18, 3: 18, 4: 12, 5: 12}, printable=False)
    ws.sheet_state = "hidden"


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
    _finish(ws, "Sensitivity", len(headers), n, wrap_cols=(1, 10),
            widths={1: 34, 2: 9, 3: 10, 4: 10, 5: 10, 6: 10, 7: 12, 8: 12, 9: 12, 10: 50}, title_cols="A:A")


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
    _finish(ws, "Stations", len(headers), len(result.stations) + 1, wrap_cols=(1, 2, 3, 15), max_width=24,
            title_cols="A:A")


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
    _finish(ws, "Assumptions", len(headers), len(rows) + 1, wrap_cols=(2, 5),
            widths={1: 10, 2: 55, 3: 12, 4: 10, 5: 55}, title_cols="A:B")


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
    _finish(ws, "Demand", len(columns), len(rows) + 1, wrap_cols=(3, 13, 14),
            widths={1: 8, 2: 9, 3: 24, 4: 10, 5: 10, 6: 12, 7: 9, 8: 6, 9: 10, 10: 9, 11: 10, 12: 13, 13: 26, 14: 50},
            title_cols="A:C")


# ------------------------------------------------------------------------------------------------
# public API
# ------------------------------------------------------------------------------------------------
def build_workbook(result: CostResult, bom: BomItem, *, recipe: Any, materials: Any = None, rates: Any = None,
                   sensitivity: Any = None, lot_cells: int = DEFAULT_LOT_CELLS, as_of: dt.date | None = None) -> Workbook:
    """The cost workbook (not saved).

    ``lot_cells``: the lot size the BOM and Purchasing sheets give quantities per lot for;
    ``as_of``: the date prices are aged against (default today; older than five years is flagged).
    """
    as_of = as_of or dt.date.today()
    inputs = cost_inputs(result, rates, lot_cells=lot_cells)
    formulas = process_formulas(result, inputs)
    prices = {x.material_id for x in inputs if x.group == "prices" and x.material_id}
    wb = Workbook()
    ws_sum = wb.active
    ws_sum.title = "Summary"
    ws_in = wb.create_sheet("Inputs")
    ws_bom = wb.create_sheet("BOM")
    ws_buy = wb.create_sheet("Purchasing")
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
    ws_check = wb.create_sheet("Check")

    _sheet_inputs(wb, ws_in, inputs, as_of)
    info = _sheet_bom(ws_bom, bom, result, prices, lot_cells, as_of)
    _name(wb, "MaterialCostPerCell", info["total_cell"])
    _sheet_purchasing(ws_buy, result, materials, info["last_row"], lot_cells, as_of)
    bd = _sheet_breakdown(ws_bd, result, formulas)
    mat = _sheet_materials(ws_mat, result, info["last_row"], as_of)
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
    rowno = _sheet_summary(ws_sum, result, recipe, bd, extra, as_of)
    _name(wb, "EnergyWh", f"Summary!$B${rowno['energy']}")
    _name(wb, "CostPerCell", f"Breakdown!$C${bd['total_row']}")
    _sheet_sensitivity(ws_sens, sensitivity, result)
    _sheet_stations(ws_st, result)
    _sheet_assumptions(ws_as, result, rates, materials)

    checks: list[tuple[str, str, float]] = [
        ("Summary: cost per good cell (USD)", f"Summary!B{rowno['cost']}", result.cost_per_cell_usd),
        ("Summary: cost per kWh (USD/kWh)", f"Summary!B{rowno['cost_kwh']}", result.cost_per_kWh_usd),
        ("Summary: material cost per cell (USD)", f"Summary!B{rowno['mat']}", result.material_cost_per_cell_usd)]
    for i, (cat, item, usd, _basis, _f) in enumerate(bd["items"]):
        checks.append((f"Breakdown: {cat}: {item} (USD per cell)", f"Breakdown!C{i + 2}", usd))
    checks.append(("Breakdown: total (USD per cell)", f"Breakdown!C{bd['total_row']}", result.cost_per_cell_usd))
    for i, mid in enumerate(mat["mids"]):
        checks.append((f"Materials: {mid} (USD per cell)", f"Materials!C{i + 2}", result.materials_usd_per_cell[mid]))
    for r in info["rows"]:
        checks.append((f"BOM: {r.item.item_id} ext. cost (USD per cell)", f"BOM!N{r.index + 2}", r.ext_cost_usd))
    _sheet_check(ws_check, checks)

    wb.properties.creator = "pouchline"
    wb.properties.title = clean_text(f"Cost and BOM of {recipe.id} rev {recipe.revision}")[:200]
    return wb


def write_cost_workbook(path: str | os.PathLike, result: CostResult, bom: BomItem, *, recipe: Any,
                        materials: Any = None, rates: Any = None, sensitivity: Any = None,
                        lot_cells: int = DEFAULT_LOT_CELLS, as_of: dt.date | None = None) -> Path:
    """Write the workbook to ``path`` atomically (a failure leaves any earlier file untouched)."""
    from pouchline.fileio import atomic_write

    wb = build_workbook(result, bom, recipe=recipe, materials=materials, rates=rates, sensitivity=sensitivity,
                        lot_cells=lot_cells, as_of=as_of)
    return atomic_write(path, lambda p: wb.save(p))


def cost_workbook_bytes(result: CostResult, bom: BomItem, *, recipe: Any, materials: Any = None, rates: Any = None,
                        sensitivity: Any = None, lot_cells: int = DEFAULT_LOT_CELLS,
                        as_of: dt.date | None = None) -> bytes:
    """The workbook as bytes (for a download button)."""
    wb = build_workbook(result, bom, recipe=recipe, materials=materials, rates=rates, sensitivity=sensitivity,
                        lot_cells=lot_cells, as_of=as_of)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["DANGEROUS", "DEFAULT_LOT_CELLS", "Formula", "build_workbook", "clean_text", "column_width_mm",
           "cost_workbook_bytes", "put_formula", "put_text", "write_cost_workbook"]
