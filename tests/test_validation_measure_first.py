"""The table of figures a pilot line should measure first (docs/sources.md)."""

from __future__ import annotations

import re

import pytest

from pouchline.errors import InputError
from pouchline.validation.citations import REPO_ROOT, SOURCES_MD
from pouchline.validation.measure_first import (
    BEGIN,
    END,
    _clean_source,
    _Context,
    _evaluate,
    current_sources_md,
    effects,
    splice,
    tagged_figures,
)


@pytest.fixture(scope="module")
def figures():
    return tagged_figures()


def test_committed_table_is_up_to_date():
    assert SOURCES_MD.read_text(encoding="utf-8") == current_sources_md(), (
        "the measure-first table of docs/sources.md is out of date: run `python -m pouchline.validation` "
        "and commit the result")


def test_every_tagged_source_field_of_the_shipped_files_is_listed(figures):
    # independent count: every `source:`-like field whose value starts with estimate: or assumed:
    pattern = re.compile(r"""(?:^|[\s{,])(?:\w*source):\s*["']?(estimate|assumed):""")
    for path in sorted((REPO_ROOT / "recipes").rglob("*.yaml")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        expected = sum(len(pattern.findall(line)) for line in path.read_text(encoding="utf-8").splitlines())
        listed = sum(1 for f in figures if f.file == rel and not f.line)
        assert listed == expected, rel


def test_line_values_marked_as_estimates_in_comments_are_listed(figures):
    gwh = {f.path: f for f in figures if f.file == "recipes/lines/gwh-line.yaml"}
    # the rewritten line files tag their comments (MTBF and scrap now come from recipes/equipment.yaml)
    assert gwh["stations.casting.buffer_capacity"].value == "40000"
    assert gwh["stations.casting.buffer_capacity"].source.startswith("estimate: ingot store")
    assert "stations.stacker.machines" not in gwh  # a citation of SVOLT2022, not an estimate


def test_cost_effect_matches_the_sensitivity_run():
    # the labour rate on the default plant (case D) moves $/kWh by the tornado table's swing
    from pouchline.cost.sensitivity import sensitivity

    ctx = _Context(REPO_ROOT)
    fig = next(f for f in tagged_figures() if f.path == "rates.labour_rate_usd_h")
    _, lo, hi = ctx.moves(fig)
    swing_pct = abs(_evaluate(hi).cost["D"] - _evaluate(lo).cost["D"]) / ctx.base.cost["D"] * 100
    from pouchline.cell import size_cell

    ev = size_cell(ctx.recipe, ctx.materials, layers=10, format="ev-300x100")
    df = sensitivity(ctx.recipe, ctx.materials, ev, rates=ctx.rates)
    row = df[df["input"] == "rate: labour_rate_usd_h"].iloc[0]
    assert swing_pct == pytest.approx(row["swing_usd_per_kWh"] / df.attrs["base_cost_per_kWh_usd"] * 100, rel=1e-9)


def test_wh_kg_effect_is_the_cell_model_moved_by_ten_percent():
    # seal margin 5 mm -> 4.5 and 5.5 mm: the single-layer cell's Wh/kg, recomputed by hand
    from pouchline.cell import size_cell
    from pouchline.recipe.io import DEFAULT_RECIPE_PATH, load_recipe_and_materials

    rows = {e.figure.path: e for e in effects(figures=[f for f in tagged_figures()
                                                        if f.path == "cell.packaging.seal_margin_mm"])}
    e = rows["cell.packaging.seal_margin_mm"]
    w = {v: size_cell(*load_recipe_and_materials(DEFAULT_RECIPE_PATH, overrides=[f"cell.packaging.seal_margin_mm={v}"]))
         .specific_energy_Wh_kg for v in (4.5, 5.0, 5.5)}
    assert e.whkg_case == "1L"
    assert e.whkg_pct == pytest.approx(abs(w[5.5] - w[4.5]) / w[5.0] * 100, rel=1e-9)
    assert e.cost_pct > 0  # more pouch film per cell


def test_text_only_figures_have_no_effect_and_say_so():
    rows = effects(figures=[f for f in tagged_figures() if f.path == "safety_notes.hot_rolls"])
    assert rows[0].rank_pct == 0 and rows[0].note == "text"


def test_outside_documents_are_left_out_of_the_sources_shown():
    ext = ("notes-elsewhere.md",)
    assert _clean_source("estimate: notes-elsewhere.md B6, glovebox 1-3 kW", ext) == "estimate: glovebox 1-3 kW †"
    assert _clean_source("estimate: 20-30 % per pass (notes-elsewhere.md B3)", ext) == "estimate: 20-30 % per pass †"
    assert _clean_source("estimate: as written", ext) == "estimate: as written"


def test_splice_replaces_only_the_table_between_the_markers():
    md = f"intro\n{BEGIN}\nold\n{END}\noutro\n"
    assert splice(md, "new\n") == f"intro\n{BEGIN}\nnew\n{END}\noutro\n"
    with pytest.raises(InputError, match="markers"):
        splice("no markers here", "new\n")


def test_whole_numbers_move_by_at_least_one_and_say_by_how_much():
    # a 4-cell press batch moved by 10 % would not move at all; it goes 3 to 5, and the table says so
    fig = next(f for f in tagged_figures() if f.file == "recipes/lines/pilot-line.yaml"
               and f.path == "stations.prelithiation_press.batch_size")
    (row,) = effects(figures=[fig])
    assert row.varied == "3 to 5" and row.cost_case == "P" and row.cost_pct > 0


def test_tagged_fields_no_rule_knows_are_still_listed(tmp_path):
    # a field added by another change (e.g. world supply in the materials library) is listed, not moved
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "materials.yaml").write_text(
        "materials:\n  - id: indium\n    supply: {world_t_per_yr: 1000, source: \"estimate: 650 t is 65 %\"}\n")
    (figure,) = tagged_figures(tmp_path)
    assert figure.path == "materials.indium.supply" and figure.value == "world_t_per_yr 1000"
    assert figure.perturb == () and figure.tag == "estimate"
