"""One source per value: ``from:`` references, placeholders, tol_frac and 'ctq implies record'."""

from __future__ import annotations

import copy

import pytest

from pouchline.errors import InputError
from pouchline.recipe.io import apply_overrides, dump_recipe, load_recipe_text, recipe_from_data
from pouchline.recipe.params import Param
from pouchline.recipe.refs import fill, placeholder_names, resolve_references


def _load(data, materials):
    return recipe_from_data(data, "test.yaml", materials=materials)[0]


def _problems(data, materials) -> str:
    with pytest.raises(InputError) as exc:
        _load(data, materials)
    return "\n".join(str(p) for p in exc.value.problems)


def test_references_take_their_target_from_the_design(recipe):
    c = recipe.cell
    # cell.<path>: the design's own parameters
    assert recipe.step("cathode_hot_rolling").active_loading_mg_cm2.target == c.cathode.active_loading_mg_cm2.target
    assert recipe.step("cathode_punching").length_mm.target == c.packaging.electrode_length_mm.target
    assert recipe.step("melt_cast").substrate_thickness_um.target == c.packaging.anode_collector.thickness_um.target
    # in another unit: 0.8 wt% in the design is the fraction 0.008 in the step
    assert recipe.step("se_film_mixing").binder_frac.target == pytest.approx(0.008)
    # steps.<id>.<field>: the rolling starts where the cast ended (100 um)
    assert recipe.step("anode_rolling").start_thickness_um.target == recipe.step("melt_cast").cast_thickness_um.target
    # derived.<name>: 41.5 um x 1.64 g/cm3 x 0.1 = 6.806 mg/cm2
    assert recipe.step("se_film_rolling").loading_mg_cm2.target == pytest.approx(6.806)
    # the step keeps its own tolerance and flags
    p = recipe.step("cathode_hot_rolling").active_loading_mg_cm2
    assert (p.tol, p.ctq, p.record, p.ref) == (0.5, True, True, "cell.cathode.active_loading_mg_cm2")


def test_a_reference_and_a_target_together_are_refused(recipe_data, materials):
    data = copy.deepcopy(recipe_data)
    sealing = next(s for s in data["steps"] if s["id"] == "sealing")
    sealing["seal_width_mm"]["target"] = 5
    assert "one source per value" in _problems(data, materials)


@pytest.mark.parametrize("ref,fragment", [
    ("cell.cathode.no_such_field", "no parameter there"),
    ("derived.no_such_value", "not a numeric design value"),
    ("derived.bolt_size", "not a numeric design value"),  # a text, not a number
    ("cell.conditions.temperature_C", "another dimension"),  # degC into a mm field
    ("steps.anode_rolling.target_thickness_um", "itself comes from"),  # a reference to a reference
    ("somewhere.else", "must name"),
])
def test_bad_references_name_the_field(recipe_data, materials, ref, fragment):
    data = copy.deepcopy(recipe_data)
    sealing = next(s for s in data["steps"] if s["id"] == "sealing")
    sealing["seal_width_mm"] = {"from": ref, "tol": 0.5}
    msg = _problems(data, materials)
    assert "steps.sealing.seal_width_mm" in msg and fragment in msg, msg


def test_an_unresolved_reference_cannot_validate_on_its_own(recipe_data):
    # Recipe.model_validate without the loader: the message says how to load it
    from pouchline.recipe.document import Recipe
    from pouchline.fileio import validate_model

    with pytest.raises(InputError, match="was not resolved"):
        validate_model(Recipe, recipe_data, "raw.yaml")


def test_resolution_leaves_data_without_references_alone(recipe_data, materials):
    data = {"steps": [{"id": "x", "kind": "quench", "contact_time_s": 5}]}
    assert resolve_references(data, "t", materials) is data


def test_dump_keeps_references_and_round_trips(recipe, materials):
    text = dump_recipe(recipe)
    assert "from: derived.cathode_thickness_um" in text and "from: cell.cathode.active_loading_mg_cm2" in text
    again, _ = load_recipe_text(text, materials=materials)
    assert again.compute_hash() == recipe.compute_hash()
    # a dumped reference has no target: changing the design in the dump moves the step with it
    edited, _ = load_recipe_text(text, materials=materials, overrides=["cell.cathode.active_loading_mg_cm2=22"])
    assert edited.step("cathode_hot_rolling").active_loading_mg_cm2.target == 22


def test_relative_tolerance():
    # tol_frac 0.024 of an 8.699 g sheet is +/- 0.2088 g; it scales with the target
    p = Param.model_validate({"target": 8.699, "unit": "g", "tol_frac": 0.024})
    assert p.tol == pytest.approx(0.208776) and p.lower == pytest.approx(8.699 - 0.208776)
    with pytest.raises(ValueError, match="give one of them"):
        Param.model_validate({"target": 8.699, "unit": "g", "tol_frac": 0.024, "tol": 0.5})


def test_ctq_implies_record():
    assert Param(target=1, unit="mm", ctq=True).record is True
    with pytest.raises(ValueError, match="always recorded"):
        Param(target=1, unit="mm", ctq=True, record=False)


def test_every_ctq_value_of_the_shipped_recipe_has_a_place_to_record(recipe):
    for s in recipe.steps:
        for name, p in s.parameters().items():
            if p.ctq:
                assert p.record, (s.id, name)


def test_placeholders():
    values = {"clamp_force_kN": 900.0, "bolt_count": 12, "bolt_size": "M20", "plate_thickness_mm": 46.4412}
    text = "{bolt_count} x {bolt_size} hold {clamp_force_kN} kN on {plate_thickness_mm:.1f} mm plates {{not this}}"
    assert fill(text, values) == "12 x M20 hold 900 kN on 46.4 mm plates {not this}"
    assert placeholder_names(text) == ["bolt_count", "bolt_size", "clamp_force_kN", "plate_thickness_mm"]
    assert fill("no placeholders", {}) == "no placeholders"
    with pytest.raises(KeyError):
        fill("{nope}", values)


def test_texts_are_filled_on_documents_not_in_the_recipe(recipe, materials):
    from pouchline.export.traveler_model import routing, safety_lines
    from pouchline.cell.design_values import design_values

    assert "{electrode_length_mm}" in recipe.step("cathode_punching").name  # the master recipe keeps the template
    rs = {s.id: s for s in routing(recipe, materials)}
    assert rs["cathode_punching"].name == "Punch cathodes 50 x 35 mm"
    press = next(n for n in safety_lines(recipe, design_values(recipe, materials)) if n.id == "press_force")
    assert "stores 52.5 kN" in press.text and "14 N·m" in press.text


def test_a_bad_placeholder_format_is_an_input_error(recipe_data, materials):
    data = apply_overrides(recipe_data, [("steps.clamping.name", "Clamp at {clamp_force_kN:zz} kN")])
    assert "placeholder's format" in _problems(data, materials)
