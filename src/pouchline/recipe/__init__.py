"""Recipes: the cell and its process as validated, revisioned data.

Import what you need from here::

    from pouchline.recipe import load_recipe, Recipe, Param
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Recipe", "Param", "load_recipe", "load_recipe_and_materials", "load_recipe_text", "load_materials",
    "dump_recipe", "apply_overrides", "parse_override", "DEFAULT_RECIPE_PATH", "RECIPES_DIR",
]

_LAZY = {
    "Recipe": "pouchline.recipe.document",
    "Param": "pouchline.recipe.params",
    "load_recipe": "pouchline.recipe.io",
    "load_recipe_and_materials": "pouchline.recipe.io",
    "load_recipe_text": "pouchline.recipe.io",
    "load_materials": "pouchline.recipe.io",
    "dump_recipe": "pouchline.recipe.io",
    "apply_overrides": "pouchline.recipe.io",
    "parse_override": "pouchline.recipe.io",
    "DEFAULT_RECIPE_PATH": "pouchline.recipe.io",
    "RECIPES_DIR": "pouchline.recipe.io",
}


def __getattr__(name: str) -> Any:  # lazy: materials.py imports recipe.params without a cycle
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
