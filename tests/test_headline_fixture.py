"""The fixture headline: what stack pressure a module-level fixture can afford (issue 17).

Hand calculations follow Roark2012 Table 11.4 case 1a: the stress-limited plate thickness is
b sqrt(beta q / sigma), so it scales with sqrt(p); the deflection-limited one is
(alpha q b^4 / (E y))^(1/3), so it scales with p^(1/3).
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pouchline.cell.fixture import (
    MODULE_CELLS_PER_FIXTURE,
    MODULE_TARGET_FRAC_OF_CELL,
    design_fixture,
    fixture_at_pressure,
    fixture_headline,
    fixture_Wh_kg,
    pressure_for_fixture_Wh_kg,
    pressure_text,
)


@pytest.fixture(scope="module")
def ev_cell(recipe, materials):
    from pouchline.cell import size_cell

    return size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")


@pytest.fixture(scope="module")
def steel(materials):
    return materials.get("fixture_steel").density_g_cm3


def synthetic(fx, **kw):
    """A fixture with round numbers: 30 MPa, plates 10 kg at 40 mm, no bolts, one cell."""
    base = dict(pressure_MPa=30.0, plate_thickness_mm=40.0, thickness_for_stress_mm=40.0,
                thickness_for_deflection_mm=1.0, plates_mass_g=10_000.0, bolts_mass_g=0.0, mass_g=10_000.0,
                cells_per_fixture=1)
    base.update(kw)
    return dataclasses.replace(fx, **base)


def test_stress_limited_plates_scale_with_sqrt_pressure(ev_cell):
    # one 10 Wh cell of 50 g at 100 Wh/kg with its fixture: 100 g in all, so the fixture may weigh 50 g;
    # 10 kg x sqrt(p / 30 MPa) = 50 g -> p = 30 x (50 / 10,000)^2 = 0.00075 MPa
    fx = synthetic(ev_cell.fixture)
    p = pressure_for_fixture_Wh_kg(100.0, fixture=fx, cell_energy_Wh=10.0, cell_mass_g=50.0)
    assert p == pytest.approx(30 * (50 / 10_000) ** 2, rel=1e-9)
    at = fixture_at_pressure(fx, p)
    assert at.governs == "stress" and at.plate_thickness_mm == pytest.approx(40 * 0.005, rel=1e-9)
    assert fixture_Wh_kg(fx, p, cell_energy_Wh=10.0, cell_mass_g=50.0) == pytest.approx(100.0, rel=1e-9)


def test_deflection_limited_plates_scale_with_cube_root_of_pressure(ev_cell):
    # the same budget with the deflection limit governing: 10 kg x (p / 30)^(1/3) = 50 g -> p = 30 x 0.005^3
    fx = synthetic(ev_cell.fixture, thickness_for_stress_mm=1.0, thickness_for_deflection_mm=40.0)
    p = pressure_for_fixture_Wh_kg(100.0, fixture=fx, cell_energy_Wh=10.0, cell_mass_g=50.0)
    assert p == pytest.approx(30 * 0.005 ** 3, rel=1e-9)
    assert fixture_at_pressure(fx, p).governs == "deflection"


def test_bolts_scale_with_force(ev_cell):
    # plates 1 kg (stress-limited) and bolts 0.5 kg at 30 MPa; M(r) = 1000 sqrt(r) + 500 r with r = p / 30.
    # Four 10 Wh cells of 50 g at 16 Wh/kg: M = 4 x (10,000 / 16 - 50) = 2,300 g.
    # 500 s^2 + 1000 s - 2300 = 0 with s = sqrt(r): s = (-1000 + sqrt(1000^2 + 4 x 500 x 2300)) / 1000 = 1.3238
    fx = synthetic(ev_cell.fixture, plates_mass_g=1000.0, bolts_mass_g=500.0, mass_g=1500.0, cells_per_fixture=4)
    s = (-1000 + math.sqrt(1000**2 + 4 * 500 * 2300)) / 1000
    p = pressure_for_fixture_Wh_kg(16.0, fixture=fx, cell_energy_Wh=10.0, cell_mass_g=50.0)
    assert p == pytest.approx(30 * s**2, rel=1e-9)
    assert p > 30  # above the fixture's own pressure: the bracket widens


def test_target_above_the_cell_alone_has_no_pressure(ev_cell):
    fx = synthetic(ev_cell.fixture)
    assert pressure_for_fixture_Wh_kg(200.0, fixture=fx, cell_energy_Wh=10.0, cell_mass_g=50.0) is None
    with pytest.raises(ValueError):
        pressure_for_fixture_Wh_kg(0.0, fixture=fx, cell_energy_Wh=10.0, cell_mass_g=50.0)


def test_at_its_own_pressure_the_scaling_returns_the_fixture(ev_cell):
    fx = ev_cell.fixture
    at = fixture_at_pressure(fx, fx.pressure_MPa)
    assert at.mass_g == pytest.approx(fx.mass_g, rel=1e-12)
    assert at.plate_thickness_mm == pytest.approx(fx.plate_thickness_mm, rel=1e-12)
    assert at.volume_cm3 == pytest.approx(fx.volume_cm3, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(p=st.floats(0.01, 200.0))
def test_scaled_plate_thickness_is_the_redesigned_plate(p, recipe, materials):
    # Law: the scaling is exact for the plates: design_fixture at p gives the same thickness.
    from pouchline.cell import size_cell

    cell = size_cell(recipe, materials, layers=2, format="ev-300x100")
    fx = cell.fixture
    redesigned = design_fixture(recipe.cell.fixture, pressure_MPa=p, electrode_length_mm=cell.electrode_mm["length"],
                                electrode_width_mm=cell.electrode_mm["width"],
                                cell_length_mm=cell.dimensions_mm["length"], cell_width_mm=cell.dimensions_mm["width"],
                                cell_thickness_mm=cell.dimensions_mm["thickness"],
                                steel_density_g_cm3=materials.get("fixture_steel").density_g_cm3)
    at = fixture_at_pressure(fx, p)
    assert at.plate_thickness_mm == pytest.approx(redesigned.plate_thickness_mm, rel=1e-9)
    assert at.plates_mass_g == pytest.approx(redesigned.plates_mass_g, rel=1e-9)
    assert at.governs == redesigned.governs


def test_ev_cell_headline(ev_cell, recipe, steel):
    # 30 MPa on the 300 x 100 mm electrode: 900 kN (Liu2025 Methods: clamped at 30 MPa)
    h = fixture_headline(ev_cell, recipe.cell.fixture, steel_density_g_cm3=steel)
    assert h.force_kN == pytest.approx(900.0)
    assert h.cells_per_fixture == 1 and h.module_cells == MODULE_CELLS_PER_FIXTURE
    # with the fixture: the cell's energy over cell + fixture mass
    assert h.with_fixture_Wh_kg == pytest.approx(ev_cell.energy_Wh / (ev_cell.mass_g + h.mass_g) * 1000, rel=1e-9)
    k = h.module_cells
    assert h.module_Wh_kg == pytest.approx(k * ev_cell.energy_Wh / (k * ev_cell.mass_g + h.module_mass_g) * 1000)
    assert h.target_Wh_kg == pytest.approx(MODULE_TARGET_FRAC_OF_CELL * ev_cell.specific_energy_Wh_kg)
    # the module at the pressure found reaches the target, and that pressure is far below the paper's 20 MPa
    assert h.pressure_for_target_MPa < 20.0 and not h.go and h.verdict.startswith("no-go")
    assert h.module_mass_g > h.mass_g  # longer bolts through 12 cells


def test_a_reachable_target_is_a_go(ev_cell, recipe, steel):
    # a target the 30 MPa module already meets needs no lower pressure: go
    low = fixture_headline(ev_cell, recipe.cell.fixture, steel_density_g_cm3=steel, module_cells=12)
    h = fixture_headline(ev_cell, recipe.cell.fixture, steel_density_g_cm3=steel, module_cells=12,
                         target_Wh_kg=0.5 * low.module_Wh_kg)
    assert h.pressure_for_target_MPa > 30.0 and h.go and h.verdict.startswith("go:")
    assert h.target_basis == "as stated"


def test_pressure_text():
    assert pressure_text(30.0) == "30 MPa"
    assert pressure_text(0.0000911) == "0.0911 kPa"
    assert pressure_text(math.inf) == "any pressure"
