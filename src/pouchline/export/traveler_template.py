"""The layout of the batch traveler as data: ``templates/traveler-<name>.yaml``.

A template names the page (size, orientation, margins), the fonts' sizes, the header, the
footer and the sections of the card in order, with each table's columns (key, title, width in
mm) and row heights for handwriting. Titles and text blocks are Jinja2 strings with these
variables::

    lot, cells (text: '1 cell', '10,000 cells'), cells_n (the number), issued (YYYY-MM-DD),
    scrap (e.g. '5 %'), product, template,
    recipe.id, recipe.revision, recipe.status, recipe.title, recipe.hash, recipe.short_hash

Text is plain text: it is escaped before it reaches reportlab (``<`` prints as ``<``), and a
blank line starts a new paragraph. Jinja runs sandboxed with undefined variables as errors.

A malformed template is an :class:`~pouchline.errors.InputError` naming the template file and
the field, e.g. ``templates/traveler-x.yaml: sections[4].columns[2].key: 'actul' is not allowed``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr

from pouchline.errors import InputError, Problem
from pouchline.fileio import read_yaml, validate_model

#: Shipped templates (``templates/`` in the project checkout).
TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "templates"
TEMPLATE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DEFAULT_TEMPLATE = "default"

_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)

PAGE_SIZES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0),
                                                 "letter": (215.9, 279.4)}


def _jinja_ok(text: str) -> str:
    try:
        _ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"{text!r} is not a valid Jinja2 text: {exc.message} (line {exc.lineno})") from None
    return text


JinjaText = Annotated[str, Field(max_length=5000), AfterValidator(_jinja_ok)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Margins(_Model):
    top: float = Field(default=10, ge=3, le=60)
    bottom: float = Field(default=12, ge=3, le=60)
    left: float = Field(default=10, ge=3, le=60)
    right: float = Field(default=10, ge=3, le=60)


class Page(_Model):
    size: Literal["A4", "A3", "letter"] = "A4"
    orientation: Literal["portrait", "landscape"] = "portrait"
    margins_mm: Margins = Margins()

    @property
    def size_mm(self) -> tuple[float, float]:
        w, h = PAGE_SIZES_MM[self.size]
        return (h, w) if self.orientation == "landscape" else (w, h)

    @property
    def frame_width_mm(self) -> float:
        return self.size_mm[0] - self.margins_mm.left - self.margins_mm.right


#: Smallest type on a traveler, pt: read at a glovebox window, printed on A4 (set points: SETPOINT_MIN_PT).
MIN_TEXT_PT = 9.0
#: Smallest type of a set point (target and acceptance range), pt.
SETPOINT_MIN_PT = 11.0


class Fonts(_Model):
    body_pt: float = Field(default=10.0, ge=MIN_TEXT_PT, le=14)
    small_pt: float = Field(default=9.0, ge=MIN_TEXT_PT, le=12, description="notes, methods, labels of boxes")
    setpoint_pt: float = Field(default=11.0, ge=SETPOINT_MIN_PT, le=16, description="targets and acceptance ranges")
    heading_pt: float = Field(default=12.0, ge=10, le=20)
    lot_pt: float = Field(default=16.0, ge=12, le=32)


class Header(_Model):
    title: JinjaText = "BATCH TRAVELER / ROUTE CARD"
    product: JinjaText = "{{ recipe.title }}"
    height_mm: float = Field(default=32, ge=24, le=60)
    qr_size_mm: float = Field(default=24, ge=15, le=50)
    barcode_height_mm: float = Field(default=8, ge=5, le=25)
    barcode_max_width_mm: float = Field(default=52, ge=30, le=150)
    status_banner: bool = Field(default=True, description="flag a recipe that is not approved")


class Footer(_Model):
    text: JinjaText = ("Lot {{ lot }} · {{ recipe.id }} rev {{ recipe.revision }} · "
                       "printed from the recipe; do not edit by hand, reprint instead")


class Defaults(_Model):
    scrap_allowance_frac: float = Field(default=0.05, ge=0, le=1)


#: Narrowest table column: its cell paddings (2 x 3 pt = 2.1 mm) must leave room for text.
MIN_COLUMN_WIDTH_MM = 3.0


class Column(_Model):
    key: str
    title: JinjaText
    width_mm: float = Field(ge=MIN_COLUMN_WIDTH_MM, le=400)


class _Section(_Model):
    title: JinjaText = ""
    intro: JinjaText = ""
    page_break_before: bool = False


ROUTING_KEYS = ("number", "item", "target", "tolerance", "unit", "limits", "ctq", "source", "method", "actual")
ISSUE_KEYS = ("number", "material", "used_at", "per_cell", "scrap", "required", "unit", "supplier_lot", "weighed",
              "issued_by")
GENEALOGY_KEYS = ("role", "description", "produced_at", "lot", "qty_used", "verified_by")

RoutingKey = Literal[ROUTING_KEYS]  # type: ignore[valid-type]
IssueKey = Literal[ISSUE_KEYS]  # type: ignore[valid-type]
GenealogyKey = Literal[GENEALOGY_KEYS]  # type: ignore[valid-type]


class RoutingColumn(Column):
    key: RoutingKey


class IssueColumn(Column):
    key: IssueKey


class GenealogyColumn(Column):
    key: GenealogyKey


class TextSection(_Section):
    kind: Literal["text"]
    text: JinjaText
    style: Literal["normal", "warning", "note"] = "normal"


class LotSummarySection(_Section):
    kind: Literal["lot_summary"]


class SafetySection(_Section):
    kind: Literal["safety"]
    material_hazards: bool = Field(default=True, description="also list hazards of the issued materials")


class MaterialIssueSection(_Section):
    kind: Literal["material_issue"]
    row_height_mm: float = Field(default=8, ge=4, le=30)
    columns: list[IssueColumn] = Field(min_length=1)


class GenealogySection(_Section):
    kind: Literal["genealogy"]
    row_height_mm: float = Field(default=9, ge=4, le=30)
    columns: list[GenealogyColumn] = Field(min_length=1)


class RoutingSection(_Section):
    kind: Literal["routing"]
    row_height_mm: float = Field(default=7.5, ge=4, le=30, description="rows with an 'actual' box")
    fixed_row_height_mm: float = Field(default=5, ge=3, le=30, description="rows with nothing to record")
    signoff_height_mm: float = Field(default=11, ge=6, le=40)
    settings: bool = Field(default=True, description="print fixed settings (passes, cycles, bolts) as rows")
    keep_steps_together: bool = Field(default=True, description="start a step on a new page rather than split it")
    columns: list[RoutingColumn] = Field(min_length=1)


class ReleaseSection(_Section):
    kind: Literal["release"]
    row_height_mm: float = Field(default=12, ge=6, le=40)


class AppendixSection(_Section):
    """Every printed value's internal field name, capture id and full source (they stay off the routing)."""

    kind: Literal["appendix"]


