"""Replications: independent seeds, warm-up, confidence intervals, every core; and what-ifs.

Replication ``r`` of an experiment with seed ``s`` runs with ``SeedSequence(s).spawn(R)[r]``, whose
streams depend only on ``s`` and ``r``: the same replication gives the same numbers whether it
runs alone, serially or in a worker process, and a rerun is bit-identical.

:func:`what_if` runs a line and a changed copy (one station with more or fewer machines) with
the same seeds: *common random numbers* (Law 2015, ch. 11.2), so replication ``r`` of both sees
the same failures and scrap draws station by station, and the paired differences have a much
smaller variance than two independent experiments. The gain's interval is a paired Student t
over replications.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from pouchline.errors import InputError
from pouchline.line.defaults import (
    DEFAULT_DAYS,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DEFAULT_WARMUP_DAYS,
    MAX_MACHINES_PER_STATION,
    MAX_REPLICATIONS,
    MAX_WORK_PER_EXPERIMENT,
)
from pouchline.line.kpis import ExperimentResult, LineResult, combine, summarize
from pouchline.line.model import Line
from pouchline.line.simulation import ProgressCallback, RunPlan, _seed_sequence, plan_run, run_plan
from pouchline.line.stats import mean_ci95


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _start_method() -> str:
    """``fork`` (fast: no re-import) where it is safe, i.e. on Linux in a single-threaded process;
    ``spawn`` otherwise (threaded hosts such as Streamlit, macOS, Windows)."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _one(plan: RunPlan, ss: np.random.SeedSequence) -> LineResult:
    raw = run_plan(plan, ss)
    return summarize(raw, plan, seed=int(ss.entropy), spawn_key=tuple(ss.spawn_key))


def _check_replications(replications: Any, workers: Any) -> None:
    if (isinstance(replications, bool) or not isinstance(replications, (int, np.integer)) or replications < 1
            or replications > MAX_REPLICATIONS):
        raise InputError.single("", "replications", f"{replications!r} is not allowed: replications is a whole "
                                f"number from 1 to {MAX_REPLICATIONS:,}", replications)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1):
        raise InputError.single("", "workers", f"{workers!r} is not allowed: workers is a whole number >= 1", workers)


def _check_total_work(plans: list[RunPlan], replications: int) -> None:
    total = sum(p.work_estimate for p in plans) * replications
    if total > MAX_WORK_PER_EXPERIMENT:
        per = plans[0].work_estimate
        raise InputError.single("", "replications", f"{replications} replication(s) of about {per:,.0f} machine jobs "
                                f"and failures each{' (x2 for the what-if)' if len(plans) > 1 else ''} is about "
                                f"{total:,.0f}, more than the limit of {MAX_WORK_PER_EXPERIMENT:,} per request: run "
                                "fewer replications or fewer days", replications)


def _run_all(plans: list[RunPlan], seqs: list[np.random.SeedSequence], workers: int | None,
             progress: ProgressCallback | None) -> list[list[LineResult]]:
    """Every (plan, replication) pair, serially or over processes; results[plan][replication]."""
    jobs = [(p, r) for p in range(len(plans)) for r in range(len(seqs))]
    n_workers = min(len(jobs), workers if workers is not None else available_cores())
    if multiprocessing.current_process().daemon:  # e.g. inside a Pool worker: it may not start processes
        n_workers = 1
    results: list[list[LineResult | None]] = [[None] * len(seqs) for _ in plans]
    if n_workers <= 1:
        for k, (p, r) in enumerate(jobs):
            sub = None
            if progress is not None:
                sub = (lambda f, k=k: progress((k + f) / len(jobs)))
            raw = run_plan(plans[p], seqs[r], sub)
            results[p][r] = summarize(raw, plans[p], seed=int(seqs[r].entropy), spawn_key=tuple(seqs[r].spawn_key))
    else:
        ctx = multiprocessing.get_context(_start_method())
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            futures = {pool.submit(_one, plans[p], seqs[r]): (p, r) for p, r in jobs}
            done = 0
            for fut in as_completed(futures):
                p, r = futures[fut]
                results[p][r] = fut.result()
                done += 1
                if progress is not None:
                    progress(done / len(jobs))
    return [[x for x in row if x is not None] for row in results]


