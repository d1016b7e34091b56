"""Shared fixtures: the shipped recipe and materials, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
DEFAULT_RECIPE = RECIPES / "insnbi-lco-pouch.yaml"
MATERIALS = RECIPES / "materials.yaml"


@pytest.fixture(scope="session")
def recipe_and_materials():
    from pouchline.recipe.io import load_recipe_and_materials

    return load_recipe_and_materials(DEFAULT_RECIPE)


@pytest.fixture(scope="session")
def recipe(recipe_and_materials):
    return recipe_and_materials[0]


@pytest.fixture(scope="session")
def materials(recipe_and_materials):
    return recipe_and_materials[1]


@pytest.fixture(scope="session")
def recipe_data():
    import yaml

    return yaml.safe_load(DEFAULT_RECIPE.read_text(encoding="utf-8"))
