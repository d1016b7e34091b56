"""``pouchline validate`` and ``pouchline show``."""

from __future__ import annotations

import argparse
import sys

from pouchline.cli._common import add_recipe_argument, load_recipe_from_args
from pouchline.errors import InputError
from pouchline.fileio import read_yaml


def _kind_of(path: str, data: dict) -> str:
    if "materials" in data and "steps" not in data:
        return "materials"
    if "default_step_yield" in data or "rates" in data and ("stations" in data or "plant" in data):
        return "cost-rates"
    if "machines" in data and "kinds" in data:
        return "equipment"
    if "formats" in data and "steps" not in data:
        return "formats"
    if "stations" in data:
        return "line"
    if "scenarios" in data or "design" in data and "parameters" in data:
        return "sweep"
    return "recipe"


def validate_one(path: str, overrides: list[str] | None = None) -> str:
    """Validate one file of any pouchline kind; return the OK line or raise InputError."""
    data = read_yaml(path, what="pouchline file")
    kind = _kind_of(path, data)
    if kind == "materials":
        from pouchline.recipe.io import load_materials

        lib = load_materials(path)
        return f"OK {path}: materials library, {len(lib.materials)} materials"
    if kind == "cost-rates":
        from pouchline.cost import load_rates

        load_rates(path)
        return f"OK {path}: cost rates"
    if kind == "equipment":
        from pouchline.equipment import load_catalogue

        cat = load_catalogue(path)
        return f"OK {path}: equipment catalogue, {len(cat.machines)} machines"
    if kind == "formats":
        from pouchline.cell.formats import load_formats

        cat = load_formats(path)
        n = len(getattr(cat, "formats", cat) or [])
        return f"OK {path}: cell format catalogue, {n} formats"
    if kind == "line":
        try:
            from pouchline.line import load_line  # type: ignore[attr-defined]
        except ImportError:
            raise InputError.single(path, "", "is a line file, but this pouchline has no line module") from None
        line = load_line(path)
        return f"OK {path}: line {getattr(line, 'name', '')}, {len(line.stations)} stations"
    if kind == "sweep":
        try:
            from pouchline.sweep import load_sweep  # type: ignore[attr-defined]
        except ImportError:
            raise InputError.single(path, "", "is a sweep file, but this pouchline has no sweep module") from None
        sweep = load_sweep(path)
        from pouchline.sweep.scenario import check_parameter_paths, load_context

        # the same checks run_sweep makes before the first scenario: base files and parameter paths
        check_parameter_paths(list(sweep.parameters), load_context(sweep), source=path)
        from pouchline.sweep import count_scenarios

        return f"OK {path}: sweep {sweep.name}, {count_scenarios(sweep):,} scenarios"
    from pouchline.recipe.io import load_recipe_and_materials

    recipe, materials = load_recipe_and_materials(path, overrides=overrides)
    line = (f"OK {path}: recipe {recipe.id} rev {recipe.revision} ({recipe.status}), {len(recipe.steps)} steps, "
            f"hash {recipe.hash}")
    from pouchline.cell.consistency import recipe_consistency

    for p in recipe_consistency(recipe, materials, path):
        line += f"\n  WARNING {p} (the traveler refuses to print until the steps match the design)"
    return line


def run_validate(args: argparse.Namespace) -> int:
    failed = 0
    problems_total = 0
    for path in args.paths:
        try:
            print(validate_one(path, args.overrides))
        except InputError as exc:
            failed += 1
            problems_total += len(exc.problems)
            print(f"INVALID {path}: {len(exc.problems)} problem(s)", file=sys.stderr)
            for p in exc.with_source(path).problems:
                print(f"  {p}", file=sys.stderr)
    if failed:
        print(f"{failed} of {len(args.paths)} file(s) invalid, {problems_total} problem(s)", file=sys.stderr)
        return 2
    return 0


def run_show(args: argparse.Namespace) -> int:
    from pouchline.recipe.route import route_table, route_text

    recipe, materials = load_recipe_from_args(args)
    if args.format == "table":
        import pandas as pd

        with pd.option_context("display.max_rows", None, "display.max_colwidth", 60, "display.width", 200):
            print(route_table(recipe).to_string(index=False))
    elif args.format == "yaml":
        from pouchline.recipe.io import dump_recipe

        sys.stdout.write(dump_recipe(recipe))
    else:
        print(route_text(recipe, materials))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="validate recipe, materials, line or sweep files",
                       description="Validate files; exit 0 if all are valid, 2 with every problem listed if not.")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="validate recipes with this field overridden, as other commands' --set (repeatable)")
    p.set_defaults(func=run_validate)

    s = sub.add_parser("show", help="print a recipe as a readable route",
                       description="Print the recipe's steps in order with parameters, units, atmosphere and the "
                                   "alloy composition in at.% and wt%.")
    add_recipe_argument(s)
    s.add_argument("--format", choices=["text", "table", "yaml"], default="text",
                   help="text route (default), a flat parameter table, or the validated recipe as YAML")
    s.set_defaults(func=run_show)
