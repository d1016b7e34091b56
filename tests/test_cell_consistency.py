"""The recipe's steps must make the cell its design describes (pouchline.cell.consistency)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pouchline.cell.consistency import recipe_consistency
from pouchline.recipe.io import load_recipe_and_materials

from conftest import DEFAULT_RECIPE


def test_shipped_recipe_is_consistent(recipe, materials):
    # film 41.5 um at 1.64 g/cm3 = 6.81 mg/cm2 (spec 7.1 +/- 0.35); alloy 8.53 um (spec 8.5 +/- 0.5);
    # cathode 84.2 um dense (spec 84 +/- 5); film cut 52 x 37 = 50 x 35 + 2 x 1 mm overhang
    assert recipe_consistency(recipe, materials) == []


@pytest.mark.parametrize(
    "override,field",
    [
        ("cell.electrolyte_film.thickness_um=25", "steps.se_film_rolling.thickness_um"),
        ("cell.anode.np_ratio=1.5", "steps.anode_rolling.target_thickness_um"),  # needs 9.84 um of alloy
        ("cell.cathode.porosity_frac=0.2", "steps.cathode_hot_rolling.thickness_um"),  # 84.2 / 0.8 = 105 um
        ("cell.packaging.anode_overhang_mm=1", "steps.anode_punching.length_mm"),
    ],
)
def test_design_change_without_step_change_is_flagged(override, field):
    r, m = load_recipe_and_materials(DEFAULT_RECIPE, overrides=[override])
    fields = [p.field for p in recipe_consistency(r, m)]
    assert field in fields


def test_changing_both_design_and_step_is_consistent():
    r, m = load_recipe_and_materials(DEFAULT_RECIPE, overrides=[
        "cell.electrolyte_film.thickness_um=25", "steps.se_film_rolling.thickness_um=25",
        "steps.se_film_rolling.loading_mg_cm2=4.1"])
    assert recipe_consistency(r, m) == []


def test_traveler_refuses_an_inconsistent_recipe_and_validate_warns(tmp_path):
    out = tmp_path / "t.pdf"
    res = subprocess.run([sys.executable, "-m", "pouchline", "traveler", str(DEFAULT_RECIPE), "--lot", "L-0001",
                          "--cells", "5", "--set", "cell.anode.np_ratio=1.5", "--out", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "steps.anode_rolling.target_thickness_um" in res.stderr
    assert not out.exists()
    res = subprocess.run([sys.executable, "-m", "pouchline", "validate", str(DEFAULT_RECIPE), "--set",
                          "cell.anode.np_ratio=1.5"], capture_output=True, text=True)
    assert res.returncode == 0 and "WARNING" in res.stdout and "anode_rolling" in res.stdout
