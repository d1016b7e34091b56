"""The materials library: element compositions from formulas, world supply, and the value checks
that refuse non-finite and impossible numbers (issue 19)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import pytest
import yaml

from conftest import DEFAULT_RECIPE, MATERIALS, ROOT

from pouchline.errors import InputError
from pouchline.fileio import validate_model
from pouchline.materials import MaterialLibrary, formula_atoms, mass_fractions_from_atoms
from pouchline.recipe.io import load_recipe_and_materials

# Standard atomic weights (IUPAC 2021), typed here so the hand calculations do not reuse the code's table.
LI, P, S, CL, CO, O, C, F = 6.94, 30.974, 32.06, 35.45, 58.933, 15.999, 12.011, 18.998
IN, SN, BI = 114.818, 118.71, 208.98


@pytest.fixture(scope="module")
def lib_data():
    return yaml.safe_load(MATERIALS.read_text(encoding="utf-8"))


def _library(data) -> MaterialLibrary:
    return validate_model(MaterialLibrary, data, "materials.yaml")


def _problems(data) -> str:
    with pytest.raises(InputError) as exc:
        _library(data)
    return str(exc.value)


# ------------------------------------------------------------------------------------------------
# element compositions, by hand
# ------------------------------------------------------------------------------------------------
def test_li6ps5cl_composition(materials):
    # Li6PS5Cl = 6 x 6.94 + 30.974 + 5 x 32.06 + 35.45 = 268.364 g/mol; Li 41.64 / 268.364 = 15.5 wt%
    m = 6 * LI + P + 5 * S + CL
    assert m == pytest.approx(268.364)
    for mid in ("lpscl_nm", "lpscl_um"):
        w = materials[mid].element_mass_fractions()
        assert w["Li"] == pytest.approx(6 * LI / m, rel=1e-6) == pytest.approx(0.155, abs=5e-4)
        assert w["P"] == pytest.approx(P / m, rel=1e-6)
        assert w["S"] == pytest.approx(5 * S / m, rel=1e-6)
        assert w["Cl"] == pytest.approx(CL / m, rel=1e-6)


def test_licoo2_composition(materials):
    # LiCoO2 = 6.94 + 58.933 + 2 x 15.999 = 97.871 g/mol; Co 60.2 wt%, Li 7.09 wt%
    m = LI + CO + 2 * O
    w = materials["lco"].element_mass_fractions()
    assert w == pytest.approx({"Li": LI / m, "Co": CO / m, "O": 2 * O / m}, rel=1e-6)
    assert w["Co"] == pytest.approx(0.602, abs=5e-4)


def test_alloy_composition_from_atomic_percent(materials):
    # In0.38Sn0.33Bi0.29: 43.63 + 39.17 + 60.60 = 143.41 g per mole of atoms; In 30.42 wt%
    total = 0.38 * IN + 0.33 * SN + 0.29 * BI
    w = materials["insnbi"].element_mass_fractions()
    assert w["In"] == pytest.approx(0.38 * IN / total, rel=1e-6) == pytest.approx(0.3042, abs=5e-5)
    assert w["Sn"] == pytest.approx(0.33 * SN / total, rel=1e-6)
    assert w["Bi"] == pytest.approx(0.29 * BI / total, rel=1e-6)


def test_ptfe_vgcf_and_metals(materials):
    # PTFE repeat unit C2F4 = 24.022 + 75.992 = 100.014 g/mol: C 24.0 wt%, F 76.0 wt%
    w = materials["ptfe"].element_mass_fractions()
    assert w == pytest.approx({"C": 2 * C / (2 * C + 4 * F), "F": 4 * F / (2 * C + 4 * F)}, rel=1e-6)
    for mid, el in (("vgcf", "C"), ("cu_foil", "Cu"), ("al_foil", "Al"), ("li_foil", "Li"), ("indium", "In"),
                    ("tin", "Sn"), ("bismuth", "Bi")):
        assert materials[mid].element_mass_fractions() == {el: 1.0}


def test_mixtures_are_not_resolved(materials):
    for mid in ("pouch_film", "tab_ni", "tab_al"):
        assert materials[mid].element_mass_fractions() is None
        assert "not resolved" in materials[mid].composition_gap()


def test_every_composition_sums_to_one(materials):
    # Conservation: the element fractions of a material are its whole mass.
    for m in materials.materials:
        w = m.element_mass_fractions()
        if w is not None:
            assert sum(w.values()) == pytest.approx(1.0, abs=1e-12), m.id


@pytest.mark.parametrize("formula, atoms", [
    ("Li6PS5Cl", {"Li": 6, "P": 1, "S": 5, "Cl": 1}),
    ("LiNi0.83Co0.12Mn0.05O2", {"Li": 1, "Ni": 0.83, "Co": 0.12, "Mn": 0.05, "O": 2}),
    ("(C2F4)n", {"C": 2, "F": 4}),
    ("Al2(SO4)3", {"Al": 2, "S": 3, "O": 12}),
    ("Ca(OH)2", {"Ca": 1, "O": 2, "H": 2}),
])
def test_formula_atoms(formula, atoms):
    assert formula_atoms(formula) == pytest.approx(atoms)


@pytest.mark.parametrize("formula, fragment", [
    ("Xx2", "not a chemical element"), ("Li(", "never closed"), ("Li)", "closes no"), ("2Li", "follows no element"),
    ("C2F4n", "repeat unit"), ("Li0", "positive"), ("Li-6", "cannot read"), ("", "non-empty"),
])
def test_bad_formulas(formula, fragment):
    with pytest.raises(ValueError, match=fragment):
        formula_atoms(formula)


def test_mass_fractions_of_a_formula_unit():
    # LiF: 6.94 / (6.94 + 18.998) = 26.76 wt% Li
    assert mass_fractions_from_atoms({"Li": 1, "F": 1})["Li"] == pytest.approx(LI / (LI + F), rel=1e-6)


# ------------------------------------------------------------------------------------------------
# consistency of formula, composition and molar mass
# ------------------------------------------------------------------------------------------------
def _material(data, mid):
    return next(m for m in data["materials"] if m["id"] == mid)


def test_wrong_molar_mass_is_refused(lib_data):
    # The library once said 539.5 g/mol for Li6PS5Cl: twice the formula mass (268.36).
    data = copy.deepcopy(lib_data)
    _material(data, "lpscl_um")["molar_mass_g_mol"] = 539.5
    msg = _problems(data)
    assert "materials.yaml: materials.lpscl_um" in msg and "molar_mass_g_mol 539.5" in msg and "268.36" in msg


def test_formula_must_match_alloy_composition(lib_data):
    data = copy.deepcopy(lib_data)
    _material(data, "insnbi")["formula"] = "In0.5Sn0.2Bi0.3"
    msg = _problems(data)
    assert "materials.insnbi" in msg and "disagrees with the formula" in msg


def test_alloy_element_without_atomic_mass_is_refused(lib_data):
    data = copy.deepcopy(lib_data)
    _material(data, "insnbi").update(formula=None, composition_at_pct={"In": 38, "Sn": 33, "Ga": 29},
                                     molar_mass_g_mol=None)
    msg = _problems(data)
    assert "composition_at_pct" in msg and "'Ga'" in msg and "allowed:" in msg


def test_formula_with_an_element_lacking_a_weight_is_kept_but_not_resolved(lib_data):
    # A real element pouchline has no atomic mass for (Ti) does not block the library; the material
    # is reported as not resolved to elements.
    data = copy.deepcopy(lib_data)
    _material(data, "ncm83").update(formula="Li1.3Al0.3Ti1.7(PO4)3", molar_mass_g_mol=None)
    lib = _library(data)
    assert lib["ncm83"].element_mass_fractions() is None
    assert "Ti" in lib["ncm83"].composition_gap()


# ------------------------------------------------------------------------------------------------
# issue 19: non-finite and impossible values, named by file and field
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("override, field, fragment", [
    ("materials.indium.price.high.value=.inf", "materials.indium.price.high.value", "finite"),
    ("materials.insnbi.composition_at_pct.In=.nan", "materials.insnbi.composition_at_pct.In", "finite"),
    ("materials.insnbi.melting_point_C=.nan", "materials.insnbi.melting_point_C", "finite"),
    ("materials.insnbi.melting_point_C=-500", "materials.insnbi.melting_point_C", "greater than -273.15"),
    ("materials.lco.density_g_cm3=-2", "materials.lco.density_g_cm3", "greater than 0"),
    ("materials.lco.density_g_cm3=1e6", "materials.lco.density_g_cm3", "less than or equal to 30"),
    ("materials.tin.price.base.value=-1", "materials.tin.price.base.value", "greater than or equal to 0"),
    ("materials.lco.specific_capacity_mAh_g=.inf", "materials.lco.specific_capacity_mAh_g", "finite"),
    ("materials.pouch_film.areal_density_g_m2=.nan", "materials.pouch_film.areal_density_g_m2", "finite"),
    ("materials.tab_al.mass_per_each_g=0", "materials.tab_al.mass_per_each_g", "greater than 0"),
])
def test_set_refuses_non_finite_and_impossible_values(override, field, fragment):
    with pytest.raises(InputError) as exc:
        load_recipe_and_materials(DEFAULT_RECIPE, overrides=[override])
    msg = str(exc.value)
    # .inf and .nan are refused already where --set is parsed (source "--set"), the rest by the library
    where = "--set: " if fragment == "finite" else "materials.yaml (with --set)"
    assert where in msg and f"{field}:" in msg and fragment in msg


def test_nan_melting_point_cannot_switch_off_the_casting_check():
    # Before: NaN compared False with every temperature, so casting below the melt passed.
    with pytest.raises(InputError, match="melting_point_C"):
        load_recipe_and_materials(DEFAULT_RECIPE, overrides=["materials.insnbi.melting_point_C=.nan",
                                                             "steps.melt_cast.temperature_C=20"])


def test_cli_exits_2_naming_file_and_field():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, "-m", "pouchline", "cost", str(DEFAULT_RECIPE), "--set",
                        "materials.indium.price.high.value=.inf"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 2
    assert "--set: materials.indium.price.high.value: '.inf' is not a finite number" in p.stderr  # refused at parsing
    assert "Traceback" not in p.stderr


# ------------------------------------------------------------------------------------------------
# world supply of the elements
# ------------------------------------------------------------------------------------------------
def test_shipped_library_has_world_figures_for_every_element_of_the_cell(materials):
    # Every element of a resolved material has an entry; all but oxygen a world production figure.
    used = {el for m in materials.materials for el in (m.element_mass_fractions() or {})}
    for el in used:
        e = materials.element(el)
        assert e is not None, el
        if el != "O":
            wp = e.world_production
            assert wp is not None and wp.value_t_per_yr > 0 and 2020 <= wp.year <= 2025, el
    assert materials.element("O").world_production is None


def test_indium_world_figure_is_the_usgs_refinery_total(materials):
    # USGS MCS 2025, Indium: world refinery production 2024e 1,080 t (order 1,000 t/yr, issue 13)
    wp = materials.element("In").world_production
    assert (wp.value_t_per_yr, wp.stage, wp.year) == (1080, "refinery", 2024)
    assert "USGS-MCS2025" in wp.source


@pytest.mark.parametrize("change, fragment", [
    (lambda e: e[0].update(symbol="Xq"), "not a chemical element symbol"),
    (lambda e: e[0]["world_production"].update(value_t_per_yr=float("nan")), "finite"),
    (lambda e: e[0]["world_production"].update(value_t_per_yr=-5), "greater than 0"),
    (lambda e: e[0]["world_production"].update(stage="guess"), "not allowed"),
    (lambda e: e[0]["world_production"].update(source="USGS"), "source tags"),
    (lambda e: e.append(copy.deepcopy(e[1])), "appears twice"),
])
def test_bad_element_entries_are_refused(lib_data, change, fragment):
    data = copy.deepcopy(lib_data)
    change(data["elements"])
    msg = _problems(data)
    assert "materials.yaml: elements" in msg and fragment in msg


def test_library_without_elements_still_loads(lib_data):
    data = copy.deepcopy(lib_data)
    del data["elements"]
    assert _library(data).elements == []
