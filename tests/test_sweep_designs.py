"""Designs: grid order and points, Latin hypercube strata, Monte Carlo laws, per-scenario seeds."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pouchline.sweep import count_scenarios, scenario_seed, scenarios, sweep_from_data
from pouchline.sweep.designs import design_inputs, from_uniform, grid_levels
from pouchline.sweep.model import Parameter

ROOT = Path(__file__).resolve().parents[1]


def make(parameters, design="grid", seed=0):
    data = {"name": "t", "seed": seed, "design": design, "parameters": parameters, "outputs": ["cell.energy_Wh"]}
    return sweep_from_data(data, "t.yaml", base_dir=ROOT)


def test_grid_is_the_cartesian_product_first_parameter_slowest():
    s = make({"a": [1, 2, 3], "b": ["x", "y"], "c": 7})
    rows = design_inputs(s)
    assert rows == [{"a": a, "b": b, "c": 7} for a, b in itertools.product([1, 2, 3], ["x", "y"])]
    assert count_scenarios(s) == 6
    assert [sc.index for sc in scenarios(s)] == list(range(6))


def test_range_points_include_both_ends_without_binary_noise():
    assert grid_levels(Parameter(low=25, high=55, steps=4)) == [25.0, 35.0, 45.0, 55.0]
    # 0.1 * 3 is 0.30000000000000004 in binary; the grid writes 0.3
    assert grid_levels(Parameter(low=0, high=0.3, step=0.1)) == [0.0, 0.1, 0.2, 0.3]
    assert grid_levels(Parameter(low=1, high=3, steps=5, integer=True)) == [1, 2, 3]  # 1, 1.5->2, 2, 2.5->3, 3


def test_distribution_levels_are_quantile_midpoints():
    # levels 3 of a normal: quantiles 1/6, 1/2, 5/6; the middle one is the mean
    lv = grid_levels(Parameter(distribution="normal", mean=41.5, sd=3, levels=3))
    assert math.isclose(lv[1], 41.5)
    assert math.isclose(lv[0] + lv[2], 2 * 41.5)
    assert lv[0] < 41.5 < lv[2]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 200), seed=st.integers(0, 2**32 - 1))
def test_latin_hypercube_has_one_point_per_stratum(n, seed):
    # McKay et al. 1979: each of the n equal-probability strata of every parameter holds one point
    s = make({"a": {"low": 0, "high": 1}, "b": {"distribution": "uniform", "low": 10, "high": 20}},
             design={"kind": "lhs", "samples": n}, seed=seed)
    rows = design_inputs(s)
    a = np.array([r["a"] for r in rows])
    b = (np.array([r["b"] for r in rows]) - 10) / 10
    for col in (a, b):
        assert sorted(np.minimum(np.floor(col * n), n - 1).astype(int)) == list(range(n))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_cut_distributions_stay_inside_their_cut(seed):
    s = make({"n": {"distribution": "normal", "mean": 0.02, "sd": 0.05, "low": 0, "high": 0.1},
              "l": {"distribution": "lognormal", "median": 350, "sigma": 0.6, "low": 240, "high": 850},
              "t": {"distribution": "triangular", "low": 240, "mode": 350, "high": 850}},
             design={"kind": "mc", "samples": 200}, seed=seed)
    rows = design_inputs(s)
    assert all(0 <= r["n"] <= 0.1 for r in rows)
    assert all(240 <= r["l"] <= 850 for r in rows)
    assert all(240 <= r["t"] <= 850 for r in rows)


def test_monte_carlo_matches_the_distributions_moments():
    n = 20000
    s = make({"t": {"distribution": "triangular", "low": 240, "mode": 350, "high": 850},
              "z": {"distribution": "normal", "mean": 5, "sd": 2},
              "g": {"distribution": "lognormal", "median": 100, "sigma": 0.5}},
             design={"kind": "mc", "samples": n}, seed=11)
    rows = design_inputs(s)
    t = np.array([r["t"] for r in rows])
    z = np.array([r["z"] for r in rows])
    g = np.array([r["g"] for r in rows])
    # triangular mean (a + b + c) / 3 and sd sqrt((a2+b2+c2-ab-ac-bc)/18); 5 standard errors
    a, c, b = 240, 350, 850
    sd_t = math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    assert abs(t.mean() - (a + b + c) / 3) < 5 * sd_t / math.sqrt(n)
    assert abs(z.mean() - 5) < 5 * 2 / math.sqrt(n)
    assert abs(z.std() - 2) < 0.05
    # the median of a lognormal is exp(mu)
    assert abs(np.median(g) / 100 - 1) < 0.03


def test_weighted_values_are_drawn_by_weight():
    p = Parameter(values=["low", "base", "high"], weights=[1, 2, 1])
    u = (np.arange(4000) + 0.5) / 4000
    drawn = from_uniform(p, u)
    assert drawn.count("base") == 2000 and drawn.count("low") == 1000


def test_design_is_a_function_of_the_sweep_and_its_seed():
    kw = dict(parameters={"a": {"low": 0, "high": 1}}, design={"kind": "lhs", "samples": 16})
    assert design_inputs(make(**kw, seed=3)) == design_inputs(make(**kw, seed=3))
    assert design_inputs(make(**kw, seed=3)) != design_inputs(make(**kw, seed=4))


def test_scenario_seeds_depend_on_sweep_seed_and_index_only():
    small = scenarios(make({"a": {"low": 0, "high": 1}}, design={"kind": "mc", "samples": 5}, seed=9))
    large = scenarios(make({"a": {"low": 0, "high": 1}}, design={"kind": "mc", "samples": 50}, seed=9))
    assert [s.seed for s in small] == [s.seed for s in large[:5]] == [scenario_seed(9, i) for i in range(5)]
    # Monte Carlo rows are drawn row by row: more samples extend the design, so earlier rows resume
    assert [s.inputs for s in small] == [s.inputs for s in large[:5]]
    assert len({s.seed for s in large}) == 50
    assert scenario_seed(9, 0) != scenario_seed(10, 0)


def test_grid_crossed_with_draws_uses_the_same_draws_at_every_point():
    s = make({"layers": [1, 2, 3], "price": {"distribution": "uniform", "low": 240, "high": 850}},
             design={"kind": "grid", "samples": 4})
    rows = design_inputs(s)
    assert len(rows) == 12
    by_layer = {k: [r["price"] for r in rows if r["layers"] == k] for k in (1, 2, 3)}
    assert by_layer[1] == by_layer[2] == by_layer[3]
    assert len(set(by_layer[1])) == 4
