"""Exact results of queueing and reliability theory that the line simulation is compared with.

* :func:`two_machine_line_rate`: the production rate of two unreliable machines of equal speed
  with a finite buffer between them, in the continuous-material model (Gershwin1994 ch. 3).
* :func:`availability_fraction_sd`: the standard deviation of the fraction of time a machine with
  exponential up and down times is up, over a long horizon (alternating renewal process).
* :func:`zero_buffer_rate` and :func:`large_buffer_rate`: the two limits of the two-machine line.

Pure functions of floats.
"""

from __future__ import annotations

import math


def zero_buffer_rate(mu_per_h: float, mtbf1_h: float, mttr1_h: float, mtbf2_h: float, mttr2_h: float) -> float:
    """Two machines of speed ``mu`` with no buffer and operation-dependent failures:
    mu / (1 + MTTR1/MTBF1 + MTTR2/MTBF2) (Gershwin1994 ch. 3)."""
    return mu_per_h / (1.0 + mttr1_h / mtbf1_h + mttr2_h / mtbf2_h)


def large_buffer_rate(mu_per_h: float, mtbf1_h: float, mttr1_h: float, mtbf2_h: float, mttr2_h: float) -> float:
    """With an infinite buffer the less available machine sets the pace: mu x min(e1, e2),
    e = MTBF / (MTBF + MTTR) (Buzacott1993 ch. 5)."""
    return mu_per_h * min(mtbf1_h / (mtbf1_h + mttr1_h), mtbf2_h / (mtbf2_h + mttr2_h))


def two_machine_line_rate(mu_per_h: float, mtbf1_h: float, mttr1_h: float, mtbf2_h: float, mttr2_h: float,
                          buffer_units: float) -> float:
    """Production rate (units/h) of two unreliable machines in series with a buffer of N units.

    Continuous-material model with equal speeds ``mu`` (Gershwin1994 ch. 3): each machine fails
    at rate p_i = 1/MTBF_i while it works (a starved or blocked machine cannot fail) and is
    repaired at rate r_i = 1/MTTR_i. Inside the buffer the density of (level x, machine states)
    is c e^{lambda x} (1, Y, Y, Y^2) for the states (down, down), (up, down), (down, up),
    (up, up), with

        Y = (r1 + r2) / (p1 + p2),   lambda = (r1 / Y + p2 Y - p1 - r2) / mu,

    and the probability masses at the ends are B = mu c Y / p2 (empty, both up),
    A = (p1 + p2) B / r1 (empty, machine 1 down), D = mu c Y e^{lambda N} / p1 (full, both up),
    C = (p1 + p2) D / r2 (full, machine 2 down). The rate is mu times the probability that
    machine 2 is up and not starved. It reduces to :func:`zero_buffer_rate` at N = 0 and to
    :func:`large_buffer_rate` as N grows.

    The derivation needs e1 != e2 (machines of different availability): with e1 = e2 the
    density has a second, linear term. Raises ``ValueError`` then.
    """
    for name, v in (("mu_per_h", mu_per_h), ("mtbf1_h", mtbf1_h), ("mttr1_h", mttr1_h), ("mtbf2_h", mtbf2_h),
                    ("mttr2_h", mttr2_h)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} = {v!r} must be a positive number")
    if not (math.isfinite(buffer_units) and buffer_units >= 0):
        raise ValueError(f"buffer_units = {buffer_units!r} must be >= 0")
    p1, r1, p2, r2 = 1.0 / mtbf1_h, 1.0 / mttr1_h, 1.0 / mtbf2_h, 1.0 / mttr2_h
    if math.isclose(r1 / p1, r2 / p2, rel_tol=1e-9):
        raise ValueError("the two machines have the same availability; this closed form needs them to differ")
    y = (r1 + r2) / (p1 + p2)
    lam = (r1 / y + p2 * y - p1 - r2) / mu_per_h
    n = float(buffer_units)
    shift = max(0.0, lam * n)  # scale c so that neither end overflows
    e0, en = math.exp(-shift), math.exp(lam * n - shift)
    b = mu_per_h * y * e0 / p2
    d = mu_per_h * y * en / p1
    a = (p1 + p2) * b / r1
    c = (p1 + p2) * d / r2
    integral = (en - e0) / lam if abs(lam * n) > 1e-12 else n * e0
    total = (1.0 + y) ** 2 * integral + a + b + c + d
    return mu_per_h * (y * (1.0 + y) * integral + b + d) / total


def availability_fraction_sd(mtbf_h: float, mttr_h: float, horizon_h: float) -> float:
    """Standard deviation of the up fraction of one machine over ``horizon_h``.

    An alternating renewal process with exponential up (mean a) and down (mean b) times has an
    up fraction with asymptotic variance 2 a^2 b^2 / ((a + b)^3 T).
    """
    a, b = mtbf_h, mttr_h
    return math.sqrt(2.0 * a * a * b * b / ((a + b) ** 3 * horizon_h))


__all__ = ["availability_fraction_sd", "large_buffer_rate", "two_machine_line_rate", "zero_buffer_rate"]
