"""``pouchline size RECIPE --target-GWh X``: size a plant, simulate it, write its line file.

Parsing and printing only; the work is :func:`pouchline.plant.size_plant`.
"""

from __future__ import annotations

import argparse
import math
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
    print_json,
)
from pouchline.errors import InputError


def add_plant_options(p: argparse.ArgumentParser) -> None:
    """``--class``, ``--maturity`` and the sizing run length (:mod:`pouchline.line.defaults`), shared by
    ``size`` and ``scaleup``."""
    from pouchline.line.defaults import SIZING_DAYS, SIZING_REPLICATIONS, SIZING_WARMUP_DAYS

    p.add_argument("--class", dest="machine_class", choices=("lab", "pilot", "production", "auto"), default=None,
                   help="machine class of recipes/equipment.yaml (auto: per station the class of lowest annual cost "
                        "at this volume); default: the rates file's plant.machine_class (auto), as `pouchline cost`")
    p.add_argument("--maturity", choices=("pilot", "mature"), default=None,
                   help="step yields of the catalogue; default: the rates file's plant.yield_maturity (mature), as "
                        "`pouchline cost`")
    p.add_argument("--days", type=positive_float, default=SIZING_DAYS, metavar="D",
                   help=f"simulated days per replication after the warm-up (default {SIZING_DAYS:g})")
    p.add_argument("--warmup-days", dest="warmup_days", type=positive_float, default=SIZING_WARMUP_DAYS, metavar="W",
                   help=f"warm-up days (default {SIZING_WARMUP_DAYS:g})")
    p.add_argument("--replications", type=positive_int, default=SIZING_REPLICATIONS, metavar="R",
                   help=f"replications (default {SIZING_REPLICATIONS})")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "size", help="size a plant for a target GWh/yr: machines per station, simulated, with a line file",
        description="Size the plant that makes --target-GWh of good cells a year: machines per station from the "
                    "equipment catalogue (good output inflated by downstream scrap, at each machine's availability "
                    "and the calendar), buffers, zones, the line graph with CONWIP caps, fixtures and the dry room's "
                    "exposure limit; then simulate it and add one machine at the simulated bottleneck until the lower "
                    "95 %% bound of the simulated output meets the target. Prints the sizing table and writes the line "
                    "file (--out).")
    add_recipe_argument(p)
    p.add_argument("--target-GWh", dest="target_GWh", type=positive_float, required=True, metavar="X",
                   help="good cells' energy per year, GWh")
    add_cell_size_options(p)
    add_plant_options(p)
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    p.add_argument("--rates", metavar="PATH", help="cost-rates YAML (default: recipes/cost-rates.yaml)")
    p.add_argument("--equipment", metavar="PATH", help="equipment catalogue (default: recipes/equipment.yaml)")
    p.add_argument("--out", "-o", metavar="LINE.yaml", help="write the sized line file here (atomically)")
    p.add_argument("--json", action="store_true", help="print the sizing table and simulated output as JSON")
    p.set_defaults(func=run)


def _check_out(path: str | None) -> Path | None:
    if path is None:
        return None
    out = Path(path)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise InputError.single("--out", "", f"{path!r} must end in .yaml or .yml (a line file)")
    if out.is_dir():
        raise InputError.single("--out", "", f"{path!r} is a folder; give the path of the line file to write")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InputError.single("--out", "", f"{path!r} cannot be written: the folder {folder} does not exist")
    return out


def _num(x: float | None, fmt: str = ",.0f") -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, fmt)


