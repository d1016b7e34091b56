"""Scenario sweeps: vary recipe, line and cost inputs, run every scenario anywhere, collect rows.

::

    from pouchline.sweep import load_sweep, run_sweep

    sweep = load_sweep("recipes/sweeps/example-sweep.yaml")
    res = run_sweep(sweep, out="results.csv", executor="local")   # or "serial", "dask"
    res.table                                                      # one row per scenario

Modules: :mod:`.model` (the sweep file), :mod:`.designs` (grid, Latin hypercube, Monte Carlo),
:mod:`.scenario` (one scenario's results), :mod:`.executors` (serial, process pool, Dask),
:mod:`.run` (resume, journal, results file) and :mod:`.plots` (Pareto front, tornado, main effects).
"""

from __future__ import annotations

from pouchline.sweep.designs import Scenario, count_scenarios, scenario_seed, scenarios
from pouchline.sweep.executors import (
    EXECUTORS,
    DaskExecutor,
    Executor,
    LocalExecutor,
    SerialExecutor,
    available_cores,
    make_executor,
)
from pouchline.sweep.model import Design, Parameter, Sweep, load_sweep, sweep_from_data
from pouchline.sweep.run import SweepResult, journal_path, results_table, run_sweep, write_results
from pouchline.sweep.scenario import SweepContext, evaluate, load_context, synthetic_evaluate

__all__ = [
    "Sweep", "Parameter", "Design", "load_sweep", "sweep_from_data",
    "Scenario", "scenarios", "count_scenarios", "scenario_seed",
    "Executor", "SerialExecutor", "LocalExecutor", "DaskExecutor", "make_executor", "EXECUTORS", "available_cores",
    "SweepContext", "load_context", "evaluate", "synthetic_evaluate",
    "SweepResult", "run_sweep", "results_table", "write_results", "journal_path",
    "pareto_front", "main_effects", "tornado", "pareto_figure", "tornado_figure", "main_effects_figure",
    "write_plots",
]

_PLOTS = {"pareto_front", "main_effects", "tornado", "pareto_figure", "tornado_figure", "main_effects_figure",
          "write_plots"}


def __getattr__(name: str):  # matplotlib is imported only when a chart is asked for
    if name in _PLOTS:
        from pouchline.sweep import plots

        return getattr(plots, name)
    raise AttributeError(name)
