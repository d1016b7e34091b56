"""The equipment catalogue: shipped file, rates by hand, passes, refusals, line stations that name an entry."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from test_cost_support import DEFAULT_RECIPE, ROOT

from pouchline.equipment import (
    MACHINE_CLASSES,
    default_catalogue,
    load_catalogue,
    resolve_line_equipment,
)
from pouchline.errors import InputError

EQUIPMENT = ROOT / "recipes" / "equipment.yaml"
TAGS = ("paper", "derived", "estimate", "sourced", "assumed", "user")


@pytest.fixture(scope="module")
def cat():
    return load_catalogue(EQUIPMENT)


def test_every_recipe_step_kind_has_a_lab_pilot_and_production_machine(cat):
    from pouchline.recipe.io import load_recipe

    recipe = load_recipe(DEFAULT_RECIPE)
    for kind in {s.kind for s in recipe.steps}:
        assert kind in cat.kinds, kind
        assert sorted(m.machine_class for m in cat.for_kind(kind).values()) == sorted(MACHINE_CLASSES), kind


def test_every_figure_has_a_tagged_source(cat):
    assert cat.scaling.source.split(":")[0] in TAGS
    for kid, k in cat.kinds.items():
        assert k.source.split(":")[0] in TAGS, kid
    for mid, m in cat.machines.items():
        assert m.source.split(":")[0] in TAGS, mid
        for fig, src in m.sources.items():
            assert src.split(":")[0] in TAGS, (mid, fig)


def test_rates_by_hand(cat):
    # web: 15 m/min x 0.6 m = 540 m2/h per visit; a five-stand mill does five passes a visit: 2,700 m2 x passes/h
    mill = cat.machines["alloy_mill_production"]
    assert mill.rate.per_h == pytest.approx(15 * 60 * 0.6)
    assert mill.capacity_ref_per_h == pytest.approx(2700)
    # batch: 200 kg per 4 h = 50 kg/h
    assert cat.machines["alloy_furnace_production"].rate.per_h == pytest.approx(50)
    # sheets: 120 strokes/min = 7,200 sheets/h; channels: a 256-channel rack holds 256 channel-hours per hour
    assert cat.machines["die_punch_production"].rate.per_h == pytest.approx(7200)
    assert cat.machines["cycler_production"].rate.per_h == 256
    # availability MTBF / (MTBF + MTTR): 80 / 83
    assert mill.availability == pytest.approx(80 / 83)


def test_passes_take_ceil_passes_over_stands_visits(cat):
    # the alloy schedule's 9 passes: 9 visits to a one-stand mill, ceil(9/5) = 2 to a five-stand mill;
    # the cathode's 8 hot-rolling passes: ceil(8/4) = 2 to the four-stand calender
    assert cat.machines["alloy_mill_pilot"].visits(9) == 9
    assert cat.machines["alloy_mill_production"].visits(9) == 2
    assert cat.machines["hot_calender_production"].visits(8) == 2
    assert cat.machines["hot_calender_production"].visits(1) == 1


def _write(tmp_path, text):
    p = tmp_path / "equipment.yaml"
    p.write_text(text)
    return p


def _one_machine(**over):
    base = {"kind": "sealing", "class": "pilot", "name": "sealer",
            "rate": {"basis": "batch", "batch_size": 1, "batch_unit": "cells", "cycle_time_s": 15},
            "capex_usd": {"low": 1, "base": 2, "high": 3}, "power_kW": 1, "footprint_m2": 1,
            "operators_per_shift": 0.5, "source": "estimate: test"}
    base.update(over)
    import yaml

    return yaml.safe_dump({"scaling": {"capex": 0.6, "floor": 0.5, "labour": 0.2, "source": "estimate: test"},
                           "kinds": {"sealing": {"yield_pilot": 0.98, "yield_mature": 0.99, "source": "estimate: t"}},
                           "machines": {"m": base}})


@pytest.mark.parametrize("over, field, words", [
    ({"capex_usd": {"low": 1, "base": 2, "high": float("inf")}}, "machines.m.capex_usd.high", "finite"),
    ({"power_kW": float("nan")}, "machines.m.power_kW", "finite"),
    ({"power_kW": -1}, "machines.m.power_kW", ">= 0"),
    ({"rate": {"basis": "web", "speed_m_min": float("inf"), "width_mm": 600}}, "machines.m.rate.speed_m_min", "finite"),
    ({"rate": {"basis": "web", "speed_m_min": 10}}, "machines.m.rate", "width_mm"),
    ({"mtbf_h": 100}, "machines.m", "mttr_h"),
    ({"source": "a guess"}, "machines.m.source", "source tags"),
])
def test_bad_figures_are_refused_naming_file_and_field(tmp_path, over, field, words):
    # issue 19: an inf capex or any non-finite / negative rate must be refused with a clear message
    p = _write(tmp_path, _one_machine(**over))
    with pytest.raises(InputError) as exc:
        load_catalogue(p)
    text = str(exc.value)
    assert str(p) in text and field in text and words in text


def test_cost_rates_refuse_infinite_and_nan_values(tmp_path):
    from pouchline.cost import load_rates

    for bad in (".inf", ".nan", "-.inf"):
        p = tmp_path / "rates.yaml"
        p.write_text("rates:\n  labour_rate_usd_h: {low: 10, base: " + bad + ", high: 60, unit: USD/h, "
                     "source: 'estimate: x'}\n")
        with pytest.raises(InputError) as exc:
            load_rates(p)
        assert "rates.labour_rate_usd_h.base" in str(exc.value) and str(p) in str(exc.value)
    p = tmp_path / "rates.yaml"
    p.write_text("plant: {annual_volume_MWh: .inf}\n")
    with pytest.raises(InputError) as exc:
        load_rates(p)
    assert "plant.annual_volume_MWh" in str(exc.value)


def test_validate_knows_the_catalogue(capsys):
    from pouchline.cli import main

    assert main(["validate", str(EQUIPMENT), str(ROOT / "recipes" / "cost-rates.yaml")]) == 0
    out = capsys.readouterr().out
    assert "equipment catalogue, 45 machines" in out and "cost rates" in out


# ------------------------------------------------------------------------------------------------
# line stations that name an entry
# ------------------------------------------------------------------------------------------------
def _line(stations):
    return {"name": "t", "stations": stations}


def test_a_station_takes_the_figures_it_does_not_give():
    from pouchline.line import Line

    line = Line.from_data(_line([
        {"name": "caster", "step": "melt_cast", "equipment": "caster_production", "machines": 2},
        {"name": "sealer", "step": "sealing", "equipment": "sealer_production", "mtbf_h": 50, "mttr_h": 5},
    ]), "t.yaml")
    caster, sealer = line.stations
    # from the entry: 10 m/min x 600 mm, trim 1.15, MTBF/MTTR 100/2 h, footprint 60 m2
    assert (caster.rate_m_min, caster.web_width_mm, caster.area_factor) == (10, 600, 1.15)
    assert (caster.mtbf_h, caster.mttr_h, caster.footprint_m2, caster.machines) == (100, 2, 60, 2)
    # the station's own figures win; a 4-cell sealing fixture per 12 s comes from the entry
    assert (sealer.mtbf_h, sealer.mttr_h) == (50, 5)
    assert (sealer.cycle_time_s, sealer.batch_size) == (12, 4)
    assert caster.equipment == "caster_production"


def test_a_station_that_gives_its_speed_keeps_all_of_it():
    from pouchline.line import Line

    line = Line.from_data(_line([{"name": "c", "step": "melt_cast", "equipment": "caster_production",
                                  "cycle_time_s": 30}]), "t.yaml")
    st = line.stations[0]
    assert st.cycle_time_s == 30 and st.rate_m_min is None and st.area_factor == 1.0 and st.mtbf_h == 100


def test_a_rate_that_depends_on_the_cell_must_be_in_the_station():
    from pouchline.line import Line

    with pytest.raises(InputError) as exc:
        Line.from_data(_line([{"name": "f", "step": "alloy_prep", "equipment": "alloy_furnace_production"}]), "t.yaml")
    text = str(exc.value)
    assert "t.yaml" in text and "stations[0]" in text and "200 kg per 240 min" in text and "pouchline size" in text


def test_an_unknown_entry_lists_the_ids():
    with pytest.raises(InputError) as exc:
        resolve_line_equipment(_line([{"name": "x", "step": "sealing", "equipment": "no_such"}]), "t.yaml",
                               default_catalogue())
    assert "stations[0].equipment" in str(exc.value) and "sealer_production" in str(exc.value)


def test_lines_without_equipment_are_unchanged():
    data = _line([{"name": "x", "step": "sealing", "cycle_time_s": 5}])
    assert resolve_line_equipment(data) is data


def test_step_passes_reads_the_schedule():
    from pouchline.plant.design import step_passes

    assert step_passes(SimpleNamespace(kind="rolling_schedule", schedule_um=lambda: [1.0] * 9)) == 9
    assert step_passes(SimpleNamespace(kind="hot_rolling", passes=8)) == 8
    assert step_passes(SimpleNamespace(kind="sealing")) == 1
    assert math.isfinite(default_catalogue().scaling.capex)
