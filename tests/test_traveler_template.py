"""Traveler templates: the shipped ones load; a malformed one names the template file and the field."""

from __future__ import annotations

import copy

import pytest
import yaml

from pouchline.errors import InputError
from pouchline.export.traveler_template import (
    TEMPLATES_DIR,
    available_templates,
    load_template,
    render_text,
    resolve_template,
    template_from_data,
)

DEFAULT = TEMPLATES_DIR / "traveler-default.yaml"


@pytest.fixture()
def default_data():
    return yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


def _write(tmp_path, data, name="traveler-plant.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


def _routing(data):
    return next(s for s in data["sections"] if s["kind"] == "routing")


@pytest.mark.parametrize("name", ["default", "compact"])
def test_shipped_templates_load(name):
    t = load_template(name)
    assert t.name == name
    assert t.section("routing") is not None and t.section("safety") is not None
    assert set(available_templates()) >= {"default", "compact"}


def test_both_shipped_templates_are_a4_portrait_with_readable_type():
    # issue 16: readable beats compact: A4 portrait, >= 9 pt everywhere, >= 11 pt for set points
    for name in ("default", "compact"):
        t = load_template(name)
        assert (t.page.size, t.page.orientation) == ("A4", "portrait")
        assert t.fonts.small_pt >= 9 and t.fonts.body_pt >= 9 and t.fonts.setpoint_pt >= 11
    assert load_template(None).name == "default"
    assert load_template("default").section("appendix") is not None


def test_a_template_by_path(tmp_path, default_data):
    default_data["name"] = "plant-7"
    t = load_template(_write(tmp_path, default_data))
    assert t.name == "plant-7"


def _problem(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value)


def test_unknown_column_key_names_file_and_field(tmp_path, default_data):
    _routing(default_data)["columns"][6]["key"] = "actul"
    path = _write(tmp_path, default_data)
    with pytest.raises(InputError) as exc:
        load_template(path)
    msg = _problem(exc)
    i = default_data["sections"].index(_routing(default_data))
    assert str(path) in msg and f"sections[{i}].columns[6].key" in msg and "'actul'" in msg


def test_misspelt_field_is_named(tmp_path, default_data):
    default_data["header"]["qr_size"] = 20
    with pytest.raises(InputError) as exc:
        load_template(_write(tmp_path, default_data))
    assert "header.qr_size" in _problem(exc) and "not a known field" in _problem(exc)


def test_columns_wider_than_the_page(tmp_path, default_data):
    _routing(default_data)["columns"][1]["width_mm"] = 200
    path = _write(tmp_path, default_data)
    with pytest.raises(InputError) as exc:
        load_template(path)
    msg = _problem(exc)
    # 11 + 200 + 27 + 19 + 31 + 11 + 36 = 335 mm (the default routing columns with the operation column at 200)
    assert str(path) in msg and ".columns: widths add up to 335 mm" in msg and "186 mm" in msg


def test_routing_must_keep_target_unit_and_actual(tmp_path, default_data):
    r = _routing(default_data)
    r["columns"] = [c for c in r["columns"] if c["key"] not in ("actual", "unit")]
    with pytest.raises(InputError) as exc:
        load_template(_write(tmp_path, default_data))
    assert "missing ['unit', 'actual']" in _problem(exc)


def test_a_traveler_needs_one_routing_and_one_safety_section(tmp_path, default_data):
    default_data["sections"] = [s for s in default_data["sections"] if s["kind"] != "safety"]
    default_data["sections"].append(copy.deepcopy(_routing(default_data)))
    with pytest.raises(InputError) as exc:
        load_template(_write(tmp_path, default_data))
    msg = _problem(exc)
    assert "exactly one section of kind 'routing', found 2" in msg and "'safety', found 0" in msg


def test_unknown_section_kind(tmp_path, default_data):
    default_data["sections"][0]["kind"] = "cover_page"
    with pytest.raises(InputError) as exc:
        load_template(_write(tmp_path, default_data))
    assert "sections[0]" in _problem(exc) and "cover_page" in _problem(exc)


def test_jinja_syntax_error_is_caught_at_load(tmp_path, default_data):
    default_data["footer"]["text"] = "Lot {{ lot "
    with pytest.raises(InputError) as exc:
        load_template(_write(tmp_path, default_data))
    assert "footer.text" in _problem(exc) and "Jinja2" in _problem(exc)


def test_unknown_variable_is_an_error_naming_the_field(tmp_path, default_data):
    default_data["header"]["title"] = "Traveler {{ lott }}"
    path = _write(tmp_path, default_data)
    t = load_template(path)
    with pytest.raises(InputError) as exc:
        render_text(t, "header.title", t.header.title, {"lot": "L1"})
    msg = _problem(exc)
    assert str(path) in msg and "header.title" in msg and "lott" in msg


def test_template_text_cannot_reach_python(tmp_path, default_data):
    default_data["footer"]["text"] = "{{ lot.__class__.__mro__ }}"
    t = load_template(_write(tmp_path, default_data))
    with pytest.raises(InputError):
        render_text(t, "footer.text", t.footer.text, {"lot": "L1"})


def test_yaml_no_is_not_a_trap(tmp_path, default_data):
    # YAML reads a bare `no` as false: the column key is `number`, and the message says what is allowed
    _routing(default_data)["columns"][0]["key"] = False
    with pytest.raises(InputError, match="'number', 'item'"):
        template_from_data(default_data, "plant.yaml")


@pytest.mark.parametrize("name", ["Default", "no such", "x" * 80, "default;rm"])
def test_template_names_are_names(name):
    with pytest.raises(InputError, match="--template"):
        resolve_template(name)


def test_anything_with_a_slash_is_a_path_and_must_be_a_template(tmp_path):
    (tmp_path / "notes.yaml").write_text("just: text\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_template(str(tmp_path / "notes.yaml"))
    assert "notes.yaml" in _problem(exc) and "name: is missing" in _problem(exc)


def test_missing_template_lists_the_available_ones():
    with pytest.raises(InputError) as exc:
        resolve_template("nosuch")
    assert "default" in _problem(exc) and "compact" in _problem(exc)
