"""One layer per unit area: the paper's "jellyroll" (cathode composite, electrolyte film, alloy).

No foils, tabs or package: that is the paper's accounting for 278.4 Wh/kg and 919.5 Wh/L
(Liu2025 Results; reconstruction in docs/model.md#the-jellyroll-reconstruction):

* cathode composite = active loading / active mass fraction (21.0 x 100.8 / 73 = 29.00 mg/cm2);
  its thickness is the recipe's measured thickness, else the dense volume of its components at
  the library densities divided by (1 - porosity) (about 84 um);
* electrolyte film = thickness x effective density (41.5 um x 1.64 g/cm3 = 6.81 mg/cm2);
* anode alloy = N/P x cathode capacity on the recipe's N/P basis / anode specific capacity
  (1.3 x 21.0 x 185 / 724 = 6.98 mg/cm2 = 8.5 um at 8.18 g/cm3);
* energy = discharge capacity at the reference rate x average voltage (3.46 x 3.44 = 11.90 mWh/cm2).

The alloy breathes: its volume grows linearly with its lithiation to ``volume_expansion_ratio``
times the pristine volume (2.9), all of it through the thickness (the stack pressure holds the
footprint).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pouchline.cell.anode import AnodeAlloy, anode_alloy
from pouchline.cell.rate import specific_power_W_kg
from pouchline.errors import InputError
from pouchline.materials import MaterialLibrary
from pouchline.recipe.conversions import composite_areal_masses_mg_cm2, thickness_um

SCOPE_JELLYROLL = "jellyroll"


def lithiated_thickness_um(pristine_um: float, expansion_ratio: float, lithiation_frac: float) -> float:
    """Alloy thickness at a lithiation fraction: linear in Li content, all through the thickness."""
    return pristine_um * (1.0 + (expansion_ratio - 1.0) * lithiation_frac)


def energy_density_Wh_L(areal_energy_mWh_cm2: float, thickness_um_: float) -> float:
    """mWh/cm2 over um: 11.90 mWh/cm2 in 129.6 um is 918 Wh/L."""
    return areal_energy_mWh_cm2 / (thickness_um_ * 1e-4)


def specific_energy_Wh_kg(areal_energy_mWh_cm2: float, areal_mass_mg_cm2: float) -> float:
    """mWh/cm2 over mg/cm2 in Wh/kg: 11.90 / 42.79 x 1000 = 278.2 Wh/kg."""
    return areal_energy_mWh_cm2 / areal_mass_mg_cm2 * 1000.0


@dataclass(frozen=True)
class LayerResult:
    """Per-area figures of one layer, scope "jellyroll" (no foils, tabs or package)."""

    scope: str
    conditions: dict[str, Any]
    # capacity and energy
    areal_capacity_mAh_cm2: float
    cathode_specific_capacity_mAh_g: float
    average_voltage_V: float
    areal_energy_mWh_cm2: float
    # masses, mg/cm2
    cathode_mg_cm2: dict[str, float]
    electrolyte_film_mg_cm2: dict[str, float]
    anode_alloy_mg_cm2: float
    areal_mass_mg_cm2: float
    materials_mg_cm2: dict[str, float]
    # thicknesses, um (alloy pristine, as the paper counts it)
    cathode_thickness_um: float
    cathode_thickness_basis: str
    electrolyte_film_thickness_um: float
    anode_thickness_um: float
    thickness_um: float
    # figures of merit
    specific_energy_Wh_kg: float
    energy_density_Wh_L: float
    specific_power_W_kg: float
    power_density_W_L: float
    power_c_rate: float
    # anode and N/P
    np_ratio: float
    np_basis: str
    np_cathode_capacity_mAh_cm2: float
    anode_capacity_mAh_cm2: float
    anode: AnodeAlloy
    # breathing and prelithiation
    prelithiation_depth_frac: float
    prelithiation_li_mg_cm2: float
    volume_expansion_ratio: float
    lithiation_charged_frac: float
    anode_thickness_as_built_um: float
    anode_thickness_charged_um: float
    anode_thickness_lithiated_um: float
    thickness_as_built_um: float
    thickness_charged_um: float
    thickness_lithiated_um: float
    energy_density_as_built_Wh_L: float
    energy_density_charged_Wh_L: float
    energy_density_lithiated_Wh_L: float
    densities_g_cm3: dict[str, float]
    assumptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["anode"] = {k: v for k, v in asdict(self.anode).items()}
        return d


def _density(materials: MaterialLibrary, mid: str, where: str, source: str) -> float:
    m = materials.get(mid)
    if m is None or m.density_g_cm3 is None:
        raise InputError.single(source, where, f"material {mid!r} has no density_g_cm3 in the library")
    return m.density_g_cm3


def jellyroll(recipe, materials: MaterialLibrary, *, source: str = "recipe") -> LayerResult:
    """Per-area capacity, masses, thicknesses, energy, Wh/kg and Wh/L of one layer.

    The paper's cell (LCO 21.0 mg/cm2, 3.46 mAh/cm2 at 0.2 C, 41.5 um film at 1.64 g/cm3,
    N/P 1.3 on a 185 mAh/g first charge, 724 mAh/g alloy at 8.18 g/cm3, 3.44 V) gives
    42.78 mg/cm2, 134 um, 278.2 Wh/kg and 887 Wh/L (Liu2025: 278.4 and 919.5).
    """
    cell = recipe.cell
    cat, film, an, cond = cell.cathode, cell.electrolyte_film, cell.anode, cell.conditions
    notes: list[str] = []
    densities: dict[str, float] = {}

    # cathode composite
    fractions = cat.mass_fractions
    cathode = composite_areal_masses_mg_cm2(fractions, cat.active_material, cat.active_loading_mg_cm2.target)
    dense_um = 0.0
    for mid, mg in cathode.items():
        rho = _density(materials, mid, f"cell.cathode.composition.{mid}", source)
        densities[mid] = rho
        dense_um += thickness_um(mg, rho)
    if cat.thickness_um is not None:
        cath_um = cat.thickness_um.target
        basis = "measured"
        notes.append(f"cathode thickness {cath_um:g} um as stated ({cat.thickness_um.source}); "
                     f"its dense thickness would be {dense_um:.1f} um")
    else:
        por = cat.porosity_frac.target
        cath_um = dense_um / (1.0 - por)
        basis = "porosity"
        parts = ", ".join(f"{m} {densities[m]:g}" for m in cathode)
        notes.append(f"cathode {sum(cathode.values()):.2f} mg/cm2 ({cat.composition_basis}); thickness "
                     f"{cath_um:.1f} um from the dense volume of its components ({parts} g/cm3) at porosity {por:g}")

    # capacity at the reference rate
    q_ref = cat.areal_capacity_mAh_cm2.target
    q_spec = cat.specific_capacity_mAh_g
    q_first = cat.first_charge_capacity_mAh_g.target * cat.active_loading_mg_cm2.target / 1000.0
    if q_spec > cat.first_charge_capacity_mAh_g.target * (1 + 1e-9):
        raise InputError.single(
            source, "cell.cathode.areal_capacity_mAh_cm2",
            f"{q_ref:g} mAh/cm2 over {cat.active_loading_mg_cm2.target:g} mg/cm2 is {q_spec:.1f} mAh/g, above the "
            f"first-charge capacity {cat.first_charge_capacity_mAh_g.target:g} mAh/g (a coulombic efficiency "
            "above 100 %); when changing the loading, change the areal capacity with it")

    # electrolyte film
    film_total = film.loading_mg_cm2
    bf = film.binder_frac.target
    film_mg = {film.electrolyte: film_total * (1.0 - bf)}
    film_mg[film.binder] = film_mg.get(film.binder, 0.0) + film_total * bf
    notes.append(f"electrolyte film {film.thickness_um.target:g} um at an effective {film.density_g_cm3.target:g} "
                 f"g/cm3 = {film_total:.2f} mg/cm2 ({film.density_g_cm3.source})")

    # anode
    alloy = anode_alloy(an, materials, source)
    notes.append(alloy.capacity_note)
    notes.append(alloy.density_note)
    notes.extend(alloy.notes)
    np_q = q_first if an.np_basis == "first_charge" else q_ref
    q_anode = an.np_ratio.target * np_q
    if q_anode < q_first * (1 - 1e-9):
        raise InputError.single(
            source, "cell.anode.np_ratio",
            f"N/P {an.np_ratio.target:g} on the {an.np_basis} basis gives an anode of {q_anode:.2f} mAh/cm2, less than "
            f"the cathode's first charge of {q_first:.2f} mAh/cm2: lithium would plate on the anode; raise the N/P")
    alloy_mg = q_anode / alloy.specific_capacity_mAh_g * 1000.0
    alloy_um = thickness_um(alloy_mg, alloy.density_g_cm3)
    densities[an.alloy] = alloy.density_g_cm3
    basis_txt = (f"first-charge {cat.first_charge_capacity_mAh_g.target:g} mAh/g x {cat.active_loading_mg_cm2.target:g}"
                 f" mg/cm2 = {q_first:.3f} mAh/cm2" if an.np_basis == "first_charge"
                 else f"reference discharge {q_ref:g} mAh/cm2")
    notes.append(f"N/P {an.np_ratio.target:g} on the {basis_txt}: anode {q_anode:.3f} mAh/cm2 = {alloy_mg:.2f} mg/cm2 "
                 f"= {alloy_um:.2f} um of alloy (N/P against the {q_ref:g} mAh/cm2 discharge: {q_anode / q_ref:.2f})")

    # totals
    total_mg = sum(cathode.values()) + film_total + alloy_mg
    total_um = cath_um + film.thickness_um.target + alloy_um
    v = cell.average_voltage_V.target
    e = q_ref * v
    notes.append(f"energy = {q_ref:g} mAh/cm2 ({cat.specific_capacity_mAh_g:.1f} mAh/g of {cat.active_material}, "
                 f"{cond.reference_c_rate.target:g} C discharge, {cond.temperature_C.target:g} degC, "
                 f"{cond.stack_pressure_MPa.target:g} MPa) x {v:g} V average ({cell.average_voltage_V.source})")
    materials_mg: dict[str, float] = {}
    for d in (cathode, film_mg, {an.alloy: alloy_mg}):
        for k, val in d.items():
            materials_mg[k] = materials_mg.get(k, 0.0) + val

    # power at the highest rate (docs/model.md#specific-power-at-6-c)
    rc = cell.rate_capability
    c_max = max(p.c_rate for p in rc.points)
    v_p = rc.power_voltage_V.target if rc.power_voltage_V is not None else v
    p_w_kg = specific_power_W_kg(c_max, cond.one_c_mAh_g.target, cat.active_loading_mg_cm2.target, v_p, total_mg)
    p_w_l = p_w_kg * total_mg / total_um * 10.0  # W/kg x kg/L (mg/cm2 / um x 10 = g/cm3)
    notes.append(f"specific power at {c_max:g} C: {c_max:g} x {cond.one_c_mAh_g.target:g} mAh/g (the 1 C convention) x "
                 f"{cat.active_loading_mg_cm2.target:g} mg/cm2 at {v_p:g} V over the jellyroll mass (docs/model.md)")

    # prelithiation and breathing
    depth = 0.0
    li_mg = 0.0
    prelith = recipe.steps_of_kind("prelithiation")
    if prelith:
        depth = prelith[0].depth_frac.target
        li = materials.get(prelith[0].lithium_source)
        li_cap = (li.specific_capacity_mAh_g if li is not None and li.specific_capacity_mAh_g else 3860.0)
        li_mg = depth * q_anode / li_cap * 1000.0
        notes.append(f"prelithiation fills {depth:.0%} of the anode ({prelith[0].depth_frac.source}): "
                     f"{li_mg:.3f} mg/cm2 of Li at {li_cap:g} mAh/g; counted from the stack level up, not in the "
                     "paper's jellyroll")
    er = an.volume_expansion_ratio.target
    x_charged = depth + q_first / q_anode
    if x_charged > 1.0 + 1e-9:
        notes.append(f"WARNING: prelithiation {depth:.0%} + first charge fills {x_charged:.0%} of the anode: "
                     "lithium would plate at top of charge; lower the prelithiation or raise the N/P")
    x_charged = min(1.0, x_charged)
    a_built = lithiated_thickness_um(alloy_um, er, depth)
    a_charged = lithiated_thickness_um(alloy_um, er, x_charged)
    a_full = lithiated_thickness_um(alloy_um, er, 1.0)
    rest = cath_um + film.thickness_um.target
    notes.append(f"alloy volume grows linearly with lithiation to {er:g}x ({an.volume_expansion_ratio.source}), all "
                 f"through the thickness: {alloy_um:.2f} um pristine, {a_built:.2f} as built (prelithiated), "
                 f"{a_charged:.2f} charged ({x_charged:.0%} lithiated), {a_full:.2f} fully lithiated")

    conditions = {
        "temperature_C": cond.temperature_C.target,
        "reference_c_rate": cond.reference_c_rate.target,
        "c_rate_convention": f"1 C = {cond.one_c_mAh_g.target:g} mAh/g of {cat.active_material}",
        "stack_pressure_MPa": cond.stack_pressure_MPa.target,
        "average_voltage_V": v,
        "capacity_basis": f"discharge at {cond.reference_c_rate.target:g} C",
        "np_basis": an.np_basis,
    }
    return LayerResult(
        scope=SCOPE_JELLYROLL, conditions=conditions,
        areal_capacity_mAh_cm2=q_ref, cathode_specific_capacity_mAh_g=q_spec, average_voltage_V=v,
        areal_energy_mWh_cm2=e,
        cathode_mg_cm2=cathode, electrolyte_film_mg_cm2=film_mg, anode_alloy_mg_cm2=alloy_mg,
        areal_mass_mg_cm2=total_mg, materials_mg_cm2=materials_mg,
        cathode_thickness_um=cath_um, cathode_thickness_basis=basis,
        electrolyte_film_thickness_um=film.thickness_um.target, anode_thickness_um=alloy_um, thickness_um=total_um,
        specific_energy_Wh_kg=specific_energy_Wh_kg(e, total_mg), energy_density_Wh_L=energy_density_Wh_L(e, total_um),
        specific_power_W_kg=p_w_kg, power_density_W_L=p_w_l, power_c_rate=c_max,
        np_ratio=an.np_ratio.target, np_basis=an.np_basis, np_cathode_capacity_mAh_cm2=np_q,
        anode_capacity_mAh_cm2=q_anode, anode=alloy,
        prelithiation_depth_frac=depth, prelithiation_li_mg_cm2=li_mg, volume_expansion_ratio=er,
        lithiation_charged_frac=x_charged,
        anode_thickness_as_built_um=a_built, anode_thickness_charged_um=a_charged, anode_thickness_lithiated_um=a_full,
        thickness_as_built_um=rest + a_built, thickness_charged_um=rest + a_charged, thickness_lithiated_um=rest + a_full,
        energy_density_as_built_Wh_L=energy_density_Wh_L(e, rest + a_built),
        energy_density_charged_Wh_L=energy_density_Wh_L(e, rest + a_charged),
        energy_density_lithiated_Wh_L=energy_density_Wh_L(e, rest + a_full),
        densities_g_cm3=densities, assumptions=notes,
    )


__all__ = ["LayerResult", "SCOPE_JELLYROLL", "energy_density_Wh_L", "jellyroll", "lithiated_thickness_um",
           "specific_energy_Wh_kg"]
