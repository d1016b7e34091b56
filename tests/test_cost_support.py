"""Helpers for the cost and BOM tests (no tests here): a small recipe, a hand-built cell and rates
with round numbers, so that expected costs can be worked out by hand."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RECIPE = ROOT / "recipes" / "insnbi-lco-pouch.yaml"

SMALL_STEPS = ("alloy_prep", "melt_cast", "cathode_mixing", "sealing")

# In0.38Sn0.33Bi0.29: 30.42 / 27.32 / 42.26 wt% (Liu2025 Methods x Mendeleev2024 atomic weights)
ALLOY_WT = {"indium": 0.3042, "tin": 0.2732, "bismuth": 0.4226}


def small_recipe(extra_overrides=()):
    """The shipped recipe cut to four steps (alloying, casting, cathode mixing, sealing)."""
    from pouchline.fileio import read_yaml
    from pouchline.recipe.io import load_materials, recipe_from_data

    data = read_yaml(DEFAULT_RECIPE)
    data["steps"] = [s for s in data["steps"] if s["id"] in SMALL_STEPS]
    data.pop("content_hash", None)
    materials = load_materials(ROOT / "recipes" / "materials.yaml")
    return recipe_from_data(data, "small recipe", materials=materials, overrides=list(extra_overrides))


def small_cell(energy_Wh: float = 10.0, layers: int = 1):
    """One cell's worth of material per step, in round numbers.

    1 g of alloy (its feedstock at alloy_prep), 2 g Cu foil, 10 g LCO, 203.4 g of pouch film (1 m2 at
    203.4 g/m2) and one Al tab (0.11 g = 1 each).
    """
    by_step = {
        "alloy_prep": dict(ALLOY_WT),
        "melt_cast": {"insnbi": 1.0, "cu_foil": 2.0},
        "cathode_mixing": {"lco": 10.0},
        "sealing": {"pouch_film": 203.4, "tab_al": 0.11},
    }
    materials_g = {"insnbi": 1.0, "cu_foil": 2.0, "lco": 10.0, "pouch_film": 203.4, "tab_al": 0.11}
    return SimpleNamespace(
        layers=layers, capacity_Ah=energy_Wh / 3.44, energy_Wh=energy_Wh, mass_g=sum(materials_g.values()),
        materials_g=materials_g, fixture_materials_g={"fixture_steel": 500.0}, materials_by_step_g=by_step,
        electrode_area_cm2=100.0, area_per_cell_cm2=100.0 * layers, assumptions=["hand-built test cell"])


# Yields 0.9 / 0.8 / 1.0 / 0.5: units started per good cell F = 1/0.36, 1/0.4, 1/0.5, 1/0.5
SMALL_YIELDS = {"alloy_prep": 0.9, "melt_cast": 0.8, "cathode_mixing": 1.0, "sealing": 0.5}


def zero_process_overrides(rates) -> dict[str, float]:
    """Rate overrides that make every plant-wide process cost zero (divisors stay 1). Machine capex and
    power are the equipment catalogue's: override them as ``equipment.<id>.capex_usd`` / ``.power_kW``."""
    out: dict[str, float] = {}
    for name in rates.flat():
        if name in ("depreciation_life_yr", "furnace_efficiency_frac", "building_area_factor"):
            out[name] = 1.0
        else:
            out[name] = 0.0
    return out
