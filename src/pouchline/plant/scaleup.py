"""The scale-up path: the plant for each of several annual volumes, side by side.

::

    res = scale_up(recipe, materials, cell, [0.01, 0.1, 1, 10])   # ScaleUpResult
    res.table()      # one row per target (pandas): cells/yr, MWh/yr, machines, capex, floor, crew, $/kWh, ...
    res.rows[2]      # the 1 GWh/yr row as a dict (units in the keys)

Each row is :func:`pouchline.plant.size_plant` at that target, with the same options, so a row
*is* ``pouchline size --target-GWh X`` (and ``pouchline cost --annual-MWh 1000X --simulate``): the
line designed on paper (machines per station from the equipment catalogue, ``auto`` machine
class by default: per station the class of lowest annual cost at that volume), simulated, with
machines added at the bottleneck until the lower 95 % bound of the simulated output meets the
target, and costed at its simulated output. To it each row adds the material demand at the target
(:func:`pouchline.demand.demand_at_GWh_per_yr`: the tightest element and its share of world
production) and the share of materials in the cost.

Pure: no file I/O, no printing (``pouchline scaleup`` and the app call it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from pouchline.errors import InputError

#: Most targets in one table (each is a simulated sizing).
MAX_TARGETS = 12
#: Most good cells per scheduled hour a plant is sized for by simulation. The simulation's work grows
#: with the cells made per hour (no machine takes more than 2 h of a lot's batches, see
#: :func:`pouchline.line.model.job_units`): 10 GWh/yr of the 10 Ah cell is about 36,000 cells/h and
#: takes about a minute on two cores; 100,000 cells/h is a few minutes per iteration.
MAX_SIMULATED_CELLS_PER_H = 100_000.0

#: The columns of :meth:`ScaleUpResult.table`, in order (units in the names).
COLUMNS: tuple[str, ...] = (
    "target_GWh_per_yr", "cells_per_yr", "MWh_per_yr", "MWh_per_yr_lower95", "met", "machines", "machine_classes",
    "equipment_capex_usd", "capex_per_GWh_usd", "fixtures", "fixture_capex_usd", "floor_m2", "dry_room_m2", "operators_per_shift",
    "labour_h_per_yr", "electricity_MWh_per_yr", "cost_per_cell_usd", "material_cost_per_cell_usd",
    "process_cost_per_cell_usd", "cost_per_kWh_usd", "material_cost_per_kWh_usd", "process_cost_per_kWh_usd",
    "material_share_frac", "price_per_kWh_usd", "bottleneck", "tightest_element", "tightest_share_of_world_frac",
    "supply_risks", "GWh_per_yr_at_world_output",
)

ProgressCallback = Callable[[str], None]


def parse_targets(text: str, source: str = "--targets") -> list[float]:
    """``"0.01,0.1,1,10"`` -> ``[0.01, 0.1, 1.0, 10.0]`` (GWh/yr); every problem is an InputError."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise InputError.single(source, "", f"{text!r} names no target: give GWh/yr values separated by commas, "
                                "e.g. 0.01,0.1,1,10")
    out: list[float] = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise InputError.single(source, "", f"{p!r} is not a number; targets are GWh/yr values > 0 separated "
                                    "by commas, e.g. 0.01,0.1,1,10", p) from None
        out.append(v)
    return check_targets(out, source)


def check_targets(targets: Sequence[Any], source: str = "targets_GWh_per_yr") -> list[float]:
    """Targets as floats in ascending order; refuses non-numbers, values <= 0, repeats and too many."""
    vals: list[float] = []
    for v in targets:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise InputError.single(source, "", f"{v!r} is not allowed: a target is a finite number of GWh/yr > 0", v)
        vals.append(float(v))
    if not vals:
        raise InputError.single(source, "", "no target given: give at least one GWh/yr value")
    if len(set(vals)) != len(vals):
        dup = next(v for v in vals if vals.count(v) > 1)
        raise InputError.single(source, "", f"{dup:g} GWh/yr is given twice; give each target once", dup)
    if len(vals) > MAX_TARGETS:
        raise InputError.single(source, "", f"{len(vals)} targets is too many: at most {MAX_TARGETS} (each is a "
                                "simulated sizing)", len(vals))
    return sorted(vals)


