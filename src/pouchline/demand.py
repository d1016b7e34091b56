"""Annual material demand of a plan against the world's supply.

A plan that makes ``good_cells_per_yr`` good cells buys, per year, every purchased material of the
cost model's material lines (:func:`pouchline.cost.cost_cell`), whose quantities per good cell
already carry scrap and web trim (``MaterialLine.g_per_good_cell`` = grams consumed at the step x
units started there per good cell, trim included)::

    demand_t_per_yr(material) = sum over its lines of g_per_good_cell x good_cells_per_yr / 1e6

Each material with a computable element composition (:meth:`pouchline.materials.Material.
element_mass_fractions`: an alloy from its at.%, a compound from its formula) is split into
elements; their tonnages add up to the tonnage of those materials (mass is conserved). An element's
demand over the world's annual production of it (``elements:`` of the materials library) is its
``share_of_world_frac``; shares above ``threshold_frac`` (default 1 %) are flagged as a supply risk.
At ``GWh_per_yr`` the plan would take the world's whole output of an element at
``GWh_per_yr / share`` (demand scales linearly with volume); the smallest such volume is that of
the tightest element.

Pure: no files, no printing. ``pouchline demand`` prints it; ``plan``, the BOM and the app call
:func:`material_demand` with the cost result they already have.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pouchline.display import DASH, fmt_number, fmt_pct
from pouchline.materials import MaterialLibrary

#: Shares of world production above this are flagged as a supply risk (1 %).
DEFAULT_THRESHOLD_FRAC = 0.01

MATERIAL_COLUMNS: tuple[str, ...] = (
    "material_id", "name", "g_per_good_cell", "demand_t_per_yr", "resolved_to_elements", "composition_wt_pct",
    "note")
ELEMENT_COLUMNS: tuple[str, ...] = (
    "element", "name", "g_per_good_cell", "demand_t_per_yr", "world_production_t_per_yr", "world_production_stage",
    "world_production_year", "world_production_source", "share_of_world_frac", "supply_risk",
    "GWh_per_yr_at_world_output", "world_reserves_t", "from_materials")


@dataclass(frozen=True)
class DemandResult:
    """What a plan buys in a year, by material and by element, against world production.

    ``materials`` has one row per purchased material (:data:`MATERIAL_COLUMNS`), largest first;
    ``elements`` one row per element (:data:`ELEMENT_COLUMNS`), largest share of world first.
    """

    good_cells_per_yr: float
    energy_per_cell_Wh: float
    threshold_frac: float
    materials: pd.DataFrame
    elements: pd.DataFrame
    library: str  # materials library id and revision the world figures come from

    @property
    def GWh_per_yr(self) -> float:
        return self.good_cells_per_yr * self.energy_per_cell_Wh / 1e9

    @property
    def supply_risks(self) -> list[str]:
        """Elements whose share of world production exceeds the threshold, largest share first."""
        return list(self.elements.loc[self.elements["supply_risk"], "element"])

    @property
    def tightest(self) -> dict[str, Any] | None:
        """The element row with the largest share of world production (``None`` without world figures)."""
        known = self.elements[self.elements["share_of_world_frac"].notna()]
        if known.empty:
            return None
        return known.sort_values("share_of_world_frac", ascending=False).iloc[0].to_dict()

    @property
    def GWh_per_yr_at_world_output(self) -> float:
        """GWh/yr at which the plan would take the world's whole output of its tightest element."""
        t = self.tightest
        return float(t["GWh_per_yr_at_world_output"]) if t else math.nan

    @property
    def unresolved_materials(self) -> list[str]:
        """Materials not split into elements (no formula or composition)."""
        return list(self.materials.loc[~self.materials["resolved_to_elements"], "material_id"])

    def headline(self) -> str:
        """One sentence for a report: volume, tightest element, its share and the world-output volume."""
        t = self.tightest
        vol = (f"{fmt_number(self.GWh_per_yr)} GWh/yr ({self.good_cells_per_yr:,.0f} good cells of "
               f"{self.energy_per_cell_Wh:.4g} Wh)")
        if t is None:
            return f"{vol}: no element has a world production figure in the materials library."
        out = (f"{vol} takes {fmt_pct(t['share_of_world_frac'])} of the world's "
               f"{t['world_production_stage']} {t['name']} output ({t['world_production_t_per_yr']:,.0f} t in "
               f"{t['world_production_year']}); the whole world's {t['name']} would make "
               f"{fmt_number(t['GWh_per_yr_at_world_output'])} GWh/yr of this cell.")
        risks = self.elements[self.elements["supply_risk"]]
        if len(risks):
            out += (f" Supply risk (over {fmt_pct(self.threshold_frac)} of world output): "
                    + ", ".join(f"{r.element} {fmt_pct(r.share_of_world_frac)}" for r in risks.itertuples())
                    + ".")
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; NaN becomes null. Units are in every key."""
        from pouchline.fileio import jsonable

        t = self.tightest
        return jsonable({
            "good_cells_per_yr": self.good_cells_per_yr,
            "energy_per_cell_Wh": self.energy_per_cell_Wh,
            "GWh_per_yr": self.GWh_per_yr,
            "threshold_frac": self.threshold_frac,
            "library": self.library,
            "materials": _records(self.materials),
            "elements": _records(self.elements),
            "supply_risks": self.supply_risks,
            "tightest_element": t["element"] if t else None,
            "tightest_share_of_world_frac": t["share_of_world_frac"] if t else None,
            "GWh_per_yr_at_world_output": self.GWh_per_yr_at_world_output,
            "unresolved_materials": self.unresolved_materials,
            "headline": self.headline(),
        })


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts, missing values (NaN, NA) as None."""
    return df.astype(object).where(df.notna(), None).to_dict("records")


