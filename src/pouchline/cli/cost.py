"""``pouchline cost`` and ``pouchline bom``: what a cell and a kWh cost, and the Excel BOM.

Parsing and printing only; the work is :func:`pouchline.cost.cost_cell`,
:func:`pouchline.cost.sensitivity`, :func:`pouchline.cost.build_bom` and
:func:`pouchline.export.excel.write_cost_workbook`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from pouchline.cli._common import (
    add_cell_size_options,
    add_recipe_argument,
    cell_size_kwargs,
    load_recipe_from_args,
    positive_float,
    positive_int,
    print_json,
)
from pouchline.errors import InputError
from pouchline.line.defaults import (
    DEFAULT_DAYS,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DEFAULT_WARMUP_DAYS,
    SIZING_DAYS,
    SIZING_REPLICATIONS,
    SIZING_WARMUP_DAYS,
)


def _add_common(p: argparse.ArgumentParser) -> None:
    add_recipe_argument(p)
    p.add_argument("--line", metavar="LINE", help="line file (recipes/lines/*.yaml): its stations, machines, scrap "
                   "rates and bottleneck throughput replace the default plant")
    p.add_argument("--simulate", action="store_true",
                   help="with --line: simulate the line and cost at its simulated throughput and yields; without: size "
                        "the default plant for --annual-MWh by simulation as `pouchline size` does (the same figures) "
                        "and cost it at its simulated output")
    p.add_argument("--days", type=positive_float, default=None, metavar="D",
                   help=f"with --simulate: measured days after the warm-up (default {DEFAULT_DAYS:g} with --line, as "
                        f"`pouchline simulate`; else pouchline size's {SIZING_DAYS:g})")
    p.add_argument("--warmup-days", type=float, default=None, metavar="W",
                   help=f"with --simulate: warm-up days (default {DEFAULT_WARMUP_DAYS:g} with --line, else "
                        f"{SIZING_WARMUP_DAYS:g})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                   help=f"with --simulate: random seed (default {DEFAULT_SEED})")
    p.add_argument("--replications", type=positive_int, default=None, metavar="R",
                   help=f"with --simulate: replications (default {DEFAULT_REPLICATIONS} with --line, else "
                        f"{SIZING_REPLICATIONS})")
    add_cell_size_options(p)
    p.add_argument("--prices", choices=("low", "base", "high"), default="base",
                   help="material price scenario of recipes/materials.yaml (default base)")
    p.add_argument("--rates", metavar="PATH", help="cost-rates YAML (default: recipes/cost-rates.yaml)")
    p.add_argument("--maturity", choices=("pilot", "mature"), default=None,
                   help="default step yields without a line (default: the rates file's plant.yield_maturity, mature)")
    p.add_argument("--convention", choices=("serial", "branch"), default="branch",
                   help="scrap convention: branch (a material pays for the scrap of its own branch and of the "
                        "assembly after the merge; default) or serial (every later step in route order)")
    p.add_argument("--annual-MWh", dest="annual_MWh", type=positive_float, default=None, metavar="X",
                   help="annual volume of the default plant, MWh of good cells (default: the rates file's); the "
                        "plant is the line `pouchline size` designs for it")
    p.add_argument("--class", dest="machine_class", choices=("lab", "pilot", "production", "auto"), default=None,
                   help="machines of the default plant (default: the rates file's plant.machine_class, auto)")
    p.add_argument("--equipment", metavar="PATH", help="equipment catalogue (default: recipes/equipment.yaml)")
    p.add_argument("--fixture", action="store_true",
                   help="include the 30 MPa pressure fixture (end plates, bolts) in the cell's cost and BOM")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "cost", help="cost per good cell and per kWh: materials with scrap, labour, energy, depreciation, overhead",
        description="Cost one good cell and one kWh of the recipe's cell: materials from the cell format inflated by "
                    "the scrap of every step that consumes them, at low/base/high prices, plus a process cost in "
                    "the manner of Argonne's BatPaC (labour, energy, depreciation, building, overhead), a breakdown "
                    "and a sensitivity table of $/kWh.",
    )
    _add_common(p)
    p.add_argument("--top", type=positive_int, default=10, metavar="N", help="sensitivity rows to print (default 10)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_cost)

    b = subparsers.add_parser(
        "bom", help="write the Excel bill of materials and cost workbook",
        description="Write the multi-level bill of materials with the cost summary, an Inputs sheet (rates, prices, "
                    "volume) that every process cost line and the BOM read by formula, quantities per cell, lot and "
                    "year, a Purchasing sheet (supplier, part number, MOQ, lead time, packaging, currency, price age), "
                    "breakdown, sensitivity, plant or line KPIs and assumptions, set up to print on A4.",
    )
    _add_common(b)
    b.add_argument("--out", "-o", required=True, metavar="FILE.xlsx", help="workbook to write (atomically)")
    b.add_argument("--lot-cells", dest="lot_cells", type=positive_int, default=100, metavar="N",
                   help="cells per lot for the quantities per lot on the BOM and Purchasing sheets (default 100, "
                        "as plan's --lot-cells); the Inputs sheet holds it, so it can be changed in the workbook")
    b.set_defaults(func=run_bom)


# ------------------------------------------------------------------------------------------------
def _compute(args: argparse.Namespace) -> dict[str, Any]:
    from pouchline.cell import size_cell
    from pouchline.cost import cost_cell, load_rates, sensitivity
    from pouchline.cost.rates import DEFAULT_RATES_PATH

    line_run = ((DEFAULT_DAYS, DEFAULT_WARMUP_DAYS, DEFAULT_REPLICATIONS) if args.line
                else (SIZING_DAYS, SIZING_WARMUP_DAYS, SIZING_REPLICATIONS))
    days = args.days if args.days is not None else line_run[0]
    warmup = args.warmup_days if args.warmup_days is not None else line_run[1]
    reps = args.replications if args.replications is not None else line_run[2]
    recipe, materials = load_recipe_from_args(args)
    cell = size_cell(recipe, materials, **cell_size_kwargs(args))
    rates = load_rates(args.rates or DEFAULT_RATES_PATH)
    catalogue = None
    if args.equipment:
        from pouchline.equipment import load_catalogue

        catalogue = load_catalogue(args.equipment)
    from pouchline.line import Line

    line = kpis = None
    if args.line:
        from pouchline.line import load_line

        line = load_line(args.line)
        line.validate_steps(recipe.step_ids, source=args.line)
        if args.simulate:
            from pouchline.line import run_experiment

            exp = run_experiment(line, replications=reps, days=days, warmup_days=warmup,
                                 seed=args.seed, area_per_cell_cm2=cell.area_per_cell_cm2,
                                 cell_energy_Wh=cell.energy_Wh, materials_per_unit_g=cell.materials_by_step_g)
            kpis = exp.to_dict()
    elif args.simulate:  # the default plant, sized by simulation: the plant (and cost) of `pouchline size`
        from pouchline.plant import size_plant

        from pouchline.plant.scaleup import check_simulated_volume

        volume = args.annual_MWh if args.annual_MWh is not None else rates.plant.annual_volume_MWh
        check_simulated_volume(cell, volume / 1000.0, rates, source="--annual-MWh")
        try:
            sizing = size_plant(recipe, materials, cell, target_GWh_per_yr=volume / 1000.0, rates=rates,
                                catalogue=catalogue, machine_class=args.machine_class, maturity=args.maturity,
                                days=days, warmup_days=warmup, replications=reps, seed=args.seed, prices=args.prices)
        except ValueError as exc:  # e.g. a step kind the catalogue has no machine for
            raise InputError.single(args.equipment or args.recipe, "", str(exc)) from None
        line, kpis = Line.from_data(sizing.line_data, sizing.line_data["name"]), sizing.experiment.to_dict()
    kw = dict(rates=rates, prices=args.prices, line=line, line_kpis=kpis, include_fixture=args.fixture,
              convention=args.convention, annual_volume_MWh=args.annual_MWh, maturity=args.maturity,
              catalogue=catalogue, machine_class=args.machine_class)
    try:
        result = cost_cell(recipe, materials, cell, **kw)
        sens = sensitivity(recipe, materials, cell, base=result, **kw)
    except ValueError as exc:  # e.g. a line that makes no good cells
        raise InputError.single(args.line or args.recipe, "", str(exc)) from None
    return {"recipe": recipe, "materials": materials, "cell": cell, "rates": rates, "result": result,
            "sensitivity": sens}


def _usd(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}"
    return f"{x:.4f}"


def render_text(res: Any, sens: Any, source: str, top: int = 10) -> str:
    """The cost result as a readable report."""
    plant = (f"line {res.line_name}" if res.plant_mode == "line" else "default plant") + \
        f", {res.annual_good_cells:,.0f} good cells/yr ({res.annual_MWh:,.1f} MWh/yr)"
    out = [
        f"pouchline cost  {source}  {res.recipe_id} rev {res.recipe_revision}: {res.layers} layer(s), "
        f"{res.capacity_Ah:.4g} Ah, {res.energy_Wh:.4g} Wh; {res.prices} prices; {plant}",
        "",
        f"cost per good cell   {_usd(res.cost_per_cell_usd):>12s} USD   {_usd(res.cost_per_kWh_usd):>12s} USD/kWh",
        f"  materials          {_usd(res.material_cost_per_cell_usd):>12s} USD   "
        f"{_usd(res.material_cost_per_kWh_usd):>12s} USD/kWh  (scrap included; rolled throughput yield "
        f"{100 * res.rolled_throughput_yield:.1f} %)",
    ]
    for cat, usd in res.breakdown_usd_per_cell.items():
        if cat == "materials":
            continue
        out.append(f"  {cat:17s}  {_usd(usd):>12s} USD   {_usd(res.per_kWh(usd)):>12s} USD/kWh")
    out.append(f"  process total      {_usd(res.process_cost_per_cell_usd):>12s} USD   "
               f"{_usd(res.process_cost_per_kWh_usd):>12s} USD/kWh")
    out.append(f"price (BatPaC layers: R&D, profit on the investment, warranty) {_usd(res.price_per_cell_usd)} USD per cell, "
               f"{_usd(res.price_per_kWh_usd)} USD/kWh")
    out.append(f"plant: equipment capex {_usd(res.equipment_capex_usd / 1e6)} MUSD, {res.operators_per_shift:,.1f} operators "
               f"per shift, floor {res.floor_m2:,.0f} m2 (dry room {res.dry_room_m2:,.0f} m2), electricity "
               f"{res.electricity_MWh_per_yr:,.0f} MWh/yr")
    out.append(volume_basis_text(res))
    out.append(f"jellyroll materials (cathode + SE film + alloy, no scrap): {_usd(res.jellyroll_material_cost_per_kWh_usd)} "
               "USD/kWh (about 345 at base prices; docs/model.md#materials-with-scrap)")
    fx = "included" if res.include_fixture else "not included; --fixture adds it"
    out.append(f"pressure fixture: {_usd(res.fixture_cost_per_cell_usd)} USD per cell "
               f"({_usd(res.per_kWh(res.fixture_cost_per_cell_usd))} USD/kWh), {fx}")
    if res.fixtures_in_circulation:
        out.append(f"  the plant's fixtures in circulation: {res.fixtures_in_circulation:,} "
                   f"({_usd(res.investment_usd.get('fixtures_usd', 0.0) / 1e6)} MUSD of capex)")
    out += ["", "materials per good cell:"]
    tot = res.material_cost_per_cell_usd or 1.0
    for mid, usd in list(res.materials_usd_per_cell.items())[:12]:
        out.append(f"  {mid:16s} {_usd(usd):>12s} USD  {_usd(res.per_kWh(usd)):>10s} USD/kWh  {100 * usd / tot:5.1f} %")
    if sens is not None and len(sens):
        out += ["", f"sensitivity of USD/kWh, each input at low and high, the rest at base "
                    f"(base {_usd(sens.attrs.get('base_cost_per_kWh_usd', res.cost_per_kWh_usd))}):"]
        w = max(len(str(x)) for x in sens["input"].head(top))
        from pouchline.display import fmt_number

        for rec in sens.head(top).to_dict("records"):
            out.append(f"  {rec['input']:{w}s}  {fmt_number(rec['low_value'], 4):>10s} .. "
                       f"{fmt_number(rec['high_value'], 4):<10s} {rec['unit']:14s}"
                       f" {_usd(rec['cost_per_kWh_low_usd']):>10s} .. {_usd(rec['cost_per_kWh_high_usd']):<10s}"
                       f" swing {_usd(rec['swing_usd_per_kWh'])}")
    return "\n".join(out)


def volume_basis_text(res: Any) -> str:
    """What the annual costs are spread over; for the default plant, how to get `pouchline size`'s figures."""
    from pouchline.display import fmt_number

    text = f"volume: {res.volume_basis or '-'}"
    if res.plant_mode == "default":
        text += (f"; `pouchline size --target-GWh {res.annual_MWh / 1000:g}` and `cost --simulate` simulate this plant, "
                 "add machines at the bottleneck until the lower 95 % bound meets the volume and cost at the simulated "
                 f"output (a little above {fmt_number(res.annual_MWh)} MWh/yr)")
    return text


def run_cost(args: argparse.Namespace) -> int:
    out = _compute(args)
    res, sens = out["result"], out["sensitivity"]
    if args.json:
        d = res.to_dict()
        d["sensitivity"] = sens.to_dict("records")
        print_json(d)
    else:
        print(render_text(res, sens, args.recipe, args.top))
    return 0


def run_bom(args: argparse.Namespace) -> int:
    from pouchline.cost import build_bom
    from pouchline.export.excel import write_cost_workbook

    out_path = Path(args.out)
    if out_path.suffix.lower() != ".xlsx":
        raise InputError.single("--out", "", f"{args.out!r} must end in .xlsx")
    out = _compute(args)
    res = out["result"]
    bom = build_bom(res, out["recipe"], out["materials"])
    write_cost_workbook(out_path, res, bom, recipe=out["recipe"], materials=out["materials"], rates=out["rates"],
                        sensitivity=out["sensitivity"], lot_cells=args.lot_cells)
    print(f"wrote {out_path}: {res.cost_per_cell_usd:,.4g} USD per good cell, {res.cost_per_kWh_usd:,.0f} USD/kWh "
          f"({res.material_cost_per_kWh_usd:,.0f} USD/kWh materials)")
    return 0
