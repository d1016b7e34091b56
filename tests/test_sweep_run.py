"""Running sweeps: executors agree row for row, failures are recorded, resume skips finished rows.

Most tests use :func:`pouchline.sweep.synthetic_evaluate`, a cheap analytic stand-in for the
physics, so they test the machinery alone; the last ones run the real cell, line and cost.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pouchline.errors import InputError
from pouchline.sweep import (
    LocalExecutor,
    SweepContext,
    journal_path,
    load_sweep,
    run_sweep,
    scenarios,
    sweep_from_data,
    synthetic_evaluate,
)
from pouchline.sweep.scenario import fingerprint_of

ROOT = Path(__file__).resolve().parents[1]
LINE = ROOT / "recipes" / "lines" / "gwh-line.yaml"


def toy(parameters=None, *, outputs=("cell.sum", "cost.product", "line.noise"), seed=5, **extra):
    parameters = parameters or {"a": [1, 2, 3], "b": {"low": 0, "high": 1, "steps": 3},
                                "synthetic.fail": [False, True]}
    data = {"name": "toy", "line": str(LINE), "seed": seed, "parameters": parameters, "outputs": list(outputs),
            **extra}
    return sweep_from_data(data, "toy.yaml", base_dir=ROOT)


def ctx_of(sweep, salt=""):
    """A context without base files: the synthetic evaluator needs none."""
    return SweepContext(name=sweep.name, outputs=tuple(sweep.outputs),
                        fingerprint=fingerprint_of([sweep.model_dump(mode="json"), salt]))


def run_toy(sweep, **kw):
    kw.setdefault("evaluator", synthetic_evaluate)
    kw.setdefault("context", ctx_of(sweep))
    return run_sweep(sweep, **kw)


# -- executors agree ------------------------------------------------------------------------------
def test_serial_and_local_pool_give_identical_rows_and_files(tmp_path):
    sweep = toy()
    serial = run_toy(sweep, executor="serial", out=tmp_path / "serial.csv")
    local = run_toy(sweep, executor="local", workers=2, out=tmp_path / "local.csv")
    pd.testing.assert_frame_equal(serial.table, local.table)
    assert (tmp_path / "serial.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    assert local.workers == 2 and local.ran == 18


def test_results_do_not_depend_on_batching_or_worker_count():
    sweep = toy()
    a = run_toy(sweep, executor="local", workers=1, batch_size=4)
    b = run_toy(sweep, executor="local", workers=2, batch_size=1)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_each_scenario_carries_its_own_seed():
    sweep = toy()
    t = run_toy(sweep).table
    assert list(t["seed"]) == [s.seed for s in scenarios(sweep)]
    ok = t[t.status == "ok"]
    assert ok["line.noise"].nunique() == len(ok)  # a normal draw from each scenario's own seed


# -- failures ----------------------------------------------------------------------------------------
def test_a_scenario_that_raises_is_recorded_and_the_rest_go_on():
    res = run_toy(toy(), executor="local", workers=2)
    t = res.table
    failed = t[t["synthetic.fail"]]
    assert len(t) == 18 and len(failed) == 9 and res.failed == 9
    assert (failed.status == "error").all()
    assert failed.error.str.contains("asked to fail").all()
    assert failed["cell.sum"].isna().all()
    ok = t[~t["synthetic.fail"]]
    assert (ok.status == "ok").all() and ok.error.isna().all()
    assert list(ok["cell.sum"]) == list(ok.a + ok.b)


def test_a_worker_that_dies_fails_only_its_own_scenario():
    sweep = toy({"a": [1, 2, 3, 4], "synthetic.crash": [False, True, False], "synthetic.work_s": 0.02})
    t = run_toy(sweep, executor=LocalExecutor(2)).table
    crashed = t[t["synthetic.crash"]]
    assert (crashed.status == "error").all()
    assert crashed.error.str.contains("worker process died").all()
    assert (t[~t["synthetic.crash"]].status == "ok").all()


def test_a_misnamed_output_stops_the_sweep_with_a_suggestion():
    sweep = toy({"a": [1, 2]}, outputs=("cell.summ",))
    with pytest.raises(InputError) as err:
        run_toy(sweep)
    assert "did you mean cell.sum" in str(err.value)


# -- resume ------------------------------------------------------------------------------------------
class _Stop(Exception):
    pass


def _interrupt_after(n):
    def progress(done, total, row):
        if row is not None and done >= n:
            raise KeyboardInterrupt
    return progress


def test_an_interrupted_sweep_resumes_without_redoing_finished_scenarios(tmp_path):
    sweep = toy()
    out = tmp_path / "r.csv"
    with pytest.raises(KeyboardInterrupt):
        run_toy(sweep, out=out, progress=_interrupt_after(5))
    journal = journal_path(out)
    assert not out.exists() and journal.exists()
    lines = [json.loads(x) for x in journal.read_text().splitlines()]
    assert sum("key" in x for x in lines) == 5

    calls = []

    def counting(ctx, scenario):  # serial executor: any callable will do
        calls.append(scenario.index)
        return synthetic_evaluate(ctx, scenario)

    res = run_toy(sweep, out=out, evaluator=counting)
    assert res.skipped == 5 and res.ran == 13
    assert sorted(calls) == list(range(5, 18))
    run_toy(sweep, out=tmp_path / "fresh.csv")
    assert out.read_bytes() == (tmp_path / "fresh.csv").read_bytes()
    assert not journal.exists()  # removed once the results are written


def test_resume_from_the_local_pool_journal(tmp_path):
    sweep = toy({"a": list(range(12)), "synthetic.work_s": 0.01})
    out = tmp_path / "r.parquet"
    with pytest.raises(KeyboardInterrupt):
        run_toy(sweep, out=out, executor="local", workers=2, progress=_interrupt_after(4))
    res = run_toy(sweep, out=out, executor="local", workers=2)
    assert res.skipped >= 4 and res.skipped + res.ran == 12
    full = run_toy(sweep)
    pd.testing.assert_frame_equal(pd.read_parquet(out), full.table, check_dtype=False)


def test_rows_of_a_changed_base_are_not_reused(tmp_path):
    sweep = toy()
    out = tmp_path / "r.csv"
    with pytest.raises(KeyboardInterrupt):
        run_toy(sweep, out=out, progress=_interrupt_after(6))
    # the same design on other base files (another fingerprint): every key differs
    res = run_toy(sweep, out=out, context=ctx_of(sweep, salt="recipe rev B"))
    assert res.skipped == 0 and res.ran == 18


def test_fresh_ignores_the_journal_and_retry_failed_reruns_failures(tmp_path):
    sweep = toy()
    out = tmp_path / "r.csv"
    with pytest.raises(KeyboardInterrupt):
        run_toy(sweep, out=out, progress=_interrupt_after(6))
    assert run_toy(sweep, out=out, resume=False).skipped == 0
    # no journal now; resume=True resumes from the results file itself
    again = run_toy(sweep, out=out, resume=True)
    assert again.ran == 0 and again.skipped == 18
    retry = run_toy(sweep, out=out, resume=True, retry_failed=True)
    assert retry.ran == 9 and retry.skipped == 9


def test_torn_last_journal_line_is_ignored(tmp_path):
    sweep = toy()
    out = tmp_path / "r.csv"
    with pytest.raises(KeyboardInterrupt):
        run_toy(sweep, out=out, progress=_interrupt_after(3))
    with open(journal_path(out), "a") as fh:
        fh.write('{"scenario": 3, "key": "tru')  # a write cut short
    res = run_toy(sweep, out=out)
    assert res.skipped == 3 and res.ran == 15


# -- output files -----------------------------------------------------------------------------------
def test_csv_and_parquet_hold_the_same_table(tmp_path):
    sweep = toy()
    res = run_toy(sweep, out=tmp_path / "r.parquet")
    run_toy(sweep, out=tmp_path / "r.csv")
    pq = pd.read_parquet(tmp_path / "r.parquet")
    csv = pd.read_csv(tmp_path / "r.csv")
    assert list(pq.columns) == list(csv.columns) == ["scenario", "a", "b", "synthetic.fail", "cell.sum",
                                                     "cost.product", "line.noise", "status", "error", "seed", "key"]
    pd.testing.assert_frame_equal(pq, res.table, check_dtype=False)
    pd.testing.assert_frame_equal(csv.drop(columns="error"), pq.drop(columns="error"), check_dtype=False)


def test_an_unknown_results_suffix_is_refused(tmp_path):
    with pytest.raises(InputError) as err:
        run_toy(toy(), out=tmp_path / "r.xlsx")
    assert ".csv or .parquet" in str(err.value)


# -- Dask ---------------------------------------------------------------------------------------------
def test_dask_local_cluster_on_loopback_matches_serial():
    distributed = pytest.importorskip("distributed")
    from pouchline.sweep import DaskExecutor

    sweep = toy()
    serial = run_toy(sweep, executor="serial")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        # through the scheduler's address, as with a real cluster
        res = run_toy(sweep, executor=DaskExecutor(scheduler=cluster.scheduler_address))
    assert res.workers == 2
    pd.testing.assert_frame_equal(serial.table, res.table)


# -- the real calculation ---------------------------------------------------------------------------
def real(parameters, outputs, **extra):
    data = {"name": "real", "sizing": {"format": "ev-300x100"}, "parameters": parameters, "outputs": outputs, **extra}
    return sweep_from_data(data, "real.yaml", base_dir=ROOT)


def test_cell_and_cost_outputs_do_not_run_the_simulation(monkeypatch):
    import pouchline.line

    def no_simulation(*a, **k):
        raise AssertionError("the line simulation ran")

    monkeypatch.setattr(pouchline.line, "run_experiment", no_simulation)
    sweep = real({"sizing.layers": [4, 12], "cell.electrolyte_film.thickness_um": [25, 41.5],
                  "materials.indium.price.base.value": [240, 850]},
                 ["cell.specific_energy_Wh_kg", "cost.cost_per_kWh_usd"], line=str(LINE))
    t = run_sweep(sweep, executor="serial").table
    assert (t.status == "ok").all(), t.error.tolist()
    # a thinner film gives more Wh/kg; dearer indium more $/kWh
    pivot = t.set_index(list(sweep.parameters))
    wh_kg = pivot["cell.specific_energy_Wh_kg"]
    assert wh_kg.loc[(4, 25, 240)] > wh_kg.loc[(4, 41.5, 240)]
    assert pivot.loc[(12, 25, 850), "cost.cost_per_kWh_usd"] > pivot.loc[(12, 25, 240), "cost.cost_per_kWh_usd"]


def test_real_sweep_with_a_short_simulation_agrees_across_executors():
    sweep = real({"sizing.layers": [8, 12], "line.stations.stacker.machines": [16, 24]},
                 ["cell.energy_Wh", "line.MWh_per_year", "line.stations.stacker.utilization"],
                 line=str(LINE), simulation={"days": 3, "warmup_days": 0.5})
    serial = run_sweep(sweep, executor="serial")
    local = run_sweep(sweep, executor="local", workers=2)
    assert (serial.table.status == "ok").all(), serial.table.error.tolist()
    pd.testing.assert_frame_equal(serial.table, local.table)
    assert (serial.table["line.MWh_per_year"] > 0).all()


def test_misspelt_parameter_paths_are_refused_before_running():
    sweep = real({"cell.electrolyte_film.thicknes_um": [25], "materials.indum.price.base.value": [240],
                  "line.stations.stackr.machines": [2]}, ["cell.energy_Wh"], line=str(LINE))
    with pytest.raises(InputError) as err:
        run_sweep(sweep)
    text = str(err.value)
    assert "did you mean thickness_um" in text and "did you mean indium" in text and "did you mean stacker" in text


def test_cli_runs_a_sweep_and_writes_results_and_charts(tmp_path, capsys):
    from pouchline.cli import main

    f = tmp_path / "s.yaml"
    f.write_text(
        f"name: cli\nrecipe: {ROOT / 'recipes' / 'insnbi-lco-pouch.yaml'}\n"
        "sizing: {format: ev-300x100}\ncost: {plant: default}\n"
        "parameters:\n  sizing.layers: [4, 8]\n  cell.electrolyte_film.thickness_um: [25, 41.5]\n"
        "outputs: [cell.specific_energy_Wh_kg, cost.cost_per_kWh_usd]\n")
    out = tmp_path / "res.csv"
    assert main(["sweep", str(f), "--out", str(out), "--executor", "serial"]) == 0
    printed = capsys.readouterr().out
    assert "4 ok, 0 failed" in printed
    assert len(pd.read_csv(out)) == 4
    for chart in ("pareto", "tornado", "main-effects"):
        assert (tmp_path / f"res-{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["sweep", str(f), "--dry-run"]) == 0
    assert main(["sweep", str(f), "--out", str(tmp_path / "r.txt")]) == 2


def test_example_sweep_runs_its_first_scenarios():
    sweep = load_sweep(ROOT / "recipes" / "sweeps" / "example-sweep.yaml")
    sweep = sweep.model_copy(update={"simulation": sweep.simulation.model_copy(update={"days": 3, "warmup_days": 0.5})})
    res = run_sweep(sweep, limit=2)
    assert (res.table.status == "ok").all(), res.table.error.tolist()
    assert set(sweep.outputs) <= set(res.table.columns)


def test_a_spread_sample_spans_every_parameter_of_a_grid():
    # issue 17: the app ran the first N grid points (20 of 60 cover only 4 and 8 layers) and called their
    # extremes the lowest and highest levels. A spread sample of N includes the design's first and last
    # scenarios, which on a grid are the all-lowest and all-highest corners.
    from pouchline.sweep.run import spread_sample

    assert spread_sample(list(range(10)), 4) == [0, 3, 6, 9]  # round(i x 9 / 3)
    assert spread_sample(list(range(3)), 5) == [0, 1, 2] and spread_sample(list(range(3)), 0) == []
    sweep = toy()  # a 3 x 3 x 2 grid, 18 scenarios
    first = run_toy(sweep, limit=4)
    spread = run_toy(sweep, limit=4, sample="spread")
    assert first.table.scenario.tolist() == [0, 1, 2, 3]
    assert spread.table.scenario.tolist() == [0, 6, 11, 17]  # round(i x 17 / 3)
    for name, levels in (("a", {1, 2, 3}), ("b", {0.0, 0.5, 1.0})):
        got = {r["inputs"][name] for r in spread.rows}
        assert min(levels) in got and max(levels) in got
    assert {r["inputs"]["a"] for r in first.rows} == {1}  # the first four never leave a's lowest level
    with pytest.raises(InputError, match="sample"):
        run_toy(sweep, limit=4, sample="random")
