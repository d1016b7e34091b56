"""``pouchline plan``: the whole planning package in one folder.

Parsing and printing only; the work is :func:`pouchline.plan.make_plan` and
:func:`pouchline.export.plan_report.write_plan`. The headline blocks printed here (cell, fixture,
line, near-bottlenecks, warnings) are the rows :mod:`pouchline.plan` gives the README and the app.
"""

from __future__ import annotations

import argparse
import sys

from pouchline.cli._common import (
    add_cell_size_options,
    add_recipe_argument,
    add_run_length_options,
    cell_size_kwargs,
    load_recipe_from_args,
    nonnegative_int,
    positive_float,
    positive_int,
    print_json,
)


def _cell_args(args: argparse.Namespace) -> str:
    """The cell size options as given, for commands that reproduce the plan's figures."""
    parts = []
    for opt, dest in (("--layers", "layers"), ("--capacity-Ah", "capacity_Ah"), ("--energy-Wh", "energy_Wh"),
                      ("--format", "format"), ("--formats", "formats")):
        v = getattr(args, dest, None)
        if v is not None:
            parts.append(f"{opt} {v:g}" if isinstance(v, float) else f"{opt} {v}")
    if getattr(args, "footprint", None):
        parts.append(f"--footprint {args.footprint[0]:g}x{args.footprint[1]:g}")
    parts += [f"--set {o}" for o in args.overrides]
    return " ".join(parts)


