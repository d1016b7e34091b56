"""Conversions against hand calculations and the paper's figures (Liu2025; Mendeleev2024; docs/model.md)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from pouchline.recipe.conversions import (
    alloy_density_g_cm3,
    areal_mass_mg_cm2,
    atomic_to_weight_fractions,
    composite_areal_masses_mg_cm2,
    force_kN,
    max_draft_um,
    mean_molar_mass_g_mol,
    parts_to_mass_fractions,
    rolling_passes,
    rolling_schedule_um,
    thickness_um,
    weight_to_atomic_fractions,
)
from pouchline.units import to_canonical


def test_insnbi_weight_fractions_match_reference():
    # Liu2025 Methods x Mendeleev2024 atomic weights: In0.38Sn0.33Bi0.29 = 30.42 / 27.32 / 42.26 wt%, +/-0.05 pt
    wt = atomic_to_weight_fractions({"In": 0.38, "Sn": 0.33, "Bi": 0.29})
    assert wt["In"] * 100 == pytest.approx(30.42, abs=0.05)
    assert wt["Sn"] * 100 == pytest.approx(27.32, abs=0.05)
    assert wt["Bi"] * 100 == pytest.approx(42.26, abs=0.05)


def test_insnbi_weight_fractions_by_hand():
    # 0.38*114.818 = 43.631, 0.33*118.71 = 39.174, 0.29*208.98 = 60.604; sum 143.409
    assert mean_molar_mass_g_mol({"In": 38, "Sn": 33, "Bi": 29}) == pytest.approx(143.409, abs=0.002)
    wt = atomic_to_weight_fractions({"In": 38, "Sn": 33, "Bi": 29})
    assert wt["In"] == pytest.approx(43.631 / 143.409, abs=1e-4)


@pytest.mark.parametrize(
    "at,expected_wt",
    [  # Mendeleev2024 atomic weights, other compositions the paper explored
        ({"In": 0.48, "Sn": 0.32, "Bi": 0.20}, (40.86, 28.16, 30.98)),
        ({"In": 0.60, "Sn": 0.25, "Bi": 0.15}, (53.03, 22.84, 24.13)),
        ({"In": 0.20, "Sn": 0.20, "Bi": 0.60}, (13.34, 13.80, 72.86)),
    ],
)
def test_other_compositions(at, expected_wt):
    wt = atomic_to_weight_fractions(at)
    got = tuple(round(100 * wt[e], 2) for e in ("In", "Sn", "Bi"))
    assert got == pytest.approx(expected_wt, abs=0.05)


@given(st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3))
def test_atomic_weight_round_trip(xs):
    at = dict(zip(("In", "Sn", "Bi"), xs))
    back = weight_to_atomic_fractions(atomic_to_weight_fractions(at))
    total = sum(xs)
    for el, x in at.items():
        assert back[el] == pytest.approx(x / total, rel=1e-9)


def test_alloy_density_inverse_rule_of_mixtures():
    # derived, inverse rule of mixtures of Mendeleev2024 densities: 8.18 g/cm3
    wt = atomic_to_weight_fractions({"In": 38, "Sn": 33, "Bi": 29})
    rho = alloy_density_g_cm3(wt, {"In": 7.31, "Sn": 7.287, "Bi": 9.807})
    assert rho == pytest.approx(8.18, abs=0.01)


def test_cathode_parts_normalised_by_their_sum():
    # Liu2025 Methods, docs/model.md: 73 / 100.8 = 72.42 wt% LCO; composite 21.0 x 100.8 / 73 = 29.00 mg/cm2
    fr = parts_to_mass_fractions({"lco": 73, "nm": 15, "um": 10, "vgcf": 2, "ptfe": 0.8})
    assert fr["lco"] == pytest.approx(0.72421, abs=1e-5)
    assert sum(fr.values()) == pytest.approx(1.0)
    per_area = composite_areal_masses_mg_cm2(fr, "lco", 21.0)
    assert sum(per_area.values()) == pytest.approx(29.0, abs=0.01)
    assert per_area["ptfe"] == pytest.approx(21.0 * 0.8 / 73)


def test_layer_thickness_and_mass():
    # 41.5 um at 1.64 g/cm3 = 6.806 mg/cm2 (docs/model.md#the-jellyroll-reconstruction); and back
    assert areal_mass_mg_cm2(41.5, 1.64) == pytest.approx(6.806)
    assert thickness_um(6.806, 1.64) == pytest.approx(41.5)


def test_clamp_force():
    # derived, F = p x A (Liu2025 Methods): 30 MPa x 17.5 cm2 = 52.5 kN; 30 MPa x 300 cm2 = 900 kN
    assert force_kN(30, 17.5) == pytest.approx(52.5)
    assert force_kN(30, 300) == pytest.approx(900)


def test_rolling_passes_by_hand():
    # ln(8.5/100)/ln(0.75) = 8.57 -> 9 passes
    assert rolling_passes(100, 8.5, 0.25) == 9
    assert rolling_passes(100, 75, 0.25) == 1
    assert rolling_passes(100, 74.9, 0.25) == 2
    assert rolling_passes(50, 60, 0.25) == 0
    # a reduction so small that 1 - r rounds to 1 (found by the corruption property): a count beyond any
    # schedule for the step model to refuse, not a ZeroDivisionError; ln(0.085) / -1e-6 = 2,465,103 passes
    assert rolling_passes(100, 8.5, 5e-273) == 10**12
    assert rolling_passes(100, 8.5, 1e-6) == 2_465_103
    sched = rolling_schedule_um(100, 8.5, 0.25)
    assert len(sched) == 9 and sched[-1] == 8.5
    prev = 100.0
    for h in sched:
        assert 1 - h / prev <= 0.25 + 1e-12
        prev = h


@given(st.floats(5, 2000), st.floats(0.01, 0.99), st.floats(0.05, 0.5))
def test_rolling_schedule_properties(start, frac, red):
    target = start * frac
    sched = rolling_schedule_um(start, target, red)
    assert len(sched) == rolling_passes(start, target, red)
    assert sched[-1] == pytest.approx(target)
    prev = start
    for h in sched:
        assert h < prev
        assert 1 - h / prev <= red + 1e-9
        prev = h


def test_max_draft():
    # Kalpakjian & Schmid: mu 0.1, R = 50 mm -> 0.5 mm
    assert max_draft_um(0.1, 100) == pytest.approx(500)


@pytest.mark.parametrize(
    "text,unit,expected",
    [
        ("88 degC", "C", 88.0),
        ("361.15 K", "C", 88.0),
        ("30 MPa", "MPa", 30.0),
        ("0.03 GPa", "MPa", 30.0),
        ("0.8 wt%", "frac", 0.008),
        ("7.1 mg/cm**2", "mg_cm2", 7.1),
        ("71 g/m**2", "mg_cm2", 7.1),
        ("0.0415 mm", "um", 41.5),
        ("41.5 µm", "um", 41.5),
        ("2 h", "min", 120.0),
        (88, "C", 88.0),
    ],
)
def test_units_parse(text, unit, expected):
    assert to_canonical(text, unit) == pytest.approx(expected)


@pytest.mark.parametrize("text,unit", [("30 s", "MPa"), ("88 kg", "C"), ("abc", "um"), ("12 parsecs/furlong", "um")])
def test_units_reject(text, unit):
    with pytest.raises(ValueError):
        to_canonical(text, unit)


def test_temperature_tolerance_is_a_difference():
    assert to_canonical("2 K", "C", delta=True) == pytest.approx(2.0)
    assert to_canonical("2 degC", "C", delta=True) == pytest.approx(2.0)
    assert not math.isclose(to_canonical("2 K", "C"), 2.0)
