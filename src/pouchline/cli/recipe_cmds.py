"""``pouchline validate`` and ``pouchline show``."""

from __future__ import annotations

import argparse
import sys

from pouchline.cli._common import add_recipe_argument, load_recipe_from_args
from pouchline.errors import InputError


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
    return _validate(path, overrides)[0]


def _validate(path: str, overrides: list[str] | None = None) -> tuple[str, str, object]:
    """(OK line, kind, the loaded object) of one file; raises InputError."""
    from pouchline.fileio import read_yaml

    data = read_yaml(path, what="pouchline file")
    kind = _kind_of(path, data)
    if kind == "materials":
        from pouchline.recipe.io import load_materials

        lib = load_materials(path)
        return f"OK {path}: materials library, {len(lib.materials)} materials", kind, lib
    if kind == "cost-rates":
        from pouchline.cost import load_rates

        return f"OK {path}: cost rates", kind, load_rates(path)
    if kind == "equipment":
        from pouchline.equipment import load_catalogue

        cat = load_catalogue(path)
        return f"OK {path}: equipment catalogue, {len(cat.machines)} machines", kind, cat
    if kind == "formats":
        from pouchline.cell.formats import load_formats

        cat = load_formats(path)
        n = len(getattr(cat, "formats", cat) or [])
        return f"OK {path}: cell format catalogue, {n} formats", kind, cat
    if kind == "line":
        try:
            from pouchline.line import load_line  # type: ignore[attr-defined]
        except ImportError:
            raise InputError.single(path, "", "is a line file, but this pouchline has no line module") from None
        line = load_line(path)
        return f"OK {path}: line {getattr(line, 'name', '')}, {len(line.stations)} stations", kind, line
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

        return f"OK {path}: sweep {sweep.name}, {count_scenarios(sweep):,} scenarios", kind, sweep
    from pouchline.recipe.io import load_recipe_and_materials

    recipe, materials = load_recipe_and_materials(path, overrides=overrides)
    text = (f"OK {path}: recipe {recipe.id} rev {recipe.revision} ({recipe.status}), {len(recipe.steps)} steps, "
            f"hash {recipe.hash}")
    if recipe.parent_text:
        text += f"; {recipe.parent_text}"
    return text, kind, (recipe, materials)


def check_pair(recipe_path: str, recipe: object, materials: object, line_path: str, line: object) -> str:
    """The recipe on the line: OK text, or InputError listing every undeclared deviation."""
    from pouchline.recipe.derive import line_deviations

    line.validate_steps(set(recipe.step_ids), source=line_path, against=f"recipe {recipe_path}")
    devs = line_deviations(recipe, materials, line)
    bad = [d for d in devs if not d.declared]
    if bad:
        from pouchline.errors import Problem

        raise InputError([Problem(field=f"{d.kind}" + (f" of step {d.step}" if d.step else ""), message=d.message,
                                  source=f"{recipe_path} on {line_path}") for d in bad])
    text = f"OK {recipe_path} on {line_path}: recipe rev {recipe.revision} follows line {line.name}"
    for d in devs:
        text += f"\n  declared deviation ({d.kind}{' of step ' + d.step if d.step else ''}): {d.declared}"
    return text


def run_validate(args: argparse.Namespace) -> int:
    failed = 0
    problems_total = 0
    loaded: list[tuple[str, str, object]] = []
    for path in args.paths:
        try:
            text, kind, obj = _validate(path, args.overrides)
            print(text)
            loaded.append((path, kind, obj))
        except InputError as exc:
            failed += 1
            problems_total += len(exc.problems)
            print(f"INVALID {path}: {len(exc.problems)} problem(s)", file=sys.stderr)
            for p in exc.with_source(path).problems:
                print(f"  {p}", file=sys.stderr)
    recipes = [x for x in loaded if x[1] == "recipe"]
    lines = [x for x in loaded if x[1] == "line"]
    if len(recipes) == 1 and lines:  # validate RECIPE LINE...: the recipe on each line
        rpath, _, (recipe, materials) = recipes[0]
        for lpath, _, line in lines:
            try:
                print(check_pair(rpath, recipe, materials, lpath, line))
            except InputError as exc:
                failed += 1
                problems_total += len(exc.problems)
                print(f"INVALID {rpath} on {lpath}: {len(exc.problems)} deviation(s) the recipe does not declare",
                      file=sys.stderr)
                for p in exc.problems:
                    print(f"  {p}", file=sys.stderr)
    if failed:
        print(f"{failed} of {len(args.paths)} file(s) or pairs invalid, {problems_total} problem(s)", file=sys.stderr)
        return 2
    return 0


def run_show(args: argparse.Namespace) -> int:
    from pouchline.recipe.route import route_table, route_text

    recipe, materials = load_recipe_from_args(args)
    if args.format == "table":
        import pandas as pd

        with pd.option_context("display.max_rows", None, "display.max_colwidth", 60, "display.width", 200):
            print(route_table(recipe, materials).to_string(index=False))
    elif args.format == "yaml":
        from pouchline.recipe.io import dump_recipe

        sys.stdout.write(dump_recipe(recipe))
    else:
        print(route_text(recipe, materials))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="validate recipe, materials, line or sweep files",
                       description="Validate files; exit 0 if all are valid, 2 with every problem listed if not. "
                                   "Given one recipe and one or more lines, also check the recipe on each line: "
                                   "every step the line runs in another atmosphere, a product the line is not "
                                   "sized for, or a step no station runs is an error unless the recipe declares it "
                                   "(deviations:).")
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
