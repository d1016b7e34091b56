"""``pouchline rampup LINE --months N``: a line from start of production to nameplate, month by month.

Parsing and printing only; the work is :func:`pouchline.plant.rampup.ramp_up`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pouchline.cli._common import (
    add_cell_size_options,
    add_recipe_argument,
    cell_size_kwargs,
    load_recipe_from_args,
    positive_float,
    positive_int,
)
from pouchline.cli.scaleup import emit, json_text, out_folder
from pouchline.plant.rampup import RAMP_REPLICATIONS, RAMP_WARMUP_DAYS


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "rampup", help="a line's ramp-up month by month: good cells, scrap, $/kWh, month at 90 %% of nameplate",
        description="Simulate LINE month by month from start of production: every station's yield and availability "
                    "follow the learning curve x(t) = mature - (mature - start) x exp(-t / tau) of "
                    "recipes/equipment.yaml (rampup:, overridden by the line file's rampup: section), from the "
                    "catalogue's pilot yields and a lower MTBF to the line's own figures. Prints good cells, scrap and "
                    "$/kWh per month (fixed costs over that month's good cells), the month the line first reaches "
                    "90 %% of nameplate and the material bought during the ramp. Each month is simulated from an empty "
                    "line with a warm-up at that month's figures (a quasi-static approximation).")
    p.add_argument("line", metavar="LINE", help="line file (recipes/lines/*.yaml)")
    add_recipe_argument(p, optional=True)
    p.add_argument("--months", type=positive_int, required=True, metavar="N", help="months after start of production")
    add_cell_size_options(p)
    p.add_argument("--replications", type=positive_int, default=RAMP_REPLICATIONS, metavar="R",
                   help=f"replications per month, the same seed every month (default {RAMP_REPLICATIONS})")
    p.add_argument("--warmup-days", dest="warmup_days", type=positive_float, default=RAMP_WARMUP_DAYS, metavar="W",
                   help=f"warm-up days before each month, left out of its figures (default {RAMP_WARMUP_DAYS:g})")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    p.add_argument("--prices", choices=("low", "base", "high"), default="base",
                   help="material price scenario of recipes/materials.yaml (default base)")
    p.add_argument("--rates", metavar="PATH", help="cost-rates YAML (default: recipes/cost-rates.yaml)")
    p.add_argument("--equipment", metavar="PATH", help="equipment catalogue (default: recipes/equipment.yaml)")
    p.add_argument("--out", "-o", metavar="DIR", help="write rampup.csv, rampup-materials.csv, rampup.json and "
                   "charts/rampup.png into DIR (created if missing; each file written atomically)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def render_text(res: Any) -> str:
    """The ramp as a readable report: months, the 90 % month, material bought, the approximation."""
    from pouchline.display import fmt_count, fmt_number, fmt_pct, fmt_quantity, text_table

    rows = [{
        "month": m.month, "good cells": fmt_count(m.good_cells), "of nameplate": fmt_pct(m.share_of_nameplate_frac),
        "capacity limit": fmt_pct(m.capacity_limit_share_frac), "scrap (1 - RTY)": fmt_pct(1 - m.yield_rty),
        "availability": fmt_pct(m.mean_availability_frac), "USD/kWh": fmt_number(m.cost_per_kWh_usd),
        "process USD/kWh": fmt_number(m.process_cost_per_kWh_usd), "bottleneck": m.bottleneck,
    } for m in res.months]
    c = res.curve
    out = [f"pouchline rampup  line {res.line_name}, recipe {res.recipe_id}, {fmt_number(res.energy_Wh)} Wh cells: "
           f"{len(res.months)} months from start of production", "",
           f"learning curve ({c.form}): x(t) = mature - (mature - start) x exp(-t / tau); yields tau "
           f"{fmt_number(c.yield_tau_months)} months, availability tau {fmt_number(c.availability_tau_months)} months, "
           f"MTBF at start {fmt_number(c.mtbf_start_frac)} x mature", "",
           text_table(rows, list(rows[0]) if rows else None), "",
           f"nameplate (the mature line, simulated the same way): {fmt_count(res.nameplate_good_cells_per_month)} good "
           f"cells a month at {fmt_number(res.nameplate_cost_per_kWh_usd)} USD/kWh",
           res.headline(), "",
           f"bought during the {len(res.months)} months (scrap and trim included; "
           f"{fmt_count(res.cumulative_good_cells)} good cells, {fmt_count(res.cumulative_scrapped_units)} units "
           "scrapped):"]
    out += [f"  {mid:14s} {fmt_quantity(t, 't'):>12s}" for mid, t in res.cumulative_materials_t.items()]
    out += ["", f"Quasi-static approximation: {res.approximation}. Each month: {fmt_number(res.simulation['days_per_month'])} "
            f"measured days after {fmt_number(res.simulation['warmup_days'])} warm-up days x "
            f"{res.simulation['replications']} replications, seed {res.simulation['seed']} in every month."]
    return "\n".join(out)


def write_outputs(res: Any, out: Path) -> list[Path]:
    """rampup.csv, rampup-materials.csv, rampup.json and charts/rampup.png into ``out``, each written atomically."""
    from pouchline.export import charts
    from pouchline.fileio import atomic_write

    table = res.table()
    fig = charts.rampup(table, res.nameplate_good_cells_per_month, res.nameplate_cost_per_kWh_usd,
                        f"Ramp-up of line {res.line_name}")
    return [atomic_write(out / "rampup.csv", table.to_csv()),
            atomic_write(out / "rampup-materials.csv", res.materials_table().add_suffix("_t").to_csv()),
            atomic_write(out / "rampup.json", json_text(res)),
            atomic_write(out / "charts" / "rampup.png", charts.figure_png(fig))]


def run(args: argparse.Namespace) -> int:
    from pouchline.cell import size_cell
    from pouchline.cost import load_rates
    from pouchline.cost.rates import DEFAULT_RATES_PATH
    from pouchline.equipment import DEFAULT_EQUIPMENT_PATH, line_rampup, load_catalogue
    from pouchline.fileio import read_yaml
    from pouchline.line import Line
    from pouchline.plant.rampup import check_months, ramp_up

    check_months(args.months)
    data = read_yaml(args.line, what="line file")
    override = line_rampup(data, args.line)
    line = Line.from_data(data, args.line)
    recipe, materials = load_recipe_from_args(args)
    cell = size_cell(recipe, materials, **cell_size_kwargs(args))
    if line.area_per_cell_cm2 and abs(cell.area_per_cell_cm2 / line.area_per_cell_cm2 - 1) > 0.1:
        print(f"warning: {args.line} is sized for {line.area_per_cell_cm2:,.0f} cm2 of electrode per cell, this cell "
              f"has {cell.area_per_cell_cm2:,.0f} cm2 (give the cell the line makes: --layers, --capacity-Ah, "
              "--format)", file=sys.stderr)
    rates = load_rates(args.rates or DEFAULT_RATES_PATH)
    catalogue = load_catalogue(args.equipment or DEFAULT_EQUIPMENT_PATH)
    out_folder(args.out, create=False)  # before the run
    bar = None
    progress = None
    if not args.json and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=args.months, desc="simulating months", unit="month", file=sys.stderr)

        def progress(frac: float) -> None:
            bar.n = round(frac * args.months)
            bar.refresh()
    try:
        res = ramp_up(line, recipe, materials, cell, months=args.months, override=override, catalogue=catalogue,
                      rates=rates, prices=args.prices, warmup_days=args.warmup_days, replications=args.replications,
                      seed=args.seed, source=args.line, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    return emit(res, args, write_outputs, render_text)
