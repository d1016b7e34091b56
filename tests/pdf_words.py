"""Text of a PDF with its printed size and position, for tests of the traveler and the BOM's print-out.

pypdf's text visitor reports every text run with the font size and the text and current transform
matrices; the printed size is the font size times the scale of both (a 0.75 print scale of an
11 pt cell prints it at 8.25 pt). Positions are in PDF points from the page's lower left corner.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import pypdf


@dataclass(frozen=True)
class Word:
    page: int  # 1-based
    text: str
    size_pt: float
    x: float
    y: float


def _scale(m) -> float:
    return math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))


def pdf_words(pdf: bytes) -> list[Word]:
    """Every non-blank text run of every page with its printed size and position."""
    out: list[Word] = []
    for no, page in enumerate(pypdf.PdfReader(io.BytesIO(pdf)).pages, start=1):
        def visit(text, cm, tm, font_dict, font_size, _no=no):
            if not text.strip() or not font_size:
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append(Word(_no, text.strip(), float(font_size) * _scale(tm) * _scale(cm), x, y))

        page.extract_text(visitor_text=visit)
    return out


def pdf_metadata(pdf: bytes) -> dict:
    return dict(pypdf.PdfReader(io.BytesIO(pdf)).metadata or {})
