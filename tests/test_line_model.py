"""Line files: loading, units, validation messages, the shift calendar and the shipped lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pouchline.errors import InputError
from pouchline.line import DEFAULT_STEP_IDS, Calendar, Line, load_line, parse_line_text
from pouchline.line.clock import ShiftClock
from pouchline.line.kpis import _line_limits

ROOT = Path(__file__).resolve().parents[1]
LINES = ROOT / "recipes" / "lines"
STEP_IDS = set(DEFAULT_STEP_IDS)


def _line(**over) -> dict:
    data = {
        "name": "t",
        "stations": [
            {"name": "a", "step": "stacking", "cycle_time_s": 10},
            {"name": "b", "step": "sealing", "cycle_time_s": 20, "buffer_capacity": 50},
        ],
    }
    data.update(over)
    return data


def _problems(data: dict) -> list[str]:
    with pytest.raises(InputError) as exc:
        Line.from_data(data, "lines/x.yaml")
    return [str(p) for p in exc.value.problems]


# ------------------------------------------------------------------------------------------
# the shipped lines
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["pilot-line.yaml", "gwh-line.yaml"])
def test_shipped_lines_load_and_use_recipe_steps(name):
    line = load_line(LINES / name)
    line.validate_steps(STEP_IDS)  # raises on an unknown step
    # every recipe step is performed once, listed in route order (the graph is in the feeds)
    assert [s.step for s in line.stations] == list(DEFAULT_STEP_IDS)
    assert line.cell_energy_Wh and line.area_per_cell_cm2
    assert all(s.zone is not None for s in line.stations if s.step.startswith(("se_film", "cathode")))


@pytest.mark.parametrize("name", ["pilot-line.yaml", "gwh-line.yaml"])
def test_shipped_lines_are_three_branches_merging_at_stacking(name):
    # Liu2025 Methods: stack cathode / LiPSCl film / InSnBi, then seal and clamp. The anode, SE film and
    # cathode are made in parallel; prelithiation acts on the anode only, so it is on the anode branch.
    line = load_line(LINES / name)
    topo = line.topology()
    step = [s.step for s in line.stations]
    assert not topo.is_chain
    assert sorted(step[h] for h in topo.heads) == ["alloy_prep", "cathode_mixing", "se_film_mixing"]
    (merge,) = [i for i in range(len(step)) if len(topo.feeders[i]) > 1]
    assert step[merge] == "stacking"
    assert sorted(step[f] for f in topo.feeders[merge]) == ["cathode_punching", "prelithiation", "se_film_cutting"]
    route = {step[h]: [step[k] for k in topo.path(h)] for h in topo.heads}
    assert route["alloy_prep"] == ["alloy_prep", "melt_cast", "quench", "anode_rolling", "anode_punching",
                                   "prelithiation", "stacking", "sealing", "clamping", "formation"]
    assert route["se_film_mixing"][:4] == ["se_film_mixing", "se_film_rolling", "se_film_cutting", "stacking"]
    assert route["cathode_mixing"][:4] == ["cathode_mixing", "cathode_hot_rolling", "cathode_punching", "stacking"]
    assert step[topo.end] == "formation"
    # a release rule per branch and the 30 MPa fixtures as carriers from clamping to formation's end
    assert line.release is not None and line.release.rule == "conwip"
    pool = line.carriers["fixtures"]
    assert (step[[s.name for s in line.stations].index(pool.from_station)],
            step[[s.name for s in line.stations].index(pool.to_station)]) == ("clamping", "formation")


@pytest.mark.parametrize("name", ["pilot-line.yaml", "gwh-line.yaml"])
def test_every_number_in_shipped_lines_has_a_comment_or_source(name):
    # style: every number says where it comes from ([P], [D], [E] or a named source)
    number = re.compile(r"^\s*-?\s*[a-z_0-9]+:\s*\"?-?[0-9][0-9.,]*\s*[a-zA-Z/%]*\"?\s*(#.*)?$")
    missing = []
    for i, text in enumerate((LINES / name).read_text().splitlines(), 1):
        if number.match(text) and "#" not in text:
            missing.append(f"{name}:{i}: {text.strip()}")
    assert not missing, "numbers without a comment:\n" + "\n".join(missing)


def test_gwh_line_is_sized_for_about_one_gwh_per_year():
    # the task: ~1 GWh/yr of the 34 Wh multilayer cell (10 Ah x 3.44 V) = ~29 million cells/yr.
    line = load_line(LINES / "gwh-line.yaml")
    specs = line.station_specs()
    good_per_h = min(_line_limits(specs))  # availability-adjusted capacity of the bottleneck, in good cells
    scheduled_h = 8760 * line.calendar.scheduled_fraction
    gwh = good_per_h * scheduled_h * line.cell_energy_Wh / 1e9
    assert 0.9 <= gwh <= 1.3
    assert line.cell_energy_Wh == pytest.approx(10 * 3.44, rel=0.02)


def test_pilot_line_is_single_machines_with_glovebox_batches():
    line = load_line(LINES / "pilot-line.yaml")
    assert all(s.machines == 1 for s in line.stations)
    assert line.zones["glovebox"].kind == "glovebox"
    assert any(s.batch_size > 1 and s.zone == "glovebox" for s in line.stations)


@pytest.mark.parametrize("name, maturity", [("pilot-line.yaml", "pilot"), ("gwh-line.yaml", "mature")])
def test_shipped_lines_name_their_catalogue_entries(name, maturity):
    # every station names its machine; what it does not give comes from the entry, its scrap rate from the
    # catalogue's step yield at the line's maturity; the mills roll the recipe's passes (9 alloy, 8 cathode)
    from pouchline.equipment import default_catalogue

    cat = default_catalogue()
    line = load_line(LINES / name)
    assert line.maturity == maturity
    for st in line.stations:
        m = cat.machines[st.equipment]
        assert st.scrap_rate == pytest.approx(1 - cat.kinds[m.kind].yield_at(maturity)), st.name
        if m.mtbf_h is not None:
            assert (st.mtbf_h, st.mttr_h) == (m.mtbf_h, m.mttr_h), st.name
        assert st.footprint_m2 == m.footprint_m2 and st.stands == m.stands, st.name
    passes = {st.step: st.passes for st in line.stations if st.passes}
    assert passes == {"anode_rolling": 9, "cathode_hot_rolling": 8}
    raw = (LINES / name).read_text()
    assert "mtbf_h" not in raw and "footprint_m2" not in raw and "scrap_rate" not in raw  # stated once: the catalogue


# ------------------------------------------------------------------------------------------
# units at the file boundary
# ------------------------------------------------------------------------------------------
def test_quantities_with_units_are_converted_to_the_field_unit():
    line = Line.from_data(_line(stations=[
        {"name": "a", "step": "stacking", "cycle_time_s": "0.75 min", "scrap_rate": "3 %", "mtbf_h": "2 d",
         "mttr_h": "30 min", "setup_time_s": "1 h", "setup_every_units": 100},
    ]))
    s = line.stations[0]
    assert s.cycle_time_s == pytest.approx(45.0)
    assert s.scrap_rate == pytest.approx(0.03)
    assert s.mtbf_h == pytest.approx(48.0) and s.mttr_h == pytest.approx(0.5)
    assert s.setup_time_s == pytest.approx(3600.0)
    assert s.availability == pytest.approx(48 / 48.5)


def test_web_rate_becomes_a_cycle_time_with_the_cell_area():
    # 12 m/min x 600 mm = 432 m2/h; a unit takes 2890 cm2 x 1.1 = 0.3179 m2 -> 1359 units/h
    line = Line.from_data(_line(stations=[
        {"name": "cal", "step": "cathode_hot_rolling", "rate_m_min": "12 m/min", "web_width_mm": "0.6 m",
         "area_factor": 1.1},
        {"name": "area", "step": "se_film_rolling", "rate_m2_h": 432, "area_factor": 1.1},
    ]))
    specs = line.station_specs(area_per_cell_cm2=2890)
    assert specs[0].rate_units_per_h == pytest.approx(432 / 0.3179, rel=1e-9)
    assert specs[1].cycle_time_s == pytest.approx(specs[0].cycle_time_s)


def test_passes_take_ceil_passes_over_stands_visits_of_machine_time():
    # issue 12, "Rolling passes cost machine time": 15 m/min x 600 mm = 540 m2/h per visit; a unit takes
    # 2890 cm2 x 1.15 = 0.33235 m2, so one visit makes 1,624.8 units/h. The alloy's 9 passes on the five-stand
    # mill of recipes/equipment.yaml are ceil(9/5) = 2 visits: 812.4 units/h; on one stand 9 visits: 180.5.
    line = Line.from_data(_line(stations=[
        {"name": "tandem", "step": "anode_rolling", "equipment": "alloy_mill_production", "passes": 9},
        {"name": "two_high", "step": "anode_rolling", "rate_m_min": 15, "web_width_mm": 600, "area_factor": 1.15,
         "passes": 9},
        {"name": "one_pass", "step": "anode_rolling", "rate_m_min": 15, "web_width_mm": 600, "area_factor": 1.15},
        {"name": "lab", "step": "anode_rolling", "cycle_time_s": 90, "batch_size": 6, "passes": 9},
    ]))
    tandem, two_high, one_pass, lab = line.station_specs(area_per_cell_cm2=2890)
    per_visit = 540 / (0.289 * 1.15)
    assert one_pass.rate_units_per_h == pytest.approx(per_visit, rel=1e-12) and one_pass.visits == 1
    assert (tandem.visits, line.stations[0].stands) == (2, 5)
    assert tandem.rate_units_per_h == pytest.approx(per_visit / 2, rel=1e-12)
    assert two_high.visits == 9 and two_high.rate_units_per_h == pytest.approx(per_visit / 9, rel=1e-12)
    assert lab.cycle_time_s == pytest.approx(9 * 90)  # a batch's whole time: 9 visits of 90 s


def test_a_mill_entry_needs_the_recipe_passes():
    problems = _problems(_line(stations=[{"name": "m", "step": "anode_rolling", "equipment": "alloy_mill_production"}]))
    assert any("stations[0].passes" in p and "ceil(passes / stands)" in p for p in problems), problems


def test_a_long_lot_is_shared_among_machines_not_given_to_one():
    # A lot of 2,000 units (10 GWh/yr of the 10 Ah cell) is 10 h on one stacker at 18 s a cell and eight 24-h
    # batches on one 256-channel rack: a job holds at most MAX_JOB_H = 2 h of a lot's batches (400 cells),
    # and a rack takes one batch; short batches and rolls (transfer units) keep their whole lot or roll.
    from pouchline.line.model import MAX_JOB_H, StationSpec, job_units

    def spec(cycle, batch, transfer=None):
        return StationSpec(name="s", step="x", cycle_time_s=cycle, batch_size=batch, machines=10, mtbf_h=None,
                           mttr_h=None, scrap_rate=0.0, buffer_capacity=None, setup_time_s=0.0, setup_every_units=None,
                           zone=None, zone_slots=0, transfer_units=transfer)

    assert MAX_JOB_H == 2.0
    assert job_units(spec(18, 1), 2000) == 400
    assert job_units(spec(24 * 3600, 256), 2000) == 256
    assert job_units(spec(12, 4), 2000) == 2000  # 500 batches of 12 s = 1.7 h
    assert job_units(spec(5, 1, transfer=1800), 200) == 1800  # a roll of 2.5 h stays a roll
    assert job_units(spec(18, 1), 200) == 200  # the GWh line's lot of 200: 1 h


def test_web_rate_without_cell_area_is_an_input_error():
    line = Line.from_data(_line(stations=[{"name": "cal", "step": "stacking", "rate_m2_h": 100}]))
    with pytest.raises(InputError) as exc:
        line.station_specs()
    assert "area_per_cell_cm2" in str(exc.value) and "stations[0]" in str(exc.value)


# ------------------------------------------------------------------------------------------
# errors name the file, the field path, the value and what is allowed
# ------------------------------------------------------------------------------------------
def test_negative_cycle_time():
    (msg,) = _problems(_line(stations=[{"name": "a", "step": "stacking", "cycle_time_s": -5}]))
    assert msg.startswith("lines/x.yaml: stations[0].cycle_time_s: -5 s")
    assert "> 0" in msg


def test_scrap_rate_outside_unit_interval():
    data = _line()
    data["stations"][1]["scrap_rate"] = 1.2
    (msg,) = _problems(data)
    assert msg == "lines/x.yaml: stations[1].scrap_rate: 1.2 is outside [0, 1): the fraction of units lost at the step"


def test_empty_line():
    (msg,) = _problems(_line(stations=[]))
    assert "stations" in msg and "no stations" in msg


def test_unknown_field_lists_allowed_fields():
    data = _line()
    data["stations"][0]["cycletime"] = 3
    msgs = _problems(data)
    assert any(m.startswith("lines/x.yaml: stations[0].cycletime: is not a known field") and "cycle_time_s" in m
               for m in msgs)


def test_cross_field_problems_are_all_reported_with_paths():
    data = _line(stations=[
        {"name": "a", "step": "stacking", "cycle_time_s": 10, "rate_m2_h": 5},
        {"name": "a", "step": "sealing", "cycle_time_s": 10, "mtbf_h": 5, "zone": "glovebox"},
    ])
    msgs = "\n".join(_problems(data))
    assert "stations[0].cycle_time_s: cycle_time_s and rate_m2_h are both given" in msgs
    assert "stations[1].mttr_h: is required" in msgs
    assert "stations[1].name: 'a' is already the name of stations[0]" in msgs
    assert "stations[1].zone: 'glovebox' is not a zone of the line" in msgs


def test_zone_area_too_small_for_footprints():
    data = _line(zones={"dry": {"kind": "dry_room", "area_m2": 10}})
    data["stations"][0].update(zone="dry", footprint_m2=6, machines=2)
    (msg,) = _problems(data)
    assert "zones.dry.area_m2: 10 m2 is less than the 12 m2" in msg


def test_validate_steps_names_station_value_and_allowed_steps():
    line = Line.from_data(_line(stations=[{"name": "a", "step": "stackin", "cycle_time_s": 1}]))
    with pytest.raises(InputError) as exc:
        line.validate_steps(["stacking", "sealing"], source="lines/x.yaml")
    (p,) = exc.value.problems
    assert p.field == "stations[0].step" and p.value == "stackin"
    assert str(p) == "lines/x.yaml: stations[0].step: 'stackin' is not a step of the recipe; steps: stacking, sealing"


def test_calendar_maintenance_must_fit_in_the_working_week():
    msgs = _problems(_line(calendar={"hours_per_day": 8, "days_per_week": 5, "planned_maintenance_h_per_week": 40}))
    assert any(m.startswith("lines/x.yaml: calendar:") and "less than the 40 working hours" in m for m in msgs)


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"),
    (b"name: [unclosed\n", "is not valid YAML at line"),
    (b"\x00\x01\x02binary", "is a binary file"),
    (b"\xff\xfe\xfa bad", "is not UTF-8 text"),
    (b"- just\n- a list\n", "expected a mapping"),
    (b"name: t\n", "stations: is required"),
])
def test_bad_files_are_input_errors_not_tracebacks(tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError) as exc:
        load_line(path)
    assert str(exc.value).startswith(str(path))
    assert expected in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_line(tmp_path / "nope.yaml")


def test_parse_text_matches_file_loading():
    text = (LINES / "pilot-line.yaml").read_text()
    assert parse_line_text(text, "upload") == load_line(LINES / "pilot-line.yaml")


# ------------------------------------------------------------------------------------------
# the shift calendar
# ------------------------------------------------------------------------------------------
def test_calendar_windows_take_maintenance_from_the_end_of_the_week():
    cal = Calendar(hours_per_day=8, days_per_week=5, planned_maintenance_h_per_week=4)
    assert cal.scheduled_windows_h() == [(0, 8), (24, 32), (48, 56), (72, 80), (96, 100)]
    assert cal.scheduled_fraction == pytest.approx(36 / 168)


@settings(max_examples=60, deadline=None)
@given(hours=st.floats(1, 24), days=st.integers(1, 7), maint=st.floats(0, 0.9),
       t=st.floats(0, 3e7, allow_nan=False))
def test_clock_round_trip(hours, days, maint, t):
    # law: calendar time is a monotone map of scheduled time; scheduled(calendar(t)) == t
    cal = Calendar(hours_per_day=hours, days_per_week=days, planned_maintenance_h_per_week=maint * hours * days)
    clock = ShiftClock(cal)
    c = float(clock.to_calendar_s(t))
    assert float(clock.to_scheduled_s(c)) == pytest.approx(t, abs=1e-6 * max(1.0, t))
    assert clock.scheduled_at(c) == pytest.approx(t, abs=1e-6 * max(1.0, t))
    assert c >= t - 1e-6


def test_atmosphere_deviations_from_the_recipe():
    # pilot line: sulfide steps in its Ar glovebox zone, as the recipe says; GWh line: a dry room
    from pouchline.line.model import atmosphere_deviations
    from pouchline.recipe import load_recipe

    recipe = load_recipe(ROOT / "recipes" / "insnbi-lco-pouch.yaml")
    assert atmosphere_deviations(load_line(ROOT / "recipes" / "lines" / "pilot-line.yaml"), recipe) == []
    gwh = atmosphere_deviations(load_line(ROOT / "recipes" / "lines" / "gwh-line.yaml"), recipe)
    assert gwh and all("dry_room" in t and "Ar glovebox" in t for t in gwh)
    assert any("se_film_mixing" in t for t in gwh)


@pytest.mark.parametrize("field, value, allowed", [
    ("mtbf_h", 1e-300, "must be >= 0.01 h"),  # issue 19: accepted, and the line made nothing with exit 0
    ("mtbf_h", 1e300, "must be <= 1e+06 h"),
    ("mttr_h", 1e300, "must be <= 8760 h"),
    ("cycle_time_s", 1e12, "must be <= 2.592e+06 s"),  # 30 days
])
def test_station_times_outside_their_physical_range_are_refused(field, value, allowed):
    data = _line()
    data["stations"][0].update({"mtbf_h": 20, "mttr_h": 0.5, field: value})
    msgs = _problems(data)
    assert any(f"stations[0].{field}" in m and allowed in m for m in msgs), msgs
