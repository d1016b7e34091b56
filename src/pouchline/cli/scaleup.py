"""``pouchline scaleup RECIPE --targets 0.01,0.1,1,10``: the sized plant at several volumes.

Parsing and printing only; the work is :func:`pouchline.plant.scaleup.scale_up`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pouchline.cli._common import (
    add_cell_size_options,
    add_recipe_argument,
    cell_size_kwargs,
    load_recipe_from_args,
    positive_float,
    print_json,
)
from pouchline.cli.size import add_plant_options
from pouchline.errors import InputError

DEFAULT_TARGETS = "0.01,0.1,1,10"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "scaleup", help="the plant at several annual volumes: machines, capex, floor, crew, $/kWh, supply share",
        description="For each target (GWh/yr of good cells) size the plant as `pouchline size` does (machines per "
                    "station from the equipment catalogue, simulated, a machine added at the bottleneck until the "
                    "lower 95 %% bound of the simulated output meets the target) and cost it at its simulated output "
                    "as `pouchline cost --annual-MWh --simulate` does; add the tightest element's share of world "
                    "production at the target. Prints one column per target; --out writes scaleup.csv and charts. "
                    "Each target is a simulation: about a minute at 10 GWh/yr of the 10 Ah cell on two cores.")
    add_recipe_argument(p)
    p.add_argument("--targets", default=DEFAULT_TARGETS, metavar="X,Y,...",
                   help=f"annual volumes, GWh/yr of good cells, separated by commas (default {DEFAULT_TARGETS})")
    add_cell_size_options(p)
    add_plant_options(p)
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    p.add_argument("--prices", choices=("low", "base", "high"), default="base",
                   help="material price scenario of recipes/materials.yaml (default base)")
    p.add_argument("--threshold-pct", dest="threshold_pct", type=positive_float, default=1.0, metavar="P",
                   help="flag elements above P %% of world production as a supply risk (default 1)")
    p.add_argument("--rates", metavar="PATH", help="cost-rates YAML (default: recipes/cost-rates.yaml)")
    p.add_argument("--equipment", metavar="PATH", help="equipment catalogue (default: recipes/equipment.yaml)")
    p.add_argument("--out", "-o", metavar="DIR", help="write scaleup.csv, scaleup.json and charts/*.png into DIR "
                   "(created if missing; every file written atomically)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


#: The rows of the printed table: (key, label, formatter name).
_SHOWN: tuple[tuple[str, str, str], ...] = (
    ("cells_per_yr", "good cells per year", "count"),
    ("MWh_per_yr", "simulated output, MWh/yr", "number"),
    ("MWh_per_yr_lower95", "  lower 95 % bound, MWh/yr", "number"),
    ("machines", "machines", "count"),
    ("machine_classes", "  stations per machine class", "text"),
    ("equipment_capex_usd", "equipment capex", "usd"),
    ("capex_per_GWh_usd", "  per GWh/yr", "usd"),
    ("fixtures", "30 MPa fixtures in circulation", "count"),
    ("fixture_capex_usd", "  their capex", "usd"),
    ("floor_m2", "floor, m²", "number"),
    ("dry_room_m2", "  of which dry room, m²", "number"),
    ("operators_per_shift", "operators per shift", "number"),
    ("electricity_MWh_per_yr", "electricity, MWh/yr", "number"),
    ("cost_per_cell_usd", "cost per cell, USD", "number"),
    ("material_cost_per_cell_usd", "  materials, USD", "number"),
    ("process_cost_per_cell_usd", "  process, USD", "number"),
    ("cost_per_kWh_usd", "cost per kWh, USD", "number"),
    ("material_cost_per_kWh_usd", "  materials, USD", "number"),
    ("process_cost_per_kWh_usd", "  process, USD", "number"),
    ("material_share_frac", "  materials' share", "pct"),
    ("bottleneck", "bottleneck", "text"),
    ("tightest_element", "tightest element", "text"),
    ("tightest_share_of_world_frac", "  its share of world output", "pct"),
)


def _fmt(value: Any, how: str) -> str:
    from pouchline.display import fmt_count, fmt_number, fmt_pct, fmt_usd, fmt_value

    if how == "count":
        return fmt_count(value)
    if how == "usd":
        return fmt_usd(value)
    if how == "pct":
        return fmt_pct(value)
    if how == "number":
        return fmt_number(value)
    return fmt_value(value)


def render_text(res: Any) -> str:
    """The scale-up table with one column per target, and what each row is."""
    from pouchline.display import fmt_number, register_labels, text_table

    rows = res.rows
    heads = [f"{fmt_number(r['target_GWh_per_yr'])} GWh/yr" for r in rows]
    register_labels({h: h for h in heads})  # column heads as written (the label rules would split "0.01")
    table = [{"quantity": label, **{h: _fmt(r[key], how) for h, r in zip(heads, rows)}} for key, label, how in _SHOWN]
    o = res.options
    out = [f"pouchline scaleup  {res.recipe_id}: {res.layers}-layer, {fmt_number(res.capacity_Ah)} Ah, "
           f"{fmt_number(res.energy_Wh)} Wh cells; {o['machine_class']} machines, {o['maturity']} yields, "
           f"{o['prices']} prices", "", text_table(table, ["quantity", *heads]), ""]
    missed = [h for h, r in zip(heads, rows) if not r["met"]]
    if missed:
        out.append(f"NOT met at the lower 95 % bound: {', '.join(missed)} (see --json: iterations)")
    out += [res.headline(), "",
            f"Each column is `pouchline size --target-GWh X` with these options (simulated {fmt_number(o['days'])} days "
            f"after {fmt_number(o['warmup_days'])} warm-up days x {o['replications']} replications, seed {o['seed']}), "
            "costed at its simulated output like `pouchline cost --annual-MWh 1000X --simulate`; the element's share "
            "of world production is at the target."]
    return "\n".join(out)


def out_folder(out_dir: str | None, *, create: bool = True) -> Path | None:
    """The ``--out`` folder, with its ``charts/`` when ``create`` (``None`` without one); a file there is an
    InputError (check it with ``create=False`` before a long run)."""
    if out_dir is None:
        return None
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError.single("--out", "", f"{out_dir!r} is a file; give a folder")
    if not create:
        return out
    try:
        (out / "charts").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError.single("--out", "", f"{out_dir!r} cannot be created: {exc.strerror or exc}") from None
    return out


def json_text(res: Any) -> str:
    """A result's ``to_dict()`` as indented JSON text."""
    import json

    return json.dumps(res.to_dict(), indent=2, ensure_ascii=False) + "\n"