def run_experiment(line: Line, *, replications: int = DEFAULT_REPLICATIONS, days: float = DEFAULT_DAYS,
                   warmup_days: float = DEFAULT_WARMUP_DAYS, seed: int = DEFAULT_SEED,
                   workers: int | None = None, lot_size: int | None = None, area_per_cell_cm2: float | None = None,
                   materials_per_unit_g: Mapping[str, Mapping[str, float]] | None = None,
                   cell_energy_Wh: float | None = None, progress: ProgressCallback | None = None,
                   intermediate_materials: Any = ()) -> ExperimentResult:
    """Run ``replications`` independent replications of ``line`` and combine them.

    ``workers``: processes to use; ``None`` uses every available core (at most one per
    replication), ``1`` runs in this process. Results do not depend on ``workers``.
    ``progress`` is called with the fraction done (0-1): within the run for one replication, per
    finished replication otherwise. Other arguments as :func:`pouchline.line.simulate`. Every
    limit (replications, days, estimated work) is checked before any run starts.
    """
    _check_replications(replications, workers)
    root = _seed_sequence(seed)
    # check every input here, in this process: workers only run valid plans
    plan = plan_run(line, days=days, warmup_days=warmup_days, lot_size=lot_size,
                    area_per_cell_cm2=area_per_cell_cm2, materials_per_unit_g=materials_per_unit_g,
                    cell_energy_Wh=cell_energy_Wh, intermediate_materials=intermediate_materials)
    _check_total_work([plan], int(replications))
    seqs = root.spawn(int(replications))
    (results,) = _run_all([plan], seqs, workers, progress)
    return combine(results, seed=int(root.entropy))


# --------------------------------------------------------------------------------------------
# what-if: one more (or fewer) machine at a station, with common random numbers
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WhatIfResult:
    """The simulated effect of changing one station's machines (paired replications)."""

    station: str
    machines_before: int
    machines_after: int
    base: ExperimentResult
    changed: ExperimentResult
    gain_units_per_h: float  # mean paired difference of throughput (changed - base)
    gain_ci95_units_per_h: tuple[float, float]
    gain_frac: float  # gain / base throughput
    gain_ci95_frac: tuple[float, float]
    method: str

    @property
    def label(self) -> str:
        delta = self.machines_after - self.machines_before
        return f"{delta:+d} {self.station}"

    def to_dict(self) -> dict[str, Any]:
        from pouchline.fileio import jsonable

        return jsonable({
            "what_if": self.label, "station": self.station, "machines_before": self.machines_before,
            "machines_after": self.machines_after,
            "throughput_before_units_per_h": self.base.throughput_units_per_h,
            "throughput_after_units_per_h": self.changed.throughput_units_per_h,
            "gain_units_per_h": self.gain_units_per_h, "gain_ci95_units_per_h": list(self.gain_ci95_units_per_h),
            "gain_frac": self.gain_frac, "gain_ci95_frac": list(self.gain_ci95_frac),
            "bottleneck_before": self.base.bottleneck, "bottleneck_after": self.changed.bottleneck,
            "energy_MWh_per_year_before": self.base.energy_MWh_per_year,
            "energy_MWh_per_year_after": self.changed.energy_MWh_per_year, "method": self.method,
        })


_WHAT_IF = re.compile(r"^\s*([+-]\s*\d+)\s+([A-Za-z0-9_.:-]+)\s*$")


def parse_what_if(text: str) -> tuple[str, int]:
    """``"+1 stacker"`` -> ``("stacker", +1)``: a signed whole number of machines and a station."""
    m = _WHAT_IF.match(text or "")
    if not m:
        raise InputError.single("", "what_if", f"{text!r} is not a what-if: write a signed number of machines and a "
                                "station, e.g. \"+1 stacker\" or \"-2 formation_rack\"", text)
    return m.group(2), int(m.group(1).replace(" ", ""))


