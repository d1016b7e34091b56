"""``pouchline simulate LINE``: run the production-line simulation and print its KPIs.

Parsing and printing only; the work is :func:`pouchline.line.run_experiment` and
:func:`pouchline.line.what_if`. Run-length defaults come from :mod:`pouchline.line.defaults`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from pouchline.errors import InputError
from pouchline.line.defaults import DEFAULT_DAYS, DEFAULT_REPLICATIONS, DEFAULT_SEED, DEFAULT_WARMUP_DAYS

DEFAULT_RECIPE_NAME = "insnbi-lco-pouch.yaml"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="simulate a production line: throughput, yields, ranked bottlenecks, lead time, OEE",
        description=(
            "Simulate a line file (recipes/lines/*.yaml) with SimPy: good units, throughput with a 95 % "
            "confidence interval over replications, rolled throughput yield, per-station utilization, "
            "availability, blocked, starved and down time, OEE, WIP by branch, lead time of a good cell "
            "(Little's law station by station), a warm-up check (MSER-5), ranked near-bottlenecks with their "
            "votes, carriers needed, expired units; and what-ifs (--what-if \"+1 stacker\") with common random "
            "numbers. State fractions are of scheduled time; throughput is per scheduled hour unless marked "
            "'calendar'. Intervals cover simulation noise only, not uncertainty in the inputs."
        ),
    )
    parser.add_argument("line", metavar="LINE", help="line file, e.g. recipes/lines/gwh-line.yaml")
    parser.add_argument("--recipe", metavar="RECIPE",
                        help=f"recipe whose step ids the stations must use (default: recipes/{DEFAULT_RECIPE_NAME} "
                             "when present)")
    parser.add_argument("--days", type=float, default=DEFAULT_DAYS, metavar="D",
                        help=f"measured period in calendar days, after the warm-up (default {DEFAULT_DAYS:g})")
    parser.add_argument("--warmup-days", type=float, default=DEFAULT_WARMUP_DAYS, metavar="W",
                        help=f"calendar days simulated first and left out of the statistics (default "
                             f"{DEFAULT_WARMUP_DAYS:g}; checked with MSER-5)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                        help=f"random seed; same seed, same result (default {DEFAULT_SEED})")
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, metavar="R",
                        help=f"independent replications (default {DEFAULT_REPLICATIONS}); they run on every core "
                             "and give the confidence intervals")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes for replications (default: every core)")
    parser.add_argument("--lot-size", type=int, default=None, metavar="N",
                        help="units moved together (default: the line file's, or ~5 min of the slowest station)")
    parser.add_argument("--area-per-cell-cm2", type=float, default=None, metavar="A",
                        help="electrode area per cell, for stations given in m/min or m2/h (default: the line file's)")
    parser.add_argument("--cell-energy-wh", type=float, default=None, metavar="E",
                        help="energy per cell for MWh/year (default: the line file's cell_energy_Wh)")
    parser.add_argument("--what-if", dest="what_if", action="append", default=[], metavar="'+N STATION'",
                        help="also simulate the line with N more (or fewer: -N) machines at STATION, with the same "
                             "seeds, and report the gain with its 95 %% interval (repeatable), e.g. --what-if "
                             "'+1 stacker'")
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


def _num(x: Any) -> str:
    """Three to four significant digits with thousands separators; a dash for nothing."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:,.1f}"
    if a >= 1:
        return f"{x:.2f}"
    from pouchline.display import fmt_number

    return fmt_number(x, 3)  # no exponent for small values


def _pct(x: Any) -> str:
    return "-" if x is None or x != x else f"{100 * x:.1f}"


def _ci(ci: Any) -> str:
    if not ci or any(v is None or (isinstance(v, float) and not math.isfinite(v)) for v in ci):
        return ""
    return f" (95 % CI {_num(ci[0])} to {_num(ci[1])})"


def _mass(g: float) -> str:
    if g >= 1e6:
        return f"{_num(g / 1e6)} t"
    if g >= 1e3:
        return f"{_num(g / 1e3)} kg"
    return f"{_num(g)} g"


