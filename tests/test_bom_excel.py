"""The BOM tree and the Excel workbook: roll-up, formulas, LibreOffice recalculation, formula injection."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import RECIPES
from test_cost_support import DEFAULT_RECIPE, SMALL_YIELDS, small_cell, small_recipe

from pouchline.cost import CostRates, build_bom, cost_cell, flatten, sensitivity, total_cost_usd
from pouchline.export.excel import DANGEROUS, build_workbook, put_text, write_cost_workbook

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice, Debian libreoffice-calc-nogui) is not installed; .ci/run installs it")


@pytest.fixture(scope="module")
def paper():
    from pouchline.cell import size_cell
    from pouchline.recipe.io import load_recipe_and_materials

    recipe, materials = load_recipe_and_materials(DEFAULT_RECIPE)
    cell = size_cell(recipe, materials, layers=3)
    rates = CostRates()
    res = cost_cell(recipe, materials, cell, rates=rates, include_fixture=True)
    return recipe, materials, cell, rates, res


# ------------------------------------------------------------------------------------------------
# the tree
# ------------------------------------------------------------------------------------------------
def test_bom_levels_and_rollup(paper):
    recipe, materials, cell, rates, res = paper
    bom = build_bom(res, recipe, materials)
    rows = flatten(bom)
    assert rows[0].level == 0 and rows[0].item.item_id == recipe.id
    comps = [r.item.item_id for r in rows if r.level == 1]
    assert comps == ["SA-CATHODE", "SA-SE-FILM", "SA-ANODE", "SA-POUCH", "SA-TABS", "SA-FIXTURE"]
    # sheets: one of each per layer
    assert all(r.item.qty_per_parent == 3 for r in rows if r.item.item_id in ("SA-CATHODE", "SA-SE-FILM", "SA-ANODE"))
    # the alloy is made in-house from In, Sn, Bi (level 3), in its weight fractions
    alloy = next(r for r in rows if r.item.item_id == "SA-INSNBI")
    feed = {rows[k].item.material_id: rows[k].item.qty_per_parent for k in alloy.children}
    assert alloy.level == 2 and set(feed) == {"indium", "tin", "bismuth"}
    assert feed["indium"] == pytest.approx(0.3042, abs=1e-4)
    # roll-up: an assembly costs the sum of its children; the cell costs the cost model's materials
    for r in rows:
        if r.children:
            assert r.ext_cost_usd == pytest.approx(sum(rows[k].ext_cost_usd for k in r.children), rel=1e-12)
        assert r.item.scrap_allowance >= -1e-12
    assert total_cost_usd(bom) == pytest.approx(res.material_cost_per_cell_usd, rel=1e-12)
    # ext. qty along a path multiplies to the material's units started per good cell (loss-rate form)
    for r in rows:
        if r.item.material_id == "lco":
            g = sum(ln.g_per_good_cell for ln in res.material_lines if ln.material_id == "lco")
            assert r.ext_qty * 1000 == pytest.approx(g, rel=1e-12)


def test_bom_of_the_hand_recipe(rates=CostRates()):
    recipe, materials = small_recipe()
    res = cost_cell(recipe, materials, small_cell(), rates=rates, step_yields=SMALL_YIELDS)
    rows = flatten(build_bom(res, recipe, materials))
    pouch = next(r for r in rows if r.item.material_id == "pouch_film")
    # 1 m2 of film at sealing (yield 0.5): 2 m2 bought per good cell, 7.00 USD at 3.5 USD/m2
    assert pouch.item.uom == "m2" and pouch.ext_qty == pytest.approx(2.0)
    assert pouch.ext_cost_usd == pytest.approx(7.0)
    tab = next(r for r in rows if r.item.material_id == "tab_al")
    assert tab.item.uom == "ea" and tab.ext_qty == pytest.approx(2.0)


# ------------------------------------------------------------------------------------------------
# the workbook
# ------------------------------------------------------------------------------------------------
AS_OF = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def workbook_path(paper, tmp_path_factory):
    recipe, materials, cell, rates, res = paper
    sens = sensitivity(recipe, materials, cell, rates=rates, include_fixture=True, base=res)
    path = tmp_path_factory.mktemp("bom") / "bom.xlsx"
    write_cost_workbook(path, res, build_bom(res, recipe, materials), recipe=recipe, materials=materials,
                        rates=rates, sensitivity=sens, lot_cells=250, as_of=AS_OF)
    return path


def _input_cell(wb, name: str):
    """The Inputs cell a defined name points at (the workbook's own map)."""
    sheet, ref = wb.defined_names[name].attr_text.split("!")
    return wb[sheet][ref.replace("$", "")]


def test_workbook_layout(workbook_path, paper):
    recipe, materials, cell, rates, res = paper
    wb = load_workbook(workbook_path)
    assert wb.sheetnames == ["Summary", "Inputs", "BOM", "Purchasing", "Breakdown", "Materials", "Demand",
                             "Sensitivity", "Plant", "Assumptions", "Check"]
    assert wb["Check"].sheet_state == "hidden" and all(
        wb[n].sheet_state == "visible" for n in wb.sheetnames if n != "Check")
    for ws in wb.worksheets:
        assert len(ws.tables) == 1, ws.title
        assert all(isinstance(c.value, str) for c in ws[1] if c.value is not None)
        if ws.title == "Check":
            continue  # hidden and not for print (LibreOffice would print a hidden sheet's print area)
        # print setup: A4, a print area, the header row on every page, never under 75 % (11 pt -> 8.25 pt)
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title
        assert ws.print_area and ws.print_title_rows.replace("$", "") == "1:1", ws.title
        if ws.title != "Summary":
            assert not ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.scale) >= 75, ws.title
    summary = wb["Summary"]
    assert summary.sheet_properties.pageSetUpPr.fitToPage and (summary.page_setup.fitToWidth,
                                                               summary.page_setup.fitToHeight) == (1, 1)
    bom = wb["BOM"]
    assert bom["N2"].value.startswith("=") and bom["N2"].data_type == "f"
    assert bom["G3"].value == "=G2*D3*(1+F3)"
    assert "USD" in bom["N2"].number_format and bom.column_dimensions["C"].width >= 30
    # no developer column outside the hidden Check sheet
    for ws in wb.worksheets:
        if ws.title != "Check":
            assert not [c.value for c in ws[1] if c.value and "Python" in str(c.value)], ws.title
    # every process line is a formula of the Inputs' names; materials are the BOM total
    bd = [r for r in wb["Breakdown"].iter_rows(min_row=2) if r[0].value not in (None, "total")]
    assert bd[0][2].value == "=MaterialCostPerCell"
    assert all(r[2].data_type == "f" and "in_" in r[2].value for r in bd[1:]), [r[2].value for r in bd[1:]]
    assert {"in_labour_rate_usd_h", "price_indium", "in_annual_good_cells", "in_lot_cells", "EnergyWh"} <= \
        set(wb.defined_names)
    assert _input_cell(wb, "in_labour_rate_usd_h").value == res.rates_used["labour_rate_usd_h"]
    assert _input_cell(wb, "in_lot_cells").value == 250
    indium = next(r for r in bom.iter_rows(min_row=2) if r[15].value == "indium")
    assert indium[12].value == "=price_indium"  # the BOM's unit cost reads the Inputs price
    names = [a.value for a in wb["Assumptions"]["B"]]
    assert any("loss-rate form" in (n or "") for n in names)


