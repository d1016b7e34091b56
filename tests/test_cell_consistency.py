"""The recipe's steps must make the cell its design describes (pouchline.cell.consistency).

The shipped recipe's steps refer to the design (``from:``), so a design change reaches every step
with no second edit; a free number that contradicts the design is refused by the loader,
``validate`` (exit 2) and the traveler.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from pouchline.cell.consistency import recipe_consistency
from pouchline.errors import InputError
from pouchline.recipe.io import load_recipe_and_materials

from conftest import DEFAULT_RECIPE


def test_shipped_recipe_is_consistent(recipe, materials):
    assert recipe_consistency(recipe, materials) == []


@pytest.mark.parametrize(
    "override,step,field,expected",
    [
        # film 25 um: the rolling step's thickness follows it, and its loading: 25 x 1.64 x 0.1 mg/cm2
        ("cell.electrolyte_film.thickness_um=25", "se_film_rolling", "thickness_um", 25.0),
        ("cell.electrolyte_film.thickness_um=25", "se_film_rolling", "loading_mg_cm2", 25 * 1.64 * 0.1),
        # N/P 1.5 instead of 1.3 needs 1.5/1.3 as much alloy: 8.528 x 1.5 / 1.3 = 9.840 um
        ("cell.anode.np_ratio=1.5", "anode_rolling", "target_thickness_um", 8.5283 * 1.5 / 1.3),
        # porosity 0.2: the dense 84.2 um over 0.8 = 105.3 um
        ("cell.cathode.porosity_frac=0.2", "cathode_hot_rolling", "thickness_um", 84.20 / 0.8),
        # anode overhang 1 mm on each side: 50 + 2 = 52 mm
        ("cell.packaging.anode_overhang_mm=1", "anode_punching", "length_mm", 52.0),
    ],
)
def test_a_design_change_reaches_its_steps(override, step, field, expected):
    r, m = load_recipe_and_materials(DEFAULT_RECIPE, overrides=[override])
    assert getattr(r.step(step), field).target == pytest.approx(expected, rel=2e-4)
    assert recipe_consistency(r, m) == []


def test_a_free_number_that_contradicts_the_design_is_refused():
    # the step's own number instead of its reference: 7.1 +/- 0.35 mg/cm2 does not hold a 25 um film's 4.1
    with pytest.raises(InputError) as exc:
        load_recipe_and_materials(DEFAULT_RECIPE, overrides=[
            "cell.electrolyte_film.thickness_um=25",
            ("steps.se_film_rolling.loading_mg_cm2", {"target": 7.1, "tol": 0.35, "ctq": True})])
    msg = str(exc.value)
    assert "steps.se_film_rolling.loading_mg_cm2" in msg and "contradicts the design" in msg
    assert "derived.film_loading_mg_cm2 is 4.1" in msg


def test_a_free_number_that_agrees_with_the_design_is_accepted():
    r, m = load_recipe_and_materials(DEFAULT_RECIPE, overrides=[
        ("steps.se_film_rolling.loading_mg_cm2", {"target": 7.1, "tol": 0.35, "ctq": True})])
    assert r.step("se_film_rolling").loading_mg_cm2.ref is None
    assert recipe_consistency(r, m) == []


def test_setting_a_value_that_follows_the_design_says_where_to_set_it():
    with pytest.raises(InputError, match="follows cell.cathode.active_loading_mg_cm2"):
        load_recipe_and_materials(DEFAULT_RECIPE, overrides=["steps.cathode_hot_rolling.active_loading_mg_cm2=22"])


def test_a_stale_reference_is_reported(recipe, materials):
    # a recipe object edited in code after loading (model_copy skips the loader): its references are stale
    cell = recipe.cell.model_copy(update={"conditions": recipe.cell.conditions.model_copy(
        update={"stack_pressure_MPa": recipe.cell.conditions.stack_pressure_MPa.model_copy(update={"target": 20.0})})})
    edited = recipe.model_copy(update={"cell": cell})
    fields = [p.field for p in recipe_consistency(edited, materials)]
    assert "steps.clamping.pressure_MPa" in fields and "steps.formation.pressure_MPa" in fields


def test_a_flange_too_narrow_for_its_bolts_is_refused():
    # M8 bolts need 1.75 x 8 = 14 mm of flange (estimate); 10 mm is refused
    with pytest.raises(InputError, match="cell.fixture.plate_flange_mm"):
        load_recipe_and_materials(DEFAULT_RECIPE, overrides=["cell.fixture.plate_flange_mm=10"])


def test_an_unknown_placeholder_is_refused():
    with pytest.raises(InputError, match="clamp_force_MN"):
        load_recipe_and_materials(DEFAULT_RECIPE, overrides=["steps.clamping.name=Clamp at {clamp_force_MN} MN"])


def test_traveler_and_validate_refuse_an_inconsistent_recipe(tmp_path):
    out = tmp_path / "t.pdf"
    bad = ["--set", "steps.anode_rolling.target_thickness_um={target: 8.5, tol: 0.5}", "--set", "cell.anode.np_ratio=1.5"]
    res = subprocess.run([sys.executable, "-m", "pouchline", "traveler", str(DEFAULT_RECIPE), "--lot", "L-0001",
                          "--cells", "5", "--sample", *bad, "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 2 and "steps.anode_rolling.target_thickness_um" in res.stderr
    assert not out.exists()
    res = subprocess.run([sys.executable, "-m", "pouchline", "validate", str(DEFAULT_RECIPE), *bad],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "contradicts the design" in res.stderr and "anode_rolling" in res.stderr
