"""docs/validation.md: regenerated here and compared with the committed file."""

from __future__ import annotations

import math

import pytest

from pouchline.validation.report import (
    REPORT_PATH,
    Check,
    all_checks_pass,
    band_check,
    build_report,
    cost_checks,
    rel_check,
    render,
)


@pytest.fixture(scope="module")
def report_text() -> str:
    return build_report()


def test_committed_report_is_up_to_date(report_text):
    committed = REPORT_PATH.read_text(encoding="utf-8")
    assert committed == report_text, ("docs/validation.md is out of date: run `python -m pouchline.validation` "
                                      "and commit the result")


def test_every_check_passes(report_text):
    assert all_checks_pass(report_text)
    assert "checks: " in report_text and " 0 fail" in report_text


def test_report_covers_what_the_issue_asks(report_text):
    for needle in ("jellyroll specific energy, 0.2 C", "25 µm film", "9.5-min (5 C)", "specific power at 6 C",
                   "stack force, 35 × 50 mm", "900", "end phases", "film loading", "bottleneck rate",
                   "availability × rate", "two machines, buffer", "product of yields", "BatPaC 5.0"):
        assert needle in report_text, needle


def test_relative_and_band_checks_pass_at_their_edges_and_fail_beyond():
    assert rel_check("x", 100.0, 103.0, "u", 0.03, "b").passed
    assert not rel_check("x", 100.0, 103.01, "u", 0.03, "b").passed
    assert rel_check("x", 52.5, 52.5, "kN", 0.0, "b").passed
    assert not rel_check("x", 52.5, 52.5 * (1 + 1e-9), "kN", 0.0, "b").passed
    c = band_check("x", 10.0, 8.5, "u", 8.0, 11.0, "b")
    assert c.passed and c.tolerance == "−2.0 / +1.0 u"
    assert math.isclose(c.deviation, -0.15)


def test_displayed_figures_do_not_move_with_float_noise():
    # a different BLAS or numpy build changes the last bits, never the text
    a = rel_check("x", 278.4, 278.2181234567, "Wh/kg", 0.03, "b")
    b = Check(**{**a.__dict__, "value": 278.2181234567 * (1 + 1e-13)})
    assert render([a], [], []) == render([b], [], [])


def test_cost_section_compares_with_batpac_within_each_rows_factor():
    # BatPaC5 formulas on the same drivers (pouchline.cost.batpac): capex, labour, floor per GWh/yr
    checks = cost_checks()
    assert [c.name for c in checks] == ["equipment capex per GWh/yr", "direct labour per GWh/yr",
                                        "floor area per GWh/yr"]
    for c in checks:
        factor = c.upper / c.reference
        assert c.lower == pytest.approx(c.reference / factor)  # symmetric in ratio, x1.5 or x2
        assert c.passed == (c.reference / factor <= c.value <= c.reference * factor)
    text = render([], [], checks)
    assert "Pending" not in text and "BatPaC 5.0" in text
    bad = Check(**{**checks[0].__dict__, "value": checks[0].upper * 1.01})
    assert "**FAIL**" in render([], [], [bad])
