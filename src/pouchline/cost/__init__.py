"""What a cell and a kWh cost, what drives it, and the bill of materials.

::

    from pouchline.cost import cost_cell, sensitivity, build_bom, load_rates

    rates = load_rates()                                   # recipes/cost-rates.yaml
    res = cost_cell(recipe, materials, cell, rates=rates, prices="base")
    res.cost_per_kWh_usd, res.breakdown_usd_per_cell, res.materials_usd_per_cell
    tornado = sensitivity(recipe, materials, cell, rates=rates)   # pandas DataFrame
    bom = build_bom(res, recipe, materials)                # tree: cell > components > materials

Modules: :mod:`.rates` (the sourced plant-wide cost inputs; machines are in
:mod:`pouchline.equipment`), :mod:`.model` (pure cost arithmetic), :mod:`.sensitivity` (one-at-a-time
tornado), :mod:`.bom` (the BOM tree), :mod:`.batpac` (BatPaC 5.0's plant formulas, for comparison). The workbook is written by
:mod:`pouchline.export.excel`.
"""

from __future__ import annotations

from pouchline.cost.batpac import batpac_comparison
from pouchline.cost.bom import BomItem, BomRow, build_bom, flatten, total_cost_usd
from pouchline.cost.model import (
    CATEGORIES,
    AlloyUse,
    Assumption,
    CostLine,
    CostResult,
    MaterialLine,
    StationCost,
    cost_cell,
    resolve_step_yields,
    start_factors,
)
from pouchline.cost.rates import DEFAULT_RATES_PATH, CostRates, Rate, load_rates, rates_from_data
from pouchline.cost.sensitivity import sensitivity

__all__ = [
    "AlloyUse", "Assumption", "BomItem", "batpac_comparison", "BomRow", "CATEGORIES", "CostLine", "CostRates", "CostResult",
    "DEFAULT_RATES_PATH", "MaterialLine", "Rate", "StationCost", "build_bom", "cost_cell", "flatten", "load_rates",
    "rates_from_data", "resolve_step_yields", "sensitivity", "start_factors", "total_cost_usd",
]
