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
    overrides = list(getattr(args, "overrides", []) or [])
    try:
        return load_recipe_and_materials(path, overrides=overrides)
    except InputError as exc:
        if not overrides:
            raise
        try:  # a misspelt --set path: name the paths it may have meant
            from pouchline.suggest import with_path_suggestions

            recipe, materials = load_recipe_and_materials(path)
        except InputError:
            raise exc from None
        raise with_path_suggestions(exc, overrides, recipe, materials) from None


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


def add_run_length_options(parser: argparse.ArgumentParser) -> None:
    """``--days``, ``--warmup-days``, ``--replications`` and ``--seed`` with the line simulation's shared
    defaults (:mod:`pouchline.line.defaults`, which imports nothing), as ``pouchline simulate`` has them."""
    from pouchline.line.defaults import DEFAULT_DAYS, DEFAULT_REPLICATIONS, DEFAULT_SEED, DEFAULT_WARMUP_DAYS

    parser.add_argument("--days", type=positive_float, default=DEFAULT_DAYS, metavar="D",
                        help=f"measured calendar days per replication, after the warm-up (default {DEFAULT_DAYS:g})")
    parser.add_argument("--warmup-days", dest="warmup_days", type=nonnegative_float, default=DEFAULT_WARMUP_DAYS,
                        metavar="W", help=f"calendar days simulated first and left out (default {DEFAULT_WARMUP_DAYS:g})")
    parser.add_argument("--replications", type=positive_int, default=DEFAULT_REPLICATIONS, metavar="R",
                        help=f"independent replications, for the 95 %% intervals (default {DEFAULT_REPLICATIONS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                        help=f"random seed; same seed, same result (default {DEFAULT_SEED})")


def _whole_number(text: str, least: int) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < least:
        raise argparse.ArgumentTypeError(f"{v} must be at least {least}")
    return v


def nonnegative_int(text: str) -> int:
    return _whole_number(text, 0)


def positive_int(text: str) -> int:
    return _whole_number(text, 1)


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


__all__ = ["InputError", "add_cell_size_options", "add_recipe_argument", "add_run_length_options", "cell_size_kwargs",
           "footprint_mm", "load_recipe_from_args", "nonnegative_float", "nonnegative_int", "print_json", "positive_int",
           "positive_float"]
