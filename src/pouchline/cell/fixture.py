"""Holding the stack pressure: clamp force, steel end plates and bolts (first order).

Mechanics:

* Force F = p x A over the electrode area: 30 MPa on 35 x 50 mm is 52.5 kN; on 10 x 30 cm 900 kN
  (Liu2025 Methods: the pouch is clamped at 30 MPa).
* Each end plate is a rectangular plate, simply supported along the edges of the loaded
  electrode (spans a >= b) under the uniform stack pressure q (Roark2012, Table 11.4 case 1a,
  nu = 0.3): sigma_max = beta q b^2 / t^2 and y_max = alpha q b^4 / (E t^3), with beta and alpha
  interpolated linearly in a/b from Roark's table (in b/a beyond a/b = 5).
  The thickness is the larger of the one that keeps sigma_max at the allowable stress and the one
  that keeps y_max at the allowed deflection. The plate extends a flange beyond the sealed cell
  for the bolts; its mass is its full footprint x thickness x steel density.
* Bolts (ISO898-1): metric coarse bolts M8 to M30 of property class 8.8 or 10.9, proof load =
  stress area x proof stress. The bolt is the smallest preferred size (ISO 262 first choice), class
  8.8 before 10.9, whose count n = F / (proof load x utilisation), rounded up to an even number and
  at least 4, stays at or below ``max_bolts`` (12 by default: bolts spread around the flange).
  Each bolt is tightened to its share F / n with T = K F d (Shigley2015 Sec. 8-8, nut factor
  K = 0.2 when the finish is not stated), in a cross pattern in stages (ASME2019 PCC-1 legacy
  pattern: 20-30 %, 50-70 %, 100 % of the torque, then clockwise passes at 100 %).

This ignores the pouch's seal area (not loaded) and the extra bending from bolts placed outside the
electrode span; the deflection limit makes the plate stiff enough that the latter is second order.
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

    a/b = 1.43 gives about (0.463, 0.079); a/b = 3 gives (0.713, 0.134) (Roark2012 Table 11.4 case 1a).
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
    100 x 300 mm: 37 mm for stress, 59 mm for 10 um deflection (docs/model.md#the-pressure-fixture).
    """
    beta, alpha = roark_coefficients(a_mm, b_mm)
    b = min(a_mm, b_mm)
    t_s = b * math.sqrt(beta * pressure_MPa / allowable_stress_MPa)
    t_y = (alpha * pressure_MPa * b**4 / (youngs_modulus_GPa * 1000.0 * max_deflection_um / 1000.0)) ** (1.0 / 3.0)
    return max(t_s, t_y), t_s, t_y


#: Bolts beyond which a fixture is refused, not designed (issue 19: 1e-300 of proof asked for 1e302).
MAX_FIXTURE_BOLTS = 1_000


def bolt_count(force_kN_: float, proof_load_kN: float, utilisation_frac: float) -> int:
    """Bolts to hold a force at a fraction of their proof load: even, at least 4.

    52.5 kN on M8 8.8 (21 kN proof) at 55 %: 4.5 -> 6.
    """
    n = math.ceil(force_kN_ / (proof_load_kN * utilisation_frac) - 1e-9)
    n = max(4, n)
    return n + (n % 2)


# -- ISO 898-1 bolt table ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BoltSize:
    """A metric coarse-thread bolt size (ISO 261/262)."""

    name: str
    diameter_mm: float
    pitch_mm: float
    preferred: bool  # ISO 262 first-choice size

    @property
    def stress_area_mm2(self) -> float:
        """Tensile stress area, ISO 898-1: pi/4 (d - 0.9382 P)^2 (M8: 36.6 mm2, M20: 245 mm2)."""
        return math.pi / 4.0 * (self.diameter_mm - 0.9382 * self.pitch_mm) ** 2


