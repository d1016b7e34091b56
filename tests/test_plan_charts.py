"""The plan's charts: no exponent on any axis or label, the bottleneck marked, the waterfall adds up."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pouchline.display import SCIENTIFIC
from pouchline.export import charts


def texts(fig) -> list[str]:
    """Every text a reader sees: tick labels (after drawing), offset texts, labels, annotations, legends."""
    fig.canvas.draw()
    out = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            out += [t.get_text() for t in axis.get_ticklabels()]
            out.append(axis.get_offset_text().get_text())
            out.append(axis.get_label().get_text())
        out += [t.get_text() for t in ax.texts]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
        out.append(ax.get_title())
    return [t for t in out if t]


def assert_plain(fig):
    bad = [t for t in texts(fig) if SCIENTIFIC.search(t)]
    charts.figure_png(fig)  # renders and closes
    assert not bad, bad


STATIONS = [
    {"name": "mixer", "utilization": 0.5, "down_fraction": 0.02, "starved_fraction": 0.48, "oee": 0.49,
     "availability": 0.98},
    {"name": "stacker", "utilization": 0.96, "down_fraction": 0.03, "starved_fraction": 0.01, "oee": 0.95,
     "availability": 0.97},
    {"name": "mill", "utilization": 0.9, "down_fraction": 0.05, "blocked_fraction": 0.05, "oee": 0.89,
     "availability": 0.95},
]


def test_station_charts_mark_the_bottleneck():
    fig = charts.station_states(STATIONS, "states", bottleneck="stacker", near=["mill"])
    fig.canvas.draw()
    labels = {t.get_text(): t for t in fig.axes[0].get_yticklabels()}
    assert labels["stacker"].get_color() == charts.BOTTLENECK_COLOUR
    assert labels["mill"].get_color() == charts.NEAR_BOTTLENECK_COLOUR
    assert any("bottleneck" in t for t in texts(fig))
    assert_plain(fig)
    assert_plain(charts.oee_by_station(STATIONS, "oee", bottleneck="stacker"))


def test_big_numbers_have_no_exponents():
    # a 10 GWh/yr line: ~800,000 good cells a day; 2 bn USD of capex
    series = [[0.0, 4e5, 8.1e5, 7.9e5, 8.2e5]]
    assert_plain(charts.throughput_over_time(series, 1, "t", target_per_day=8e5, mean_per_day=7.9e5))
    assert_plain(charts.capex_by_station([{"name": "formation", "capex_usd": 2.13e9},
                                          {"name": "stacker", "capex_usd": 4.1e8}], "capex",
                                         extra_usd={"fixtures": 2.2e8}, bottleneck="stacker"))
    assert_plain(charts.mass_breakdown({"cathode": 1.2e5, "tabs": 3.0}, "mass"))


def test_waterfall_adds_up_to_the_total():
    mats = {f"m{i}": float(i) for i in range(1, 12)}  # 11 materials: 8 shown, 3 as one bar
    process = {"labour": 2.0, "depreciation": 3.0}
    fig = charts.cost_waterfall(mats, process, "waterfall", top_materials=8)
    ax = fig.axes[0]
    bars = ax.patches
    total = sum(mats.values()) + sum(process.values())
    # each bar starts where the last ended; the last bar is the total from 0
    tops = [b.get_y() + b.get_height() for b in bars[:-1]]
    assert tops[-1] == pytest.approx(total) and bars[-1].get_height() == pytest.approx(total)
    assert all(b.get_y() == pytest.approx(t) for b, t in zip(bars[1:-1], tops[:-1]))
    assert "3 other materials" in [t.get_text() for t in ax.get_xticklabels()]
    assert_plain(fig)


def test_yield_loss_adds_up_to_one_minus_rty():
    # RTY = 0.9 x 0.8 = 0.72; loss 28 points split by ln(yield): ln 0.9 / ln 0.72 = 32.1 %, ln 0.8 / ln 0.72 = 67.9 %
    fig = charts.yield_loss_by_step({"a": 0.9, "b": 0.8, "c": 1.0}, "loss")
    widths = {t.get_text(): p.get_width() for t, p in zip(fig.axes[0].get_yticklabels(), fig.axes[0].patches)}
    assert sum(widths.values()) == pytest.approx(28.0)
    assert widths["b"] == pytest.approx(28.0 * math.log(0.8) / math.log(0.72))
    assert_plain(fig)


def test_energy_chart_marks_the_design_and_the_paper():
    df = pd.DataFrame({"layers": [1, 2, 3], "cell_Wh_kg": [114.0, 150.0, 169.0], "cell_Wh_L": [260.0, 370.0, 430.0],
                       "jellyroll_Wh_kg": [278.0] * 3, "jellyroll_Wh_L": [887.0] * 3})
    fig = charts.energy_vs_layers(df, "e", chosen_layers=2)
    legend = " ".join(texts(fig))
    assert "this plan: 2 layers, 150 Wh/kg" in legend and "the paper (Liu2025): jellyroll" in legend and "278" in legend
    ax = fig.axes[1]
    assert ax.get_ylim()[1] > charts.PAPER_JELLYROLL_POINT["Wh_L"]  # the paper's point is inside the axes
    assert_plain(fig)


def test_material_labels_are_short_names_not_ids():
    # the waterfall read "lpscl um", "cu foil": ids; the library's names without purity or parentheses
    from pouchline.export.charts import short_material_label

    assert short_material_label("Indium metal, >= 99.99 %") == "Indium metal"
    assert short_material_label("Li6PS5Cl, um grade (cathode and electrolyte film)") == "Li6PS5Cl, um grade"
    assert short_material_label("(odd)") == "(odd)"