Section = Annotated[
    Union[TextSection, LotSummarySection, SafetySection, MaterialIssueSection, GenealogySection, RoutingSection,
          ReleaseSection, AppendixSection],
    Field(discriminator="kind"),
]

#: Columns a table must have for the card to show what was planned and leave room to record.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "routing": ("item", "target", "unit", "ctq", "actual"),
    "material_issue": ("material", "required", "unit", "supplier_lot", "weighed"),
    "genealogy": ("description", "lot"),
}
#: Sections a traveler must have, exactly once.
REQUIRED_SECTIONS = ("routing", "safety")


class TravelerTemplate(_Model):
    """A traveler layout (see the module docstring)."""

    schema_version: Literal[1] = 1
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$", max_length=64)
    description: str = ""
    page: Page = Page()
    fonts: Fonts = Fonts()
    header: Header = Header()
    footer: Footer = Footer()
    defaults: Defaults = Defaults()
    sections: list[Section] = Field(min_length=1)

    _source: str = PrivateAttr(default="<template>")

    @property
    def source(self) -> str:
        return self._source

    def section(self, kind: str):
        for s in self.sections:
            if s.kind == kind:
                return s
        return None


def layout_problems(t: TravelerTemplate, source: str) -> list[Problem]:
    """What pydantic cannot see: required sections and columns, widths against the page."""
    probs: list[Problem] = []
    kinds = [s.kind for s in t.sections]
    for k in REQUIRED_SECTIONS:
        n = kinds.count(k)
        if n != 1:
            probs.append(Problem("sections", f"needs exactly one section of kind {k!r}, found {n}", source=source))
    for k in ("lot_summary", "material_issue", "genealogy", "release", "appendix"):
        if kinds.count(k) > 1:
            probs.append(Problem("sections", f"has {kinds.count(k)} sections of kind {k!r}; at most one", source=source))
    frame = t.page.frame_width_mm
    for i, s in enumerate(t.sections):
        cols = getattr(s, "columns", None)
        if cols is None:
            continue
        keys = [c.key for c in cols]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            probs.append(Problem(f"sections[{i}].columns", f"lists the column keys {dupes} more than once",
                                 source=source))
        missing = [k for k in REQUIRED_COLUMNS[s.kind] if k not in keys]
        if missing:
            probs.append(Problem(f"sections[{i}].columns",
                                 f"a {s.kind} table needs the columns {list(REQUIRED_COLUMNS[s.kind])}; missing {missing}",
                                 source=source))
        total = sum(c.width_mm for c in cols)
        if total > frame + 0.5:
            probs.append(Problem(
                f"sections[{i}].columns",
                f"widths add up to {total:g} mm; the {t.page.size} {t.page.orientation} page leaves {frame:g} mm "
                f"between its margins", value=total, source=source))
    if t.header.qr_size_mm > t.header.height_mm:
        probs.append(Problem("header.qr_size_mm", f"{t.header.qr_size_mm:g} mm does not fit in header.height_mm "
                             f"{t.header.height_mm:g} mm", value=t.header.qr_size_mm, source=source))
    return probs


