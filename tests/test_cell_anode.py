"""The alloy anode's capacity from its lithiated end phases (Liu2025 Methods, Results; docs/model.md)."""

from __future__ import annotations

from functools import lru_cache

import pytest

from pouchline.cell import END_PHASE_SCALE, end_phase_capacity_mAh_g, jellyroll, scaled_end_phase_capacity_mAh_g
from pouchline.errors import InputError
from pouchline.recipe.conversions import atomic_to_weight_fractions
from pouchline.recipe.io import DEFAULT_RECIPE_PATH, load_recipe_and_materials

PAPER = {"In": 38, "Sn": 33, "Bi": 29}


@lru_cache(maxsize=None)
def load(*overrides: str):
    return load_recipe_and_materials(DEFAULT_RECIPE_PATH, overrides=list(overrides))


def test_end_phases_of_the_papers_alloy():
    # derived (CODATA2018, Mendeleev2024): Li3Bi + Li13In3 + Li22Sn5 741.7 mAh/g; with Li17Sn4 732.4; with Li7Sn2 686.2
    assert end_phase_capacity_mAh_g(PAPER) == pytest.approx(741.7, abs=0.05)
    assert end_phase_capacity_mAh_g(PAPER, {"Sn": "Li17Sn4"}) == pytest.approx(732.4, abs=0.05)
    assert end_phase_capacity_mAh_g(PAPER, {"Sn": "Li7Sn2"}) == pytest.approx(686.2, abs=0.05)


def test_scale_brings_the_paper_alloy_to_724():
    # docs/model.md: scale by 724 / 741.7 = 0.976 to match the paper's 724 mAh/g
    assert END_PHASE_SCALE == pytest.approx(0.976, abs=0.0005)
    assert scaled_end_phase_capacity_mAh_g(PAPER) == pytest.approx(724.0, rel=1e-12)


def test_hand_calculation_pure_bismuth():
    # Li3Bi: 3 x 96485.33 / 208.98 / 3.6 = 384.8 mAh/g
    assert end_phase_capacity_mAh_g({"Bi": 100}) == pytest.approx(3 * 96485.33212 / 208.98 / 3.6, rel=1e-12)


@pytest.mark.parametrize("at, wt", [
    ({"In": 38, "Sn": 33, "Bi": 29}, (30.42, 27.32, 42.26)),
    ({"In": 48, "Sn": 32, "Bi": 20}, (40.86, 28.16, 30.98)),
    ({"In": 20, "Sn": 20, "Bi": 60}, (13.34, 13.80, 72.86)),
])
def test_weight_fractions(at, wt):
    # derived: at.% x Mendeleev2024 atomic weights = wt% of the paper's compositions, +/-0.05 pt
    w = atomic_to_weight_fractions(at)
    assert [round(100 * w[e], 2) for e in ("In", "Sn", "Bi")] == pytest.approx(list(wt), abs=0.05)


def test_stated_capacity_wins():
    j = jellyroll(*load())
    assert j.anode.specific_capacity_mAh_g == 724.0
    assert j.anode.end_phase_capacity_mAh_g == pytest.approx(741.7, abs=0.05)


def test_end_phases_on_request_for_the_paper_alloy_gives_724():
    j = jellyroll(*load("cell.anode.capacity_from=end_phases"))
    assert j.anode.specific_capacity_mAh_g == pytest.approx(724.0, rel=1e-9)
    assert any("0.976" in a for a in j.assumptions)


def test_another_composition():
    # In0.60Sn0.25Bi0.15 (paper's Supplementary compositions): 53.03 / 22.84 / 24.13 wt% (Mendeleev2024 atomic weights)
    r, m = load("cell.anode.composition_at_pct={In: 60, Sn: 25, Bi: 15}", "cell.anode.capacity_from=end_phases")
    j = jellyroll(r, m)
    a = j.anode
    assert a.custom_composition
    assert a.weight_frac["In"] == pytest.approx(0.5303, abs=5e-4)
    expected = END_PHASE_SCALE * end_phase_capacity_mAh_g({"In": 60, "Sn": 25, "Bi": 15})
    assert a.specific_capacity_mAh_g == pytest.approx(expected, rel=1e-12)
    # density by the inverse rule of mixtures of 7.31 / 7.287 / 9.807 g/cm3
    w = a.weight_frac
    rho = 1 / (w["In"] / 7.31 + w["Sn"] / 7.287 + w["Bi"] / 9.807)
    assert a.density_g_cm3 == pytest.approx(rho, rel=1e-12)
    # the anode mass follows: N/P x first-charge capacity / specific capacity
    assert j.anode_alloy_mg_cm2 == pytest.approx(1.3 * 21.0 * 185 / expected, rel=1e-12)


def test_custom_composition_with_stated_capacity_warns():
    j = jellyroll(*load("cell.anode.composition_at_pct={In: 60, Sn: 25, Bi: 15}"))
    assert j.anode.specific_capacity_mAh_g == 724.0
    assert any("capacity_from=end_phases" in a for a in j.assumptions)


def test_unknown_end_phase_is_an_input_error():
    with pytest.raises(InputError, match="end phase"):
        jellyroll(*load("cell.anode.end_phases={Sn: Li99Sn}"))


def test_bad_composition_refused_at_load():
    with pytest.raises(InputError, match="composition_at_pct"):
        load_recipe_and_materials(DEFAULT_RECIPE_PATH, overrides=["cell.anode.composition_at_pct={In: 60, Sn: 25}"])
