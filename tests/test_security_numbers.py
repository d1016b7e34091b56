"""Numbers a user writes (issue 19): a quantity is ``<number> [<unit>]`` or it is refused.

pint's parser evaluates expressions (``3==4`` was read as 12, ``pi`` as 3.14) and YAML 1.1 reads
``1:30`` as 90; ``--set`` took ``.inf`` and ``.nan`` and results came out as null with exit 0.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from conftest import DEFAULT_RECIPE
from pouchline.errors import InputError
from pouchline.recipe.io import load_recipe_and_materials, parse_override
from pouchline.units import parse_quantity, to_canonical


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pouchline", *args], capture_output=True, text=True, timeout=120)


# -- pint only sees <number> [<unit>] ----------------------------------------------------------------
@pytest.mark.parametrize("text", ["3==4", "pi", "2 pi", "2*3 mm", "1+1", "(1)", "3 mm + 4 mm", "1e999 MPa", "nan degC",
                                  "inf", "=HYPERLINK(1)", "__import__('os')", "1:30", "0x10", "", "mm"])
def test_expressions_constants_and_non_finite_numbers_are_refused(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


@pytest.mark.parametrize("text,unit,expected", [
    ("88 degC", "C", 88.0), ("88degC", "C", 88.0), ("361.15 K", "C", 88.0),  # paper: melt-cast at 88 degC
    ("41.5 um", "um", 41.5), ("41.5 µm", "um", 41.5), ("0.0415 mm", "um", 41.5), ("4.15e-5 m", "um", 41.5),
    ("7.1 mg/cm2", "mg_cm2", 7.1), ("7.1 mg/cm**2", "mg_cm2", 7.1), ("71 g/m**2", "mg_cm2", 7.1),
    ("0.8 wt%", "frac", 0.008), ("30 MPa", "MPa", 30.0), ("0.03 GPa", "MPa", 30.0), ("30e6 Pa", "MPa", 30.0),
    ("12 m/min", "m_min", 12.0), ("0.5 1/h", "C_rate", 0.5), ("1e3mm", "m", 1.0), ("88", "C", 88.0),
])
def test_the_units_the_project_writes_still_parse(text, unit, expected):
    assert to_canonical(text, unit) == pytest.approx(expected)


def test_a_non_finite_float_is_refused():
    for v in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError, match="finite"):
            parse_quantity(v)


# -- --set -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,why", [
    (".inf", "finite"), ("-.inf", "finite"), (".nan", "finite"), ("nan", "finite"), ("inf", "finite"),
    ("1e999", "finite"), ("1:30", "base-60"), ("0x10", "not a number"), ("3==4", "not a number"),
    ("2 pi", "constant"), ("1_000", "not a number"), ("[1, .nan]", "finite"), ("[" * 40 + "]" * 40, "levels deep"),
])
def test_set_refuses_what_is_not_a_plain_number_or_a_number_with_a_unit(raw, why):
    with pytest.raises(InputError) as exc:
        parse_override(f"cell.anode.np_ratio={raw}")
    assert why in str(exc.value) and "cell.anode.np_ratio" in str(exc.value)


@pytest.mark.parametrize("raw,value", [
    ("1.5", 1.5), ("-3", -3), ("1e3", 1000.0), ("010", 10),  # 010 is ten, not YAML 1.1's octal 8
    ("90 degC", "90 degC"), ("approved", "approved"), ('"1:30"', "1:30"), ("yes", True), ("[1, 2]", [1, 2]),
])
def test_set_keeps_plain_numbers_numbers_and_text_text(raw, value):
    assert parse_override(f"x.y={raw}")[1] == value


def test_pi_for_a_number_is_refused_naming_the_field():
    with pytest.raises(InputError) as exc:
        load_recipe_and_materials(DEFAULT_RECIPE, overrides=["steps.melt_cast.temperature_C=pi"])
    assert "steps.melt_cast.temperature_C" in str(exc.value) and "'pi'" in str(exc.value)


@pytest.mark.parametrize("override", [
    "cell.cathode.composition.0.parts=.inf",
    "materials.indium.price.high.value=.inf",
    "materials.insnbi.composition_at_pct.In=.nan",
    "steps.melt_cast.temperature_C=3==4",
    "cell.anode.np_ratio=1:30",
])
def test_the_overrides_of_the_issue_exit_2(override):
    res = cli("cost", str(DEFAULT_RECIPE), "--set", override, "--json")
    assert res.returncode == 2, res.stdout[-500:]
    assert override.split("=")[0] in res.stderr and "Traceback" not in res.stderr


def test_a_good_override_still_gives_finite_results():
    res = cli("cell", str(DEFAULT_RECIPE), "--set", "cell.anode.np_ratio=1.5", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert math.isfinite(out["energy_Wh"]) and out["energy_Wh"] > 0


@pytest.mark.parametrize("text", ["'1e999'", "'nan'", "'-Infinity'"])
def test_text_that_pydantic_reads_as_a_non_finite_float_is_refused(tmp_path, text):
    # found by the fuzz test: composition parts of '1e999' passed validation as inf and the cell
    # sizing ended in "lco has no mass in the composite" (exit 1)
    from conftest import RECIPES

    recipe = tmp_path / "r.yaml"
    src = DEFAULT_RECIPE.read_text(encoding="utf-8")
    assert "{material: lco, parts: 73}" in src
    recipe.write_text(src.replace("{material: lco, parts: 73}", f"{{material: lco, parts: {text}}}"), encoding="utf-8")
    (tmp_path / "materials.yaml").write_bytes((RECIPES / "materials.yaml").read_bytes())
    res = cli("cell", str(recipe), "--json")
    assert res.returncode == 2, res.stderr
    assert "cell.cathode.composition[0].parts" in res.stderr  # "not a finite number", or pydantic's gt=0 for nan


def test_a_tiny_bolt_utilisation_is_refused_not_a_memory_blow_up():
    # found by the fuzz test: 1e-300 of the proof load asked for ~1e302 bolts, and the tightening
    # pattern of that many ended in MemoryError (exit 1)
    res = cli("cell", str(DEFAULT_RECIPE), "--set", "cell.fixture.bolt_utilisation_frac=1e-300", "--json")
    assert res.returncode == 2, res.stderr[-300:]
    assert "cell.fixture.bolt_utilisation_frac" in res.stderr and "more than 1,000" in res.stderr
