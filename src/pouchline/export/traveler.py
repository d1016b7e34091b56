"""The batch traveler as a PDF: the route card that goes with one lot through the line.

:func:`render_traveler` lays out a :class:`~pouchline.export.traveler_model.Traveler` (the
control recipe of one lot, computed in :mod:`~pouchline.export.traveler_model`) with a
:class:`~pouchline.export.traveler_template.TravelerTemplate` (the layout, from
``templates/``) and returns the PDF bytes; :func:`write_traveler` writes them atomically.

Every page carries a header with the product, recipe id, revision and short content hash, the
lot number, lot size, issue date, "page i of n", a QR code (lot, recipe, revision, full hash) and a
Code128 of the lot number, all drawn with reportlab's own barcode module. Type is at least 9 pt
(the template's ``fonts.small_pt``) and set points at least 11 pt (``fonts.setpoint_pt``); every
value to record has a white box with its unit printed in it; internal field names and full sources
are in the appendix. The PDF is dated the issue date and otherwise reproducible. All text from the
recipe, the materials library and the template passes through :func:`xml.sax.saxutils.escape`
before it reaches a Paragraph (Paragraph text is markup: an unescaped ``<EC:EMC>`` vanishes).

Fonts: DejaVu Sans from the system if present, else reportlab's bundled Bitstream Vera, so
µm, °C, mg/cm² and ± are embedded and come back out of ``pdftotext``. Characters the font
lacks are replaced by ASCII equivalents (``≤`` -> ``<=``) rather than printed as boxes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)

from pouchline.export.traveler_model import CAPTURE_DONE, Traveler, unit_style
from pouchline.export.traveler_template import TravelerTemplate, render_text
from pouchline.fileio import atomic_write

# -- fonts ----------------------------------------------------------------------------------------
_SYSTEM_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
_FALLBACK_CHARS = {
    "→": "->", "←": "<-", "≤": "<=", "≥": ">=", "⚠": "!", "–": "-", "—": "-", "·": "-", "…": "...",
    "²": "2", "³": "3", "µ": "u", "μ": "u", "°": "deg ", "±": "+/-", "✓": "v", "□": "[ ]", "×": "x",
    "‘": "'", "’": "'", "“": '"', "”": '"', "−": "-", "☐": "[ ]",
}


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    italic: str
    mono: str
    glyphs: frozenset[int]


@lru_cache(maxsize=1)
def _fonts() -> _Fonts:
    """Register an embedded Unicode font family once: DejaVu Sans if installed, else Vera."""
    from reportlab.lib.fonts import addMapping
    import reportlab

    candidates: list[tuple[str, dict[str, Path]]] = []
    for d in _SYSTEM_FONT_DIRS:
        p = Path(d)
        files = {"regular": p / "DejaVuSans.ttf", "bold": p / "DejaVuSans-Bold.ttf",
                 "italic": p / "DejaVuSans-Oblique.ttf", "mono": p / "DejaVuSansMono.ttf"}
        if all(f.is_file() for f in files.values()):
            candidates.append(("PLDejaVu", files))
            break
    rl = Path(reportlab.__file__).parent / "fonts"
    candidates.append(("PLVera", {"regular": rl / "Vera.ttf", "bold": rl / "VeraBd.ttf",
                                  "italic": rl / "VeraIt.ttf", "mono": rl / "Vera.ttf"}))
    for family, files in candidates:
        try:
            names = {}
            for style, path in files.items():
                name = f"{family}-{style}"
                if name not in pdfmetrics.getRegisteredFontNames():
                    pdfmetrics.registerFont(TTFont(name, str(path)))
                names[style] = name
        except Exception:  # a broken system font: try the next candidate
            continue
        addMapping(names["regular"], 0, 0, names["regular"])
        addMapping(names["regular"], 1, 0, names["bold"])
        addMapping(names["regular"], 0, 1, names["italic"])
        addMapping(names["regular"], 1, 1, names["bold"])
        face = pdfmetrics.getFont(names["regular"]).face
        glyphs = frozenset(getattr(face, "charToGlyph", {}).keys())
        return _Fonts(names["regular"], names["bold"], names["italic"], names["mono"], glyphs)
    raise RuntimeError("no usable TrueType font found (not even reportlab's bundled Vera)")


def _safe(text: Any) -> str:
    """``text`` with characters the font lacks replaced by ASCII equivalents."""
    s = str(text)
    glyphs = _fonts().glyphs
    if not glyphs:
        return s
    out = []
    for ch in s:
        if ord(ch) < 128 or ord(ch) in glyphs or ch in "\n\t":
            out.append(ch)
        else:
            out.append(_FALLBACK_CHARS.get(ch, "?"))
    return "".join(out)


def _x(text: Any) -> str:
    """Text for a Paragraph: glyph-safe and escaped (Paragraph text is markup)."""
    return escape(_safe(text))


def _para_text(text: str) -> str:
    """Plain text with blank-line paragraphs and line breaks, escaped for a Paragraph."""
    return "<br/><br/>".join("<br/>".join(_x(line) for line in block.split("\n"))
                             for block in text.strip().split("\n\n"))


# -- styles ---------------------------------------------------------------------------------------
INK = colors.HexColor("#111111")
GRID = colors.HexColor("#7a7a7a")
HEAD_BG = colors.HexColor("#2f3b4c")
STEP_BG = colors.HexColor("#dde4ee")
CTQ_BG = colors.HexColor("#fff2b3")
FIXED_BG = colors.HexColor("#e4e4e4")
RECORD_BG = colors.HexColor("#f6f8fb")
WARN = colors.HexColor("#b00020")
WARN_BG = colors.HexColor("#fdeced")
GREY_TEXT = "#555555"


class _Styles:
    def __init__(self, t: TravelerTemplate) -> None:
        f = _fonts()
        b, s, h, sp = t.fonts.body_pt, t.fonts.small_pt, t.fonts.heading_pt, t.fonts.setpoint_pt
        self.body = ParagraphStyle("body", fontName=f.regular, fontSize=b, leading=b * 1.2, textColor=INK,
                                   alignment=TA_LEFT)
        self.bold = ParagraphStyle("bold", parent=self.body, fontName=f.bold)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=s, leading=s * 1.2)
        self.small_grey = ParagraphStyle("small_grey", parent=self.small, textColor=colors.HexColor(GREY_TEXT))
        self.italic = ParagraphStyle("italic", parent=self.small, fontName=f.italic)
        self.head = ParagraphStyle("head", parent=self.body, fontName=f.bold, textColor=colors.white)
        self.section = ParagraphStyle("section", parent=self.body, fontName=f.bold, fontSize=h, leading=h * 1.2,
                                      textColor=colors.white)
        self.step = ParagraphStyle("step", parent=self.body, fontName=f.bold, fontSize=h, leading=h * 1.25)
        self.step_no = ParagraphStyle("step_no", parent=self.step, fontSize=h + 2, leading=(h + 2) * 1.2)
        self.warn = ParagraphStyle("warn", parent=self.body, textColor=WARN, fontName=f.bold)
        self.label = ParagraphStyle("label", parent=self.small, textColor=colors.HexColor("#444444"))
        self.setpoint = ParagraphStyle("setpoint", parent=self.body, fontSize=sp, leading=sp * 1.2)
        self.setpoint_bold = ParagraphStyle("setpoint_bold", parent=self.setpoint, fontName=f.bold)
        self.unit_in_box = ParagraphStyle("unit_in_box", parent=self.small, alignment=TA_RIGHT,
                                          textColor=colors.HexColor(GREY_TEXT))


def _base_table_style(f: _Fonts, t: TravelerTemplate, header_rows: int = 1) -> list[tuple]:
    cmds: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BOX", (0, 0), (-1, -1), 1.0, INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), f.regular),
        ("FONTSIZE", (0, 0), (-1, -1), t.fonts.body_pt),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header_rows:
        cmds += [("BACKGROUND", (0, 0), (-1, header_rows - 1), HEAD_BG),
                 ("VALIGN", (0, 0), (-1, header_rows - 1), "MIDDLE")]
    return cmds


_PAD_V = 4  # top + bottom padding of a cell, pt


def _box(height_mm: float) -> Spacer:
    """An empty cell at least ``height_mm`` tall: room to write."""
    return Spacer(1, max(height_mm * mm - _PAD_V, 1))


def _labelled_boxes(items: Sequence[tuple[str, str]], width: float, height_mm: float, st: "_Styles",
                    f: _Fonts, t: TravelerTemplate, note: str = "") -> Table:
    """A row of write-in boxes, each with its label above and its unit at the right: equipment,
    quantities, times. ``note`` (a limit) takes the last cell, shaded, when given."""
    cells: list[Any] = []
    for label, unit in items:
        cells.append([Paragraph(_x(label), st.label), Spacer(1, max(height_mm * mm - 2 * _PAD_V - 11, 4)),
                      Paragraph(_x(unit), st.unit_in_box) if unit else Spacer(1, 1)])
    n = len(items) + (1 if note else 0)
    widths = [width / n] * n
    if note:
        cells.append(Paragraph(_x(note), st.bold))
    table = Table([cells], colWidths=widths)
    cmds = _base_table_style(f, t, header_rows=0)
    if note:
        cmds.append(("BACKGROUND", (n - 1, 0), (n - 1, 0), WARN_BG))
    table.setStyle(TableStyle(cmds))
    return table


# -- barcodes -------------------------------------------------------------------------------------
def qr_drawing(data: str, size: float) -> Drawing:
    """A QR code of ``data`` (error correction M) scaled to ``size`` points square."""
    w = qr.QrCodeWidget(data, barLevel="M")
    x0, y0, x1, y1 = w.getBounds()
    d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    d.add(w)
    return d


def code128_drawing(value: str, bar_height: float, max_width: float) -> Drawing:
    """A Code128 of ``value`` (the lot number, printed large beside it), bars narrowed to fit ``max_width``.

    Bars stay at least 0.19 mm (7.5 mil) wide so a handheld scanner still reads them.
    """

    def make(bw: float) -> Drawing:
        return createBarcodeDrawing("Code128", value=value, barHeight=bar_height, barWidth=bw, humanReadable=False,
                                    quiet=True)

    bw = 0.3 * mm
    d = make(bw)
    if d.width > max_width:
        d = make(max(bw * max_width / d.width, 0.19 * mm))
    return d


# -- page furniture -------------------------------------------------------------------------------
class _Page:
    """Draws the header and footer on every page; the page count comes at save time.

    Left: title, product, recipe and revision with its short hash, the parent revision and the
    SAMPLE banner; middle: the lot number, its Code128, lot size and date, "page i of n"; right:
    the QR code (lot, recipe, revision, full hash). No text is smaller than ``fonts.small_pt``.
    """

    def __init__(self, tr: Traveler, t: TravelerTemplate, ctx: dict[str, Any]) -> None:
        self.tr, self.t = tr, t
        self.f = _fonts()
        self.w, self.h = (v * mm for v in t.page.size_mm)
        m = t.page.margins_mm
        self.left, self.right = m.left * mm, self.w - m.right * mm
        self.top = self.h - m.top * mm
        self.bottom = m.bottom * mm
        self.header_h = t.header.height_mm * mm
        self.title = _safe(render_text(t, "header.title", t.header.title, ctx))
        self.product = _safe(unit_style(render_text(t, "header.product", t.header.product, ctx)))
        self.footer = _safe(render_text(t, "footer.text", t.footer.text, ctx))
        qs = t.header.qr_size_mm * mm
        self.qr = qr_drawing(tr.qr, qs)
        self.code = code128_drawing(tr.lot, t.header.barcode_height_mm * mm, t.header.barcode_max_width_mm * mm)
        self.count_at: tuple[float, float] = (0.0, 0.0)
        self.pages = 0
        self.form_done = False

    def _fit(self, c: Canvas, text: str, font: str, size: float, width: float, lines: int = 1,
             hard: bool = False) -> list[str]:
        """``text`` wrapped to ``width`` in at most ``lines`` lines (the last cut with '…').

        ``hard`` wraps by character (for a hash), not by word.
        """
        from reportlab.lib.utils import simpleSplit

        parts = []
        for part in ([text] if hard else simpleSplit(text, font, size, width)):
            while pdfmetrics.stringWidth(part, font, size) > width and len(part) > 1:  # a long word (a hash)
                k = len(part)
                while k > 1 and pdfmetrics.stringWidth(part[:k], font, size) > width:
                    k -= 1
                parts.append(part[:k])
                part = part[k:]
            parts.append(part)
        if len(parts) > lines:
            parts = parts[:lines]
            last = parts[-1]
            while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
                last = last[:-1]
            parts[-1] = last.rstrip() + _safe("…")
        return parts

    def draw(self, c: Canvas, doc: Any) -> None:
        t, tr, f = self.t, self.tr, self.f
        c.saveState()
        top, left, right = self.top, self.left, self.right
        bottom = top - self.header_h
        c.setStrokeColor(INK)
        c.setLineWidth(1)
        c.rect(left, bottom, right - left, self.header_h)
        qs = t.header.qr_size_mm * mm
        pad = 2 * mm
        b, sp = t.fonts.body_pt, t.fonts.small_pt
        # right: QR with its caption below
        qx = right - qs - pad
        mid_w = max(self.code.width, pdfmetrics.stringWidth(tr.lot, f.bold, t.fonts.lot_pt),
                    pdfmetrics.stringWidth(f"{tr.cells_text} · {tr.issued.isoformat()}", f.regular, b)) + pad
        mx = qx - 2 * pad - mid_w
        if not self.form_done:  # drawn once into a form, placed on every page
            c.beginForm("pl_barcodes")
            renderPDF.draw(self.qr, c, qx, top - pad / 2 - qs)
            c.endForm()
            self.form_done = True
        c.doForm("pl_barcodes")
        c.setLineWidth(0.5)
        c.line(mx - pad, bottom, mx - pad, top)
        c.line(qx - pad, bottom, qx - pad, top)
        # middle: LOT, the lot number, its Code128, size and date, page i of n
        y = top - pad - sp
        c.setFont(f.regular, sp)
        c.drawString(mx, y, "LOT")
        lot_pt = t.fonts.lot_pt
        while lot_pt > 12 and pdfmetrics.stringWidth(tr.lot, f.bold, lot_pt) > mid_w - pad:
            lot_pt -= 0.5
        y -= lot_pt + 0.5
        c.setFont(f.bold, lot_pt)
        c.drawString(mx, y, tr.lot)
        y -= self.code.height + 1.5 * mm
        renderPDF.draw(self.code, c, mx, y)
        y -= b + 2
        c.setFont(f.regular, b)
        c.drawString(mx, y, _safe(f"{tr.cells_text} · {tr.issued.isoformat()}"))
        y -= b + 3
        self.count_at = (mx, y)  # "page i of n" drawn at save time
        # left: title, product, recipe with its short hash, parent, the status banner at the bottom
        lw = mx - 2 * pad - left - pad
        x = left + pad
        banner = tr.is_sample or (t.header.status_banner and tr.status != "approved")
        floor = bottom + pad + ((b + 3) if banner else 0)
        title = [(f.bold, t.fonts.heading_pt, ln) for ln in self._fit(c, self.title, f.bold, t.fonts.heading_pt, lw)]
        recipe_line = (f"Recipe {tr.recipe_id} rev {tr.revision}" + ("" if banner else f" ({tr.status})")
                       + f" · hash {tr.short_hash}")
        parent = [(f.regular, sp, ln) for ln in self._fit(c, tr.parent_text, f.regular, sp, lw, lines=1)] \
            if tr.parent_text else []
        lines: list[tuple[str, float, str]] = []
        for product_lines in (2, 1):
            lines = list(title)
            lines += [(f.bold, b, ln) for ln in self._fit(c, self.product, f.bold, b, lw, lines=product_lines)]
            lines += [(f.regular, b, ln) for ln in self._fit(c, recipe_line, f.regular, b, lw, lines=2)]
            lines += parent
            if top - pad - sum(size * 1.22 for _, size, _ in lines) >= floor:
                break
        y = top - pad
        for font, size, text in lines:
            y -= size * 1.22
            if y < floor - 1:
                break
            c.setFont(font, size)
            c.drawString(x, y + 0.22 * size, text)
        if banner:
            c.setFillColor(WARN)
            c.setFont(f.bold, b)
            texts = [f"SAMPLE - NOT FOR PRODUCTION (recipe status: {tr.status})",
                     f"SAMPLE - NOT FOR PRODUCTION ({tr.status})", "SAMPLE - NOT FOR PRODUCTION"]
            text = next((t_ for t_ in texts if pdfmetrics.stringWidth(t_, f.bold, b) <= lw), texts[-1])
            c.drawString(x, bottom + pad, self._fit(c, text, f.bold, b, lw)[0])
            c.setFillColor(INK)
        # footer
        c.setLineWidth(0.5)
        c.line(left, self.bottom, right, self.bottom)
        c.setFont(f.regular, sp)
        count_w = pdfmetrics.stringWidth(f"Lot {tr.lot} · page 999 of 999", f.regular, sp) + 4 * mm
        for i, line in enumerate(self._fit(c, self.footer, f.regular, sp, right - left - count_w, 2)):
            c.drawString(left, self.bottom - (i + 1) * (sp + 2), line)
        c.restoreState()

    def draw_count(self, c: Canvas, page: int, pages: int) -> None:
        f, t = self.f, self.t
        self.pages = pages
        text = f"page {page} of {pages}"
        c.saveState()
        c.setFont(f.bold, t.fonts.body_pt + 1)
        c.drawString(self.count_at[0], self.count_at[1], text)
        c.setFont(f.regular, t.fonts.small_pt)
        c.drawRightString(self.right, self.bottom - t.fonts.small_pt - 2, f"Lot {self.tr.lot} · {text}")
        c.restoreState()


class _IssueDate:
    """reportlab's timestamp, fixed at the issue date (midnight UTC): the PDF's CreationDate and ModDate.

    The document stays reproducible: the same inputs and date give the same bytes.
    """

    def __init__(self, day: dt.date) -> None:
        self.t = float(calendar.timegm(day.timetuple()))
        self.lt = time.gmtime(self.t)
        self.YMDhms = tuple(self.lt)[:6]
        self.dhh = self.dmm = 0
        self.tzname = "UTC"

    @property
    def datetime(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.t, dt.timezone.utc)

    @property
    def asctime(self) -> str:
        return time.asctime(self.lt)


def _canvas_maker(page: _Page) -> type[Canvas]:
    """A canvas that holds its pages until the end so every header can say 'page i of n', dated
    the traveler's issue date."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = _IssueDate(page.tr.issued)
            self._pl_states: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pl_states.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            n = len(self._pl_states)
            for i, state in enumerate(self._pl_states, start=1):
                self.__dict__.update(state)
                page.draw_count(self, i, n)
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


