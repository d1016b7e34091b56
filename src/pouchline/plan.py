"""The planning package in one call: cell, line simulation, cost, sensitivity and material demand.

Pure orchestration over the library (no file I/O); :mod:`pouchline.export.plan_report` writes
the results to a folder, the CLI's ``plan`` command and the app call :func:`make_plan`.
Data flows one way: recipe -> cell -> line (with the cell's sheet area and material use per
unit) -> cost (with the simulated yields and throughput). When the planned cell (format, layers) or
the line's atmospheres differ from what the recipe's routing makes, the plan works on a draft
revision derived for them (:func:`pouchline.recipe.derive.derive_revision`), so its traveler is
for the planned cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from pouchline.materials import MaterialLibrary
from pouchline.recipe.document import Recipe

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class PlanResult:
    """Everything one plan computes."""

    recipe: Recipe
    materials: MaterialLibrary
    cell: Any  # pouchline.cell.CellResult
    energy_vs_layers: pd.DataFrame
    line: Any | None  # pouchline.line.Line
    experiment: Any | None  # pouchline.line.ExperimentResult
    rates: Any  # pouchline.cost.CostRates
    prices: str
    cost: Any  # pouchline.cost.CostResult
    sensitivity: pd.DataFrame
    demand: Any | None = None  # pouchline.demand.DemandResult at the plan's volume
    derived: Any | None = None  # pouchline.recipe.derive.DerivedRevision: the revision made for this plan
    sizing: Any = None  # pouchline.plant.SizingResult when the line was sized for a target
    rampup: Any = None  # pouchline.plant.RampUpResult of the planned line from start of production

    def summary(self) -> dict[str, Any]:
        """The headline figures, with their units in the keys."""
        c = self.cell
        out: dict[str, Any] = {
            "recipe_id": self.recipe.id,
            "recipe_revision": self.recipe.revision,
            "recipe_hash": self.recipe.hash,
            "layers": c.layers,
            "capacity_Ah": c.capacity_Ah,
            "energy_Wh": c.energy_Wh,
            "mass_g": c.mass_g,
            "specific_energy_Wh_kg": c.specific_energy_Wh_kg,
            "energy_density_Wh_L": c.energy_density_Wh_L,
            "stack_force_kN": c.stack_force_kN,
            "price_scenario": self.prices,
            "cost_per_cell_usd": self.cost.cost_per_cell_usd,
            "cost_per_kWh_usd": self.cost.cost_per_kWh_usd,
            "material_cost_per_kWh_usd": self.cost.material_cost_per_kWh_usd,
        }
        if self.demand is not None:
            d = self.demand.to_dict()
            out["material_demand"] = {k: d[k] for k in (
                "GWh_per_yr", "good_cells_per_yr", "threshold_frac", "supply_risks", "tightest_element",
                "tightest_share_of_world_frac", "GWh_per_yr_at_world_output", "headline", "elements", "materials")}
        if self.experiment is not None:
            e = self.experiment.to_dict()
            out.update({
                "line": self.line.name if hasattr(self.line, "name") else "",
                "throughput_units_per_h": e.get("throughput_units_per_h"),
                "throughput_ci95_units_per_h": e.get("throughput_ci95_units_per_h"),
                "good_units_per_year": e.get("good_units_per_year"),
                "MWh_per_year": (e.get("good_units_per_year") or 0.0) * c.energy_Wh / 1e6,
                "yield_rty": e.get("yield_rty"),
                "bottleneck": e.get("bottleneck"),
                "bottleneck_why": e.get("bottleneck_why"),
            })
        if self.rampup is not None:
            r = self.rampup
            out["rampup"] = {"months": len(r.months), "month_at_90pct": r.month_at_90pct,
                             "month_at_90pct_capacity_limit": r.month_at_90pct_capacity_limit,
                             "nameplate_good_cells_per_month": r.nameplate_good_cells_per_month,
                             "cumulative_good_cells": r.cumulative_good_cells,
                             "cumulative_materials_t": dict(r.cumulative_materials_t), "headline": r.headline(),
                             "approximation": r.approximation}
        return out


def make_plan(
    recipe: Recipe,
    materials: MaterialLibrary,
    *,
    line: Any | None = None,
    layers: int | None = None,
    capacity_Ah: float | None = None,
    energy_Wh: float | None = None,
    format: str | None = None,
    footprint_mm: tuple[float, float] | None = None,
    formats: Any | None = None,
    days: float = 60.0,
    warmup_days: float = 5.0,
    replications: int = 3,
    seed: int = 1,
    workers: int | None = None,
    rates: Any | None = None,
    prices: str = "base",
    max_layers_chart: int = 40,
    progress: ProgressCallback | None = None,
    target_GWh: float | None = None,
    rampup_months: int | None = None,
) -> PlanResult:
    """Size the cell, simulate the line (if given) and cost the cell.

    ``target_GWh`` (instead of ``line``): size the plant for that many GWh/yr of good cells with
    :func:`pouchline.plant.size_plant` and plan on the sized, simulated line.
    ``progress`` receives the fraction of the simulation done (0-1). With a line, the plan also
    ramps it up from start of production (:func:`pouchline.plant.rampup.ramp_up`) for
    ``rampup_months`` (default :data:`~pouchline.plant.rampup.RAMP_MONTHS`; 0: no ramp-up), each
    month simulated for ``min(days, 365/12)`` days after ``warmup_days`` with ``replications``.
    """
    from pouchline.cell import energy_density_vs_layers, size_cell
    from pouchline.cost import cost_cell, load_rates, sensitivity

    cell = size_cell(recipe, materials, layers=layers, capacity_Ah=capacity_Ah, energy_Wh=energy_Wh, format=format,
                     footprint_mm=footprint_mm, formats=formats)
    from pouchline.recipe.derive import derive_revision, needs_revision

    experiment = None
    sizing = None
    if target_GWh is not None:
        # size first: the sized line's atmosphere (a dry room) is part of the revision derived below
        if line is not None:
            raise ValueError("give a line or a target volume (target_GWh), not both")
        from pouchline.line import Line
        from pouchline.plant import size_plant

        sizing = size_plant(recipe, materials, cell, target_GWh_per_yr=target_GWh, rates=rates, days=days,
                            warmup_days=warmup_days, replications=replications, seed=seed, workers=workers,
                            prices=prices)
        line = Line.from_data(sizing.line_data, sizing.line_data["name"])
        experiment = sizing.experiment
    derived = None
    if needs_revision(recipe, cell, line):
        derived = derive_revision(recipe, materials, cell, line=line)
        recipe = derived.recipe  # the same request on the derived revision is the same cell, with its fixture
        cell = size_cell(recipe, materials, layers=layers, capacity_Ah=capacity_Ah, energy_Wh=energy_Wh,
                         format=format, footprint_mm=footprint_mm, formats=formats)
    evl = energy_density_vs_layers(recipe, materials, layers=range(1, max_layers_chart + 1), format=format,
                                   footprint_mm=footprint_mm, formats=formats)
    if sizing is not None:
        pass  # simulated while sizing
    elif line is not None:
        from pouchline.line import run_experiment

        experiment = run_experiment(
            line, replications=replications, days=days, warmup_days=warmup_days, seed=seed, workers=workers,
            area_per_cell_cm2=cell.area_per_cell_cm2, materials_per_unit_g=cell.materials_by_step_g,
            cell_energy_Wh=cell.energy_Wh, progress=progress,
        )
    if rates is None:
        rates = load_rates()
    kw = dict(rates=rates, prices=prices, line=line, line_kpis=experiment)
    cost = cost_cell(recipe, materials, cell, **kw)
    sens = sensitivity(recipe, materials, cell, base=cost, **kw)
    from pouchline.demand import material_demand

    demand = material_demand(cost, materials)  # at the plan's volume: the line's (simulated) or the default plant's
    ramp = None
    if line is not None:
        from pouchline.plant.rampup import DAYS_PER_MONTH, RAMP_MONTHS, ramp_up

        months = RAMP_MONTHS if rampup_months is None else int(rampup_months)
        if months > 0:
            ramp = ramp_up(line, recipe, materials, cell, months=months, rates=rates, prices=prices,
                           days_per_month=min(float(days), DAYS_PER_MONTH), warmup_days=warmup_days,
                           replications=replications, seed=seed, workers=workers)
    return PlanResult(recipe=recipe, materials=materials, cell=cell, energy_vs_layers=evl, line=line,
                      experiment=experiment, rates=rates, prices=prices, cost=cost, sensitivity=sens, demand=demand,
                      derived=derived, sizing=sizing, rampup=ramp)
