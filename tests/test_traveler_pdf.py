"""The batch traveler PDF, parsed back: every step, parameter and safety note; barcodes; paging; CLI.

Text comes back with pypdf (always installed) and pdftotext -layout (poppler-utils); pages are
rasterised with pdftoppm and the QR / Code128 decoded with zxing-cpp (or zbarimg). Tests that need
a missing tool skip with the reason; CI installs poppler-utils and zbar-tools.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pouchline.export.traveler import _safe, render_traveler_pages
from pouchline.export.traveler_model import build_traveler, parse_qr_payload, qr_payload
from pouchline.export.traveler_template import load_template
from pouchline.recipe.document import Recipe
from pouchline.units import format_value

LOT = "L2611-0042"
ISSUED = dt.date(2026, 11, 25)

pypdf = pytest.importorskip("pypdf")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _page_texts(pdf: bytes) -> list[str]:
    """Text of each page with pypdf (reads table cells in drawing order)."""
    return [p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _quick_texts(pdf: bytes) -> list[str]:
    """Text of each page with pdftotext if installed (fast), else pypdf: for headers and short strings."""
    if shutil.which("pdftotext") is None:
        return _page_texts(pdf)
    res = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    pages = res.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (apt-get install {'poppler-utils' if tool.startswith('pdf') else 'zbar-tools'})")
    return path


def _layout_text(pdf: bytes, tmp_path: Path) -> str:
    _need("pdftotext")
    src = tmp_path / "t.pdf"
    src.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(src), "-"], capture_output=True, text=True, check=True).stdout


def _raster(pdf: bytes, tmp_path: Path, page: int, dpi: int = 200):
    _need("pdftoppm")
    from PIL import Image

    src = tmp_path / "r.pdf"
    src.write_bytes(pdf)
    stem = tmp_path / f"page{page}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile", str(src),
                    str(stem)], check=True, capture_output=True)
    return Image.open(f"{stem}.png")


def _decode(image, tmp_path: Path) -> dict[str, str]:
    """Barcode format ('QR', 'CODE128') -> text, with zxing-cpp or else zbarimg."""
    try:
        import zxingcpp
    except ImportError:
        zxingcpp = None
    if zxingcpp is not None:
        out = {}
        for b in zxingcpp.read_barcodes(image):
            fmt = str(b.format).replace("BarcodeFormat.", "").replace(" ", "").upper()
            out["QR" if "QR" in fmt else "CODE128" if "128" in fmt else fmt] = b.text
        return out
    _need("zbarimg")
    png = tmp_path / "zbar.png"
    image.save(png)
    res = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)], capture_output=True,
                         text=True)
    out = {"QR": res.stdout.strip()}
    res = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Scode128.enable", str(png)], capture_output=True,
                         text=True)
    out["CODE128"] = res.stdout.strip()
    return out


def _quantities(recipe, materials):
    """Feed materials by step from the cell format (or a hand-made table if it is not installed)."""
    try:
        from pouchline.cell import size_cell
    except ImportError:
        return {"alloy_prep": {"indium": 0.0371, "tin": 0.0333, "bismuth": 0.0516},
                "cathode_mixing": {"lco": 0.3675}, "sealing": {"tab_al": 0.11, "tab_ni": 0.35}}
    return size_cell(recipe, materials).materials_by_step_g


def _traveler(recipe, materials, cells, **kw):
    return build_traveler(recipe, lot=kw.pop("lot", LOT), cells=cells, materials=materials,
                          materials_by_step_g=kw.pop("by_step", None) or _quantities(recipe, materials),
                          scrap_allowance=0.05, issued=ISSUED, **kw)


@pytest.fixture(scope="module")
def default_template():
    return load_template("default")


@pytest.fixture(scope="module")
def lot_10k(recipe, materials, default_template):
    tr = _traveler(recipe, materials, 10_000, genealogy_lots={"film": "F2611-007"})
    out = render_traveler_pages(tr, default_template)
    return tr, out, _page_texts(out.pdf)


# -- content ----------------------------------------------------------------------------------------
def test_every_step_appears_in_order(recipe, lot_10k):
    tr, out, pages = lot_10k
    text = _norm(" ".join(pages))
    routing = text[text.find("Routing: "):text.find("Appendix: field names")]
    where = [routing.find(f"{s.no} {_norm(s.name)}") for s in tr.routing]  # the step header: number and name
    assert all(w >= 0 for w in where), [s.id for s, w in zip(tr.routing, where) if w < 0]
    assert where == sorted(where)
    assert all(f"steps.{s.id}" in text for s in recipe.steps)  # the ids: in the appendix
    for s in tr.routing:  # names with their design values filled in ("Punch cathodes 50 x 35 mm")
        assert _norm(s.name) in text and "{" not in s.name
    assert "Punch cathodes 50 x 35 mm" in text


def _shown(p) -> tuple[str, str]:
    """Target and unit as the card must show them, computed here from the recipe (not the traveler)."""
    if p.unit == "frac":
        return f"{p.target * 100:.4g}", "%"
    unit = format_value(1.0, p.unit)[1:].strip()
    return f"{p.target:.4g}", {"count": "count"}.get(p.unit, unit)


def test_every_parameter_with_target_and_unit_is_on_its_row(recipe, lot_10k, tmp_path):
    tr, out, _ = lot_10k
    lines = _layout_text(out.pdf, tmp_path).splitlines()
    squeezed = [ln.replace(" ", "") for ln in lines]
    appendix = lines[next(i for i, ln in enumerate(lines) if "Appendix: field names" in ln):]
    for step, rs in zip(recipe.steps, tr.routing):
        for name, p in step.parameters().items():
            row = next(r for r in rs.rows if r.field == name and r.kind == "param")
            hits = [ln for ln in lines if ln.strip().startswith(row.no + " ")]
            assert hits, f"row {row.no} ({step.id}.{name}) not found"
            line = hits[0]
            target, unit = _shown(p)
            assert re.search(rf"(?<![\d.]){re.escape(target)}(?![\d.])", line), (step.id, name, target, line)
            assert unit.replace(" ", "") in line.replace(" ", ""), (step.id, name, unit, line)
            if p.ctq:
                assert "CTQ" in line, (step.id, name, line)
            # the internal field name is not on the routing row but in the appendix, on the row's line
            assert f"{step.id}.{name}" not in line
            assert any(ln.strip().startswith(row.no + " ") and f"{step.id}.{name}"[:20] in ln.replace(" ", "")
                       for ln in appendix), (row.no, name)
    # the rolling schedule, pass by pass, ends at the target thickness
    assert any("Pass9of9" in s and "8.5" in s and "µm" in s for s in squeezed)


def test_in_process_checks_appear(lot_10k, tmp_path):
    _, out, pages = lot_10k
    text = _norm(" ".join(pages))
    for name in ("Alloy thickness (micrometer, minus Cu)", "Film loading (punch 10 mm disc and weigh)",
                 "Cathode sheet thickness", "Seal width", "Clamp force on the load washer",
                 "Cathode sheet mass, 50 x 35 mm"):
        assert f"Check: {name}" in text
    layout = _layout_text(out.pdf, tmp_path)
    # the film loading follows the design: 41.5 um x 1.64 g/cm3 = 6.806 mg/cm2 (the paper's ~7.1)
    assert re.search(r"Check: Film loading.*6\.806\s.*mg/cm²", layout)


def test_every_safety_note_appears_in_full(recipe, lot_10k):
    tr, out, pages = lot_10k
    text = _norm(" ".join(pages))
    for n in tr.safety:  # filled with the design's values: "stores 52.5 kN", "6 M8 bolts"
        assert _norm(n.title) in text, n.id
        assert _norm(n.text) in text, n.id
    assert "stores 52.5 kN" in text and "6 M8 bolts" in text
    # the glovebox limits and the 88 degC melt are printed where the steps need them
    assert "Ar glovebox (O2 < 0.1 ppm, H2O < 0.1 ppm)" in text
    assert "Glovebox H2O before start" in text and "88 °C melt" in text  # one unit style: never degC


def test_units_survive_as_text(lot_10k, tmp_path):
    _, out, _ = lot_10k
    layout = _layout_text(out.pdf, tmp_path)
    for unit in ("µm", "°C", "mg/cm²", "m²", "±"):
        assert unit in layout, unit
    from pouchline.export.traveler import _fonts

    if _fonts().regular.startswith("PLDejaVu"):
        assert _safe("≤ µm") == "≤ µm"  # the embedded font has the glyphs
    else:  # reportlab's bundled Vera: Latin-1 only
        assert _safe("≤ µm") == "<= µm"
    assert _safe("漢") == "?"  # a glyph the font lacks is replaced, not drawn as a box


def test_material_issue_and_genealogy(lot_10k):
    tr, out, pages = lot_10k
    text = _norm(" ".join(pages))
    assert tr.issue, "no material quantities"
    for line in tr.issue:
        assert _norm(line.name) in text
        assert line.required_text in text
    assert "scrap allowance of 5 %" in text
    assert "Supplier lot no." in text and "Weighed / counted" in text
    assert "F2611-007" in text  # the film lot given; alloy and cathode lots are blank boxes


# -- header, paging, barcodes -----------------------------------------------------------------------
def _assert_header_on_every_page(pages: list[str], recipe, lot: str) -> int:
    n = len(pages)
    for i, text in enumerate(pages, start=1):
        flat = _norm(text)
        assert f"page {i} of {n}" in flat, (i, flat[:300])
        assert lot in flat and recipe.id in flat and f"rev {recipe.revision}" in flat
        assert recipe.short_hash[len("sha256:"):] in flat.replace(" ", "")
        assert re.search(r"[\d,]+ cells? · 2026-11-25", flat), flat[:300]
    return n


def test_header_on_every_page(recipe, lot_10k):
    tr, out, pages = lot_10k
    n = _assert_header_on_every_page(pages, recipe, LOT)
    assert n == out.pages >= 3


def test_qr_and_code128_decode_from_first_and_last_page(recipe, lot_10k, tmp_path):
    _, out, _ = lot_10k
    for page in (1, out.pages):
        found = _decode(_raster(out.pdf, tmp_path, page), tmp_path)
        assert found.get("QR") == qr_payload(LOT, recipe), (page, found)
        assert parse_qr_payload(found["QR"]) == {"LOT": LOT, "RCP": recipe.id, "REV": recipe.revision,
                                                 "HASH": recipe.hash}
        assert found.get("CODE128") == LOT, (page, found)


def test_routing_header_row_repeats_on_every_routing_page(lot_10k):
    _, out, pages = lot_10k
    first = next(i for i, t in enumerate(pages) if "Routing: " in t)
    last = next(i for i, t in enumerate(pages) if "Lot release" in t) - 1
    for t in pages[first:last + 1]:
        assert "Operation / parameter" in t and "Actual" in t


def test_a_lot_of_one_cell_and_of_ten_thousand(recipe, materials, default_template, lot_10k):
    one = render_traveler_pages(_traveler(recipe, materials, 1, lot="L1-0001"), default_template)
    text1 = _norm(" ".join(_quick_texts(one.pdf)))
    text10k = _norm(" ".join(lot_10k[2]))
    assert "1 cell · 2026-11-25" in text1 and "Quantities for 1 cell from" in text1
    assert "10,000 cells · 2026-11-25" in text10k
    tr1 = _traveler(recipe, materials, 1)
    tabs = next(ln for ln in tr1.issue if ln.material_id == "tab_ni")
    assert tabs.required == 2  # 1.05 tabs rounded up
    assert "10,500" in text10k  # tabs for 10,000 cells + 5 %


def _forty_step_recipe(recipe) -> Recipe:
    steps = []
    k = 0
    while len(steps) < 40:
        for s in recipe.steps:
            if len(steps) == 40:
                break
            steps.append(s.model_copy(update={"id": f"{s.id}_{k}"}))
        k += 1
    data = recipe.model_copy(update={"steps": steps, "content_hash": None}).model_dump(mode="json")
    return Recipe.model_validate(data)


def test_forty_steps_flow_onto_many_pages_with_the_header_on_each(recipe, materials, default_template, tmp_path):
    big = _forty_step_recipe(recipe)
    assert len(big.steps) == 40
    tr = build_traveler(big, lot="L2611-0040", cells=500, materials=materials,
                        materials_g_per_cell={"lco": 0.3675, "tab_ni": 0.35}, issued=ISSUED)
    out = render_traveler_pages(tr, default_template)
    pages = _quick_texts(out.pdf)
    n = _assert_header_on_every_page(pages, big, "L2611-0040")
    assert n == out.pages >= 10
    text = _norm(" ".join(pages))
    assert all(f"steps.{s.id} " in text for s in big.steps)  # every step in the appendix
    found = _decode(_raster(out.pdf, tmp_path, n), tmp_path)
    assert parse_qr_payload(found.get("QR", ""))["HASH"] == big.hash


def test_markup_in_recipe_text_is_printed_literally(recipe, materials, default_template):
    odd = "Wet <EC:EMC> & dry <b>mix</b>"
    steps = [recipe.steps[0].model_copy(update={"name": odd, "notes": "keep < 1 ppm & > 0"})] + list(recipe.steps[1:])
    r = Recipe.model_validate(recipe.model_copy(update={"steps": steps, "content_hash": None}).model_dump(mode="json"))
    tr = build_traveler(r, lot="L-ESC-1", cells=3, materials=materials, issued=ISSUED)
    text = _norm(" ".join(_quick_texts(render_traveler_pages(tr, default_template).pdf)))
    assert odd in text and "keep < 1 ppm & > 0" in text


def test_a_step_taller_than_a_page_still_flows(recipe, materials):
    # 40 checks and a 2,000-character note: the step cannot be kept on one page, so it splits
    seal = recipe.step("sealing")
    checks = [c.model_copy(update={"id": f"c{k}", "name": "A check with a long name " * 4})
              for k, c in enumerate(list(seal.checks) * 40)]
    big = seal.model_copy(update={"notes": "Long note. " * 180, "checks": checks})
    steps = [big if s.id == "sealing" else s for s in recipe.steps]
    r = Recipe.model_validate(recipe.model_copy(update={"steps": steps, "content_hash": None}).model_dump(mode="json"))
    tr = build_traveler(r, lot="L-BIG-1", cells=3, materials=materials, issued=ISSUED)
    out = render_traveler_pages(tr, load_template("compact"))
    pages = _quick_texts(out.pdf)
    assert len(pages) == out.pages
    assert sum("Check: A check with a" in p for p in pages) >= 2  # the checks continue on the next page


def test_compact_template_renders_everything(recipe, materials):
    tr = _traveler(recipe, materials, 250)
    out = render_traveler_pages(tr, load_template("compact"))
    text = _norm(" ".join(_page_texts(out.pdf)))
    assert all(_norm(s.name) in text for s in tr.routing)
    assert all(_norm(n.text) in text for n in tr.safety)
    assert f"page {out.pages} of {out.pages}" in text


# -- command line -----------------------------------------------------------------------------------
def _cli(*args: str) -> int:
    from pouchline.cli import main

    return main(["traveler", str(Path(__file__).resolve().parents[1] / "recipes" / "insnbi-lco-pouch.yaml"),
                 *args])


def test_cli_writes_the_traveler(tmp_path, capsys):
    out = tmp_path / "lot.pdf"
    rc = _cli("--lot", LOT, "--cells", "10000", "--out", str(out), "--template", "compact", "--date", "2026-11-25",
              "--alloy-lot", "A2611-01", "--scrap-allowance", "0.08", "--sample")
    assert rc == 0, capsys.readouterr().err
    assert f"wrote {out}" in capsys.readouterr().out
    text = _norm(" ".join(_quick_texts(out.read_bytes())))
    assert "A2611-01" in text and "scrap allowance 8 %" in text and "page 1 of" in text
    assert "SAMPLE - NOT FOR PRODUCTION" in text  # the shipped recipe is under review, not approved
    # the twin beside it, and no temporary file left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lot-capture.csv", "lot.json", "lot.pdf"]


@pytest.mark.parametrize("args, message", [
    (["--lot", "../../etc/x"], "--lot"),
    (["--lot", "l2611"], "pattern"),
    (["--lot", LOT, "--film-lot", "f 1"], "--film-lot"),
    (["--lot", LOT, "--template", "nosuch"], "no template named 'nosuch'"),
    (["--lot", LOT, "--scrap-allowance", "1.5"], "scrap allowance"),
])
def test_cli_rejects_bad_input_with_exit_2_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "lot.pdf"
    out.write_bytes(b"earlier traveler")
    rc = _cli(*args, "--cells", "10", "--out", str(out))
    assert rc == 2
    assert message in capsys.readouterr().err
    assert out.read_bytes() == b"earlier traveler"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lot.pdf"]


def test_cli_refuses_a_missing_folder_and_a_non_pdf_name(tmp_path, capsys):
    assert _cli("--lot", LOT, "--cells", "10", "--out", str(tmp_path / "nope" / "t.pdf")) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()
    assert _cli("--lot", LOT, "--cells", "10", "--out", str(tmp_path / "recipe.yaml")) == 2
    assert ".pdf" in capsys.readouterr().err
