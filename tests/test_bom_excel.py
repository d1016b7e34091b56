"""The BOM tree and the Excel workbook: roll-up, formulas, LibreOffice recalculation, formula injection."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

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
@pytest.fixture(scope="module")
def workbook_path(paper, tmp_path_factory):
    recipe, materials, cell, rates, res = paper
    sens = sensitivity(recipe, materials, cell, rates=rates, include_fixture=True, base=res)
    path = tmp_path_factory.mktemp("bom") / "bom.xlsx"
    write_cost_workbook(path, res, build_bom(res, recipe, materials), recipe=recipe, materials=materials,
                        rates=rates, sensitivity=sens)
    return path


def test_workbook_layout(workbook_path, paper):
    recipe, materials, cell, rates, res = paper
    wb = load_workbook(workbook_path)
    assert wb.sheetnames == ["Summary", "BOM", "Breakdown", "Materials", "Demand", "Sensitivity", "Plant",
                             "Assumptions"]
    for ws in wb.worksheets:
        assert len(ws.tables) == 1, ws.title
        assert ws.freeze_panes in ("A2", "C2"), ws.title
        assert all(isinstance(c.value, str) for c in ws[1] if c.value is not None)
    bom = wb["BOM"]
    assert bom["I2"].value.startswith("=") and bom["I2"].data_type == "f"
    assert bom["G3"].value == "=G2*D3*(1+F3)"
    assert "USD" in bom["I2"].number_format
    assert bom.column_dimensions["C"].width >= 30
    assert wb["Summary"]["B8"].value.startswith("=Breakdown!")
    assert "EnergyWh" in wb.defined_names
    # the Python values are stored beside the formulas
    assert bom["J2"].value == pytest.approx(res.material_cost_per_cell_usd)
    names = [a.value for a in wb["Assumptions"]["B"]]
    assert any("loss-rate form" in (n or "") for n in names)


def _recalculate(src: Path, outdir: Path) -> Path:
    """Open and save the workbook in LibreOffice headless, which recalculates every formula."""
    profile = outdir / "lo-profile"
    cmd = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "xlsx",
           "--outdir", str(outdir), str(src)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": str(outdir)})
    out = outdir / src.name
    assert out.exists(), f"LibreOffice wrote nothing: {cmd}"
    return out


@needs_soffice
def test_libreoffice_totals_equal_python(workbook_path, paper, tmp_path):
    recipe, materials, cell, rates, res = paper
    recalced = _recalculate(workbook_path, tmp_path / "out")
    wb = load_workbook(recalced, data_only=True)
    bom = wb["BOM"]
    for row in bom.iter_rows(min_row=2):
        if row[0].value is None:
            continue
        assert row[8].value == pytest.approx(row[9].value, rel=1e-9), row[1].value  # formula vs Python
    assert bom["I2"].value == pytest.approx(res.material_cost_per_cell_usd, rel=1e-9)
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


@needs_soffice
def test_edited_price_recomputes_in_the_workbook(workbook_path, paper, tmp_path):
    recipe, materials, cell, rates, res = paper
    wb = load_workbook(workbook_path)
    bom = wb["BOM"]
    row = next(r for r in bom.iter_rows(min_row=2) if r[11].value == "indium")
    row[7].value = row[7].value * 2  # a purchaser doubles the indium price
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    wb2 = load_workbook(_recalculate(edited, tmp_path / "out"), data_only=True)
    indium = res.materials_usd_per_cell["indium"]
    assert wb2["BOM"]["I2"].value == pytest.approx(res.material_cost_per_cell_usd + indium, rel=1e-9)
    summary = {r[0].value: r[1].value for r in wb2["Summary"].iter_rows(min_row=2)}
    assert summary["Cost per good cell"] == pytest.approx(res.cost_per_cell_usd + indium, rel=1e-9)


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
    wb = load_workbook(_recalculate(path, tmp_path / "out"), data_only=True)
    bom = wb["BOM"]
    assert bom["C2"].value == ATTACKS[0]  # not 'click', not an error
    descs = {r[11].value: r[2].value for r in bom.iter_rows(min_row=2)}
    assert descs["lco"] == ATTACKS[1] and descs["cu_foil"] == ATTACKS[2] and descs["pouch_film"] == ATTACKS[3]


def test_workbook_builds_in_memory(paper):
    recipe, materials, cell, rates, res = paper
    wb = build_workbook(res, build_bom(res, recipe, materials), recipe=recipe, materials=materials, rates=rates)
    assert wb["Sensitivity"].max_row >= 1
