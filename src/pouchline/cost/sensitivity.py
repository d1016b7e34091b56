"""One-at-a-time sensitivity of $/kWh: each material price and each process rate at its low and its
high value, everything else at base, sorted by the swing (a tornado table).

Materials with the same chemical formula and price unit move together (the nm- and um-grade
Li6PS5Cl are one input: one market price). The capex range of every equipment-catalogue entry the
plant uses is an input too (``capex: <id>``).
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from pouchline.cost.model import CostResult, cost_cell
from pouchline.cost.rates import CostRates
from pouchline.equipment import Catalogue, default_catalogue
from pouchline.materials import MaterialLibrary

COLUMNS = ["input", "kind", "unit", "low_value", "base_value", "high_value", "cost_per_kWh_low_usd",
           "cost_per_kWh_high_usd", "swing_usd_per_kWh", "source"]


def price_groups(result: CostResult, materials: MaterialLibrary) -> list[tuple[str, list[str]]]:
    """(label, material ids) of the priced materials, grouped by formula and price unit."""
    used: list[str] = []
    for ln in result.material_lines:
        if ln.material_id not in used and ln.g_per_cell > 0:
            used.append(ln.material_id)
    groups: dict[tuple[str, str], list[str]] = {}
    order: list[tuple[str, str]] = []
    for mid in used:
        m = materials[mid]
        key = (m.formula, m.price.unit) if m.formula else (f"id:{mid}", m.price.unit)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(mid)
    out = []
    for key in order:
        ids = groups[key]
        m = materials[ids[0]]
        if len(ids) == 1:
            label = f"price: {m.name}"
        else:
            label = f"price: {key[0]} ({', '.join(ids)})"
        out.append((label, ids))
    return out


def sensitivity(
    recipe: Any,
    materials: MaterialLibrary,
    cell: Any,
    *,
    rates: CostRates,
    prices: str = "base",
    step_yields: Mapping[str, float] | None = None,
    line: Any = None,
    line_kpis: Any = None,
    include_fixture: bool = False,
    convention: str = "branch",
    annual_volume_MWh: float | None = None,
    maturity: str | None = None,
    base: CostResult | None = None,
    catalogue: Catalogue | None = None,
    machine_class: str | None = None,
) -> pd.DataFrame:
    """The tornado table of $/kWh, sorted by swing (largest first).

    Columns: ``input, kind (price | rate), unit, low_value, base_value, high_value,
    cost_per_kWh_low_usd, cost_per_kWh_high_usd, swing_usd_per_kWh, source``;
    ``df.attrs["base_cost_per_kWh_usd"]`` holds the cost with every input at base.
    """
    kw = dict(rates=rates, prices=prices, step_yields=step_yields, line=line, line_kpis=line_kpis,
              include_fixture=include_fixture, convention=convention, annual_volume_MWh=annual_volume_MWh,
              maturity=maturity, catalogue=catalogue, machine_class=machine_class)
    if base is None:
        base = cost_cell(recipe, materials, cell, **kw)
    rows: list[dict[str, Any]] = []

    for label, ids in price_groups(base, materials):
        m = materials[ids[0]]
        lo = cost_cell(recipe, materials, cell, **kw,
                       price_overrides={i: materials[i].price.low.value for i in ids}).cost_per_kWh_usd
        hi = cost_cell(recipe, materials, cell, **kw,
                       price_overrides={i: materials[i].price.high.value for i in ids}).cost_per_kWh_usd
        rows.append({
            "input": label, "kind": "price", "unit": m.price.unit, "low_value": m.price.low.value,
            "base_value": m.price.value(prices), "high_value": m.price.high.value,
            "cost_per_kWh_low_usd": lo, "cost_per_kWh_high_usd": hi, "swing_usd_per_kWh": abs(hi - lo),
            "source": f"low: {m.price.low.source} ({m.price.low.year}); high: {m.price.high.source} "
                      f"({m.price.high.year})"})

    for name, rate in rates.flat().items():
        lo = cost_cell(recipe, materials, cell, **kw, rate_overrides={name: rate.low}).cost_per_kWh_usd
        hi = cost_cell(recipe, materials, cell, **kw, rate_overrides={name: rate.high}).cost_per_kWh_usd
        rows.append({
            "input": f"rate: {name}", "kind": "rate", "unit": rate.unit, "low_value": rate.low,
            "base_value": rate.base, "high_value": rate.high, "cost_per_kWh_low_usd": lo,
            "cost_per_kWh_high_usd": hi, "swing_usd_per_kWh": abs(hi - lo), "source": rate.source})

    cat = catalogue or default_catalogue()
    for mid in dict.fromkeys(s.machine_id for s in base.stations if s.machine_id):
        cap = cat.machines[mid].capex_usd
        if cap.low == cap.high:
            continue
        name = f"equipment.{mid}.capex_usd"
        lo = cost_cell(recipe, materials, cell, **kw, rate_overrides={name: cap.low}).cost_per_kWh_usd
        hi = cost_cell(recipe, materials, cell, **kw, rate_overrides={name: cap.high}).cost_per_kWh_usd
        rows.append({
            "input": f"capex: {mid}", "kind": "rate", "unit": "USD per machine", "low_value": cap.low,
            "base_value": cap.base, "high_value": cap.high, "cost_per_kWh_low_usd": lo, "cost_per_kWh_high_usd": hi,
            "swing_usd_per_kWh": abs(hi - lo), "source": cat.machines[mid].source_of("capex_usd")})

    df = pd.DataFrame(rows, columns=COLUMNS)
    df = df.sort_values("swing_usd_per_kWh", ascending=False, kind="stable").reset_index(drop=True)
    df.attrs["base_cost_per_kWh_usd"] = base.cost_per_kWh_usd
    df.attrs["prices"] = prices
    return df


__all__ = ["COLUMNS", "price_groups", "sensitivity"]
