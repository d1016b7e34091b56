"""Rate capability: energy and charge time versus charge rate (Liu2025 Fig. 6b; docs/model.md#the-rate-table)."""

from __future__ import annotations

from functools import lru_cache

import pytest

from pouchline.cell import energy_frac_at_charge_min, rate_points, size_cell, voltage_ratio
from pouchline.cell.rate import estimated_charge_min
from pouchline.recipe.io import DEFAULT_RECIPE_PATH, load_recipe_and_materials


@lru_cache(maxsize=None)
def load(*overrides: str):
    return load_recipe_and_materials(DEFAULT_RECIPE_PATH, overrides=list(overrides))


def test_paper_retentions_are_in_the_table():
    c = size_cell(*load())
    got = [(r["c_rate"], r["retention_frac"]) for r in c.rate_table]
    assert got == [(0.2, 1.0), (0.5, 0.949), (1.0, 0.898), (2.0, 0.831), (3.0, 0.788), (4.0, 0.757), (5.0, 0.736),
                   (6.0, 0.72)]
    assert [r["charge_min"] for r in c.rate_table][1:] == [111, 53, 25, 16, 12, 9.5, 8]


def test_voltage_ratio_model():
    # linear in lost capacity, fitted to 0.991 at 73.6 % (203.1 / (278.4 x 0.736) = 0.991, Liu2025 Fig. 6b)
    assert voltage_ratio(1.0, 0.0333) == 1.0
    assert voltage_ratio(0.736, 0.0333) == pytest.approx(0.9912, abs=1e-4)


def test_energy_at_rate_is_retention_times_voltage_ratio():
    c = size_cell(*load(), layers=4, format="lab-100x60")
    for r in c.rate_table:
        assert r["energy_Wh"] == pytest.approx(c.energy_Wh * r["retention_frac"] * r["voltage_ratio"], rel=1e-12)
        assert r["capacity_Ah"] == pytest.approx(c.capacity_Ah * r["retention_frac"], rel=1e-12)


def test_ten_minute_charge():
    # 10 min lies between 9.5 min (5 C, 73.6 %) and 12 min (4 C, 75.7 %): interpolate in time
    c = size_cell(*load())
    fc = c.fast_charge
    pts = rate_points(load()[0].cell.rate_capability)
    e5 = next(p.energy_frac for p in pts if p.c_rate == 5)
    e4 = next(p.energy_frac for p in pts if p.c_rate == 4)
    assert fc["energy_frac"] == pytest.approx(e5 + 0.2 * (e4 - e5), rel=1e-12)
    assert fc["c_rate"] == pytest.approx(4.8)
    assert 200 < fc["jellyroll_specific_energy_Wh_kg"] < 210


def test_no_extrapolation_below_the_fastest_charge():
    pts = rate_points(load()[0].cell.rate_capability)
    assert energy_frac_at_charge_min(pts, 5.0) is None
    fc = size_cell(*load(), charge_minutes=5.0).fast_charge
    assert fc["energy_frac"] is None and fc.get("energy_Wh") is None


def test_estimated_charge_time():
    # docs/model.md#the-rate-table: about 60 x retention / C; the 0.2 C reference point has no measured time
    assert estimated_charge_min(1.0, 0.2) == pytest.approx(300)
    c = size_cell(*load())
    assert not c.rate_table[0]["charge_min_measured"]
    assert any("estimated" in a for a in c.assumptions)


def test_without_slope_voltage_is_constant():
    c = size_cell(*load("cell.rate_capability.voltage_ratio_slope=0"))
    assert all(r["voltage_ratio"] == 1.0 for r in c.rate_table)
