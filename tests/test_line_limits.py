"""Issue 19 in the line package: windows off shift, unattended stations, and every limit on the work
checked before it starts (also by ``pouchline validate``), with the limit in the message."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pouchline.cli import main
from pouchline.errors import InputError
from pouchline.line import (
    DEFAULT_DAYS,
    DEFAULT_REPLICATIONS,
    DEFAULT_WARMUP_DAYS,
    MAX_REPLICATIONS,
    MAX_WORK_PER_RUN,
    Calendar,
    Line,
    load_line,
    run_experiment,
    simulate,
)
from pouchline.line.clock import ShiftClock

ROOT = Path(__file__).resolve().parents[1]
PILOT = ROOT / "recipes" / "lines" / "pilot-line.yaml"
GWH = ROOT / "recipes" / "lines" / "gwh-line.yaml"


def line_data(**station) -> dict:
    return {"name": "t", "stations": [{"name": "a", "step": "stacking", "cycle_time_s": 60},
                                      {"name": "b", "step": "sealing", "cycle_time_s": 30, **station}]}


def problems_of(data: dict) -> str:
    with pytest.raises(InputError) as exc:
        Line.from_data(data, "lines/t.yaml")
    return "\n".join(str(p) for p in exc.value.problems)


# ------------------------------------------------------------------------------------------
# a measured window entirely off shift
# ------------------------------------------------------------------------------------------
def test_a_window_entirely_off_shift_is_an_input_error_not_a_crash():
    # issue 19: plan --line pilot-line --days 2 with a 5-day warm-up ended on the pilot line's
    # weekend (8 h x 5 days) and SimPy raised "until must be greater than the current time".
    line = load_line(PILOT)
    with pytest.raises(InputError) as exc:
        simulate(line, days=2, warmup_days=5, seed=1)
    (p,) = exc.value.problems
    assert p.field == "days" and "fall entirely off shift" in p.message and "8 h/day, 5 days/week" in p.message
    # one more day reaches Monday's shift: it runs
    res = simulate(line, days=3, warmup_days=5, seed=1)
    assert res.scheduled_hours == pytest.approx(8)


def test_simulate_cli_exits_2_for_a_window_off_shift(capsys):
    assert main(["simulate", str(PILOT), "--days", "2", "--warmup-days", "5", "--replications", "2"]) == 2
    err = capsys.readouterr().err
    assert "days: 2 days after 5 days of warm-up fall entirely off shift" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------
# unattended stations: the off-shift arithmetic is bounded
# ------------------------------------------------------------------------------------------
def job_by_job_speedup(calendar: Calendar, duration_s: float, weeks: int) -> float:
    """The previous release's definition, job by job over whole weeks (the reference)."""
    clock = ShiftClock(calendar)
    horizon = weeks * clock.week_scheduled_s
    t, jobs = 0.0, 0
    while t < horizon:
        t += clock.scheduled_at(clock.start_calendar_s(t) + duration_s) - t
        jobs += 1
    return jobs / t * duration_s


@settings(max_examples=40, deadline=None)
@given(hours=st.floats(4, 23), days=st.integers(1, 7), maint=st.floats(0, 0.5),
       duration_h=st.floats(0.05, 200))
def test_window_by_window_speedup_equals_job_by_job(hours, days, maint, duration_h):
    # Law: both count the jobs a machine running through off-shift hours starts, one window at a time
    # or one job at a time; over 26 weeks they differ by the truncation at the horizon only (one job).
    cal = Calendar(hours_per_day=hours, days_per_week=days, planned_maintenance_h_per_week=maint * hours * days)
    fast = ShiftClock(cal).off_shift_speedup(duration_h * 3600)
    slow = job_by_job_speedup(cal, duration_h * 3600, 26)
    jobs = 26 * ShiftClock(cal).week_scheduled_s / (duration_h * 3600) * fast
    assert fast == pytest.approx(slow, rel=2.5 / max(jobs, 1.0))


@pytest.mark.parametrize("cycle", [0.01, "1e-300 h"])
def test_tiny_unattended_cycles_are_quick_to_size_and_refused_by_the_work_limit(cycle):
    # issue 19: a 0.01 s cycle took 34 s to size, 1e-300 h never ended. Now sizing is a few hundred
    # steps, and the run is refused before it starts because of its work.
    data = line_data(runs_off_shift=True, cycle_time_s=cycle)
    data["calendar"] = {"hours_per_day": 8, "days_per_week": 5}
    t0 = time.perf_counter()
    msg = problems_of(data)
    assert time.perf_counter() - t0 < 2.0
    assert f"more than the limit of {MAX_WORK_PER_RUN:,} per run" in msg and "checked for the default run" in msg


