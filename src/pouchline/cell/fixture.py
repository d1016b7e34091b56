"""Holding the stack pressure: clamp force, steel end plates and bolts (first order).

Mechanics (process-data.md B7):

* Force F = p x A over the electrode area: 30 MPa on 35 x 50 mm is 52.5 kN; on 10 x 30 cm 900 kN.
* Each end plate is a rectangular plate, simply supported along the edges of the loaded
  electrode (spans a >= b) under the uniform stack pressure q (Roark's Formulas for Stress and
  Strain, 8th ed. 2012, Table 11.4 case 1a, nu = 0.3):
  sigma_max = beta q b^2 / t^2 and y_max = alpha q b^4 / (E t^3), with beta and alpha
  interpolated linearly in a/b from Roark's table (in b/a beyond a/b = 5).
  The thickness is the larger of the one that keeps sigma_max at the allowable stress and the one
  that keeps y_max at the allowed deflection. The plate extends a flange beyond the sealed cell
  for the bolts; its mass is its full footprint x thickness x steel density.
* Bolts: n = F / (proof load x utilisation), rounded up to an even number and at least 4
  (bolts sit in pairs about the cell).

This ignores the pouch's seal area (not loaded), bolt heads and nuts beyond the bolt mass,
and the extra bending from bolts placed outside the electrode span; the deflection limit
makes the plate stiff enough that the latter is second order.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from pouchline.recipe.conversions import force_kN
from pouchline.recipe.design import FixtureDesign

#: Roark's Formulas, 8th ed., Table 11.4 case 1a: simply supported rectangular plate, uniform load.
ROARK_A_OVER_B = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 3.0, 4.0, 5.0)
ROARK_BETA = (0.2874, 0.3762, 0.4530, 0.5172, 0.5688, 0.6102, 0.7134, 0.7410, 0.7476)
ROARK_ALPHA = (0.0444, 0.0616, 0.0770, 0.0906, 0.1017, 0.1110, 0.1335, 0.1400, 0.1417)
ROARK_BETA_INF = 0.7500
ROARK_ALPHA_INF = 0.1421


def stack_force_kN(pressure_MPa: float, area_cm2: float) -> float:
    """Clamping force holding a stack at a pressure: 30 MPa on 17.5 cm2 is 52.5 kN."""
    return force_kN(pressure_MPa, area_cm2)


def roark_coefficients(a_mm: float, b_mm: float) -> tuple[float, float]:
    """(beta, alpha) of a simply supported rectangular plate under uniform load, any orientation.

    a/b = 1.43 gives about (0.463, 0.079); a/b = 3 gives (0.713, 0.134) (process-data.md B7).
    """
    a, b = max(a_mm, b_mm), min(a_mm, b_mm)
    r = a / b
    if r <= ROARK_A_OVER_B[-1]:
        return (float(np.interp(r, ROARK_A_OVER_B, ROARK_BETA)), float(np.interp(r, ROARK_A_OVER_B, ROARK_ALPHA)))
    w = (1.0 / ROARK_A_OVER_B[-1] - 1.0 / r) / (1.0 / ROARK_A_OVER_B[-1])  # 0 at a/b = 5, 1 at infinity
    return (ROARK_BETA[-1] + w * (ROARK_BETA_INF - ROARK_BETA[-1]),
            ROARK_ALPHA[-1] + w * (ROARK_ALPHA_INF - ROARK_ALPHA[-1]))


def plate_thickness_mm(pressure_MPa: float, a_mm: float, b_mm: float, *, allowable_stress_MPa: float,
                       youngs_modulus_GPa: float, max_deflection_um: float) -> tuple[float, float, float]:
    """(thickness, thickness for stress, thickness for deflection) of an end plate, mm.

    35 x 50 mm at 30 MPa, 160 MPa allowable: 10.3 mm for stress (16 um deflection);
    100 x 300 mm: 37 mm for stress, 59 mm for 10 um deflection (process-data.md B7).
    """
    beta, alpha = roark_coefficients(a_mm, b_mm)
    b = min(a_mm, b_mm)
    t_s = b * math.sqrt(beta * pressure_MPa / allowable_stress_MPa)
    t_y = (alpha * pressure_MPa * b**4 / (youngs_modulus_GPa * 1000.0 * max_deflection_um / 1000.0)) ** (1.0 / 3.0)
    return max(t_s, t_y), t_s, t_y


def bolt_count(force_kN_: float, proof_load_kN: float, utilisation_frac: float) -> int:
    """Bolts to hold a force at a fraction of their proof load: even, at least 4.

    52.5 kN on M8 8.8 (21 kN proof) at 55 %: 4.5 -> 6.
    """
    n = math.ceil(force_kN_ / (proof_load_kN * utilisation_frac) - 1e-9)
    n = max(4, n)
    return n + (n % 2)


@dataclass(frozen=True)
class FixtureResult:
    """End plates and bolts holding one fixture's stack at the stack pressure."""

    pressure_MPa: float
    loaded_area_cm2: float
    force_kN: float
    span_a_mm: float
    span_b_mm: float
    beta: float
    alpha: float
    thickness_for_stress_mm: float
    thickness_for_deflection_mm: float
    plate_thickness_mm: float
    governs: str
    stress_MPa: float
    deflection_um: float
    plate_length_mm: float
    plate_width_mm: float
    plates_mass_g: float
    bolts: int
    bolt_load_kN: float
    bolt_utilisation_frac: float
    bolts_mass_g: float
    mass_g: float
    cells_per_fixture: int
    mass_per_cell_g: float
    height_mm: float
    volume_cm3: float
    volume_per_cell_cm3: float
    materials_g: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def design_fixture(fixture: FixtureDesign, *, pressure_MPa: float, electrode_length_mm: float,
                   electrode_width_mm: float, cell_length_mm: float, cell_width_mm: float, cell_thickness_mm: float,
                   steel_density_g_cm3: float) -> FixtureResult:
    """Size the end plates and bolts of a fixture holding ``fixture.cells_per_fixture`` cells."""
    area = electrode_length_mm * electrode_width_mm / 100.0
    f = stack_force_kN(pressure_MPa, area)
    a, b = max(electrode_length_mm, electrode_width_mm), min(electrode_length_mm, electrode_width_mm)
    beta, alpha = roark_coefficients(a, b)
    e_gpa = fixture.youngs_modulus_GPa.target
    s_all = fixture.allowable_stress_MPa.target
    y_max = fixture.max_deflection_um.target
    t, t_s, t_y = plate_thickness_mm(pressure_MPa, a, b, allowable_stress_MPa=s_all, youngs_modulus_GPa=e_gpa,
                                     max_deflection_um=y_max)
    stress = beta * pressure_MPa * b**2 / t**2
    defl_um = alpha * pressure_MPa * b**4 / (e_gpa * 1000.0 * t**3) * 1000.0
    flange = fixture.plate_flange_mm.target
    pl, pw = cell_length_mm + 2 * flange, cell_width_mm + 2 * flange
    plates_g = 2 * pl * pw * t / 1000.0 * steel_density_g_cm3
    n = bolt_count(f, fixture.bolt_proof_load_kN.target, fixture.bolt_utilisation_frac.target)
    bolts_g = n * fixture.bolt_mass_g.target
    k = fixture.cells_per_fixture
    total = plates_g + bolts_g
    height = 2 * t + k * cell_thickness_mm
    vol = pl * pw * height / 1000.0
    notes = [
        f"clamp force {f:.1f} kN = {pressure_MPa:g} MPa x {area:g} cm2 of electrode",
        f"end plates: Roark simply supported {a:g} x {b:g} mm plate (the electrode span), uniform {pressure_MPa:g} MPa, "
        f"beta {beta:.3f}, alpha {alpha:.4f}; t = max({t_s:.1f} mm for {s_all:g} MPa allowable, {t_y:.1f} mm for "
        f"{y_max:g} um deflection at E = {e_gpa:g} GPa) = {t:.1f} mm ({'stress' if t_s >= t_y else 'deflection'} "
        f"governs); plate {pl:g} x {pw:g} mm (cell + {flange:g} mm flange), steel {steel_density_g_cm3:g} g/cm3",
        f"bolts: {f:.1f} kN / ({fixture.bolt_proof_load_kN.target:g} kN proof x {fixture.bolt_utilisation_frac.target:g})"
        f" -> {n} bolts (even, >= 4) at {f / n:.1f} kN each ({f / n / fixture.bolt_proof_load_kN.target:.0%} of proof), "
        f"{fixture.bolt_mass_g.target:g} g each",
    ]
    if k > 1:
        notes.append(f"{k} cells share one pair of plates; the fixture's mass and plate volume are divided among them")
    return FixtureResult(
        pressure_MPa=pressure_MPa, loaded_area_cm2=area, force_kN=f, span_a_mm=a, span_b_mm=b, beta=beta, alpha=alpha,
        thickness_for_stress_mm=t_s, thickness_for_deflection_mm=t_y, plate_thickness_mm=t,
        governs="stress" if t_s >= t_y else "deflection", stress_MPa=stress, deflection_um=defl_um,
        plate_length_mm=pl, plate_width_mm=pw, plates_mass_g=plates_g, bolts=n, bolt_load_kN=f / n,
        bolt_utilisation_frac=f / n / fixture.bolt_proof_load_kN.target, bolts_mass_g=bolts_g, mass_g=total,
        cells_per_fixture=k, mass_per_cell_g=total / k, height_mm=height, volume_cm3=vol, volume_per_cell_cm3=vol / k,
        materials_g={fixture.plate_material: total}, notes=notes,
    )


__all__ = ["FixtureResult", "ROARK_ALPHA", "ROARK_A_OVER_B", "ROARK_BETA", "bolt_count", "design_fixture",
           "plate_thickness_mm", "roark_coefficients", "stack_force_kN"]