def _lines_of(cost_or_lines: Any) -> list[Any]:
    lines = getattr(cost_or_lines, "material_lines", cost_or_lines)
    return list(lines)


def _positive(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0, not {value!r}")
    return v


def material_demand(
    cost_or_lines: Any,
    materials: MaterialLibrary,
    *,
    good_cells_per_yr: float | None = None,
    energy_per_cell_Wh: float | None = None,
    threshold_frac: float = DEFAULT_THRESHOLD_FRAC,
) -> DemandResult:
    """Annual demand of every purchased material and element, and its share of world production.

    ``cost_or_lines``: a :class:`pouchline.cost.CostResult` (its ``material_lines``, and by default
    its ``annual_good_cells`` and ``energy_Wh``) or an iterable of
    :class:`pouchline.cost.MaterialLine`. ``good_cells_per_yr`` and ``energy_per_cell_Wh`` override
    the cost result's (and are required with bare lines): the same lines serve any volume, e.g.
    a line's yields and trim at a plant of several lines. ``threshold_frac``: share of world
    production above which an element is flagged (0.01 = 1 %).
    """
    if good_cells_per_yr is None:
        good_cells_per_yr = getattr(cost_or_lines, "annual_good_cells", None)
    if energy_per_cell_Wh is None:
        energy_per_cell_Wh = getattr(cost_or_lines, "energy_Wh", None)
    cells = _positive("good_cells_per_yr", good_cells_per_yr)
    energy = _positive("energy_per_cell_Wh", energy_per_cell_Wh)
    threshold = _positive("threshold_frac", threshold_frac)
    if threshold > 1:
        raise ValueError(f"threshold_frac must be at most 1 (100 %), not {threshold_frac!r}")
    gwh = cells * energy / 1e9

    g_by_material: dict[str, float] = defaultdict(float)
    names: dict[str, str] = {}
    for ln in _lines_of(cost_or_lines):
        g_by_material[ln.material_id] += float(ln.g_per_good_cell)
        names.setdefault(ln.material_id, getattr(ln, "name", ln.material_id))

    mat_rows: list[dict[str, Any]] = []
    g_by_element: dict[str, float] = defaultdict(float)
    sources: dict[str, list[str]] = defaultdict(list)
    for mid, g in g_by_material.items():
        m = materials.get(mid)
        fractions = m.element_mass_fractions() if m is not None else None
        note = "" if fractions else (m.composition_gap() if m is not None else
                                     f"{mid!r} is not in materials library {materials.id}; not resolved to elements")
        for el, w in (fractions or {}).items():
            g_by_element[el] += g * w
            sources[el].append(mid)
        mat_rows.append({
            "material_id": mid, "name": names[mid], "g_per_good_cell": g, "demand_t_per_yr": g * cells / 1e6,
            "resolved_to_elements": fractions is not None,
            "composition_wt_pct": ", ".join(f"{el} {100 * w:.2f}" for el, w in (fractions or {}).items()),
            "note": note or ""})

    el_rows: list[dict[str, Any]] = []
    for el, g in g_by_element.items():
        sup = materials.element(el)
        wp = sup.world_production if sup is not None else None
        wr = sup.world_reserves if sup is not None else None
        t = g * cells / 1e6
        share = t / wp.value_t_per_yr if wp is not None else math.nan
        el_rows.append({
            "element": el, "name": sup.name if sup is not None else el, "g_per_good_cell": g, "demand_t_per_yr": t,
            "world_production_t_per_yr": wp.value_t_per_yr if wp else math.nan,
            "world_production_stage": wp.stage if wp else "",
            "world_production_year": wp.year if wp else None,
            "world_production_source": wp.source if wp else (
                (sup.notes if sup is not None and sup.notes else "")
                or f"no world production figure in materials library {materials.id}"),
            "share_of_world_frac": share,
            "supply_risk": bool(share > threshold),
            "GWh_per_yr_at_world_output": gwh / share if share > 0 else math.nan,
            "world_reserves_t": wr.value_t if wr else math.nan,
            "from_materials": ", ".join(sources[el])})

    mats = pd.DataFrame(mat_rows, columns=list(MATERIAL_COLUMNS))
    mats = mats.sort_values("demand_t_per_yr", ascending=False, kind="stable").reset_index(drop=True)
    elems = pd.DataFrame(el_rows, columns=list(ELEMENT_COLUMNS)).astype({"world_production_year": "Int64"})
    elems = elems.sort_values(["share_of_world_frac", "demand_t_per_yr"], ascending=[False, False],
                              na_position="last", kind="stable").reset_index(drop=True)
    elems["supply_risk"] = elems["supply_risk"].astype(bool)
    mats["resolved_to_elements"] = mats["resolved_to_elements"].astype(bool)
    return DemandResult(good_cells_per_yr=cells, energy_per_cell_Wh=energy, threshold_frac=threshold,
                        materials=mats, elements=elems, library=f"{materials.id} rev {materials.revision}")


def demand_at_GWh_per_yr(cost_or_lines: Any, materials: MaterialLibrary, GWh_per_yr: float, *,
                         energy_per_cell_Wh: float | None = None,
                         threshold_frac: float = DEFAULT_THRESHOLD_FRAC) -> DemandResult:
    """:func:`material_demand` at an annual energy output: good cells = GWh x 1e9 / Wh per cell.

    The scale-up table's call: the same yields and trim (the cost result's lines) at each target.
    """
    if energy_per_cell_Wh is None:
        energy_per_cell_Wh = getattr(cost_or_lines, "energy_Wh", None)
    energy = _positive("energy_per_cell_Wh", energy_per_cell_Wh)
    cells = _positive("GWh_per_yr", GWh_per_yr) * 1e9 / energy
    return material_demand(cost_or_lines, materials, good_cells_per_yr=cells, energy_per_cell_Wh=energy,
                           threshold_frac=threshold_frac)


def stage_and_year(row: Any) -> str:
    """``refinery, 2024`` for an element row (of :attr:`DemandResult.elements`), a dash without a world figure."""
    return f"{row.world_production_stage}, {row.world_production_year}" if row.world_production_stage else DASH


def demand_markdown(result: DemandResult) -> list[str]:
    """A Markdown section (lines) for a plan's README: the headline and the element table."""

    out = ["## Material demand against world supply", "", result.headline(), "",
           "| element | t/yr | world production, t/yr | stage, year | share of world | GWh/yr at world output | |",
           "|---|---|---|---|---|---|---|"]
    for r in result.elements.itertuples():
        out.append(f"| {r.element} | {fmt_number(r.demand_t_per_yr)} | "
                   f"{fmt_number(r.world_production_t_per_yr)} | {stage_and_year(r)} | "
                   f"{fmt_pct(r.share_of_world_frac)} | {fmt_number(r.GWh_per_yr_at_world_output)} | "
                   f"{'supply risk' if r.supply_risk else ''} |")
    out += ["", "Purchased materials, t/yr (scrap and trim included): "
            + "; ".join(f"{r.material_id} {fmt_number(r.demand_t_per_yr)}" for r in result.materials.itertuples())
            + "."]
    if result.unresolved_materials:
        out.append(f"Not split into elements (no formula): {', '.join(result.unresolved_materials)}.")
    return out


__all__ = ["DEFAULT_THRESHOLD_FRAC", "DemandResult", "ELEMENT_COLUMNS", "MATERIAL_COLUMNS", "demand_at_GWh_per_yr",
           "demand_markdown", "material_demand", "stage_and_year"]
