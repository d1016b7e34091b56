"""The control recipe of one lot: what the batch traveler says, computed without drawing it.

ISA-88 calls the master recipe scaled to one batch a *control recipe*. Here that is:

* the lot number, checked against :data:`LOT_PATTERN` (it goes into barcodes and file names
  chosen by people, never into a path chosen by pouchline);
* the material issue list: grams per cell (from the cell format) times the lot size times
  ``1 + scrap allowance``, in the unit the stores issue in (g, kg, m², each);
* the routing: every step in order with its parameters, settings, rolling passes, in-process
  checks and glovebox readings as rows of text ready to lay out;
* the safety notes and material hazards, and the genealogy (parent lots).

Texts that state design values (``{clamp_force_kN}``, ``{bolt_count} x {bolt_size}``) are filled
from :func:`pouchline.cell.design_values.design_values` when the card is made. A *production*
traveler is printed only from an approved revision; anything else is a *sample*, marked as
such on every page (``purpose``). A revision made from another one says so on every page
("modified from rev A (hash ...)").

Everything here is pure: no files, no PDF. :mod:`pouchline.export.traveler` lays it out.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, replace
from typing import Any, Literal, Mapping, Sequence

from pouchline.errors import InputError, Problem
from pouchline.materials import MaterialLibrary, Role
from pouchline.recipe.document import Recipe
from pouchline.recipe.params import Param, source_tag
from pouchline.recipe.refs import fill, fmt_number
from pouchline.units import format_value

#: What a traveler is for: the shop floor (approved revisions only) or a marked sample.
PURPOSES = ("production", "sample")

#: A lot number: capitals, digits and dashes, 3-32 characters, starting with a letter or digit.
LOT_PATTERN_TEXT = r"^[A-Z0-9][A-Z0-9-]{2,31}$"
LOT_PATTERN = re.compile(LOT_PATTERN_TEXT)

#: Default scrap allowance when neither the template nor the caller gives one.
DEFAULT_SCRAP_ALLOWANCE = 0.05
#: Largest allowance accepted (100 % extra material).
MAX_SCRAP_ALLOWANCE = 1.0
#: Largest lot the traveler accepts; far above any pilot line, it only stops typos.
MAX_LOT_CELLS = 10_000_000


# -- lot number and lot size --------------------------------------------------------------------
def check_lot(lot: Any, field: str = "--lot") -> str:
    """Return ``lot`` if it matches :data:`LOT_PATTERN`; raise :class:`InputError` if not.

    ``L2611-0042`` is fine; ``l2611``, ``../x``, ``AB`` and ``A B`` are not.
    """
    if not isinstance(lot, str) or not LOT_PATTERN.fullmatch(lot):
        raise InputError.single(
            field, "", f"{lot!r} is not a lot number: use 3-32 capital letters, digits and dashes, "
            f"starting with a letter or digit (pattern {LOT_PATTERN_TEXT}), e.g. L2611-0042", value=lot,
        )
    return lot


def check_cells(cells: Any, field: str = "--cells") -> int:
    """The lot size in cells, 1 to :data:`MAX_LOT_CELLS`."""
    if isinstance(cells, bool) or not isinstance(cells, int) or not 1 <= cells <= MAX_LOT_CELLS:
        raise InputError.single(field, "", f"{cells!r} is not a lot size: give a whole number of cells from 1 "
                                f"to {MAX_LOT_CELLS:,}", value=cells)
    return cells


def routing_mismatch(recipe: Recipe, electrode_length_mm: float, electrode_width_mm: float) -> str:
    """Why the recipe's routing cannot make a cell of this electrode size ('' when it can).

    The punching steps, in-process checks and the fixture of the routing are written for the
    recipe's electrode; a traveler for another size would print wrong instructions.
    """
    want = sorted((round(electrode_length_mm, 3), round(electrode_width_mm, 3)))
    for step in recipe.steps_of_kind("punching"):
        if step.part == "cathode":
            got = sorted((round(step.length_mm.target, 3), round(step.width_mm.target, 3)))
            if got != want:
                return (f"the routing punches cathodes {step.length_mm.target:g} x {step.width_mm.target:g} mm "
                        f"(step {step.id}) and its checks and fixture are for that size, but the cell has "
                        f"{electrode_length_mm:g} x {electrode_width_mm:g} mm electrodes; make the recipe revision "
                        "for that format (pouchline derive RECIPE --format ... --out rev.yaml, or pouchline plan)")
    return ""


def traveler_blockers(recipe: Recipe, materials: MaterialLibrary, cell: Any = None,
                      source: str = "") -> list[Problem]:
    """Reasons not to print a traveler of ``recipe`` (for ``cell``, a sized cell): empty when none.

    A card goes to the floor as printed, so it must not contradict itself: the steps must make
    the cell the design describes (:func:`pouchline.cell.consistency.recipe_consistency`) and
    the cell's electrode must be the one the routing punches (:func:`routing_mismatch`).
    """
    from pouchline.cell.consistency import recipe_consistency

    out = recipe_consistency(recipe, materials, source)
    if cell is not None:
        why = routing_mismatch(recipe, cell.electrode_mm["length"], cell.electrode_mm["width"])
        if why:
            out.append(Problem(field="cell format", message=why, source=source))
    return out


def allowances_from_line(recipe: Recipe, materials_by_step_g: Mapping[str, Mapping[str, float]],
                         line: Any, rates: Any = None) -> dict[str, float]:
    """Scrap allowance of each material from a line's yields and web trim.

    To finish N good cells, step k must start N x F_k units, F_k = 1 / product of the yields of
    k's own branch and of assembly after it (scrap in another branch uses none of this
    material), times the web trim of k's branch; the allowance of a material used at several
    steps is the gram-weighted mean of F_k - 1. Yields: the line's station scrap rates, then the
    cost rates' default step yields (see :func:`pouchline.cost.resolve_step_yields`).
    """
    from pouchline.cost import load_rates
    from pouchline.cost.model import resolve_step_yields, start_factors, trim_multipliers, web_trim_factors

    yields, _src = resolve_step_yields(recipe, rates if rates is not None else load_rates(), line=line)
    factors = start_factors(recipe, yields, "branch")
    trim = trim_multipliers(recipe, web_trim_factors(line)) if line is not None else {}
    grams: dict[str, float] = {}
    extra: dict[str, float] = {}
    for step_id, mats in materials_by_step_g.items():
        f = factors.get(step_id, 1.0) * trim.get(step_id, 1.0)
        for mid, g in mats.items():
            grams[mid] = grams.get(mid, 0.0) + g
            extra[mid] = extra.get(mid, 0.0) + g * (f - 1.0)
    return {mid: round(extra[mid] / grams[mid], 4) for mid in grams if grams[mid] > 0}


def check_scrap_allowance(frac: Any, field: str = "--scrap-allowance") -> float:
    """A scrap allowance as a fraction, 0 to :data:`MAX_SCRAP_ALLOWANCE` (0.05 = 5 % extra)."""
    try:
        v = float(frac)
    except (TypeError, ValueError):
        v = float("nan")
    if isinstance(frac, bool) or not math.isfinite(v) or not 0.0 <= v <= MAX_SCRAP_ALLOWANCE:
        raise InputError.single(field, "", f"{frac!r} is not a scrap allowance: give a fraction from 0 to "
                                f"{MAX_SCRAP_ALLOWANCE:g} (0.05 means 5 % extra material)", value=frac)
    return v


def qr_payload(lot: str, recipe: Recipe) -> str:
    """What the QR code of the traveler encodes: ``LOT:..;RCP:..;REV:..;HASH:sha256:..``."""
    return f"LOT:{lot};RCP:{recipe.id};REV:{recipe.revision};HASH:{recipe.hash}"


def parse_qr_payload(text: str) -> dict[str, str]:
    """The fields of :func:`qr_payload` (``{'LOT': .., 'RCP': .., 'REV': .., 'HASH': ..}``)."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition(":")
        if sep:
            out[key] = value
    return out