#: Metric coarse thread sizes M8-M30 (ISO 261 pitches; ISO 262 first-choice sizes marked preferred).
BOLT_SIZES: dict[str, BoltSize] = {b.name: b for b in (
    BoltSize("M8", 8, 1.25, True), BoltSize("M10", 10, 1.5, True), BoltSize("M12", 12, 1.75, True),
    BoltSize("M14", 14, 2.0, False), BoltSize("M16", 16, 2.0, True), BoltSize("M18", 18, 2.5, False),
    BoltSize("M20", 20, 2.5, True), BoltSize("M22", 22, 2.5, False), BoltSize("M24", 24, 3.0, True),
    BoltSize("M27", 27, 3.0, False), BoltSize("M30", 30, 3.5, True),
)}
#: Property classes in the order they are tried at one size (8.8 is cheaper and more ductile).
BOLT_CLASSES = ("8.8", "10.9")
#: The nut factor K of T = K F d when the finish is not stated (Shigley2015 Sec. 8-8).
NUT_FACTOR = 0.2
#: Torque stages of the cross pattern, fractions of the final torque (ASME2019 PCC-1 legacy pattern:
#: 20-30 %, 50-70 %, 100 %), followed by clockwise passes at 100 % until no nut turns.
TIGHTENING_STAGES_FRAC = (0.3, 0.7, 1.0)
#: Flange width a bolt needs, as a multiple of its diameter (estimate: a washer of ~1.85 d, ISO 7089,
#: centred in the flange, may overlap the unloaded pouch seal slightly).
FLANGE_PER_DIAMETER = 1.75
#: Fewest bolt diameters between neighbouring bolts along the flange (estimate: wrench clearance).
MIN_PITCH_PER_DIAMETER = 3.0


def proof_stress_MPa(bolt_class: str, diameter_mm: float) -> float:
    """Stress under proof load, ISO 898-1: 8.8 is 580 MPa up to M16 and 600 MPa above; 10.9 is 830 MPa."""
    if bolt_class == "8.8":
        return 580.0 if diameter_mm <= 16 else 600.0
    if bolt_class == "10.9":
        return 830.0
    raise ValueError(f"bolt class {bolt_class!r} is not one of {BOLT_CLASSES}")


def proof_load_kN(size: str, bolt_class: str) -> float:
    """Proof load of one bolt, kN: M8 8.8 21.2, M20 10.9 203 (ISO 898-1 tables)."""
    b = BOLT_SIZES[size]
    return b.stress_area_mm2 * proof_stress_MPa(bolt_class, b.diameter_mm) / 1000.0


def tightening_torque_Nm(preload_kN: float, diameter_mm: float, nut_factor: float = NUT_FACTOR) -> float:
    """T = K F d (Shigley2015 Sec. 8-8): 75 kN on an M20 with K = 0.2 is 300 N m."""
    return nut_factor * preload_kN * diameter_mm


def min_flange_mm(diameter_mm: float) -> float:
    """Flange width a bolt of this diameter needs (estimate: 1.75 d): 14 mm for M8, 35 mm for M20."""
    return FLANGE_PER_DIAMETER * diameter_mm


def cross_pattern(n: int) -> list[int]:
    """Tightening order of ``n`` bolts numbered clockwise around the flange (n even).

    Opposite bolts go together; each next pair is the one farthest from those already tightened
    (ties: farthest from the last pair, then the lowest number). 8 bolts: 1-5-3-7-2-6-4-8 and
    12: 1-7-4-10-2-8-5-11-3-9-6-12, the ASME PCC-1 legacy cross patterns.
    """
    if n < 2 or n % 2:
        raise ValueError(f"a cross pattern needs an even number of bolts, got {n}")
    half = n // 2

    def dist(a: int, b: int) -> int:
        d = abs(a - b) % half
        return min(d, half - d)

    order = [0]
    while len(order) < half:
        rest = [i for i in range(half) if i not in order]
        order.append(max(rest, key=lambda i: (min(dist(i, j) for j in order), dist(i, order[-1]), -i)))
    return [b for i in order for b in (i + 1, i + 1 + half)]


@dataclass(frozen=True)
class BoltChoice:
    size: str
    bolt_class: str
    count: int
    proof_load_kN: float
    why: str