def _report(exp: Any, line_file: str, what_ifs: Sequence[Any] = ()) -> str:
    import pandas as pd

    lines = [
        f"line {exp.line_name} ({line_file}): {exp.days:g} days after {exp.warmup_days:g} days of warm-up, "
        f"seed {exp.seed}, {exp.replications} replication{'s' if exp.replications != 1 else ''}, "
        f"lots of {exp.lot_size} units; scheduled {100 * exp.scheduled_fraction:.1f} % of calendar time",
        f"units started at the heads {_num(exp.started_units)}, good {_num(exp.good_units)}, scrapped "
        f"{_num(exp.scrapped_units)}" + (f", expired {_num(exp.expired_units)}" if exp.expired_units else "")
        + " (per replication)",
        f"throughput {_num(exp.throughput_units_per_h)} good units per scheduled hour{_ci(exp.throughput_ci95_units_per_h)}"
        f"; {_num(exp.throughput_units_per_calendar_h)} per calendar hour; {_num(exp.good_units_per_year)} per year"
        f"{_ci(exp.good_units_per_year_ci95)}",
        f"interval: {exp.ci_method}; it covers simulation noise, not uncertainty in the line's figures",
    ]
    if exp.energy_MWh_per_year is not None:
        lines.append(f"energy {_num(exp.energy_MWh_per_year)} MWh/year{_ci(exp.energy_MWh_per_year_ci95)}")
    lines.append(f"rolled throughput yield {100 * exp.yield_rty:.1f} % (planned {100 * exp.yield_rty_planned:.1f} %)")
    branches = ", ".join(f"{b} {_num(w)}" for b, w in exp.wip_by_branch_units.items())
    lines.append(f"WIP {_num(exp.wip_units)} units" + (f" (by branch: {branches})" if len(exp.wip_by_branch_units) > 1
                                                      else ""))
    if exp.lead_time_h is not None:
        heads = ", ".join(f"from {h} {_num(v)} h" for h, v in exp.lead_time_by_head_h.items())
        lines.append(f"lead time of a good cell {_num(exp.lead_time_h)} scheduled h{_ci(exp.lead_time_ci95_h)}, "
                     f"{_num(exp.lead_time_calendar_h)} calendar h ({heads}; {exp.lead_time_method})")
    if exp.warmup_check:
        lines.append(f"warm-up check ({exp.warmup_check['method']}): {exp.warmup_check['message']}")
    lines.append("")
    lines.append("near-bottlenecks (ranked by the replications' votes, then active share = busy + down + setup):")
    rows = []
    for b in exp.bottlenecks[:5]:
        lo, hi = b["active_ci95"]
        rows.append({"rank": b["rank"], "station": b["name"], "active%": _pct(b["active_fraction"]),
                     "active 95% CI": "" if lo is None or lo != lo else f"{100 * lo:.1f}-{100 * hi:.1f}",
                     "line limit good/h": _num(b["line_limit_good_units_per_h"]),
                     "votes": f"{b['votes_count']}/{exp.replications}"})
    lines.append(pd.DataFrame(rows).set_index("rank").to_string())
    lines.append(f"bottleneck: {exp.bottleneck_why}")
    lines.append("")
    frame = exp.stations_frame()
    shown = pd.DataFrame(index=frame.index)
    shown["step"] = frame["step"]
    if frame["branch"].nunique() > 1:
        shown["branch"] = frame["branch"]
    shown["mach"] = frame["machines"]
    shown["cap u/h"] = frame["capacity_u_h"].map(_num)
    shown["limit good/h"] = frame["line_limit_u_h"].map(_num)
    shown["started"] = frame["started"].map(_num)
    shown["scrapped"] = frame["scrapped"].map(_num)
    if (frame["expired"] > 0).any():
        shown["expired"] = frame["expired"].map(_num)
    for col, name in (("yield", "yield%"), ("util", "util%"), ("avail", "avail%"), ("down", "down%"),
                      ("setup", "setup%"), ("blocked", "block%"), ("starved", "starv%"), ("zone_wait", "zone%"),
                      ("carrier_wait", "carrier%"), ("oee", "OEE%")):
        shown[name] = frame[col].map(_pct)
    for col, name in (("setup", "setup%"), ("zone_wait", "zone%"), ("carrier_wait", "carrier%")):
        if not (frame[col] > 0).any():
            shown = shown.drop(columns=[name])
    shown["WIP"] = frame["wip"].map(_num)
    lines.append(shown.to_string())
    zones = [z for z in exp.zones if z.utilization is not None or z.exposure_limit_h is not None]
    if zones:
        lines.append("")
    for z in zones:
        text = f"zone {z.name} ({z.kind})"
        if z.utilization is not None:
            text += f": {z.capacity} slots in use {100 * z.utilization:.1f} % of scheduled time"
        if z.exposure_limit_h is not None:
            text += (f"; exposure limit {z.exposure_limit_h:g} h: parts left it after {_num(z.exposure_mean_h)} h on "
                     f"average (longest {_num(z.exposure_max_h)} h), {_num(z.expired_units)} expired")
        lines.append(text)
    for c in exp.carriers:
        lines.append(f"carriers {c.name} ({c.from_station} -> {c.to_station}, {c.units_per_carrier} units each): "
                     f"{_num(c.carriers_needed)} needed at the simulated throughput{_ci(c.carriers_needed_ci95)} "
                     f"(Little's law: {_num(c.units_per_h)} units/h x {_num(c.hold_time_h)} h held / "
                     f"{c.units_per_carrier}), {c.count:,} in the pool, at most {c.max_in_use:,} in use; units waited "
                     f"{_num(c.wait_h_per_unit)} h each for one")
    if exp.materials_purchased_g_per_year:
        lines.append("")
        lines.append("materials bought per year (scrap included, each charged to the branch that scraps it): " + ", ".join(
            f"{m} {_mass(g)}" for m, g in exp.materials_purchased_g_per_year.items()))
    if exp.materials_intermediate_g_per_year:
        lines.append("made on the line from them (not bought): " + ", ".join(
            f"{m} {_mass(g)}" for m, g in exp.materials_intermediate_g_per_year.items()))
    for w in what_ifs:
        lines.append("")
        lo, hi = w.gain_ci95_units_per_h
        lines.append(f"what-if {w.label} ({w.machines_before} -> {w.machines_after} machines): throughput "
                     f"{_num(w.base.throughput_units_per_h)} -> {_num(w.changed.throughput_units_per_h)} good units/h, "
                     f"gain {_num(w.gain_units_per_h)} ({100 * w.gain_frac:+.2f} %), 95 % CI {_num(lo)} to {_num(hi)} "
                     f"({w.method}); bottleneck after: {w.changed.bottleneck}")
    for warning in exp.warnings:
        lines.append(f"warning: {warning}")
    for note in exp.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from pouchline.line import load_line, parse_what_if, run_experiment, what_if
    from pouchline.line.kpis import intermediate_materials

    line_path = Path(args.line)
    line = load_line(line_path)
    step_ids, where, recipe = _step_ids(args.recipe, line_path)
    line.validate_steps(step_ids, source=str(line_path), against=where)
    changes = [parse_what_if(text) for text in args.what_if]
    if recipe is not None:
        from pouchline.line.model import atmosphere_deviations
        from pouchline.plant.design import passes_mismatch

        for text in atmosphere_deviations(line, recipe):
            print(f"warning: {line_path}: {text}", file=sys.stderr)
        for st in line.stations:
            wrong = passes_mismatch(st, recipe.step(st.step))
            if wrong is not None:
                print(f"warning: {line_path}: {wrong}", file=sys.stderr)
    show = bool(args.progress) or sys.stderr.isatty()
    progress, close = _progress_bar(show)
    kw = dict(replications=args.replications, days=args.days, warmup_days=args.warmup_days, seed=args.seed,
              workers=args.workers, lot_size=args.lot_size, area_per_cell_cm2=args.area_per_cell_cm2,
              cell_energy_Wh=args.cell_energy_wh)
    try:
        exp = run_experiment(line, progress=progress,
                             intermediate_materials=intermediate_materials(recipe) if recipe is not None else (), **kw)
        results = [what_if(line, station, machines=delta, base=exp, **kw) for station, delta in changes]
    except InputError as exc:
        raise exc.with_source(str(line_path) if any(p.field.startswith(("stations", "release", "carriers", "zones"))
                                                    for p in exc.problems) else "") from None
    finally:
        close()
    if args.json:
        out = exp.to_dict()
        out["line_file"] = str(line_path)
        out["steps_checked_against"] = where
        out["what_if"] = [w.to_dict() for w in results]
        print(json.dumps(out, indent=2))
    else:
        print(_report(exp, str(line_path), results))
    return 0
