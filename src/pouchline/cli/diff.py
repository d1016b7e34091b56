"""``pouchline diff``: what changed between two recipe revisions, step by step, with units."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from pouchline.cell.design_values import design_values
    from pouchline.recipe.diff import diff_text
    from pouchline.recipe.io import load_recipe_and_materials

    a, ma = load_recipe_and_materials(args.old)
    b, mb = load_recipe_and_materials(args.new)
    sys.stdout.write(diff_text(a, b, design_values(a, ma), design_values(b, mb)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diff", help="print what changed between two recipe revisions",
                       description="Compare two recipe files: header, atmospheres, safety notes, cell design, every "
                                   "step's parameters, settings and checks (with units and the design values they "
                                   "follow), and the design values themselves. Exit 0 whether or not they differ.")
    p.add_argument("old", metavar="A.yaml", help="the earlier revision")
    p.add_argument("new", metavar="B.yaml", help="the later revision")
    p.set_defaults(func=run)