def choose_bolts(force_kN_: float, utilisation_frac: float, *, max_bolts: int = 12, size: str | None = None,
                 bolt_class: str | None = None) -> BoltChoice:
    """The bolts of a fixture: the smallest preferred size, 8.8 before 10.9, with at most ``max_bolts``.

    A ``size`` (and optionally ``bolt_class``) given in the design is used as it is. 52.5 kN at
    55 % of proof: 6 x M8 8.8; 900 kN: 12 x M20 8.8 (M16 10.9 would need 14).
    """
    if size is not None:
        classes = (bolt_class,) if bolt_class else BOLT_CLASSES
        for cls in classes:
            proof = proof_load_kN(size, cls)
            n = bolt_count(force_kN_, proof, utilisation_frac)
            if n <= max_bolts or cls == classes[-1]:
                return BoltChoice(size, cls, n, proof, f"{size} class {cls} as the design gives")
    sizes = [b.name for b in BOLT_SIZES.values() if b.preferred]
    classes = (bolt_class,) if bolt_class else BOLT_CLASSES
    for name in sizes:
        for cls in classes:
            proof = proof_load_kN(name, cls)
            n = bolt_count(force_kN_, proof, utilisation_frac)
            if n <= max_bolts:
                return BoltChoice(name, cls, n, proof, f"the smallest preferred size (ISO 262) whose count stays "
                                  f"<= {max_bolts} at {utilisation_frac:.0%} of proof")
    name, cls = sizes[-1], classes[-1]
    proof = proof_load_kN(name, cls)
    n = bolt_count(force_kN_, proof, utilisation_frac)
    return BoltChoice(name, cls, n, proof, f"even {name} class {cls} needs {n} bolts, more than the {max_bolts} "
                      "a flange takes well: use a press frame or tie rods instead of bolts")


