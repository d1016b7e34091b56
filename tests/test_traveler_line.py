"""Material issue allowances from a line's yields and web trim (pouchline traveler --line)."""

from __future__ import annotations

import pytest

from pouchline.cost import load_rates
from pouchline.cost.model import resolve_step_yields
from pouchline.export.traveler_model import allowances_from_line
from pouchline.line import load_line

from conftest import RECIPES


def test_allowance_is_the_start_factor_of_the_consuming_branch(recipe):
    line = load_line(RECIPES / "lines" / "pilot-line.yaml")
    yields, _ = resolve_step_yields(recipe, load_rates(), line=line)
    by_step = {"sealing": {"pouch_film": 1.0}, "cathode_mixing": {"lco": 2.0},
               "se_film_mixing": {"lpscl_um": 1.0}, "cathode_hot_rolling": {"lpscl_um": 3.0}}
    a = allowances_from_line(recipe, by_step, line)
    # pouch film at sealing: only assembly steps from sealing on (sealing, clamping, formation) lose it
    f_seal = 1.0 / (yields["sealing"] * yields["clamping"] * yields["formation"])
    assert a["pouch_film"] == pytest.approx(f_seal - 1.0, abs=1e-4)
    # LCO at cathode mixing: the cathode branch after it, then assembly; anode and film scrap
    # (prelithiation acts on anode sheets before stacking) do not count
    cath = ["cathode_mixing", "cathode_hot_rolling", "cathode_punching"]
    asm = ["stacking", "sealing", "clamping", "formation"]
    prod = 1.0
    for s in cath + asm:
        prod *= yields[s]
    assert a["lco"] == pytest.approx(1.0 / prod - 1.0, abs=1e-4)
    # a material used at two steps gets the gram-weighted mean
    assert min(a["lco"], a["pouch_film"]) <= a["lpscl_um"] <= 1.0


def test_traveler_line_and_fixed_allowance_are_exclusive(tmp_path):
    import subprocess
    import sys

    from conftest import DEFAULT_RECIPE

    res = subprocess.run([sys.executable, "-m", "pouchline", "traveler", str(DEFAULT_RECIPE), "--lot", "L-0003",
                          "--cells", "10", "--sample", "--line", str(RECIPES / "lines" / "pilot-line.yaml"),
                          "--scrap-allowance", "0.05", "--out", str(tmp_path / "t.pdf")], capture_output=True, text=True)
    assert res.returncode == 2 and "not both" in res.stderr
