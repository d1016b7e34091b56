"""``pouchline cost`` and ``pouchline bom`` on the command line."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from test_cost_support import DEFAULT_RECIPE, ROOT

from pouchline.cli import main

GWH_LINE = ROOT / "recipes" / "lines" / "gwh-line.yaml"


def test_cost_json_has_the_documented_keys(capsys):
    assert main(["cost", str(DEFAULT_RECIPE), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("cost_per_cell_usd", "cost_per_kWh_usd", "material_cost_per_kWh_usd", "breakdown_usd_per_cell",
                "materials_usd_per_cell"):
        assert key in d
    assert d["layers"] == 1
    assert sum(d["breakdown_usd_per_cell"].values()) == pytest.approx(d["cost_per_cell_usd"])
    assert d["breakdown_usd_per_cell"]["materials"] == pytest.approx(sum(d["materials_usd_per_cell"].values()))
    assert "indium" in d["materials_usd_per_cell"] and "insnbi" not in d["materials_usd_per_cell"]
    swings = [r["swing_usd_per_kWh"] for r in d["sensitivity"]]
    assert swings == sorted(swings, reverse=True)


def test_cost_prices_scenarios_order(capsys):
    out = {}
    for p in ("low", "base", "high"):
        assert main(["cost", str(DEFAULT_RECIPE), "--prices", p, "--json"]) == 0
        out[p] = json.loads(capsys.readouterr().out)["material_cost_per_kWh_usd"]
    assert out["low"] < out["base"] < out["high"]


def test_cost_text_report(capsys):
    assert main(["cost", str(DEFAULT_RECIPE), "--capacity-Ah", "10", "--format", "ev-300x100", "--top", "5"]) == 0
    text = capsys.readouterr().out
    assert "USD/kWh" in text and "sensitivity" in text and "jellyroll" in text


@pytest.mark.skipif(not GWH_LINE.exists(), reason="needs recipes/lines/gwh-line.yaml")
def test_at_gigawatt_scale_indium_and_li6ps5cl_prices_dominate(capsys):
    # On the ~1 GWh/yr line, materials are most of the cost (as Li-ion: CommunEng2024, > 78 %
    # of cell cost); the sulfide electrolyte and indium are the materials whose price ranges move $/kWh most.
    assert main(["cost", str(DEFAULT_RECIPE), "--line", str(GWH_LINE), "--capacity-Ah", "10", "--format",
                 "ev-300x100", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["plant"]["mode"] == "line"
    assert d["breakdown_usd_per_cell"]["materials"] > 0.6 * d["cost_per_cell_usd"]
    prices = [r["input"] for r in d["sensitivity"] if r["kind"] == "price"]
    assert "Li6PS5Cl" in prices[0] and "Indium" in prices[1]
    top = [r["input"] for r in d["sensitivity"][:3]]
    assert any("Li6PS5Cl" in t for t in top) and any("Indium" in t for t in top)


def test_bom_writes_the_workbook_atomically(tmp_path, capsys):
    out = tmp_path / "bom.xlsx"
    assert main(["bom", str(DEFAULT_RECIPE), "--layers", "2", "--fixture", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["bom.xlsx"]  # no temporary file left behind
    wb = load_workbook(out)
    assert "SA-FIXTURE" in [c.value for c in wb["BOM"]["B"]]


def test_bad_options_exit_2(tmp_path, capsys):
    assert main(["bom", str(DEFAULT_RECIPE), "--out", str(tmp_path / "bom.txt")]) == 2
    # without --line, --simulate sizes the default plant by simulation (pouchline size): refused before it starts
    # when the plant makes more cells per hour than a sizing simulation is run for (1-layer cells at 0.1 GWh/yr: 66,000)
    assert main(["cost", str(DEFAULT_RECIPE), "--simulate", "--annual-MWh", "1000"]) == 2
    assert main(["bom", str(DEFAULT_RECIPE), "--out", str(tmp_path / "missing" / "bom.xlsx")]) == 2
    err = capsys.readouterr().err
    assert ".xlsx" in err and "cells per hour" in err and "does not exist" in err