def bolt_mass_g(diameter_mm: float, grip_mm: float, steel_density_g_cm3: float) -> float:
    """Mass of one bolt with its nut and two washers (estimate from ISO 4017/4032/7089 proportions).

    Hex head 1.5 d across flats x 0.625 d, nut 0.84 d high, two washers 2 d x 0.15 d, and a
    shank through the grip plus the nut and half a diameter: M8 through 24 mm of grip is ~25 g.
    """
    d = diameter_mm
    head = 0.866 * (1.5 * d) ** 2 * 0.625 * d
    nut = 0.866 * (1.5 * d) ** 2 * 0.84 * d - math.pi / 4 * d * d * 0.84 * d
    washers = 2 * math.pi / 4 * ((2 * d) ** 2 - (1.1 * d) ** 2) * 0.15 * d
    shank = math.pi / 4 * d * d * (grip_mm + 0.84 * d + 0.5 * d)
    return (head + nut + washers + shank) / 1000.0 * steel_density_g_cm3


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
    bolt_size: str = ""
    bolt_class: str = ""
    bolt_diameter_mm: float = 0.0
    bolt_proof_load_kN: float = 0.0
    bolt_torque_Nm: float = 0.0
    nut_factor: float = NUT_FACTOR
    bolt_mass_each_g: float = 0.0
    tightening_sequence: list[int] = field(default_factory=list)
    tightening_stages_frac: list[float] = field(default_factory=list)
    flange_mm: float = 0.0
    flange_needed_mm: float = 0.0
    bolt_spacing_mm: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def tightening_text(self) -> str:
        """'1-7-4-10-... at 30 %, 70 %, 100 % of 300 N m, then clockwise at 100 % until no nut turns'."""
        seq = "-".join(str(b) for b in self.tightening_sequence)
        stages = ", ".join(f"{100 * f:g} %" for f in self.tightening_stages_frac)
        return (f"cross pattern {seq} at {stages} of {self.bolt_torque_Nm:.3g} N·m, then clockwise at 100 % "
                "until no nut turns")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tightening"] = self.tightening_text
        return d


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
    util = fixture.bolt_utilisation_frac.target
    choice = choose_bolts(f, util, max_bolts=fixture.max_bolts, size=fixture.bolt_size, bolt_class=fixture.bolt_class)
    n = choice.count
    if n > MAX_FIXTURE_BOLTS:  # the tightening pattern and the bolt list grow with n: refuse before building them
        from pouchline.errors import InputError

        raise InputError.single("cell", "cell.fixture.bolt_utilisation_frac",
                                f"{util:g} of the proof load needs more than {MAX_FIXTURE_BOLTS:,} {choice.size} bolts to "
                                f"hold {f:,.0f} kN (a higher utilisation, or a press frame)")
    d = BOLT_SIZES[choice.size].diameter_mm
    k = fixture.cells_per_fixture
    grip = 2 * t + k * cell_thickness_mm + 2 * 0.15 * d
    each_g = fixture.bolt_mass_g.target if fixture.bolt_mass_g is not None else bolt_mass_g(d, grip,
                                                                                            steel_density_g_cm3)
    bolts_g = n * each_g
    nut_factor = fixture.nut_factor.target if fixture.nut_factor is not None else NUT_FACTOR
    torque = tightening_torque_Nm(f / n, d, nut_factor)
    total = plates_g + bolts_g
    height = 2 * t + k * cell_thickness_mm
    vol = pl * pw * height / 1000.0
    need = min_flange_mm(d)
    spacing = 2 * ((cell_length_mm + flange) + (cell_width_mm + flange)) / n
    mass_src = (f"{each_g:.3g} g each ({fixture.bolt_mass_g.source})" if fixture.bolt_mass_g is not None else
                f"{each_g:.3g} g each with nut and washers for a {grip:.0f} mm grip (estimate from ISO 4017/4032/7089 "
                "proportions)")
    notes = [
        f"clamp force {f:.1f} kN = {pressure_MPa:g} MPa x {area:g} cm2 of electrode",
        f"end plates: Roark simply supported {a:g} x {b:g} mm plate (the electrode span), uniform {pressure_MPa:g} MPa, "
        f"beta {beta:.3f}, alpha {alpha:.4f}; t = max({t_s:.1f} mm for {s_all:g} MPa allowable, {t_y:.1f} mm for "
        f"{y_max:g} um deflection at E = {e_gpa:g} GPa) = {t:.1f} mm ({'stress' if t_s >= t_y else 'deflection'} "
        f"governs); plate {pl:g} x {pw:g} mm (cell + {flange:g} mm flange), steel {steel_density_g_cm3:g} g/cm3",
        f"bolts: {choice.size} class {choice.bolt_class} ({choice.proof_load_kN:.1f} kN proof, ISO 898-1), {choice.why}: "
        f"{f:.1f} kN / ({choice.proof_load_kN:.1f} kN x {util:g}) -> {n} bolts (even, >= 4) at {f / n:.1f} kN each "
        f"({f / n / choice.proof_load_kN:.0%} of proof); {mass_src}",
        f"tightening: T = K F d = {nut_factor:g} x {f / n:.1f} kN x {d:g} mm = {torque:.3g} N m per bolt "
        f"(Shigley2015 Sec. 8-8), cross pattern in stages (ASME2019 PCC-1)",
    ]
    if flange < need - 1e-9:
        notes.append(f"WARNING: the {flange:g} mm flange is narrower than the {need:g} mm that {choice.size} bolts need "
                     f"({FLANGE_PER_DIAMETER:g} x d): widen cell.fixture.plate_flange_mm")
    if spacing < MIN_PITCH_PER_DIAMETER * d:
        notes.append(f"WARNING: {n} bolts around the flange are {spacing:.0f} mm apart, less than "
                     f"{MIN_PITCH_PER_DIAMETER:g} x d = {MIN_PITCH_PER_DIAMETER * d:g} mm for a wrench")
    if k > 1:
        notes.append(f"{k} cells share one pair of plates; the fixture's mass and plate volume are divided among them")
    return FixtureResult(
        pressure_MPa=pressure_MPa, loaded_area_cm2=area, force_kN=f, span_a_mm=a, span_b_mm=b, beta=beta, alpha=alpha,
        thickness_for_stress_mm=t_s, thickness_for_deflection_mm=t_y, plate_thickness_mm=t,
        governs="stress" if t_s >= t_y else "deflection", stress_MPa=stress, deflection_um=defl_um,
        plate_length_mm=pl, plate_width_mm=pw, plates_mass_g=plates_g, bolts=n, bolt_load_kN=f / n,
        bolt_utilisation_frac=f / n / choice.proof_load_kN, bolts_mass_g=bolts_g, mass_g=total,
        cells_per_fixture=k, mass_per_cell_g=total / k, height_mm=height, volume_cm3=vol, volume_per_cell_cm3=vol / k,
        materials_g={fixture.plate_material: total}, bolt_size=choice.size, bolt_class=choice.bolt_class,
        bolt_diameter_mm=d, bolt_proof_load_kN=choice.proof_load_kN, bolt_torque_Nm=torque, nut_factor=nut_factor,
        bolt_mass_each_g=each_g, tightening_sequence=cross_pattern(n),
        tightening_stages_frac=list(TIGHTENING_STAGES_FRAC), flange_mm=flange, flange_needed_mm=need,
        bolt_spacing_mm=spacing, notes=notes,
    )