def test_purchasing_and_price_age(workbook_path, paper):
    recipe, materials, cell, rates, res = paper
    wb = load_workbook(workbook_path)
    head = [c.value for c in wb["Purchasing"][1]]
    for col in ("Supplier", "Supplier part no.", "MOQ", "Lead time (weeks)", "Packaging", "Currency",
                "Qty per lot", "Qty per year", "g per good cell", "Price age"):
        assert col in head, col
    rows = {r[0].value: {h: c.value for h, c in zip(head, r)} for r in wb["Purchasing"].iter_rows(min_row=2)}
    assert set(rows) == {ln.material_id for ln in res.material_lines}
    # the library knows the lab's suppliers (Liu2025 Methods) and nothing else: blank, never invented
    assert rows["indium"]["Supplier"] == "Aladdin" and rows["lco"]["Supplier"].startswith("Guangdong Canrd")
    assert rows["cu_foil"]["Supplier"] is None and rows["indium"]["MOQ"] is None
    assert "argon" in rows["lpscl_um"]["Packaging"] and rows["indium"]["Currency"] == "USD"
    # the pouch film's base price is from 2016: older than five years on 2026-12-01, flagged where prices are
    assert rows["pouch_film"]["Price age"].startswith("OLD: 2016, 10 years") and rows["indium"]["Price age"] is None
    bom = {r[15].value: r for r in wb["BOM"].iter_rows(min_row=2) if r[15].value}
    assert bom["pouch_film"][18].value.startswith("OLD: 2016") and bom["pouch_film"][18].fill.fgColor.rgb.endswith(
        "F8CBAD")
    ins = {r[4].value: r for r in wb["Inputs"].iter_rows(min_row=2)}
    assert ins["price_pouch_film"][6].value.startswith("OLD") and not ins["price_indium"][6].value
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=2)}
    assert summary["Prices older than 5 years"] == "pouch_film"