def run(args: argparse.Namespace) -> int:
    from pouchline.errors import InputError
    from pouchline.export.plan_report import check_plan_target, prepare_plan_dir, write_plan
    from pouchline.export.traveler_model import check_cells, check_lot
    from pouchline.plan import PlanWarning, line_fixture_pool, make_plan

    # every input is checked before the simulation, so a bad one costs nothing and writes nothing
    if args.line and args.target_GWh:
        raise InputError.single("--target-GWh", "", "give --line LINE or --target-GWh X (a line sized for it), not both")
    check_lot(args.lot)
    check_cells(args.lot_cells, "--lot-cells")
    target = check_plan_target(args.out, force=args.force)
    if args.cells_per_fixture is not None:
        args.overrides = [*args.overrides, f"cell.fixture.cells_per_fixture={args.cells_per_fixture}"]
    recipe, materials = load_recipe_from_args(args)
    line = None
    fixture_note = None
    if args.line:
        from pouchline.line import load_line

        line = load_line(args.line)
        line.validate_steps(set(recipe.step_ids), source=args.line)
        pool = line_fixture_pool(line)
        if args.cells_per_fixture is None and pool is not None \
                and pool[1] != recipe.cell.fixture.cells_per_fixture:
            # plan the fixture the plant circulates, so the fixture block, the revision and its traveler
            # describe the same fixture as the line and the fixture capex
            args.overrides = [*args.overrides, f"cell.fixture.cells_per_fixture={pool[1]}"]
            recipe, materials = load_recipe_from_args(args)
            fixture_note = (f"{pool[1]} cells per fixture, as the line's fixture pool '{pool[0]}' (the recipe's "
                            "fixture holds another number; --cells-per-fixture sets it)")
            print(f"note: {fixture_note}", file=sys.stderr)
    _out, created = prepare_plan_dir(target)
    for folder in created:
        print(f"created folder {folder}", file=sys.stderr)
    extra = [PlanWarning("fixture", fixture_note, "note", (pool[0],))] if fixture_note else []
    if target.foreign:
        text = (f"{target.out} holds {len(target.foreign)} file(s) no pouchline plan wrote (e.g. {target.foreign[0]}); "
                "they are kept beside the plan (--force)")
        print(f"warning: {text}", file=sys.stderr)  # before the long run, so the user can stop it
        extra.append(PlanWarning("output folder", text, "warning", tuple(target.foreign[:20])))
    bar = None
    progress = None
    simulates = line is not None or args.target_GWh
    if simulates and (sys.stderr.isatty() or args.progress):
        from tqdm import tqdm

        bar = tqdm(total=100, desc="simulating line", unit="%", file=sys.stderr,
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

        def progress(frac: float) -> None:
            bar.n = round(100 * min(max(frac, 0.0), 1.0))
            bar.refresh()
    elif simulates:
        what = args.line or f"a line sized for {args.target_GWh:g} GWh/yr"
        print(f"simulating {args.days:g} days after {args.warmup_days:g} days of warm-up x {args.replications} "
              f"replication(s) of {what} ...", file=sys.stderr)
    try:
        plan = make_plan(recipe, materials, line=line, **cell_size_kwargs(args), days=args.days,
                         warmup_days=args.warmup_days, replications=args.replications, seed=args.seed,
                         prices=args.prices, progress=progress, target_GWh=args.target_GWh,
                         rampup_months=args.rampup_months, include_fixture=args.fixture,
                         module_cells=args.module_cells, fixture_target_Wh_kg=args.fixture_target_Wh_kg,
                         inputs={"recipe": args.recipe, "line": args.line, "cell_args": _cell_args(args)})
    finally:
        if bar is not None:
            bar.n = 100
            bar.close()
    plan = plan.with_warnings(extra)
    files = write_plan(plan, target, lot=args.lot, lot_cells=args.lot_cells)
    if not target.exists:
        print(f"created folder {target.out}", file=sys.stderr)
    if args.json:
        summary = plan.summary()
        summary["out"] = str(args.out)
        summary["files"] = [str(f) for f in files]
        print_json(summary)
    else:
        print(render_text(plan, str(args.out), len(files)))
    return 0


def render_text(plan, out: str, n_files: int) -> str:
    """The plan's headline blocks for the terminal: cell and cost, fixture, line, near-bottlenecks, warnings."""
    from pouchline.display import fmt_number, fmt_pct, fmt_quantity, fmt_usd, text_table
    from pouchline.plan import bottleneck_rows, bottleneck_sentence, fixture_rows, output_rows, ranked_bottlenecks

    c, cost, r = plan.cell, plan.cost, plan.recipe
    lines = [f"plan for {r.id} rev {r.revision} written to {out} ({n_files} files; README.md has every figure below)",
             f"cell: {c.layers} layer(s), {fmt_quantity(c.capacity_Ah, 'Ah')}, {fmt_quantity(c.energy_Wh, 'Wh')}, "
             f"{fmt_quantity(c.mass_g, 'g')}, {fmt_number(c.specific_energy_Wh_kg)} Wh/kg, "
             f"{fmt_number(c.energy_density_Wh_L)} Wh/L",
             f"cost ({plan.prices} prices): {fmt_usd(cost.cost_per_cell_usd)}/cell, "
             f"{fmt_usd(cost.cost_per_kWh_usd, per='kWh')} (materials {fmt_usd(cost.material_cost_per_kWh_usd, per='kWh')}; "
             f"{'with' if cost.include_fixture else 'without'} the fixture)"]
    if plan.fixture is not None:
        lines += ["", f"fixture: {plan.fixture.verdict}"]
        lines += [f"  {k}: {v}" for k, v in fixture_rows(plan)]
    if plan.experiment is not None:
        lines += ["", "line:"]
        lines += [f"  {k}: {v.replace('`', '')}" for k, v in output_rows(plan)]
        rows = bottleneck_rows(plan)
        if rows:
            lines += ["", "near-bottlenecks (ranked by the replications' votes, then active share; line-limit capacity "
                          "on paper):"]
            lines += ["  " + t for t in text_table(rows).splitlines()]
            lines.append("  " + bottleneck_sentence(ranked_bottlenecks(plan.experiment, c.energy_Wh),
                                                    plan.inputs.get("line") or "LINE").replace("`", ""))
        if plan.rampup is not None:
            lines.append(f"ramp-up: {plan.rampup.headline()}")
    d = plan.demand
    if d is not None:
        t = d.tightest
        if t is not None:
            lines.append(f"materials: {fmt_number(d.GWh_per_yr)} GWh/yr takes {fmt_pct(t['share_of_world_frac'])} of the "
                         f"world's {t['name']} output")
    lines += ["", f"warnings ({len(plan.warnings)}):" if plan.warnings else "warnings: none"]
    for w in plan.warnings:
        lines.append(f"  {w.severity:7s} {w.source}: {w.message.replace('`', '')}")
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan", help="write the whole planning package (cell, simulation, cost, BOM, traveler, charts) to a folder",
        description="Size the cell, simulate the line, cost it, and write cell.json/txt, simulation.json, cost.json, "
                    "sensitivity.csv, bom.xlsx, traveler.pdf, charts/*.png, summary.json and a README.md with the "
                    "headline figures into --out: the fixture's go / no-go, one annual output with what its interval "
                    "covers, the near-bottlenecks and every warning of the plan.")
    add_recipe_argument(p)
    p.add_argument("--line", metavar="LINE", help="line YAML (e.g. recipes/lines/gwh-line.yaml); without it no simulation")
    p.add_argument("--target-GWh", dest="target_GWh", type=positive_float, default=None, metavar="X",
                   help="instead of --line: size a line for X GWh/yr of good cells (pouchline size) and plan on it")
    add_cell_size_options(p)
    add_run_length_options(p)
    p.add_argument("--rampup-months", dest="rampup_months", type=nonnegative_int, default=None, metavar="N",
                   help="months of the ramp-up chart from start of production (default 24; 0: none)")
    p.add_argument("--prices", choices=["low", "base", "high"], default="base", help="material price scenario")
    p.add_argument("--fixture", action="store_true",
                   help="include the pressure fixture (end plates, bolts) in the cell's cost, as `pouchline cost "
                        "--fixture`; without it the fixtures stay in the plant and are costed as capex")
    p.add_argument("--cells-per-fixture", dest="cells_per_fixture", type=positive_int, default=None, metavar="N",
                   help="cells stacked between one pair of end plates (sets cell.fixture.cells_per_fixture; default: "
                        "the line's fixture pool's units_per_carrier when it has one, else the recipe's, 1)")
    p.add_argument("--module-cells", dest="module_cells", type=positive_int, default=None, metavar="N",
                   help="cells of the module-level fixture in the fixture headline (default 12, assumed)")
    p.add_argument("--fixture-target-Wh-kg", dest="fixture_target_Wh_kg", type=positive_float, default=None,
                   metavar="X", help="Wh/kg the module with its fixture must reach (default: 80 %% of the cell's)")
    p.add_argument("--lot", default="LOT-0001", help="lot number of the sample traveler (default LOT-0001)")
    p.add_argument("--lot-cells", dest="lot_cells", type=positive_int, default=100, help="cells in the sample lot")
    p.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a terminal")
    p.add_argument("--json", action="store_true",
                   help="print summary.json (the headline figures and the warnings) on stdout instead of the text")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder (created if missing); written as one unit, replacing an earlier plan in it")
    p.add_argument("--force", action="store_true",
                   help="write into a folder that holds files no pouchline plan wrote (they are kept)")
    p.set_defaults(func=run)
