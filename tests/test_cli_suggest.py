""""Did you mean ...?" for misspelt commands, options, choices and --set field paths (issue 17)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import DEFAULT_RECIPE


def cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pouchline", *argv], capture_output=True, text=True, timeout=300)


def test_misspelt_command():
    res = cli("plna", "x")
    assert res.returncode == 2 and "did you mean 'plan'?" in res.stderr and "Traceback" not in res.stderr


def test_misspelt_option_and_choice():
    res = cli("cell", str(DEFAULT_RECIPE), "--layrs", "3")
    assert res.returncode == 2 and "--layrs: did you mean '--layers'?" in res.stderr
    res = cli("plan", str(DEFAULT_RECIPE), "--prices", "bse", "--out", "x")
    assert res.returncode == 2 and "did you mean 'base'?" in res.stderr


@pytest.mark.parametrize("override, meant", [
    ("cell.anode.np_ratoi=1.5", "cell.anode.np_ratio"),               # a field of a section
    ("cel.anode.np_ratio=1.5", "cell.anode.np_ratio"),                # a section
    ("steps.melt_cst.temperature_C=90", "steps.melt_cast.temperature_C"),  # a list item by id
    ("steps.melt_cast.temperatur_C=90", "steps.melt_cast.temperature_C"),  # a step's parameter
    ("materials.indum.price.base.value=500", "materials.indium.price.base.value"),  # the materials library
    ("cell.fixture.cells_per_fixtur=2", "cell.fixture.cells_per_fixture"),  # a field the file leaves at its default
])
def test_misspelt_set_path(override, meant):
    res = cli("cell", str(DEFAULT_RECIPE), "--set", override)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"did you mean '{meant}'" in res.stderr or f"'{meant}' or" in res.stderr, res.stderr


def test_suggest_path_library(recipe, materials):
    from pouchline.suggest import close_matches, suggest_path

    assert suggest_path("cell.anode.np_ratio", recipe, materials) == []  # exists: nothing to suggest
    assert suggest_path("steps.melt_cast.temperature_C.tol", recipe, materials) == []
    assert suggest_path("cell.zzzz", recipe, materials) == []  # nothing close
    assert close_matches("SIMULATE", ["simulate", "size"]) == ["simulate"]


def test_a_valid_set_is_unchanged():
    res = cli("cell", str(DEFAULT_RECIPE), "--set", "cell.anode.np_ratio=-1")
    assert res.returncode == 2 and "did you mean" not in res.stderr and "cell.anode.np_ratio" in res.stderr
