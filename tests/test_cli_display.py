"""Every figure the CLI prints for the README's main job goes through pouchline.display: no
scientific notation in any table (issue 17: "3.73e+03 good cells/h", "2.13e+03 M USD")."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import DEFAULT_RECIPE, RECIPES

from pouchline.display import SCIENTIFIC

LINE = str(RECIPES / "lines" / "gwh-line.yaml")
CELL = ["--capacity-Ah", "10", "--format", "ev-300x100"]
#: Content hashes are identifiers, not numbers ("62b4a70e8ffd" holds "0e8").
HASHES = re.compile(r"sha256:[0-9a-f]{64}|\b[0-9a-f]{12,64}\b")


@pytest.mark.parametrize("argv", [
    ["cell", str(DEFAULT_RECIPE), *CELL],
    ["cell", str(DEFAULT_RECIPE)],
    ["cost", str(DEFAULT_RECIPE), *CELL],
    ["cost", str(DEFAULT_RECIPE), "--line", LINE, *CELL],
    ["cost", str(DEFAULT_RECIPE)],
    ["demand", str(DEFAULT_RECIPE), "--line", LINE, *CELL],
    ["show", str(DEFAULT_RECIPE)],
    ["simulate", LINE, "--days", "3", "--warmup-days", "1", "--replications", "2"],
    ["rampup", LINE, "--months", "1", "--replications", "1", *CELL],
    ["sweep", str(RECIPES / "sweeps" / "example-sweep.yaml"), "--dry-run"],
], ids=lambda a: " ".join(x for x in a if not x.startswith("/"))[:60])
def test_cli_tables_have_no_scientific_notation(argv):
    res = subprocess.run([sys.executable, "-m", "pouchline", *argv], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr
    bad = [line for line in res.stdout.splitlines() if SCIENTIFIC.search(HASHES.sub("", line))]
    assert not bad, bad
    assert " None " not in res.stdout and " nan " not in res.stdout


def test_sweep_dry_run_shows_seeds_and_paths_whole():
    # a seed is an identifier: rounding it to 3-4 digits would name another scenario
    from pouchline.sweep import load_sweep, scenarios

    path = RECIPES / "sweeps" / "example-sweep.yaml"
    first = scenarios(load_sweep(path))[0]
    res = subprocess.run([sys.executable, "-m", "pouchline", "sweep", str(path), "--dry-run", "--limit", "1"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert str(first.seed) in res.stdout and "materials.indium.price.base.value" in res.stdout
    assert "{" not in res.stdout  # no Python dicts