# -- numbers as the card shows them -------------------------------------------------------------
#: Significant digits of every number printed on the card (and stored in its twin).
CARD_DIGITS = 4


def display_unit(unit_key: str) -> str:
    """The unit as printed: ``um`` -> ``µm``, ``C`` -> ``°C``, ``frac`` -> ``%`` (shown x 100)."""
    if unit_key == "frac":
        return "%"
    if unit_key == "count":
        return "count"
    shown = format_value(0.0, unit_key)  # the project's own display, e.g. '0 mg/cm²'
    return shown[1:].strip()


def _scale(unit_key: str) -> float:
    return 100.0 if unit_key == "frac" else 1.0


def card_number(value: float | None, digits: int = CARD_DIGITS) -> float | None:
    """``value`` rounded to the digits the card prints (4 significant): the number the operator
    reads and the number the twin stores are the same. ``8.02803`` -> ``8.028``."""
    if value is None:
        return None
    v = float(value)
    if v == 0 or not math.isfinite(v):
        return v
    r = round(v, digits - 1 - int(math.floor(math.log10(abs(v)))))
    return float(int(r)) if r == int(r) and abs(r) < 1e15 else r


def number_text(value: float | None) -> str:
    """A card number as text: 4 significant digits, no exponent, thousands separated above 9,999.

    ``8.028``, ``0.5075``, ``900``, ``10,500``; ``None`` is ''. :func:`parse_number` reads it back.
    """
    v = card_number(value)
    if v is None:
        return ""
    if abs(v) >= 1e4:
        return f"{v:,.0f}"
    txt = fmt_number(v, CARD_DIGITS)
    if "e" in txt:  # tiny values: plain decimals rather than an exponent
        txt = f"{v:.{CARD_DIGITS + 2 - int(math.floor(math.log10(abs(v))))}f}".rstrip("0")
    return txt


def parse_number(text: str) -> float:
    """The number of a card text (``'10,500'`` -> 10500.0, ``'−40'`` -> -40.0)."""
    return float(text.replace(",", "").replace("\u2212", "-").strip())


@dataclass(frozen=True)
class Limits:
    """A value's target and acceptance limits as printed, in the printed unit (% for fractions)."""

    target: float | None
    low: float | None
    high: float | None
    tol: float | None = None  # symmetric tolerance, when the limits are target +/- tol

    @property
    def target_text(self) -> str:
        return number_text(self.target)

    @property
    def range_text(self) -> str:
        """``'86 – 90'``, ``'≤ 0.3'``, ``'≥ 5'`` or ''."""
        if self.low is not None and self.high is not None:
            return f"{number_text(self.low)} – {number_text(self.high)}"
        if self.high is not None:
            return f"≤ {number_text(self.high)}"
        if self.low is not None:
            return f"≥ {number_text(self.low)}"
        return ""


def param_limits(p: Param, ceiling: bool = False) -> Limits:
    """The target and limits of a parameter or check as the card prints them (rounded, in % for fractions).

    ``ceiling`` reads the target as a maximum (``max_open_time_min``). A parameter with no
    tolerance and no limits has none (a nominal value).
    """
    k = _scale(p.unit)
    target = card_number(p.target * k)
    if ceiling:
        return Limits(target, None, target)
    if p.low is None and p.high is None and not p.tol:
        return Limits(target, None, None)
    low = card_number(p.lower * k) if (p.low is not None or p.tol) else None
    high = card_number(p.upper * k) if (p.high is not None or p.tol) else None
    tol = card_number(p.tol * k, 3) if (p.tol and p.low is None and p.high is None) else None
    return Limits(target, low, high, tol)


def param_texts(p: Param) -> tuple[str, str, str, str]:
    """``(target, tolerance, unit, limits)`` of a parameter as printed on the card.

    ``88 degC ± 2 K`` -> ``('88', '± 2', '°C', '86 – 90')``; limits win over a tolerance:
    ``60 min (60-75)`` -> ``('60', '60 – 75', 'min', '60 – 75')``; fractions show as %.
    """
    lim = param_limits(p)
    if p.low is not None or p.high is not None:
        if p.low is not None and p.high is not None:
            tol = f"{number_text(lim.low)} – {number_text(lim.high)}"
        elif p.high is not None:
            tol = f"max {number_text(lim.high)}"
        else:
            tol = f"min {number_text(lim.low)}"
    elif p.tol:
        tol = f"± {number_text(lim.tol)}"
    else:
        tol = "nominal"
    return lim.target_text, tol, display_unit(p.unit), lim.range_text


