"""The plan tells the truth at a glance (issue 17): the README's main job carries the fixture's
go/no-go block, one annual output, the ranked near-bottlenecks and every warning once, with no
number in scientific notation."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from types import SimpleNamespace

import pytest

from conftest import DEFAULT_RECIPE, RECIPES, ROOT

from pouchline.display import SCIENTIFIC

#: Short runs keep the test quick; the figures' structure does not depend on the run length.
SHORT = ["--days", "10", "--replications", "2", "--rampup-months", "2"]
#: Identifiers that may hold "0e8"-like runs of characters: content hashes and `code spans`.
IDENTIFIERS = re.compile(r"`[^`]*`|sha256:[0-9a-f]{64}|\b[0-9a-f]{12,64}\b")


def main_command() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^pip install -e \. && (pouchline plan .+)$", readme, flags=re.M)
    assert m, "README lost its main command"
    return shlex.split(m.group(1))[1:]


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    """The README's main command (its recipe, line, cell and format), run from a folder holding the
    shipped recipes, with a short simulation."""
    cwd = tmp_path_factory.mktemp("mainjob")
    (cwd / "recipes").symlink_to(RECIPES, target_is_directory=True)
    argv = main_command()
    res = subprocess.run([sys.executable, "-m", "pouchline", *argv, *SHORT], cwd=cwd, capture_output=True, text=True,
                         timeout=900)
    assert res.returncode == 0, res.stderr
    out = cwd / argv[argv.index("--out") + 1]
    return SimpleNamespace(cwd=cwd, out=out, res=res, readme=(out / "README.md").read_text(encoding="utf-8"),
                           summary=json.loads((out / "summary.json").read_text(encoding="utf-8")))


def no_scientific(text: str) -> list[str]:
    return [line for line in text.splitlines() if SCIENTIFIC.search(IDENTIFIERS.sub("", line))]


def test_no_scientific_notation_in_readme_or_terminal(main_job):
    assert not no_scientific(main_job.readme)
    assert not no_scientific(main_job.res.stdout)
    assert "None" not in main_job.readme and "nan" not in main_job.readme.lower().replace("nanoparticle", "")


def test_fixture_block(main_job):
    # 30 MPa on the 300 x 100 mm electrode is 900 kN (Liu2025 Methods: clamped at 30 MPa)
    assert "## The fixture decides go or no-go" in main_job.readme
    assert "900 kN" in main_job.readme and "Cell with its fixture" in main_job.readme
    fx = main_job.summary["fixture"]
    assert fx["force_kN"] == pytest.approx(900.0)
    # the GWh line circulates fixtures of 10 cells (gwh-line.yaml carriers.fixtures), and plan takes that number
    assert fx["cells_per_fixture"] == 10 and fx["module_cells"] == 12
    assert any(w["source"] == "fixture" and "10 cells per fixture" in w["message"] for w in main_job.summary["warnings"])
    assert fx["go"] is False and fx["verdict"].startswith("no-go")
    assert fx["pressure_for_target_MPa"] < fx["paper_min_pressure_MPa"] == 20.0
    # Wh/kg with the fixture: the cell's energy over the cell's mass and its share of the fixture's
    s = main_job.summary
    assert fx["mass_per_cell_g"] == pytest.approx(fx["mass_g"] / 10, rel=1e-12)
    assert fx["with_fixture_Wh_kg"] == pytest.approx(
        s["energy_Wh"] / (s["mass_g"] + fx["mass_per_cell_g"]) * 1000, rel=1e-9)
    assert fx["cost_per_cell_usd"] > s["cost_per_cell_usd"]  # the steel costs several times the cell
    assert "fixture:" in main_job.res.stdout and "no-go" in main_job.res.stdout


def test_warnings_collected_once(main_job):
    w = main_job.summary["warnings"]
    assert w and all(set(x) == {"source", "message", "severity", "subjects"} for x in w)
    assert len({(x["source"], x["message"]) for x in w}) == len(w)  # de-duplicated
    atm = [x for x in w if x["source"] == "atmosphere"]
    # the nine sulfide stations of the GWh line's dry room are one warning naming them, not nine lines
    assert len(atm) == 1 and len(atm[0]["subjects"]) == 9 and "stacker" in atm[0]["subjects"]
    assert "Rev B, derived for this plan" in atm[0]["message"]
    assert any(x["source"] == "supply" and "In" in x["subjects"] for x in w)
    assert any(x["source"] == "fixture" for x in w)
    # README and terminal show the same list, once each
    assert f"## Warnings ({len(w)})" in main_job.readme
    assert main_job.readme.count("(atmosphere):") == 1
    assert f"warnings ({len(w)}):" in main_job.res.stdout
    assert main_job.res.stderr.count("another atmosphere") == 0  # no longer nine lines on stderr


def test_ranked_bottlenecks(main_job):
    s = main_job.summary
    ranked = s["bottlenecks"]
    assert ranked[0]["name"] == s["bottleneck"] and ranked[0]["rank"] == 1
    assert all("line_limit_good_units_per_h" in r and "within_ci_of_first" in r for r in ranked)
    # line-limit capacity as MWh/yr: good cells/h x scheduled h/yr x Wh per cell
    sim = json.loads((main_job.out / "simulation.json").read_text())
    hours = sim["good_units_per_year"] / sim["throughput_units_per_h"]
    r0 = ranked[0]
    assert r0["line_limit_MWh_per_yr"] == pytest.approx(r0["line_limit_good_units_per_h"] * hours * s["energy_Wh"] / 1e6,
                                                        rel=1e-9)
    assert "### Near-bottlenecks" in main_job.readme
    table = [line for line in main_job.readme.splitlines() if line.startswith(f"| 1 | {r0['name']} |")]
    assert table and "good cells/h" in table[0]


def test_one_annual_output(main_job):
    s = main_job.summary
    a = s["annual_output"]
    assert a["MWh_per_yr"] == pytest.approx(s["MWh_per_year"], rel=1e-12)
    lo, hi = a["MWh_per_yr_ci95"]
    assert lo < a["MWh_per_yr"] < hi
    assert "simulation noise only" in a["interval_covers"] and "2 replications" in a["interval_covers"]
    # on paper: what `cost --line` spreads costs over; the simulation makes less (blocking, failures)
    assert a["on_paper_MWh_per_yr"] > a["MWh_per_yr"]
    assert a["simulated_vs_on_paper_frac"] == pytest.approx(a["MWh_per_yr"] / a["on_paper_MWh_per_yr"] - 1, rel=1e-9)
    cost = json.loads((main_job.out / "cost.json").read_text())
    assert cost["plant"]["annual_MWh"] == pytest.approx(a["MWh_per_yr"], rel=1e-12)  # plan's cost uses the same
    assert "## The line: one annual output" in main_job.readme and "On paper" in main_job.readme


def test_same_figure_from_simulate(main_job):
    # the command the plan names gives the plan's throughput bit for bit (same cell, seed and run length)
    cmd = main_job.summary["annual_output"]["same_figure_from"][0]
    argv = shlex.split(cmd)[1:] + ["--json"]
    res = subprocess.run([sys.executable, "-m", "pouchline", *argv], cwd=main_job.cwd, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    sim = json.loads(res.stdout)
    assert sim["throughput_units_per_h"] == main_job.summary["throughput_units_per_h"]
    assert sim["energy_MWh_per_year"] == pytest.approx(main_job.summary["MWh_per_year"], rel=1e-12)


def test_charts(main_job):
    for name in ("yield_loss_by_step", "cost_waterfall", "capex_by_station", "oee_by_station", "station_states",
                 "energy_vs_layers", "throughput_over_time", "rampup"):
        assert (main_job.out / "charts" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"charts/{name}.png" in main_job.readme


def test_plan_json_on_stdout(tmp_path):
    res = subprocess.run([sys.executable, "-m", "pouchline", "plan", str(DEFAULT_RECIPE), "--line",
                          str(RECIPES / "lines" / "pilot-line.yaml"), "--days", "3", "--warmup-days", "1",
                          "--replications", "1", "--rampup-months", "0", "--json", "--out", str(tmp_path / "p")],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)  # nothing but the JSON on stdout
    on_disk = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert d["warnings"] == on_disk["warnings"] and d["fixture"] == on_disk["fixture"]
    assert d["out"] == str(tmp_path / "p") and any(f.endswith("README.md") for f in d["files"])


def test_warns_before_writing_beside_foreign_files(tmp_path):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    cmd = [sys.executable, "-m", "pouchline", "plan", str(DEFAULT_RECIPE), "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 2 and "notes.txt" in res.stderr and "--force" in res.stderr
    res = subprocess.run([*cmd, "--force"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "warning:" in res.stderr and "notes.txt" in res.stderr
    w = json.loads((out / "summary.json").read_text())["warnings"]
    assert any(x["source"] == "output folder" and "notes.txt" in x["subjects"] for x in w)
    assert (out / "notes.txt").read_text() == "mine"


def _plan_json(tmp_path, name, *extra):
    res = subprocess.run([sys.executable, "-m", "pouchline", "plan", str(DEFAULT_RECIPE), *extra, "--json", "--out",
                          str(tmp_path / name)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_plan_fixture_means_what_cost_fixture_means(tmp_path):
    # --fixture puts the fixture's share in $/cell, as `pouchline cost --fixture` does (the recipe's own
    # cell, no line: the default plant, nothing simulated)
    without = _plan_json(tmp_path, "a")
    with_fx = _plan_json(tmp_path, "b", "--fixture")
    res = subprocess.run([sys.executable, "-m", "pouchline", "cost", str(DEFAULT_RECIPE), "--fixture", "--json"],
                         capture_output=True, text=True, timeout=600)
    cost = json.loads(res.stdout)
    assert with_fx["fixture_in_cost"] is True and without["fixture_in_cost"] is False
    assert with_fx["cost_per_cell_usd"] == pytest.approx(cost["cost_per_cell_usd"], rel=1e-9)
    assert with_fx["fixture"]["cost_in_cell_cost"] is True
    assert with_fx["cost_per_cell_usd"] > without["cost_per_cell_usd"] + 0.9 * without["fixture"]["cost_per_cell_usd"]


def test_cells_per_fixture(tmp_path):
    # four cells between one pair of plates share its mass: mass per cell = fixture mass / 4
    d = _plan_json(tmp_path, "c", "--cells-per-fixture", "4")
    fx = d["fixture"]
    assert fx["cells_per_fixture"] == 4
    assert fx["mass_per_cell_g"] == pytest.approx(fx["mass_g"] / 4, rel=1e-12)