def render_text(res: Any) -> str:
    """The sizing as a readable report."""
    out = [
        f"pouchline size  {res.recipe_id}: {res.target_GWh_per_yr:g} GWh/yr of {res.layers}-layer, "
        f"{res.capacity_Ah:.4g} Ah, {res.energy_Wh:.4g} Wh cells ({res.machine_class} machines, {res.maturity} yields)",
        "",
        f"{'station':22s} {'machine':26s} {'n':>5s} {'util plan':>9s} {'util sim':>9s} {'capex MUSD':>11s} "
        f"{'footprint m2':>12s} {'operators':>9s}",
    ]
    for s in res.stations:
        out.append(f"{s.station:22s} {s.machine_id:26s} {s.machines:5d} {100 * s.utilization_planned:8.1f}% "
                   f"{_num(None if s.utilization_simulated is None else 100 * s.utilization_simulated, '8.1f')}% "
                   f"{s.capex_usd / 1e6:11.2f} {s.footprint_m2:12,.0f} {s.operators_per_shift:9.2f}")
    out += [
        "",
        f"simulated output  {res.MWh_per_yr:,.1f} MWh/yr (95 % CI {res.MWh_per_yr_ci95[0]:,.1f}-{res.MWh_per_yr_ci95[1]:,.1f}),"
        f" {res.cells_per_yr:,.0f} good cells/yr: target {'met' if res.met else 'NOT met'}",
        f"bottleneck        {res.bottleneck}",
        f"machines          {res.machines:,}",
        f"equipment capex   {res.equipment_capex_usd / 1e6:,.1f} MUSD ({res.capex_per_GWh_usd / 1e6:,.1f} MUSD per GWh/yr)",
        f"fixtures          {res.fixtures:,} in circulation, {res.fixture_capex_usd / 1e6:,.1f} MUSD (the line's pool, "
        "Little's law at the target)",
        f"floor             {res.floor_m2:,.0f} m2, of which dry room {res.dry_room_m2:,.0f} m2; {res.gloveboxes} gloveboxes",
        f"operators         {res.operators_per_shift:,.1f} per shift ({res.labour_h_per_yr:,.0f} h/yr)",
        f"electricity       {res.electricity_MWh_per_yr:,.0f} MWh/yr",
        f"cost              {res.cost_per_cell_usd:,.2f} USD/cell = {res.cost_per_kWh_usd:,.1f} USD/kWh "
        f"(materials {res.material_cost_per_kWh_usd:,.1f}, process {res.process_cost_per_kWh_usd:,.1f}); "
        f"price {res.price_per_kWh_usd:,.1f} USD/kWh",
        cost_basis(res),
    ]
    return "\n".join(out)


def cost_basis(res: Any) -> str:
    """What the sized plant's cost is spread over, and which `cost` command gives the same figures."""
    from pouchline.display import fmt_number

    mwh = res.target_GWh_per_yr * 1000.0
    return (f"cost basis        the simulated output ({fmt_number(res.MWh_per_yr)} MWh/yr; target {fmt_number(mwh)}); "
            f"`pouchline cost --annual-MWh {mwh:g} --simulate` (same options) gives these figures, without "
            "--simulate it costs the plant sized on paper at the target")


def run(args: argparse.Namespace) -> int:
    from pouchline.cell import size_cell
    from pouchline.cost import load_rates
    from pouchline.cost.rates import DEFAULT_RATES_PATH
    from pouchline.equipment import DEFAULT_EQUIPMENT_PATH, load_catalogue
    from pouchline.fileio import atomic_write
    from pouchline.plant import size_plant

    out = _check_out(args.out)
    recipe, materials = load_recipe_from_args(args)
    cell = size_cell(recipe, materials, **cell_size_kwargs(args))
    rates = load_rates(args.rates or DEFAULT_RATES_PATH)
    catalogue = load_catalogue(args.equipment or DEFAULT_EQUIPMENT_PATH)
    say = None if args.json else (lambda text: print(text, file=sys.stderr))
    try:
        res = size_plant(recipe, materials, cell, target_GWh_per_yr=args.target_GWh, rates=rates, catalogue=catalogue,
                         machine_class=args.machine_class, maturity=args.maturity, days=args.days,
                         warmup_days=args.warmup_days, replications=args.replications, seed=args.seed, progress=say,
                         name=out.stem if out is not None else None)
    except ValueError as exc:  # e.g. a step kind the catalogue has no machine for
        raise InputError.single(args.equipment or str(DEFAULT_EQUIPMENT_PATH), "", str(exc)) from None
    if out is not None:
        atomic_write(out, res.line_yaml())
    if args.json:
        d = res.to_dict()
        d["line_file"] = str(out) if out is not None else None
        print_json(d)
    else:
        print(render_text(res))
        if out is not None:
            print(f"wrote {out}: a line file for `pouchline simulate {out}` (its header says how it was sized)")
    return 0
