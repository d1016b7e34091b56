"""The CLI on hostile paths (issue 19): OS errors are exit 2 naming the path, and a plan folder is
one unit (checked first, written beside the target, moved into place; kill -9 leaves no half plan)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DEFAULT_RECIPE, RECIPES, ROOT
from pouchline.export.plan_report import MANIFEST

LINE = RECIPES / "lines" / "pilot-line.yaml"


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pouchline", *args], capture_output=True, text=True,
                          timeout=timeout)


def plan_files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def temp_folders(parent: Path, name: str) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(f".{name}.plan-")]


# -- OS errors ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["bom", str(DEFAULT_RECIPE)], ["traveler", str(DEFAULT_RECIPE), "--lot", "L-0001",
                                                                      "--cells", "10", "--sample"]])
def test_an_output_path_under_a_file_is_exit_2_naming_it(tmp_path, command):
    (tmp_path / "some-file").write_text("x")
    target = tmp_path / "some-file" / "out.bin"
    res = cli(*command, "--out", str(target))
    assert res.returncode == 2, res.stderr
    assert str(target) in res.stderr and "internal error" not in res.stderr


def test_an_os_error_inside_a_command_is_exit_2(monkeypatch, capsys):
    from pouchline.cli import main

    def boom(args):
        raise PermissionError(13, "Permission denied", "/some/where.yaml")

    monkeypatch.setattr("pouchline.cli.recipe_cmds.run_validate", boom)  # registered anew by every main()
    assert main(["validate", "x.yaml"]) == 2
    assert "error: /some/where.yaml: Permission denied" in capsys.readouterr().err


# -- the plan folder ------------------------------------------------------------------------------------------
def test_a_bad_lot_is_refused_before_anything_is_computed_or_written(tmp_path):
    out = tmp_path / "new" / "plan"
    t0 = time.perf_counter()
    res = cli("plan", str(DEFAULT_RECIPE), "--line", str(LINE), "--days", "60", "--lot", "../etc", "--out", str(out))
    assert res.returncode == 2 and "is not a lot number" in res.stderr
    assert not (tmp_path / "new").exists()  # not even the parent folder
    assert "simulating" not in res.stderr and time.perf_counter() - t0 < 60


def test_a_folder_with_foreign_files_needs_force_and_keeps_them(tmp_path):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "notes.docx").write_text("mine")
    res = cli("plan", str(DEFAULT_RECIPE), "--out", str(out))
    assert res.returncode == 2 and "notes.docx" in res.stderr and "--force" in res.stderr
    assert plan_files(out) == {"notes.docx"}
    res = cli("plan", str(DEFAULT_RECIPE), "--out", str(out), "--force")
    assert res.returncode == 0, res.stderr
    assert "warning" in res.stderr and "notes.docx" in res.stderr
    assert (out / "notes.docx").read_text() == "mine"
    listed = json.loads((out / MANIFEST).read_text())["files"]
    assert "notes.docx" not in listed and set(listed) | {"notes.docx", MANIFEST} == plan_files(out)


def test_a_second_plan_replaces_the_first_as_a_whole(tmp_path):
    out = tmp_path / "plan"
    # with a line: simulation.json and the station charts; the second plan has no line
    res = cli("plan", str(DEFAULT_RECIPE), "--line", str(LINE), "--days", "3", "--warmup-days", "1",
              "--replications", "1", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert (out / "simulation.json").exists() and (out / "charts" / "station_states.png").exists()
    res = cli("plan", str(DEFAULT_RECIPE), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert not (out / "simulation.json").exists()  # nothing left from the first run
    assert not (out / "charts" / "station_states.png").exists()
    assert set(json.loads((out / MANIFEST).read_text())["files"]) | {MANIFEST} == plan_files(out)
    assert not temp_folders(tmp_path, "plan")
    assert oct(out.stat().st_mode & 0o777) != oct(0o700)  # an ordinary folder, not mkdtemp's private one


def _kill_while_writing(tmp_path: Path, out: Path) -> None:
    """Start a plan with a line simulation and kill -9 it once its temporary folder exists."""
    proc = subprocess.Popen([sys.executable, "-m", "pouchline", "plan", str(DEFAULT_RECIPE), "--line", str(LINE),
                             "--days", "20", "--warmup-days", "1", "--replications", "1", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            tmp = temp_folders(out.parent, out.name)
            if tmp and any(tmp[0].rglob("*.json")):  # a few files written, more to come
                break
            time.sleep(0.01)
        if proc.poll() is not None:
            pytest.skip("the plan finished before it could be interrupted (a very fast machine)")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_kill_9_while_writing_leaves_no_half_written_folder(tmp_path):
    out = tmp_path / "plan"
    _kill_while_writing(tmp_path, out)
    assert not out.exists()  # the package was never moved into place
    assert temp_folders(tmp_path, "plan")  # the hidden temporary folder of the killed run
    res = cli("plan", str(DEFAULT_RECIPE), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert not temp_folders(tmp_path, "plan")  # the next run removed it
    assert set(json.loads((out / MANIFEST).read_text())["files"]) | {MANIFEST} == plan_files(out)


def test_kill_9_while_replacing_keeps_the_earlier_plan_whole(tmp_path):
    out = tmp_path / "plan"
    res = cli("plan", str(DEFAULT_RECIPE), "--out", str(out))
    assert res.returncode == 0, res.stderr
    before = {p: (out / p).read_bytes() for p in plan_files(out)}
    _kill_while_writing(tmp_path, out)
    assert {p: (out / p).read_bytes() for p in plan_files(out)} == before


def test_a_temporary_file_of_a_killed_write_is_removed_by_the_next_one(tmp_path):
    from pouchline.fileio import atomic_write

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that has ended
    stale = tmp_path / f".bom.xlsx.{pid}.k9x2.tmp"
    stale.write_bytes(b"half a workbook")
    mine = tmp_path / f".bom.xlsx.{os.getpid()}.live.tmp"  # a running writer's (this process): kept
    mine.write_bytes(b"in progress")
    atomic_write(tmp_path / "bom.xlsx", b"new")
    assert not stale.exists() and mine.exists()
    assert (tmp_path / "bom.xlsx").read_bytes() == b"new"


# -- found by the fuzz test (tests/test_fuzz_cli.py) ---------------------------------------------------------------
@pytest.mark.parametrize("width", ["1", "1.2e-08", "true"])
def test_a_template_column_too_narrow_to_draw_is_refused(tmp_path, width):
    # reportlab raised "flowable given negative availWidth" (exit 1): 2 x 3 pt of padding need 2.1 mm
    text = (ROOT / "templates" / "traveler-default.yaml").read_text(encoding="utf-8")
    template = tmp_path / "t.yaml"
    assert "width_mm: 9}" in text  # the "No." column of the steps table
    template.write_text(text.replace("width_mm: 9}", f"width_mm: {width}}}", 1), encoding="utf-8")
    res = cli("traveler", str(DEFAULT_RECIPE), "--template", str(template), "--lot", "L-0001", "--cells", "10",
              "--sample", "--out", str(tmp_path / "t.pdf"))
    assert res.returncode == 2 and "width_mm" in res.stderr and str(template) in res.stderr, res.stderr


def test_traveler_names_the_line_file_whose_station_names_no_step(tmp_path):
    text = LINE.read_text(encoding="utf-8")
    line = tmp_path / "line.yaml"
    line.write_text(text.replace("step: quench", "step: no_such_step", 1), encoding="utf-8")
    res = cli("traveler", str(DEFAULT_RECIPE), "--line", str(line), "--lot", "L-0001", "--cells", "10", "--sample",
              "--out", str(tmp_path / "t.pdf"))
    assert res.returncode == 2 and f"{line}:" in res.stderr and "no_such_step" in res.stderr, res.stderr


def test_an_unknown_format_names_the_catalogue_and_the_option(tmp_path):
    formats = tmp_path / "formats.yaml"
    text = (RECIPES / "formats.yaml").read_text(encoding="utf-8")
    formats.write_text(text[: text.index("  - id: lab-100x60")], encoding="utf-8")  # only paper-single is left
    for command in ("cell", "cost"):
        res = cli(command, str(DEFAULT_RECIPE), "--formats", str(formats), "--format", "ev-300x100")
        assert res.returncode == 2 and f"{formats}: --format: 'ev-300x100'" in res.stderr, res.stderr


def test_a_cell_that_cannot_be_built_names_the_recipe_file():
    # found by the fuzz test: sizing problems said "cell: ..." instead of the file they come from
    res = cli("cell", str(DEFAULT_RECIPE), "--set", "cell.packaging.max_thickness_mm=1", "--layers", "40")
    assert res.returncode == 2, res.stderr
    assert f"{DEFAULT_RECIPE} (cell sizing): cell.packaging.max_thickness_mm: 40 layers" in res.stderr
