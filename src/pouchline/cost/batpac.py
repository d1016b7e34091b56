"""BatPaC 5.0's plant formulas on pouchline's plant: a check of equipment capex, labour and floor.

Argonne's BatPaC (Knehr, Kubal, Nelson, Ahmed, *BatPaC 5.0*, ANL/CSE-22/1, 2022) costs each
process step of a baseline plant and scales it to another plant by the step's driver::

    factor = baseline factor x (driver / baseline driver) ** p

for three factors (direct labour h/yr, capital equipment USD, plant floor m2), with exponents p per
step and factor. Two exceptions depend on the cell: stacking scales further with
``(cell Ah / 68) ** 0.95`` and formation with ``(cell Ah / 68) ** 0.3`` (the baseline cell holds
68 Ah). The baseline plant makes 50 GWh/yr: 500,000 packs of 100 kWh, 211 million cells.

The baseline factors, drivers and exponents below are BatPaC 5.0's (sheet "Manufacturing Costs"),
as tabulated in Baars2023 (``data/default_manufacturing_cost_parameters.xlsx``, sheets
baseline_factors, p_values_process, default_manufacturing_rates; exceptions from its
``factors_battery_production``). The formulas are written here from that description; no code is
copied. :func:`batpac_comparison` returns the rows a test and docs/validation.md share.

**The same plant.** BatPaC's steps are mapped to this solvent-free cell: coating and drying of
the cathode stands for hot rolling, of the anode for casting; calendering, notching and slitting
as BatPaC's; the cells' own steps (stacking, welding, X-ray, enclosing, sealing, formation), the
dry room, warehouse, control lab, scrap recycling and building support systems as BatPaC's.
Left out: solvent recovery and vacuum drying (no solvent), module and pack assembly (cells only).
BatPaC makes no separator; pouchline makes a sulfide electrolyte film. These are differences of
scope, so the tolerances are factors (:data:`TOLERANCE_FACTORS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

#: BatPaC 5.0 baseline plant drivers per year (Baars2023, default_manufacturing_rates).
BASELINE_DRIVERS: dict[str, float] = {
    "energy_kWh": 5.0e7,
    "total_cells": 2.11e8,
    "positive_area_m2": 3.03e8,
    "negative_area_m2": 3.15e8,
    "positive_am_kg": 7.25e7,
    "negative_am_kg": 4.91e7,
}
BASELINE_CELL_AH = 68.0

#: step -> (labour h/yr, capital MUSD, floor m2, p labour, p capital, p floor, driver), BatPaC 5.0
#: baseline (Baars2023: baseline_factors, p_values_process, volume_ratio_mapping).
BASELINE_STEPS: dict[str, tuple[float, float, float, float, float, float, str]] = {
    "warehouse": (13_000, 200, 10_000, 0.7, 0.95, 0.95, "energy_kWh"),
    "mixing cathode materials": (200_000, 200, 8_000, 0.9, 0.9, 0.95, "positive_am_kg"),
    "mixing anode materials": (270_000, 280, 8_800, 0.9, 0.9, 0.95, "negative_am_kg"),
    "cathode coating and drying": (59_000, 90, 16_000, 0.7, 0.9, 0.95, "positive_area_m2"),
    "anode coating and drying": (47_000, 78, 16_000, 0.7, 0.9, 0.95, "negative_area_m2"),
    "cathode calendering": (47_000, 25, 2_100, 0.7, 0.9, 0.95, "positive_area_m2"),
    "anode calendering": (53_000, 25, 2_100, 0.7, 0.9, 0.95, "negative_area_m2"),
    "cathode notching": (250_000, 29, 3_200, 0.7, 0.9, 0.95, "positive_area_m2"),
    "anode notching": (250_000, 29, 3_200, 0.7, 0.9, 0.95, "negative_area_m2"),
    "cathode slitting": (150_000, 34.5, 0, 0.7, 0.9, 0.95, "positive_area_m2"),
    "anode slitting": (150_000, 34.5, 0, 0.7, 0.9, 0.95, "negative_area_m2"),
    "cell stacking": (530_000, 130, 0, 0.9, 0.9, 0.95, "total_cells"),
    "terminal welding": (180_000, 190, 0, 0.9, 0.9, 0.95, "total_cells"),
    "x-ray inspection": (180_000, 14, 0, 0.9, 0.9, 0.95, "total_cells"),
    "jelly roll enclosing": (55_000, 11, 0, 0.9, 0.9, 0.95, "total_cells"),
    "electrolyte filling and sealing": (126_000, 25, 0, 0.9, 0.9, 0.95, "total_cells"),
    "dry room management": (10_000, 7.3, 61_000, 0.7, 0.9, 0.95, "dry_room"),
    "cell formation": (560_000, 830, 110_000, 0.7, 0.95, 0.95, "total_cells"),
    "rejected cell and scrap recycling": (38_000, 9.3, 3_300, 0.7, 0.9, 0.95, "total_cells"),
    "control lab": (48_000, 16, 1_300, 0.7, 0.95, 0.95, "energy_kWh"),
    "building support systems": (0, 1_700, 0, 0.7, 0.95, 0.95, "energy_kWh"),
}
#: Steps of BatPaC's plant this cell does not need (solvent-free, cells only), left out of the comparison.
LEFT_OUT = ("solvent recovery", "vacuum drying cathode", "vacuum drying anode", "module assembly", "pack assembly")

#: How far pouchline may be from BatPaC, as a factor either way, per compared quantity.
TOLERANCE_FACTORS: dict[str, float] = {"equipment capex per GWh/yr": 1.5, "direct labour per GWh/yr": 1.5,
                                       "floor area per GWh/yr": 2.0}

SOURCE = ("sourced: BatPaC5 baseline plant factors and exponents (Knehr et al., ANL/CSE-22/1, 2022, sheet "
          "'Manufacturing Costs'), as tabulated in Baars2023")


@dataclass(frozen=True)
class BatpacDrivers:
    """The yearly drivers of BatPaC's step factors for one plant."""

    energy_kWh: float
    total_cells: float
    positive_area_m2: float
    negative_area_m2: float
    positive_am_kg: float
    negative_am_kg: float
    cell_capacity_Ah: float

    def ratio(self, driver: str) -> float:
        if driver == "dry_room":  # BatPaC: max of the cell and electrode-area ratios
            return max(self.total_cells / BASELINE_DRIVERS["total_cells"],
                       self.positive_area_m2 / BASELINE_DRIVERS["positive_area_m2"])
        return getattr(self, driver) / BASELINE_DRIVERS[driver]


