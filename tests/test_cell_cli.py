"""``pouchline cell``: text and JSON output, exit codes."""

from __future__ import annotations

import json

import pytest

from pouchline.cli import main

RECIPE = "recipes/insnbi-lco-pouch.yaml"


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    from pouchline.recipe.io import RECIPES_DIR

    monkeypatch.chdir(RECIPES_DIR.parent)


def test_json_ten_Ah(capsys):
    assert main(["cell", RECIPE, "--capacity-Ah", "10", "--format", "ev-300x100", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["layers"] == 10 and d["capacity_Ah"] >= 10
    assert d["stack_force_kN"] == pytest.approx(900)
    for k in ("energy_Wh", "mass_g", "specific_energy_Wh_kg", "energy_density_Wh_L", "dimensions_mm", "jellyroll",
              "with_fixture", "rate_table", "materials_g", "assumptions"):
        assert k in d
    assert {"c_rate", "charge_min", "energy_Wh"} <= set(d["rate_table"][0])
    assert d["materials_g"]["insnbi"] > 0


def test_text_default(capsys):
    assert main(["cell", RECIPE]) == 0
    out = capsys.readouterr().out
    assert "52.5 kN" in out and "jellyroll" in out and "cell in fixture" in out and "Assumptions" in out


def test_set_override(capsys):
    assert main(["cell", RECIPE, "--set", "cell.electrolyte_film.thickness_um=25", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["jellyroll"]["specific_energy_Wh_kg"] == pytest.approx(297.2, rel=0.03)


def test_footprint_option(capsys):
    assert main(["cell", RECIPE, "--footprint", "330x100", "--layers", "3", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["dimensions_mm"]["length"] == pytest.approx(330)


@pytest.mark.parametrize("argv", [
    ["--capacity-Ah", "5000", "--format", "ev-300x100"],
    ["--footprint", "20x20"],
    ["--set", "cell.anode.np_ratio=-1"],
    ["--format", "no-such"],
    ["--layers", "0"],
    ["--layers", "2", "--capacity-Ah", "1"],
])
def test_impossible_requests_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        rc = main(["cell", RECIPE, *argv])
        raise SystemExit(rc)
    assert e.value.code == 2
    assert capsys.readouterr().err


def test_list_formats(capsys):
    assert main(["cell", RECIPE, "--list-formats"]) == 0
    assert "paper-single" in capsys.readouterr().out
