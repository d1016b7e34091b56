"""``pouchline demand``: what a plan buys in a year, by material and element, against world supply.

Parsing and printing only; the work is :func:`pouchline.cost.cost_cell` (material lines with
scrap and trim) and :func:`pouchline.demand.material_demand`.
"""

from __future__ import annotations

import argparse
from typing import Any

from pouchline.cli._common import (
    add_cell_size_options,
    add_recipe_argument,
    cell_size_kwargs,
    load_recipe_from_args,
    positive_float,
    print_json,
)
from pouchline.errors import InputError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demand", help="annual material and element demand of a plan against world production (supply risk)",
        description="Tonnes per year of every purchased material (scrap and web trim included) and of the elements "
                    "inside them, each as a share of world annual production (materials library, elements:), "
                    "with the elements above a threshold flagged as a supply risk and the GWh/yr at which the plan "
                    "would take the whole world's output of its tightest element.",
    )
    add_recipe_argument(p)
    add_cell_size_options(p)
    volume = p.add_mutually_exclusive_group()
    volume.add_argument("--line", metavar="LINE", help="line file: its bottleneck throughput sets the volume and its "
                        "scrap rates and web trim the quantities bought")
    volume.add_argument("--GWh-per-yr", dest="GWh_per_yr", type=positive_float, metavar="X",
                        help="annual output of good cells, GWh/yr, made on the default plant (default: the rates "
                             "file's annual volume)")
    p.add_argument("--threshold-pct", dest="threshold_pct", type=positive_float, default=1.0, metavar="P",
                   help="flag elements above P %% of world production as a supply risk (default 1)")
    p.add_argument("--maturity", choices=("pilot", "mature"), default=None,
                   help="default step yields without a line (default: the rates file's, pilot)")
    p.add_argument("--rates", metavar="PATH", help="cost-rates YAML (default: recipes/cost-rates.yaml)")
    p.add_argument("--fixture", action="store_true", help="include the pressure fixture's steel in every cell")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def compute(args: argparse.Namespace) -> Any:
    """The :class:`~pouchline.demand.DemandResult` of the parsed arguments."""
    from pouchline.cell import size_cell
    from pouchline.cost import cost_cell, load_rates
    from pouchline.cost.rates import DEFAULT_RATES_PATH
    from pouchline.demand import material_demand

    if args.threshold_pct > 100:
        raise InputError.single("--threshold-pct", "", f"{args.threshold_pct:g} is not a share of world production; "
                                "allowed: more than 0 and at most 100")
    recipe, materials = load_recipe_from_args(args)
    cell = size_cell(recipe, materials, **cell_size_kwargs(args))
    rates = load_rates(args.rates or DEFAULT_RATES_PATH)
    line = None
    if args.line:
        from pouchline.line import load_line

        line = load_line(args.line)
        line.validate_steps(recipe.step_ids, source=args.line)
    annual_MWh = args.GWh_per_yr * 1000.0 if args.GWh_per_yr else None
    try:
        cost = cost_cell(recipe, materials, cell, rates=rates, line=line, include_fixture=args.fixture,
                         annual_volume_MWh=annual_MWh, maturity=args.maturity)
    except ValueError as exc:  # e.g. a line that makes no good cells
        raise InputError.single(args.line or args.recipe, "", str(exc)) from None
    return material_demand(cost, materials, threshold_frac=args.threshold_pct / 100.0)


def render_text(res: Any, source: str) -> str:
    """Both tables, the supply-risk flags and the whole-world line."""
    from pouchline.demand import stage_and_year
    from pouchline.display import fmt_number as fq, fmt_pct as pct

    out = [f"pouchline demand  {source}: {res.GWh_per_yr:,.4g} GWh/yr = {res.good_cells_per_yr:,.0f} good cells/yr "
           f"of {res.energy_per_cell_Wh:.4g} Wh (scrap and trim included); world figures: {res.library}", "",
           "purchased materials per year:",
           f"  {'material':14s} {'g/good cell':>12s} {'t/yr':>12s}  elements (wt%)"]
    for r in res.materials.itertuples():
        out.append(f"  {r.material_id:14s} {fq(r.g_per_good_cell, 4):>12s} {fq(r.demand_t_per_yr, 4):>12s}  "
                   f"{r.composition_wt_pct or r.note}")
    out += ["", "elements per year against world production:",
            f"  {'element':9s} {'t/yr':>10s} {'world t/yr':>14s} {'stage, year':18s} {'share':>11s} "
            f"{'GWh/yr at world output':>23s}  flag"]
    for r in res.elements.itertuples():
        stage = stage_and_year(r)
        flag = "SUPPLY RISK" if r.supply_risk else ""
        out.append(f"  {r.element:9s} {fq(r.demand_t_per_yr):>10s} {fq(r.world_production_t_per_yr):>14s} "
                   f"{stage:18s} {pct(r.share_of_world_frac):>11s} {fq(r.GWh_per_yr_at_world_output):>23s}  {flag}")
    out.append("")
    risks = res.supply_risks
    out.append(f"supply risk (over {pct(res.threshold_frac)} of world production): "
               + (", ".join(risks) if risks else "none"))
    t = res.tightest
    if t is not None:
        out.append(f"the whole world's {t['world_production_stage']} output of {t['name']} ({t['element']}, "
                   f"{t['world_production_t_per_yr']:,.0f} t/yr in {t['world_production_year']}) would make "
                   f"{fq(t['GWh_per_yr_at_world_output'])} GWh/yr of this cell")
    if res.unresolved_materials:
        out.append("not split into elements (no formula): " + ", ".join(res.unresolved_materials))
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    res = compute(args)
    if args.json:
        print_json(res.to_dict())
    else:
        print(render_text(res, args.recipe))
    return 0
