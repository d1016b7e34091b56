"""Warnings collected once, and the near-bottleneck ranking's confidence intervals (issue 17)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conftest import RECIPES

from pouchline.plan import (
    PlanWarning,
    _dedupe,
    atmosphere_warnings,
    cell_vs_line_warnings,
    fmt_range,
    ranked_bottlenecks,
    simulation_warnings,
)


@pytest.fixture(scope="module")
def gwh_line():
    from pouchline.line import load_line

    return load_line(RECIPES / "lines" / "gwh-line.yaml")


def test_atmosphere_deviations_are_one_warning_per_zone(gwh_line, recipe):
    from pouchline.line.model import atmosphere_deviations

    per_station = atmosphere_deviations(gwh_line, recipe)
    items = atmosphere_warnings(gwh_line, recipe)
    # nine near-identical lines (one per station) become one warning naming the nine stations
    assert len(per_station) == 9 and len(items) == 1
    assert len(items[0].subjects) == 9 and all(name in items[0].message for name in items[0].subjects)
    assert "needs a recipe revision" in items[0].message


def test_a_derived_revision_resolves_them(gwh_line, recipe, materials):
    from pouchline.cell import size_cell
    from pouchline.recipe.derive import derive_revision

    cell = size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")
    rev = derive_revision(recipe, materials, cell, line=gwh_line).recipe
    items = atmosphere_warnings(gwh_line, recipe, rev)
    assert len(items) == 1 and f"Rev {rev.revision}, derived for this plan" in items[0].message
    assert atmosphere_warnings(gwh_line, rev) == []  # the revision itself deviates no more


def test_buffer_notes_are_gathered():
    exp = SimpleNamespace(warnings=("warm-up of 1 days is too short (MSER-5 suggests 3)",), notes=(
        "se_cutter: input buffer raised from 100 to 1800 units, the least that holds a job ...",
        "stacker: input buffer of se_cutter's units raised from 50 to 400 units, the least ...",
        "lot size 200 units",
    ))
    items = simulation_warnings(exp)
    assert [w.source for w in items] == ["simulation", "simulation", "buffers"]
    buffers = items[-1]
    assert buffers.subjects == ("se_cutter", "stacker") and "100 → 1,800" in buffers.message
    assert items[0].severity == "warning" and buffers.severity == "note"


def test_cell_far_from_the_line_design_cell(gwh_line):
    # the line file's design cell: 34 Wh, 2,890 cm2; the paper's one-layer lab cell is ~0.2 Wh on 17.5 cm2
    lab = SimpleNamespace(energy_Wh=0.2, area_per_cell_cm2=17.5)
    items = cell_vs_line_warnings(lab, gwh_line)
    assert [w.subjects for w in items] == [("energy",), ("electrode area",)]
    assert "0.00588 x" in items[0].message  # 0.2 / 34
    ev = SimpleNamespace(energy_Wh=35.7, area_per_cell_cm2=3000.0)
    assert cell_vs_line_warnings(ev, gwh_line) == []  # within 2x: no warning


def test_dedupe_keeps_one_and_orders_by_severity():
    a = PlanWarning("x", "same", "note")
    b = PlanWarning("y", "other", "warning")
    assert _dedupe([a, b, a]) == [b, a]


def _station(name, limit):
    return SimpleNamespace(name=name, line_limit_good_units_per_h=limit)


def test_within_ci_by_paired_differences():
    # three replications; active shares of three stations (busy + down + setup)
    act = {"a": [0.90, 0.92, 0.94], "b": [0.89, 0.93, 0.91], "c": [0.50, 0.50, 0.51]}
    stations = [_station("a", 100.0), _station("b", 110.0), _station("c", 200.0)]
    results = [SimpleNamespace(scheduled_hours_per_year=8000.0,
                               stations=[SimpleNamespace(active_fraction=act[n][k]) for n in "abc"])
               for k in range(3)]
    ranked = tuple({"name": n, "rank": i + 1, "active_fraction": sum(act[n]) / 3, "votes_count": 3 - 3 * min(i, 1),
                    "line_limit_good_units_per_h": s.line_limit_good_units_per_h, "active_ci95": [0, 1]}
                   for i, (n, s) in enumerate(zip("abc", stations)))
    exp = SimpleNamespace(bottlenecks=ranked, results=results, stations=stations, zones=())
    rows = ranked_bottlenecks(exp, cell_energy_Wh=50.0)
    # a - b: 0.01, -0.01, 0.03; mean 0.01, s 0.02; t(0.975, 2) = 4.303: 0.01 +- 0.0497 contains 0
    assert rows[1]["within_ci_of_first"] is True
    # a - c: 0.40, 0.42, 0.43: clearly apart
    assert rows[2]["within_ci_of_first"] is False and rows[0]["within_ci_of_first"] is None
    # line limit as MWh/yr: 100 cells/h x 8,000 h x 50 Wh = 40 MWh
    assert rows[0]["line_limit_MWh_per_yr"] == pytest.approx(40.0)


def test_fmt_range():
    assert fmt_range(1.08e3, 1.13e3, "MWh") == "1.08 to 1.13 GWh"
    assert fmt_range(950, 1050, "MWh") == "950 MWh to 1.05 GWh"
    assert fmt_range(0.5, 2.0) == "0.5 to 2"


def test_a_fixture_pool_of_other_cells_per_fixture_than_the_design_is_a_warning(gwh_line):
    # gwh-line.yaml's pool: 11,000 fixtures of 10 cells from clamp_press; the shipped recipe's fixture holds 1 cell
    from pouchline.plan import fixture_pool_warnings

    pool = gwh_line.carriers["fixtures"]
    assert (pool.count, pool.units_per_carrier) == (11000, 10)
    one = SimpleNamespace(fixture=SimpleNamespace(cells_per_fixture=1))
    items = fixture_pool_warnings(one, gwh_line)
    assert len(items) == 1 and items[0].source == "fixture"
    assert "10 cells per fixture" in items[0].message and "--cells-per-fixture 10" in items[0].message
    assert "11,000" in items[0].message
    assert fixture_pool_warnings(SimpleNamespace(fixture=SimpleNamespace(cells_per_fixture=10)), gwh_line) == []
