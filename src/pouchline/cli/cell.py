"""``pouchline cell``: size a pouch cell from the recipe's single layer."""

from __future__ import annotations

import argparse

from pouchline.cli._common import (
    add_cell_size_options,
    add_recipe_argument,
    cell_size_kwargs,
    load_recipe_from_args,
    positive_float,
    print_json,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "cell", help="size a pouch cell: layers, dimensions, masses, Wh/kg and Wh/L, clamp force, rate table",
        description="Size a pouch cell from the recipe's single layer: layer count, stacking, dimensions, mass and "
                    "volume breakdown, energy at the jellyroll, stack, cell and cell-in-fixture scopes, the clamp "
                    "force and fixture, and energy versus charge rate. With no target: the paper's single layer.",
    )
    add_recipe_argument(p)
    add_cell_size_options(p)
    p.add_argument("--charge-min", dest="charge_min", type=positive_float, default=10.0, metavar="MIN",
                   help="charge time to report the delivered energy for (default 10 min)")
    p.add_argument("--list-formats", action="store_true", help="list the format catalogue and exit")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pouchline.cell import size_cell
    from pouchline.cell.formats import DEFAULT_FORMATS_PATH, load_formats
    from pouchline.cell.report import render_text

    formats = load_formats(args.formats or DEFAULT_FORMATS_PATH) if (args.formats or args.list_formats) else None
    if args.list_formats:
        for f in formats.formats:  # type: ignore[union-attr]
            print(f"{f.id:18s} {f.basis:9s} {f.length_mm:g} x {f.width_mm:g} mm  {f.name}  [{f.source}]")
        return 0
    recipe, materials = load_recipe_from_args(args)
    res = size_cell(recipe, materials, **cell_size_kwargs(args), charge_minutes=args.charge_min)
    if args.json:
        print_json(res.to_dict())
    else:
        print(render_text(res, args.recipe))
    return 0