def check_simulated_volume(cell: Any, target_GWh_per_yr: float, rates: Any, source: str = "--targets") -> float:
    """Good cells per scheduled hour at the target; an InputError above :data:`MAX_SIMULATED_CELLS_PER_H`
    (before any simulation starts), saying what to change."""
    from pouchline.plant.design import calendar_scheduled_h_per_yr, plant_calendar

    sched = calendar_scheduled_h_per_yr(plant_calendar(rates.plant.hours_per_day, rates.plant.days_per_year))
    cells_h = target_GWh_per_yr * 1e9 / float(cell.energy_Wh) / sched
    if cells_h > MAX_SIMULATED_CELLS_PER_H:
        raise InputError.single(source, "", f"{target_GWh_per_yr:g} GWh/yr of this {float(cell.energy_Wh):.3g} Wh cell "
                                f"is {cells_h:,.0f} good cells per hour; a plant is sized by simulation up to "
                                f"{MAX_SIMULATED_CELLS_PER_H:,.0f} cells/h (the simulation's work grows with the cells "
                                "made per hour). Plan a bigger cell (--capacity-Ah, --energy-Wh, --format) or a smaller "
                                "target", target_GWh_per_yr)
    return cells_h


def _classes(sizing: Any) -> str:
    """``production 16`` or ``pilot 12, production 4``: stations per machine class."""
    n: dict[str, int] = {}
    for s in sizing.stations:
        n[s.machine_class] = n.get(s.machine_class, 0) + 1
    return ", ".join(f"{c} {n[c]}" for c in ("lab", "pilot", "production") if c in n)


def scale_up_row(sizing: Any, demand: Any) -> dict[str, Any]:
    """A row of the scale-up table: the sizing's row (:meth:`SizingResult.row`) and the demand's
    tightest element at the target."""
    row = dict(sizing.row())
    row.pop("machines_per_station", None)
    t = demand.tightest
    row.update({
        "machine_classes": _classes(sizing),
        "material_share_frac": (sizing.material_cost_per_kWh_usd / sizing.cost_per_kWh_usd
                                if sizing.cost_per_kWh_usd > 0 else math.nan),
        "tightest_element": t["element"] if t else None,
        "tightest_share_of_world_frac": t["share_of_world_frac"] if t else math.nan,
        "supply_risks": ", ".join(demand.supply_risks),
        "GWh_per_yr_at_world_output": demand.GWh_per_yr_at_world_output,
    })
    return {k: row[k] for k in COLUMNS}


@dataclass(frozen=True)
class ScaleUpResult:
    """One sized, simulated and costed plant per target, with its material demand."""

    recipe_id: str
    layers: int
    capacity_Ah: float
    energy_Wh: float
    targets_GWh_per_yr: tuple[float, ...]
    sizings: tuple[Any, ...] = field(repr=False)  # pouchline.plant.SizingResult, one per target
    demands: tuple[Any, ...] = field(repr=False)  # pouchline.demand.DemandResult at each target
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [scale_up_row(s, d) for s, d in zip(self.sizings, self.demands)]

    def table(self):
        """One row per target (pandas DataFrame, :data:`COLUMNS`)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(COLUMNS))

    def headline(self) -> str:
        from pouchline.display import fmt_number, fmt_pct

        rows = self.rows
        a, b = rows[0], rows[-1]
        out = (f"From {fmt_number(a['target_GWh_per_yr'])} to {fmt_number(b['target_GWh_per_yr'])} GWh/yr the process "
               f"cost falls from {fmt_number(a['process_cost_per_kWh_usd'])} to "
               f"{fmt_number(b['process_cost_per_kWh_usd'])} USD/kWh and the cell from "
               f"{fmt_number(a['cost_per_kWh_usd'])} to {fmt_number(b['cost_per_kWh_usd'])} USD/kWh "
               f"(materials {fmt_pct(b['material_share_frac'])} of it)")
        if b["tightest_element"]:
            out += (f"; at {fmt_number(b['target_GWh_per_yr'])} GWh/yr the plant takes "
                    f"{fmt_pct(b['tightest_share_of_world_frac'])} of the world's {b['tightest_element']}")
        return out + "."

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (what ``pouchline scaleup --json`` prints)."""
        from pouchline.fileio import jsonable

        return jsonable({
            "recipe": self.recipe_id,
            "cell": {"layers": self.layers, "capacity_Ah": self.capacity_Ah, "energy_Wh": self.energy_Wh},
            "options": dict(self.options),
            "rows": [{**r, "machines_per_station": s.row()["machines_per_station"], "iterations": list(s.iterations),
                      "bottleneck_why": s.bottleneck_why, "cost_basis": "the simulated output (MWh_per_yr)",
                      "demand_basis": "the target (target_GWh_per_yr)"}
                     for r, s in zip(self.rows, self.sizings)],
            "headline": self.headline(),
        })