# -- sections -------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, tr: Traveler, t: TravelerTemplate, ctx: dict[str, Any]) -> None:
        self.tr, self.t, self.ctx = tr, t, ctx
        self.st = _Styles(t)
        self.f = _fonts()
        self.frame_w = t.page.frame_width_mm * mm
        m = t.page.margins_mm
        # the document frame (see render_traveler_pages) less the Frame's own 6 pt paddings
        self.frame_h = (t.page.size_mm[1] - (m.top + t.header.height_mm + 3) - (m.bottom + 2)) * mm - 12
        self.step_no = {step.id: step.no for step in tr.routing}

    def text(self, field: str, text: str) -> str:
        return render_text(self.t, field, text, self.ctx)

    def P(self, text: Any, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(_x(text), style or self.st.body)

    def steps_text(self, step_ids: Sequence[str]) -> str:
        """Step numbers of ids, ``'1-4'`` for a run: the card names steps by number."""
        nos = sorted({self.step_no[s] for s in step_ids if s in self.step_no})
        runs: list[str] = []
        for n in nos:
            if runs and runs[-1].split("–")[-1] == str(n - 1):
                runs[-1] = runs[-1].split("–")[0] + f"–{n}"
            else:
                runs.append(str(n))
        return ", ".join(runs)

    def title_bar(self, i: int, section: Any) -> list:
        title = self.text(f"sections[{i}].title", section.title)
        out: list = []
        if title:
            bar = Table([[Paragraph(_x(title), self.st.section)]], colWidths=[self.frame_w])
            bar.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), HEAD_BG),
                                     ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
            out.append(bar)
        intro = self.text(f"sections[{i}].intro", section.intro)
        if intro:
            out += [Spacer(1, 1.5 * mm), Paragraph(_para_text(intro), self.st.body)]
        out.append(Spacer(1, 1.5 * mm))
        return out

    # text ----------------------------------------------------------------------------------
    def section_text(self, i: int, s: Any) -> list:
        body = Paragraph(_para_text(self.text(f"sections[{i}].text", s.text)),
                         self.st.warn if s.style == "warning" else (self.st.italic if s.style == "note" else self.st.body))
        flow: list = self.title_bar(i, s)
        if s.style == "warning":
            box = Table([[body]], colWidths=[self.frame_w])
            box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, WARN), ("BACKGROUND", (0, 0), (-1, -1), WARN_BG),
                                     ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
            flow.append(box)
        else:
            flow.append(body)
        return [KeepTogether(flow), Spacer(1, 3 * mm)]

    # lot summary ---------------------------------------------------------------------------
    def section_lot_summary(self, i: int, s: Any) -> list:
        tr, st = self.tr, self.st
        L = lambda text: Paragraph(_x(text), st.label)  # noqa: E731
        V = lambda text: Paragraph(_x(text), st.body)  # noqa: E731
        B = lambda text: Paragraph(_x(text), st.bold)  # noqa: E731
        w = self.frame_w
        rows = [
            [L("Lot"), B(tr.lot), L("Lot size"), B(tr.cells_text), L("Date issued"), V(tr.issued.isoformat())],
            [L("Recipe"), V(f"{tr.recipe_id} rev {tr.revision} ({tr.status})" +
                            (f", {tr.parent_text}" if tr.parent_text else "")),
             L("Cell format"), V(tr.cell_format or "-"), L("Scrap allowance"), V(tr.scrap_text)],
            [L("Content hash"), Paragraph(_x(tr.content_hash), st.small), "", "", "", ""],
            [L("Planned start"), _box(8), L("Released to the line by"), _box(8), L("Date"), _box(8)],
        ]
        table = Table(rows, colWidths=[f_ * w for f_ in (0.13, 0.27, 0.14, 0.2, 0.12, 0.14)])
        cmds = _base_table_style(self.f, self.t, header_rows=0)
        cmds.append(("SPAN", (1, 2), (5, 2)))
        table.setStyle(TableStyle(cmds))
        return [KeepTogether(self.title_bar(i, s) + [table]), Spacer(1, 3 * mm)]

    # safety --------------------------------------------------------------------------------
    def section_safety(self, i: int, s: Any) -> list:
        tr, st = self.tr, self.st
        w = self.frame_w
        head = [Paragraph("Ref. / hazard", st.head), Paragraph(_x("What to do"), st.head), Paragraph("Steps", st.head)]
        rows = [head]
        for k, n in enumerate(tr.safety, start=1):
            rows.append([Paragraph(f"S{k}  {_x(n.title)}", st.bold), Paragraph(_x(n.text), st.body),
                         Paragraph(_x(", ".join(str(x) for x in n.steps) or "all"), st.body)])
        if s.material_hazards:
            for k, n in enumerate(tr.hazards, start=1):
                rows.append([Paragraph(f"M{k}  {_x('Material: ' + n.title)}", st.bold), Paragraph(_x(n.text), st.body),
                             Paragraph(_x(", ".join(str(x) for x in n.steps) or "-"), st.body)])
        atms = sorted({step.atmosphere for step in tr.routing})
        flow = self.title_bar(i, s)
        flow.append(Paragraph(_x("Atmospheres of this route: " + "; ".join(atms)), st.body))
        flow.append(Spacer(1, 1.5 * mm))
        table = Table(rows, colWidths=[0.24 * w, 0.65 * w, 0.11 * w], repeatRows=1)
        cmds = _base_table_style(self.f, self.t)
        cmds.append(("BACKGROUND", (0, 1), (0, -1), WARN_BG))
        table.setStyle(TableStyle(cmds))
        return flow + [table, Spacer(1, 3 * mm)]

    # material issue ------------------------------------------------------------------------
    def section_material_issue(self, i: int, s: Any) -> list:
        tr, st = self.tr, self.st
        cols = s.columns
        head = [Paragraph(_x(self.text(f"sections[{i}].columns[{j}].title", c.title)), st.head)
                for j, c in enumerate(cols)]
        rows: list[list] = [head]
        lines = tr.issue
        flow = self.title_bar(i, s)
        if lines is None:
            note = tr.issue_note or "Quantities were not computed for this lot."
            flow.append(Paragraph(_x(note + " Fill in the required quantities by hand and have them checked."),
                                  st.warn))
            flow.append(Spacer(1, 1.5 * mm))
        elif tr.issue_note:
            flow.append(Paragraph(_x(tr.issue_note), st.warn))
            flow.append(Spacer(1, 1.5 * mm))
        safety = self.t.section("safety")
        listed = bool(safety is not None and safety.material_hazards)
        hazard_ref = {h.id: f"M{k}" for k, h in enumerate(tr.hazards, start=1)} if listed else {}
        safety_ref = {n.id: f"S{k}" for k, n in enumerate(tr.safety, start=1)}
        items = lines if lines is not None else [None] * len(tr.issue_materials)
        for k, line in enumerate(items, start=1):
            mid, name = (line.material_id, line.name) if line is not None else tr.issue_materials[k - 1]
            refs = []
            if line is not None:
                refs = [hazard_ref.get(h) or safety_ref.get(h) for h in line.hazard_ids]
                refs = [r for r in refs if r]
            used = line.used_at if line is not None else ()
            cells = {
                "number": Paragraph(str(k), st.body),
                "material": Paragraph(
                    f"<b>{_x(unit_style(name))}</b>"
                    + (f"  <font color='#b00020'>{_x('⚠ ' + ', '.join(refs))}</font>" if refs else ""), st.body),
                "used_at": Paragraph(_x(self.steps_text(used)), st.body),
                "per_cell": Paragraph(_x(line.per_cell_text if line else ""), st.body),
                "scrap": Paragraph(_x(f"{100 * line.scrap_allowance:g} %" if line else ""), st.body),
                "required": Paragraph(_x(line.required_text if line else ""), st.setpoint_bold),
                "unit": Paragraph(_x(line.unit if line else ""), st.body),
                "supplier_lot": _box(s.row_height_mm),
                "weighed": [_box(s.row_height_mm - 4), Paragraph(_x(line.unit if line else ""), st.unit_in_box)],
                "issued_by": _box(s.row_height_mm),
            }
            rows.append([cells[c.key] for c in cols])
        table = Table(rows, colWidths=[c.width_mm * mm for c in cols], repeatRows=1)
        cmds = _base_table_style(self.f, self.t)
        keys = [c.key for c in cols]
        if "required" in keys and lines is not None:
            j = keys.index("required")
            cmds += [("ALIGN", (j, 1), (j, -1), "RIGHT"), ("BACKGROUND", (j, 1), (j, -1), CTQ_BG)]
        table.setStyle(TableStyle(cmds))
        return flow + [table, Spacer(1, 3 * mm)]

    # genealogy -----------------------------------------------------------------------------
    def section_genealogy(self, i: int, s: Any) -> list:
        tr, st = self.tr, self.st
        cols = s.columns
        head = [Paragraph(_x(self.text(f"sections[{i}].columns[{j}].title", c.title)), st.head)
                for j, c in enumerate(cols)]
        rows: list[list] = [head]
        for g in tr.genealogy:
            cells = {
                "role": Paragraph(_x(g.role), st.body),
                "description": Paragraph(_x(unit_style(g.description)), st.bold),
                "produced_at": Paragraph(_x(self.steps_text(g.produced_at)), st.body),
                "lot": Paragraph(_x(g.lot), st.bold) if g.lot else _box(s.row_height_mm),
                "qty_used": _box(s.row_height_mm),
                "verified_by": _box(s.row_height_mm),
            }
            rows.append([cells[c.key] for c in cols])
        table = Table(rows, colWidths=[c.width_mm * mm for c in cols], repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(_base_table_style(self.f, self.t)))
        return [KeepTogether(self.title_bar(i, s) + [table]), Spacer(1, 3 * mm)]

    # routing -------------------------------------------------------------------------------
    def section_routing(self, i: int, s: Any) -> list:
        tr, st, t = self.tr, self.st, self.t
        cols = s.columns
        keys = [c.key for c in cols]
        widths = [c.width_mm * mm for c in cols]
        n = len(cols)
        head = [Paragraph(_x(self.text(f"sections[{i}].columns[{j}].title", c.title)), st.head)
                for j, c in enumerate(cols)]
        rows: list[list] = [head]
        cmds = _base_table_style(self.f, t)
        safety_ref = {n_.id: f"S{k}" for k, n_ in enumerate(tr.safety, start=1)}
        first_text = 1 if keys[0] == "number" else 0
        span_w = sum(widths[first_text:])
        blocks: list[tuple[int, int]] = []

        def spanned(content: Any, label: str = "", shade: Any = None) -> int:
            row = [""] * n
            if first_text:
                row[0] = Paragraph(_x(label), st.label) if label else ""
            row[first_text] = content
            rows.append(row)
            r = len(rows) - 1
            cmds.append(("SPAN", (first_text, r), (n - 1, r)))
            if shade is not None:
                cmds.append(("BACKGROUND", (0, r), (-1, r), shade))
            return r

        for step in tr.routing:
            start = len(rows)
            # step header: number, name, where, with what, safety
            no_txt = "" if first_text else f"{step.no}. "
            info = [f"<b>{no_txt}{_x(step.name)}</b>"]
            where = f"Atmosphere: {step.atmosphere}"
            if step.equipment:
                where += f"  ·  Equipment: {step.equipment}"
            info.append(_x(where))
            io_line = []
            if step.inputs:
                io_line.append("Inputs: " + ", ".join(step.inputs))
            if step.output:
                io_line.append("Output: " + step.output)
            if io_line:
                info.append(_x("  ·  ".join(io_line)))
            if step.safety:
                refs = "; ".join(f"{safety_ref.get(sid, sid)} {title}" for sid, title in step.safety)
                info.append(f"<font color='#b00020'><b>{_x('⚠ Safety: ' + refs)}</b></font>")
            row = [""] * n
            if first_text:
                row[0] = Paragraph(str(step.no), st.step_no)
            row[first_text] = [Paragraph(info[0], st.step), Paragraph("<br/>".join(info[1:]), st.body)]
            rows.append(row)
            r = len(rows) - 1
            cmds += [("SPAN", (first_text, r), (n - 1, r)), ("BACKGROUND", (0, r), (-1, r), STEP_BG),
                     ("LINEABOVE", (0, r), (-1, r), 1.2, INK)]
            if step.notes:
                spanned(Paragraph(_x("Note: " + step.notes), st.italic))
            # what every step records: equipment, calibration, quantities; times against a limit
            boxes = [(rec.label, rec.unit) for rec in step.records
                     if rec.field in ("equipment_id", "calibration_due", "qty_in", "qty_out", "qty_scrap")]
            spanned(_labelled_boxes(boxes, span_w, s.row_height_mm + 2, st, self.f, t), shade=RECORD_BG)
            cmds.append(("LEFTPADDING", (first_text, len(rows) - 1), (first_text, len(rows) - 1), 0))
            cmds.append(("RIGHTPADDING", (first_text, len(rows) - 1), (first_text, len(rows) - 1), 0))
            if step.time_limit:
                times = [(rec.label, "") for rec in step.records if rec.field in ("start_time", "end_time")]
                spanned(_labelled_boxes(times, span_w, s.row_height_mm + 2, st, self.f, t,
                                        note=f"Limit: {step.time_limit}"), shade=RECORD_BG)
                cmds.append(("LEFTPADDING", (first_text, len(rows) - 1), (first_text, len(rows) - 1), 0))
                cmds.append(("RIGHTPADDING", (first_text, len(rows) - 1), (first_text, len(rows) - 1), 0))
            for rr in step.rows:
                if rr.kind == "setting" and not s.settings:
                    continue
                rows.append([self._routing_cell(k, rr, s, keys) for k in keys])
                r = len(rows) - 1
                if rr.ctq and "ctq" in keys:
                    cmds.append(("BACKGROUND", (keys.index("ctq"), r), (keys.index("ctq"), r), CTQ_BG))
                if "actual" in keys:
                    j = keys.index("actual")
                    if not rr.capture:
                        cmds.append(("BACKGROUND", (j, r), (j, r), FIXED_BG))
                    elif rr.per_cell:
                        cmds += [("LEFTPADDING", (j, r), (j, r), 0), ("RIGHTPADDING", (j, r), (j, r), 0),
                                 ("TOPPADDING", (j, r), (j, r), 0), ("BOTTOMPADDING", (j, r), (j, r), 0)]
                if rr.kind in ("pass", "env"):
                    cmds.append(("BACKGROUND", (first_text, r), (first_text, r), RECORD_BG))
            # sign-off boxes
            sign = [(rec.label, "") for rec in step.records if rec.field in ("operator", "verifier", "signed_at")]
            r = spanned(_labelled_boxes(sign, span_w, s.signoff_height_mm, st, self.f, t), label="Sign")
            cmds += [("LEFTPADDING", (first_text, r), (first_text, r), 0),
                     ("RIGHTPADDING", (first_text, r), (first_text, r), 0),
                     ("LINEBELOW", (0, r), (-1, r), 1.2, INK)]
            blocks.append((start, r))
        cmds += self._keep_together(rows, widths, cmds, blocks, s.keep_steps_together)
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle(cmds))
        return self.title_bar(i, s) + [table, Spacer(1, 3 * mm)]

    def _keep_together(self, rows: list, widths: list[float], cmds: list, blocks: list[tuple[int, int]],
                       whole: bool) -> list[tuple]:
        """NOSPLIT commands: a step that fits on a page is never split; a longer one at least keeps
        its heading with its first rows and its sign-off with its last rows.

        Heights are measured (the table is wrapped once), so no block asks for more than a page.
        """
        probe = Table(rows, colWidths=widths, repeatRows=1)
        probe.setStyle(TableStyle(cmds))
        probe.wrap(self.frame_w, 1e7)
        heights = list(probe._rowHeights)
        avail = self.frame_h - heights[0] - 2  # below the repeated header row
        out: list[tuple] = []
        for start, end in blocks:
            if whole and sum(heights[start:end + 1]) <= avail:
                out.append(("NOSPLIT", (0, start), (-1, end)))
                continue
            head_hi = min(start + 3, end)  # heading, records and the first rows
            while head_hi > start and sum(heights[start:head_hi + 1]) > avail / 2:
                head_hi -= 1
            tail_lo = max(end - 2, head_hi + 1)  # the last rows and the sign-off
            while tail_lo < end and sum(heights[tail_lo:end + 1]) > avail / 2:
                tail_lo += 1
            if head_hi > start:
                out.append(("NOSPLIT", (0, start), (-1, head_hi)))
            if end > tail_lo:
                out.append(("NOSPLIT", (0, tail_lo), (-1, end)))
        return out

    def _actual_cell(self, rr: Any, s: Any, width: float) -> Any:
        """The box for the actual: the unit at its top right; for a check of every cell the lot's
        minimum, maximum and cells rejected; a tick box for a sequence; grey when nothing is recorded."""
        st = self.st
        if not rr.capture:
            return _box(s.fixed_row_height_mm)
        if rr.capture == CAPTURE_DONE:
            return [Paragraph(_x("☐ done (initials)"), st.body), _box(s.row_height_mm - 5)]
        if rr.per_cell:
            items = [(w, rr.unit if w != "rejected" else "cells") for w in rr.capture]
            labels = {"min": "lot min.", "max": "lot max.", "rejected": "rejected"}
            inner = Table([[Paragraph(_x(labels[w]), st.label), Paragraph(_x(u), st.unit_in_box)] for w, u in items],
                          colWidths=[0.5 * width, 0.5 * width], rowHeights=[max(s.row_height_mm * mm * 0.62, 13)] * len(items))
            inner.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -2), 0.4, GRID), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                       ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                       ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
            return inner
        return [Paragraph(_x(rr.unit), st.unit_in_box), _box(s.row_height_mm - 5)]

    def _routing_cell(self, key: str, rr: Any, s: Any, keys: Sequence[str]) -> Any:
        st = self.st
        if key == "number":
            return Paragraph(_x(rr.no), st.small_grey)
        if key == "item":
            text = _x(rr.label)
            out = [Paragraph(text, st.bold if rr.ctq else st.body)]
            if "method" not in keys and rr.method:
                out.append(Paragraph(_x(rr.method), st.small_grey))
            return out
        if key == "target":
            one_sided = rr.limits and rr.limits[0] in "≤≥<" and rr.kind in ("check", "env")
            text = rr.limits if one_sided else rr.target
            if "tolerance" not in keys and not one_sided and rr.tolerance.startswith("±"):
                text = f"{rr.target} {rr.tolerance}"
            return Paragraph(_x(text), st.setpoint_bold if rr.ctq else st.setpoint)
        if key == "tolerance":
            return Paragraph(_x(rr.tolerance if rr.tolerance != "nominal" or rr.record else ""), st.body)
        if key == "unit":
            return Paragraph(_x(rr.unit), st.body)
        if key == "limits":
            return Paragraph(_x(rr.limits), st.setpoint_bold if rr.ctq else st.setpoint)
        if key == "ctq":
            return Paragraph("CTQ", st.warn) if rr.ctq else ""
        if key == "source":
            return Paragraph(_x(rr.source_tag), st.italic)
        if key == "method":
            return Paragraph(_x(rr.method), st.small)
        if key == "actual":
            width = next(c.width_mm for c in s.columns if c.key == "actual") * mm
            return self._actual_cell(rr, s, width)
        raise KeyError(key)

    # release -------------------------------------------------------------------------------
    def section_release(self, i: int, s: Any) -> list:
        st, tr = self.st, self.tr
        w = self.frame_w
        flow = self.title_bar(i, s)
        crit = tr.release_criteria
        if crit:
            head = [Paragraph(_x(h), st.head) for h in ("Row", "Acceptance criterion (every cell)", "Accept range",
                                                        "Met by every released cell")]
            rows: list[list] = [head]
            for step, r in crit:
                rows.append([Paragraph(_x(r.no), st.body), Paragraph(_x(r.label.removeprefix("Check: ")), st.body),
                             Paragraph(_x(f"{r.limits} {r.unit}".strip()), st.setpoint_bold),
                             Paragraph(_x("☐ yes    ☐ no"), st.body)])
            rows.append([Paragraph("", st.body), Paragraph(_x("Every CTQ actual in range, every step signed, all NCRs "
                                                               "closed"), st.bold), "",
                         Paragraph(_x("☐ yes    ☐ no"), st.body)])
            table = Table(rows, colWidths=[0.09 * w, 0.5 * w, 0.19 * w, 0.22 * w], repeatRows=1)
            cmds = _base_table_style(self.f, self.t)
            cmds.append(("SPAN", (1, len(rows) - 1), (2, len(rows) - 1)))
            table.setStyle(TableStyle(cmds))
            flow += [table, Spacer(1, 2 * mm)]
        from pouchline.export.traveler_twin import RELEASE_RECORDS

        boxes = [(lab, unit) for _f, lab, unit in RELEASE_RECORDS]
        flow.append(_labelled_boxes(boxes[:3], w, s.row_height_mm, st, self.f, self.t))
        flow.append(_labelled_boxes(boxes[3:], w, s.row_height_mm, st, self.f, self.t))
        return [KeepTogether(flow), Spacer(1, 3 * mm)]

    # appendix ------------------------------------------------------------------------------
    def section_appendix(self, i: int, s: Any) -> list:
        from pouchline.export.traveler_twin import capture_id

        st, tr = self.st, self.tr
        w = self.frame_w
        head = [Paragraph(_x(h), st.head) for h in ("Row", "Printed as", "Recipe field / capture id", "Source")]
        rows: list[list] = [head]
        for step in tr.routing:
            rows.append([Paragraph(str(step.no), st.bold), Paragraph(_x(step.name), st.bold),
                         Paragraph(_x(f"steps.{step.id} ({step.kind})"), st.small), ""])
            for rr in step.rows:
                ids = sorted({capture_id(step, rr, c) for c in rr.capture}) if rr.capture else [f"{step.id}.{rr.field}"]
                src = unit_style(rr.source) if rr.source != "design" else ""
                if rr.ref:
                    src = f"follows {rr.ref}" + (f"; {src}" if src else "")
                rows.append([Paragraph(_x(rr.no), st.small), Paragraph(_x(rr.label), st.small),
                             Paragraph(_x(", ".join(ids)), st.small), Paragraph(_x(src), st.small)])
        table = Table(rows, colWidths=[0.08 * w, 0.27 * w, 0.27 * w, 0.38 * w], repeatRows=1)
        cmds = _base_table_style(self.f, self.t)
        table.setStyle(TableStyle(cmds))
        return self.title_bar(i, s) + [table]