# -- what pressure a fixture can afford ----------------------------------------------------------------
#: Lowest stack pressure at which the paper's InSnBi || LiCoO2 cell reached its highest capacity
#: (paper: Liu2025 Fig. 4c, "only 20 MPa is required"); below it the cell is untested.
PAPER_MIN_PRESSURE_MPA = 20.0
#: Cells a module-level fixture holds between one pair of end plates (assumed: a module of 12 cells,
#: not in the paper, to be confirmed with the pack design; ``--module-cells`` sets it).
MODULE_CELLS_PER_FIXTURE = 12
#: The Wh/kg a module-level fixture must reach, as a share of its cells' own Wh/kg (estimate: a
#: module carries housing, busbars and cooling besides the fixture, so the fixture can take at most
#: a fifth of the cells' Wh/kg; ``--fixture-target-Wh-kg`` states another figure).
MODULE_TARGET_FRAC_OF_CELL = 0.8


@dataclass(frozen=True)
class FixtureAtPressure:
    """A fixture redesigned for another stack pressure, to first order (see :func:`fixture_at_pressure`)."""

    pressure_MPa: float
    plate_thickness_mm: float
    governs: str  # "stress" or "deflection"
    plates_mass_g: float
    bolts_mass_g: float
    mass_g: float
    volume_cm3: float


def fixture_at_pressure(fixture: FixtureResult, pressure_MPa: float) -> FixtureAtPressure:
    """``fixture`` redesigned for another stack pressure, scaled from its own design (Roark2012).

    The plates keep their footprint; their thickness is the larger of the stress-limited one,
    which scales with sqrt(p) (sigma = beta q b^2 / t^2), and the deflection-limited one, which
    scales with p^(1/3) (y = alpha q b^4 / (E t^3)); their mass and the fixture's height scale with
    it. The bolts carry F = p x A: at the same size and grip their number, and so their mass,
    scales with p (continuous: the even count and the minimum of four bolts are not applied, and
    the grip is kept). At the fixture's own pressure this returns its own figures.
    """
    if not (math.isfinite(pressure_MPa) and pressure_MPa >= 0):
        raise ValueError(f"pressure_MPa must be a finite number >= 0, got {pressure_MPa!r}")
    r = pressure_MPa / fixture.pressure_MPa
    t_s = fixture.thickness_for_stress_mm * math.sqrt(r)
    t_y = fixture.thickness_for_deflection_mm * r ** (1.0 / 3.0)
    t = max(t_s, t_y)
    plates = fixture.plates_mass_g * t / fixture.plate_thickness_mm
    bolts = fixture.bolts_mass_g * r
    footprint_cm2 = fixture.plate_length_mm * fixture.plate_width_mm / 100.0
    volume = fixture.volume_cm3 - footprint_cm2 * 2.0 * (fixture.plate_thickness_mm - t) / 10.0
    return FixtureAtPressure(pressure_MPa=pressure_MPa, plate_thickness_mm=t, governs="stress" if t_s >= t_y else
                             "deflection", plates_mass_g=plates, bolts_mass_g=bolts, mass_g=plates + bolts,
                             volume_cm3=volume)


def fixture_Wh_kg(fixture: FixtureResult, pressure_MPa: float, *, cell_energy_Wh: float, cell_mass_g: float) -> float:
    """Wh/kg of the fixture's cells with the fixture, at ``pressure_MPa`` (:func:`fixture_at_pressure`)."""
    k = fixture.cells_per_fixture
    return k * cell_energy_Wh / (k * cell_mass_g + fixture_at_pressure(fixture, pressure_MPa).mass_g) * 1000.0


def pressure_for_fixture_Wh_kg(target_Wh_kg: float, *, fixture: FixtureResult, cell_energy_Wh: float,
                               cell_mass_g: float) -> float | None:
    """The stack pressure (MPa) at which ``fixture.cells_per_fixture`` cells with their fixture
    reach ``target_Wh_kg``; ``None`` when the cells alone are below it (no fixture is light enough).

    Solves k E / (k m + M(p)) = target for p, with the fixture mass M(p) of
    :func:`fixture_at_pressure`: M(p) = k (1000 E / target - m). M rises monotonically from 0 at
    p = 0, so the root is unique; it is found by bisection to 1e-12 relative. Example (a hand
    calculation in the tests): 10 kg of stress-limited plates at 30 MPa, no bolts, one 10 Wh cell of
    50 g, 100 Wh/kg: M = 50 g = 10 kg x sqrt(p / 30) -> p = 30 x 0.005^2 = 0.00075 MPa.
    """
    if not (math.isfinite(target_Wh_kg) and target_Wh_kg > 0):
        raise ValueError(f"target_Wh_kg must be a positive number, got {target_Wh_kg!r}")
    k = fixture.cells_per_fixture
    budget_g = k * (cell_energy_Wh * 1000.0 / target_Wh_kg - cell_mass_g)
    if budget_g <= 0:
        return None

    def mass(p: float) -> float:
        return fixture_at_pressure(fixture, p).mass_g

    lo, hi = 0.0, fixture.pressure_MPa
    while mass(hi) < budget_g:  # the target allows more than this fixture's pressure
        lo, hi = hi, 2.0 * hi
        if hi > 1e9:
            return math.inf  # a weightless fixture (no plates, no bolts): any pressure
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mass(mid) < budget_g:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return 0.5 * (lo + hi)