_LABELS = {
    "max_open_time_min": "Open time of the sulfide (max.)",
    "binder_frac": "Binder content",
    "depth_frac": "Prelithiation depth",
    "c_rate": "C-rate",
    "reduction_per_pass_frac": "Reduction per pass",
    "final_press_MPa": "Final press pressure",
    "final_press_min": "Final press time",
    "state_of_charge_frac": "State of charge for the test",
    "rest_h": "Rest before OCV1 and AC resistance",
    "aging_h": "Aging between OCV1 and OCV2",
    "acr_max_ohm_cm2": "AC resistance limit per area",
    "fixture_rated_pressure_MPa": "Fixture rated pressure",
    "alignment_tol_mm": "Alignment: edge offset (max.)",
}


def param_label(field_name: str, unit_key: str = "") -> str:
    """``temperature_C`` -> ``Temperature``; ``seal_width_mm`` -> ``Seal width``."""
    if field_name in _LABELS:
        return _LABELS[field_name]
    base = field_name
    suffix = f"_{unit_key}"
    if unit_key and base.endswith(suffix) and len(base) > len(suffix):
        base = base[: -len(suffix)]
    text = base.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


_UNIT_STYLE = (
    (re.compile(r"(\d)\s*degC\b"), "\\1 °C"), (re.compile(r"\bdegC\b"), "°C"),
    (re.compile(r"(\d)\s*um\b"), "\\1 µm"), (re.compile(r"\bum(?= grade\b)"), "µm"), (re.compile(r"\bmg/cm2\b"), "mg/cm²"), (re.compile(r"\bmAh/cm2\b"), "mAh/cm²"),
    (re.compile(r"\bcm2\b"), "cm²"), (re.compile(r"(\d)\s*m2\b"), "\\1 m²"), (re.compile(r"\bg/cm3\b"), "g/cm³"),
    (re.compile(r"\+/-"), "±"), (re.compile(r"(\d) N m\b"), "\\1 N·m"),
)


def unit_style(text: str) -> str:
    """One unit style on the card: ``300 degC`` -> ``300 °C``, ``41.5 um`` -> ``41.5 µm``, ``cm2`` -> ``cm²``,
    ``+/-`` -> ``±``. Recipe texts are typed in ASCII; the card prints the units as people write them."""
    for pattern, repl in _UNIT_STYLE:
        text = pattern.sub(repl, text)
    return text


# -- material issue -----------------------------------------------------------------------------
@dataclass(frozen=True)
class IssueLine:
    """One material to issue for the lot.

    ``per_cell`` and ``required`` are in ``unit`` (``g``, ``kg``, ``m²`` or ``each``);
    ``required`` already includes the scrap allowance and is rounded *up* to what the stores
    can weigh or count, so the lot never runs short by rounding.
    """

    material_id: str
    name: str
    role: str
    used_at: tuple[str, ...]
    per_cell_g: float
    scrap_allowance: float
    net_g: float
    required_g: float
    per_cell: float
    required: float
    unit: str
    hazard_ids: tuple[str, ...] = ()

    @property
    def per_cell_text(self) -> str:
        if self.unit == "each":
            return f"{fmt_number(self.per_cell)} each"
        if self.unit == "m²":
            return f"{self.per_cell:.4g} m²"
        return f"{fmt_number(self.per_cell_g, 4)} g"

    @property
    def required_text(self) -> str:
        if self.unit == "each":
            return f"{int(self.required):,}"
        if self.unit == "m²":
            return _fmt_fixed(self.required, 4 if self.required < 1 else 3)
        if self.unit == "kg":
            return _fmt_fixed(self.required, 3)
        return _fmt_fixed(self.required, _g_decimals(self.required))


