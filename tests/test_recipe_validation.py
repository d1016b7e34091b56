"""Recipe loading and validation: every kind of bad input names file, field, value and what is allowed."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pouchline.errors import InputError
from pouchline.recipe.io import (
    apply_overrides,
    dump_recipe,
    load_recipe_and_materials,
    load_recipe_text,
    recipe_from_data,
)

from conftest import DEFAULT_RECIPE, MATERIALS


def _load(data, materials):
    return recipe_from_data(data, "test.yaml", materials=materials)


def _problems(data, materials) -> list[str]:
    with pytest.raises(InputError) as exc:
        _load(data, materials)
    return [str(p) for p in exc.value.problems]


def test_shipped_recipe_is_valid(recipe):
    assert recipe.id == "MR-INSNBI-LCO-POUCH"
    assert len(recipe.steps) >= 15
    kinds = {s.kind for s in recipe.steps}
    for kind in ("alloy_preparation", "melt_cast", "quench", "rolling_schedule", "film_fibrillation",
                 "film_rolling", "cathode_blending", "hot_rolling", "punching", "prelithiation", "stacking",
                 "sealing", "clamping", "formation"):
        assert kind in kinds


def test_paper_parameters_are_in_the_recipe(recipe):
    # Methods: alloy 300 degC 1 h Ar; melt 88 degC in air; 0.8 wt% PTFE, 250 rpm, 15 min; 7.1 mg/cm2;
    # 35 x 50 mm; 20 MPa 120 min; 30 MPa
    a = recipe.step("alloy_prep")
    assert a.temperature_C.target == 300 and a.duration_min.target == 60
    assert recipe.atmosphere(a.atmosphere).kind == "inert_gas"  # "under an argon atmosphere": a furnace under Ar
    m = recipe.step("melt_cast")
    assert m.temperature_C.target == 88 and recipe.atmosphere(m.atmosphere).kind == "air"
    f = recipe.step("se_film_mixing")
    assert f.binder_frac.target == pytest.approx(0.008) and f.mill_speed_rpm.target == 250
    assert f.duration_min.target == 15
    # The film loading follows the design (41.5 um x 1.64 g/cm3 = 6.806 mg/cm2, one source per value);
    # the paper's "rolled to ~7.1 mg/cm2" lies inside the step's acceptance range
    film = recipe.step("se_film_rolling").loading_mg_cm2
    assert film.ref == "derived.film_loading_mg_cm2" and film.target == pytest.approx(41.5 * 1.64 * 0.1)
    assert film.lower <= 7.1 <= film.upper
    p = recipe.step("cathode_punching")
    assert (p.length_mm.target, p.width_mm.target) == (50, 35)
    pre = recipe.step("prelithiation")
    assert pre.pressure_MPa.target == 20 and pre.duration_min.target == 120
    assert recipe.step("clamping").pressure_MPa.target == 30
    atm = recipe.atmosphere("argon_glovebox")
    assert atm.o2_ppm_max == 0.1 and atm.h2o_ppm_max == 0.1


def test_every_parameter_has_a_tagged_source(recipe, materials):
    # a parameter that follows the design has the source of what it follows: a tagged design
    # parameter, or a value the cell model derives from the design
    from pouchline.cell.design_values import design_values

    values = design_values(recipe, materials)
    for step in recipe.steps:
        for name, p in step.parameters().items():
            if p.ref is None:
                assert p.source_tag in {"paper", "derived", "estimate", "sourced", "assumed"}, (step.id, name)
            elif p.ref.startswith("derived."):
                assert p.ref.split(".", 1)[1] in values, (step.id, name, p.ref)
            else:
                node = recipe
                for part in p.ref.split("."):
                    node = next((x for x in node if getattr(x, "id", None) == part), None) \
                        if isinstance(node, list) else getattr(node, part)
                assert node.source_tag in {"paper", "derived", "estimate", "sourced", "assumed"}, (step.id, p.ref)


def test_round_trip_gives_equal_recipe_and_hash(recipe, materials):
    text = dump_recipe(recipe)
    again, _ = load_recipe_text(text, materials=materials)
    assert again.compute_hash() == recipe.compute_hash()
    assert again.model_copy(update={"content_hash": None}) == recipe
    third, _ = load_recipe_text(dump_recipe(again), materials=materials)
    assert third == again


def test_units_written_differently_hash_the_same(recipe_data, materials):
    data = copy.deepcopy(recipe_data)
    data["steps"][1]["temperature_C"]["target"] = "361.15 K"
    data["cell"]["electrolyte_film"]["thickness_um"]["target"] = "0.0415 mm"
    r1, _ = _load(recipe_data, materials)
    r2, _ = _load(data, materials)
    assert r1.compute_hash() == r2.compute_hash()


def test_hash_changes_with_a_number_not_with_metadata(recipe_data, materials):
    base, _ = _load(recipe_data, materials)
    # approving names the approver, the date and the stored hash (change control); none of it is hashed
    meta = apply_overrides(recipe_data, [("status", "approved"), ("author", "someone else"),
                                         ("approved_by", "QA lead"), ("approved_date", "2026-12-01"),
                                         ("content_hash", base.compute_hash())])
    assert _load(meta, materials)[0].compute_hash() == base.compute_hash()
    changed = apply_overrides(recipe_data, [("steps.melt_cast.temperature_C", 90)])
    assert _load(changed, materials)[0].compute_hash() != base.compute_hash()


def test_stored_hash_mismatch_is_reported(recipe_data, materials):
    data = dict(recipe_data, content_hash="sha256:" + "0" * 64)
    msgs = _problems(data, materials)
    assert any("content_hash" in m and "does not match" in m for m in msgs)


@pytest.mark.parametrize(
    "path,value,field,fragment",
    [
        ("steps.melt_cast.temperature_C", "80 degC", "steps.melt_cast.temperature_C", "melting point"),
        ("steps.melt_cast.temperature_C", "400 degC", "steps.melt_cast.temperature_C", "ceiling"),
        ("steps.melt_cast.temperature_C", "30 MPa", "steps.melt_cast.temperature_C", "wrong dimension"),
        ("cell.electrolyte_film.thickness_um", "-5 um", "cell.electrolyte_film.thickness_um", "at least 1"),
        ("cell.anode.np_ratio", -1.3, "cell.anode.np_ratio", "greater than"),
        ("steps.anode_rolling.reduction_per_pass_frac", 0.6, "steps.anode_rolling", "limit"),
        # the clamping step follows the design's stack pressure: 45 MPa there exceeds the fixture rating
        ("cell.conditions.stack_pressure_MPa", 45, "steps.clamping", "rating"),
        ("steps.se_film_mixing.atmosphere", "air", "steps.se_film_mixing.atmosphere", "sulfide"),
        ("cell.cathode.active_material", "unobtainium", "cell.cathode", "not in the composition"),
        ("steps.sealing.inputs", ["pouch_film", "kryptonite"], "steps.sealing.inputs[1]", "not a known material"),
        ("steps.melt_cast.atmosphere", "vacuum", "steps.melt_cast.atmosphere", "not one of the atmospheres"),
        ("steps.quench.kind", "teleport", "steps", "teleport"),
        ("revision", 10, "revision", "quote"),
        ("status", "off", "status", "draft"),
        # a free number in place of the reference must not contradict the design (30 MPa)
        ("steps.clamping.pressure_MPa", {"target": 20, "tol": 1.5}, "steps.clamping.pressure_MPa",
         "contradicts the design"),
    ],
)
def test_bad_values_name_the_field(recipe_data, materials, path, value, field, fragment):
    data = apply_overrides(recipe_data, [(path, value)])
    msgs = _problems(data, materials)
    joined = "\n".join(msgs)
    assert field in joined, joined
    assert fragment in joined, joined
    assert all(m.startswith("test.yaml: ") for m in msgs)


def test_missing_and_unknown_fields(recipe_data, materials):
    data = copy.deepcopy(recipe_data)
    del data["cell"]["anode"]["np_ratio"]
    data["steps"][0]["temprature_C"] = 300
    joined = "\n".join(_problems(data, materials))
    assert "cell.anode.np_ratio: is missing" in joined
    assert "steps.alloy_prep.temprature_C" in joined and "not a known field" in joined


def test_every_problem_is_listed_at_once(recipe_data, materials):
    data = apply_overrides(recipe_data, [("cell.anode.np_ratio", -1), ("steps.quench.contact_time_s", "-2 s")])
    assert len(_problems(data, materials)) == 2


@pytest.mark.parametrize(
    "content,fragment",
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"\xff\xfe\xfa not utf8", "UTF-8"),
        (b"steps: [\n", "not valid YAML at line"),
        (b"- just\n- a list\n", "expected a mapping"),
        (b"id: X\n", "is missing"),
    ],
)
def test_malformed_files(tmp_path, materials, content, fragment):
    p = tmp_path / "r.yaml"
    p.write_bytes(content)
    with pytest.raises(InputError) as exc:
        load_recipe_and_materials(p, materials=materials)
    text = str(exc.value)
    assert fragment in text and str(p) in text


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_recipe_and_materials(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="is a directory"):
        load_recipe_and_materials(tmp_path)


def test_override_by_step_id_keeps_tolerance(recipe_data, materials):
    data = apply_overrides(recipe_data, ["steps.melt_cast.temperature_C=95"])
    r, _ = _load(data, materials)
    t = r.step("melt_cast").temperature_C
    assert t.target == 95 and t.tol == 2 and t.source_tag == "user" and t.ctq


def test_override_material_price(materials):
    r, m = load_recipe_and_materials(DEFAULT_RECIPE, overrides=["materials.indium.price.base.value=500"])
    assert m["indium"].price.base.value == 500
    assert m["indium"].price.base.source.startswith("user")


def test_cli_validate_ok_and_bad(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "pouchline.cli", "validate", str(DEFAULT_RECIPE), str(MATERIALS)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("OK ") == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_RECIPE.read_text(encoding="utf-8").replace("target: 88 degC", "target: 70 degC"),
                   encoding="utf-8")
    (tmp_path / "materials.yaml").write_text(MATERIALS.read_text(encoding="utf-8"), encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "pouchline.cli", "validate", str(bad), str(tmp_path / "x.yaml")],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert f"{bad}: steps.melt_cast.temperature_C: 70 degC" in res.stderr
    assert "does not exist" in res.stderr


def test_cli_show_prints_route_and_composition():
    res = subprocess.run([sys.executable, "-m", "pouchline.cli", "show", str(DEFAULT_RECIPE)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "In 38 at.% = 30.42 wt%" in out and "Bi 29 at.% = 42.26 wt%" in out
    assert out.index("Alloy In, Sn and Bi") < out.index("Melt the alloy") < out.index("Formation")
    assert "88 °C ± 2 °C" in out and "Ar glovebox (O2 < 0.1 ppm, H2O < 0.1 ppm)" in out
    assert "passes (9)" in out


def test_cli_bad_override_exit_2():
    res = subprocess.run([sys.executable, "-m", "pouchline.cli", "show", str(DEFAULT_RECIPE),
                          "--set", "cell.anode.np_ratio=-2"], capture_output=True, text=True)
    assert res.returncode == 2 and "cell.anode.np_ratio" in res.stderr and "Traceback" not in res.stderr


# -- property tests -------------------------------------------------------------------------------
# Loading a recipe sizes its cell (every step follows the design), so the drawn design must be a
# possible cell: the N/P at least 1 on the first charge; the loading moves with its areal capacity
# (3.46 mAh/cm2 per 21.0 mg/cm2 in the paper) so the cathode never delivers more than its first charge.
_POSITIVE_FIELDS = [
    ("cell.electrolyte_film.thickness_um", 5.0, 500.0),
    ("cell.anode.np_ratio", 1.0, 3.0),
    ("cell.packaging.seal_margin_mm", 1.0, 20.0),
    ("steps.alloy_prep.duration_min", 1.0, 600.0),
    ("steps.se_film_mixing.mill_speed_rpm", 10.0, 800.0),
    ("steps.quench.contact_time_s", 1.0, 30.0),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_valid_recipes_validate(recipe_data, materials, data):
    overrides = []
    for path, lo, hi in _POSITIVE_FIELDS:
        if data.draw(st.booleans()):
            overrides.append((path, data.draw(st.floats(lo, hi))))
    if data.draw(st.booleans()):
        loading = data.draw(st.floats(5.0, 60.0))
        overrides += [("cell.cathode.active_loading_mg_cm2", loading),
                      ("cell.cathode.areal_capacity_mAh_cm2", loading * 3.46 / 21.0)]
    overrides.append(("steps.melt_cast.temperature_C", data.draw(st.floats(88.0, 195.0))))
    overrides.append(("steps.anode_rolling.reduction_per_pass_frac", data.draw(st.floats(0.05, 0.39))))
    d = apply_overrides(recipe_data, overrides)
    r, _ = _load(d, materials)
    assert r.compute_hash().startswith("sha256:")
    # law (one source per value): every step value that follows the design equals it
    assert r.step("cathode_hot_rolling").active_loading_mg_cm2.target == r.cell.cathode.active_loading_mg_cm2.target
    assert r.step("sealing").seal_width_mm.target == r.cell.packaging.seal_margin_mm.target


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["-5 um", "30 s", "1e400 MPa", "nan degC", "=HYPERLINK(1)", "88 degC", ""]),
)


@settings(max_examples=int(__import__("os").environ.get("POUCHLINE_FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_corruptions_are_rejected_cleanly(recipe_data, materials, data):
    """Law: a corrupted recipe either validates or raises InputError naming a field; nothing else."""
    paths = list(_paths(recipe_data))
    path = data.draw(st.sampled_from(paths))
    junk = data.draw(_JUNK)
    d = copy.deepcopy(recipe_data)
    node = d
    for key in path[:-1]:
        node = node[key]
    if data.draw(st.booleans()) and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = junk
    try:
        _load(d, materials)
    except InputError as exc:
        assert exc.problems and all(str(p).startswith("test.yaml") for p in exc.problems)


def test_yaml_alias_bomb_is_refused_quickly(materials):
    # "billion laughs": 7 levels of 9 aliases would expand to 4.8 million strings
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefg"
    for prev, cur in zip(names, names[1:]):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("id: X")
    with pytest.raises(InputError, match="alias"):
        load_recipe_text("\n".join(lines), "bomb.yaml", materials=materials)