def _recalculate(src: Path | list[Path], outdir: Path, to: str = "xlsx") -> list[Path]:
    """Open and save workbooks in LibreOffice headless, which recalculates every formula (one start for all)."""
    srcs = src if isinstance(src, list) else [src]
    profile = outdir / "lo-profile"
    cmd = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", to,
           "--outdir", str(outdir), *map(str, srcs)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(outdir)})
    out = [outdir / (p.stem + "." + to) for p in srcs]
    assert all(p.exists() for p in out), f"LibreOffice wrote nothing: {cmd}"
    return out


@pytest.fixture(scope="module")
def recalculated(workbook_path, tmp_path_factory):
    """The workbook as written and with the indium price doubled on its Inputs sheet, recalculated by LibreOffice."""
    if SOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    tmp = tmp_path_factory.mktemp("recalc")
    wb = load_workbook(workbook_path)
    price = _input_cell(wb, "price_indium")
    price.value = price.value * 2  # a purchaser doubles the indium price
    edited = tmp / "edited.xlsx"
    wb.save(edited)
    base = tmp / "base.xlsx"
    shutil.copy(workbook_path, base)
    got = _recalculate([base, edited], tmp / "out")
    return load_workbook(got[0], data_only=True), load_workbook(got[1], data_only=True)


@needs_soffice
def test_libreoffice_totals_equal_python(recalculated, paper):
    recipe, materials, cell, rates, res = paper
    wb = recalculated[0]
    assert wb["BOM"]["N2"].value == pytest.approx(res.material_cost_per_cell_usd, rel=1e-9)
    bd = wb["Breakdown"]
    total = next(r for r in bd.iter_rows(min_row=2) if r[0].value == "total")
    assert total[2].value == pytest.approx(res.cost_per_cell_usd, rel=1e-9)
    assert total[3].value == pytest.approx(res.cost_per_kWh_usd, rel=1e-9)
    summary = {r[0].value: r for r in wb["Summary"].iter_rows(min_row=2)}
    assert summary["Cost per good cell"][1].value == pytest.approx(res.cost_per_cell_usd, rel=1e-9)
    assert summary["Cost per kWh"][1].value == pytest.approx(res.cost_per_kWh_usd, rel=1e-9)
    assert summary["Labour cost per cell"][1].value == pytest.approx(res.breakdown_usd_per_cell["labour"], rel=1e-9)
    mats = {r[0].value: r[2].value for r in wb["Materials"].iter_rows(min_row=2)}
    for mid, usd in res.materials_usd_per_cell.items():
        assert mats[mid] == pytest.approx(usd, rel=1e-9), mid
    # every formula the hidden Check sheet lists equals pouchline's own number
    checks = [r for r in wb["Check"].iter_rows(min_row=2) if r[0].value]
    assert len(checks) > 40
    for r in checks:
        assert r[1].value == pytest.approx(r[2].value, rel=1e-9, abs=1e-12), r[0].value


@needs_soffice
def test_quantities_per_lot_and_year_include_scrap(recalculated, paper):
    recipe, materials, cell, rates, res = paper
    wb = recalculated[0]
    head = [c.value for c in wb["Purchasing"][1]]
    rows = {r[0].value: {h: c.value for h, c in zip(head, r)} for r in wb["Purchasing"].iter_rows(min_row=2)}
    scale = {"t/yr": 1e-6, "kg/yr": 1e-3, "g/yr": 1.0, "m²/yr": None, "ea/yr": None}
    for mid in ("lco", "indium", "lpscl_um"):
        # grams bought per good cell (units started x grams per unit, summed over the steps that consume it)
        g = sum(ln.g_per_good_cell for ln in res.material_lines if ln.material_id == mid)
        assert rows[mid]["g per good cell"] == pytest.approx(g, rel=1e-9)
        k = scale[rows[mid]["Year unit"]]
        assert rows[mid]["Qty per year"] == pytest.approx(g * res.annual_good_cells * k, rel=1e-9), mid
        lot_k = {"g": 1.0, "kg": 1e-3}[rows[mid]["Lot unit"]]
        assert rows[mid]["Qty per lot"] == pytest.approx(g * 250 * lot_k, rel=1e-9), mid
    tabs = rows["tab_al"]
    n_tabs = sum(ln.qty_per_cell * ln.start_factor for ln in res.material_lines if ln.material_id == "tab_al")
    assert (tabs["Year unit"], tabs["Qty per year"]) == ("ea/yr", pytest.approx(n_tabs * res.annual_good_cells))


