"""Material demand where users see it: the BOM workbook's Demand sheet and the plan's summary and README."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from pouchline.cell import size_cell
from pouchline.cost import build_bom, cost_cell, load_rates
from pouchline.cost.rates import DEFAULT_RATES_PATH
from pouchline.demand import material_demand
from pouchline.export.excel import build_workbook


@pytest.fixture(scope="module")
def cost_and_demand(recipe, materials):
    cell = size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")
    cost = cost_cell(recipe, materials, cell, rates=load_rates(DEFAULT_RATES_PATH), annual_volume_MWh=1000.0)
    return cost, material_demand(cost, materials)


def test_bom_has_a_demand_sheet_with_the_library_figures(recipe, materials, cost_and_demand):
    cost, demand = cost_and_demand
    wb = build_workbook(cost, build_bom(cost, recipe, materials), recipe=recipe, materials=materials)
    ws = wb["Demand"]
    assert len(ws.tables) == 1
    rows = {(r[0].value, r[1].value): r for r in ws.iter_rows(min_row=2)}
    n_mat, n_el = len(demand.materials), len(demand.elements)
    assert len(rows) == n_mat + n_el
    want = demand.elements.set_index("element")
    indium = rows[("element", "In")]
    assert indium[4].value == pytest.approx(want.loc["In", "demand_t_per_yr"])
    assert indium[5].value == 1080 and indium[7].value == 2024
    assert indium[8].value == pytest.approx(want.loc["In", "share_of_world_frac"])
    assert indium[9].value == "SUPPLY RISK"
    assert rows[("element", "O")][8].value is None  # no world figure: an empty cell, not NaN
    assert rows[("material", "indium")][4].value == pytest.approx(
        demand.materials.set_index("material_id").loc["indium", "demand_t_per_yr"])
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=2)}
    assert summary["Share of world indium production"] == pytest.approx(want.loc["In", "share_of_world_frac"])
    assert summary["Volume that takes the world's whole output"] == pytest.approx(demand.GWh_per_yr_at_world_output)


def test_demand_sheet_writes_library_text_as_text(recipe, materials, cost_and_demand):
    # A material name from a library is user text: never a live formula (issue 19).
    cost, _ = cost_and_demand
    evil = materials.model_copy(update={"materials": [
        m.model_copy(update={"name": "=HYPERLINK(\"http://x\")"}) if m.id == "lco" else m
        for m in materials.materials]})
    wb = build_workbook(cost, build_bom(cost, recipe, evil), recipe=recipe, materials=evil)
    cells = [r[2] for r in wb["Demand"].iter_rows(min_row=2) if r[1].value == "lco"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_no_demand_sheet_without_world_figures(recipe, materials, cost_and_demand):
    cost, _ = cost_and_demand
    bare = materials.model_copy(update={"elements": []})
    wb = build_workbook(cost, build_bom(cost, recipe, bare), recipe=recipe, materials=bare)
    assert "Demand" not in wb.sheetnames


@pytest.fixture(scope="module")
def plan_folder(recipe, materials, tmp_path_factory):
    from pouchline.export.plan_report import write_plan
    from pouchline.plan import make_plan

    plan = make_plan(recipe, materials, capacity_Ah=10, format="ev-300x100")
    out = tmp_path_factory.mktemp("plan")
    write_plan(plan, out)
    return plan, out


def test_plan_summary_and_readme_show_the_demand(plan_folder):
    plan, out = plan_folder
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    d = s["material_demand"]
    # at the plan's own volume: the default plant's annual good cells (no line)
    assert d["good_cells_per_yr"] == pytest.approx(plan.cost.annual_good_cells)
    assert d["tightest_element"] == "In" and "In" in d["supply_risks"]
    assert {e["element"] for e in d["elements"]} >= {"In", "Sn", "Bi", "Li", "Co", "S", "P", "Cl"}
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "## Material demand against world supply" in readme
    assert plan.demand.headline() in readme and "| In |" in readme
    wb = load_workbook(out / "bom.xlsx")
    assert "Demand" in wb.sheetnames
