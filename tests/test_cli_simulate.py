"""``pouchline simulate``: JSON and table output, exit code 2 for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pouchline.cli import main

ROOT = Path(__file__).resolve().parents[1]
PILOT = str(ROOT / "recipes" / "lines" / "pilot-line.yaml")

STATION_KEYS = {"name", "utilization", "availability", "blocked_fraction", "starved_fraction", "down_fraction",
                "scrapped_units"}
TOP_KEYS = {"sim_days", "seed", "replications", "started_units", "good_units", "throughput_units_per_h",
            "throughput_ci95_units_per_h", "yield_rty", "bottleneck", "stations"}


def write_line(tmp_path: Path, stations: list[dict], name: str = "line.yaml") -> str:
    path = tmp_path / "lines" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump({"name": "t", "stations": stations}))
    return str(path)


GOOD = [{"name": "stack", "step": "stacking", "cycle_time_s": 20},
        {"name": "seal", "step": "sealing", "cycle_time_s": 30, "buffer_capacity": 50, "scrap_rate": 0.01}]


def test_json_has_the_documented_keys(capsys):
    code = main(["simulate", PILOT, "--days", "30", "--warmup-days", "7", "--seed", "3", "--replications", "2",
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert TOP_KEYS <= set(out)
    assert out["sim_days"] == 30 and out["seed"] == 3 and out["replications"] == 2
    lo, hi = out["throughput_ci95_units_per_h"]
    assert lo <= out["throughput_units_per_h"] <= hi
    assert len(out["stations"]) == 16 and all(STATION_KEYS <= set(s) for s in out["stations"])
    assert out["bottleneck"] in {s["name"] for s in out["stations"]} or out["bottleneck"].startswith("zone:")
    assert 0 < out["yield_rty"] < 1
    assert out["energy_MWh_per_year"] > 0


def test_same_seed_same_json(capsys, tmp_path):
    line = write_line(tmp_path, GOOD)
    main(["simulate", line, "--days", "2", "--seed", "9", "--json"])
    first = capsys.readouterr().out
    main(["simulate", line, "--days", "2", "--seed", "9", "--json"])
    assert capsys.readouterr().out == first


def test_replications_give_a_confidence_interval_across_them(capsys, tmp_path):
    stations = [dict(GOOD[0], mtbf_h=1, mttr_h=0.2), GOOD[1]]
    code = main(["simulate", write_line(tmp_path, stations), "--days", "2", "--replications", "3", "--workers", "2",
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["replications"] == 3
    assert len(out["throughput_per_replication_units_per_h"]) == 3
    lo, hi = out["throughput_ci95_units_per_h"]
    assert lo < out["throughput_units_per_h"] < hi


def test_table_output(capsys):
    assert main(["simulate", PILOT, "--days", "20"]) == 0
    out = capsys.readouterr().out
    assert "bottleneck:" in out and "throughput" in out and "manual_stacking" in out and "util%" in out


def test_progress_bar_on_request(capsys, tmp_path):
    assert main(["simulate", write_line(tmp_path, GOOD), "--days", "1", "--progress", "--json"]) == 0
    captured = capsys.readouterr()
    assert "simulating" in captured.err
    json.loads(captured.out)  # the bar never mixes into stdout


@pytest.mark.parametrize("change, expected", [
    ({"step": "stackng"}, "stations[0].step: 'stackng' is not a step of"),
    ({"cycle_time_s": -3}, "stations[0].cycle_time_s: -3 s is not allowed"),
    ({"scrap_rate": 1.2}, "stations[0].scrap_rate: 1.2 is outside [0, 1)"),
    ({"machines": 0}, "stations[0].machines: 0 is not allowed"),
])
def test_bad_station_exits_2_with_field_path(capsys, tmp_path, change, expected):
    line = write_line(tmp_path, [dict(GOOD[0], **change), GOOD[1]])
    assert main(["simulate", line, "--days", "1"]) == 2
    err = capsys.readouterr().err
    assert expected in err and line in err
    assert "Traceback" not in err


def test_empty_line_exits_2(capsys, tmp_path):
    assert main(["simulate", write_line(tmp_path, []), "--days", "1"]) == 2
    assert "no stations" in capsys.readouterr().err


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"), (b"stations: [\n", "is not valid YAML"), (b"\x00\x9f\x92", "binary"),
])
def test_bad_files_exit_2(capsys, tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    assert main(["simulate", str(path)]) == 2
    assert expected in capsys.readouterr().err


def test_missing_file_exits_2(capsys, tmp_path):
    assert main(["simulate", str(tmp_path / "none.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("args, expected", [
    (["--days", "-1"], "days: -1.0 is not allowed"),
    (["--replications", "0"], "replications: 0 is not allowed"),
    (["--lot-size", "0"], "lot_size: 0 is not allowed"),
    (["--days", "abc"], "invalid float value"),
])
def test_bad_options_exit_2(capsys, tmp_path, args, expected):
    try:
        code = main(["simulate", write_line(tmp_path, GOOD), *args])
    except SystemExit as exc:  # argparse usage errors exit 2 from parse_args
        code = exc.code
    assert code == 2
    assert expected in capsys.readouterr().err


def test_missing_recipe_exits_2(capsys, tmp_path):
    assert main(["simulate", write_line(tmp_path, GOOD), "--recipe", str(tmp_path / "nope.yaml"), "--days", "1"]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_table_reports_ranked_bottlenecks_lead_time_warm_up_and_carriers(capsys):
    assert main(["simulate", PILOT, "--days", "20", "--replications", "2"]) == 0
    out = capsys.readouterr().out
    assert "near-bottlenecks (ranked by the replications' votes" in out and "votes" in out
    assert "lead time of a good cell" in out and "Little's law station by station" in out
    assert "warm-up check (MSER-5" in out
    assert "carriers fixtures (clamp_fixture -> cycler_formation" in out and "needed at the simulated throughput" in out
    assert "WIP" in out and "by branch" in out
    assert "e+" not in out  # no scientific notation


def test_what_if_reports_the_gain_with_its_interval(capsys, tmp_path):
    stations = [{"name": "a", "step": "stacking", "cycle_time_s": 20},
                {"name": "b", "step": "sealing", "cycle_time_s": 60, "buffer_capacity": 50}]
    line = write_line(tmp_path, stations)
    assert main(["simulate", line, "--days", "1", "--replications", "3", "--what-if", "+1 b", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (w,) = out["what_if"]
    # b alone limits at 60/h; with 2 machines a (180/h) and b (120/h): +60/h
    assert w["what_if"] == "+1 b" and w["gain_units_per_h"] == pytest.approx(60, rel=0.02)
    lo, hi = w["gain_ci95_units_per_h"]
    assert lo <= w["gain_units_per_h"] <= hi


@pytest.mark.parametrize("what_if, expected", [
    ("one more stacker", "what_if: 'one more stacker' is not a what-if"),
    ("+1 nope", "what_if: 'nope' is not a station of line t"),
    ("-1 stack", "stack has 1 machine(s); -1 gives 0, not allowed"),
])
def test_bad_what_if_exits_2(capsys, tmp_path, what_if, expected):
    assert main(["simulate", write_line(tmp_path, GOOD), "--days", "1", "--what-if", what_if]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
