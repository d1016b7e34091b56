"""Charts of sweep results: Pareto front, main effects, tornado, PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pouchline.sweep import sweep_from_data
from pouchline.sweep.plots import main_effects, pareto_front, plot_paths, tornado, write_plots

ROOT = Path(__file__).resolve().parents[1]
X, Y = "cell.specific_energy_Wh_kg", "cost.cost_per_kWh_usd"


def table(points, status=None):
    df = pd.DataFrame(points, columns=[X, Y])
    df.insert(0, "scenario", range(len(df)))
    df["status"] = status or ["ok"] * len(df)
    return df


def test_pareto_front_by_hand():
    # more Wh/kg and fewer $/kWh are better: (2, 0.5) beats (1, 1) and (2, 2); (3, 1.5) is beaten by none
    t = table([(1, 1), (2, 2), (3, 1.5), (2, 0.5)])
    assert list(pareto_front(t, X, Y)) == [False, False, True, True]


def test_failed_or_missing_rows_are_never_on_the_front():
    t = table([(1, 1), (5, 0.1), (2, np.nan)], status=["ok", "error", "ok"])
    assert list(pareto_front(t, X, Y)) == [True, False, False]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=40))
def test_pareto_front_is_exactly_the_non_dominated_set(points):
    # law: a point is on the front iff no other point is at least as good on both and better on one
    t = table(points)
    front = pareto_front(t, X, Y).to_numpy()

    def dominated(i):
        xi, yi = points[i]
        return any(x >= xi and y <= yi and (x > xi or y < yi) for x, y in points)

    for i in range(len(points)):
        if dominated(i):
            assert not front[i]
    # every non-dominated value pair is represented on the front (duplicates once)
    best = {points[i] for i in range(len(points)) if not dominated(i)}
    assert {points[i] for i in np.flatnonzero(front)} == best


def grid_table():
    # 2 x 2 grid: y = 10 a + b
    rows = [{"scenario": i, "a": a, "b": b, "y": 10 * a + b, "status": "ok"}
            for i, (a, b) in enumerate([(1, 1), (1, 2), (2, 1), (2, 2)])]
    return pd.DataFrame(rows)


def test_main_effects_of_a_grid_are_level_means():
    me = main_effects(grid_table(), "a", "y")
    assert list(me["level"]) == [1, 2]
    assert list(me["mean"]) == [11.5, 21.5]  # (11 + 12) / 2 and (21 + 22) / 2
    assert list(me["n"]) == [2, 2]


def test_main_effects_bin_a_continuous_parameter():
    rng = np.random.default_rng(0)
    x = rng.random(100)
    t = pd.DataFrame({"scenario": range(100), "x": x, "y": 3 * x, "status": "ok"})
    me = main_effects(t, "x", "y", bins=5)
    assert len(me) == 5 and list(me["n"]) == [20] * 5
    assert np.allclose(me["mean"], 3 * me["level"])


def test_tornado_sorts_by_swing_and_keeps_direction():
    td = tornado(grid_table(), ["a", "b"], "y")
    assert list(td["parameter"]) == ["a", "b"]
    assert td.loc[0, "at_low"] == 11.5 and td.loc[0, "at_high"] == 21.5 and td.loc[0, "swing"] == 10
    assert td.loc[1, "swing"] == 1


def test_write_plots_writes_pngs_beside_the_results(tmp_path):
    sweep = sweep_from_data({"name": "p", "parameters": {"a": [1, 2], "b": [1, 2]}, "outputs": [X, Y]}, "p.yaml",
                            base_dir=ROOT)
    t = grid_table().rename(columns={"y": X})
    t[Y] = 100 - t[X]
    out = tmp_path / "res.csv"
    written = write_plots(t, sweep, out)
    assert written == list(plot_paths(out).values())
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pareto_chart_is_skipped_without_energy_and_cost_outputs(tmp_path):
    sweep = sweep_from_data({"name": "p", "parameters": {"a": [1, 2], "b": [1, 2]}, "outputs": ["cell.y"]}, "p.yaml",
                            base_dir=ROOT)
    written = write_plots(grid_table().rename(columns={"y": "cell.y"}), sweep, tmp_path / "r.csv")
    assert [p.name for p in written] == ["r-tornado.png", "r-main-effects.png"]
