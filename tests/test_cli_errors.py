"""User mistakes across commands: exit 2, a message naming what is wrong, nothing written."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import DEFAULT_RECIPE, RECIPES

LINE = RECIPES / "lines" / "gwh-line.yaml"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pouchline", *args], capture_output=True, text=True, timeout=300)


def test_traveler_refuses_a_format_its_routing_cannot_make(tmp_path):
    # The routing punches 35 x 50 mm and sizes its fixture for that area: printing it for a
    # 300 x 100 mm cell would tell the floor to hold 900 kN with the lab cell's six M8 bolts.
    # (even as a marked sample: `pouchline derive` makes the revision for that format)
    out = tmp_path / "t.pdf"
    res = run("traveler", str(DEFAULT_RECIPE), "--lot", "L-0001", "--cells", "10", "--format", "ev-300x100",
              "--sample", "--out", str(out))
    assert res.returncode == 2, res.stderr
    assert "punches cathodes 50 x 35 mm" in res.stderr and "300 x 100 mm" in res.stderr
    assert not out.exists()


def test_traveler_refuses_a_production_card_from_an_unapproved_revision(tmp_path):
    # the shipped recipe is under review: only a marked sample may be printed from it
    out = tmp_path / "t.pdf"
    res = run("traveler", str(DEFAULT_RECIPE), "--lot", "L-0001", "--cells", "10", "--out", str(out))
    assert res.returncode == 2 and "not approved" in res.stderr and "--sample" in res.stderr
    assert not out.exists()


def test_output_path_that_is_a_folder(tmp_path):
    folder = tmp_path / "bom.xlsx"
    folder.mkdir()
    res = run("bom", str(DEFAULT_RECIPE), "--out", str(folder))
    assert res.returncode == 2 and "is a folder" in res.stderr and "Traceback" not in res.stderr


def test_plan_says_which_folders_it_creates_and_refuses_a_file_in_the_way(tmp_path):
    out = tmp_path / "new" / "plan"
    res = run("plan", str(DEFAULT_RECIPE), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert f"created folder {tmp_path / 'new'}" in res.stderr and f"created folder {out}" in res.stderr
    (tmp_path / "afile").write_text("keep")
    res = run("plan", str(DEFAULT_RECIPE), "--out", str(tmp_path / "afile" / "plan"))
    assert res.returncode == 2 and "is a file" in res.stderr
    assert (tmp_path / "afile").read_text() == "keep"


@pytest.mark.parametrize("days", ["1e9", "0", "-3", "nan"])
def test_simulation_length_is_bounded(days):
    res = run("simulate", str(LINE), "--days", days)
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_validate_checks_a_sweeps_parameter_paths(tmp_path):
    src = (RECIPES / "sweeps" / "example-sweep.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "sweep.yaml"
    bad.write_text(src.replace("cell.electrolyte_film.thickness_um:", "cell.electrolyte_film.thicknes_um:")
                   .replace("../", str(RECIPES) + "/"), encoding="utf-8")
    res = run("validate", str(bad))
    assert res.returncode == 2 and "thicknes_um" in res.stderr and "did you mean thickness_um" in res.stderr
    ok = run("validate", str(RECIPES / "sweeps" / "example-sweep.yaml"))
    assert ok.returncode == 0 and "60 scenarios" in ok.stdout