def drivers_for(cell: Any, annual_MWh: float, *, positive_am_ids: tuple[str, ...] = ("lco",),
                negative_am_ids: tuple[str, ...] = ("insnbi",)) -> BatpacDrivers:
    """BatPaC's drivers for ``annual_MWh`` of good ``cell``s a year.

    Cells are good cells (BatPaC's "total cells" add its aging-step rejects, a few per cent that
    move the factors by less than p x that). Electrode areas are the cell's electrode area (one
    cathode and one anode per layer); active materials the cell's LCO and alloy.
    """
    cells = annual_MWh * 1e6 / float(cell.energy_Wh)
    area = float(cell.area_per_cell_cm2) / 1e4
    g = dict(cell.materials_g)
    pos = sum(g.get(i, 0.0) for i in positive_am_ids) / 1000.0
    neg = sum(g.get(i, 0.0) for i in negative_am_ids) / 1000.0
    return BatpacDrivers(energy_kWh=annual_MWh * 1000.0, total_cells=cells, positive_area_m2=cells * area,
                         negative_area_m2=cells * area, positive_am_kg=cells * pos, negative_am_kg=cells * neg,
                         cell_capacity_Ah=float(cell.capacity_Ah))


def batpac_factors(d: BatpacDrivers) -> dict[str, dict[str, float]]:
    """Per BatPaC step: ``labour_h_per_yr``, ``capital_usd``, ``floor_m2`` at the plant's drivers."""
    out: dict[str, dict[str, float]] = {}
    for step, (lab, cap, land, pl, pc, pf, driver) in BASELINE_STEPS.items():
        r = d.ratio(driver)
        f = {"labour_h_per_yr": lab * r ** pl, "capital_usd": cap * 1e6 * r ** pc, "floor_m2": land * r ** pf}
        if step == "cell stacking":  # BatPaC: stacking grows with the cell's capacity
            k = (d.cell_capacity_Ah / BASELINE_CELL_AH) ** 0.95
            f = {key: v * k for key, v in f.items()}
        if step == "cell formation":  # BatPaC: formation grows with the cell's capacity
            k = (d.cell_capacity_Ah / BASELINE_CELL_AH) ** 0.3
            f = {key: v * k for key, v in f.items()}
            if d.cell_capacity_Ah > 80:
                f["capital_usd"] *= 1.1
        out[step] = f
    return out