@needs_soffice
def test_edited_price_recomputes_in_the_workbook(recalculated, paper):
    recipe, materials, cell, rates, res = paper
    wb2 = recalculated[1]
    indium = res.materials_usd_per_cell["indium"]
    assert wb2["BOM"]["N2"].value == pytest.approx(res.material_cost_per_cell_usd + indium, rel=1e-9)
    summary = {r[0].value: r[1].value for r in wb2["Summary"].iter_rows(min_row=2)}
    assert summary["Cost per good cell"] == pytest.approx(res.cost_per_cell_usd + indium, rel=1e-9)


LABOUR_USD_H = 52.5
INDIUM_USD_KG = 712.0


@needs_soffice
def test_workbook_edited_like_pouchline_cost_with_those_values(tmp_path):
    """A planner edits the labour rate and the indium price on the Inputs sheet; LibreOffice's totals are
    `pouchline cost` run with the same values (a rates file with the labour rate, --set for the price)."""
    import json
    import sys

    line = str(RECIPES / "lines" / "pilot-line.yaml")
    out = tmp_path / "bom.xlsx"
    run = lambda *a: subprocess.run([sys.executable, "-m", "pouchline", *a], capture_output=True, text=True,  # noqa: E731
                                    timeout=600)
    res = run("bom", str(DEFAULT_RECIPE), "--line", line, "--out", str(out))
    assert res.returncode == 0, res.stderr
    wb = load_workbook(out)
    _input_cell(wb, "in_labour_rate_usd_h").value = LABOUR_USD_H
    _input_cell(wb, "price_indium").value = INDIUM_USD_KG
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    got = load_workbook(_recalculate(edited, tmp_path / "out")[0], data_only=True)
    rates_text = (RECIPES / "cost-rates.yaml").read_text(encoding="utf-8")
    assert "labour_rate_usd_h: {low: 10, base: 35, high: 60" in rates_text
    rates = tmp_path / "rates.yaml"
    rates.write_text(rates_text.replace("labour_rate_usd_h: {low: 10, base: 35, high: 60",
                                        f"labour_rate_usd_h: {{low: 10, base: {LABOUR_USD_H}, high: 60"),
                     encoding="utf-8")
    res = run("cost", str(DEFAULT_RECIPE), "--line", line, "--rates", str(rates),
              "--set", f"materials.indium.price.base.value={INDIUM_USD_KG}", "--json")
    assert res.returncode == 0, res.stderr
    want = json.loads(res.stdout)
    summary = {r[0].value: r[1].value for r in got["Summary"].iter_rows(min_row=2)}
    assert summary["Cost per good cell"] == pytest.approx(want["cost_per_cell_usd"], rel=1e-9)
    assert summary["Cost per kWh"] == pytest.approx(want["cost_per_kWh_usd"], rel=1e-9)
    assert summary["Labour cost per cell"] == pytest.approx(want["breakdown_usd_per_cell"]["labour"], rel=1e-9)
    assert summary["Overhead cost per cell"] == pytest.approx(want["breakdown_usd_per_cell"]["overhead"], rel=1e-9)
    assert summary["Material cost per cell"] == pytest.approx(want["material_cost_per_cell_usd"], rel=1e-9)
    # and both moved as they should from the shipped values (35 USD/h, indium 350 USD/kg): labour in proportion,
    # materials by the indium bought per good cell times the price step
    from pouchline.cell import size_cell
    from pouchline.cost import load_rates
    from pouchline.line import load_line
    from pouchline.recipe.io import load_recipe_and_materials

    recipe, materials = load_recipe_and_materials(DEFAULT_RECIPE)
    base = cost_cell(recipe, materials, size_cell(recipe, materials), rates=load_rates(), line=load_line(line))
    assert summary["Labour cost per cell"] == pytest.approx(base.breakdown_usd_per_cell["labour"] * LABOUR_USD_H / 35,
                                                            rel=1e-9)
    assert summary["Material cost per cell"] - base.material_cost_per_cell_usd == pytest.approx(
        base.materials_usd_per_cell["indium"] * (INDIUM_USD_KG / 350 - 1), rel=1e-9)


