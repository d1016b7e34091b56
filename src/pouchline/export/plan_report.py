"""Write a plan (:class:`pouchline.plan.PlanResult`) to a folder: JSON, text, xlsx, PDF, PNG.

The folder is one unit. Every input is checked before anything is computed
(:func:`check_plan_target`); the package is written into a hidden temporary folder beside the
target (``.<name>.plan-<pid>-<random>``) and moved into place only when every file is there, so
an interrupted run (even ``kill -9``) never leaves a folder that mixes two runs or holds half a
plan. The next run removes temporary folders whose process is gone. A folder that holds files
pouchline did not write is refused unless ``force`` is given; its files are then kept and the
plan's files are moved in beside them. The plan's files are listed in a hidden manifest
(:data:`MANIFEST`), which is how the next run tells its own files from foreign ones.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pouchline.errors import InputError
from pouchline.display import fmt_count, fmt_number, fmt_quantity, fmt_usd
from pouchline.export import charts
from pouchline.fileio import atomic_write, csv_text, jsonable, process_alive

#: The list of files of the plan in a folder, written last.
MANIFEST = ".pouchline-plan.json"
#: Files of plans written before the manifest existed (recognised as pouchline's own).
LEGACY_PLAN_FILES = frozenset({"cell.json", "cell.txt", "cost.json", "sensitivity.csv", "simulation.json", "bom.xlsx",
                               "traveler.pdf", "traveler-note.txt", "summary.json", "README.md"})
#: Entries of a folder looked at when deciding whether it holds foreign files.
MAX_SCAN_ENTRIES = 10_000


def _json(obj: Any) -> str:
    return json.dumps(jsonable(obj), indent=2, ensure_ascii=False, default=str) + "\n"


@dataclass
class PlanTarget:
    """Where a plan goes, as found before anything was computed."""

    out: Path
    missing_parents: list[Path] = field(default_factory=list)  # created by :func:`prepare_plan_dir`
    exists: bool = False
    foreign: list[str] = field(default_factory=list)  # files in ``out`` that pouchline did not write
    previous: list[str] = field(default_factory=list)  # files of an earlier plan in ``out``


def _temp_prefix(name: str) -> str:
    return f".{name}.plan-"


def _own_files(out: Path) -> tuple[set[str], bool]:
    """The files an earlier plan wrote into ``out`` (by its manifest) and whether it had one."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = data.get("files") if isinstance(data, dict) else None
        if isinstance(files, list):
            return {f for f in files if isinstance(f, str)}, True
    except (OSError, ValueError):
        pass
    return set(), False


def _scan(out: Path, force: bool) -> tuple[list[str], list[str]]:
    """(foreign files, files of an earlier plan) in ``out``, as paths relative to it."""
    own, has_manifest = _own_files(out)
    foreign: list[str] = []
    previous: list[str] = []
    seen = 0
    for root, _dirs, files in os.walk(out):
        for name in files:
            seen += 1
            rel = Path(root, name).relative_to(out).as_posix()
            if rel == MANIFEST or rel in own or re.fullmatch(r"(charts/)?\..*\.tmp", rel) or (
                    not has_manifest and (rel in LEGACY_PLAN_FILES or re.fullmatch(r"charts/[^/]+\.png", rel))):
                previous.append(rel)
            else:
                foreign.append(rel)
        if seen > MAX_SCAN_ENTRIES or (foreign and not force):
            break
    return foreign, previous


def check_plan_target(out_dir: str | os.PathLike, *, force: bool = False) -> PlanTarget:
    """Check where a plan will go, before anything is computed or created.

    Refuses a file in the way, and a folder that holds files pouchline did not write unless
    ``force`` is given (they are then kept beside the plan). Creates nothing.
    """
    out = Path(out_dir)
    if out.is_symlink() and out.is_dir():
        out = Path(os.path.realpath(out))  # a link to a folder: the plan goes where it points
    if out.exists() and not out.is_dir():
        raise InputError.single(str(out), "--out", "exists and is not a folder")
    missing: list[Path] = []
    p = out.parent if str(out.parent) else Path(".")
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    if p.exists() and not p.is_dir():
        raise InputError.single(str(out), "--out", f"cannot be created: {p} is a file, not a folder")
    target = PlanTarget(out=out, missing_parents=list(reversed(missing)), exists=out.is_dir())
    if target.exists:
        try:
            target.foreign, target.previous = _scan(out, force)
        except OSError as exc:
            raise InputError.single(str(out), "--out", f"cannot be read: {exc.strerror or exc}") from None
        if target.foreign and not force:
            shown = ", ".join(target.foreign[:5]) + (" ..." if len(target.foreign) > 5 else "")
            raise InputError.single(str(out), "--out", f"holds files that no pouchline plan wrote ({shown}); "
                                    "write the plan to a new or empty folder, or add --force to write it beside "
                                    "them (they are kept)")
    return target


