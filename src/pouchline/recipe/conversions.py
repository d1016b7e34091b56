"""Conversions the rest of pouchline needs: pure functions, plain floats, units in names.

References: atomic masses from the mendeleev element database (2024); flat-rolling draft limit
from Kalpakjian & Schmid, *Manufacturing Engineering and Technology* (2014).
"""

from __future__ import annotations

import math
from typing import Mapping

#: Standard atomic weights, g/mol (mendeleev 2024 / IUPAC 2021).
ATOMIC_MASS_G_MOL: dict[str, float] = {
    "Li": 6.94,
    "In": 114.818,
    "Sn": 118.71,
    "Bi": 208.98,
    "Cu": 63.546,
    "Al": 26.982,
    "Co": 58.933,
    "O": 15.999,
    # for the element composition of purchased materials (materials library formulas)
    "H": 1.008,
    "C": 12.011,
    "N": 14.007,
    "F": 18.998,
    "P": 30.974,
    "S": 32.06,
    "Cl": 35.45,
    "Mn": 54.938,
    "Fe": 55.845,
    "Ni": 58.693,
}


def atomic_to_weight_fractions(at_frac: Mapping[str, float]) -> dict[str, float]:
    """Weight fractions of an alloy from its atomic fractions (any basis; normalised).

    In0.38Sn0.33Bi0.29 -> In 0.3042, Sn 0.2732, Bi 0.4226 (Liu2025 Methods 38:33:29 at.%; Mendeleev2024 atomic weights).
    """
    masses = {el: x * ATOMIC_MASS_G_MOL[el] for el, x in at_frac.items()}
    total = sum(masses.values())
    if total <= 0:
        raise ValueError("atomic fractions must be positive")
    return {el: m / total for el, m in masses.items()}


def weight_to_atomic_fractions(wt_frac: Mapping[str, float]) -> dict[str, float]:
    """Atomic fractions of an alloy from its weight fractions (normalised)."""
    moles = {el: w / ATOMIC_MASS_G_MOL[el] for el, w in wt_frac.items()}
    total = sum(moles.values())
    if total <= 0:
        raise ValueError("weight fractions must be positive")
    return {el: n / total for el, n in moles.items()}


def mean_molar_mass_g_mol(at_frac: Mapping[str, float]) -> float:
    """Mass of one mole of atoms of the alloy, g/mol (143.41 for In0.38Sn0.33Bi0.29)."""
    total = sum(at_frac.values())
    return sum(x / total * ATOMIC_MASS_G_MOL[el] for el, x in at_frac.items())


def alloy_density_g_cm3(wt_frac: Mapping[str, float], element_density_g_cm3: Mapping[str, float]) -> float:
    """Density by the inverse rule of mixtures (ideal solution, no excess volume).

    In/Sn/Bi 30.42/27.32/42.26 wt% with 7.31/7.287/9.807 g/cm3 gives 8.18 g/cm3
    (Mendeleev2024 densities; +/-3 % estimate, measure).
    """
    total = sum(wt_frac.values())
    return 1.0 / sum((w / total) / element_density_g_cm3[el] for el, w in wt_frac.items())


def parts_to_mass_fractions(parts: Mapping[str, float]) -> dict[str, float]:
    """Mass fractions from parts by mass, normalised by their sum.

    The paper's cathode 73 / 15 / 10 / 2 / 0.8 sums to 100.8: LCO is 73/100.8 = 72.42 wt%
    (Liu2025 Methods; docs/model.md#the-cathode-composite-the-1008-parts).
    """
    total = sum(parts.values())
    if total <= 0 or any(p < 0 for p in parts.values()):
        raise ValueError("parts by mass must be >= 0 and not all zero")
    return {k: v / total for k, v in parts.items()}


def composite_areal_masses_mg_cm2(
    mass_fractions: Mapping[str, float], key_component: str, key_loading_mg_cm2: float
) -> dict[str, float]:
    """Areal mass of every component of a composite, given the loading of one of them.

    With 21.0 mg/cm2 of LCO at 73 parts in 100.8, the composite is 21.0 x 100.8/73 = 29.00 mg/cm2
    (Liu2025 Results, Methods; docs/model.md#the-cathode-composite-the-1008-parts).
    """
    if key_component not in mass_fractions:
        raise KeyError(key_component)
    w_key = mass_fractions[key_component]
    if w_key <= 0:
        raise ValueError(f"{key_component} has no mass in the composite")
    total_mg_cm2 = key_loading_mg_cm2 / w_key
    return {k: w * total_mg_cm2 for k, w in mass_fractions.items()}


def rolling_passes(start_thickness_um: float, target_thickness_um: float, reduction_per_pass: float) -> int:
    """Number of passes to roll from ``start`` to ``target`` at a nominal reduction per pass.

    Each pass leaves ``(1 - r)`` of the entering thickness; the last pass takes what is left
    (a smaller reduction). 100 um -> 8.5 um at 25 % per pass takes ceil(ln(0.085)/ln(0.75)) = 9.
    """
    if start_thickness_um <= 0 or target_thickness_um <= 0:
        raise ValueError("thicknesses must be > 0")
    if not 0 < reduction_per_pass < 1:
        raise ValueError("reduction per pass must be in (0, 1)")
    if target_thickness_um >= start_thickness_um:
        return 0
    # log1p keeps a tiny reduction from rounding 1 - r to 1 (a division by zero; found by the corruption
    # property test with r = 5e-273); a count beyond any schedule is returned as such for the caller to refuse
    n = math.log(target_thickness_um / start_thickness_um) / math.log1p(-reduction_per_pass)
    if not math.isfinite(n) or n > 1e12:
        return 10**12
    return max(1, math.ceil(n - 1e-9))


def rolling_schedule_um(
    start_thickness_um: float, target_thickness_um: float, reduction_per_pass: float
) -> list[float]:
    """Exit thickness after each pass, equal reductions, ending exactly on target.

    The reduction is spread evenly over the ``rolling_passes`` passes (each pass reduces by
    ``1 - (target/start)**(1/n)`` <= the nominal reduction), so no pass exceeds the nominal.
    """
    n = rolling_passes(start_thickness_um, target_thickness_um, reduction_per_pass)
    if n == 0:
        return []
    ratio = (target_thickness_um / start_thickness_um) ** (1.0 / n)
    out = [start_thickness_um * ratio ** (i + 1) for i in range(n)]
    out[-1] = target_thickness_um
    return out


def max_draft_um(friction_coefficient: float, roll_diameter_mm: float) -> float:
    """Largest thickness reduction in one flat-rolling pass, dh_max = mu^2 R, in um.

    Kalpakjian & Schmid (2014): R = 50 mm, mu = 0.1 -> 0.5 mm.
    """
    return friction_coefficient**2 * (roll_diameter_mm / 2.0) * 1000.0


def areal_mass_mg_cm2(thickness_um: float, density_g_cm3: float) -> float:
    """Areal mass of a dense layer: 1 um at 1 g/cm3 is 0.1 mg/cm2."""
    return thickness_um * density_g_cm3 * 0.1


def thickness_um(areal_mass_mg_cm2_: float, density_g_cm3: float) -> float:
    """Thickness of a layer from its areal mass and (effective) density."""
    return areal_mass_mg_cm2_ / (density_g_cm3 * 0.1)


def force_kN(pressure_MPa: float, area_cm2: float) -> float:
    """Force holding ``area_cm2`` at ``pressure_MPa``: 30 MPa on 17.5 cm2 is 52.5 kN."""
    return pressure_MPa * area_cm2 * 0.1