def batpac_comparison(recipe: Any, materials: Any, cell: Any, *, annual_MWh: float = 1000.0, cost: Any = None,
                      rates: Any = None, catalogue: Any = None,
                      tolerance_factors: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
    """pouchline's plant against BatPaC 5.0's formulas on the same drivers, as rows of
    ``quantity, unit, pouchline, batpac, tolerance, pass, source``.

    ``cost``: a :class:`pouchline.cost.CostResult` of the plant (default: the default plant, i.e. the
    sized line, at ``annual_MWh``). Per GWh/yr: equipment capex, direct labour hours, floor area.
    ``pass`` when pouchline is within the row's factor of BatPaC either way (:data:`TOLERANCE_FACTORS`:
    x1.5 for capex and labour, x2 for floor, whose BatPaC figure includes warehouse and module-line
    space pouchline does not plan).
    """
    tol = {**TOLERANCE_FACTORS, **(tolerance_factors or {})}
    if cost is None:
        from pouchline.cost import cost_cell, load_rates

        cost = cost_cell(recipe, materials, cell, rates=rates if rates is not None else load_rates(),
                         annual_volume_MWh=annual_MWh, catalogue=catalogue, maturity="mature")
    made_MWh = cost.annual_MWh
    d = drivers_for(cell, made_MWh)
    f = batpac_factors(d)
    gwh = made_MWh / 1000.0
    bp_capex = sum(v["capital_usd"] for v in f.values()) / gwh
    bp_labour = sum(v["labour_h_per_yr"] for v in f.values()) / gwh
    bp_floor = sum(v["floor_m2"] for v in f.values()) / gwh
    pl_capex = cost.equipment_capex_usd / gwh
    pl_labour = cost.labour_h_per_yr / gwh
    pl_floor = cost.floor_m2 / gwh
    rows = []
    for q, unit, a, b in (("equipment capex per GWh/yr", "USD per GWh/yr", pl_capex, bp_capex),
                          ("direct labour per GWh/yr", "h/yr per GWh/yr", pl_labour, bp_labour),
                          ("floor area per GWh/yr", "m2 per GWh/yr", pl_floor, bp_floor)):
        t = tol[q]
        ok = math.isfinite(a) and b > 0 and 1.0 / t <= a / b <= t
        rows.append({"quantity": q, "unit": unit, "pouchline": a, "batpac": b,
                     "tolerance": f"within x{t:g} either way", "ratio": a / b if b else math.nan,
                     "pass": bool(ok), "source": SOURCE})
    return rows


def batpac_steps_table(cell: Any, annual_MWh: float = 1000.0) -> list[Mapping[str, Any]]:
    """BatPaC's factors per step at ``annual_MWh`` (for the report), with each step's driver ratio."""
    d = drivers_for(cell, annual_MWh)
    f = batpac_factors(d)
    return [{"step": s, "driver": BASELINE_STEPS[s][6], "driver_ratio": d.ratio(BASELINE_STEPS[s][6]), **v}
            for s, v in f.items()]


__all__ = ["BASELINE_DRIVERS", "BASELINE_STEPS", "BatpacDrivers", "LEFT_OUT", "TOLERANCE_FACTORS", "batpac_comparison", "batpac_factors",
           "batpac_steps_table", "drivers_for"]