def prepare_plan_dir(out_dir: str | os.PathLike | PlanTarget, *, force: bool = False) -> tuple[Path, list[Path]]:
    """Check ``out_dir`` (see :func:`check_plan_target`) and create its missing parent folders.

    Returns the target folder and the folders that were created; the target folder itself is
    created by :func:`write_plan` when the plan is complete. Called before any long computation
    so a bad path fails at once; the caller says which folders it created, so a mistyped path
    does not create folders silently.
    """
    target = out_dir if isinstance(out_dir, PlanTarget) else check_plan_target(out_dir, force=force)
    for folder in target.missing_parents:
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise InputError.single(str(target.out), "--out", f"cannot be created: {exc.strerror or exc}") from None
    return target.out, list(target.missing_parents)


def remove_stale_temp_folders(out: Path) -> list[Path]:
    """Remove temporary plan folders beside ``out`` left by runs whose process is gone."""
    removed: list[Path] = []
    parent = out.parent if str(out.parent) else Path(".")
    pattern = re.compile(re.escape(_temp_prefix(out.name)) + r"(?:old-)?(\d+)-")
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry.name)
        if not m or not entry.is_dir() or entry.is_symlink():
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or process_alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _install(tmp: Path, target: PlanTarget, files: list[str]) -> None:
    """Move the finished package from ``tmp`` to ``target.out``.

    A new or empty folder is replaced by one rename; a folder holding only an earlier plan is
    swapped (earlier plan renamed aside, new one renamed in, earlier one removed); with foreign
    files (``force``), each file of the plan is moved in by a rename of its own and files of the
    earlier plan that this one does not write are removed.
    """
    out = target.out
    parent = out.parent if str(out.parent) else Path(".")
    foreign, previous = _scan(out, True) if out.is_dir() else ([], [])
    if not out.exists():
        os.rename(tmp, out)
        return
    if not foreign and not previous and not any(out.iterdir()):
        os.replace(tmp, out)  # an empty folder is replaced in one step
        return
    if not foreign:
        old = Path(tempfile.mkdtemp(prefix=f"{_temp_prefix(out.name)}old-{os.getpid()}-", dir=parent))
        os.rename(out, old / "plan")
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
        return
    for rel in files + [MANIFEST]:
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, dest)
    for rel in set(previous) - set(files) - {MANIFEST}:
        (out / rel).unlink(missing_ok=True)
    shutil.rmtree(tmp, ignore_errors=True)


