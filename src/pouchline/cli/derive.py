"""``pouchline derive``: a new recipe revision for the planned product (and the line that makes it)."""

from __future__ import annotations

import argparse
import sys

from pouchline.cli._common import add_cell_size_options, add_recipe_argument, cell_size_kwargs, load_recipe_from_args
from pouchline.cli.traveler import check_out_path, iso_date


def run(args: argparse.Namespace) -> int:
    from pouchline.cell import size_cell
    from pouchline.fileio import atomic_write
    from pouchline.recipe.derive import derive_revision

    out = check_out_path(args.out, suffixes=(".yaml", ".yml"), what="the revision is a recipe file",
                         example="recipe-rev-B.yaml")
    diff_out = check_out_path(args.diff, suffixes=None, example="recipe-diff.txt", option="--diff") if args.diff else None
    recipe, materials = load_recipe_from_args(args)
    line = None
    if args.line:
        from pouchline.line import load_line

        line = load_line(args.line)
    cell = size_cell(recipe, materials, **cell_size_kwargs(args))
    derived = derive_revision(recipe, materials, cell, line=line, revision=args.revision, author=args.author,
                              date=args.date)
    atomic_write(out, derived.yaml_text(out))
    if diff_out is not None:
        atomic_write(diff_out, derived.diff)
    r = derived.recipe
    print(f"wrote {out}: {r.id} rev {r.revision} ({r.status}), {r.parent_text}, for {derived.product}; "
          f"hash {r.hash}")
    for c in derived.changes:
        print(f"  - {c}")
    for n in derived.notes:
        print(f"note: {n}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derive", help="write a new recipe revision for the planned cell (format, layers, fixture) and line",
        description=(
            "Derive a draft revision of RECIPE for the cell the size options describe (electrode size and layer "
            "count from the format; fixture bolts and flange for the clamp force; every step value the design fixes "
            "follows it) and, with --line, for the line's atmospheres (a dry room with its dew point and the "
            "sulfide's open-time limit per step). The file names its parent (id, revision, content hash) and "
            "lists its changes; it validates and loads like any recipe."),
    )
    add_recipe_argument(p)
    add_cell_size_options(p)
    p.add_argument("--line", metavar="LINE", help="line YAML whose atmospheres the revision takes on")
    p.add_argument("--revision", default=None, metavar="REV", help="the new revision label (default: the next, A -> B)")
    p.add_argument("--author", default="pouchline derive", help="author of the revision")
    p.add_argument("--date", type=iso_date, default=None, metavar="YYYY-MM-DD", help="date of the revision (default: today)")
    p.add_argument("--out", required=True, metavar="FILE.yaml", help="the revision's recipe file (written atomically)")
    p.add_argument("--diff", default=None, metavar="FILE", help="also write the diff against the parent to FILE")
    p.set_defaults(func=run)
