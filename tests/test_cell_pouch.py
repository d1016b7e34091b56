"""Pouch cells from one layer: hand calculations, stacking, conservation, errors."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pytest

from pouchline.cell import energy_density_vs_layers, load_formats, size_cell, stacking_arrangement
from pouchline.cell.formats import FormatCatalogue
from pouchline.errors import InputError
from pouchline.recipe.io import DEFAULT_RECIPE_PATH, load_recipe_and_materials


@lru_cache(maxsize=None)
def load(*overrides: str):
    return load_recipe_and_materials(DEFAULT_RECIPE_PATH, overrides=list(overrides))


def test_default_is_the_papers_single_layer_cell():
    # Paper: single-layer pouch, 3.5 x 5.0 cm electrode
    c = size_cell(*load())
    assert c.layers == 1
    assert c.electrode_mm == {"length": 50.0, "width": 35.0}
    assert c.electrode_area_cm2 == pytest.approx(17.5)
    # hand calc: 17.5 cm2 x 3.46 mAh/cm2 = 60.55 mAh; x 3.44 V = 0.2083 Wh
    assert c.capacity_Ah == pytest.approx(0.06055, rel=1e-12)
    assert c.energy_Wh == pytest.approx(0.06055 * 3.44, rel=1e-12)
    # outer size: 50 + 2 x 1 mm film overhang + 15 tab + 5 seal = 72; 35 + 2 + 2 x 5 = 47
    assert c.dimensions_mm["length"] == pytest.approx(72.0)
    assert c.dimensions_mm["width"] == pytest.approx(47.0)


def test_hand_calculated_masses_of_the_single_layer_cell():
    r, m = load()
    c = size_cell(r, m)
    # Cu foil: 8 um x 8.96 g/cm3 x 17.5 cm2 = 125.44 mg; Al: 12 um x 2.70 x 17.5 = 56.7 mg
    assert c.mass_breakdown_g["anode_collector"] == pytest.approx(0.12544, rel=1e-9)
    assert c.mass_breakdown_g["cathode_collector"] == pytest.approx(0.0567, rel=1e-9)
    # film over 52 x 37 mm = 19.24 cm2 x 6.806 mg/cm2
    assert c.mass_breakdown_g["electrolyte_film"] == pytest.approx(19.24 * 41.5 * 1.64 * 0.1 / 1000, rel=1e-9)
    # prelithiation: 10 % x 5.0505 mAh/cm2 / 3860 mAh/g x 17.5 cm2
    assert c.mass_breakdown_g["prelithiation_lithium"] == pytest.approx(0.1 * 1.3 * 3.885 / 3860 * 17.5, rel=1e-9)
    # pouch: 2 x 72 x 47 mm + side walls 2 x (52 + 37) mm x stack thickness, at 203.4 g/m2
    stack_mm = c.stack["thickness_mm"]
    area_cm2 = 2 * 72 * 47 / 100 + 2 * (52 + 37) * stack_mm / 100
    assert c.mass_breakdown_g["pouch_film"] == pytest.approx(area_cm2 * 1e-4 * 203.4, rel=1e-9)
    # thickness: layer (84.20 + 41.5 + 10.15 as built) + 8 + 12 um foils + 2 x 113 um pouch
    layer_um = c.layer.cathode_thickness_um + 41.5 + c.layer.anode_thickness_as_built_um
    assert c.dimensions_mm["thickness"] == pytest.approx((layer_um + 20 + 226) / 1000, rel=1e-12)


def test_ten_Ah_on_a_long_ev_format():
    # 300 x 100 mm electrode holds 300 x 3.46 = 1038 mAh per layer: 10 Ah needs 10 layers
    c = size_cell(*load(), capacity_Ah=10, format="ev-300x100")
    assert c.layers == 10
    assert c.capacity_Ah == pytest.approx(10.38)
    assert c.stack_force_kN == pytest.approx(900.0)
    assert c.capacity_Ah >= 10
    c9 = size_cell(*load(), layers=9, format="ev-300x100")
    assert c9.capacity_Ah < 10


def test_energy_target():
    # 17.5 cm2 x 11.9024 mWh/cm2 = 0.2083 Wh per layer: 2 Wh needs 10 layers
    c = size_cell(*load(), energy_Wh=2.0)
    assert c.layers == 10 and c.energy_Wh >= 2.0


def test_exact_layer_multiple_does_not_add_a_layer():
    one = size_cell(*load(), layers=1, format="ev-300x100")
    assert size_cell(*load(), capacity_Ah=4 * one.capacity_Ah, format="ev-300x100").layers == 4


def test_mass_and_volume_breakdowns_sum_to_totals():
    for sides in ("1", "2"):
        c = size_cell(*load(f"cell.anode.cast_sides={sides}"), layers=7, format="ev-250x150")
        assert sum(c.mass_breakdown_g.values()) == pytest.approx(c.mass_g, rel=1e-12)
        assert sum(c.materials_g.values()) == pytest.approx(c.mass_g, rel=1e-12)
        d = c.dimensions_mm
        assert sum(c.volume_breakdown_cm3.values()) == pytest.approx(d["length"] * d["width"] * d["thickness"] / 1000)
        assert c.volume_breakdown_cm3["seals_margins_and_voids"] > 0
        assert c.with_fixture["mass_g"] == pytest.approx(c.mass_g + c.fixture.mass_g, rel=1e-12)
        assert c.fixture_materials_g == {"fixture_steel": pytest.approx(c.fixture.mass_g)}


def test_scopes_are_ordered():
    # each scope adds mass: jellyroll > stack > cell > cell in fixture in Wh/kg
    c = size_cell(*load(), capacity_Ah=10, format="ev-300x100")
    lv = c.levels
    assert lv["jellyroll"]["specific_energy_Wh_kg"] > lv["stack"]["specific_energy_Wh_kg"] \
        > lv["cell"]["specific_energy_Wh_kg"] > lv["cell_in_fixture"]["specific_energy_Wh_kg"]
    assert c.specific_energy_Wh_kg == lv["cell"]["specific_energy_Wh_kg"]


def test_materials_by_step():
    r, m = load()
    c = size_cell(r, m, layers=3, format="lab-100x60")
    s = c.materials_by_step_g
    assert set(s["cathode_mixing"]) == {"lco", "lpscl_nm", "lpscl_um", "vgcf", "ptfe"}
    assert set(s["se_film_mixing"]) == {"lpscl_um", "ptfe"}
    assert set(s["melt_cast"]) == {"cu_foil", "insnbi"}
    assert set(s["prelithiation"]) == {"li_foil"}
    assert set(s["sealing"]) == {"pouch_film", "tab_al", "tab_ni"}
    # alloy feedstock: alloy mass x weight fractions 30.42 / 27.32 / 42.26 wt% (Mendeleev2024)
    feed = s["alloy_prep"]
    assert sum(feed.values()) == pytest.approx(c.materials_g["insnbi"], rel=1e-12)
    assert feed["indium"] / c.materials_g["insnbi"] == pytest.approx(0.3042, abs=5e-4)
    assert feed["bismuth"] / c.materials_g["insnbi"] == pytest.approx(0.4226, abs=5e-4)
    # every material of the cell is consumed once by some step (feedstock aside)
    totals: dict[str, float] = {}
    for step, items in s.items():
        if step == "alloy_prep":
            continue
        for k, v in items.items():
            totals[k] = totals.get(k, 0.0) + v
    assert totals == pytest.approx(c.materials_g, rel=1e-12)
    # Li6PS5Cl um grade is split between the cathode and the film
    assert s["cathode_mixing"]["lpscl_um"] + s["se_film_mixing"]["lpscl_um"] == pytest.approx(c.materials_g["lpscl_um"])


@pytest.mark.parametrize("n, sides, cu, al", [
    (1, 1, 1, 1), (4, 1, 4, 4), (1, 2, 1, 1), (2, 2, 1, 2), (3, 2, 2, 2), (5, 2, 3, 3), (10, 2, 5, 6),
])
def test_stacking_foil_counts(n, sides, cu, al):
    # one-sided: every layer its own foils; two-sided: N + 1 foils, the lighter (Al) outside when N is even
    a = stacking_arrangement(n, anode_sides=sides, cathode_sides=sides, cu_mg_cm2=7.17, al_mg_cm2=3.24)
    assert (a.cu_foils, a.al_foils) == (cu, al)
    if n <= 6:
        seq = a.sequence.split("|")
        assert seq.count("Cu") == cu and seq.count("Al") == al
        assert seq.count("C") == n and seq.count("A") == n and seq.count("SE") == n


def test_stacking_without_cathode_foil():
    a = stacking_arrangement(4, anode_sides=2, cathode_sides=2, cathode_collector=False)
    assert a.al_foils == 0 and "Al" not in a.sequence


def test_double_sided_saves_foil_mass():
    one = size_cell(*load("cell.anode.cast_sides=1"), layers=6, format="ev-300x100")
    two = size_cell(*load("cell.anode.cast_sides=2"), layers=6, format="ev-300x100")
    assert two.arrangement.cu_foils + two.arrangement.al_foils == 7
    assert two.mass_g < one.mass_g
    assert two.capacity_Ah == one.capacity_Ah
    assert "both sides" in two.arrangement.description


def test_cathode_sides_override():
    c = size_cell(*load("cell.anode.cast_sides=2", "cell.cathode.sides=1"), layers=4)
    assert (c.arrangement.anode_sides, c.arrangement.cathode_sides) == (2, 1)


def test_too_many_layers_is_an_input_error():
    with pytest.raises(InputError, match="max_thickness_mm"):
        size_cell(*load(), capacity_Ah=1000, format="ev-300x100")
    with pytest.raises(InputError, match="at most"):
        size_cell(*load(), layers=500)


def test_footprint_smaller_than_margins():
    with pytest.raises(InputError, match="smaller than the margins"):
        size_cell(*load(), footprint_mm=(22, 40))
    with pytest.raises(InputError, match="footprint"):
        size_cell(*load(), footprint_mm=(-30, 40))


def test_bad_requests():
    r, m = load()
    with pytest.raises(InputError):
        size_cell(r, m, layers=2, capacity_Ah=1)
    with pytest.raises(InputError):
        size_cell(r, m, layers=0)
    with pytest.raises(InputError):
        size_cell(r, m, capacity_Ah=-1)
    with pytest.raises(InputError):
        size_cell(r, m, capacity_Ah=float("nan"))
    with pytest.raises(InputError, match="not a known format"):
        size_cell(r, m, format="no-such-format")
    with pytest.raises(InputError, match="not both"):
        size_cell(r, m, format="paper-single", footprint_mm=(100, 60))


def test_negative_np_is_refused_at_load():
    with pytest.raises(InputError, match="np_ratio"):
        load_recipe_and_materials(DEFAULT_RECIPE_PATH, overrides=["cell.anode.np_ratio=-1.3"])


def test_np_below_one_plates_lithium():
    with pytest.raises(InputError, match="plate"):
        size_cell(*load("cell.anode.np_ratio=0.9"))


def test_cell_basis_format_round_trips_to_its_outer_size():
    cat = load_formats()
    f = cat.get("ev-cell-330x100")
    assert f is not None and f.basis == "cell"
    c = size_cell(*load(), format=f.id, layers=3)
    assert c.dimensions_mm["length"] == pytest.approx(330.0)
    assert c.dimensions_mm["width"] == pytest.approx(100.0)
    c2 = size_cell(*load(), footprint_mm=(330, 100), layers=3)
    assert c2.electrode_mm == pytest.approx(c.electrode_mm)


def test_custom_catalogue():
    cat = FormatCatalogue.model_validate({"formats": [
        {"id": "square", "basis": "electrode", "length_mm": "10 cm", "width_mm": 100, "source": "user: test"}]})
    c = size_cell(*load(), format="square", formats=cat)
    assert c.electrode_area_cm2 == pytest.approx(100.0)
    assert c.stack_force_kN == pytest.approx(300.0)


def test_a_format_longer_than_any_cell_made_is_refused(tmp_path):
    # issue 19: footprints were unbounded; 1,200 mm is above the longest cells made (~960 mm blade cells)
    f = tmp_path / "formats.yaml"
    f.write_text('formats:\n  - {id: huge, basis: electrode, length_mm: 3000, width_mm: 100, source: "user: typo"}\n')
    with pytest.raises(InputError) as e:
        load_formats(f)
    assert "formats.huge.length_mm" in str(e.value) and "at most 1200 mm" in str(e.value)


def test_formats_catalogue_has_sources():
    cat = load_formats()
    assert {"paper-single", "ev-300x100", "ev-250x150", "ev-300x200"} <= set(cat.ids)
    assert all(f.source.split(":")[0] in ("paper", "estimate", "sourced", "derived") for f in cat.formats)


def test_energy_density_vs_layers_table():
    r, m = load()
    df = energy_density_vs_layers(r, m, range(1, 41), format="ev-300x100")
    assert isinstance(df, pd.DataFrame) and len(df) == 40
    assert df["capacity_Ah"].is_monotonic_increasing
    assert df["cell_Wh_kg"].is_monotonic_increasing  # pouch and tabs are shared by more layers
    assert (df["cell_Wh_kg"] < df["stack_Wh_kg"]).all()
    # rows beyond the thickness limit are flagged, not refused
    df2 = energy_density_vs_layers(r, m, [1, 50, 200])
    assert df2["within_thickness_limit"].tolist() == [True, True, False]


def test_breathing():
    c = size_cell(*load(), layers=10, format="ev-300x100")
    b = c.breathing
    assert b["as_built"]["cell_thickness_mm"] == pytest.approx(c.dimensions_mm["thickness"])
    assert b["as_built"]["cell_thickness_mm"] < b["charged"]["cell_thickness_mm"] < b["fully_lithiated"]["cell_thickness_mm"]
    assert b["fully_lithiated"]["cell_energy_density_Wh_L"] < c.energy_density_Wh_L
    # fully lithiated alloy: 2.9 x its pristine thickness
    assert b["fully_lithiated"]["anode_thickness_um"] == pytest.approx(2.9 * c.layer.anode_thickness_um)


def test_to_dict_has_the_interface_keys():
    d = size_cell(*load(), capacity_Ah=10, format="ev-300x100").to_dict()
    for k in ("layers", "capacity_Ah", "energy_Wh", "mass_g", "specific_energy_Wh_kg", "energy_density_Wh_L",
              "stack_force_kN", "dimensions_mm", "jellyroll", "with_fixture", "rate_table", "materials_g", "assumptions"):
        assert k in d
    assert set(d["dimensions_mm"]) == {"length", "width", "thickness"}
    assert {"areal_capacity_mAh_cm2", "areal_mass_mg_cm2", "thickness_um", "specific_energy_Wh_kg",
            "energy_density_Wh_L"} <= set(d["jellyroll"])
    assert {"mass_g", "specific_energy_Wh_kg", "energy_density_Wh_L"} <= set(d["with_fixture"])
    assert all({"c_rate", "charge_min", "energy_Wh"} <= set(r) for r in d["rate_table"])
    assert all(isinstance(a, str) for a in d["assumptions"]) and d["assumptions"]
    import json
    json.dumps(d)  # plain data
