"""Scenarios from a sweep's parameters: full grid, Latin hypercube and Monte Carlo.

Every design is a pure function of the sweep (its parameters, design and ``seed``), computed once
where the sweep starts, so every executor runs the same list. Random designs draw uniform numbers
u in (0, 1) and map them through each parameter's inverse CDF (:func:`from_uniform`); the Latin
hypercube places one draw in each of N equal-probability strata of every parameter
(McKay, Beckman and Conover, Technometrics 21, 1979).

Each scenario gets its own seed, :func:`scenario_seed`, a function of the sweep seed and the
scenario index only (numpy ``SeedSequence`` with the index as spawn key), so the seed does not
depend on the executor, the number of workers or which scenarios already ran.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Sequence

import numpy as np

from pouchline.errors import InputError
from pouchline.sweep.model import MAX_LEVELS, MAX_SCENARIOS, Parameter, Sweep

# spawn keys of the sweep seed: one stream for the design, one per scenario
_DESIGN_KEY = 0
_SCENARIO_KEY = 1
_U_EPS = 1e-12  # keep u inside (0, 1) so inverse CDFs stay finite


@dataclass(frozen=True)
class Scenario:
    """One point of a sweep: its index, its own seed and the value of every parameter by path."""

    index: int
    seed: int
    inputs: dict[str, Any] = field(default_factory=dict)


def scenario_seed(sweep_seed: int, index: int) -> int:
    """The seed of scenario ``index``: 32 bits from ``SeedSequence(sweep_seed, spawn_key=(1, index))``.

    Independent streams per scenario (numpy's recommended way to seed parallel work) that do not
    change when the design grows or when scenarios run in another order.
    """
    ss = np.random.SeedSequence(int(sweep_seed), spawn_key=(_SCENARIO_KEY, int(index)))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def design_rng(sweep_seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(sweep_seed), spawn_key=(_DESIGN_KEY,)))


# -- one parameter ------------------------------------------------------------------------------
def _nice(v: float) -> float:
    """Grid points without binary noise: 0.1 * 3 is written 0.3, not 0.30000000000000004."""
    return float(f"{v:.12g}")


def _native(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _round_int(values: Sequence[float]) -> list[int]:
    return [int(math.floor(v + 0.5)) for v in values]


def _dedupe(values: list) -> list:
    """``values`` without repeats, in first-seen order (hashing: O(n), for up to MAX_LEVELS points)."""
    return list(dict.fromkeys(values))


def grid_levels(p: Parameter, name: str = "") -> list[Any]:
    """The grid points of one parameter: its values, its range points or its quantile levels."""
    if p.kind == "values":
        return [_native(v) for v in p.values]
    if p.kind == "range":
        lo, hi = p.low, p.high
        if lo == hi:
            pts = [lo]
        elif p.steps is not None:
            pts = [lo] if p.steps == 1 else [_nice(lo + (hi - lo) * k / (p.steps - 1)) for k in range(p.steps)]
        elif p.step is not None:
            span = (hi - lo) / p.step
            if not math.isfinite(span) or span + 1 > MAX_LEVELS:
                raise InputError.single("", f"parameters.{name}.step", f"{p.step:g} gives more than {MAX_LEVELS:,} "
                                        f"points from {lo:g} to {hi:g}; at most {MAX_LEVELS:,} per parameter")
            n = int(math.floor(span + 1e-9)) + 1
            pts = [_nice(lo + k * p.step) for k in range(n)]
        else:
            raise InputError.single("", f"parameters.{name}", "a range in a grid needs steps or step")
        return _dedupe(_round_int(pts)) if p.integer else pts
    if p.levels is None:
        raise InputError.single("", f"parameters.{name}", "a distribution in a grid needs levels: N")
    u = (np.arange(p.levels) + 0.5) / p.levels
    return _dedupe(from_uniform(p, u))


def from_uniform(p: Parameter, u: np.ndarray) -> list[Any]:
    """Values of parameter ``p`` at probabilities ``u`` (its inverse CDF; values are picked by weight)."""
    u = np.clip(np.asarray(u, dtype=float), _U_EPS, 1.0 - _U_EPS)
    if p.kind == "values":
        vals = [_native(v) for v in p.values]
        w = np.asarray(p.weights if p.weights is not None else [1.0] * len(vals), dtype=float)
        cum = np.cumsum(w) / w.sum()
        idx = np.minimum(np.searchsorted(cum, u, side="right"), len(vals) - 1)
        return [vals[i] for i in idx]
    if p.kind == "range":
        x = p.low + u * (p.high - p.low)
    else:
        x = _ppf(p, u)
    if p.integer:
        return _round_int(x)
    return [float(v) for v in x]


def _ppf(p: Parameter, u: np.ndarray) -> np.ndarray:
    d = p.distribution
    if d == "uniform":
        return p.low + u * (p.high - p.low)
    if d == "loguniform":
        return np.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low)))
    if d == "triangular":
        a, c, b = p.low, p.mode, p.high
        if b == a:
            return np.full_like(u, a)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < fc, left, right)
    if d == "normal":
        nd = NormalDist(p.mean, p.sd)
        to_x = nd.inv_cdf
        cdf = nd.cdf
    else:  # lognormal: median * exp(sigma * z)
        nd = NormalDist(math.log(p.median), p.sigma)

        def to_x(q: float) -> float:
            return math.exp(nd.inv_cdf(q))

        def cdf(x: float) -> float:
            return nd.cdf(math.log(x)) if x > 0 else 0.0
    lo_p = cdf(p.low) if p.low is not None else 0.0
    hi_p = cdf(p.high) if p.high is not None else 1.0
    q = np.clip(lo_p + u * (hi_p - lo_p), _U_EPS, 1.0 - _U_EPS)
    x = np.array([to_x(float(v)) for v in q])
    if p.low is not None or p.high is not None:  # the cut is exact, not subject to rounding in inv_cdf
        x = np.clip(x, p.low if p.low is not None else -np.inf, p.high if p.high is not None else np.inf)
    return x


# -- designs ------------------------------------------------------------------------------------
def latin_hypercube_u(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n x d uniforms with one point in each of the n strata of every column."""
    u = np.empty((n, d))
    for j in range(d):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


def monte_carlo_u(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    return rng.random((n, d))


def count_scenarios(sweep: Sweep) -> int:
    """How many scenarios the sweep has, without listing them."""
    if sweep.design.kind != "grid":
        return int(sweep.design.samples)
    n = 1
    for name, p in sweep.parameters.items():
        if p.kind == "distribution" and p.levels is None:
            continue
        n *= len(grid_levels(p, name))
    bare = any(p.kind == "distribution" and p.levels is None for p in sweep.parameters.values())
    if sweep.design.samples is not None and bare:
        n *= sweep.design.samples
    return n


def design_inputs(sweep: Sweep) -> list[dict[str, Any]]:
    """The parameter values of every scenario, in scenario order (a pure function of the sweep)."""
    names = list(sweep.parameters)
    params = [sweep.parameters[k] for k in names]
    kind = sweep.design.kind
    rng = design_rng(sweep.seed)
    if kind in ("latin_hypercube", "monte_carlo"):
        n = int(sweep.design.samples)
        if n > MAX_SCENARIOS:
            raise InputError.single("", "design.samples", f"{n:,} scenarios; at most {MAX_SCENARIOS:,}")
        u = latin_hypercube_u(n, len(params), rng) if kind == "latin_hypercube" else monte_carlo_u(n, len(params), rng)
        cols = [from_uniform(p, u[:, j]) for j, p in enumerate(params)]
        return [{k: cols[j][i] for j, k in enumerate(names)} for i in range(n)]

    # full grid, optionally crossed with the same N draws of the distributions without levels
    total = count_scenarios(sweep)
    if total > MAX_SCENARIOS:
        raise InputError.single("", "parameters", f"the grid has {total:,} scenarios; at most {MAX_SCENARIOS:,} "
                                "(use fewer steps, or a latin_hypercube design with samples: N)")
    drawn = [k for k, p in zip(names, params) if p.kind == "distribution" and p.levels is None]
    gridded = [k for k in names if k not in drawn]
    levels = [grid_levels(sweep.parameters[k], k) for k in gridded]
    draws: list[dict[str, Any]] = [{}]
    if drawn:
        n = int(sweep.design.samples)
        u = latin_hypercube_u(n, len(drawn), rng)
        cols = [from_uniform(sweep.parameters[k], u[:, j]) for j, k in enumerate(drawn)]
        draws = [{k: cols[j][i] for j, k in enumerate(drawn)} for i in range(n)]
    rows = []
    for point in itertools.product(*levels):
        base = dict(zip(gridded, point))
        for d in draws:
            merged = {**base, **d}
            rows.append({k: merged[k] for k in names})
    return rows


def scenarios(sweep: Sweep) -> list[Scenario]:
    """Every scenario of the sweep with its seed."""
    return [Scenario(index=i, seed=scenario_seed(sweep.seed, i), inputs=inp)
            for i, inp in enumerate(design_inputs(sweep))]
