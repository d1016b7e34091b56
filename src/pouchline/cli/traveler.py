"""``pouchline traveler``: print the batch traveler (PDF route card) of one lot."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from pouchline.cli._common import add_recipe_argument, load_recipe_from_args, positive_int
from pouchline.errors import InputError

_LOT_HELP = "capital letters, digits and dashes, 3-32 characters, pattern ^[A-Z0-9][A-Z0-9-]{2,31}$"


def iso_date(text: str) -> dt.date:
    """An argparse type: a YYYY-MM-DD date."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (a fraction such as 0.05)") from None


def check_out_path(out: str, *, suffixes: tuple[str, ...] | None = (".pdf",), what: str = "the traveler is a PDF",
                   example: str = "traveler.pdf", option: str = "--out") -> Path:
    """The output file: one of ``suffixes`` (None: any) in a folder that exists. Only ``option`` names it."""
    p = Path(out)
    if suffixes is not None and p.suffix.lower() not in suffixes:
        raise InputError.single(option, "", f"{out!r} must be a {suffixes[0]} file name ({what})", value=out)
    if p.is_dir():
        raise InputError.single(option, "", f"{out!r} is a folder; give a file name such as "
                                f"{out.rstrip('/')}/{example}", value=out)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError.single(option, "", f"cannot write {out!r}: the folder {str(folder)!r} does not exist "
                                "(create it first; pouchline does not create folders)", value=out)
    return p


def _cell_quantities(recipe, materials, args: argparse.Namespace):
    """(materials_by_step_g, cell format text, note) from the cell format, or (None, '', why not)."""
    try:
        from pouchline.cell import size_cell
    except ImportError:
        return None, "", ("Material quantities are not printed: this pouchline has no cell-format module "
                          "(pouchline.cell).")
    kwargs = {}
    if args.format:
        kwargs["format"] = args.format
    if args.layers:
        kwargs["layers"] = args.layers
    cell = size_cell(recipe, materials, **kwargs)
    from pouchline.export.traveler_model import traveler_blockers

    blockers = traveler_blockers(recipe, materials, cell, source=str(args.recipe))
    if blockers:
        raise InputError(blockers)
    el = getattr(cell, "electrode_mm", {}) or {}
    size = f", electrode {el.get('length', 0):g} x {el.get('width', 0):g} mm" if el.get("length") else ""
    name = "the recipe's pouch" if cell.format == "recipe" else cell.format
    text = f"{name}, {cell.layers} layer{'s' if cell.layers != 1 else ''}{size}"
    return cell.materials_by_step_g, text, ""


