"""The exact two-machine line and the other queueing results the validation report uses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pouchline.validation.queueing import (
    availability_fraction_sd,
    large_buffer_rate,
    two_machine_line_rate,
    zero_buffer_rate,
)


def ctmc_rate(mu, mtbf1, mttr1, mtbf2, mttr2, n_units, levels):
    """The same line as a Markov chain on ``levels`` buffer levels (an independent method).

    The buffer holds n_units in ``levels`` steps; a level changes at rate mu x levels / n_units
    when one machine is up and the other down. A blocked (starved) machine cannot fail. As the
    number of levels grows this chain converges to the continuous-material model, error ~ 1/levels.
    """
    p1, r1, p2, r2 = 1 / mtbf1, 1 / mttr1, 1 / mtbf2, 1 / mttr2
    idx = lambda k, a1, a2: (k * 2 + a1) * 2 + a2  # noqa: E731
    n = 4 * (levels + 1)
    q = np.zeros((n, n))
    v = mu * levels / n_units
    for k in range(levels + 1):
        for a1 in (0, 1):
            for a2 in (0, 1):
                i = idx(k, a1, a2)
                m1_works = a1 and not (k == levels and not a2)
                m2_works = a2 and not (k == 0 and not a1)
                if m1_works:
                    q[i, idx(k, 0, a2)] += p1
                if not a1:
                    q[i, idx(k, 1, a2)] += r1
                if m2_works:
                    q[i, idx(k, a1, 0)] += p2
                if not a2:
                    q[i, idx(k, a1, 1)] += r2
                if a1 and not a2 and k < levels:
                    q[i, idx(k + 1, a1, a2)] += v
                if a2 and not a1 and k > 0:
                    q[i, idx(k - 1, a1, a2)] += v
    np.fill_diagonal(q, -q.sum(axis=1))
    a = np.vstack([q.T, np.ones(n)])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(a, b, rcond=None)[0]
    up2 = sum(pi[idx(k, a1, 1)] for k in range(levels + 1) for a1 in (0, 1) if not (k == 0 and a1 == 0))
    return mu * up2


def test_closed_form_agrees_with_a_fine_markov_chain():
    # independent method: 200 buffer levels are within 3e-5 of the fluid limit for this line
    exact = two_machine_line_rate(100, 3, 1, 2, 1, 25)
    assert ctmc_rate(100, 3, 1, 2, 1, 25, 200) == pytest.approx(exact, rel=1e-4)
    # and the chain approaches it from one side as the levels grow (error ~ 1/levels)
    coarse, fine = (ctmc_rate(100, 3, 1, 2, 1, 25, k) for k in (50, 200))
    assert abs(fine - exact) < abs(coarse - exact) / 3


def test_no_buffer_limit():
    # Gershwin 1994 ch. 3, operation-dependent failures, no buffer: mu / (1 + p1/r1 + p2/r2)
    assert two_machine_line_rate(100, 3, 1, 2, 1, 0) == pytest.approx(100 / (1 + 1 / 3 + 1 / 2), rel=1e-12)
    assert zero_buffer_rate(100, 3, 1, 2, 1) == pytest.approx(54.5454545, rel=1e-8)


def test_infinite_buffer_limit():
    # the less available machine sets the pace: 100 x min(0.75, 2/3)
    assert large_buffer_rate(100, 3, 1, 2, 1) == pytest.approx(200 / 3, rel=1e-12)
    assert two_machine_line_rate(100, 3, 1, 2, 1, 1e6) == pytest.approx(200 / 3, rel=1e-9)
    # no overflow for very large buffers whichever machine is the better one
    assert math.isfinite(two_machine_line_rate(100, 1, 1, 9, 1, 1e9))


@settings(max_examples=60, deadline=None)
@given(mtbf1=st.floats(0.2, 50), mttr1=st.floats(0.05, 10), mtbf2=st.floats(0.2, 50), mttr2=st.floats(0.05, 10),
       n=st.floats(0, 5000))
def test_laws_of_the_two_machine_line(mtbf1, mttr1, mtbf2, mttr2, n):
    # Laws: the rate lies between the no-buffer and infinite-buffer limits; a larger buffer never
    # lowers it; the line is reversible (swapping the machines leaves the rate unchanged;
    # Dallery & Gershwin's reversibility property of flow lines).
    if math.isclose(mtbf1 / (mtbf1 + mttr1), mtbf2 / (mtbf2 + mttr2), rel_tol=1e-6):
        return
    rate = two_machine_line_rate(100, mtbf1, mttr1, mtbf2, mttr2, n)
    lo, hi = zero_buffer_rate(100, mtbf1, mttr1, mtbf2, mttr2), large_buffer_rate(100, mtbf1, mttr1, mtbf2, mttr2)
    assert lo * (1 - 1e-9) <= rate <= hi * (1 + 1e-9)
    assert two_machine_line_rate(100, mtbf1, mttr1, mtbf2, mttr2, n + 10) >= rate * (1 - 1e-12)
    assert two_machine_line_rate(100, mtbf2, mttr2, mtbf1, mttr1, n) == pytest.approx(rate, rel=1e-9)


def test_equal_availability_and_bad_input_are_refused():
    with pytest.raises(ValueError, match="same availability"):
        two_machine_line_rate(100, 2, 1, 4, 2, 10)
    with pytest.raises(ValueError, match="mtbf1_h"):
        two_machine_line_rate(100, 0, 1, 4, 1, 10)
    with pytest.raises(ValueError, match="buffer_units"):
        two_machine_line_rate(100, 2, 1, 4, 1, -1)


def test_up_fraction_sd_hand_calculation():
    # a = 2 h, b = 0.5 h, T = 4800 h: sqrt(2 x 4 x 0.25 / (2.5^3 x 4800)) = 0.00516
    assert availability_fraction_sd(2.0, 0.5, 4800) == pytest.approx(math.sqrt(2 / (15.625 * 4800)), rel=1e-12)
    assert availability_fraction_sd(2.0, 0.5, 4800) == pytest.approx(0.00516, abs=5e-5)
