"""The one number formatter (issue 17): plain notation, separators, scaled units, dashes, labels."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from pouchline.display import (DASH, SCIENTIFIC, fmt_ci, fmt_count, fmt_number, fmt_pct, fmt_quantity, fmt_usd,
                               fmt_value, label, text_table)


@pytest.mark.parametrize("value, sig, text", [
    (3746.2, 3, "3,746"),        # a count of 4 digits keeps them (3-4 significant digits)
    (2130.4, 3, "2,130"),
    (28934112, 3, "28,930,000"),  # plain, rounded to 4 significant digits
    (0.8173, 3, "0.817"),
    (19.4123, 3, "19.4"),
    (544.2, 3, "544"),
    (0.000123456, 3, "0.000123"),
    (1.0, 3, "1"),
    (0, 3, "0"),
    (-12.345, 3, "-12.3"),
    (None, 3, DASH),
    (math.nan, 3, DASH),
    (math.inf, 3, "∞"),
])
def test_fmt_number(value, sig, text):
    assert fmt_number(value, sig) == text


@pytest.mark.parametrize("value, unit, text", [
    (1110, "MWh", "1.11 GWh"),      # the GWh line's annual output
    (7.3, "MWh", "7.3 MWh"),
    (0.0, "MWh", "0 MWh"),
    (2.13e9, "USD", "2.13 bn USD"),  # the capex the issue saw as "2.13e+03 M USD"
    (53.2e6, "USD", "53.2 M USD"),
    (2.8e5, "kg", "280 t"),
    (9.1, "g", "9.1 g"),
    (0.25, "g", "250 mg"),
    (900, "kN", "900 kN"),
    (0.817, "frac", "81.7 %"),
    (None, "kg", DASH),
])
def test_fmt_quantity_scales_within_the_family(value, unit, text):
    assert fmt_quantity(value, unit) == text


def test_counts_money_percent_interval():
    assert fmt_count(3746) == "3,746"
    assert fmt_count(28_934_112) == "28.9 M"
    assert fmt_count(None) == DASH
    assert fmt_usd(19.41) == "19.4 USD"
    assert fmt_usd(544.2, per="kWh") == "544 USD/kWh"
    assert fmt_pct(0.8173) == "81.7 %"
    assert fmt_pct(0.8173, decimals=2) == "81.73 %"
    assert fmt_ci(3746.2, 12.34, "cells/h") == "3,746 ± 12 cells/h"


def test_values_in_tables():
    assert fmt_value({"layers": 10, "indium_usd_kg": 350.0}) == "layers = 10, indium_usd_kg = 350"
    assert fmt_value(None) == DASH and fmt_value("") == DASH
    assert fmt_value([1.23456, 2]) == "1.23, 2"
    assert fmt_value(True) == "yes"


@pytest.mark.parametrize("key, text", [
    ("cost_per_kWh_usd", "Cost per kWh (USD)"),
    ("specific_energy_Wh_kg", "Specific energy (Wh/kg)"),
    ("good_units_per_year", "Good (units/yr)"),
    ("thickness_um", "Thickness (µm)"),
    ("yield_rty", "Yield RTY"),
    ("MWh_per_year", "MWh per year"),
    ("demand_t_per_yr", "Demand (t/yr)"),
])
def test_labels_carry_units(key, text):
    assert label(key) == text


def test_text_table_has_no_scientific_notation():
    out = text_table([{"station": "stacker", "capex_usd": 2.13e9, "utilization_frac": 0.992},
                      {"station": "formation", "capex_usd": None, "utilization_frac": 0.5}])
    assert "Capex (USD)" in out and DASH in out and "2,130,000,000" in out
    assert not SCIENTIFIC.search(out)


@given(st.one_of(st.floats(min_value=-1e15, max_value=1e15), st.sampled_from([math.nan, math.inf, -math.inf])))
def test_never_scientific(x):
    # law: no formatter writes an exponent, whatever the magnitude
    for text in (fmt_number(x), fmt_quantity(x, "MWh"), fmt_quantity(x, "USD"), fmt_count(x), fmt_pct(x)):
        assert not SCIENTIFIC.search(text), text


@given(st.floats(min_value=1e-6, max_value=1e12))
def test_three_significant_digits_round_trip(x):
    # law: the text, read back, is within half a unit of the 4th significant digit (<= 0.05 %)
    back = float(fmt_number(x, 3).replace(",", ""))
    assert back == pytest.approx(x, rel=5e-3)
