"""The production line: line files, the SimPy simulation, KPIs, replicated experiments and what-ifs.

::

    from pouchline.line import load_line, simulate, run_experiment, what_if

    line = load_line("recipes/lines/gwh-line.yaml")
    res = simulate(line, days=60, warmup_days=7, seed=1)              # one run -> LineResult
    exp = run_experiment(line, replications=5, days=60, warmup_days=7, seed=1)  # every core
    exp.to_dict()["throughput_ci95_units_per_h"]
    gain = what_if(line, "stacker", machines=+1, replications=5, days=60)   # common random numbers

Run lengths shared by every command: :data:`DEFAULT_DAYS`, :data:`DEFAULT_WARMUP_DAYS`,
:data:`DEFAULT_REPLICATIONS` (:mod:`.defaults`, which imports nothing).

Modules: :mod:`.model` (what a user writes, and the only file I/O), :mod:`.clock` (shift calendar),
:mod:`.simulation` (the SimPy core), :mod:`.kpis` (results and KPI math), :mod:`.stats`
(intervals, warm-up, autocorrelation), :mod:`.experiment` (replications over processes, what-if).

Names are imported on first use, so ``from pouchline.line.defaults import DEFAULT_DAYS`` (or
reading this package's defaults) does not load SimPy, numpy or pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from pouchline.line.defaults import (
    DEFAULT_DAYS,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DEFAULT_WARMUP_DAYS,
    MAX_REPLICATIONS,
    MAX_SIM_DAYS,
    MAX_WORK_PER_EXPERIMENT,
    MAX_WORK_PER_RUN,
)

_LAZY = {
    "run_experiment": "experiment", "available_cores": "experiment", "what_if": "experiment",
    "parse_what_if": "experiment", "WhatIfResult": "experiment",
    "ExperimentResult": "kpis", "LineResult": "kpis", "StationResult": "kpis", "ZoneResult": "kpis",
    "DEFAULT_STEP_IDS": "model", "Calendar": "model", "Line": "model", "Station": "model", "StationSpec": "model",
    "Zone": "model", "CarrierPool": "model", "Release": "model", "Topology": "model", "load_line": "model",
    "parse_line_text": "model", "default_lot_size": "model", "intermediate_materials": "kpis",
    "STATES": "simulation", "simulate": "simulation",
}

__all__ = [
    "Calendar", "Line", "Station", "StationSpec", "Zone", "CarrierPool", "Release", "Topology", "DEFAULT_STEP_IDS",
    "load_line", "parse_line_text", "simulate", "default_lot_size", "STATES", "run_experiment", "available_cores",
    "what_if", "parse_what_if", "WhatIfResult", "LineResult", "StationResult", "ZoneResult", "ExperimentResult",
    "intermediate_materials",
    "DEFAULT_DAYS", "DEFAULT_WARMUP_DAYS", "DEFAULT_REPLICATIONS", "DEFAULT_SEED", "MAX_SIM_DAYS", "MAX_REPLICATIONS",
    "MAX_WORK_PER_RUN", "MAX_WORK_PER_EXPERIMENT",
]


def __getattr__(name: str) -> Any:  # PEP 562: import the heavy modules on first use
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pouchline.line' has no attribute {name!r}")
    value = getattr(import_module(f"pouchline.line.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
