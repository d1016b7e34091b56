"""Replications: independent seeds, warm-up, confidence intervals, every core.

Replication ``r`` of an experiment with seed ``s`` runs with ``SeedSequence(s).spawn(R)[r]``, whose
streams depend only on ``s`` and ``r``: the same replication gives the same numbers whether it
runs alone, serially or in a worker process, and a rerun is bit-identical.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Mapping

import numpy as np

from pouchline.errors import InputError
from pouchline.line.kpis import ExperimentResult, LineResult, combine, summarize
from pouchline.line.model import Line
from pouchline.line.simulation import ProgressCallback, RunPlan, _seed_sequence, plan_run, run_plan


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


def run_experiment(line: Line, *, replications: int = 1, days: float, warmup_days: float = 0.0, seed: int = 0,
                   workers: int | None = None, lot_size: int | None = None, area_per_cell_cm2: float | None = None,
                   materials_per_unit_g: Mapping[str, Mapping[str, float]] | None = None,
                   cell_energy_Wh: float | None = None, progress: ProgressCallback | None = None) -> ExperimentResult:
    """Run ``replications`` independent replications of ``line`` and combine them.

    ``workers``: processes to use; ``None`` uses every available core (at most one per
    replication), ``1`` runs in this process. Results do not depend on ``workers``.
    ``progress`` is called with the fraction done (0-1): within the run for one replication, per
    finished replication otherwise. Other arguments as :func:`pouchline.line.simulate`.
    """
    if isinstance(replications, bool) or not isinstance(replications, (int, np.integer)) or replications < 1:
        raise InputError.single("", "replications", f"{replications!r} is not allowed: replications is a whole "
                                "number >= 1", replications)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1):
        raise InputError.single("", "workers", f"{workers!r} is not allowed: workers is a whole number >= 1", workers)
    root = _seed_sequence(seed)
    # check every input here, in this process: workers only run valid plans
    plan = plan_run(line, days=days, warmup_days=warmup_days, lot_size=lot_size,
                    area_per_cell_cm2=area_per_cell_cm2, materials_per_unit_g=materials_per_unit_g,
                    cell_energy_Wh=cell_energy_Wh)
    seqs = root.spawn(int(replications))
    n_workers = min(int(replications), workers if workers is not None else available_cores())
    if multiprocessing.current_process().daemon:  # e.g. inside a Pool worker: it may not start processes
        n_workers = 1

    results: list[LineResult | None] = [None] * len(seqs)
    if n_workers <= 1:
        for r, ss in enumerate(seqs):
            sub = None
            if progress is not None:
                sub = (lambda f, r=r: progress((r + f) / len(seqs)))
            raw = run_plan(plan, ss, sub)
            results[r] = summarize(raw, plan, seed=int(ss.entropy), spawn_key=tuple(ss.spawn_key))
    else:
        ctx = multiprocessing.get_context(_start_method())
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            futures = {pool.submit(_one, plan, ss): r for r, ss in enumerate(seqs)}
            done = 0
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                done += 1
                if progress is not None:
                    progress(done / len(seqs))
    return combine([r for r in results if r is not None], seed=int(root.entropy))
