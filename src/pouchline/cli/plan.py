"""``pouchline plan``: the whole planning package in one folder."""

from __future__ import annotations

import argparse
import sys

from pouchline.cli._common import (
    add_cell_size_options,
    add_recipe_argument,
    cell_size_kwargs,
    load_recipe_from_args,
    nonnegative_float,
    positive_float,
    positive_int,
)


def run(args: argparse.Namespace) -> int:
    from pouchline.export.plan_report import check_plan_target, prepare_plan_dir, write_plan
    from pouchline.export.traveler_model import check_cells, check_lot
    from pouchline.plan import make_plan

    # every input is checked before the simulation, so a bad one costs nothing and writes nothing
    if args.line and args.target_GWh:
        from pouchline.errors import InputError

        raise InputError.single("--target-GWh", "", "give --line LINE or --target-GWh X (a line sized for it), not both")
    check_lot(args.lot)
    check_cells(args.lot_cells, "--lot-cells")
    target = check_plan_target(args.out, force=args.force)
    recipe, materials = load_recipe_from_args(args)
    line = None
    if args.line:
        from pouchline.line import load_line

        line = load_line(args.line)
        line.validate_steps(set(recipe.step_ids), source=args.line)
        from pouchline.line.model import atmosphere_deviations

        deviations = atmosphere_deviations(line, recipe)
        if deviations:
            print(f"warning: {args.line}: {len(deviations)} station(s) run in another atmosphere than the recipe "
                  f"names, e.g. {deviations[0]}", file=sys.stderr)
    _out, created = prepare_plan_dir(target)
    for folder in created:
        print(f"created folder {folder}", file=sys.stderr)
    if target.foreign:
        print(f"warning: {target.out} holds {len(target.foreign)} file(s) no pouchline plan wrote (e.g. "
              f"{target.foreign[0]}); they are kept beside the plan (--force)", file=sys.stderr)
    bar = None
    progress = None
    if line is not None and (sys.stderr.isatty() or args.progress):
        from tqdm import tqdm

        bar = tqdm(total=100, desc="simulating line", unit="%", file=sys.stderr,
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

        def progress(frac: float) -> None:
            bar.n = round(100 * min(max(frac, 0.0), 1.0))
            bar.refresh()
    elif line is not None:
        print(f"simulating {args.days:g} days x {args.replications} replication(s) of {args.line} ...",
              file=sys.stderr)
    try:
        plan = make_plan(recipe, materials, line=line, **cell_size_kwargs(args), days=args.days,
                         warmup_days=args.warmup_days, replications=args.replications, seed=args.seed,
                         prices=args.prices, progress=progress, target_GWh=args.target_GWh)
    finally:
        if bar is not None:
            bar.n = 100
            bar.close()
    files = write_plan(plan, target, lot=args.lot, lot_cells=args.lot_cells)
    if not target.exists:
        print(f"created folder {target.out}", file=sys.stderr)
    notes = [f for f in files if f.name == "traveler-note.txt"]
    if notes:
        print("note: " + notes[0].read_text(encoding="utf-8").strip(), file=sys.stderr)
    s = plan.summary()
    print(f"plan for {s['recipe_id']} rev {s['recipe_revision']} written to {args.out} ({len(files)} files)")
    print(f"  cell: {s['layers']} layer(s), {s['capacity_Ah']:.3f} Ah, {s['energy_Wh']:.2f} Wh, {s['mass_g']:.1f} g, "
          f"{s['specific_energy_Wh_kg']:.1f} Wh/kg, {s['energy_density_Wh_L']:.0f} Wh/L, "
          f"{s['stack_force_kN']:.1f} kN at stack pressure")
    if "throughput_units_per_h" in s:
        print(f"  line: {s['throughput_units_per_h']:.1f} good cells/h, {s['MWh_per_year']:,.0f} MWh/year, "
              f"RTY {100 * s['yield_rty']:.1f} %, bottleneck {s['bottleneck']}")
    print(f"  cost ({s['price_scenario']}): {s['cost_per_cell_usd']:.2f} USD/cell, {s['cost_per_kWh_usd']:.0f} USD/kWh "
          f"(materials {s['material_cost_per_kWh_usd']:.0f} USD/kWh)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan", help="write the whole planning package (cell, simulation, cost, BOM, traveler, charts) to a folder",
        description="Size the cell, simulate the line, cost it, and write cell.json/txt, simulation.json, cost.json, "
                    "sensitivity.csv, bom.xlsx, traveler.pdf and charts/*.png into --out.")
    add_recipe_argument(p)
    p.add_argument("--line", metavar="LINE", help="line YAML (e.g. recipes/lines/gwh-line.yaml); without it no simulation")
    p.add_argument("--target-GWh", dest="target_GWh", type=positive_float, default=None, metavar="X",
                   help="instead of --line: size a line for X GWh/yr of good cells (pouchline size) and plan on it")
    add_cell_size_options(p)
    p.add_argument("--days", type=positive_float, default=60.0, help="simulated days per replication (default 60)")
    p.add_argument("--warmup-days", dest="warmup_days", type=nonnegative_float, default=5.0,
                   help="warm-up days (default 5)")
    p.add_argument("--replications", type=positive_int, default=3, help="replications (default 3)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--prices", choices=["low", "base", "high"], default="base", help="material price scenario")
    p.add_argument("--lot", default="LOT-0001", help="lot number of the sample traveler (default LOT-0001)")
    p.add_argument("--lot-cells", dest="lot_cells", type=positive_int, default=100, help="cells in the sample lot")
    p.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a terminal")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder (created if missing); written as one unit, replacing an earlier plan in it")
    p.add_argument("--force", action="store_true",
                   help="write into a folder that holds files no pouchline plan wrote (they are kept)")
    p.set_defaults(func=run)
