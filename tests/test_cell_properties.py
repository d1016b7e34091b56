"""Laws the cell module must obey, checked with hypothesis: conservation and monotonicity,
and unit round-trips at the file boundary."""

from __future__ import annotations

import math
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pouchline.cell import jellyroll, size_cell
from pouchline.errors import InputError
from pouchline.fileio import read_yaml
from pouchline.recipe.io import DEFAULT_RECIPE_PATH, load_materials, recipe_from_data

FORMATS = ["paper-single", "lab-100x60", "ev-300x100", "ev-250x150", "ev-300x200", "ev-cell-330x100"]


@lru_cache(maxsize=None)
def _base():
    return read_yaml(DEFAULT_RECIPE_PATH), load_materials(DEFAULT_RECIPE_PATH.parent / "materials.yaml")


@lru_cache(maxsize=512)
def load(*overrides: str):
    data, mats = _base()
    return recipe_from_data(data, "test", materials=mats, overrides=list(overrides))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), fmt=st.sampled_from(FORMATS), sides=st.sampled_from(["1", "2"]))
def test_more_layers_never_lower_capacity_or_energy(n, fmt, sides):
    r, m = load(f"cell.anode.cast_sides={sides}")
    a = size_cell(r, m, layers=n, format=fmt)
    b = size_cell(r, m, layers=n + 1, format=fmt)
    assert b.capacity_Ah > a.capacity_Ah and b.energy_Wh > a.energy_Wh
    assert b.mass_g > a.mass_g and b.dimensions_mm["thickness"] > a.dimensions_mm["thickness"]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), fmt=st.sampled_from(FORMATS))
def test_conservation_n_layers(n, fmt):
    # N layers of the same area hold N times one layer's capacity; the breakdowns sum to the totals
    r, m = load()
    one = size_cell(r, m, layers=1, format=fmt)
    c = size_cell(r, m, layers=n, format=fmt)
    assert c.capacity_Ah == pytest.approx(n * one.capacity_Ah, rel=1e-13)
    assert sum(c.mass_breakdown_g.values()) == pytest.approx(c.mass_g, rel=1e-12)
    assert sum(c.materials_g.values()) == pytest.approx(c.mass_g, rel=1e-12)
    assert c.with_fixture["mass_g"] == pytest.approx(c.mass_g + c.fixture.mass_per_cell_g, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(t1=st.floats(10, 100), t2=st.floats(10, 100), n=st.integers(1, 30))
def test_thinner_film_never_lowers_specific_energy(t1, t2, n):
    thin, thick = sorted((t1, t2))
    a = load(f"cell.electrolyte_film.thickness_um={thin}")
    b = load(f"cell.electrolyte_film.thickness_um={thick}")
    assert jellyroll(*a).specific_energy_Wh_kg >= jellyroll(*b).specific_energy_Wh_kg
    assert jellyroll(*a).energy_density_Wh_L >= jellyroll(*b).energy_density_Wh_L
    ca, cb = size_cell(*a, layers=n), size_cell(*b, layers=n)
    for scope in ("stack", "cell", "cell_in_fixture"):
        assert ca.levels[scope]["specific_energy_Wh_kg"] >= cb.levels[scope]["specific_energy_Wh_kg"] * (1 - 1e-12)


@settings(max_examples=40, deadline=None)
@given(np1=st.floats(1.2, 3.0), np2=st.floats(1.2, 3.0))
def test_higher_np_never_raises_specific_energy(np1, np2):
    lo, hi = sorted((np1, np2))
    assert jellyroll(*load(f"cell.anode.np_ratio={lo}")).specific_energy_Wh_kg >= \
        jellyroll(*load(f"cell.anode.np_ratio={hi}")).specific_energy_Wh_kg


@settings(max_examples=40, deadline=None)
@given(target=st.floats(0.01, 60), fmt=st.sampled_from(["lab-100x60", "ev-300x100", "ev-300x200"]))
def test_capacity_target_is_met_with_the_fewest_layers(target, fmt):
    r, m = load()
    per_layer = size_cell(r, m, layers=1, format=fmt).capacity_Ah
    try:
        c = size_cell(r, m, capacity_Ah=target, format=fmt)
    except InputError:
        # refused only when the layers it needs break the thickness limit
        with pytest.raises(InputError, match="max_thickness_mm"):
            size_cell(r, m, layers=math.ceil(target / per_layer - 1e-9), format=fmt)
        return
    assert c.capacity_Ah >= target * (1 - 1e-9)
    if c.layers > 1:
        assert size_cell(r, m, layers=c.layers - 1, format=fmt).capacity_Ah < target


@pytest.mark.parametrize("value", ["41.5", "41.5 um", "0.0415 mm", "4.15e-5 m", "41.5 µm"])
def test_film_thickness_units_round_trip(value):
    # the same thickness in any unit gives the same jellyroll
    ref = jellyroll(*load())
    j = jellyroll(*load(f"cell.electrolyte_film.thickness_um={value}"))
    assert j.specific_energy_Wh_kg == pytest.approx(ref.specific_energy_Wh_kg, rel=1e-12)
    assert j.thickness_um == pytest.approx(ref.thickness_um, rel=1e-12)


def test_pressure_units_round_trip():
    # 300 bar = 30 MPa = 30e6 Pa -> 52.5 kN on 17.5 cm2
    for v in ("300 bar", "30e6 Pa", "0.03 GPa"):
        r, m = load(f"cell.conditions.stack_pressure_MPa={v}")
        assert size_cell(r, m).stack_force_kN == pytest.approx(52.5, rel=1e-12)


def test_loading_units_round_trip():
    ref = jellyroll(*load())
    j = jellyroll(*load("cell.cathode.active_loading_mg_cm2=0.21 kg/m**2"))
    assert j.areal_mass_mg_cm2 == pytest.approx(ref.areal_mass_mg_cm2, rel=1e-12)


def test_areal_to_cell_units_round_trip():
    # mg/cm2 x cm2 -> g per cell, and back
    c = size_cell(*load(), layers=3, format="lab-100x60")
    per_area = c.layer.cathode_mg_cm2["lco"]
    assert c.materials_g["lco"] / (c.area_per_cell_cm2) * 1000 == pytest.approx(per_area, rel=1e-12)
    # Wh/kg x kg = Wh; Wh/L x L = Wh
    assert c.specific_energy_Wh_kg * c.mass_g / 1000 == pytest.approx(c.energy_Wh, rel=1e-12)
    d = c.dimensions_mm
    assert c.energy_density_Wh_L * d["length"] * d["width"] * d["thickness"] / 1e6 == pytest.approx(c.energy_Wh, rel=1e-12)
