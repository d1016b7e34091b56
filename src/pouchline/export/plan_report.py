"""Write a plan (:class:`pouchline.plan.PlanResult`) to a folder: JSON, text, xlsx, PDF, PNG.

Every file is written atomically; an existing folder is reused, files in it are replaced one by
one, and nothing outside it is touched.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

from pouchline.errors import InputError
from pouchline.export import charts
from pouchline.fileio import atomic_write, jsonable


def _json(obj: Any) -> str:
    return json.dumps(jsonable(obj), indent=2, ensure_ascii=False, default=str) + "\n"


def prepare_plan_dir(out_dir: str | os.PathLike) -> tuple[Path, list[Path]]:
    """Make sure ``out_dir`` is a folder, creating it and missing parents; return it and what was created.

    Called before any long computation so a bad path fails at once; the caller says which
    folders it created, so a mistyped path does not create folders silently.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError.single(str(out), "--out", "exists and is not a folder")
    missing: list[Path] = []
    p = out
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    if p.exists() and not p.is_dir():
        raise InputError.single(str(out), "--out", f"cannot be created: {p} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError.single(str(out), "--out", f"cannot be created: {exc.strerror or exc}") from None
    return out, list(reversed(missing))


def write_plan(plan: Any, out_dir: str | os.PathLike, *, lot: str = "LOT-0001", lot_cells: int = 100,
               template: str | None = None) -> list[Path]:
    """Write every part of ``plan`` into ``out_dir`` (created if missing). Returns the files."""
    from pouchline.cell.report import render_text as cell_text
    from pouchline.cost import build_bom
    from pouchline.export.excel import write_cost_workbook
    from pouchline.export.traveler import write_traveler
    from pouchline.export.traveler_model import build_traveler
    from pouchline.export.traveler_template import load_template

    out = prepare_plan_dir(out_dir)[0]
    try:
        (out / "charts").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError.single(str(out), "--out", f"cannot be created: {exc.strerror or exc}") from None
    written: list[Path] = []

    def put(name: str, data: Any) -> None:
        written.append(atomic_write(out / name, data))

    r, cell, cost = plan.recipe, plan.cell, plan.cost
    put("cell.json", _json(cell.to_dict()))
    put("cell.txt", cell_text(cell, str(r.id)) + "\n")
    put("cost.json", _json(cost.to_dict()))
    put("sensitivity.csv", plan.sensitivity.to_csv(index=False))
    if plan.experiment is not None:
        put("simulation.json", _json(plan.experiment.to_dict()))
    bom = build_bom(cost, r, plan.materials)
    written.append(write_cost_workbook(out / "bom.xlsx", cost, bom, recipe=r, materials=plan.materials,
                                       rates=plan.rates, sensitivity=plan.sensitivity))
    # The traveler is for the planned cell, printed from the recipe revision that makes it (derived
    # for this plan when the format, layers or line differ from the recipe's), never for another cell.
    from pouchline.export.traveler_model import traveler_blockers

    note = ""
    derived = getattr(plan, "derived", None)
    if derived is not None:
        name = f"recipe-rev-{derived.recipe.revision}.yaml"
        put(name, derived.yaml_text(out / name))
        put("recipe-diff.txt", derived.diff)
        if derived.notes:
            note = "\n".join(f"Recipe revision {derived.recipe.revision}: {n}" for n in derived.notes)
    blockers = traveler_blockers(r, plan.materials, cell)
    if blockers:
        note = ("No sample traveler: the recipe revision cannot make the planned cell, so a route card would tell "
                "the floor to make a different one:\n" + "\n".join(f"- {p.field}: {p.message}" for p in blockers))
    else:
        tr = build_traveler(r, lot=lot, cells=lot_cells, materials=plan.materials,
                            materials_by_step_g=cell.materials_by_step_g, issued=dt.date.today(), issue_note="",
                            cell_format=(f"{cell.layers} layer(s), {cell.capacity_Ah:.3g} Ah, electrode "
                                         f"{cell.electrode_mm['length']:g} x {cell.electrode_mm['width']:g} mm"),
                            purpose="sample")
        write_traveler(out / "traveler.pdf", tr, load_template(template))
        written.append(out / "traveler.pdf")
    if note:
        put("traveler-note.txt", note + "\n")

    # charts
    label = f"{r.id} rev {r.revision}, {cell.layers} layer(s), {cell.capacity_Ah:.3g} Ah"
    figs = {
        "mass_breakdown.png": charts.mass_breakdown(cell.mass_breakdown_g, f"Cell mass by component — {label}"),
        "energy_vs_layers.png": charts.energy_vs_layers(plan.energy_vs_layers, f"Energy density vs layer count — {r.id}"),
        "cost_breakdown.png": charts.cost_breakdown(cost.breakdown_usd_per_cell, f"Cost per good cell — {label}"),
        "sensitivity_tornado.png": charts.tornado(plan.sensitivity, cost.cost_per_kWh_usd,
                                                  f"Sensitivity of USD/kWh ({plan.prices} prices)"),
    }
    if plan.experiment is not None:
        e = plan.experiment.to_dict()
        lname = getattr(plan.line, "name", "line")
        figs["station_states.png"] = charts.station_states(e["stations"], f"Station states — {lname}")
        figs["throughput_over_time.png"] = charts.throughput_over_time(
            [res.throughput_timeseries for res in plan.experiment.results], plan.experiment.warmup_days,
            f"Good cells per day — {lname}")
    for name, fig in figs.items():
        put(f"charts/{name}", charts.figure_png(fig))

    put("summary.json", _json(plan.summary()))
    put("README.md", _readme(plan, written))
    return written


def _readme(plan: Any, files: list[Path]) -> str:
    s = plan.summary()
    lines = [
        f"# Plan: {s['recipe_id']} rev {s['recipe_revision']}",
        "",
        f"Made by pouchline on {dt.date.today().isoformat()} from recipe hash `{s['recipe_hash']}`.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| layers | {s['layers']} |",
        f"| capacity | {s['capacity_Ah']:.3f} Ah |",
        f"| energy | {s['energy_Wh']:.2f} Wh |",
        f"| cell mass | {s['mass_g']:.1f} g |",
        f"| cell specific energy | {s['specific_energy_Wh_kg']:.1f} Wh/kg |",
        f"| cell energy density | {s['energy_density_Wh_L']:.0f} Wh/L |",
        f"| stack force | {s['stack_force_kN']:.1f} kN |",
        f"| cost ({s['price_scenario']} prices) | {s['cost_per_cell_usd']:.2f} USD/cell, {s['cost_per_kWh_usd']:.0f} USD/kWh |",
        f"| material cost | {s['material_cost_per_kWh_usd']:.0f} USD/kWh |",
    ]
    if "throughput_units_per_h" in s:
        lo, hi = s["throughput_ci95_units_per_h"] or (math.nan, math.nan)
        lines += [
            f"| line | {s['line']} |",
            f"| throughput | {s['throughput_units_per_h']:.1f} good cells/h (95 % CI {lo:.1f} to {hi:.1f}) |",
            f"| annual output | {s['good_units_per_year']:,.0f} cells, {s['MWh_per_year']:,.0f} MWh |",
            f"| rolled throughput yield | {100 * s['yield_rty']:.1f} % |",
            f"| bottleneck | {s['bottleneck']} |",
        ]
    demand = getattr(plan, "demand", None)
    if demand is not None:
        from pouchline.demand import demand_markdown

        lines += ["", *demand_markdown(demand)]
    lines += ["", "## Files", ""]
    lines += [f"- `{p.name if p.parent.name != 'charts' else 'charts/' + p.name}`" for p in files]
    return "\n".join(lines) + "\n"