def write_plan(plan: Any, out_dir: str | os.PathLike | PlanTarget, *, lot: str = "LOT-0001", lot_cells: int = 100,
               template: str | None = None, force: bool = False) -> list[Path]:
    """Write every part of ``plan`` into ``out_dir`` as one unit (see the module). Returns the files.

    ``out_dir`` may be the :class:`PlanTarget` the caller checked before computing the plan.
    """
    from pouchline.export.traveler_model import check_cells, check_lot
    from pouchline.export.traveler_template import load_template

    check_lot(lot)
    check_cells(lot_cells, "--lot-cells")
    tpl = load_template(template)
    target = out_dir if isinstance(out_dir, PlanTarget) else check_plan_target(out_dir, force=force)
    out = prepare_plan_dir(target)[0]
    remove_stale_temp_folders(out)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f"{_temp_prefix(out.name)}{os.getpid()}-", dir=parent))
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's folder is private; the plan folder is an ordinary one
        (tmp / "charts").mkdir()
    except OSError as exc:
        raise InputError.single(str(out), "--out", f"cannot be written: {exc.strerror or exc}") from None
    try:
        rel = _write_parts(plan, tmp, lot=lot, lot_cells=lot_cells, template=tpl)
        atomic_write(tmp / MANIFEST, _json({"pouchline_plan": 1, "files": rel}))
        try:
            _install(tmp, target, rel)
        except OSError as exc:
            raise InputError.single(str(out), "--out", f"cannot be written: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return [out / r for r in rel]


def _write_parts(plan: Any, out: Path, *, lot: str, lot_cells: int, template: Any) -> list[str]:
    """Write the package's files into ``out`` (the temporary folder); return them relative to it."""
    from pouchline.cell.report import render_text as cell_text
    from pouchline.cost import build_bom
    from pouchline.export.excel import write_cost_workbook
    from pouchline.export.traveler import write_traveler
    from pouchline.export.traveler_model import build_traveler
    from pouchline.export.traveler_twin import write_twin

    written: list[Path] = []

    def put(name: str, data: Any) -> None:
        written.append(atomic_write(out / name, data))

    r, cell, cost = plan.recipe, plan.cell, plan.cost
    put("cell.json", _json(cell.to_dict()))
    put("cell.txt", cell_text(cell, str(r.id)) + "\n")
    put("cost.json", _json(cost.to_dict()))
    put("sensitivity.csv", csv_text(plan.sensitivity))
    if plan.experiment is not None:
        put("simulation.json", _json(plan.experiment.to_dict()))
    bom = build_bom(cost, r, plan.materials)
    written.append(write_cost_workbook(out / "bom.xlsx", cost, bom, recipe=r, materials=plan.materials,
                                       rates=plan.rates, sensitivity=plan.sensitivity, lot_cells=lot_cells))
    # The traveler is for the planned cell, printed from the recipe revision that makes it (derived
    # for this plan when the format, layers or line differ from the recipe's), never for another cell.
    note = ""
    derived = getattr(plan, "derived", None)
    if derived is not None:
        name = f"recipe-rev-{derived.recipe.revision}.yaml"
        put(name, derived.yaml_text(out / name))
        put("recipe-diff.txt", derived.diff)
        if derived.notes:
            note = "\n".join(f"Recipe revision {derived.recipe.revision}: {n}" for n in derived.notes)
    blockers = list(getattr(plan, "traveler_blockers", ()) or ())
    if blockers:
        note = ("No sample traveler: the recipe revision cannot make the planned cell, so a route card would tell "
                "the floor to make a different one:\n" + "\n".join(f"- {p.field}: {p.message}" for p in blockers))
    else:
        tr = build_traveler(r, lot=lot, cells=lot_cells, materials=plan.materials,
                            materials_by_step_g=cell.materials_by_step_g, issued=dt.date.today(), issue_note="",
                            cell_format=(f"{cell.layers} layer(s), {cell.capacity_Ah:.3g} Ah, electrode "
                                         f"{cell.electrode_mm['length']:g} x {cell.electrode_mm['width']:g} mm"),
                            purpose="sample")
        write_traveler(out / "traveler.pdf", tr, template)
        written.append(out / "traveler.pdf")
        written += write_twin(out / "traveler.pdf", tr)  # traveler.json, traveler-capture.csv
    if note:
        put("traveler-note.txt", note + "\n")

    for name, fig in plan_figures(plan).items():
        put(f"charts/{name}", charts.figure_png(fig))

    put("summary.json", _json(plan.summary()))
    put("README.md", _readme(plan, written))
    return [p.relative_to(out).as_posix() for p in written]


#: What each chart shows, for the README's list (file name -> one line).
CHART_CAPTIONS = {
    "mass_breakdown.png": "the cell's mass by component",
    "energy_vs_layers.png": "Wh/kg and Wh/L against layers, this plan's design starred and the paper's jellyroll point",
    "cost_waterfall.png": "from 0 to USD per good cell: each material (scrap included), then each process category",
    "cost_breakdown.png": "USD per good cell by category",
    "sensitivity_tornado.png": "USD/kWh with each input at its low and high",
    "yield_loss_by_step.png": "where the rolled-throughput-yield loss goes, step by step",
    "station_states.png": "each station's share of scheduled time by state, the bottleneck named in red",
    "oee_by_station.png": "OEE and availability of each station, the bottleneck in red",
    "capex_by_station.png": "equipment capex of each station and the fixtures in circulation",
    "throughput_over_time.png": "good cells per day of each replication against the target line",
    "rampup.png": "the line from start of production, month by month",
}


def plan_figures(plan: Any) -> dict[str, Any]:
    """The plan's charts as matplotlib figures, by file name (the plan folder's ``charts/``; the app
    shows the same figures)."""
    from pouchline.plan import ranked_bottlenecks

    r, cell, cost = plan.recipe, plan.cell, plan.cost
    label = f"{r.id} rev {r.revision}, {cell.layers} layer(s), {fmt_quantity(cell.capacity_Ah, 'Ah')}"
    process = {k: v for k, v in cost.breakdown_usd_per_cell.items() if k != "materials"}
    figs = {
        "mass_breakdown.png": charts.mass_breakdown(cell.mass_breakdown_g, f"Cell mass by component — {label}"),
        "energy_vs_layers.png": charts.energy_vs_layers(plan.energy_vs_layers, f"Energy density vs layer count — {r.id}",
                                                        chosen_layers=cell.layers),
        "cost_waterfall.png": charts.cost_waterfall(
            cost.materials_usd_per_cell, process,
            f"Cost per good cell, {fmt_usd(cost.cost_per_cell_usd)} ({plan.prices} prices"
            f"{', with the fixture' if cost.include_fixture else ''}) — {label}",
            names={m.id: charts.short_material_label(m.name) for m in plan.materials.materials}),
        "cost_breakdown.png": charts.cost_breakdown(cost.breakdown_usd_per_cell, f"Cost per good cell — {label}"),
        "sensitivity_tornado.png": charts.tornado(plan.sensitivity, cost.cost_per_kWh_usd,
                                                  f"Sensitivity of USD/kWh ({plan.prices} prices)"),
    }
    exp = plan.experiment
    stations = list(getattr(cost, "stations", ()) or ())
    if exp is not None:
        e = exp.to_dict()
        lname = getattr(plan.line, "name", "line")
        ranked = ranked_bottlenecks(exp, cell.energy_Wh)
        top = ranked[0]["name"] if ranked else None
        near = [b["name"] for b in ranked[1:] if b.get("within_ci_of_first")]
        figs["yield_loss_by_step.png"] = charts.yield_loss_by_step(
            exp.yield_per_step, f"Where the yield goes — {lname}, simulated (scrap and expired units)")
        figs["station_states.png"] = charts.station_states(e["stations"], f"Station states — {lname}", bottleneck=top,
                                                           near=near)
        figs["oee_by_station.png"] = charts.oee_by_station(e["stations"], f"OEE by station — {lname}", bottleneck=top,
                                                           near=near)
        target, what = _throughput_target(plan)
        figs["throughput_over_time.png"] = charts.throughput_over_time(
            [res.throughput_timeseries for res in exp.results], exp.warmup_days, f"Good cells per day — {lname}",
            target_per_day=target, target_label=what, mean_per_day=exp.throughput_units_per_calendar_h * 24.0)
    else:
        top = None
        figs["yield_loss_by_step.png"] = charts.yield_loss_by_step(
            cost.step_yields, f"Where the yield goes — {label} (the cost model's step yields)")
    if stations:
        fixtures = (getattr(cost, "investment_usd", {}) or {}).get("fixtures_usd", 0.0)
        extra = {f"pressure fixtures in circulation ({fmt_count(cost.fixtures_in_circulation)})": fixtures} \
            if fixtures else {}
        figs["capex_by_station.png"] = charts.capex_by_station(
            [{"name": s.name, "capex_usd": s.capex_usd} for s in stations],
            f"Capex by station, {fmt_usd(sum(s.capex_usd for s in stations) + fixtures)} — "
            f"{getattr(plan.line, 'name', None) or 'the default plant'}", extra_usd=extra, bottleneck=top)
    if getattr(plan, "rampup", None) is not None:
        ramp = plan.rampup
        figs["rampup.png"] = charts.rampup(ramp.table(), ramp.nameplate_good_cells_per_month,
                                           ramp.nameplate_cost_per_kWh_usd, f"Ramp-up from start of production — {ramp.line_name}")
    return figs


def _throughput_target(plan: Any) -> tuple[float | None, str]:
    """Good cells per calendar day the line should make: the sizing target, else its on-paper rate."""
    exp, cell = plan.experiment, plan.cell
    frac = exp.scheduled_fraction
    if plan.sizing is not None:
        tgt = plan.sizing.target_GWh_per_yr if hasattr(plan.sizing, "target_GWh_per_yr") else None
        if tgt:
            return tgt * 1e9 / cell.energy_Wh / 365.0, f"target {fmt_number(tgt)} GWh/yr"
    pc = getattr(plan, "paper_cost", None)
    if pc is not None and pc.annual_good_cells:
        return pc.annual_good_cells / 365.0, "on paper (bottleneck rate x scheduled hours)"
    lims = [s.line_limit_good_units_per_h for s in exp.stations if math.isfinite(s.line_limit_good_units_per_h)]
    return (min(lims) * 24.0 * frac, "on paper (bottleneck rate)") if lims else (None, "")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(rows: list[tuple[str, str]]) -> list[str]:
    return ["| figure | value |", "|---|---|", *(f"| {_cell(k)} | {_cell(v)} |" for k, v in rows)]


def _readme(plan: Any, files: list[Path]) -> str:
    from pouchline.plan import bottleneck_rows, bottleneck_sentence, fixture_rows, headline_rows, output_rows, \
        ranked_bottlenecks

    s = plan.summary()
    r = plan.recipe
    made = f"Made by pouchline on {dt.date.today().isoformat()} from recipe hash `{s['recipe_hash']}`"
    if plan.derived is not None:
        made += (f", rev {r.revision}: a draft derived from rev {plan.derived.parent.revision} for this cell and line "
                 f"(`recipe-rev-{r.revision}.yaml`, its changes in `recipe-diff.txt`)")
    lines = [f"# Plan: {s['recipe_id']} rev {s['recipe_revision']}", "", made + ".", "", "## The cell", "",
             *_table(headline_rows(plan))]
    if plan.fixture is not None:
        verdict = plan.fixture.verdict
        lines += ["", "## The fixture decides go or no-go", "",
                  f"**{verdict[0].upper() + verdict[1:].split(':', 1)[0]}**:{verdict.split(':', 1)[1]}.", "",
                  *_table(fixture_rows(plan))]
    if plan.experiment is not None:
        lines += ["", "## The line: one annual output", "", *_table(output_rows(plan)), "", "### Near-bottlenecks", "",
                  "Ranked by the replications' votes, then by active share (busy + down + setup); the line-limit "
                  "capacity is the good cells/h at the line's end if that station alone limited it, on paper.", ""]
        rows = bottleneck_rows(plan)
        if rows:
            cols = list(rows[0])
            lines += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols),
                      *("| " + " | ".join(_cell(row[c]) for c in cols) + " |" for row in rows)]
        lines += ["", bottleneck_sentence(ranked_bottlenecks(plan.experiment, plan.cell.energy_Wh),
                                          plan.inputs.get("line") or "LINE") + "."]
        if plan.rampup is not None:
            lines += ["", f"Ramp-up: {plan.rampup.headline()} (`charts/rampup.png`)"]
    lines += ["", f"## Warnings ({len(plan.warnings)})", ""]
    if plan.warnings:
        lines += [f"- **{w.severity}** ({w.source}): {w.message}" for w in plan.warnings]
    else:
        lines.append("None.")
    demand = getattr(plan, "demand", None)
    if demand is not None:
        from pouchline.demand import demand_markdown

        lines += ["", *demand_markdown(demand)]
    pngs = [p for p in files if p.parent.name == "charts"]
    if pngs:
        lines += ["", "## Charts", ""]
        lines += [f"- `charts/{p.name}`: {CHART_CAPTIONS.get(p.name, '')}".rstrip(": ") for p in pngs]
    lines += ["", "## Files", ""]
    lines += [f"- `{p.name}`" for p in files if p.parent.name != "charts"]
    return "\n".join(lines) + "\n"
