"""Change control: draft -> review -> approved -> obsolete; an edit of a released revision is a new draft."""

from __future__ import annotations

import datetime as dt

import pytest

from pouchline.errors import InputError
from pouchline.recipe.io import apply_overrides, load_recipe_and_materials, load_recipe_text, recipe_from_data
from pouchline.recipe.revisions import edit_revision, next_revision

from conftest import DEFAULT_RECIPE

APPROVAL = [("status", "approved"), ("approved_by", "QA lead"), ("approved_date", "2026-12-01")]


def _load(data, materials, overrides=()):
    return recipe_from_data(data, "test.yaml", materials=materials, overrides=list(overrides))[0]


def _approved(recipe_data, recipe) -> dict:
    """The shipped recipe approved in its file: approver, date and the stored content hash."""
    return apply_overrides(recipe_data, [*APPROVAL, ("content_hash", recipe.hash)])


@pytest.mark.parametrize("rev,nxt", [("A", "B"), ("Y", "Z"), ("Z", "AA"), ("AZ", "BA"), ("3", "4"), ("B.2", "C"),
                                     ("rev7", "rev8")])
def test_next_revision(rev, nxt):
    assert next_revision(rev) == nxt


@pytest.mark.parametrize("rev,edited", [("A", "A.1"), ("A.1", "A.2"), ("B.9", "B.10")])
def test_edit_revision(rev, edited):
    assert edit_revision(rev) == edited


def test_an_edit_of_a_revision_under_review_is_a_new_draft(recipe, recipe_data, materials):
    # the shipped recipe is rev A under review: --set makes rev A.1, a draft modified from rev A
    r = _load(recipe_data, materials, ["steps.melt_cast.temperature_C=90"])
    assert (r.revision, r.status) == ("A.1", "draft")
    assert r.derived_from.revision == "A" and r.derived_from.content_hash == recipe.hash
    assert r.derived_from.relation == "modified"
    assert r.parent_text == f"modified from rev A (hash {recipe.short_hash})"
    assert r.changes == ["steps.melt_cast.temperature_C = 90 (--set)"]
    assert r.hash != recipe.hash


def test_an_edit_of_an_approved_revision_drops_the_approval(recipe, recipe_data, materials):
    approved = _approved(recipe_data, recipe)
    a = _load(approved, materials)
    assert a.status == "approved" and a.approved_by == "QA lead"
    r = _load(approved, materials, ["cell.anode.np_ratio=1.4"])
    assert (r.revision, r.status, r.approved_by, r.approved_date) == ("A.1", "draft", None, None)
    assert r.derived_from.content_hash == a.hash


def test_an_edit_cannot_approve_itself(recipe_data, materials):
    with pytest.raises(InputError, match="an edited revision is a draft"):
        _load(recipe_data, materials, ["steps.melt_cast.temperature_C=90", *[f"{k}={v}" for k, v in APPROVAL]])


def test_an_edit_may_name_its_revision(recipe_data, materials):
    r = _load(recipe_data, materials, ["steps.melt_cast.temperature_C=90", "revision=C"])
    assert (r.revision, r.status) == ("C", "draft")


def test_approval_is_not_an_edit_and_is_made_in_the_file(recipe, recipe_data, materials):
    r = _load(_approved(recipe_data, recipe), materials)
    assert (r.revision, r.status, r.derived_from) == ("A", "approved", None)
    assert r.hash == recipe.hash  # metadata is not hashed
    # an override never approves: --set drops the stored hash an approved revision needs, so
    # `traveler --set status=approved ...` cannot turn a draft into a production card
    with pytest.raises(InputError, match="approve in the file"):
        _load(recipe_data, materials, [f"{k}={v}" for k, v in APPROVAL])
    # and a file edited after its approval no longer matches its stored hash
    edited = apply_overrides(_approved(recipe_data, recipe), [("steps.melt_cast.temperature_C", 90)])
    with pytest.raises(InputError, match="does not match the content"):
        _load(edited, materials)


