"""Sweeps on hostile input (issue 19): every limit is checked before the work, by ``validate`` too;
the journal never writes through a symbolic link; a killed local sweep leaves no workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DEFAULT_RECIPE, RECIPES
from pouchline.errors import InputError
from pouchline.sweep import load_sweep
from pouchline.sweep.designs import _dedupe, grid_levels
from pouchline.sweep.model import MAX_LEVELS, MAX_SCENARIOS, Parameter

LINE = RECIPES / "lines" / "gwh-line.yaml"


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pouchline", *args], capture_output=True, text=True, timeout=timeout)


def sweep_file(tmp_path: Path, parameters: str, *, design: str = "grid", outputs: str = "[cell.energy_Wh]",
               extra: str = "") -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(f"name: t\nrecipe: {DEFAULT_RECIPE}\ndesign: {design}\n{extra}parameters:\n{parameters}\n"
                    f"outputs: {outputs}\n", encoding="utf-8")
    return path


# -- limits before the work ---------------------------------------------------------------------------------
@pytest.mark.parametrize("parameters,design,expected", [
    ("  sizing.layers: {distribution: uniform, low: 1, high: 9, levels: 1.0e+8, integer: true}", "grid",
     "less than or equal to 100000"),
    ("  cell.electrolyte_film.thickness_um: {low: 20, high: 60, steps: 100000000}", "grid",
     "less than or equal to 100000"),
    ("  cell.electrolyte_film.thickness_um: {low: 20, high: 60, step: 1.0e-7}", "grid", "points"),
    ("  cell.electrolyte_film.thickness_um: {low: 20, high: 60, steps: 10000}\n"
     "  materials.indium.price.base.value: {low: 200, high: 900, steps: 10000}", "grid", "100,000,000 scenarios"),
    ("  cell.electrolyte_film.thickness_um: {low: 20, high: 60}", "{kind: monte_carlo, samples: 100000000}",
     "less than or equal to 1000000"),
    ("  cell.electrolyte_film.thickness_um: {low: 20, high: 60}\n"
     "  cell.anode.np_ratio: {low: 1.1, high: 1.5}\n"
     "  materials.indium.price.base.value: {low: 200, high: 900}\n"
     "  materials.tin.price.base.value: {low: 20, high: 40}\n"
     "  materials.bismuth.price.base.value: {low: 10, high: 40}\n"
     "  cell.conditions.stack_pressure_MPa: {low: 10, high: 40}\n"
     "  cell.cathode.active_loading_mg_cm2: {low: 5, high: 9}\n"
     "  cell.packaging.electrode_length_mm: {low: 40, high: 60}\n"
     "  cell.packaging.electrode_width_mm: {low: 30, high: 40}\n"
     "  sizing.layers: {low: 1, high: 9, integer: true}\n"
     "  cost.annual_volume_MWh: {low: 10, high: 90}", "{kind: latin_hypercube, samples: 1000000}", "values; at most"),
])
def test_validate_refuses_what_sweep_refuses_at_once(tmp_path, capsys, parameters, design, expected):
    from pouchline.cli import main

    path = sweep_file(tmp_path, parameters, design=design)
    for args in (["validate", str(path)], ["sweep", str(path), "--dry-run"],
                 ["sweep", str(path), "--out", str(tmp_path / "r.csv")]):
        t0 = time.perf_counter()
        assert main(args) == 2, args  # in-process: every case is refused before any work
        err = capsys.readouterr().err
        assert expected in err and str(path) in err
        assert time.perf_counter() - t0 < 10  # milliseconds when idle; the old code hung
    assert not (tmp_path / "r.csv").exists()


def test_grid_levels_are_deduplicated_in_linear_time():
    # 100,000 integer quantiles of a uniform 1-9 distribution are 9 distinct levels; the old
    # pairwise de-duplication took O(n^2) (1e10 comparisons at 1e5 levels)
    p = Parameter.model_validate({"distribution": "uniform", "low": 1, "high": 9, "levels": MAX_LEVELS,
                                  "integer": True})
    t0 = time.perf_counter()
    assert grid_levels(p, "sizing.layers") == list(range(1, 10))
    assert time.perf_counter() - t0 < 5
    assert _dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]  # first-seen order kept


def test_the_shipped_sweep_still_validates():
    sweep = load_sweep(RECIPES / "sweeps" / "example-sweep.yaml")
    assert sweep.name == "layers-film-indium" and MAX_SCENARIOS >= 60


def test_base_files_are_validated_before_they_are_fingerprinted(tmp_path, monkeypatch):
    import pouchline.sweep.scenario as scenario

    bad = tmp_path / "r.yaml"
    bad.write_text(DEFAULT_RECIPE.read_text(encoding="utf-8").replace("np_ratio:", "np_ratio: -1\n  np_ratio_x:", 1))
    (tmp_path / "materials.yaml").write_bytes((RECIPES / "materials.yaml").read_bytes())
    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nrecipe: {bad}\nparameters:\n  sizing.layers: [1, 2]\noutputs: [cell.energy_Wh]\n")

    def no_hashing(obj):
        raise AssertionError("raw data fingerprinted before validation")

    monkeypatch.setattr(scenario, "fingerprint_of", no_hashing)
    with pytest.raises(InputError):
        scenario.load_context(load_sweep(path))


# -- the journal ----------------------------------------------------------------------------------------------
def test_a_symlink_at_the_journal_name_is_refused_and_its_target_kept(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("do not empty me\n")
    path = sweep_file(tmp_path, "  sizing.layers: [1, 2]")
    out = tmp_path / "results.csv"
    (tmp_path / "results.csv.journal.jsonl").symlink_to(precious)
    for extra in ([], ["--fresh"]):
        res = cli("sweep", str(path), "--executor", "serial", "--out", str(out), *extra)
        assert res.returncode == 2 and "symbolic link" in res.stderr, res.stderr
        assert precious.read_text() == "do not empty me\n"
    assert not out.exists()


def test_a_fifo_at_the_journal_name_does_not_block(tmp_path):
    path = sweep_file(tmp_path, "  sizing.layers: [1, 2]")
    os.mkfifo(tmp_path / "results.csv.journal.jsonl")
    res = cli("sweep", str(path), "--executor", "serial", "--fresh", "--out", str(tmp_path / "results.csv"),
              timeout=60)
    assert res.returncode == 2 and "not a regular file" in res.stderr, res.stderr


# -- a killed local sweep ----------------------------------------------------------------------------------------
def _descendants(pid: int) -> list:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.skipif(sys.platform != "linux", reason="process-group behaviour checked on Linux")
def test_kill_9_of_a_local_sweep_leaves_no_workers(tmp_path):
    psutil = pytest.importorskip("psutil")
    sweep = RECIPES / "sweeps" / "example-sweep.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "pouchline", "sweep", str(sweep), "--executor", "local",
                             "--workers", "2", "--fresh", "--no-plots", "--out", str(tmp_path / "r.csv")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:  # forkserver + 2 workers
            workers = _descendants(proc.pid)
            if len(workers) >= 3:
                break
            time.sleep(0.2)
        assert len(workers) >= 3, "the sweep finished or failed before its workers started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        gone, alive = psutil.wait_procs(workers, timeout=15)
        assert not alive, f"workers still running after the sweep was killed: {[p.pid for p in alive]}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for p in workers:  # only the processes this test started
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