# ------------------------------------------------------------------------------------------
# limits, checked before the work and by validate
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("field, value, expected", [
    ("batch_size", 1e19, "batch size (units per batch) must be a whole number >= 1 and <= 10,000,000"),
    ("machines", 10**6, "the number of parallel machines must be a whole number >= 1 and <= 20,000"),
    ("transfer_units", 10**9, "units moved at once (a roll, a rack) must be a whole number >= 1 and <= 10,000,000"),
])
def test_counts_have_upper_limits_named_in_the_message(field, value, expected):
    assert expected in problems_of(line_data(**{field: value}))


def test_machines_of_the_whole_line_are_limited():
    data = {"name": "t", "stations": [{"name": f"s{i}", "step": "stacking", "cycle_time_s": 1e6, "machines": 20000}
                                      for i in range(6)]}
    assert "120,000 machines in all is not allowed: a line may have at most 100,000" in problems_of(data)


def test_replications_are_limited(capsys):
    line = Line.from_data(line_data())
    with pytest.raises(InputError, match=f"from 1 to {MAX_REPLICATIONS:,}"):
        run_experiment(line, replications=MAX_REPLICATIONS + 1, days=1)
    with pytest.raises(InputError, match="per request: run fewer replications or fewer days"):
        run_experiment(line, replications=MAX_REPLICATIONS, days=3000, lot_size=1)


def test_lot_size_one_over_a_long_horizon_is_refused_before_it_starts():
    # a year of the GWh line with lots of 1 would be ~300 million jobs
    t0 = time.perf_counter()
    with pytest.raises(InputError) as exc:
        simulate(load_line(GWH), days=365, lot_size=1, area_per_cell_cm2=3000)
    assert time.perf_counter() - t0 < 5.0
    (p,) = exc.value.problems
    assert p.field == "days" and f"more than the limit of {MAX_WORK_PER_RUN:,} per run" in p.message
    assert "raise lot_size (now 1" in p.message


def test_validate_refuses_a_line_file_no_command_could_simulate(tmp_path):
    path = tmp_path / "fast.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "lot_size": 1, "stations": [
        {"name": "a", "step": "stacking", "cycle_time_s": 0.001}, {"name": "b", "step": "sealing", "cycle_time_s": 0.001}]}))
    res = subprocess.run([sys.executable, "-m", "pouchline", "validate", str(path)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert str(path) in res.stderr and "more than the limit of" in res.stderr and "lot_size (now 1" in res.stderr


# ------------------------------------------------------------------------------------------
# one set of run-length defaults
# ------------------------------------------------------------------------------------------
def test_one_set_of_defaults_is_defined_in_the_line_package_and_used_by_simulate():
    from pouchline.cli import build_parser

    args = build_parser().parse_args(["simulate", "x.yaml"])
    assert (args.days, args.warmup_days, args.replications) == (DEFAULT_DAYS, DEFAULT_WARMUP_DAYS, DEFAULT_REPLICATIONS)
    assert DEFAULT_REPLICATIONS >= 2  # an interval from replications by default
    assert DEFAULT_WARMUP_DAYS % 7 == 0  # whole weeks: every replication starts at the same point of the week
    # reading the defaults does not load SimPy (they are for --help too)
    out = subprocess.run([sys.executable, "-c", "import sys; from pouchline.line.defaults import DEFAULT_DAYS; "
                          "import pouchline.line; print('simpy' in sys.modules)"], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
    assert math.isfinite(DEFAULT_DAYS)


def test_an_unattended_job_as_long_as_the_shift_does_not_loop_at_the_boundary():
    # Found by the property test above: a job exactly as long as the shift ends at its end, and
    # rounding mapped "the next shift's start" back to that end, so a job ending off shift took no
    # scheduled time and an unattended head started zero-length jobs for ever. One job a week here:
    # the shift is 4.669 h on one day a week and the job 4.669 h, so 1 unit per 4.669 scheduled h.
    hours = 4.6690028924527525
    line = Line.from_data({"name": "t", "calendar": {"hours_per_day": hours, "days_per_week": 1}, "stations": [
        {"name": "a", "step": "formation", "cycle_time_s": f"{hours} h", "runs_off_shift": True},
        {"name": "b", "step": "sealing", "cycle_time_s": 60}]})
    clock = ShiftClock(line.calendar)
    assert clock.off_shift_speedup(hours * 3600) == pytest.approx(1.0)
    assert clock.start_calendar_s(hours * 3600 * (1 - 1e-15)) == pytest.approx(7 * 86400)  # next week's shift
    res = simulate(line, days=70, seed=1, lot_size=1)
    assert res.throughput_units_per_h == pytest.approx(1 / hours, rel=0.11)  # 10 jobs; one may straddle the end
