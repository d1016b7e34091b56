"""``pouchline simulate LINE``: run the production-line simulation and print its KPIs.

Parsing and printing only; the work is :func:`pouchline.line.run_experiment`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from pouchline.errors import InputError

DEFAULT_RECIPE_NAME = "insnbi-lco-pouch.yaml"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="simulate a production line: throughput, yields, bottleneck, OEE",
        description=(
            "Simulate a line file (recipes/lines/*.yaml) with SimPy: good units, throughput with a 95 % "
            "confidence interval, rolled throughput yield, per-station utilization, availability, blocked, "
            "starved and down time, OEE, WIP, lead time and the bottleneck. State fractions are of "
            "scheduled time; throughput is per scheduled hour unless marked 'calendar'."
        ),
    )
    parser.add_argument("line", metavar="LINE", help="line file, e.g. recipes/lines/gwh-line.yaml")
    parser.add_argument("--recipe", metavar="RECIPE",
                        help=f"recipe whose step ids the stations must use (default: recipes/{DEFAULT_RECIPE_NAME} "
                             "when present)")
    parser.add_argument("--days", type=float, default=365.0, metavar="D",
                        help="measured period in calendar days, after the warm-up (default 365)")
    parser.add_argument("--warmup-days", type=float, default=7.0, metavar="W",
                        help="calendar days simulated first and left out of the statistics (default 7)")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed; same seed, same result (default 1)")
    parser.add_argument("--replications", type=int, default=1, metavar="R",
                        help="independent replications (default 1); they run on every core")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes for replications (default: every core)")
    parser.add_argument("--lot-size", type=int, default=None, metavar="N",
                        help="units moved together (default: the line file's, or ~5 min of the slowest station)")
    parser.add_argument("--area-per-cell-cm2", type=float, default=None, metavar="A",
                        help="electrode area per cell, for stations given in m/min or m2/h (default: the line file's)")
    parser.add_argument("--cell-energy-wh", type=float, default=None, metavar="E",
                        help="energy per cell for MWh/year (default: the line file's cell_energy_Wh)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a terminal")
    parser.set_defaults(func=run)


def _default_recipe(line_path: Path) -> Path | None:
    for candidate in (line_path.resolve().parent.parent / DEFAULT_RECIPE_NAME, Path.cwd() / "recipes" / DEFAULT_RECIPE_NAME):
        if candidate.is_file():
            return candidate
    return None


def _step_ids(recipe_arg: str | None, line_path: Path) -> tuple[Sequence[str], str, Any]:
    """Step ids to check the stations against, where they come from, and the recipe (or None)."""
    from pouchline.line.model import DEFAULT_STEP_IDS

    if recipe_arg is not None:
        try:
            from pouchline.recipe import load_recipe
        except (ImportError, AttributeError):
            raise InputError.single(recipe_arg, "", "cannot read recipes: pouchline.recipe is not available") from None
        recipe = load_recipe(recipe_arg)
        return [s.id for s in recipe.steps], recipe_arg, recipe
    default = _default_recipe(line_path)
    if default is not None:
        try:
            from pouchline.recipe import load_recipe

            recipe = load_recipe(default)
            return [s.id for s in recipe.steps], str(default), recipe
        except (ImportError, AttributeError):
            pass
        except InputError as exc:
            print(f"warning: the default recipe could not be read ({exc.problems[0] if exc.problems else exc}); "
                  "checking steps against the built-in step list", file=sys.stderr)
    return list(DEFAULT_STEP_IDS), "the default recipe's step list", None


def _progress_bar(enabled: bool) -> tuple[Callable[[float], None] | None, Callable[[], None]]:
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=100, file=sys.stderr, unit="%", desc="simulating", leave=False,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

    def update(fraction: float) -> None:
        target = int(round(100 * min(max(fraction, 0.0), 1.0)))
        if target > bar.n:
            bar.update(target - bar.n)

    return update, bar.close


def _num(x: float) -> str:
    """Four significant digits, with thousands separators for large numbers."""
    return f"{x:,.1f}" if abs(x) >= 1000 else f"{x:.4g}"


def _pct(x: Any) -> str:
    return "" if x is None or x != x else f"{100 * x:.1f}"


def _report(exp: Any, line_file: str) -> str:
    import pandas as pd

    d = exp.to_dict()
    lo, hi = d["throughput_ci95_units_per_h"]
    lines = [
        f"line {exp.line_name} ({line_file}): {exp.days:g} days after {exp.warmup_days:g} days of warm-up, "
        f"seed {exp.seed}, {exp.replications} replication{'s' if exp.replications != 1 else ''}, "
        f"lots of {exp.lot_size} units; scheduled {100 * exp.scheduled_fraction:.1f} % of calendar time",
        f"units started {exp.started_units:,.0f}, good {exp.good_units:,.0f}, scrapped {exp.scrapped_units:,.0f}",
        f"throughput {exp.throughput_units_per_h:,.2f} good units per scheduled hour "
        f"(95 % CI {lo:,.2f} to {hi:,.2f}, {exp.ci_method}); "
        f"{exp.throughput_units_per_calendar_h:,.2f} per calendar hour; {exp.good_units_per_year:,.0f} per year",
    ]
    if exp.energy_MWh_per_year is not None:
        e_ci = exp.energy_MWh_per_year_ci95
        lines.append(f"energy {_num(exp.energy_MWh_per_year)} MWh/year"
                     + (f" (95 % CI {_num(e_ci[0])} to {_num(e_ci[1])})" if e_ci else ""))
    lines.append(f"rolled throughput yield {100 * exp.yield_rty:.1f} % (planned {100 * exp.yield_rty_planned:.1f} %)")
    if exp.lead_time_h is not None:
        lines.append(f"WIP {exp.wip_units:,.0f} units; lead time {exp.lead_time_h:,.1f} scheduled h "
                     f"({exp.lead_time_calendar_h:,.1f} calendar h, Little's law)")
    lines.append(f"bottleneck: {exp.bottleneck_why}")
    lines.append("")
    frame = exp.stations_frame()
    shown = pd.DataFrame(index=frame.index)
    shown["step"] = frame["step"]
    shown["mach"] = frame["machines"]
    shown["cap u/h"] = frame["capacity_u_h"].map(lambda x: f"{x:,.1f}")
    shown["started"] = frame["started"].map(lambda x: f"{x:,.0f}")
    shown["scrapped"] = frame["scrapped"].map(lambda x: f"{x:,.0f}")
    for col, name in (("yield", "yield%"), ("util", "util%"), ("avail", "avail%"), ("down", "down%"),
                      ("setup", "setup%"), ("blocked", "block%"), ("starved", "starv%"), ("zone_wait", "zone%"),
                      ("oee", "OEE%")):
        shown[name] = frame[col].map(_pct)
    if not (frame["setup"] > 0).any():
        shown = shown.drop(columns=["setup%"])
    if not (frame["zone_wait"] > 0).any():
        shown = shown.drop(columns=["zone%"])
    shown["WIP"] = frame["wip"].map(lambda x: f"{x:,.0f}")
    lines.append(shown.to_string())
    zones = [z for z in exp.zones if z.utilization is not None]
    if zones:
        lines.append("")
        lines.extend(f"zone {z.name} ({z.kind}, {z.capacity} slots): in use {100 * z.utilization:.1f} % of scheduled time"
                     for z in zones)
    if exp.materials_consumed_g:
        lines.append("")
        lines.append("material consumed (scrap included): " + ", ".join(
            f"{m} {g / 1000:,.3f} kg" for m, g in exp.materials_consumed_g.items()))
    for note in exp.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from pouchline.line import load_line, run_experiment

    line_path = Path(args.line)
    line = load_line(line_path)
    step_ids, where, recipe = _step_ids(args.recipe, line_path)
    line.validate_steps(step_ids, source=str(line_path), against=where)
    if recipe is not None:
        from pouchline.line.model import atmosphere_deviations

        for text in atmosphere_deviations(line, recipe):
            print(f"warning: {line_path}: {text}", file=sys.stderr)
    show = bool(args.progress) or sys.stderr.isatty()
    progress, close = _progress_bar(show)
    try:
        exp = run_experiment(
            line, replications=args.replications, days=args.days, warmup_days=args.warmup_days, seed=args.seed,
            workers=args.workers, lot_size=args.lot_size, area_per_cell_cm2=args.area_per_cell_cm2,
            cell_energy_Wh=args.cell_energy_wh, progress=progress,
        )
    except InputError as exc:
        raise exc.with_source(str(line_path) if any(p.field.startswith("stations") for p in exc.problems) else "") from None
    finally:
        close()
    if args.json:
        out = exp.to_dict()
        out["line_file"] = str(line_path)
        out["steps_checked_against"] = where
        print(json.dumps(out, indent=2))
    else:
        print(_report(exp, str(line_path)))
    return 0
