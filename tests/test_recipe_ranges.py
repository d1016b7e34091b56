"""Every recipe number is finite and in its physical range, or refused naming the field (issue 19).

The cases are the ones the reliability review found: -500 degC, a 1e-300 um film, NaN and inf in a
composition's parts or at.%, absurd counts, and a 1e-6 reduction per pass that made 2.5 million
rolling passes and hung the traveler.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time

import pytest

from pouchline.errors import InputError
from pouchline.recipe.conversions import rolling_passes
from pouchline.recipe.io import apply_overrides, recipe_from_data
from pouchline.recipe.steps import MAX_ROLLING_PASSES

from conftest import DEFAULT_RECIPE


def _problems(recipe_data, materials, overrides) -> str:
    data = apply_overrides(recipe_data, overrides)
    with pytest.raises(InputError) as exc:
        recipe_from_data(data, "test.yaml", materials=materials)
    msgs = [str(p) for p in exc.value.problems]
    assert all(m.startswith("test.yaml: ") for m in msgs), msgs
    return "\n".join(msgs)


@pytest.mark.parametrize("path,value,field,fragment", [
    # below absolute zero: no temperature field takes it
    ("steps.melt_cast.temperature_C", "-500 degC", "steps.melt_cast.temperature_C", "greater than"),
    ("steps.formation.temperature_C", "-500 degC", "steps.formation.temperature_C", "at least"),
    ("cell.conditions.temperature_C", "-500 degC", "cell.conditions.temperature_C", "at least"),
    ("steps.quench.plate_temperature_C", "-500 degC", "steps.quench.plate_temperature_C", "at least"),
    # films and foils have a physical thickness
    ("cell.electrolyte_film.thickness_um", "1e-300 um", "cell.electrolyte_film.thickness_um", "at least 1"),
    ("cell.packaging.anode_collector.thickness_um", 1e-300, "cell.packaging.anode_collector.thickness_um", "at least 1"),
    ("cell.cathode.active_loading_mg_cm2", 1e-300, "cell.cathode.active_loading_mg_cm2", "at least"),
    # non-finite numbers
    ("cell.cathode.composition.0.parts", math.inf, "cell.cathode.composition", "finite"),
    ("cell.cathode.composition.0.parts", math.nan, "cell.cathode.composition", "finite"),
    ("cell.anode.composition_at_pct", {"In": math.nan, "Sn": 33, "Bi": 29}, "cell.anode.composition_at_pct", "finite"),
    ("cell.anode.composition_at_pct", {"In": math.inf, "Sn": 33, "Bi": 29}, "cell.anode.composition_at_pct", "finite"),
    ("steps.melt_cast.temperature_C", math.inf, "steps.melt_cast.temperature_C", "finite"),
    ("steps.melt_cast.temperature_C", {"target": 88, "tol": math.nan}, "steps.melt_cast.temperature_C", "finite"),
    ("cell.rate_capability.points.1.retention_frac", math.nan, "cell.rate_capability", "finite"),
    ("atmospheres.argon_glovebox.h2o_ppm_max", math.inf, "atmospheres", "finite"),
    # counts and sizes far beyond any process
    ("steps.cathode_hot_rolling.passes", 1e19, "steps.cathode_hot_rolling.passes", "whole number from 1 to 100"),
    ("steps.formation.cycles", 1e19, "steps.formation.cycles", "whole number from 1 to 100"),
    ("steps.formation.cycles", 2.5, "steps.formation.cycles", "whole number from 1 to 100"),
    ("cell.fixture.cells_per_fixture", 1e19, "cell.fixture.cells_per_fixture", "whole number from 1 to 1000"),
    ("cell.packaging.layers", 1e19, "cell.packaging.layers", "whole number from 1 to 10000"),
    ("steps.prelithiation.pressure_MPa", 1e19, "steps.prelithiation.pressure_MPa", "at most"),
    ("steps.clamping.fixture_rated_pressure_MPa", 1e19, "steps.clamping.fixture_rated_pressure_MPa", "less than"),
])
def test_out_of_range_numbers_name_the_field(recipe_data, materials, path, value, field, fragment):
    msg = _problems(recipe_data, materials, [(path, value)])
    assert field in msg and fragment in msg, msg


def test_a_tiny_reduction_per_pass_is_refused_before_the_schedule_is_built(recipe_data, materials):
    # 100 -> 8.53 um at 1e-6 per pass: ln(0.0853) / ln(1 - 1e-6) = 2.46 million passes
    assert rolling_passes(100, 8.53, 1e-6) > 2_000_000
    t0 = time.perf_counter()
    msg = _problems(recipe_data, materials, [("steps.anode_rolling.reduction_per_pass_frac", 1e-6)])
    assert time.perf_counter() - t0 < 5  # refused at once (the old code hung building the schedule)
    assert "steps.anode_rolling" in msg and f"at most {MAX_ROLLING_PASSES} passes" in msg
    # the message says what reduction per pass would do: (8.53/100)^(1/100) -> 2.43 %
    assert "0.0243" in msg


def test_a_listed_schedule_longer_than_the_limit_is_refused(recipe_data, materials):
    passes = [100 * 0.999 ** (i + 1) for i in range(MAX_ROLLING_PASSES + 1)]
    msg = _problems(recipe_data, materials, [("steps.anode_rolling.passes_um", passes)])
    assert "passes_um" in msg and str(MAX_ROLLING_PASSES) in msg


def test_validate_refuses_the_tiny_reduction_with_exit_2_quickly():
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "pouchline", "validate", str(DEFAULT_RECIPE), "--set",
                          "steps.anode_rolling.reduction_per_pass_frac=1e-6"], capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - t0 < 30
    assert res.returncode == 2 and f"at most {MAX_ROLLING_PASSES} passes" in res.stderr
    assert "Traceback" not in res.stderr


def test_the_shipped_recipe_is_inside_every_range(recipe):
    # the bounds must not refuse the paper's own numbers
    assert recipe.step("anode_rolling").n_passes == 9
