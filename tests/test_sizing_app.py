"""The Plant sizing page, headless (AppTest): the form sizes the plant with the same function as the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

pytest.importorskip("streamlit.testing.v1")


def _start():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    at.switch_page("app_pages/sizing.py").run()
    assert not at.exception, at.exception
    return at


def test_sizing_form_sizes_a_small_plant():
    at = _start()
    # the 10 Ah cell on the 300 x 100 mm EV electrode (the Cell design page's choice)
    at.session_state["cell_mode"] = "Capacity"
    at.session_state["cell_capacity"] = 10.0
    at.session_state["cell_format"] = "ev-300x100"
    at.run()
    assert any("Size the plant" in i.value for i in at.info)  # nothing runs before the button
    at.number_input(key="size_target").set_value(0.05)
    at.number_input(key="size_days").set_value(10)
    at.number_input(key="size_reps").set_value(2)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error
    m = {x.label: x.value for x in at.metric}
    # 0.05 GWh/yr = 50 MWh/yr must be met at the lower 95 % bound
    out = float(m["Simulated output"].split()[0].replace(",", ""))
    assert out >= 50
    assert m["Machines"] and "MUSD" in m["Equipment capex"] and "m2" in m["Floor"]
    assert [d.label for d in at.get("download_button")] == ["Download line (yaml)"]
    assert len(at.dataframe) == 1


def test_sizing_page_shows_a_bad_cell_inline():
    at = _start()
    at.session_state["cell_mode"] = "Layers"
    at.session_state["cell_layers"] = 100000
    at.run()
    assert not at.exception
    assert at.error and "cannot be built" in at.error[0].value
