"""The traveler as an operator reads it at a glovebox window, printed on A4, and as an MES reads its twin.

Rendered PDFs are read back with pypdf (:mod:`pdf_words`: every text run with its printed size and
position). Checked: no text under 9 pt and set points at 11 pt or more (issue 16); a box for every
CTQ value, found by the unit printed in it in the Actual column on the row's line; every limit of
the JSON twin equal to the one printed on the row; the issue date in the PDF's metadata while the
same inputs give the same bytes; the product's traveler (the README's 10 Ah cell on the GWh line)
with the dry room's open-time limit beside start and end times, and the fixture's torque and
tightening sequence.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from pdf_words import pdf_metadata, pdf_words

from conftest import RECIPES
from pouchline.export.traveler import render_traveler_pages
from pouchline.export.traveler_model import build_traveler, parse_number
from pouchline.export.traveler_template import MIN_TEXT_PT, SETPOINT_MIN_PT, load_template
from pouchline.export.traveler_twin import capture_rows, traveler_twin

LOT = "L2611-0042"
ISSUED = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def paper_card(recipe, materials):
    """The shipped recipe's sample traveler (the paper's 50 x 35 mm cell), default template."""
    from pouchline.cell import size_cell

    cell = size_cell(recipe, materials)
    tr = build_traveler(recipe, lot=LOT, cells=1000, materials=materials, materials_by_step_g=cell.materials_by_step_g,
                        issued=ISSUED)
    t = load_template("default")
    out = render_traveler_pages(tr, t)
    return tr, t, out, pdf_words(out.pdf)


@pytest.fixture(scope="module")
def product_card(recipe, materials):
    """The README's product: 10 Ah, ev-300x100 format, derived for the GWh line's dry room (revision B)."""
    from pouchline.cell import size_cell
    from pouchline.line import load_line
    from pouchline.recipe.derive import derive_revision

    line = load_line(RECIPES / "lines" / "gwh-line.yaml")
    cell = size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")
    rev = derive_revision(recipe, materials, cell, line=line, date=ISSUED).recipe
    rcell = size_cell(rev, materials)
    tr = build_traveler(rev, lot="L2611-0100", cells=500, materials=materials,
                        materials_by_step_g=rcell.materials_by_step_g, issued=ISSUED)
    t = load_template("default")
    out = render_traveler_pages(tr, t)
    return tr, t, out, pdf_words(out.pdf), rcell


def _routing_pages(words) -> range:
    first = min(w.page for w in words if w.text.startswith("Routing: "))
    last = min(w.page for w in words if w.text == "Lot release") - 1
    return range(first, last + 1)


def _columns(t) -> dict[str, tuple[float, float]]:
    """x-range (pt) of every routing column of template ``t``."""
    from reportlab.lib.units import mm

    x = t.page.margins_mm.left * mm
    out = {}
    for c in t.section("routing").columns:
        out[c.key] = (x, x + c.width_mm * mm)
        x += c.width_mm * mm
    return out


def _row_words(words, pages, no: str) -> tuple[int, float]:
    """(page, y) of a routing row, found by its number in the No. column."""
    hits = [w for w in words if w.page in pages and w.text == no and w.x < 40]
    assert len(hits) == 1, (no, hits)
    return hits[0].page, hits[0].y


def _in(words, page, y, x0, x1, dy=3.0):
    return [w for w in words if w.page == page and x0 - 1 <= w.x < x1 and abs(w.y - y) <= dy]


# -- type sizes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("card", ["paper_card", "product_card"])
def test_no_text_under_9_pt(card, request):
    words = request.getfixturevalue(card)[3]
    small = [w for w in words if w.size_pt < MIN_TEXT_PT - 1e-6]
    assert not small, small[:5]
    assert MIN_TEXT_PT == 9.0 and SETPOINT_MIN_PT == 11.0


def test_the_compact_template_is_no_smaller(recipe, materials):
    tr = build_traveler(recipe, lot=LOT, cells=20, materials=materials, issued=ISSUED)
    words = pdf_words(render_traveler_pages(tr, load_template("compact")).pdf)
    assert min(w.size_pt for w in words) >= MIN_TEXT_PT - 1e-6


def test_a_template_cannot_ask_for_smaller_type():
    from pouchline.errors import InputError
    from pouchline.export.traveler_template import template_from_data

    import yaml

    from pouchline.export.traveler_template import TEMPLATES_DIR

    data = yaml.safe_load((TEMPLATES_DIR / "traveler-default.yaml").read_text(encoding="utf-8"))
    for key, value in (("small_pt", 6.5), ("setpoint_pt", 10)):
        bad = {**data, "fonts": {**data["fonts"], key: value}}
        with pytest.raises(InputError, match=f"fonts.{key}"):
            template_from_data(bad, "plant.yaml")


@pytest.mark.parametrize("card", ["paper_card", "product_card"])
def test_set_points_and_accept_ranges_are_11_pt(card, request):
    tr, t, out, words = request.getfixturevalue(card)[:4]
    pages = _routing_pages(words)
    col = _columns(t)
    checked = 0
    for step in tr.routing:
        for r in step.rows:
            if r.target_value is None or r.kind == "setting":
                continue
            page, y = _row_words(words, pages, r.no)
            for key in ("target", "limits"):
                got = _in(words, page, y, *col[key], dy=4)
                if key == "limits" and not r.limits:
                    continue
                assert got and all(w.size_pt >= SETPOINT_MIN_PT - 1e-6 for w in got), (r.no, key, got)
                checked += 1
    assert checked > 60


def test_internal_field_names_are_only_in_the_appendix(paper_card):
    tr, t, out, words = paper_card
    pages = _routing_pages(words)
    text = " ".join(w.text for w in words if w.page in pages)
    for name in ("temperature_C", "binder_frac", "length_mm", "cell.conditions", "derived."):
        assert name not in text, name
    appendix = " ".join(w.text for w in words if w.page > max(pages))
    assert "alloy_prep.temperature_C" in appendix and "se_film_mixing.binder_frac" in appendix
    assert "follows cell.conditions.stack_pressure_MPa" in appendix


def test_one_unit_style(paper_card):
    tr, t, out, words = paper_card
    appendix = min(w.page for w in words if w.text.startswith("Appendix: field names"))
    text = " ".join(w.text for w in words if w.page < appendix)  # the appendix lists field names as they are
    assert "degC" not in text and " um " not in text and "+/-" not in text
    assert "300 °C" in text and "41.5 µm" in text
    binder = next(r for s in tr.routing for r in s.rows if r.field == "binder_frac")
    assert (binder.target, binder.unit) == ("0.8", "%")  # 0.8 wt% PTFE, never 0.008


# -- a box for every value to record ------------------------------------------------------------------
@pytest.mark.parametrize("card", ["paper_card", "product_card"])
def test_every_ctq_value_has_a_record_box(card, request):
    tr, t, out, words = request.getfixturevalue(card)[:4]
    pages = _routing_pages(words)
    x0, x1 = _columns(t)["actual"]
    ctq = [r for s in tr.routing for r in s.rows if r.ctq]
    # the issue's five (PTFE fraction, punch length and width, alignment, formation pressure) among them
    fields = {(s.id, r.field) for s in tr.routing for r in s.rows if r.ctq}
    assert {("se_film_mixing", "binder_frac"), ("cathode_punching", "length_mm"), ("cathode_punching", "width_mm"),
            ("stacking", "alignment_tol_mm"), ("formation", "pressure_MPa")} <= fields
    for r in ctq:
        page, y = _row_words(words, pages, r.no)
        box = _in(words, page, y, x0, x1)
        want = "rejected" if r.capture == ("rejected",) else ("lot min." if r.per_cell else r.unit)
        assert any(w.text == want for w in box), (r.no, r.label, want, box)


def test_every_step_records_equipment_quantities_and_sign_off(paper_card):
    tr, t, out, words = paper_card
    pages = _routing_pages(words)
    text = [w.text for w in words if w.page in pages]
    n = len(tr.routing)
    for label in ("Quantity in", "Quantity out", "Scrap (in - out)", "Operator (name, signature)", "Date / time"):
        assert text.count(label) == n, label
    assert text.count("Equipment ID") == text.count("Calibration due") == sum(1 for s in tr.routing if s.equipment)
    ctq_steps = sum(1 for s in tr.routing if s.has_ctq)
    assert text.count("Verifier (required: CTQ step)") == ctq_steps
    units = {s.id: s.qty_unit for s in tr.routing}
    assert units["alloy_prep"] == "g" and units["cathode_punching"] == "sheets" and units["release"] == "cells"


# -- the product's card: dry room, fixture, release ---------------------------------------------------
def test_dry_room_steps_print_start_end_and_the_open_time_limit(product_card):
    tr, t, out, words, cell = product_card
    timed = [s for s in tr.routing if "Open time of the sulfide" in s.time_limit]
    # the eight sulfide steps the GWh line runs in its -40 °C dry room (prelithiation, the ninth step there,
    # handles no sulfide), each with the revision's open-time limit
    assert [s.id for s in timed] == [s.id for s in tr.routing if s.atmosphere_kind == "dry_room"
                                     and any(r.field == "max_open_time_min" for r in s.rows)]
    assert len(timed) == 8
    text = " ".join(w.text for w in words)
    for s in timed:
        assert s.record("start_time") and s.record("end_time")
        assert f"Limit: {s.time_limit}" in text or s.time_limit.split(";")[0] in text
        row = next(r for r in s.rows if r.field == "max_open_time_min")
        assert row.capture == ("actual",) and row.high == row.target_value and row.limits == f"≤ {row.target}"
    assert any(s.id == "alloy_prep" and "Duration 60 – 75 min" in s.time_limit for s in tr.routing)


def test_clamping_prints_torque_and_sequence_of_the_fixture_model(product_card):
    tr, t, out, words, cell = product_card
    fx = cell.fixture
    clamp = next(s for s in tr.routing if s.kind == "clamping")
    torque = next(r for r in clamp.rows if r.kind == "torque")
    seq = next(r for r in clamp.rows if r.kind == "sequence")
    assert parse_number(torque.target) == pytest.approx(fx.bolt_torque_Nm, rel=5e-4) and torque.unit == "N·m"
    assert f"{fx.bolts} x {fx.bolt_size} class {fx.bolt_class}" in torque.label
    assert "-".join(str(b) for b in fx.tightening_sequence) in seq.method
    # every stage's torque: 30 / 70 / 100 % of T
    for f in fx.tightening_stages_frac:
        assert f"{100 * f:g} % = " in seq.method
    assert seq.capture == ("done",)
    text = " ".join(w.text for w in words)
    assert "Bolt torque" in text and "Tightening sequence" in text


def test_release_criteria_follow_the_design(product_card):
    tr, t, out, words, cell = product_card
    crit = {r.field: r for _, r in tr.release_criteria}
    assert set(crit) == {"discharge_capacity", "coulombic_efficiency", "ocv", "k_value", "leak", "visual", "acr"}
    # capacity window = the cell's capacity x (1 +/- 5 %); AC resistance = 2.0 ohm cm2 / (layers x area)
    cap = crit["discharge_capacity"]
    assert cap.target_value == pytest.approx(cell.capacity_Ah, rel=5e-4)
    assert (cap.low, cap.high) == (pytest.approx(0.95 * cell.capacity_Ah, rel=5e-4),
                                   pytest.approx(1.05 * cell.capacity_Ah, rel=5e-4))
    area = cell.layers * cell.electrode_mm["length"] * cell.electrode_mm["width"] / 100.0
    assert crit["acr"].high == pytest.approx(2.0 / area * 1000.0, rel=5e-4)
    # first-cycle CE: 3.46 mAh/cm2 / (21.0 mg/cm2 x 185 mAh/g) = 89.06 % (Liu2025 Fig. 6b text, N/P reading)
    assert crit["coulombic_efficiency"].target_value == pytest.approx(89.06, abs=0.005)
    assert all(r.ctq for f, r in crit.items() if f != "visual")
    text = " ".join(w.text for w in words if w.page >= min(w.page for w in words if w.text == "Lot release"))
    assert "Met by every released cell" in text and "Every CTQ actual in range, every step signed, all NCRs closed" in text


# -- the twin -----------------------------------------------------------------------------------------
def _band(words, page, y, col) -> list:
    """Words of a column in a routing row: from the row's line down to the next row's number."""
    below = [w.y for w in words if w.page == page and w.x < 40 and w.y < y - 1]
    floor = max(below, default=0.0)
    return [w for w in words if w.page == page and col[0] - 1 <= w.x < col[1] and floor + 1 < w.y <= y + 4]


def _printed_limits(words, page, y, col) -> tuple[float | None, float | None, str]:
    got = " ".join(w.text for w in sorted(_band(words, page, y, col), key=lambda w: (-w.y, w.x)))
    got = got.replace("\u2013 ", "\u2013").replace(" \u2013", "\u2013")
    m = re.fullmatch(r"([-\d.,]+)\u2013([-\d.,]+)", got)
    if m:
        return parse_number(m.group(1)), parse_number(m.group(2)), got
    m = re.fullmatch(r"(≤|<)\s*([-\d.,]+)", got)
    if m:
        return None, parse_number(m.group(2)), got
    m = re.fullmatch(r"≥\s*([-\d.,]+)", got)
    if m:
        return parse_number(m.group(1)), None, got
    if got == "0":  # a defect count: none allowed
        return None, 0.0, got
    return None, None, got


def _check_twin_limits(twin: dict, words, t) -> int:
    """Every limit of the twin equals the one printed on its row of the PDF; returns how many were compared."""
    pages = _routing_pages(words)
    col = _columns(t)
    n = 0
    for step in twin["route"]:
        for v in step["values"]:
            if v["low"] is None and v["high"] is None:
                continue
            page, y = _row_words(words, pages, v["no"])
            low, high, text = _printed_limits(words, page, y, col["limits"])
            assert (low, high) == (v["low"], v["high"]), (v["no"], v["label"], text, v["low"], v["high"])
            n += 1
    return n


@pytest.mark.parametrize("card", ["paper_card", "product_card"])
def test_every_limit_in_the_twin_equals_the_pdfs(card, request):
    tr, t, out, words = request.getfixturevalue(card)[:4]
    twin = json.loads(json.dumps(traveler_twin(tr)))  # through JSON, as an MES reads it
    assert _check_twin_limits(twin, words, t) >= 40
    assert twin["recipe"] == {"id": tr.recipe_id, "revision": tr.revision, "status": tr.status, "title": tr.title,
                              "content_hash": tr.content_hash, "parent": tr.parent_text}
    assert twin["lot"] == tr.lot and twin["issued"] == ISSUED.isoformat()


def test_the_plan_folder_holds_the_twin_with_the_pdfs_limits(tmp_path):
    """`plan` writes traveler.json and traveler-capture.csv beside traveler.pdf; the files on disk agree."""
    import csv
    import subprocess
    import sys

    from conftest import DEFAULT_RECIPE

    out = tmp_path / "plan"
    res = subprocess.run([sys.executable, "-m", "pouchline", "plan", str(DEFAULT_RECIPE), "--line",
                          str(RECIPES / "lines" / "pilot-line.yaml"), "--days", "5", "--warmup-days", "1",
                          "--replications", "1", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    twin = json.loads((out / "traveler.json").read_text(encoding="utf-8"))
    words = pdf_words((out / "traveler.pdf").read_bytes())
    assert _check_twin_limits(twin, words, load_template("default")) >= 40  # plan prints with the default template
    with (out / "traveler-capture.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # one capture row per box the JSON asks for; an actual, lot min or lot max carries the row's limits
    by_field = {r["field"]: r for r in rows}
    n = 0
    for step in twin["route"]:
        for v in step["values"]:
            for cap in v["capture"]:
                row = by_field[cap["id"]]
                if cap["what"] in ("actual", "min", "max"):
                    got = tuple(float(x) if x else None for x in (row["low"], row["high"]))
                    assert got == (v["low"], v["high"]), cap["id"]
                    n += 1
    assert n >= 40
    assert "`traveler.json`" in (out / "README.md").read_text(encoding="utf-8")


def test_capture_csv_has_one_row_per_box(paper_card):
    tr, t, out, words = paper_card
    df = capture_rows(tr)
    assert list(df.columns[:7]) == ["step", "field", "target", "low", "high", "unit", "ctq"]
    assert df["field"].is_unique
    # every box of the routing: one per capture of every row, plus the step records
    n_boxes = sum(len(r.capture) for s in tr.routing for r in s.rows) + sum(len(s.records) for s in tr.routing)
    assert (df["step"].isin([s.id for s in tr.routing])).sum() == n_boxes
    t_row = df.set_index("field").loc["melt_cast.temperature_C"]
    assert (t_row["target"], t_row["low"], t_row["high"], t_row["unit"], bool(t_row["ctq"])) == (88, 86, 90, "°C", True)
    assert df.set_index("field").loc["formation.discharge_capacity.rejected", "unit"] == "cells"
    assert {"lot_release.all_ctq_in_range", "lot_release.release.ocv.met", "lot_release.qa_signature"} <= set(df["field"])


# -- dates and reproducibility -----------------------------------------------------------------------
def test_issue_date_in_the_metadata_and_the_same_bytes_for_the_same_inputs(recipe, materials, paper_card):
    tr, t, out, _ = paper_card
    meta = pdf_metadata(out.pdf)
    assert meta["/CreationDate"].startswith("D:20261125") and meta["/ModDate"].startswith("D:20261125")
    again = render_traveler_pages(build_traveler(
        recipe, lot=LOT, cells=1000, materials=materials, issued=ISSUED,
        materials_by_step_g=__import__("pouchline.cell", fromlist=["size_cell"]).size_cell(
            recipe, materials).materials_by_step_g), t)
    assert again.pdf == out.pdf
    later = render_traveler_pages(build_traveler(recipe, lot=LOT, cells=5, materials=materials,
                                                 issued=dt.date(2027, 1, 2)), load_template("compact"))
    assert pdf_metadata(later.pdf)["/CreationDate"].startswith("D:20270102")