def changed_line(line: Line, station: str, machines: int) -> tuple[Line, int, int]:
    """``line`` with ``machines`` more (or fewer) machines at ``station``: (line, before, after)."""
    names = [s.name for s in line.stations]
    if station not in names:
        raise InputError.single("", "what_if", f"{station!r} is not a station of line {line.name}; stations: "
                                f"{', '.join(names)}", station)
    if isinstance(machines, bool) or not isinstance(machines, (int, np.integer)) or machines == 0:
        raise InputError.single("", "what_if", f"{machines!r} is not allowed: the change in machines is a whole "
                                "number other than 0", machines)
    i = names.index(station)
    before = line.stations[i].machines
    after = before + int(machines)
    if not 1 <= after <= MAX_MACHINES_PER_STATION:
        raise InputError.single("", "what_if", f"{station} has {before} machine(s); {machines:+d} gives {after}, not "
                                f"allowed: a station has 1 to {MAX_MACHINES_PER_STATION:,} machines", machines)
    data = line.model_dump(by_alias=True)
    data["stations"][i]["machines"] = after
    return Line.from_data(data, ""), before, after


def what_if(line: Line, station: str, *, machines: int = 1, replications: int = DEFAULT_REPLICATIONS,
            days: float = DEFAULT_DAYS, warmup_days: float = DEFAULT_WARMUP_DAYS, seed: int = DEFAULT_SEED,
            workers: int | None = None, lot_size: int | None = None, area_per_cell_cm2: float | None = None,
            cell_energy_Wh: float | None = None, materials_per_unit_g: Mapping | None = None,
            progress: ProgressCallback | None = None, base: ExperimentResult | None = None) -> WhatIfResult:
    """Simulate the gain of ``machines`` more (negative: fewer) machines at ``station``.

    Both lines run the same ``replications`` with the same seeds (common random numbers) and the
    same lot size (the base line's); the gain's 95 % interval is a paired Student t over
    replications (it needs >= 2). ``base``: an experiment of ``line`` already run with the same
    arguments, to reuse instead of running it again.
    """
    _check_replications(replications, workers)
    if replications < 2:
        raise InputError.single("", "replications", f"{replications} is not allowed for a what-if: the gain's "
                                "interval is over paired replications, so it needs >= 2", replications)
    other, before, after = changed_line(line, station, machines)
    root = _seed_sequence(seed)
    kw = dict(days=days, warmup_days=warmup_days, area_per_cell_cm2=area_per_cell_cm2,
              materials_per_unit_g=materials_per_unit_g, cell_energy_Wh=cell_energy_Wh)
    plan_a = plan_run(line, lot_size=lot_size, **kw)
    plan_b = plan_run(other, lot_size=plan_a.lot_size, **kw)  # same lots: only the machines differ
    plans = [plan_b] if base is not None else [plan_a, plan_b]
    _check_total_work(plans if base is None else [plan_a, plan_b], int(replications))
    seqs = root.spawn(int(replications))
    runs = _run_all(plans, seqs, workers, progress)
    if base is not None:
        if base.replications != replications or base.seed != int(root.entropy):
            raise InputError.single("", "base", "the base experiment was run with other replications or seed", None)
        res_a, res_b = list(base.results), runs[0]
        exp_a = base
    else:
        res_a, res_b = runs
        exp_a = combine(res_a, seed=int(root.entropy))
    exp_b = combine(res_b, seed=int(root.entropy))
    diffs = [b.throughput_units_per_h - a.throughput_units_per_h for a, b in zip(res_a, res_b)]
    rel = [d / a.throughput_units_per_h if a.throughput_units_per_h else math.nan for d, a in zip(diffs, res_a)]
    return WhatIfResult(
        station=station, machines_before=before, machines_after=after, base=exp_a, changed=exp_b,
        gain_units_per_h=float(np.mean(diffs)), gain_ci95_units_per_h=mean_ci95(diffs),
        gain_frac=float(np.mean(diffs)) / exp_a.throughput_units_per_h if exp_a.throughput_units_per_h else math.nan,
        gain_ci95_frac=mean_ci95(rel),
        method=f"common random numbers: paired Student t over {replications} replications (same seeds)",
    )


__all__ = ["available_cores", "run_experiment", "what_if", "parse_what_if", "changed_line", "WhatIfResult"]