def emit(res: Any, args: argparse.Namespace, write: Any, render: Any) -> int:
    """Write ``--out`` files (``write(res, folder)``) and print ``--json`` (with the files) or ``render(res)``."""
    written = write(res, out_folder(args.out)) if args.out is not None else []
    if args.json:
        d = res.to_dict()
        d["files"] = [str(p) for p in written]
        print_json(d)
    else:
        print(render(res))
        for p in written:
            print(f"wrote {p}")
    return 0


def write_outputs(res: Any, out: Path) -> list[Path]:
    """scaleup.csv, scaleup.json and the charts into ``out`` (:func:`out_folder`), each written atomically."""
    from pouchline.export import charts
    from pouchline.fileio import atomic_write

    table = res.table()
    written = [atomic_write(out / "scaleup.csv", table.to_csv(index=False)), atomic_write(out / "scaleup.json", json_text(res))]
    label = f"{res.recipe_id}, {res.layers} layers, {res.energy_Wh:.3g} Wh"
    figs = {"scaleup_cost_capex.png": charts.scaleup_cost_and_capex(table, f"Cost and capex against volume — {label}"),
            "scaleup_cost_share.png": charts.scaleup_cost_share(table, f"Materials and process share — {label}")}
    for name, fig in figs.items():
        written.append(atomic_write(out / "charts" / name, charts.figure_png(fig)))
    return written


def run(args: argparse.Namespace) -> int:
    from pouchline.cell import size_cell
    from pouchline.cost import load_rates
    from pouchline.cost.rates import DEFAULT_RATES_PATH
    from pouchline.equipment import DEFAULT_EQUIPMENT_PATH, load_catalogue
    from pouchline.plant.scaleup import parse_targets, scale_up

    targets = parse_targets(args.targets)
    if args.threshold_pct > 100:
        raise InputError.single("--threshold-pct", "", f"{args.threshold_pct:g} is not a share of world production; "
                                "allowed: more than 0 and at most 100", args.threshold_pct)
    recipe, materials = load_recipe_from_args(args)
    cell = size_cell(recipe, materials, **cell_size_kwargs(args))
    rates = load_rates(args.rates or DEFAULT_RATES_PATH)
    catalogue = load_catalogue(args.equipment or DEFAULT_EQUIPMENT_PATH)
    out_folder(args.out, create=False)  # before the run
    say = None if args.json else (lambda text: print(text, file=sys.stderr))
    try:
        res = scale_up(recipe, materials, cell, targets, rates=rates, catalogue=catalogue,
                       machine_class=args.machine_class, maturity=args.maturity, days=args.days,
                       warmup_days=args.warmup_days, replications=args.replications, seed=args.seed,
                       prices=args.prices, threshold_frac=args.threshold_pct / 100.0, progress=say)
    except ValueError as exc:  # e.g. a step kind the catalogue has no machine for
        raise InputError.single(args.equipment or str(DEFAULT_EQUIPMENT_PATH), "", str(exc)) from None
    return emit(res, args, write_outputs, render_text)