@pytest.fixture(scope="module")
def printed(workbook_path, tmp_path_factory):
    """The workbook printed to PDF by LibreOffice, as a buyer would print it."""
    if SOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    from pdf_words import pdf_words

    tmp = tmp_path_factory.mktemp("print")
    pdf = _recalculate(workbook_path, tmp, to="pdf")[0].read_bytes()
    return pdf, pdf_words(pdf)


@needs_soffice
def test_printed_workbook_is_a4_with_no_text_under_8_pt(printed):
    import io

    import pypdf

    pdf, words = printed
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        w, h = sorted((float(page.mediabox.width), float(page.mediabox.height)))
        assert (round(w), round(h)) == (595, 842)  # A4 in points
    small = [w for w in words if w.size_pt < 8.0]
    assert not small, small[:5]
    # the Summary prints on one page (page 1), the next sheet starts on page 2
    assert any(w.page == 1 and w.text == "Cost per good cell" for w in words)
    assert any(w.page == 1 and w.text.startswith("Prices older than 5") for w in words)
    assert min(w.page for w in words if w.text == "Name in formulas") == 2
    # the hidden developer Check sheet does not print
    assert not [w for w in words if w.text == "Workbook (formula)" or w.text.startswith("BOM: RM-")]
    # the rates carry readable labels (their field names stay in "Name in formulas")
    assert any(w.text == "Labour rate, fully burdened" for w in words)
    # the header row repeats on every page of the BOM
    bom_pages = {w.page for w in words if w.text == "Item No."}
    assert len(bom_pages) >= 2 and all(any(w.page == p and w.text == "Level" for w in words) for p in bom_pages)


# ------------------------------------------------------------------------------------------------
# formula injection (CWE-1236)
# ------------------------------------------------------------------------------------------------
ATTACKS = ['=HYPERLINK("http://evil.example","click")', "+SUM(1,1)", "-2+3", "@SUM(1,1)", "=1+1"]


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    recipe, materials = small_recipe([
        f"title={ATTACKS[0]}",
        f"materials.lco.name='{ATTACKS[1]}'",
        f"materials.cu_foil.name='{ATTACKS[2]}'",
        f"materials.pouch_film.name='{ATTACKS[3]}'",
        f"materials.tab_al.price.base.source='user: {ATTACKS[4]}'",
    ])
    res = cost_cell(recipe, materials, small_cell(), rates=CostRates(), step_yields=SMALL_YIELDS)
    path = tmp_path_factory.mktemp("inj") / "inj.xlsx"
    write_cost_workbook(path, res, build_bom(res, recipe, materials), recipe=recipe, materials=materials,
                        rates=CostRates())
    return recipe, materials, path


def test_put_text_never_writes_a_formula():
    from openpyxl import Workbook

    ws = Workbook().active
    for i, text in enumerate(ATTACKS + ["\tx", "ok"], start=1):
        c = put_text(ws.cell(i, 1), text)
        assert c.data_type == "s" and c.value == text
        assert c.quotePrefix == text.startswith(DANGEROUS)


def test_injection_attempts_come_out_as_text(injected):
    recipe, materials, path = injected
    assert recipe.title == ATTACKS[0] and materials["lco"].name == ATTACKS[1]
    wb = load_workbook(path)
    found = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and any(c.value.startswith(a) or c.value == a for a in ATTACKS[:4]):
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)
                    assert c.quotePrefix, (ws.title, c.coordinate)
                    found.add(c.value)
    assert {ATTACKS[0], ATTACKS[1], ATTACKS[2], ATTACKS[3]} <= found


@needs_soffice
def test_injection_stays_text_after_libreoffice(injected, tmp_path):
    recipe, materials, path = injected
    wb = load_workbook(_recalculate(path, tmp_path / "out")[0], data_only=True)
    bom = wb["BOM"]
    assert bom["C2"].value == ATTACKS[0]  # not 'click', not an error
    descs = {r[15].value: r[2].value for r in bom.iter_rows(min_row=2)}
    assert descs["lco"] == ATTACKS[1] and descs["cu_foil"] == ATTACKS[2] and descs["pouch_film"] == ATTACKS[3]


def test_workbook_builds_in_memory(paper):
    recipe, materials, cell, rates, res = paper
    wb = build_workbook(res, build_bom(res, recipe, materials), recipe=recipe, materials=materials, rates=rates)
    assert wb["Sensitivity"].max_row >= 1