def run(args: argparse.Namespace) -> int:
    from pouchline.export.traveler import write_traveler
    from pouchline.export.traveler_twin import twin_paths, write_twin
    from pouchline.export.traveler_model import (
        build_traveler, check_cells, check_lot, check_purpose, check_scrap_allowance,
    )
    from pouchline.export.traveler_template import load_template

    # cheap checks first, so a typo in the lot number costs no sizing
    lot = check_lot(args.lot)
    cells = check_cells(args.cells)
    genealogy = {}
    for role in ("alloy", "film", "cathode"):
        value = getattr(args, f"{role}_lot")
        genealogy[role] = check_lot(value, field=f"--{role}-lot") if value is not None else None
    out = check_out_path(args.out)
    for twin_path in twin_paths(out):
        if twin_path.is_dir():
            raise InputError.single("--out", "", f"{str(twin_path)!r} (the traveler's twin, written beside the PDF) is a "
                                    "folder; choose another --out name", value=args.out)
    template = load_template(args.template)
    scrap = check_scrap_allowance(args.scrap_allowance if args.scrap_allowance is not None
                                  else template.defaults.scrap_allowance_frac)

    recipe, materials = load_recipe_from_args(args)
    purpose = check_purpose(recipe, "sample" if args.sample else "production")
    by_step, cell_format, note = _cell_quantities(recipe, materials, args)
    if args.line:
        if args.scrap_allowance is not None:
            raise InputError.single("--scrap-allowance", "", "give either --scrap-allowance or --line, not both")
        from pouchline.export.traveler_model import allowances_from_line
        from pouchline.line import load_line

        line = load_line(args.line)
        line.validate_steps(set(recipe.step_ids), source=args.line)
        if by_step is not None:
            scrap = allowances_from_line(recipe, by_step, line)
    traveler = build_traveler(
        recipe, lot=lot, cells=cells, materials=materials, materials_by_step_g=by_step,
        scrap_allowance=scrap, genealogy_lots=genealogy, issued=args.date, issue_note=note,
        cell_format=cell_format, purpose=purpose,
    )
    result = write_traveler(out, traveler, template)
    twin = write_twin(out, traveler)
    if note:
        print(f"note: {note}", file=sys.stderr)
    kind = "SAMPLE traveler" if traveler.is_sample else "production traveler"
    print(f"wrote {out}: {kind}, lot {lot}, {traveler.cells_text}, {result.pages} pages, recipe {recipe.id} rev "
          f"{recipe.revision} ({recipe.status}, {recipe.hash}), template {template.name}")
    print(f"wrote {twin[0]} and {twin[1]}: the same route, limits and capture fields for an electronic batch record")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "traveler", help="print the batch traveler (PDF route card) of one lot",
        description=(
            "Print the batch traveler of one lot from the recipe: header with lot, recipe revision and content "
            "hash, QR code and Code128 on every page; material issue list for the lot size; the routing with "
            "every parameter's target, tolerance and unit, CTQ marks, rolling passes, in-process checks and "
            "sign-off boxes; safety notes; genealogy; the lot release. Beside the PDF go its machine-readable twin "
            "(FILE.json: route, parameters, limits, capture fields, sign-offs) and an electronic-batch-record template "
            "(FILE-capture.csv: one row per value to capture), all written atomically. A production "
            "traveler needs an approved recipe revision; --sample prints a marked sample from any revision."
        ),
    )
    add_recipe_argument(p)
    p.add_argument("--lot", required=True, metavar="LOT", help=f"lot number ({_LOT_HELP}), e.g. L2611-0042")
    p.add_argument("--cells", required=True, type=positive_int, metavar="N", help="lot size in cells")
    p.add_argument("--out", required=True, metavar="FILE.pdf",
                   help="output PDF; its folder must exist; an existing file is replaced atomically; FILE.json and "
                        "FILE-capture.csv are written beside it")
    p.add_argument("--template", default=None, metavar="NAME",
                   help="layout: a name in templates/ (default, compact: templates/traveler-NAME.yaml) or a path "
                        "to a template .yaml (default: default)")
    p.add_argument("--line", metavar="LINE", default=None,
                   help="take each material's scrap allowance from this line's yields and web trim "
                        "(instead of one --scrap-allowance for all)")
    p.add_argument("--scrap-allowance", type=_fraction, default=None, metavar="FRAC",
                   help="extra material issued for scrap, as a fraction (0.05 = 5 %%; default: the template's, 0.05)")
    for role, what in (("alloy", "InSnBi alloy"), ("film", "Li6PS5Cl electrolyte film"), ("cathode", "cathode sheet")):
        p.add_argument(f"--{role}-lot", default=None, metavar="LOT",
                       help=f"parent lot of the {what} (same pattern as --lot); blank box to fill by hand if omitted")
    p.add_argument("--date", type=iso_date, default=None, metavar="YYYY-MM-DD", help="date issued (default: today)")
    p.add_argument("--format", default=None, metavar="NAME",
                   help="cell format for the material quantities (a name in recipes/formats.yaml; default: the "
                        "recipe's own single-layer pouch)")
    p.add_argument("--layers", type=positive_int, default=None, metavar="N",
                   help="layers per cell (default: the recipe's cell.packaging.layers)")
    p.add_argument("--sample", action="store_true",
                   help="print a sample marked 'SAMPLE - NOT FOR PRODUCTION' on every page; without it the "
                        "recipe must be approved (a production traveler)")
    p.set_defaults(func=run)