def pressure_text(pressure_MPa: float) -> str:
    """A stack pressure for people: ``30 MPa``; below 0.1 MPa in kPa (``0.0911 kPa``)."""
    from pouchline.display import fmt_number

    if not math.isfinite(pressure_MPa):
        return "any pressure"
    return f"{fmt_number(pressure_MPa * 1000.0)} kPa" if pressure_MPa < 0.1 else f"{fmt_number(pressure_MPa)} MPa"


@dataclass(frozen=True)
class FixtureHeadline:
    """The fixture figures that decide go or no-go for a cell format (:func:`fixture_headline`)."""

    pressure_MPa: float
    force_kN: float
    bolts: str  # "12 x M20 class 8.8"
    plate_thickness_mm: float
    governs: str
    cells_per_fixture: int
    mass_g: float  # one fixture: plates and bolts
    mass_per_cell_g: float
    cell_mass_g: float
    cell_Wh_kg: float
    cell_Wh_L: float
    with_fixture_Wh_kg: float
    with_fixture_Wh_L: float
    module_cells: int
    module_mass_g: float  # the module's fixture alone
    module_Wh_kg: float  # the module's cells with their fixture, at pressure_MPa
    module_Wh_L: float
    target_Wh_kg: float
    target_basis: str
    pressure_for_target_MPa: float | None  # None: the cells alone are below the target
    target_plate_thickness_mm: float | None
    target_governs: str | None
    paper_min_pressure_MPa: float = PAPER_MIN_PRESSURE_MPA
    cost_per_cell_usd: float | None = None  # the fixture's cost per cell (as if each cell shipped in its share)
    cost_in_cell_cost: bool = False  # whether the plan's $/cell includes it (`--fixture`)
    fixtures_in_circulation: int | None = None  # the plant's fixtures when they stay in the plant

    @property
    def go(self) -> bool:
        """A module-level fixture reaches the target at or above the pressure the paper needs."""
        p = self.pressure_for_target_MPa
        return p is not None and p >= self.paper_min_pressure_MPa

    @property
    def verdict(self) -> str:
        """One sentence: go or no-go, and why."""
        from pouchline.display import fmt_number

        p = self.pressure_for_target_MPa
        head = (f"a module of {self.module_cells} cells in one fixture reaches {fmt_number(self.target_Wh_kg)} Wh/kg "
                f"({self.target_basis})")
        if p is None:
            return (f"no-go: the cell alone ({fmt_number(self.cell_Wh_kg)} Wh/kg) is below "
                    f"{fmt_number(self.target_Wh_kg)} Wh/kg, whatever holds its pressure")
        if self.go:
            return (f"go: {head} at up to {pressure_text(p)} of stack pressure, at or above the "
                    f"{fmt_number(self.paper_min_pressure_MPa)} MPa at which the paper's cell reached full capacity "
                    "(Liu2025 Fig. 4c)")
        return (f"no-go as designed: {head} only at {pressure_text(p)} or less, below the "
                f"{fmt_number(self.paper_min_pressure_MPa)} MPa at which the paper's cell reached full capacity "
                "(Liu2025 Fig. 4c); going ahead needs a cell shown to work at that pressure, or a lighter way to hold "
                "it than steel end plates")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(go=self.go, verdict=self.verdict)
        return d