def template_from_data(data: Any, source: str) -> TravelerTemplate:
    """Validate template data (parsed YAML); every problem names ``source`` and the field."""
    t = validate_model(TravelerTemplate, data, source)
    probs = layout_problems(t, source)
    if probs:
        raise InputError(probs)
    t._source = source
    return t


def available_templates() -> list[str]:
    """Names of the shipped templates (``traveler-<name>.yaml`` in :data:`TEMPLATES_DIR`)."""
    if not TEMPLATES_DIR.is_dir():
        return []
    return sorted(p.name[len("traveler-"):-len(".yaml")] for p in TEMPLATES_DIR.glob("traveler-*.yaml"))


def resolve_template(name_or_path: str | os.PathLike | None) -> Path:
    """A template name (``default``, ``compact``) or a path to a YAML file -> the file to read."""
    if name_or_path is None:
        name_or_path = DEFAULT_TEMPLATE
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text or os.sep in text:
        return Path(name_or_path)
    if not TEMPLATE_NAME_RE.fullmatch(text):
        raise InputError.single("--template", "", f"{text!r} is neither a template name (lower-case letters, "
                                "digits, '-' and '_') nor a path to a .yaml file", value=text)
    path = TEMPLATES_DIR / f"traveler-{text}.yaml"
    if not path.is_file():
        names = available_templates()
        raise InputError.single("--template", "", f"there is no template named {text!r}; available: "
                                f"{', '.join(names) if names else 'none'} (in {TEMPLATES_DIR}), or give a path "
                                "to a .yaml file", value=text)
    return path


def load_template(name_or_path: str | os.PathLike | None = None) -> TravelerTemplate:
    """Read and validate a traveler template by name or path."""
    path = resolve_template(name_or_path)
    data = read_yaml(path, what="traveler template")
    return template_from_data(data, str(path))


def render_text(template: TravelerTemplate, field: str, text: str, context: dict[str, Any]) -> str:
    """Render one Jinja text of ``template``; an error names the template file and ``field``."""
    if not text:
        return ""
    try:
        return _ENV.from_string(text).render(**context)
    except jinja2.UndefinedError as exc:
        raise InputError.single(template.source, field, f"{exc.message}; the variables are: "
                                f"{', '.join(sorted(context))} (recipe.id, recipe.revision, recipe.hash, ...)") from None
    except jinja2.TemplateError as exc:
        raise InputError.single(template.source, field, f"cannot be rendered: {exc}") from None
