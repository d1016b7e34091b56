"""Helpers shared by the subcommands: recipe options, JSON printing."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from pouchline.errors import InputError


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


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def print_json(obj: Any) -> None:
    """One JSON object on stdout (NaN and infinities become null)."""
    json.dump(_clean(obj), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


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


__all__ = ["InputError", "add_recipe_argument", "load_recipe_from_args", "print_json", "positive_int",
           "positive_float"]
