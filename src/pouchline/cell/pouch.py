"""From one layer to the pouch cell a customer buys: format, layer count, stacking, margins,
dimensions, mass and volume breakdown, and energy at four accounting scopes.

Scopes (named on every figure):

* ``jellyroll``: the paper's, per unit area: cathode composite + electrolyte film + alloy as
  rolled; no foils, prelithiation lithium, tabs or package (278.4 Wh/kg in the paper);
* ``stack``: the layers of one cell over their real areas (film and anode overhangs), the
  prelithiated (as-built) alloy with its lithium, and the current-collector foils;
* ``cell``: the stack sealed in the pouch with its tabs; dimensions are the pouch's outside;
* ``cell_in_fixture``: the cell with its share of the steel end plates and bolts that hold the
  stack pressure (:mod:`pouchline.cell.fixture`).

Stacking: a monopolar (parallel) stack whose layers alternate orientation, so neighbouring
layers face each other foil to foil with the same polarity. With anodes cast on both sides of
the Cu foil (``cell.anode.cast_sides: 2``) two neighbouring anodes share one foil; likewise the
cathodes on Al (``cell.cathode.sides``, default = cast_sides). The outermost electrodes are
one-sided. The orientation of the first layer is chosen to put the lighter foil outside.

Pouch: two film sheets of the outer footprint plus the side walls of the formed cup
(perimeter of the stack x its thickness). Tabs leave from one end: the cell is the stack plus
the tab margin at that end and a seal margin at the other, and a seal margin on each side.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import pandas as pd

from pouchline.cell.fixture import FixtureResult, design_fixture, stack_force_kN
from pouchline.cell.formats import FormatCatalogue, default_formats
from pouchline.cell.layers import LayerResult, jellyroll
from pouchline.cell.rate import RatePoint, c_rate_at_charge_min, energy_frac_at_charge_min, rate_points
from pouchline.errors import InputError
from pouchline.materials import MaterialLibrary

SCOPES = ("jellyroll", "stack", "cell", "cell_in_fixture")
SCOPE_DESCRIPTIONS = {
    "jellyroll": "the paper's: cathode composite + electrolyte film + alloy as rolled, per cm2; no foils, "
                 "prelithiation Li, tabs or pouch",
    "stack": "the cell's layers over their real areas (film and anode overhangs), prelithiated alloy with its Li, "
             "current-collector foils",
    "cell": "the stack sealed in its pouch with tabs; volume is the pouch's outer box",
    "cell_in_fixture": "the cell with its share of the steel end plates and bolts holding the stack pressure",
}
_SRC = "cell"


# -- stacking ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Arrangement:
    """How the layers of one cell are stacked and how many foils they need."""

    layers: int
    anode_sides: int
    cathode_sides: int
    cathode_collector: bool
    first_layer: str  # "cathode_down" (Al at the bottom) or "anode_down" (Cu at the bottom)
    cu_foils: int
    al_foils: int
    sequence: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _foil_counts(layers: int, anode_sides: int, cathode_sides: int, collector: bool, cathode_down: bool) -> tuple[int, int]:
    n_if = layers - 1
    first_if_cu = cathode_down  # layer 1 cathode down: its top is Cu, so the first interface is Cu-Cu
    cu_if = (n_if + 1) // 2 if first_if_cu else n_if // 2
    al_if = n_if - cu_if
    bottom_cu = not cathode_down
    top_cu = bottom_cu if layers % 2 == 0 else not bottom_cu
    cu = cu_if * (1 if anode_sides == 2 else 2) + int(bottom_cu) + int(top_cu)
    al = (al_if * (1 if cathode_sides == 2 else 2) + int(not bottom_cu) + int(not top_cu)) if collector else 0
    return cu, al


def _sequence(layers: int, anode_sides: int, cathode_sides: int, collector: bool, cathode_down: bool) -> str:
    if layers > 6:
        head = _sequence(2, anode_sides, cathode_sides, collector, cathode_down)
        return f"{head} ... ({layers} layers, repeating)"
    parts: list[str] = []
    for i in range(layers):
        down = cathode_down if i % 2 == 0 else not cathode_down
        layer = (["Al"] if collector else []) + ["C", "SE", "A", "Cu"]
        if not down:
            layer = layer[::-1]
        if parts and layer[0] == parts[-1] and layer[0] in ("Cu", "Al") and \
                ((layer[0] == "Cu" and anode_sides == 2) or (layer[0] == "Al" and cathode_sides == 2)):
            layer = layer[1:]
        parts.extend(layer)
    return "|".join(parts)


def stacking_arrangement(layers: int, *, anode_sides: int = 1, cathode_sides: int = 1, cathode_collector: bool = True,
                         cu_mg_cm2: float = 1.0, al_mg_cm2: float = 1.0) -> Arrangement:
    """Foils and order of a monopolar stack of ``layers`` layers, lighter foils outside.

    One-sided electrodes: every layer has its own Cu (and Al) foil. Two-sided: N + 1 foils.
    """
    best = None
    for cathode_down in (True, False):
        cu, al = _foil_counts(layers, anode_sides, cathode_sides, cathode_collector, cathode_down)
        mass = cu * cu_mg_cm2 + al * al_mg_cm2
        if best is None or mass < best[0] - 1e-12:
            best = (mass, cathode_down, cu, al)
    _, cathode_down, cu, al = best  # type: ignore[misc]
    seq = _sequence(layers, anode_sides, cathode_sides, cathode_collector, cathode_down)
    coll = f"on {'both sides' if cathode_sides == 2 else 'one side'} of Al foil" if cathode_collector \
        else "free-standing (no Al foil)"
    desc = (f"{layers} layer(s) in parallel (monopolar), alternating orientation; anodes cast on "
            f"{'both sides' if anode_sides == 2 else 'one side'} of Cu foil, cathodes {coll}; "
            f"{cu} Cu foil(s), {al} Al foil(s); bottom to top: {seq}")
    return Arrangement(layers=layers, anode_sides=anode_sides, cathode_sides=cathode_sides,
                       cathode_collector=cathode_collector, first_layer="cathode_down" if cathode_down else "anode_down",
                       cu_foils=cu, al_foils=al, sequence=seq, description=desc)


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CellResult:
    """One pouch cell: geometry, masses, energy at four scopes, fixture, rate table, materials.

    The headline figures (``capacity_Ah``, ``energy_Wh``, ``mass_g``, ``specific_energy_Wh_kg``,
    ``energy_density_Wh_L``, ``dimensions_mm``) are at the ``cell`` scope, as built, at the
    reference discharge rate; ``levels`` holds all four scopes; ``rate_table`` rows give
    ``specific_energy_Wh_kg`` at the cell scope next to the jellyroll and in-fixture values.
    """

    format: str
    layers: int
    capacity_Ah: float
    energy_Wh: float
    mass_g: float
    specific_energy_Wh_kg: float
    energy_density_Wh_L: float
    stack_force_kN: float
    dimensions_mm: dict[str, float]
    electrode_mm: dict[str, float]
    electrode_area_cm2: float
    area_per_cell_cm2: float
    conditions: dict[str, Any]
    levels: dict[str, dict[str, float]]
    arrangement: Arrangement
    fixture: FixtureResult
    breathing: dict[str, dict[str, float]]
    mass_breakdown_g: dict[str, float]
    volume_breakdown_cm3: dict[str, float]
    materials_g: dict[str, float]
    fixture_materials_g: dict[str, float]
    materials_by_step_g: dict[str, dict[str, float]]
    rate_table: list[dict[str, Any]]
    fast_charge: dict[str, Any]
    within_thickness_limit: bool
    max_thickness_mm: float
    rate_protocol: str
    layer: LayerResult
    assumptions: list[str] = field(default_factory=list)

    @property
    def with_fixture(self) -> dict[str, float]:
        return self.levels["cell_in_fixture"]

    @property
    def stack(self) -> dict[str, float]:
        return self.levels["stack"]

    def to_dict(self) -> dict[str, Any]:
        ly = self.layer
        return {
            "scope": "cell",
            "format": self.format,
            "layers": self.layers,
            "capacity_Ah": self.capacity_Ah,
            "energy_Wh": self.energy_Wh,
            "mass_g": self.mass_g,
            "specific_energy_Wh_kg": self.specific_energy_Wh_kg,
            "energy_density_Wh_L": self.energy_density_Wh_L,
            "stack_force_kN": self.stack_force_kN,
            "dimensions_mm": dict(self.dimensions_mm),
            "electrode_mm": dict(self.electrode_mm),
            "electrode_area_cm2": self.electrode_area_cm2,
            "area_per_cell_cm2": self.area_per_cell_cm2,
            "conditions": dict(self.conditions),
            "jellyroll": {
                "scope": SCOPE_DESCRIPTIONS["jellyroll"],
                "areal_capacity_mAh_cm2": ly.areal_capacity_mAh_cm2,
                "average_voltage_V": ly.average_voltage_V,
                "areal_energy_mWh_cm2": ly.areal_energy_mWh_cm2,
                "areal_mass_mg_cm2": ly.areal_mass_mg_cm2,
                "thickness_um": ly.thickness_um,
                "specific_energy_Wh_kg": ly.specific_energy_Wh_kg,
                "energy_density_Wh_L": ly.energy_density_Wh_L,
                "specific_power_W_kg": ly.specific_power_W_kg,
                "power_density_W_L": ly.power_density_W_L,
                "power_c_rate": ly.power_c_rate,
                "cathode_mg_cm2": dict(ly.cathode_mg_cm2),
                "electrolyte_film_mg_cm2": dict(ly.electrolyte_film_mg_cm2),
                "anode_alloy_mg_cm2": ly.anode_alloy_mg_cm2,
                "cathode_thickness_um": ly.cathode_thickness_um,
                "electrolyte_film_thickness_um": ly.electrolyte_film_thickness_um,
                "anode_thickness_um": ly.anode_thickness_um,
                "np_ratio": ly.np_ratio,
                "np_basis": ly.np_basis,
                "anode_capacity_mAh_cm2": ly.anode_capacity_mAh_cm2,
                "anode_specific_capacity_mAh_g": ly.anode.specific_capacity_mAh_g,
                "anode_density_g_cm3": ly.anode.density_g_cm3,
                "prelithiation_li_mg_cm2": ly.prelithiation_li_mg_cm2,
                "thickness_lithiated_um": ly.thickness_lithiated_um,
                "energy_density_lithiated_Wh_L": ly.energy_density_lithiated_Wh_L,
                "densities_g_cm3": dict(ly.densities_g_cm3),
            },
            "stack": {"scope": SCOPE_DESCRIPTIONS["stack"], **self.levels["stack"]},
            "cell": {"scope": SCOPE_DESCRIPTIONS["cell"], **self.levels["cell"]},
            "with_fixture": {"scope": SCOPE_DESCRIPTIONS["cell_in_fixture"], **self.levels["cell_in_fixture"],
                             "fixture": self.fixture.to_dict()},
            "scopes": dict(SCOPE_DESCRIPTIONS),
            "arrangement": self.arrangement.to_dict(),
            "breathing": {k: dict(v) for k, v in self.breathing.items()},
            "mass_breakdown_g": dict(self.mass_breakdown_g),
            "volume_breakdown_cm3": dict(self.volume_breakdown_cm3),
            "materials_g": dict(self.materials_g),
            "fixture_materials_g": dict(self.fixture_materials_g),
            "materials_by_step_g": {k: dict(v) for k, v in self.materials_by_step_g.items()},
            "rate_table": [dict(r) for r in self.rate_table],
            "fast_charge": dict(self.fast_charge),
            "rate_protocol": self.rate_protocol,
            "within_thickness_limit": self.within_thickness_limit,
            "max_thickness_mm": self.max_thickness_mm,
            "assumptions": list(self.assumptions),
        }


# -- helpers -----------------------------------------------------------------------------------
def _material(materials: MaterialLibrary, mid: str, field_: str):
    m = materials.get(mid)
    if m is None:
        raise InputError.single(_SRC, field_, f"{mid!r} is not in the materials library")
    return m


def _density(materials: MaterialLibrary, mid: str, field_: str) -> float:
    m = _material(materials, mid, field_)
    if m.density_g_cm3 is None:
        raise InputError.single(_SRC, field_, f"material {mid!r} has no density_g_cm3 in the library")
    return m.density_g_cm3


def _add(into: dict[str, float], items: dict[str, float], scale: float = 1.0) -> None:
    for k, v in items.items():
        into[k] = into.get(k, 0.0) + v * scale


@dataclass(frozen=True)
class _Context:
    """Everything that does not depend on the layer count or the footprint."""

    recipe: Any
    materials: MaterialLibrary
    layer: LayerResult
    points: list[RatePoint]
    cu_id: str
    cu_um: float
    cu_rho: float
    al_id: str | None
    al_um: float
    al_rho: float
    anode_sides: int
    cathode_sides: int
    pouch_id: str
    pouch_um: float
    pouch_g_m2: float
    pos_tab: str
    pos_tab_g: float
    neg_tab: str
    neg_tab_g: float
    steel_rho: float
    notes: list[str]


def _context(recipe, materials: MaterialLibrary) -> _Context:
    layer = jellyroll(recipe, materials, source=_SRC)
    cell = recipe.cell
    pk = cell.packaging
    notes: list[str] = []
    cu = pk.anode_collector
    cu_rho = _density(materials, cu.material, "cell.packaging.anode_collector.material")
    al = pk.cathode_collector
    al_rho = _density(materials, al.material, "cell.packaging.cathode_collector.material") if al else 0.0
    pouch = _material(materials, pk.pouch_material, "cell.packaging.pouch_material")
    if pouch.thickness_um is None or (pouch.areal_density_g_m2 is None and pouch.density_g_cm3 is None):
        raise InputError.single(_SRC, "cell.packaging.pouch_material",
                                f"material {pouch.id!r} needs thickness_um and areal_density_g_m2 (or a density)")
    pouch_g_m2 = pouch.areal_density_g_m2 or pouch.thickness_um * pouch.density_g_cm3  # type: ignore[operator]
    tabs = {}
    for role, mid in (("positive_tab", pk.positive_tab), ("negative_tab", pk.negative_tab)):
        m = _material(materials, mid, f"cell.packaging.{role}")
        if m.mass_per_each_g is None:
            raise InputError.single(_SRC, f"cell.packaging.{role}", f"material {mid!r} has no mass_per_each_g")
        tabs[role] = m.mass_per_each_g
    steel_rho = _density(materials, cell.fixture.plate_material, "cell.fixture.plate_material")
    cath_sides = cell.cathode.sides or cell.anode.cast_sides
    notes.append(f"foils: {cu.material} {cu.thickness_um.target:g} um ({cu.thickness_um.source})"
                 + (f"; {al.material} {al.thickness_um.target:g} um ({al.thickness_um.source})" if al else
                    "; no cathode foil (free-standing cathode sheet as in the paper)")
                 + "; foil tab stubs are not counted")
    notes.append(f"pouch: {pouch.id} {pouch.thickness_um:g} um, {pouch_g_m2:g} g/m2, two sheets of the outer footprint "
                 "plus the formed side walls (stack perimeter x stack thickness); tabs "
                 f"{pk.positive_tab} {tabs['positive_tab']:g} g and {pk.negative_tab} {tabs['negative_tab']:g} g, "
                 "one each per cell, not scaled with the cell's current")
    return _Context(
        recipe=recipe, materials=materials, layer=layer, points=rate_points(cell.rate_capability),
        cu_id=cu.material, cu_um=cu.thickness_um.target, cu_rho=cu_rho,
        al_id=al.material if al else None, al_um=al.thickness_um.target if al else 0.0, al_rho=al_rho,
        anode_sides=cell.anode.cast_sides, cathode_sides=cath_sides,
        pouch_id=pouch.id, pouch_um=pouch.thickness_um, pouch_g_m2=pouch_g_m2,
        pos_tab=pk.positive_tab, pos_tab_g=tabs["positive_tab"], neg_tab=pk.negative_tab, neg_tab_g=tabs["negative_tab"],
        steel_rho=steel_rho, notes=notes,
    )


def _overhangs(recipe) -> tuple[float, float]:
    pk = recipe.cell.packaging
    return pk.anode_overhang_mm.target, (pk.electrolyte_overhang_mm.target if pk.electrolyte_overhang_mm else 0.0)


def _electrode_from_outer(recipe, length_mm: float, width_mm: float, what: str, field_: str) -> tuple[float, float]:
    pk = recipe.cell.packaging
    ov = max(_overhangs(recipe))
    tab, seal = pk.tab_margin_mm.target, pk.seal_margin_mm.target
    el = length_mm - tab - seal - 2 * ov
    ew = width_mm - 2 * seal - 2 * ov
    if el <= 0 or ew <= 0:
        raise InputError.single(
            _SRC, field_,
            f"{what} {length_mm:g} x {width_mm:g} mm is smaller than the margins: the length needs more than "
            f"{tab:g} (tab) + {seal:g} (seal) + 2 x {ov:g} (overhang) = {tab + seal + 2 * ov:g} mm and the width more "
            f"than 2 x {seal:g} + 2 x {ov:g} = {2 * seal + 2 * ov:g} mm (cell.packaging margins)", (length_mm, width_mm))
    return el, ew


def resolve_footprint(recipe, *, format: str | None = None, footprint_mm: tuple[float, float] | None = None,
                      formats: FormatCatalogue | None = None) -> tuple[float, float, str, list[str]]:
    """(electrode length, electrode width, label, notes) for a named format, an outer footprint or the recipe."""
    pk = recipe.cell.packaging
    if format is not None and footprint_mm is not None:
        raise InputError.single(_SRC, "format", "give a format or a footprint, not both")
    if format is not None:
        cat = formats if formats is not None else default_formats()
        f = cat.get(format)
        if f is None:
            raise InputError.single(_SRC, "format", f"{format!r} is not a known format; expected one of {cat.ids}", format)
        if f.basis == "electrode":
            return (f.length_mm, f.width_mm, f.id,
                    [f"format {f.id}: electrode {f.length_mm:g} x {f.width_mm:g} mm ({f.source})"])
        el, ew = _electrode_from_outer(recipe, f.length_mm, f.width_mm, f"format {f.id!r}", "format")
        return el, ew, f.id, [f"format {f.id}: outer {f.length_mm:g} x {f.width_mm:g} mm ({f.source}) -> electrode "
                              f"{el:g} x {ew:g} mm after the margins"]
    if footprint_mm is not None:
        try:
            length, width = (float(x) for x in footprint_mm)
        except (TypeError, ValueError):
            raise InputError.single(_SRC, "footprint_mm", "must be (length, width) in mm", footprint_mm) from None
        if not (math.isfinite(length) and math.isfinite(width)) or length <= 0 or width <= 0:
            raise InputError.single(_SRC, "footprint_mm", f"{footprint_mm!r} must be two positive lengths in mm",
                                    footprint_mm)
        el, ew = _electrode_from_outer(recipe, length, width, "footprint", "footprint_mm")
        return el, ew, f"{length:g}x{width:g}mm", [f"footprint: outer {length:g} x {width:g} mm (user) -> electrode "
                                                  f"{el:g} x {ew:g} mm after the margins"]
    el, ew = pk.electrode_length_mm.target, pk.electrode_width_mm.target
    return el, ew, "recipe", [f"footprint: the recipe's electrode {el:g} x {ew:g} mm ({pk.electrode_length_mm.source})"]


def _stack_um(ctx: _Context, layers: int, arr: Arrangement, anode_um: float) -> float:
    ly = ctx.layer
    return (layers * (ly.cathode_thickness_um + ly.electrolyte_film_thickness_um + anode_um)
            + arr.cu_foils * ctx.cu_um + arr.al_foils * ctx.al_um)


def _arrangement(ctx: _Context, layers: int, anode_area: float, cathode_area: float) -> Arrangement:
    return stacking_arrangement(layers, anode_sides=ctx.anode_sides, cathode_sides=ctx.cathode_sides,
                                cathode_collector=ctx.al_id is not None,
                                cu_mg_cm2=ctx.cu_um * ctx.cu_rho * anode_area,
                                al_mg_cm2=ctx.al_um * ctx.al_rho * cathode_area)


def _cell_thickness_mm(ctx: _Context, layers: int, el: float, ew: float) -> float:
    oa, _ = _overhangs(ctx.recipe)
    a_area = (el + 2 * oa) * (ew + 2 * oa) / 100.0
    arr = _arrangement(ctx, layers, a_area, el * ew / 100.0)
    return _stack_um(ctx, layers, arr, ctx.layer.anode_thickness_as_built_um) / 1000.0 + 2 * ctx.pouch_um / 1000.0


def _max_layers(ctx: _Context, el: float, ew: float, limit_mm: float) -> int:
    if _cell_thickness_mm(ctx, 1, el, ew) > limit_mm:
        return 0
    lo, hi = 1, 2
    while _cell_thickness_mm(ctx, hi, el, ew) <= limit_mm:
        lo, hi = hi, hi * 2
        if hi > 10_000_000:
            return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _cell_thickness_mm(ctx, mid, el, ew) <= limit_mm:
            lo = mid
        else:
            hi = mid
    return lo


def _materials_by_step(ctx: _Context, components: dict[str, dict[str, float]], alloy_g: float,
                       notes: list[str]) -> dict[str, dict[str, float]]:
    """Grams of each material per cell that each recipe step consumes (no scrap or yield)."""
    recipe, materials = ctx.recipe, ctx.materials
    kind_components = {
        "cathode_blending": ("cathode",),
        "film_fibrillation": ("electrolyte_film",),
        "melt_cast": ("anode", "anode_collector"),
        "prelithiation": ("prelithiation",),
        "sealing": ("packaging",),
    }
    out: dict[str, dict[str, float]] = {}
    done: set[tuple[str, str]] = set()
    wt = ctx.layer.anode.weight_frac
    alloy_id = recipe.cell.anode.alloy
    for s in recipe.steps:
        named = set(s.inputs)
        for attr in ("alloy", "substrate", "lithium_source", "electrolyte", "binder"):
            v = getattr(s, attr, None)
            if isinstance(v, str):
                named.add(v)
        if s.kind == "alloy_preparation" and getattr(s, "product", None) == alloy_id:
            for mid in s.inputs:
                m = materials.get(mid)
                el = m.formula if m is not None else None
                if el in wt:
                    out.setdefault(s.id, {})[mid] = alloy_g * wt[el]
                else:
                    notes.append(f"steps.{s.id}: input {mid!r} is not an element of the alloy; no quantity given")
            continue
        for comp in kind_components.get(s.kind, ()):
            for mid, g in components.get(comp, {}).items():
                if mid in named and (comp, mid) not in done:
                    out.setdefault(s.id, {})[mid] = out.get(s.id, {}).get(mid, 0.0) + g
                    done.add((comp, mid))
    # what no step lists: the cathode foil goes to the cathode sheet step, the rest is reported
    fallback = {"cathode_collector": ("hot_rolling", "cathode_blending")}
    for comp, items in components.items():
        for mid, g in items.items():
            if (comp, mid) in done or g == 0:
                continue
            target = None
            for kind in fallback.get(comp, ()):
                steps = recipe.steps_of_kind(kind)
                if steps:
                    target = steps[0].id
                    break
            key = target or "unassigned"
            out.setdefault(key, {})[mid] = out.get(key, {}).get(mid, 0.0) + g
            notes.append(f"materials by step: no step lists {mid!r} ({comp}) in its inputs; its {g:.3g} g per cell "
                         f"are put under {key!r}")
    return out


def _build(ctx: _Context, layers: int, el: float, ew: float, label: str, footprint_notes: list[str],
           charge_minutes: float) -> CellResult:
    recipe, ly = ctx.recipe, ctx.layer
    cell = recipe.cell
    pk, cond = cell.packaging, cell.conditions
    notes = list(ly.assumptions) + list(ctx.notes) + list(footprint_notes)
    oa, of = _overhangs(recipe)
    ov = max(oa, of)
    a_c = el * ew / 100.0
    a_a = (el + 2 * oa) * (ew + 2 * oa) / 100.0
    a_f = (el + 2 * of) * (ew + 2 * of) / 100.0
    ls, ws = el + 2 * ov, ew + 2 * ov
    arr = _arrangement(ctx, layers, a_a, a_c)
    notes.append(f"stacking: {arr.description}")

    # capacity and energy: N x one layer (cathode-limited, over the cathode area)
    cap_layer_Ah = a_c * ly.areal_capacity_mAh_cm2 / 1000.0
    cap = layers * cap_layer_Ah
    energy = cap * ly.average_voltage_V

    # masses, g
    cathode_g = {k: v * a_c * layers / 1000.0 for k, v in ly.cathode_mg_cm2.items()}
    film_g = {k: v * a_f * layers / 1000.0 for k, v in ly.electrolyte_film_mg_cm2.items()}
    alloy_g = ly.anode_alloy_mg_cm2 * a_a * layers / 1000.0
    li_g = ly.prelithiation_li_mg_cm2 * a_a * layers / 1000.0
    cu_g = arr.cu_foils * a_a * ctx.cu_um * ctx.cu_rho * 0.1 / 1000.0
    al_g = arr.al_foils * a_c * ctx.al_um * ctx.al_rho * 0.1 / 1000.0
    prelith = recipe.steps_of_kind("prelithiation")
    li_id = prelith[0].lithium_source if prelith else "li_foil"

    # thickness and outer dimensions
    stack_um = _stack_um(ctx, layers, arr, ly.anode_thickness_as_built_um)
    pouch_mm = ctx.pouch_um / 1000.0
    length = ls + pk.tab_margin_mm.target + pk.seal_margin_mm.target
    width = ws + 2 * pk.seal_margin_mm.target
    thick = stack_um / 1000.0 + 2 * pouch_mm
    pouch_cm2 = 2 * length * width / 100.0 + 2 * (ls + ws) * (stack_um / 1000.0) / 100.0
    pouch_g = pouch_cm2 * 1e-4 * ctx.pouch_g_m2
    notes.append(f"margins: tab {pk.tab_margin_mm.target:g} mm at one end ({pk.tab_margin_mm.source}), seal "
                 f"{pk.seal_margin_mm.target:g} mm elsewhere ({pk.seal_margin_mm.source}); overhangs: anode {oa:g} mm, "
                 f"electrolyte film {of:g} mm per side")

    mass_breakdown = {
        "cathode_composite": sum(cathode_g.values()),
        "electrolyte_film": sum(film_g.values()),
        "anode_alloy": alloy_g,
        "prelithiation_lithium": li_g,
        "anode_collector": cu_g,
        "cathode_collector": al_g,
        "positive_tab": ctx.pos_tab_g,
        "negative_tab": ctx.neg_tab_g,
        "pouch_film": pouch_g,
    }
    stack_mass = sum(mass_breakdown[k] for k in ("cathode_composite", "electrolyte_film", "anode_alloy",
                                                  "prelithiation_lithium", "anode_collector", "cathode_collector"))
    mass = sum(mass_breakdown.values())

    materials_g: dict[str, float] = {}
    _add(materials_g, cathode_g)
    _add(materials_g, film_g)
    _add(materials_g, {ly.anode.alloy_id: alloy_g})
    if li_g > 0:
        _add(materials_g, {li_id: li_g})
    _add(materials_g, {ctx.cu_id: cu_g})
    if ctx.al_id is not None:
        _add(materials_g, {ctx.al_id: al_g})
    _add(materials_g, {ctx.pos_tab: ctx.pos_tab_g})
    _add(materials_g, {ctx.neg_tab: ctx.neg_tab_g})
    _add(materials_g, {ctx.pouch_id: pouch_g})

    components = {
        "cathode": cathode_g, "electrolyte_film": film_g, "anode": {ly.anode.alloy_id: alloy_g},
        "anode_collector": {ctx.cu_id: cu_g}, "cathode_collector": {ctx.al_id: al_g} if ctx.al_id else {},
        "prelithiation": {li_id: li_g} if li_g > 0 else {},
        "packaging": {ctx.pouch_id: pouch_g, ctx.pos_tab: ctx.pos_tab_g, ctx.neg_tab: ctx.neg_tab_g},
    }
    by_step = _materials_by_step(ctx, components, alloy_g, notes)

    # volumes, cm3
    stack_vol = ls * ws * stack_um / 1000.0 / 1000.0
    cell_vol = length * width * thick / 1000.0
    vol_breakdown = {
        "cathode_composite": layers * a_c * ly.cathode_thickness_um * 1e-4,
        "electrolyte_film": layers * a_f * ly.electrolyte_film_thickness_um * 1e-4,
        "anode_alloy": layers * a_a * ly.anode_thickness_as_built_um * 1e-4,
        "anode_collector": arr.cu_foils * a_a * ctx.cu_um * 1e-4,
        "cathode_collector": arr.al_foils * a_c * ctx.al_um * 1e-4,
        "tabs": ctx.pos_tab_g / _density(ctx.materials, ctx.pos_tab, "cell.packaging.positive_tab")
        + ctx.neg_tab_g / _density(ctx.materials, ctx.neg_tab, "cell.packaging.negative_tab"),
        "pouch_film": pouch_cm2 * ctx.pouch_um * 1e-4,
    }
    vol_breakdown["seals_margins_and_voids"] = cell_vol - sum(vol_breakdown.values())

    # fixture
    fx = design_fixture(cell.fixture, pressure_MPa=cond.stack_pressure_MPa.target, electrode_length_mm=el,
                        electrode_width_mm=ew, cell_length_mm=length, cell_width_mm=width, cell_thickness_mm=thick,
                        steel_density_g_cm3=ctx.steel_rho)
    notes.extend(fx.notes)
    fx_mass = mass + fx.mass_per_cell_g
    fx_vol = fx.volume_per_cell_cm3
    notes.append("cell in fixture: volume is the plates' footprint x (2 plates + cells) height; bolt heads and "
                 "nuts outside it are not counted")

    def level(m_g: float, v_cm3: float, **extra: float) -> dict[str, float]:
        return {"mass_g": m_g, "volume_cm3": v_cm3, "energy_Wh": energy,
                "specific_energy_Wh_kg": energy / m_g * 1000.0, "energy_density_Wh_L": energy / v_cm3 * 1000.0,
                **extra}

    levels = {
        "jellyroll": {"areal_mass_mg_cm2": ly.areal_mass_mg_cm2, "thickness_um": ly.thickness_um,
                      "specific_energy_Wh_kg": ly.specific_energy_Wh_kg,
                      "energy_density_Wh_L": ly.energy_density_Wh_L},
        "stack": level(stack_mass, stack_vol, thickness_mm=stack_um / 1000.0),
        "cell": level(mass, cell_vol, thickness_mm=thick),
        "cell_in_fixture": level(fx_mass, fx_vol, fixture_mass_per_cell_g=fx.mass_per_cell_g,
                                 plate_thickness_mm=fx.plate_thickness_mm),
    }

    # breathing: the cell's thickness and Wh/L as built, at top of charge and fully lithiated
    breathing: dict[str, dict[str, float]] = {}
    for state, a_um, x in (("as_built", ly.anode_thickness_as_built_um, ly.prelithiation_depth_frac),
                           ("charged", ly.anode_thickness_charged_um, ly.lithiation_charged_frac),
                           ("fully_lithiated", ly.anode_thickness_lithiated_um, 1.0)):
        s_um = _stack_um(ctx, layers, arr, a_um)
        t_mm = s_um / 1000.0 + 2 * pouch_mm
        v = length * width * t_mm / 1000.0
        breathing[state] = {"anode_lithiation_frac": x, "anode_thickness_um": a_um, "stack_thickness_mm": s_um / 1000.0,
                            "cell_thickness_mm": t_mm, "cell_energy_density_Wh_L": energy / v * 1000.0,
                            "stack_energy_density_Wh_L": energy / (ls * ws * s_um / 1e6) * 1000.0}
    grow = breathing["charged"]["stack_thickness_mm"] - breathing["as_built"]["stack_thickness_mm"]
    notes.append(f"breathing: the stack grows {grow * 1000:.0f} um from as built to top of charge; the fixture must "
                 "take this up (springs or a pressure-controlled press) or the stack pressure rises")
    if li_g > 0:
        notes.append(f"prelithiation takes up {li_g:.3f} g of {li_id} per cell (lithium in the alloy, not the foil "
                     "consumed: foil scrap is the cost module's)")

    # rate capability
    table = []
    for p in ctx.points:
        e = energy * p.energy_frac
        table.append({
            "c_rate": p.c_rate, "retention_frac": p.retention_frac, "voltage_ratio": p.voltage_ratio,
            "charge_min": p.charge_min, "charge_min_measured": p.charge_min_measured,
            "capacity_Ah": cap * p.retention_frac, "energy_Wh": e,
            "jellyroll_specific_energy_Wh_kg": ly.specific_energy_Wh_kg * p.energy_frac,
            "specific_energy_Wh_kg": e / mass * 1000.0,
            "energy_density_Wh_L": e / cell_vol * 1000.0,
            "with_fixture_specific_energy_Wh_kg": e / fx_mass * 1000.0,
        })
    rc = cell.rate_capability
    slope = rc.voltage_ratio_slope.target if rc.voltage_ratio_slope is not None else 0.0
    notes.append(f"rate: {rc.protocol} ({rc.source}); energy = retention x capacity x {ly.average_voltage_V:g} V x "
                 f"voltage ratio, ratio = 1 - {slope:g} x (1 - retention) "
                 f"({rc.voltage_ratio_slope.source if rc.voltage_ratio_slope else 'assumed: voltage unchanged'})")
    est = [f"{p.c_rate:g} C" for p in ctx.points if not p.charge_min_measured]
    if est:
        notes.append(f"charge time at {', '.join(est)} estimated as 60 x retention / C-rate (docs/model.md); "
                     "the others are the paper's")
    frac = energy_frac_at_charge_min(ctx.points, charge_minutes)
    c_at = c_rate_at_charge_min(ctx.points, charge_minutes)
    fast: dict[str, Any] = {"charge_min": charge_minutes, "c_rate": c_at, "energy_frac": frac}
    if frac is not None:
        e = energy * frac
        fast.update({"energy_Wh": e, "jellyroll_specific_energy_Wh_kg": ly.specific_energy_Wh_kg * frac,
                     "specific_energy_Wh_kg": e / mass * 1000.0, "energy_density_Wh_L": e / cell_vol * 1000.0,
                     "with_fixture_specific_energy_Wh_kg": e / fx_mass * 1000.0,
                     "note": "interpolated linearly in charge time between the rate points"})
    else:
        fast["note"] = "outside the measured charge times; not extrapolated"

    limit = pk.max_thickness_mm.target
    conditions = {**ly.conditions, "scope_of_headline": "cell (stack + tabs + pouch), as built, at the reference rate"}
    return CellResult(
        format=label, layers=layers, capacity_Ah=cap, energy_Wh=energy, mass_g=mass,
        specific_energy_Wh_kg=energy / mass * 1000.0, energy_density_Wh_L=energy / cell_vol * 1000.0,
        stack_force_kN=stack_force_kN(cond.stack_pressure_MPa.target, a_c),
        dimensions_mm={"length": length, "width": width, "thickness": thick},
        electrode_mm={"length": el, "width": ew}, electrode_area_cm2=a_c, area_per_cell_cm2=a_c * layers,
        conditions=conditions, levels=levels, arrangement=arr, fixture=fx, breathing=breathing,
        mass_breakdown_g=mass_breakdown, volume_breakdown_cm3=vol_breakdown, materials_g=materials_g,
        fixture_materials_g=dict(fx.materials_g), materials_by_step_g=by_step, rate_table=table, fast_charge=fast,
        within_thickness_limit=thick <= limit + 1e-12, max_thickness_mm=limit, rate_protocol=rc.protocol, layer=ly,
        assumptions=notes,
    )


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError.single(_SRC, name, f"{value!r} must be a positive number", value)
    return float(value)


def size_cell(recipe, materials: MaterialLibrary, *, layers: int | None = None, capacity_Ah: float | None = None,
              energy_Wh: float | None = None, format: str | None = None,
              footprint_mm: tuple[float, float] | None = None, formats: FormatCatalogue | None = None,
              charge_minutes: float = 10.0) -> CellResult:
    """Size a pouch cell from the recipe's single layer.

    Give at most one of ``layers``, ``capacity_Ah`` (reference-rate discharge) or ``energy_Wh``,
    and at most one of ``format`` (a name in ``recipes/formats.yaml``, or in ``formats``) or
    ``footprint_mm`` (outer pouch length x width, length along the tabs). With nothing given,
    the recipe's own product: its electrode and ``cell.packaging.layers`` (the paper's recipe: one
    35 x 50 mm layer). A target is met with the fewest layers that
    reach it. Raises :class:`InputError` for impossible requests (more layers than the thickness
    limit allows, a footprint smaller than the margins).
    """
    given = [n for n, v in (("layers", layers), ("capacity_Ah", capacity_Ah), ("energy_Wh", energy_Wh)) if v is not None]
    if len(given) > 1:
        raise InputError.single(_SRC, given[1], f"give one of layers, capacity_Ah or energy_Wh, not {' and '.join(given)}")
    if layers is not None and (isinstance(layers, bool) or not isinstance(layers, int) or layers < 1):
        raise InputError.single(_SRC, "layers", f"{layers!r} must be a whole number >= 1", layers)
    _positive("charge_minutes", charge_minutes)
    ctx = _context(recipe, materials)
    el, ew, label, fnotes = resolve_footprint(recipe, format=format, footprint_mm=footprint_mm, formats=formats)
    a_c = el * ew / 100.0
    per_layer_Ah = a_c * ctx.layer.areal_capacity_mAh_cm2 / 1000.0
    per_layer_Wh = per_layer_Ah * ctx.layer.average_voltage_V
    limit = recipe.cell.packaging.max_thickness_mm.target
    what = ""
    if capacity_Ah is not None:
        target = _positive("capacity_Ah", capacity_Ah)
        n = max(1, math.ceil(target / per_layer_Ah - 1e-9))
        what = f"{target:g} Ah needs {n} layers of {per_layer_Ah:.4g} Ah"
        fnotes.append(f"layers: {what} ({el:g} x {ew:g} mm electrode)")
    elif energy_Wh is not None:
        target = _positive("energy_Wh", energy_Wh)
        n = max(1, math.ceil(target / per_layer_Wh - 1e-9))
        what = f"{target:g} Wh needs {n} layers of {per_layer_Wh:.4g} Wh"
        fnotes.append(f"layers: {what} ({el:g} x {ew:g} mm electrode)")
    else:
        n = layers if layers is not None else recipe.cell.packaging.layers
        what = f"{n} layers"
    t = _cell_thickness_mm(ctx, n, el, ew)
    if t > limit + 1e-12:
        n_max = _max_layers(ctx, el, ew, limit)
        fit = (f"at most {n_max} layers ({n_max * per_layer_Ah:.3g} Ah, {n_max * per_layer_Wh:.3g} Wh) fit on this "
               "footprint; use a larger format" if n_max else "not even one layer fits")
        raise InputError.single(
            _SRC, "cell.packaging.max_thickness_mm",
            f"{what}: a cell {t:.2f} mm thick, above the packaging limit of {limit:g} mm; {fit}", limit)
    return _build(ctx, n, el, ew, label, fnotes, charge_minutes)


def energy_density_vs_layers(recipe, materials: MaterialLibrary, layers: Iterable[int] = range(1, 41), *,
                             format: str | None = None, footprint_mm: tuple[float, float] | None = None,
                             formats: FormatCatalogue | None = None) -> pd.DataFrame:
    """Wh/kg and Wh/L at the stack, cell and cell-in-fixture scopes versus layer count.

    Layer counts beyond the packaging thickness limit are kept and flagged
    (``within_thickness_limit``) rather than refused, so a chart can show where the limit bites.
    """
    ctx = _context(recipe, materials)
    el, ew, label, fnotes = resolve_footprint(recipe, format=format, footprint_mm=footprint_mm, formats=formats)
    rows = []
    for n in layers:
        if isinstance(n, bool) or int(n) != n or n < 1:
            raise InputError.single(_SRC, "layers", f"{n!r} must be a whole number >= 1", n)
        r = _build(ctx, int(n), el, ew, label, fnotes, 10.0)
        rows.append({
            "layers": r.layers, "format": label, "capacity_Ah": r.capacity_Ah, "energy_Wh": r.energy_Wh,
            "thickness_mm": r.dimensions_mm["thickness"],
            "jellyroll_Wh_kg": r.levels["jellyroll"]["specific_energy_Wh_kg"],
            "jellyroll_Wh_L": r.levels["jellyroll"]["energy_density_Wh_L"],
            "stack_Wh_kg": r.levels["stack"]["specific_energy_Wh_kg"],
            "stack_Wh_L": r.levels["stack"]["energy_density_Wh_L"],
            "cell_Wh_kg": r.specific_energy_Wh_kg, "cell_Wh_L": r.energy_density_Wh_L,
            "with_fixture_Wh_kg": r.with_fixture["specific_energy_Wh_kg"],
            "with_fixture_Wh_L": r.with_fixture["energy_density_Wh_L"],
            "within_thickness_limit": r.within_thickness_limit,
        })
    return pd.DataFrame(rows)


__all__ = ["Arrangement", "CellResult", "SCOPES", "SCOPE_DESCRIPTIONS", "energy_density_vs_layers", "resolve_footprint", "size_cell",
           "stacking_arrangement"]