def fixture_headline(cell: Any, design: FixtureDesign, *, steel_density_g_cm3: float,
                     module_cells: int = MODULE_CELLS_PER_FIXTURE, target_Wh_kg: float | None = None,
                     cost_per_cell_usd: float | None = None, cost_in_cell_cost: bool = False,
                     fixtures_in_circulation: int | None = None) -> FixtureHeadline:
    """The fixture's go / no-go figures for a sized cell (a :class:`pouchline.cell.CellResult`).

    The cell's own fixture (``design.cells_per_fixture`` cells per pair of plates) gives the clamp
    force, mass and the Wh/kg and Wh/L with the fixture; the same design holding ``module_cells``
    cells gives the module's figures; :func:`pressure_for_fixture_Wh_kg` the stack pressure at
    which that module reaches ``target_Wh_kg`` (default :data:`MODULE_TARGET_FRAC_OF_CELL` of the
    cell's Wh/kg). The cost figures are passed through from the cost model.
    """
    fx = cell.fixture
    if module_cells < 1:
        raise ValueError(f"module_cells must be at least 1, got {module_cells!r}")
    dims = cell.dimensions_mm
    module = design_fixture(design.model_copy(update={"cells_per_fixture": int(module_cells)}),
                            pressure_MPa=fx.pressure_MPa, electrode_length_mm=cell.electrode_mm["length"],
                            electrode_width_mm=cell.electrode_mm["width"], cell_length_mm=dims["length"],
                            cell_width_mm=dims["width"], cell_thickness_mm=dims["thickness"],
                            steel_density_g_cm3=steel_density_g_cm3)
    e, m = cell.energy_Wh, cell.mass_g
    if target_Wh_kg is None:
        target = MODULE_TARGET_FRAC_OF_CELL * cell.specific_energy_Wh_kg
        basis = f"{100 * MODULE_TARGET_FRAC_OF_CELL:g} % of the cell's Wh/kg, an estimate of a module's budget"
    else:
        target, basis = float(target_Wh_kg), "as stated"
    p = pressure_for_fixture_Wh_kg(target, fixture=module, cell_energy_Wh=e, cell_mass_g=m)
    at = fixture_at_pressure(module, p) if p is not None and math.isfinite(p) else None
    k = module.cells_per_fixture
    wf = cell.levels["cell_in_fixture"]
    return FixtureHeadline(
        pressure_MPa=fx.pressure_MPa, force_kN=fx.force_kN, bolts=f"{fx.bolts} x {fx.bolt_size} class {fx.bolt_class}",
        plate_thickness_mm=fx.plate_thickness_mm, governs=fx.governs, cells_per_fixture=fx.cells_per_fixture,
        mass_g=fx.mass_g, mass_per_cell_g=fx.mass_per_cell_g, cell_mass_g=m, cell_Wh_kg=cell.specific_energy_Wh_kg,
        cell_Wh_L=cell.energy_density_Wh_L, with_fixture_Wh_kg=wf["specific_energy_Wh_kg"],
        with_fixture_Wh_L=wf["energy_density_Wh_L"], module_cells=k, module_mass_g=module.mass_g,
        module_Wh_kg=k * e / (k * m + module.mass_g) * 1000.0, module_Wh_L=k * e / module.volume_cm3 * 1000.0,
        target_Wh_kg=target, target_basis=basis, pressure_for_target_MPa=p,
        target_plate_thickness_mm=at.plate_thickness_mm if at else None, target_governs=at.governs if at else None,
        cost_per_cell_usd=cost_per_cell_usd, cost_in_cell_cost=cost_in_cell_cost,
        fixtures_in_circulation=fixtures_in_circulation)


__all__ = ["BOLT_CLASSES", "BOLT_SIZES", "BoltChoice", "BoltSize", "FixtureAtPressure", "FixtureHeadline", "FixtureResult",
           "MODULE_CELLS_PER_FIXTURE", "MODULE_TARGET_FRAC_OF_CELL", "NUT_FACTOR", "PAPER_MIN_PRESSURE_MPA", "ROARK_ALPHA",
           "ROARK_A_OVER_B", "ROARK_BETA", "TIGHTENING_STAGES_FRAC", "bolt_count", "bolt_mass_g", "choose_bolts",
           "cross_pattern", "design_fixture", "fixture_at_pressure", "fixture_headline", "fixture_Wh_kg", "min_flange_mm", "plate_thickness_mm", "proof_load_kN",
           "pressure_for_fixture_Wh_kg", "pressure_text", "roark_coefficients", "stack_force_kN", "tightening_torque_Nm"]
