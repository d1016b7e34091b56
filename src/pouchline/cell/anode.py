"""The alloy anode: specific capacity from its lithiated end phases, density, weight fractions.

The capacity of an alloy ``M`` lithiated to its end phases is

    Q = F * sum_i(x_i * n_i) / M_mean / 3.6      [mAh/g]

with ``x_i`` the atomic fraction of element ``i``, ``n_i`` the Li per atom of ``i`` in its end
phase (Li3Bi: 3, Li13In3: 13/3, Li22Sn5: 22/5), ``M_mean`` the mass of one mole of atoms of the
alloy and F = 96485.33 C/mol (1 mAh = 3.6 C). For In0.38Sn0.33Bi0.29 this is 741.7 mAh/g, 2.4 %
above the paper's 724 mAh/g (Liu2025 Results; docs/model.md); other compositions are scaled by
724 / 741.7 = 0.976 so that the paper's alloy reads its stated value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from pouchline.errors import InputError
from pouchline.materials import MaterialLibrary
from pouchline.recipe.conversions import (
    alloy_density_g_cm3,
    atomic_to_weight_fractions,
    mean_molar_mass_g_mol,
)
from pouchline.recipe.design import AnodeDesign

FARADAY_C_MOL = 96485.33212
"""Faraday constant, C/mol (CODATA 2018)."""

#: Li atoms per host atom in the lithiated phases of In, Sn and Bi (binary phase diagrams;
#: the deepest phase of each is the default end phase).
END_PHASES: dict[str, dict[str, float]] = {
    "Bi": {"Li3Bi": 3.0, "LiBi": 1.0},
    "In": {"Li13In3": 13.0 / 3.0, "LiIn": 1.0},
    "Sn": {"Li22Sn5": 22.0 / 5.0, "Li17Sn4": 17.0 / 4.0, "Li7Sn2": 7.0 / 2.0, "LiSn": 1.0},
}
DEFAULT_END_PHASES: dict[str, str] = {"Bi": "Li3Bi", "In": "Li13In3", "Sn": "Li22Sn5"}

#: The paper's alloy and its stated capacity (Liu et al. 2025: "~724 mAh/g" for In0.38Sn0.33Bi0.29).
PAPER_COMPOSITION_AT_PCT: dict[str, float] = {"In": 38.0, "Sn": 33.0, "Bi": 29.0}
PAPER_CAPACITY_MAH_G = 724.0


def li_per_atom(at_frac: Mapping[str, float], end_phases: Mapping[str, str] | None = None) -> float:
    """Li taken up per atom of alloy when every element reaches its end phase."""
    phases = {**DEFAULT_END_PHASES, **(end_phases or {})}
    total = sum(at_frac.values())
    out = 0.0
    for el, x in at_frac.items():
        if el not in END_PHASES:
            raise ValueError(f"no lithiated end phase known for {el!r}; known: {sorted(END_PHASES)}")
        phase = phases.get(el)
        if phase not in END_PHASES[el]:
            raise ValueError(f"{phase!r} is not a known end phase of {el}; known: {sorted(END_PHASES[el])}")
        out += x / total * END_PHASES[el][phase]
    return out


def end_phase_capacity_mAh_g(at_frac: Mapping[str, float], end_phases: Mapping[str, str] | None = None) -> float:
    """Capacity of an alloy lithiated to its end phases, mAh per g of pristine alloy.

    In0.38Sn0.33Bi0.29 to Li3Bi + Li13In3 + Li22Sn5: 741.7 mAh/g; with Li17Sn4 732.4; with
    Li7Sn2 686.2 (CODATA2018 Faraday constant, Mendeleev2024 atomic weights).
    """
    return FARADAY_C_MOL * li_per_atom(at_frac, end_phases) / mean_molar_mass_g_mol(at_frac) / 3.6


#: 724 / 741.7 = 0.976: brings the end-phase estimate to the paper's stated capacity.
END_PHASE_SCALE: float = PAPER_CAPACITY_MAH_G / end_phase_capacity_mAh_g(PAPER_COMPOSITION_AT_PCT)


def scaled_end_phase_capacity_mAh_g(at_frac: Mapping[str, float], end_phases: Mapping[str, str] | None = None) -> float:
    """End-phase capacity scaled by :data:`END_PHASE_SCALE` (the paper's alloy gives 724 mAh/g)."""
    return END_PHASE_SCALE * end_phase_capacity_mAh_g(at_frac, end_phases)


@dataclass(frozen=True)
class AnodeAlloy:
    """What sizing needs to know about the anode alloy."""

    alloy_id: str
    composition_at_pct: dict[str, float]
    weight_frac: dict[str, float]
    specific_capacity_mAh_g: float
    capacity_note: str
    end_phase_capacity_mAh_g: float | None
    density_g_cm3: float
    density_note: str
    custom_composition: bool
    notes: list[str] = field(default_factory=list)


def _same_composition(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    return set(a) == set(b) and all(abs(a[k] - b[k]) < 1e-9 for k in a)


def anode_alloy(design: AnodeDesign, materials: MaterialLibrary, source: str = "recipe") -> AnodeAlloy:
    """Capacity, density and composition of the anode alloy of a design.

    The stated ``cell.anode.specific_capacity_mAh_g`` (the paper's 724 mAh/g) wins unless
    ``capacity_from`` is ``end_phases``; without a stated value the library's applies, and
    without that the scaled end-phase estimate. A composition given in the design
    (``cell.anode.composition_at_pct``) replaces the library's: its density then follows from
    the elements' densities by the inverse rule of mixtures (Mendeleev2024 densities; docs/model.md).
    """
    alloy = materials.get(design.alloy)
    if alloy is None:
        raise InputError.single(source, "cell.anode.alloy", f"{design.alloy!r} is not in the materials library")
    lib_comp = alloy.composition_at_pct
    comp = design.composition_at_pct or lib_comp
    custom = design.composition_at_pct is not None and not (lib_comp and _same_composition(comp, lib_comp))
    notes: list[str] = []

    end_cap = None
    if comp:
        try:
            end_cap = end_phase_capacity_mAh_g(comp, design.end_phases)
        except ValueError as exc:
            raise InputError.single(source, "cell.anode.end_phases", str(exc), design.end_phases) from None
    wt = atomic_to_weight_fractions(comp) if comp else {}

    comp_txt = "".join(f"{el}{x / 100:.2f}" for el, x in comp.items()) if comp else design.alloy
    if design.capacity_from == "end_phases":
        if end_cap is None:
            raise InputError.single(source, "cell.anode.capacity_from", "end_phases needs an alloy composition "
                                    f"(cell.anode.composition_at_pct or composition_at_pct of {design.alloy!r})")
        cap = END_PHASE_SCALE * end_cap
        phases = {**DEFAULT_END_PHASES, **(design.end_phases or {})}
        used = " + ".join(phases[el] for el in comp)
        cap_note = (f"anode {cap:.1f} mAh/g: {comp_txt} lithiated to {used} gives {end_cap:.1f} mAh/g, scaled by "
                    f"724/741.7 = {END_PHASE_SCALE:.3f} so that the paper's alloy reads 724 (Liu2025 Results)")
    elif design.specific_capacity_mAh_g is not None:
        cap = design.specific_capacity_mAh_g.target
        cap_note = f"anode {cap:g} mAh/g as stated ({design.specific_capacity_mAh_g.source or 'no source'})"
        if custom:
            notes.append(f"cell.anode.composition_at_pct {comp_txt} differs from the library alloy but the stated "
                         f"{cap:g} mAh/g is used; set cell.anode.capacity_from=end_phases to compute it")
    elif alloy.specific_capacity_mAh_g is not None and not custom:
        cap = alloy.specific_capacity_mAh_g
        cap_note = f"anode {cap:g} mAh/g from the library ({alloy.capacity_source or 'no source'})"
    elif end_cap is not None:
        cap = END_PHASE_SCALE * end_cap
        cap_note = (f"anode {cap:.1f} mAh/g from the end phases ({end_cap:.1f} mAh/g x {END_PHASE_SCALE:.3f}); "
                    "no capacity stated")
    else:
        raise InputError.single(source, "cell.anode.specific_capacity_mAh_g",
                                f"is not given and {design.alloy!r} has neither a capacity nor a composition")

    if design.density_g_cm3 is not None:
        rho = design.density_g_cm3.target
        rho_note = f"alloy {rho:g} g/cm3 as stated ({design.density_g_cm3.source or 'no source'})"
    elif custom:
        el_rho: dict[str, float] = {}
        for el in comp:
            hit = [m for m in materials.materials if m.formula == el and m.density_g_cm3]
            if not hit:
                raise InputError.single(source, "cell.anode.composition_at_pct",
                                        f"no material with formula {el!r} and a density in the library to "
                                        "compute the alloy density from; set cell.anode.density_g_cm3")
            el_rho[el] = hit[0].density_g_cm3  # type: ignore[assignment]
        rho = alloy_density_g_cm3(wt, el_rho)
        rho_note = f"alloy {rho:.3f} g/cm3 by the inverse rule of mixtures of {comp_txt} (Mendeleev2024; +/-3 %)"
    elif alloy.density_g_cm3 is not None:
        rho = alloy.density_g_cm3
        rho_note = f"alloy {rho:g} g/cm3 ({alloy.density_source or 'library'})"
    else:
        raise InputError.single(source, "cell.anode.density_g_cm3",
                                f"is not given and material {design.alloy!r} has no density_g_cm3")
    return AnodeAlloy(
        alloy_id=design.alloy, composition_at_pct=dict(comp or {}), weight_frac=wt, specific_capacity_mAh_g=cap,
        capacity_note=cap_note, end_phase_capacity_mAh_g=end_cap, density_g_cm3=rho, density_note=rho_note,
        custom_composition=custom, notes=notes,
    )


__all__ = [
    "AnodeAlloy", "DEFAULT_END_PHASES", "END_PHASES", "END_PHASE_SCALE", "FARADAY_C_MOL", "anode_alloy",
    "end_phase_capacity_mAh_g", "li_per_atom", "scaled_end_phase_capacity_mAh_g",
]