def test_an_edit_of_a_draft_stays_that_draft(recipe_data, materials):
    draft = apply_overrides(recipe_data, [("status", "draft")])
    r = _load(draft, materials, ["steps.melt_cast.temperature_C=90"])
    assert (r.revision, r.status, r.derived_from) == ("A", "draft", None)


@pytest.mark.parametrize("overrides,fragment", [
    ([("status", "approved")], "approved_by and approved_date missing"),
    ([("status", "approved"), ("approved_by", "QA")], "approved_date missing"),
    (APPROVAL, "stores its content_hash"),
    ([("approved_by", "QA"), ("approved_date", "2026-12-01")], "a review revision is not approved"),
    ([*APPROVAL[:2], ("approved_date", "2020-01-01"), ("content_hash", "sha256:" + "0" * 64)],
     "before the revision's date"),
])
def test_approval_fields_must_agree_with_the_status(recipe_data, materials, overrides, fragment):
    with pytest.raises(InputError, match=fragment):
        _load(apply_overrides(recipe_data, overrides), materials)


def test_the_app_path_makes_the_same_draft(materials):
    # the app loads uploads and edits through load_recipe_text with the same overrides as --set
    text = DEFAULT_RECIPE.read_text(encoding="utf-8")
    r, _ = load_recipe_text(text, "upload.yaml", materials=materials, overrides=[("steps.quench.contact_time_s", 10)])
    assert (r.revision, r.status) == ("A.1", "draft") and r.parent_text.startswith("modified from rev A")


def test_the_traveler_prints_the_parent_on_every_page_and_refuses_production(recipe_data, materials, tmp_path):
    from pypdf import PdfReader

    from pouchline.cell import size_cell
    from pouchline.export.traveler import render_traveler_pages
    from pouchline.export.traveler_model import build_traveler
    from pouchline.export.traveler_template import load_template

    r = _load(recipe_data, materials, ["steps.melt_cast.temperature_C=90"])
    with pytest.raises(InputError, match="not approved"):
        build_traveler(r, lot="L-0001", cells=5, materials=materials, purpose="production")
    tr = build_traveler(r, lot="L-0001", cells=5, materials=materials, purpose="sample", issued=dt.date(2026, 12, 1),
                        materials_by_step_g=size_cell(r, materials).materials_by_step_g)
    out = render_traveler_pages(tr, load_template("default"))
    (tmp_path / "t.pdf").write_bytes(out.pdf)
    pages = [p.extract_text() for p in PdfReader(tmp_path / "t.pdf").pages]
    assert len(pages) == out.pages >= 3
    for text in pages:
        flat = " ".join(text.split())
        assert "rev A.1" in flat and f"modified from rev A (hash {r.derived_from.content_hash[7:19]})" in flat
        assert "SAMPLE - NOT FOR PRODUCTION" in flat


def test_a_production_traveler_from_an_approved_revision(recipe, recipe_data, materials):
    from pouchline.export.traveler_model import build_traveler

    a = _load(_approved(recipe_data, recipe), materials)
    tr = build_traveler(a, lot="L-0001", cells=5, materials=materials, purpose="production")
    assert not tr.is_sample and tr.parent_text == ""


def test_the_cli_set_makes_a_draft(capsys):
    from pouchline.cli import main

    assert main(["validate", str(DEFAULT_RECIPE), "--set", "steps.quench.contact_time_s=10"]) == 0
    out = capsys.readouterr().out
    assert "rev A.1 (draft)" in out and "modified from rev A" in out


def test_the_app_edit_becomes_a_draft_revision():
    pytest.importorskip("streamlit.testing.v1")
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.number_input(key="rp__steps.melt_cast.temperature_C").set_value(90.0)
    next(b for b in at.button if b.label == "Apply edits").click().run()
    assert not at.exception
    m = {x.label: x.value for x in at.metric}
    assert (m["Revision"], m["Status"]) == ("A.1", "draft")
