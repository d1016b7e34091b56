"""`pouchline plan`: the whole package in one folder, and its figures agree with the parts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import DEFAULT_RECIPE, RECIPES

LINE = RECIPES / "lines" / "pilot-line.yaml"


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    res = subprocess.run(
        [sys.executable, "-m", "pouchline", "plan", str(DEFAULT_RECIPE), "--line", str(LINE), "--layers", "4",
         "--days", "10", "--warmup-days", "1", "--replications", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert res.returncode == 0, res.stderr
    return out, res


def test_plan_writes_every_part(plan_dir):
    out, res = plan_dir
    for name in ("cell.json", "cell.txt", "simulation.json", "cost.json", "sensitivity.csv", "bom.xlsx",
                 "traveler.pdf", "summary.json", "README.md"):
        assert (out / name).stat().st_size > 0, name
    for chart in ("mass_breakdown", "energy_vs_layers", "station_states", "throughput_over_time",
                  "cost_breakdown", "sensitivity_tornado"):
        assert (out / "charts" / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "traveler.pdf").read_bytes()[:5] == b"%PDF-"
    assert (out / "bom.xlsx").read_bytes()[:2] == b"PK"
    assert not list(out.glob(".*.tmp")), "temporary files left behind"
    assert "written to" in res.stdout and "USD/kWh" in res.stdout


def test_plan_figures_agree_with_parts(plan_dir):
    out, _ = plan_dir
    s = json.loads((out / "summary.json").read_text())
    cell = json.loads((out / "cell.json").read_text())
    cost = json.loads((out / "cost.json").read_text())
    sim = json.loads((out / "simulation.json").read_text())
    assert s["layers"] == cell["layers"] == 4
    assert s["energy_Wh"] == pytest.approx(cell["energy_Wh"])
    # $/kWh is $/cell over the cell's energy
    assert s["cost_per_kWh_usd"] == pytest.approx(s["cost_per_cell_usd"] / (s["energy_Wh"] / 1000), rel=1e-6)
    assert cost["cost_per_kWh_usd"] == pytest.approx(s["cost_per_kWh_usd"])
    assert s["throughput_units_per_h"] == pytest.approx(sim["throughput_units_per_h"])
    assert s["MWh_per_year"] == pytest.approx(sim["good_units_per_year"] * cell["energy_Wh"] / 1e6)
    assert sim["replications"] == 2


def test_plan_bad_input_exit_2(tmp_path):
    res = subprocess.run([sys.executable, "-m", "pouchline", "plan", str(DEFAULT_RECIPE), "--set",
                          "cell.anode.np_ratio=-1", "--out", str(tmp_path / "p")], capture_output=True, text=True)
    assert res.returncode == 2 and "cell.anode.np_ratio" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "p").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = subprocess.run([sys.executable, "-m", "pouchline", "plan", str(DEFAULT_RECIPE), "--out", str(blocker)],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "not a folder" in res.stderr
    assert blocker.read_text() == "x"


def test_readme_main_command_runs_on_a_fresh_checkout(tmp_path):
    # The README's first command, verbatim after its install step, from a folder holding only the
    # shipped recipes (so out/plan does not exist yet, as on a fresh clone).
    import re
    import shlex

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^pip install -e \. && (pouchline plan .+)$", readme, flags=re.M)
    assert m, "README lost its main command"
    argv = shlex.split(m.group(1))
    (tmp_path / "recipes").symlink_to(ROOT / "recipes", target_is_directory=True)
    res = subprocess.run([sys.executable, "-m", "pouchline", *argv[1:], "--days", "10", "--replications", "1"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    out = tmp_path / argv[argv.index("--out") + 1]
    assert json.loads((out / "summary.json").read_text())["layers"] >= 2
