"""The production line: line files, the SimPy simulation, KPIs and replicated experiments.

::

    from pouchline.line import load_line, simulate, run_experiment

    line = load_line("recipes/lines/gwh-line.yaml")
    res = simulate(line, days=365, warmup_days=7, seed=1)          # one run -> LineResult
    exp = run_experiment(line, replications=20, days=365, warmup_days=7, seed=1)  # every core
    exp.to_dict()["throughput_ci95_units_per_h"]

Modules: :mod:`.model` (what a user writes, and the only file I/O), :mod:`.clock` (shift calendar),
:mod:`.simulation` (the SimPy core), :mod:`.kpis` (results and KPI math), :mod:`.experiment`
(replications over processes).
"""

from __future__ import annotations

from pouchline.line.experiment import available_cores, run_experiment
from pouchline.line.kpis import ExperimentResult, LineResult, StationResult, ZoneResult
from pouchline.line.model import (
    DEFAULT_STEP_IDS,
    Calendar,
    Line,
    Station,
    StationSpec,
    Zone,
    load_line,
    parse_line_text,
)
from pouchline.line.simulation import STATES, default_lot_size, simulate

__all__ = [
    "Calendar", "Line", "Station", "StationSpec", "Zone", "DEFAULT_STEP_IDS", "load_line", "parse_line_text",
    "simulate", "default_lot_size", "STATES", "run_experiment", "available_cores",
    "LineResult", "StationResult", "ZoneResult", "ExperimentResult",
]