def scale_up(
    recipe: Any,
    materials: Any,
    cell: Any,
    targets_GWh_per_yr: Sequence[float],
    *,
    rates: Any = None,
    catalogue: Any = None,
    machine_class: str | None = None,
    maturity: str | None = None,
    days: float | None = None,
    warmup_days: float | None = None,
    replications: int | None = None,
    seed: int = 1,
    workers: int | None = None,
    prices: str = "base",
    threshold_frac: float | None = None,
    progress: ProgressCallback | None = None,
) -> ScaleUpResult:
    """Size, simulate and cost the plant for each target (GWh/yr of good cells), in ascending order.

    Every option is passed to :func:`pouchline.plant.size_plant` unchanged (``None``: its default),
    so each row equals ``size_plant`` run alone on that target. ``threshold_frac``: share of world
    production flagged as a supply risk (default 1 %). ``progress`` receives one sentence per target
    and per sizing iteration.
    """
    from pouchline.cost import load_rates
    from pouchline.demand import DEFAULT_THRESHOLD_FRAC, demand_at_GWh_per_yr
    from pouchline.line.defaults import SIZING_DAYS, SIZING_REPLICATIONS, SIZING_WARMUP_DAYS
    from pouchline.plant.sizing import size_plant

    targets = check_targets(targets_GWh_per_yr)
    rates = rates if rates is not None else load_rates()
    for t in targets:  # every target before the first simulation
        check_simulated_volume(cell, t, rates)
    opts = dict(rates=rates, catalogue=catalogue, machine_class=machine_class, maturity=maturity,
                days=SIZING_DAYS if days is None else days,
                warmup_days=SIZING_WARMUP_DAYS if warmup_days is None else warmup_days,
                replications=SIZING_REPLICATIONS if replications is None else replications, seed=seed,
                workers=workers, prices=prices)
    threshold = DEFAULT_THRESHOLD_FRAC if threshold_frac is None else threshold_frac
    sizings, demands = [], []
    for i, t in enumerate(targets):
        if progress is not None:
            progress(f"target {i + 1} of {len(targets)}: {t:g} GWh/yr")
        s = size_plant(recipe, materials, cell, target_GWh_per_yr=t, progress=progress, **opts)
        sizings.append(s)
        try:
            demands.append(demand_at_GWh_per_yr(s.cost, materials, t, threshold_frac=threshold))
        except ValueError as exc:
            raise InputError.single("--threshold-pct", "", str(exc), threshold) from None
    shown = {k: v for k, v in opts.items() if k not in ("rates", "catalogue", "workers")}
    shown.update(machine_class=sizings[0].machine_class, maturity=sizings[0].maturity, threshold_frac=threshold)
    return ScaleUpResult(recipe_id=recipe.id, layers=int(cell.layers), capacity_Ah=float(cell.capacity_Ah),
                         energy_Wh=float(cell.energy_Wh), targets_GWh_per_yr=tuple(targets), sizings=tuple(sizings),
                         demands=tuple(demands), options=shown)


__all__ = ["COLUMNS", "MAX_SIMULATED_CELLS_PER_H", "MAX_TARGETS", "ScaleUpResult", "check_simulated_volume",
           "check_targets", "parse_targets", "scale_up", "scale_up_row"]
