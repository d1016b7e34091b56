"""The line simulation against queueing theory, conservation laws and reproducibility.

Horizons are short; each tolerance is justified by the run length next to it. Where results are
random they are still deterministic for the seed used, so these tests do not flake.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pouchline.errors import InputError
from pouchline.line import Line, load_line, run_experiment, simulate

ROOT = Path(__file__).resolve().parents[1]
DAY_S = 86400.0


def make_line(stations: list[dict], **extra) -> Line:
    names = ["alloy_prep", "melt_cast", "quench", "anode_rolling", "anode_punching", "stacking", "sealing"]
    data = {"name": "test", "stations": [{"name": f"s{i}", "step": names[i % len(names)], **s}
                                         for i, s in enumerate(stations)]}
    data.update(extra)
    return Line.from_data(data, "test")


# ------------------------------------------------------------------------------------------
# deterministic lines: throughput = bottleneck rate
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stations, lot", [
    # slowest: 1 machine x 1 / 20 s = 180/h
    ([{"cycle_time_s": 10}, {"cycle_time_s": 20, "buffer_capacity": 100}, {"cycle_time_s": 15, "buffer_capacity": 100}], 1),
    # slowest: 2 machines x 5 units / 100 s = 360/h (a batch oven), among 1-unit stations
    ([{"cycle_time_s": 5}, {"cycle_time_s": 100, "batch_size": 5, "machines": 2, "buffer_capacity": 200},
      {"cycle_time_s": 8, "buffer_capacity": 200}], 3),
    # slowest: the first station, 3 machines x 2 / 50 s = 432/h; a 16-unit batch station downstream
    ([{"cycle_time_s": 50, "batch_size": 2, "machines": 3}, {"cycle_time_s": 60, "batch_size": 16, "machines": 2},
      {"cycle_time_s": 4}], 10),
])
def test_deterministic_serial_line_runs_at_its_slowest_station(stations, lot):
    # A serial line without variability runs at the rate of its bottleneck, r_b = min_i m_i b_i / t_i
    # (Hopp & Spearman, Factory Physics, 3rd ed., ch. 7). 3 days at >= 180/h is >= 13,000 units;
    # the end effect is at most one job of the last and of the bottleneck station (< 0.3 %).
    line = make_line(stations)
    res = simulate(line, days=3, warmup_days=0.5, seed=1, lot_size=lot)
    rb = min(s.get("machines", 1) * s.get("batch_size", 1) * 3600 / s["cycle_time_s"] for s in stations)
    assert res.throughput_units_per_h == pytest.approx(rb, rel=0.01)
    slowest = min(range(len(stations)), key=lambda i: stations[i].get("machines", 1) * stations[i].get("batch_size", 1)
                  / stations[i]["cycle_time_s"])
    assert res.bottleneck == f"s{slowest}"
    assert res.station(f"s{slowest}").utilization == pytest.approx(1.0, abs=0.01)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_any_deterministic_serial_line_runs_at_its_slowest_station(data):
    # Property (Factory Physics ch. 7): with unlimited buffers and no variability, TH = r_b for any
    # cycle times, machine counts, batch sizes and lot size. The horizon gives the bottleneck >= 400
    # of the largest job, so the end effect (< 2 jobs) is < 0.5 %; the warm-up covers 3 passes of
    # every station's job so the pipeline is full.
    n = data.draw(st.integers(2, 5))
    stations = [{"cycle_time_s": data.draw(st.floats(5, 120)), "machines": data.draw(st.integers(1, 3)),
                 "batch_size": data.draw(st.integers(1, 6))} for _ in range(n)]
    lot = data.draw(st.integers(1, 20))
    rb = min(s["machines"] * s["batch_size"] * 3600 / s["cycle_time_s"] for s in stations)
    jobs = [s["batch_size"] * max(1, -(-lot // s["batch_size"])) for s in stations]
    job_time_s = sum(j / s["batch_size"] * s["cycle_time_s"] for j, s in zip(jobs, stations))
    warm_days = 3 * (job_time_s + max(jobs) * 3600 / rb) / DAY_S
    days = 400 * max(jobs) / rb / 24
    res = simulate(make_line(stations), days=days, warmup_days=warm_days, seed=0, lot_size=lot)
    assert res.throughput_units_per_h == pytest.approx(rb, rel=0.01)


def test_lot_size_does_not_change_a_deterministic_line():
    stations = [{"cycle_time_s": 12}, {"cycle_time_s": 30, "batch_size": 10, "buffer_capacity": 500},
                {"cycle_time_s": 2.5, "buffer_capacity": 500}]
    rates = [simulate(make_line(stations), days=2, warmup_days=0.2, seed=3, lot_size=lot).throughput_units_per_h
             for lot in (1, 10, 50)]
    assert max(rates) / min(rates) - 1 < 0.01


# ------------------------------------------------------------------------------------------
# failures: availability-adjusted bottleneck rate
# ------------------------------------------------------------------------------------------
FAILING = [
    {"cycle_time_s": 20},
    {"cycle_time_s": 36, "mtbf_h": 2.0, "mttr_h": 0.5, "buffer_capacity": 100000},  # 100/h x A = 0.8
    {"cycle_time_s": 20, "buffer_capacity": 100000},
]


def test_exponential_failures_with_large_buffers_give_the_availability_adjusted_rate():
    # With large buffers the bottleneck is never starved or blocked, so TH = r_b x MTBF/(MTBF+MTTR)
    # (Buzacott & Shanthikumar, Stochastic Models of Manufacturing Systems, 1993, ch. 5) = 80/h.
    # The up fraction over T is an alternating renewal average with asymptotic variance
    # 2 a^2 b^2 / ((a+b)^3 T) (a = MTBF, b = MTTR): over T = 4,800 h its sd is 0.0052 absolute, 0.65 % of 0.8;
    # we allow 4 sd, 2.6 %.
    res = simulate(make_line(FAILING), days=200, warmup_days=2, seed=11, lot_size=10)
    a, b, T = 2.0, 0.5, res.scheduled_hours
    sd_rel = math.sqrt(2 * a**2 * b**2 / (a + b) ** 3 / T) / (a / (a + b))
    assert res.throughput_units_per_h == pytest.approx(80.0, rel=4 * sd_rel)
    s1 = res.station("s1")
    assert s1.down_fraction == pytest.approx(0.2, abs=4 * sd_rel * 0.8)
    assert s1.availability == pytest.approx(1 - s1.down_fraction)
    assert res.bottleneck == "s1"


def test_replication_confidence_interval_covers_the_theoretical_rate():
    # 8 replications of 30 days: the Student-t 95 % interval of the mean must contain 80/h
    # (deterministic for this seed; a biased model would miss it).
    exp = run_experiment(make_line(FAILING), replications=8, days=30, warmup_days=1, seed=5, lot_size=10, workers=1)
    lo, hi = exp.throughput_ci95_units_per_h
    assert lo < 80.0 < hi
    assert hi - lo < 0.1 * 80.0
    assert exp.ci_method.startswith("Student t over 8 replications")


# ------------------------------------------------------------------------------------------
# scrap, yields and conservation
# ------------------------------------------------------------------------------------------
SCRAPPY = [
    {"cycle_time_s": 10, "scrap_rate": 0.1},
    {"cycle_time_s": 12, "scrap_rate": 0.2, "buffer_capacity": 200},
    {"cycle_time_s": 9, "batch_size": 4, "scrap_rate": 0.05, "buffer_capacity": 200},
]


def test_started_times_product_of_yields_is_good():
    # Each unit survives the line with p = prod(1 - s_i) independently, so good ~ Binomial(n, p) for
    # the n units that left; n differs from started by the change in WIP. Tolerance: 4 binomial sd
    # plus that change.
    res = simulate(make_line(SCRAPPY), days=5, warmup_days=0.5, seed=2, lot_size=5)
    p = 0.9 * 0.8 * 0.95
    sd = math.sqrt(res.started_units * p * (1 - p))
    tol = 4 * sd + abs(res.wip_end_units - res.wip_start_units)
    assert abs(res.good_units - res.started_units * p) <= tol
    assert res.yield_rty_planned == pytest.approx(p)
    assert res.yield_rty == pytest.approx(p, abs=4 * sd / res.started_units * 3)
    for s, spec in zip(res.stations, SCRAPPY):
        processed = s.good_units + s.scrapped_units
        q = 1 - spec["scrap_rate"]
        assert abs(s.good_units - processed * q) <= 4 * math.sqrt(processed * q * (1 - q))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32), scraps=st.lists(st.floats(0, 0.5), min_size=2, max_size=4),
       lot=st.integers(1, 8), fail=st.booleans())
def test_units_are_conserved(seed, scraps, lot, fail):
    # Law: units are neither created nor lost: started + WIP at warm-up = good + scrapped + WIP at end.
    stations = [{"cycle_time_s": 10 + 3 * i, "scrap_rate": s, "buffer_capacity": 30,
                 **({"mtbf_h": 0.5, "mttr_h": 0.1} if fail else {})} for i, s in enumerate(scraps)]
    res = simulate(make_line(stations), days=0.5, warmup_days=0.1, seed=seed, lot_size=lot)
    assert res.started_units + res.wip_start_units == res.good_units + res.scrapped_units + res.wip_end_units
    for s in res.stations:
        assert sum(s.state_fractions.values()) == pytest.approx(1.0)


def test_material_consumed_counts_scrapped_units():
    res = simulate(make_line(SCRAPPY), days=1, seed=4, lot_size=5,
                   materials_per_unit_g={"alloy_prep": {"In": 0.5}, "quench": {"water": "2 kg"}})
    s0, s2 = res.stations[0], res.stations[2]
    assert res.materials_consumed_g["In"] == pytest.approx(s0.started_units * 0.5)
    assert res.materials_consumed_g["water"] == pytest.approx(s2.started_units * 2000)
    assert res.materials_per_good_unit_g["In"] == pytest.approx(s0.started_units * 0.5 / res.good_units)


def test_bad_materials_are_input_errors():
    with pytest.raises(InputError, match=r"materials_per_unit_g\.alloy_prep\.In"):
        simulate(make_line(SCRAPPY), days=1, materials_per_unit_g={"alloy_prep": {"In": -1}})


# ------------------------------------------------------------------------------------------
# calendar, unattended processes, zones, setups
# ------------------------------------------------------------------------------------------
def test_off_shift_time_is_not_scheduled():
    # 8 h x 5 d minus 4 h: 36 of 168 h scheduled. Per scheduled hour the line runs at r_b = 180/h; per
    # calendar hour at 180 x 36/168; fractions are of scheduled time and sum to 1.
    stations = [{"cycle_time_s": 10}, {"cycle_time_s": 20, "buffer_capacity": 100}]
    cal = {"hours_per_day": 8, "days_per_week": 5, "planned_maintenance_h_per_week": 4}
    res = simulate(make_line(stations, calendar=cal), days=28, warmup_days=1, seed=1)
    assert res.scheduled_hours == pytest.approx(4 * 36)
    assert res.throughput_units_per_h == pytest.approx(180, rel=0.01)
    assert res.throughput_units_per_calendar_h == pytest.approx(180 * 36 / 168, rel=0.01)
    assert res.station("s1").utilization == pytest.approx(1.0, abs=0.01)
    series = res.throughput_timeseries
    assert len(series) == 29 and series[5] == series[6] == 0.0  # Saturday and Sunday
    assert sum(series) >= res.good_units


def test_unattended_process_runs_through_the_night():
    # A 24 h formation batch on an 8 h x 5 d calendar: started at 8:00 it is unloaded next morning,
    # one batch per working day, and Friday's runs over the weekend: 5 batches per 40 scheduled h.
    stations = [{"cycle_time_s": 60}, {"cycle_time_s": "24 h", "batch_size": 16, "runs_off_shift": True,
                                       "buffer_capacity": 100}]
    res = simulate(make_line(stations, calendar={"hours_per_day": 8, "days_per_week": 5}), days=70,
                   warmup_days=7, seed=1, lot_size=16)
    assert res.throughput_units_per_h == pytest.approx(5 * 16 / 40, rel=0.02)
    assert res.station("s1").capacity_units_per_h == pytest.approx(5 * 16 / 40, rel=0.01)


def test_shared_zone_capacity_limits_the_line():
    # Two 30 s stations share a glovebox with one port: each unit needs 60 s of the port, so the line
    # makes 60/h, not the 120/h of either station; the zone is the bottleneck.
    stations = [{"cycle_time_s": 10}, {"cycle_time_s": 30, "zone": "gb", "buffer_capacity": 50},
                {"cycle_time_s": 30, "zone": "gb", "buffer_capacity": 50}]
    line = make_line(stations, zones={"gb": {"kind": "glovebox", "capacity": 1}})
    res = simulate(line, days=2, warmup_days=0.1, seed=1)
    assert res.throughput_units_per_h == pytest.approx(60, rel=0.01)
    assert res.bottleneck == "zone:gb"
    assert res.zones[0].utilization == pytest.approx(1.0, abs=0.01)
    free = make_line(stations, zones={"gb": {"kind": "glovebox", "capacity": 2}})
    assert simulate(free, days=2, warmup_days=0.1, seed=1).throughput_units_per_h == pytest.approx(120, rel=0.01)


def test_setup_every_n_units():
    # 100 units of 10 s then a 1000 s setup: 100 units per 2000 s = 180/h.
    res = simulate(make_line([{"cycle_time_s": 10, "setup_time_s": 1000, "setup_every_units": 100}]),
                   days=3, seed=1, lot_size=10)
    assert res.throughput_units_per_h == pytest.approx(180, rel=0.01)
    assert res.stations[0].setup_fraction == pytest.approx(0.5, abs=0.01)
    assert res.stations[0].capacity_units_per_h == pytest.approx(180)


def test_small_buffers_are_raised_to_fit_a_lot_and_say_so():
    # with the raised buffer the line still runs at its bottleneck rate, 180/h (4,320 units in 1 day)
    res = simulate(make_line([{"cycle_time_s": 10}, {"cycle_time_s": 20, "buffer_capacity": 3}]), days=1,
                   warmup_days=0.1, lot_size=10)
    assert any("raised from 3 to 19 units" in n for n in res.notes)
    assert res.throughput_units_per_h == pytest.approx(180, rel=0.01)


# ------------------------------------------------------------------------------------------
# reproducibility, replications, progress, input checks
# ------------------------------------------------------------------------------------------
def test_same_seed_same_result_and_different_seed_differs():
    line = make_line(FAILING)
    a = simulate(line, days=5, seed=7, lot_size=10)
    b = simulate(line, days=5, seed=7, lot_size=10)
    c = simulate(line, days=5, seed=8, lot_size=10)
    assert a.to_dict() == b.to_dict()
    assert a.good_units != c.good_units


def test_parallel_replications_equal_serial_ones():
    line = make_line(FAILING)
    kw = dict(replications=3, days=3, warmup_days=0.5, seed=21, lot_size=10)
    serial = run_experiment(line, workers=1, **kw)
    parallel = run_experiment(line, workers=2, **kw)
    assert serial.to_dict() == parallel.to_dict()
    # replication r depends only on (seed, r): it does not change with the number of replications
    two = run_experiment(line, workers=1, **{**kw, "replications": 2})
    assert two.results[1].to_dict() == serial.results[1].to_dict()
    assert len({r.good_units for r in serial.results}) == 3


def test_progress_callback_reaches_one():
    seen: list[float] = []
    simulate(make_line(FAILING), days=1, seed=1, lot_size=10, progress=seen.append)
    assert len(seen) >= 10 and seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs, field", [
    ({"days": 0}, "days"), ({"days": 1, "warmup_days": -1}, "warmup_days"),
    ({"days": 1, "lot_size": 0}, "lot_size"), ({"days": 1, "seed": -3}, "seed"),
])
def test_bad_run_arguments(kwargs, field):
    with pytest.raises(InputError) as exc:
        simulate(make_line(FAILING), **kwargs)
    assert exc.value.problems[0].field == field


def test_shipped_gwh_line_short_run_is_near_1_GWh():
    line = load_line(ROOT / "recipes" / "lines" / "gwh-line.yaml")
    res = simulate(line, days=4, warmup_days=2, seed=1)
    # the line file names stacking and the alloy rolling mills as its two near-bottlenecks
    assert res.bottleneck in {"stacker", "alloy_rolling_mill"}
    assert res.energy_MWh_per_year == pytest.approx(1000, rel=0.25)
    assert f"{res.bottleneck}: active" in res.bottleneck_why


def test_per_sheet_stations_scale_with_the_cells_layers():
    # stacker: 3 sheets of 0.03 m2 per layer at 0.6 s/sheet -> 18 s for 10 layers (3000 cm2), 36 s for 20
    line = load_line(ROOT / "recipes" / "lines" / "gwh-line.yaml")
    s10 = {s.name: s for s in line.station_specs(area_per_cell_cm2=3000)}
    s20 = {s.name: s for s in line.station_specs(area_per_cell_cm2=6000)}
    assert s10["stacker"].cycle_time_s == pytest.approx(18.0)
    assert s20["stacker"].cycle_time_s == pytest.approx(36.0)
    assert s20["anode_punch"].cycle_time_s == pytest.approx(2 * s10["anode_punch"].cycle_time_s)
    # per-cell stations do not change
    assert s20["pouch_sealer"].cycle_time_s == pytest.approx(s10["pouch_sealer"].cycle_time_s)
