"""Output analysis of line simulations: confidence intervals, batch means, warm-up (MSER-5).

* **Replications** are the default source of confidence intervals: independent runs give
  independent means, so a Student-t interval over them is honest however autocorrelated each
  run's output is (Law, *Simulation Modeling and Analysis*, 5th ed. 2015, ch. 9.4).
* **Batch means** from one run are used only when they can be trusted: batches of whole
  calendar weeks (the period of the shift calendar, so every batch holds the same shifts and
  maintenance), at least :data:`MIN_BATCHES` of them, and lag-1 autocorrelation of the batch
  means below :data:`MAX_BATCH_LAG1` (Law 2015, ch. 9.5.3; Schmeiser, "Batch size effects in the
  analysis of simulation output", Oper. Res. 1982). Otherwise there is no interval, and the
  method says why.
* **Warm-up**: MSER-5 (White, "An effective truncation heuristic for bias reduction in
  simulation output", Simulation 1997; Hoad, Robinson & Davies, J. Oper. Res. Soc. 2010) on the
  line's WIP series: batch means of 5 observations, truncation ``d`` minimising
  ``sum_{j>d} (Z_j - mean_d)^2 / (n - d)^2`` over ``d <= n/2``. A minimum in the last tenth of
  that range means the series is still drifting: the run never reached steady state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)

#: Fewest batches for a batch-means interval.
MIN_BATCHES = 10
#: Largest lag-1 autocorrelation of the batch means for a batch-means interval.
MAX_BATCH_LAG1 = 0.3
#: Observations per MSER batch.
MSER_BATCH = 5

NAN_CI = (math.nan, math.nan)


def t975(df: int) -> float:
    """Two-sided 95 % Student t quantile (table to 30 degrees of freedom, Cornish-Fisher above)."""
    if df < 1:
        return math.inf
    if df <= 30:
        return _T975[df - 1]
    z = 1.959963985
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """Student-t 95 % confidence interval of the mean of ``values`` (NaN for fewer than two)."""
    x = np.asarray(values, dtype=float)
    if x.size < 2 or not np.all(np.isfinite(x)):
        return NAN_CI
    m = float(x.mean())
    half = t975(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return (m - half, m + half)


def lag1(values: Sequence[float]) -> float:
    """Lag-1 autocorrelation estimate of a series (NaN for fewer than three values or no spread)."""
    x = np.asarray(values, dtype=float)
    if x.size < 3:
        return math.nan
    d = x - x.mean()
    den = float(np.dot(d, d))
    return float(np.dot(d[:-1], d[1:]) / den) if den > 0 else math.nan


@dataclass(frozen=True)
class BatchMeans:
    ci95: tuple[float, float]
    method: str
    batches: int
    lag1: float


def batch_means_ci(times_s: np.ndarray, units: np.ndarray, t_start_s: float, t_end_s: float,
                   batch_s: float) -> BatchMeans:
    """95 % interval of the rate (units per hour) from one run's output, or none, saying why.

    ``times_s``/``units``: when good units left the line (scheduled s); batches of ``batch_s``
    scheduled seconds (a calendar week) from ``t_start_s``; a last partial batch is left out.
    """
    k = int((t_end_s - t_start_s) // batch_s) if batch_s > 0 else 0
    weeks = batch_s / 3600.0
    if k < MIN_BATCHES:
        return BatchMeans(NAN_CI, f"none: one replication of {k} whole calendar week(s) is too short for batch "
                          f"means (they need >= {MIN_BATCHES} batches of a week, the calendar's period); run >= 2 "
                          "replications", k, math.nan)
    edges = t_start_s + batch_s * np.arange(k + 1)
    inside = (times_s > t_start_s) & (times_s <= edges[-1])
    per, _ = np.histogram(times_s[inside], bins=edges, weights=units[inside])
    rates = per / weeks
    r1 = lag1(rates)
    if not (r1 < MAX_BATCH_LAG1):
        return BatchMeans(NAN_CI, f"none: the {k} weekly batch means of one replication are autocorrelated (lag-1 "
                          f"{r1:.2f} >= {MAX_BATCH_LAG1}); run >= 2 replications", k, r1)
    return BatchMeans(mean_ci95(rates), f"batch means: Student t over {k} weekly batches of one replication "
                      f"(lag-1 autocorrelation {r1:.2f})", k, r1)


@dataclass(frozen=True)
class WarmupCheck:
    """MSER-5 on a WIP series against the warm-up used."""

    method: str
    suggested_warmup_days: float | None  # None: no steady state within the run
    given_warmup_days: float
    ok: bool
    message: str

    def to_dict(self) -> dict:
        return {"method": self.method, "suggested_warmup_days": self.suggested_warmup_days,
                "given_warmup_days": self.given_warmup_days, "ok": self.ok, "message": self.message}


def mser5(series: Sequence[float]) -> tuple[int, bool]:
    """MSER-5 truncation of ``series``: (observations to delete, reached steady state).

    The second value is False when the minimum falls in the last tenth of the allowed range
    (``d <= n/2`` batches), the sign of a series still drifting at the end.
    """
    y = np.asarray(series, dtype=float)
    n = y.size // MSER_BATCH
    if n < 4:
        return 0, True
    z = y[: n * MSER_BATCH].reshape(n, MSER_BATCH).mean(axis=1)
    best_d, best = 0, math.inf
    top = n // 2
    for d in range(top + 1):
        tail = z[d:]
        se = float(np.sum((tail - tail.mean()) ** 2)) / (n - d) ** 2
        if se < best:
            best, best_d = se, d
    steady = best_d < 0.9 * top
    return best_d * MSER_BATCH, steady


def warmup_check(series: Sequence[float], obs_end_days: Sequence[float], given_warmup_days: float,
                 run_days: float) -> WarmupCheck:
    """Check ``given_warmup_days`` with MSER-5 on ``series`` (interval means of total WIP whose
    ``k``-th interval ends at calendar day ``obs_end_days[k]``)."""
    deleted, steady = mser5(series)
    method = "MSER-5 on the line's WIP (mean over replications), White 1997"
    if not steady:
        return WarmupCheck(method, None, given_warmup_days, False,
                           f"WIP is still drifting at the end of the {run_days:g}-day run (MSER-5 finds no steady "
                           "state): the line has not settled; results depend on the run length. A release rule "
                           "(CONWIP) or longer runs fix it")
    suggested = float(obs_end_days[deleted - 1]) if deleted > 0 else 0.0
    suggested = math.ceil(suggested * 10) / 10
    slack = float(obs_end_days[MSER_BATCH - 1]) if len(obs_end_days) >= MSER_BATCH else 0.0  # one MSER batch
    ok = suggested <= given_warmup_days + slack
    msg = (f"warm-up of {given_warmup_days:g} days is enough (MSER-5 suggests {suggested:g})" if ok else
           f"warm-up of {given_warmup_days:g} days is too short: MSER-5 suggests {suggested:g} days; the statistics "
           "include the line filling up")
    return WarmupCheck(method, suggested, given_warmup_days, ok, msg)
