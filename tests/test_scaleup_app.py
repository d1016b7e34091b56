"""The Scale-up page, headless (AppTest): the table and charts of `scaleup`, and the Line page's line ramped up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

pytest.importorskip("streamlit.testing.v1")


def _start():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    at.switch_page("app_pages/scaleup.py").run()
    assert not at.exception, at.exception
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_scaleup_page_runs_the_table_and_the_ramp():
    from pouchline.display import SCIENTIFIC

    at = _start()
    assert at.title[0].value == "Scale-up"
    # nothing runs before a button; the defaults are the rates file's plant (as `pouchline size` and `cost`)
    assert any("Run the scale-up" in i.value for i in at.info) and any("Ramp up" in i.value for i in at.info)
    assert at.selectbox(key="su_class").value == "auto" and at.selectbox(key="su_maturity").value == "mature"
    # the paper's 1-layer cell (the Cell design page's default) at 1 and 2 MWh/yr
    at.text_input(key="su_targets").set_value("0.002, 0.001")
    at.number_input(key="su_days").set_value(5)
    at.number_input(key="su_reps").set_value(3)
    _button(at, "Run the scale-up").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table.columns) == ["quantity", "0.001 GWh/yr", "0.002 GWh/yr"]  # ascending, labelled
    assert "Cost per kWh (USD)" in set(table["quantity"])
    assert not any(SCIENTIFIC.search(str(v)) for v in table.to_numpy().ravel())
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 3 and specs[0]["encoding"]["x"]["scale"]["type"] == "log"
    # the ramp-up of the Line page's line (the shipped pilot line)
    at.number_input(key="ru_months").set_value(2)
    at.number_input(key="ru_reps").set_value(1)
    _button(at, "Ramp up").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    m = {x.label: x.value for x in at.metric}
    assert {"Month at 90 % of nameplate", "Month 1", "Cost in month 1", "Good cells during the ramp"} <= set(m)
    assert "%" in m["Month 1"] and "USD/kWh" in m["Cost in month 1"]
    assert len(at.get("vega_lite_chart")) == 5  # three scale-up charts and two ramp-up charts


def test_a_bad_target_is_shown_inline():
    at = _start()
    at.text_input(key="su_targets").set_value("1, x")
    _button(at, "Run the scale-up").click().run()
    assert not at.exception, at.exception
    assert at.error and "not a number" in at.error[0].value
