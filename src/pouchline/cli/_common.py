"""Helpers shared by the subcommands: recipe options, JSON printing."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from pouchline.errors import InputError, excerpt


def add_recipe_argument(parser: argparse.ArgumentParser, *, optional: bool = False) -> None:
    if optional:
        parser.add_argument("--recipe", metavar="RECIPE", default=None,
                            help="recipe YAML (default: recipes/insnbi-lco-pouch.yaml)")
    else:
        parser.add_argument("recipe", metavar="RECIPE", help="recipe YAML file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="override a recipe field for this run, e.g. --set cell.anode.np_ratio=1.5 or "
                             "--set steps.melt_cast.temperature_C='90 degC' (repeatable; validated like the file)")


def load_recipe_from_args(args: argparse.Namespace):
    """(recipe, materials) from the RECIPE argument and ``--set`` overrides."""
    from pouchline.recipe.io import DEFAULT_RECIPE_PATH, load_recipe_and_materials

    path = getattr(args, "recipe", None) or DEFAULT_RECIPE_PATH
    return load_recipe_and_materials(path, overrides=list(getattr(args, "overrides", []) or []))


def print_json(obj: Any) -> None:
    """One JSON object on stdout (NaN and infinities become null)."""
    from pouchline.fileio import jsonable

    json.dump(jsonable(obj), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def footprint_mm(text: str) -> tuple[float, float]:
    """``'330x100'`` -> (330.0, 100.0): an outer pouch length x width in mm."""
    parts = text.lower().replace("mm", "").replace("*", "x").split("x")
    try:
        length, width = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LENGTHxWIDTH in mm (e.g. 330x100)") from None
    if not (math.isfinite(length) and math.isfinite(width)) or length <= 0 or width <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: both lengths must be positive")
    return length, width


def add_cell_size_options(parser: argparse.ArgumentParser) -> None:
    """``--layers | --capacity-Ah | --energy-Wh``, ``--format | --footprint`` and ``--formats``."""
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--layers", type=positive_int, metavar="N", help="number of layers")
    target.add_argument("--capacity-Ah", dest="capacity_Ah", type=positive_float, metavar="X",
                        help="target capacity, Ah (the fewest layers that reach it, at the recipe's reference rate)")
    target.add_argument("--energy-Wh", dest="energy_Wh", type=positive_float, metavar="X", help="target energy, Wh")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--format", metavar="NAME",
                       help="a named footprint of the format catalogue, e.g. ev-300x100 (pouchline cell --list-formats)")
    where.add_argument("--footprint", type=footprint_mm, metavar="LxW",
                       help="outer pouch length x width in mm, length along the tabs (e.g. 330x100)")
    parser.add_argument("--formats", metavar="PATH", help="format catalogue YAML (default: recipes/formats.yaml)")


def cell_size_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`pouchline.cell.size_cell` from the cell size options."""
    formats = None
    path = getattr(args, "formats", None)
    if path:
        from pouchline.cell.formats import load_formats

        formats = load_formats(path)
    if args.format is not None:  # checked here, so the message names the catalogue and the option
        from pouchline.cell.formats import DEFAULT_FORMATS_PATH, default_formats

        catalogue = formats if formats is not None else default_formats()
        if catalogue.get(args.format) is None:
            raise InputError.single(str(path or DEFAULT_FORMATS_PATH), "--format",
                                    f"{excerpt(repr(args.format), 80)} is not a format of this catalogue; it has "
                                    f"{', '.join(catalogue.ids)}")
    return dict(layers=args.layers, capacity_Ah=args.capacity_Ah, energy_Wh=args.energy_Wh, format=args.format,
                footprint_mm=getattr(args, "footprint", None), formats=formats)


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{v} must be at least 1")
    return v


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return v


def nonnegative_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"{text} must be a finite number >= 0")
    return v


__all__ = ["InputError", "add_cell_size_options", "add_recipe_argument", "cell_size_kwargs", "footprint_mm",
           "load_recipe_from_args", "nonnegative_float", "print_json", "positive_int", "positive_float"]