def _fmt_fixed(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _g_decimals(grams: float) -> int:
    """Balance resolution to issue at: 0.1 mg below 1 g, 1 mg below 100 g, 0.1 g above."""
    if grams < 1:
        return 4
    if grams < 100:
        return 3
    return 1


def _ceil_to(value: float, decimals: int) -> float:
    f = 10.0 ** decimals
    # a tiny relative slack so 1.0500000000000003 does not round up to 1.051
    return math.ceil(value * f * (1 - 1e-12)) / f


def material_issue(
    materials_g_per_cell: Mapping[str, float],
    cells: int,
    scrap_allowance: float | Mapping[str, float] = DEFAULT_SCRAP_ALLOWANCE,
    *,
    library: MaterialLibrary | None = None,
    used_at: Mapping[str, Sequence[str]] | None = None,
    default_scrap_allowance: float = DEFAULT_SCRAP_ALLOWANCE,
    skip_roles: Sequence[str] = (Role.fixture.value,),
) -> list[IssueLine]:
    """The quantity of each material to issue for a lot of ``cells`` cells.

    ``materials_g_per_cell`` is grams of each material per finished cell (the cell format's
    ``CellResult.materials_g``). The required quantity is ``g_per_cell x cells x (1 + scrap)``;
    ``scrap_allowance`` is one fraction for all materials or a mapping by material id (materials
    it does not name get ``default_scrap_allowance``). Materials the library sells by the piece
    (``mass_per_each_g``, tabs) are counted in pieces, sheet goods (``areal_density_g_m2``,
    pouch film) in m², everything else in g below 1 kg and kg above. Materials of the roles in
    ``skip_roles`` (the reusable pressure fixture) are not issued per lot.

    Example: 0.35 g of Ni tab per cell is 1 each; 10,000 cells with 5 % allowance is 10,500 each.
    """
    n = check_cells(cells)
    out: list[IssueLine] = []
    for mid, g in materials_g_per_cell.items():
        g = float(g)
        if not math.isfinite(g) or g < 0:
            raise ValueError(f"materials_g_per_cell[{mid!r}] = {g!r}: grams per cell must be finite and >= 0")
        if isinstance(scrap_allowance, Mapping):
            a = scrap_allowance.get(mid, default_scrap_allowance)
        else:
            a = scrap_allowance
        a = check_scrap_allowance(a, field=f"scrap allowance of {mid}")
        mat = library.get(mid) if library is not None else None
        role = mat.role.value if mat is not None else ""
        if role and role in skip_roles:
            continue
        net_g = g * n
        req_g = net_g * (1.0 + a)
        if mat is not None and mat.mass_per_each_g:
            per_cell = g / mat.mass_per_each_g
            per_cell_r = round(per_cell, 6)
            required = float(math.ceil(per_cell_r * n * (1.0 + a) - 1e-9))
            unit = "each"
        elif mat is not None and mat.areal_density_g_m2 and mat.role == Role.packaging:
            per_cell = g / mat.areal_density_g_m2
            m2 = req_g / mat.areal_density_g_m2
            required = _ceil_to(m2, 4 if m2 < 1 else 3)
            unit = "m²"
        elif req_g >= 1000.0:
            per_cell = g
            required = _ceil_to(req_g / 1000.0, 3)
            unit = "kg"
        else:
            per_cell = g
            required = _ceil_to(req_g, _g_decimals(req_g))
            unit = "g"
        out.append(IssueLine(
            material_id=mid,
            name=unit_style(mat.name) if mat is not None else mid,
            role=role,
            used_at=tuple((used_at or {}).get(mid, ())),
            per_cell_g=g,
            scrap_allowance=a,
            net_g=net_g,
            required_g=req_g,
            per_cell=per_cell,
            required=required,
            unit=unit,
            hazard_ids=tuple(h.id for h in mat.hazards) if mat is not None else (),
        ))
    return out


_MATERIAL_ATTRS = ("product", "alloy", "substrate", "electrolyte", "binder", "lithium_source")


def material_use(recipe: Recipe) -> dict[str, list[str]]:
    """Material id -> ids of the steps that consume it (their ``inputs``), in route order."""
    out: dict[str, list[str]] = {}
    for s in recipe.steps:
        for mid in s.inputs:
            out.setdefault(mid, [])
            if s.id not in out[mid]:
                out[mid].append(s.id)
    return out


def intermediates(recipe: Recipe) -> set[str]:
    """Materials the route itself makes (the alloy of ``alloy_preparation``): not issued from stores."""
    return {p for s in recipe.steps if isinstance(p := getattr(s, "product", None), str)}


def issue_from_steps(
    recipe: Recipe, materials_by_step_g: Mapping[str, Mapping[str, float]]
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Grams per cell to issue from stores, and the steps that use each material.

    ``materials_by_step_g`` is the cell format's ``CellResult.materials_by_step_g`` (step id ->
    material id -> grams per cell). Materials made inside the route (:func:`intermediates`, e.g.
    the InSnBi alloy cast at ``melt_cast`` after ``alloy_prep`` made it from In, Sn and Bi) are
    left out: the stores issue the feed, not the intermediate.
    """
    made = intermediates(recipe)
    rank = {s.id: i for i, s in enumerate(recipe.steps)}
    totals: dict[str, float] = {}
    used: dict[str, list[str]] = {}
    for sid in sorted(materials_by_step_g, key=lambda k: rank.get(k, len(rank))):
        for mid, g in materials_by_step_g[sid].items():
            if mid in made:
                continue
            totals[mid] = totals.get(mid, 0.0) + float(g)
            if sid in rank and sid not in used.setdefault(mid, []):
                used[mid].append(sid)
    return totals, used


def issue_order(recipe: Recipe, material_ids: Sequence[str],
                used_at: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """``material_ids`` sorted by the first step that uses them; unknown ones last.

    ``used_at`` (material -> step ids) wins over the steps' ``inputs`` lists.
    """
    rank = {s.id: i for i, s in enumerate(recipe.steps)}
    pos = {(s.id, mid): j for s in recipe.steps for j, mid in enumerate(s.inputs)}
    by_inputs = material_use(recipe)

    def key(mid: str) -> tuple[int, int, str]:
        sids = (used_at or {}).get(mid) or by_inputs.get(mid, [])
        firsts = [(rank[sid], pos.get((sid, mid), 999)) for sid in sids if sid in rank]
        return (*min(firsts, default=(len(rank), 0)), mid)

    return sorted(material_ids, key=key)


# -- routing ------------------------------------------------------------------------------------
#: What a row asks the operator to write: one value; for a check of every cell, the lot's lowest and
#: highest reading and the cells rejected; for a pass/fail check of every cell, the cells rejected;
#: a tick when a sequence is done.
CAPTURE_VALUE = ("actual",)
CAPTURE_PER_CELL = ("min", "max", "rejected")
CAPTURE_REJECTS = ("rejected",)
CAPTURE_DONE = ("done",)
#: A check done on every cell (its frequency), rather than on a sample of the lot.
EVERY_CELL = "every cell"


@dataclass(frozen=True)
class RoutingRow:
    """One line of a step on the card.

    ``kind`` is ``param`` (a process parameter), ``setting`` (a fixed setting with no
    tolerance), ``pass`` (one pass of a rolling schedule), ``check`` (an in-process or acceptance
    check), ``env`` (a glovebox or dry-room reading before the step starts), ``torque`` and
    ``sequence`` (the fixture's bolting). ``target``/``limits`` are the printed texts of
    ``target_value``/``low``/``high`` (numbers in the printed unit, rounded as printed: the twin
    stores these). ``capture`` names what is written in the row's box (:data:`CAPTURE_VALUE` ...);
    ``record`` is true when there is a box. ``source`` is the figure's full source text.
    """

    kind: str
    label: str
    field: str = ""
    target: str = ""
    tolerance: str = ""
    unit: str = ""
    limits: str = ""
    ctq: bool = False
    record: bool = False
    source: str = ""
    method: str = ""
    no: str = ""
    target_value: float | None = None
    low: float | None = None
    high: float | None = None
    capture: tuple[str, ...] = ()
    ref: str = ""  # where a value that follows the design comes from (cell.<path>, derived.<name>, ...)

    @property
    def source_tag(self) -> str:
        """``paper``, ``derived``, ... or ``design`` for a value that follows the design."""
        if self.source == "design":
            return "design"
        return source_tag(self.source) or ""

    @property
    def per_cell(self) -> bool:
        return self.capture in (CAPTURE_PER_CELL, CAPTURE_REJECTS)


@dataclass(frozen=True)
class StepRecord:
    """A box of a step that is not a process value: equipment, calibration, quantities, times, sign-off."""

    field: str
    label: str
    unit: str = ""


@dataclass(frozen=True)
class RoutingStep:
    no: int
    id: str
    name: str
    kind: str
    atmosphere: str
    atmosphere_kind: str
    equipment: str
    inputs: tuple[str, ...]
    output: str
    safety: tuple[tuple[str, str], ...]
    notes: str
    rows: tuple[RoutingRow, ...]
    qty_unit: str = "units"
    time_limit: str = ""  # '' or the hold / exposure limit the start and end times are checked against
    records: tuple[StepRecord, ...] = ()

    @property
    def has_ctq(self) -> bool:
        return any(r.ctq for r in self.rows)

    def record(self, field: str) -> StepRecord | None:
        return next((r for r in self.records if r.field == field), None)


#: Step fields that are not settings to print as rows (they are printed elsewhere or expanded).
_NOT_SETTINGS = frozenset({"id", "name", "kind", "atmosphere", "equipment", "inputs", "output", "checks",
                           "safety", "notes", "passes_um"})

#: What a step's quantities in, out and scrapped are counted in: powder and melt by mass, webs by
#: area, cut parts by the sheet, from stacking on by the cell.
QTY_UNITS: dict[str, str] = {
    "alloy_preparation": "g", "melt_cast": "m²", "quench": "m²", "rolling_schedule": "m²", "film_fibrillation": "g",
    "film_rolling": "m²", "cathode_blending": "g", "hot_rolling": "m²", "punching": "sheets",
    "prelithiation": "sheets", "stacking": "cells", "sealing": "cells", "clamping": "cells", "formation": "cells",
    "release": "cells",
}
#: Time units of a hold (a recorded parameter in one of these with explicit limits gets start and end times).
_TIME_UNITS = ("s", "min", "h")


def _setting_rows(step: Any, materials: MaterialLibrary | None, values: Mapping[str, Any],
                  skip: frozenset[str] = frozenset()) -> list[RoutingRow]:
    rows: list[RoutingRow] = []
    for name in type(step).model_fields:
        if name in _NOT_SETTINGS or name in skip:
            continue
        v = getattr(step, name)
        if v is None or isinstance(v, Param):
            continue
        unit_key = ""
        for key in ("C", "MPa", "um", "mm", "frac", "min", "s"):
            if name.endswith("_" + key):
                unit_key = key
                break
        target, method, value = "", "", None
        if isinstance(v, bool):
            target = "yes" if v else "no"
        elif isinstance(v, (int, float)):
            value = card_number(float(v) * _scale(unit_key))
            target = number_text(value)
        elif isinstance(v, (list, tuple)):
            method = " / ".join(str(x).replace("_", " ") for x in v)
        elif name in _MATERIAL_ATTRS and materials is not None and str(v) in materials:
            method = unit_style(materials[str(v)].name)
        else:
            method = _fill(str(v), values)
        rows.append(RoutingRow(kind="setting", label=param_label(name, unit_key), field=name, target=target,
                               unit=display_unit(unit_key) if unit_key else "", method=method, target_value=value))
    return rows


def _fill(text: str, values: Mapping[str, Any]) -> str:
    """A recipe text with its design values filled in, in the card's unit style."""
    return unit_style(fill(text, values) if values else text)


def card_values(recipe: Recipe, materials: MaterialLibrary | None) -> Mapping[str, Any]:
    """The design values the card's texts are filled with (none without a materials library)."""
    if materials is None:
        return {}
    from pouchline.cell.design_values import design_values

    return design_values(recipe, materials)


def _value(values: Mapping[str, Any], name: str) -> Any:
    v = values.get(name)
    return getattr(v, "value", v)


def _bolting_rows(values: Mapping[str, Any]) -> list[RoutingRow]:
    """Bolt torque and tightening sequence of the fixture (:mod:`pouchline.cell.fixture`), as the card asks them."""
    torque = _value(values, "bolt_torque_Nm")
    if not isinstance(torque, (int, float)) or not torque > 0:
        return []
    seq, stages = str(_value(values, "bolt_sequence") or ""), str(_value(values, "bolt_stages") or "")
    fracs = [float(x.strip().rstrip("%").strip()) / 100.0 for x in stages.split("/") if x.strip()]
    steps = ", ".join(f"{100 * f:g} % = {number_text(f * torque)} N·m" for f in fracs)
    t = card_number(torque)
    bolts = f"{_value(values, 'bolt_count')} x {_value(values, 'bolt_size')} class {_value(values, 'bolt_class')}"
    preload = _value(values, "bolt_preload_kN")
    each = f" for {number_text(card_number(preload))} kN preload each (ISO 898-1)" \
        if isinstance(preload, (int, float)) and preload > 0 else ""
    return [
        RoutingRow(kind="torque", label=f"Bolt torque, {bolts}", field="bolt_torque", target=number_text(t),
                   tolerance="nominal", unit="N·m", record=True, capture=CAPTURE_VALUE, target_value=t,
                   method=f"torque wrench set to the final torque; T = K F d{each} from the fixture model",
                   source="derived: T = K F d, the preload of each bolt at its ISO898-1 proof load share "
                          "(Shigley2015 Sec. 8-8)"),
        RoutingRow(kind="sequence", label="Tightening sequence, bolts numbered clockwise", field="tightening_sequence",
                   target=" / ".join(f"{100 * f:g}" for f in fracs), unit="% of torque", record=True,
                   capture=CAPTURE_DONE,
                   method=f"cross pattern {seq} at {steps}; then clockwise at 100 % until no nut turns",
                   source="sourced: ASME2019 legacy cross pattern and torque stages"),
    ]


def _check_row(c: Any, values: Mapping[str, Any]) -> RoutingRow:
    lim = param_limits(c.spec)
    target, tol, unit, limits = param_texts(c.spec)
    every = (c.frequency or "").strip().lower() == EVERY_CELL
    passfail = c.spec.unit == "count" and c.spec.target == 0 and (c.spec.high == 0)
    if passfail:  # a defect count that must be zero: printed '0 defects'
        target, tol, unit, limits = "0", "none", "defects", "0"
    capture = (CAPTURE_REJECTS if passfail else CAPTURE_PER_CELL) if every else CAPTURE_VALUE
    method = _fill(c.method, values) + (f"; {c.frequency}" if c.frequency and c.frequency != "every lot" else "")
    return RoutingRow(kind="check", label=f"Check: {_fill(c.name, values)}", field=c.id, target=target,
                      tolerance=tol, unit=unit, limits=limits, ctq=c.spec.ctq, record=True, capture=capture,
                      method=method, source="design" if c.spec.ref and not c.spec.source else (c.spec.source or ""),
                      target_value=lim.target, low=lim.low, high=lim.high, ref=c.spec.ref or "")


def _acr_row(step: Any, values: Mapping[str, Any]) -> RoutingRow | None:
    """The release step's AC-resistance limit for this cell: the per-area limit over the stack's area."""
    area = _value(values, "stack_area_cm2")
    if not hasattr(step, "acr_max_mohm") or not isinstance(area, (int, float)) or not area > 0:
        return None
    high = card_number(step.acr_max_mohm(area))
    layers, el_area = _value(values, "layers"), _value(values, "electrode_area_cm2")
    return RoutingRow(
        kind="check", label="Check: AC resistance at 1 kHz after the rest", field="acr", target=number_text(high),
        tolerance=f"max {number_text(high)}", unit="mΩ", limits=f"≤ {number_text(high)}", ctq=True, record=True,
        capture=CAPTURE_PER_CELL, high=high, target_value=high,
        method=(f"1 kHz meter, 4-wire; limit {number_text(step.acr_max_ohm_cm2.target)} Ω·cm² / ({layers} x "
                f"{number_text(el_area)} cm²); every cell"),
        source=step.acr_max_ohm_cm2.source or "")


def _time_limit(step: Any) -> str:
    """The hold or exposure limit a step's start and end times are checked against ('' when none)."""
    p = getattr(step, "max_open_time_min", None)
    parts = []
    if p is not None:
        parts.append(f"Open time of the sulfide ≤ {number_text(p.target)} min")
    for name, q in step.parameters().items():
        if name == "max_open_time_min" or q.unit not in _TIME_UNITS or not q.record:
            continue
        if q.low is not None or q.high is not None:
            parts.append(f"{param_label(name, q.unit)} {param_limits(q).range_text} {display_unit(q.unit)}")
    return "; ".join(parts)


def _step_records(step: Any, rows: Sequence[RoutingRow], time_limit: str) -> tuple[StepRecord, ...]:
    unit = QTY_UNITS.get(step.kind, "units")
    out = []
    if step.equipment:
        out += [StepRecord("equipment_id", "Equipment ID"), StepRecord("calibration_due", "Calibration due")]
    out += [StepRecord("qty_in", "Quantity in", unit), StepRecord("qty_out", "Quantity out", unit),
            StepRecord("qty_scrap", "Scrap (in - out)", unit)]
    if time_limit:
        out += [StepRecord("start_time", "Start (date, time)"), StepRecord("end_time", "End (date, time)")]
    out.append(StepRecord("operator", "Operator (name, signature)"))
    if any(r.ctq for r in rows):
        out.append(StepRecord("verifier", "Verifier (required: CTQ step)"))
    out.append(StepRecord("signed_at", "Date / time"))
    return tuple(out)


def routing(recipe: Recipe, materials: MaterialLibrary | None = None,
            values: Mapping[str, Any] | None = None) -> list[RoutingStep]:
    """Every step of ``recipe`` in order as rows for the traveler.

    Rows per step: glovebox O2/H2O or dry-room dew-point readings, process parameters with
    target, tolerance, unit, acceptance limits and CTQ mark, fixed settings, the rolling schedule
    pass by pass (target exit thickness after each pass), the fixture's bolt torque and tightening
    sequence (clamping), the step's checks, and for the release step its AC-resistance limit for
    this cell. A parameter that follows the design names it (``from cell...``) in its method; a
    ``max_`` parameter (the sulfide's open time) is a ceiling to record. Every step also asks for
    equipment ID and calibration date, quantities in, out and scrapped, start and end times where a
    hold or exposure limit applies, and sign-offs (:class:`StepRecord`). Texts are filled with
    ``values`` (default: the recipe's design values).
    """
    if values is None:
        values = card_values(recipe, materials)
    steps: list[RoutingStep] = []
    for no, s in enumerate(recipe.steps, start=1):
        atm = recipe.atmosphere(s.atmosphere)
        rows: list[RoutingRow] = []
        if atm.kind == "argon_glovebox":
            for gas, limit in (("O2", atm.o2_ppm_max), ("H2O", atm.h2o_ppm_max)):
                rows.append(RoutingRow(kind="env", label=f"Glovebox {gas} before start", field=f"glovebox_{gas.lower()}",
                                       target=f"< {number_text(limit)}", unit="ppm",
                                       limits=f"< {number_text(limit)}", record=True, capture=CAPTURE_VALUE,
                                       high=card_number(limit), method="box analyser reading; stop if above the limit",
                                       source=atm.source or ""))
        elif atm.kind == "dry_room":
            dp = card_number(atm.dew_point_C_max)
            rows.append(RoutingRow(kind="env", label="Dry-room dew point before start", field="dew_point",
                                   target=f"≤ {number_text(dp)}", unit="°C", limits=f"≤ {number_text(dp)}",
                                   record=True, capture=CAPTURE_VALUE, high=dp, method="dew-point meter reading",
                                   source=atm.source or ""))
        for name, p in s.parameters().items():
            ceiling = name.startswith("max_") or "_tol_" in name  # a most-allowed value (open time, offset)
            lim = param_limits(p, ceiling=ceiling)
            target, tol, unit, limits = param_texts(p)
            if ceiling:
                tol, limits = "maximum", lim.range_text
            method = "; ".join(x for x in ("follows the design" if p.ref else "", unit_style(p.note or "")) if x)
            rows.append(RoutingRow(kind="param", label=param_label(name, p.unit), field=name, target=target,
                                   tolerance=tol, unit=unit, limits=limits, ctq=p.ctq, record=p.record,
                                   capture=CAPTURE_VALUE if p.record else (),
                                   source="design" if p.ref and not p.source else (p.source or ""), method=method,
                                   target_value=lim.target, low=lim.low, high=lim.high, ref=p.ref or ""))
        bolting = _bolting_rows(values) if s.kind == "clamping" else []
        rows.extend(_setting_rows(s, materials, values, skip=frozenset({"bolts"}) if bolting else frozenset()))
        rows.extend(bolting)
        if s.kind == "rolling_schedule":
            sched = s.schedule_um()
            prev = s.start_thickness_um.target
            tp = s.target_thickness_um
            for i, h in enumerate(sched, start=1):
                last = i == len(sched)
                lim = param_limits(tp) if last else Limits(card_number(h), None, None)
                rows.append(RoutingRow(
                    kind="pass", label=f"Pass {i} of {len(sched)}", field=f"pass_{i}",
                    target=f"{h:.1f}", tolerance=(f"± {number_text(lim.tol)}" if last and lim.tol else ""),
                    unit="µm", limits=(lim.range_text if last else ""), ctq=last and tp.ctq, record=True,
                    capture=CAPTURE_VALUE, method=f"from {prev:.1f} µm, reduction {100 * (1 - h / prev):.0f} %",
                    target_value=round(h, 1), low=lim.low if last else None, high=lim.high if last else None,
                    source=(tp.source or "") if last else "derived: equal reductions per pass (recipe.conversions)",
                ))
                prev = h
        for c in s.checks:
            rows.append(_check_row(c, values))
        if s.kind == "release":
            acr = _acr_row(s, values)
            if acr is not None:
                rows.append(acr)
        rows = [replace(r, no=f"{no}.{k}") for k, r in enumerate(rows, start=1)]
        inputs = tuple(
            (unit_style(materials[m].name) if materials is not None and m in materials else m) for m in s.inputs
        )
        limit = _time_limit(s)
        steps.append(RoutingStep(
            no=no, id=s.id, name=_fill(s.name, values), kind=s.kind, atmosphere=atm.describe(),
            atmosphere_kind=atm.kind, equipment=_fill(s.equipment, values), inputs=inputs,
            output=_fill(s.output, values), safety=tuple((n, recipe.safety_note(n).title) for n in s.safety),
            notes=_fill(s.notes, values), rows=tuple(rows), qty_unit=QTY_UNITS.get(s.kind, "units"),
            time_limit=limit, records=_step_records(s, rows, limit),
        ))
    return steps


def release_criteria(steps: Sequence[RoutingStep]) -> list[tuple[RoutingStep, RoutingRow]]:
    """The acceptance criteria the lot release needs: every check of every cell (formation, release)."""
    return [(s, r) for s in steps for r in s.rows if r.per_cell]


# -- safety and genealogy -----------------------------------------------------------------------
@dataclass(frozen=True)
class SafetyLine:
    id: str
    title: str
    text: str
    steps: tuple[int, ...]
    source: str = ""


def safety_lines(recipe: Recipe, values: Mapping[str, Any] | None = None) -> list[SafetyLine]:
    """Every safety note of the recipe with the numbers of the steps it applies to, filled with ``values``."""
    out = []
    for n in recipe.safety_notes:
        nos = tuple(i for i, s in enumerate(recipe.steps, start=1) if n.id in s.safety)
        out.append(SafetyLine(id=n.id, title=_fill(n.title, values or {}), text=_fill(n.text, values or {}),
                              steps=nos, source=n.source or ""))
    return out


def material_hazards(recipe: Recipe, materials: MaterialLibrary | None, material_ids: Sequence[str]) -> list[SafetyLine]:
    """Hazards of the issued materials that no safety note of the recipe already covers (by id)."""
    if materials is None:
        return []
    covered = {n.id for n in recipe.safety_notes}
    use = material_use(recipe)
    rank = {s.id: i for i, s in enumerate(recipe.steps, start=1)}
    out: list[SafetyLine] = []
    seen: set[str] = set()
    for mid in material_ids:
        m = materials.get(mid)
        if m is None:
            continue
        for h in m.hazards:
            if h.id in covered or h.id in seen:
                continue
            seen.add(h.id)
            nos = tuple(sorted(rank[s] for s in use.get(mid, ()) if s in rank))
            out.append(SafetyLine(id=h.id, title=unit_style(m.name), text=unit_style(h.text), steps=nos,
                                  source=h.source or ""))
    return out


@dataclass(frozen=True)
class GenealogyLine:
    """A parent lot that feeds this lot: filled in from options or by hand on the card."""

    role: str
    description: str
    produced_at: tuple[str, ...]
    lot: str | None


_GENEALOGY = (
    ("alloy", "Anode alloy", ("alloy_preparation", "melt_cast", "quench", "rolling_schedule")),
    ("film", "Li6PS5Cl electrolyte film", ("film_fibrillation", "film_rolling")),
    ("cathode", "Cathode sheet", ("cathode_blending", "hot_rolling")),
)


def genealogy(recipe: Recipe, materials: MaterialLibrary | None = None,
              lots: Mapping[str, str | None] | None = None) -> list[GenealogyLine]:
    """The parent lots of this lot: the alloy, the electrolyte film and the cathode sheet.

    ``lots`` maps ``alloy``/``film``/``cathode`` to a lot number (checked like the lot) or None
    for a blank box.
    """
    lots = dict(lots or {})
    unknown = set(lots) - {g[0] for g in _GENEALOGY}
    if unknown:
        raise ValueError(f"unknown genealogy roles {sorted(unknown)}; expected alloy, film, cathode")
    out = []
    for role, label, kinds in _GENEALOGY:
        desc = label
        if materials is not None:
            if role == "alloy" and recipe.cell.anode.alloy in materials:
                desc = f"{label}: {materials[recipe.cell.anode.alloy].name}"
            elif role == "film":
                desc = f"{label}, {recipe.cell.electrolyte_film.thickness_um.target:g} µm"
            elif role == "cathode":
                desc = f"{label}, {recipe.cell.cathode.active_loading_mg_cm2.target:g} mg/cm² active"
        produced = tuple(s.id for s in recipe.steps if s.kind in kinds)
        lot = lots.get(role)
        if lot is not None:
            lot = check_lot(lot, field=f"--{role}-lot")
        out.append(GenealogyLine(role=role, description=desc, produced_at=produced, lot=lot))
    return out


# -- the whole card -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Traveler:
    """Everything printed on the traveler of one lot (the control recipe), as plain data."""

    lot: str
    cells: int
    issued: dt.date
    recipe_id: str
    revision: str
    status: str
    title: str
    content_hash: str
    short_hash: str
    qr: str
    scrap_allowance: float | Mapping[str, float]
    issue: tuple[IssueLine, ...] | None
    issue_note: str
    issue_materials: tuple[tuple[str, str], ...]
    routing: tuple[RoutingStep, ...]
    safety: tuple[SafetyLine, ...]
    hazards: tuple[SafetyLine, ...]
    genealogy: tuple[GenealogyLine, ...]
    cell_format: str = ""
    purpose: str = "sample"
    parent_text: str = ""

    @property
    def is_sample(self) -> bool:
        return self.purpose != "production"

    @property
    def release_criteria(self) -> list[tuple[RoutingStep, RoutingRow]]:
        """The checks of every cell the lot release needs (:func:`release_criteria`)."""
        return release_criteria(self.routing)

    @property
    def cells_text(self) -> str:
        """``'1 cell'``, ``'10,000 cells'``."""
        return f"{self.cells:,} cell{'' if self.cells == 1 else 's'}"

    @property
    def scrap_text(self) -> str:
        """``'5 %'`` or ``'per material, 2-8 %'``."""
        a = self.scrap_allowance
        if isinstance(a, Mapping):
            vals = sorted(set(a.values()))
            if len(vals) == 1:
                return f"{100 * vals[0]:g} %"
            return f"per material, {100 * vals[0]:g}–{100 * vals[-1]:g} %"
        return f"{100 * a:g} %"


def build_traveler(
    recipe: Recipe,
    *,
    lot: str,
    cells: int,
    materials: MaterialLibrary | None = None,
    materials_g_per_cell: Mapping[str, float] | None = None,
    materials_by_step_g: Mapping[str, Mapping[str, float]] | None = None,
    scrap_allowance: float | Mapping[str, float] = DEFAULT_SCRAP_ALLOWANCE,
    genealogy_lots: Mapping[str, str | None] | None = None,
    issued: dt.date | None = None,
    issue_note: str = "",
    cell_format: str = "",
    purpose: Literal["production", "sample"] = "sample",
) -> Traveler:
    """The control recipe of one lot of ``recipe``.

    ``purpose='production'`` is refused (:class:`InputError`) unless the recipe is approved; a
    sample is printed from any revision and marked "SAMPLE - NOT FOR PRODUCTION" on every page.

    Material quantities come from ``materials_by_step_g`` (preferred: feed materials by step,
    see :func:`issue_from_steps`) or ``materials_g_per_cell`` (grams per cell, issued as given).
    With neither, the issue list names the materials the steps consume with blank quantities
    and ``issue_note`` (say why) is printed above it. ``cell_format`` describes the format the
    quantities are for (e.g. ``'paper 35 x 50 mm, 1 layer'``).
    """
    check_lot(lot)
    check_cells(cells)
    check_purpose(recipe, purpose)
    if not isinstance(scrap_allowance, Mapping):
        scrap_allowance = check_scrap_allowance(scrap_allowance)
    use = material_use(recipe)
    if materials_by_step_g is not None:
        materials_g_per_cell, use = issue_from_steps(recipe, materials_by_step_g)
    if materials_g_per_cell is not None:
        ordered = {m: materials_g_per_cell[m] for m in issue_order(recipe, list(materials_g_per_cell), use)}
        issue: tuple[IssueLine, ...] | None = tuple(material_issue(
            ordered, cells, scrap_allowance, library=materials, used_at=use))
        ids = [i.material_id for i in issue]
    else:
        issue = None
        ids = issue_order(recipe, [m for m in use if m not in intermediates(recipe)])
    names = tuple((m, unit_style(materials[m].name) if materials is not None and m in materials else m) for m in ids)
    values = card_values(recipe, materials)
    return Traveler(
        lot=lot, cells=cells, issued=issued or dt.date.today(),
        recipe_id=recipe.id, revision=recipe.revision, status=recipe.status, title=recipe.title,
        content_hash=recipe.hash, short_hash=recipe.short_hash, qr=qr_payload(lot, recipe),
        scrap_allowance=scrap_allowance, issue=issue, issue_note=issue_note, issue_materials=names,
        routing=tuple(routing(recipe, materials, values)), safety=tuple(safety_lines(recipe, values)),
        hazards=tuple(material_hazards(recipe, materials, ids)),
        genealogy=tuple(genealogy(recipe, materials, genealogy_lots)), cell_format=cell_format,
        purpose=purpose, parent_text=recipe.parent_text,
    )


def check_purpose(recipe: Recipe, purpose: Any, field: str = "--sample") -> str:
    """``purpose`` if the recipe may be printed for it: production needs an approved revision."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose {purpose!r} is not one of {PURPOSES}")
    if purpose == "production" and recipe.status != "approved":
        why = f" ({recipe.parent_text})" if recipe.parent_text else ""
        raise InputError.single(
            field, "", f"recipe {recipe.id} rev {recipe.revision} is {recipe.status}{why}, not approved: a production "
            "traveler needs an approved revision (status approved, approved_by, approved_date); print a marked "
            "sample with --sample", value=recipe.status)
    return purpose