# -- entry points ---------------------------------------------------------------------------------
def template_context(tr: Traveler, t: TravelerTemplate) -> dict[str, Any]:
    """The variables a template's Jinja texts may use."""
    recipe = {"id": tr.recipe_id, "revision": tr.revision, "status": tr.status, "title": tr.title,
              "hash": tr.content_hash, "short_hash": tr.short_hash}
    ctx: dict[str, Any] = {"lot": tr.lot, "cells": tr.cells_text, "cells_n": tr.cells,
                           "issued": tr.issued.isoformat(), "scrap": tr.scrap_text, "template": t.name,
                           "recipe": recipe}
    ctx["product"] = ""
    ctx["product"] = render_text(t, "header.product", t.header.product, ctx)
    return ctx


@dataclass(frozen=True)
class RenderedTraveler:
    """A rendered traveler: the PDF and its page count."""

    pdf: bytes
    pages: int


def render_traveler(tr: Traveler, template: TravelerTemplate) -> bytes:
    """The traveler of one lot as PDF bytes."""
    return render_traveler_pages(tr, template).pdf


def render_traveler_pages(tr: Traveler, template: TravelerTemplate) -> RenderedTraveler:
    """The traveler of one lot as PDF bytes with its page count.

    The PDF's creation and modification dates are the issue date; nothing else in it depends on
    the clock, so the same traveler and template give the same bytes.
    """
    ctx = template_context(tr, template)
    page = _Page(tr, template, ctx)
    b = _Builder(tr, template, ctx)
    story: list = []
    for i, section in enumerate(template.sections):
        if section.page_break_before and story:
            story.append(PageBreak())
        elif story:
            story.append(CondPageBreak(30 * mm))
        story += getattr(b, f"section_{section.kind}")(i, section)
    m = template.page.margins_mm
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=(page.w, page.h),
        leftMargin=m.left * mm, rightMargin=m.right * mm,
        topMargin=(m.top + template.header.height_mm + 3) * mm,
        bottomMargin=(m.bottom + 2) * mm,
        title=_safe(f"Batch traveler {tr.lot} - {tr.recipe_id} rev {tr.revision}"),
        author="pouchline", subject=_safe(tr.title), creator=_safe(f"pouchline traveler, template {template.name}"),
        keywords=[tr.lot, tr.recipe_id, tr.revision, tr.content_hash],
        invariant=1, initialFontName=_fonts().regular, initialFontSize=template.fonts.body_pt,
    )
    doc.build(story, onFirstPage=page.draw, onLaterPages=page.draw, canvasmaker=_canvas_maker(page))
    return RenderedTraveler(pdf=buf.getvalue(), pages=page.pages)


def write_traveler(path: str | os.PathLike, tr: Traveler, template: TravelerTemplate) -> RenderedTraveler:
    """Render the traveler and write it to ``path`` atomically (a failed render leaves no file)."""
    out = render_traveler_pages(tr, template)
    atomic_write(path, out.pdf)
    return out


__all__ = ["RenderedTraveler", "render_traveler", "render_traveler_pages", "write_traveler", "template_context",
           "qr_drawing", "code128_drawing"]
