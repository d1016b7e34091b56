"""Shared fixtures: the shipped recipe and materials, loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# In CI the property tests draw the same examples every run, so a landing never hinges on a
# lucky draw; locally they explore new examples each run (POUCHLINE_FUZZ_EXAMPLES raises the
# corruption test's count for a deeper search).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

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
