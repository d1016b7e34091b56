"""Benchmark: a 64-scenario sweep serially, on the local process pool and on a Dask LocalCluster.

Each scenario sizes a cell on the 300 x 100 mm electrode (Latin hypercube over layer count, film
thickness and the indium price), simulates a few days of the ~1 GWh line making it and costs it at
the simulated throughput: about half a second of its own time (60 simulated days). Prints wall time, scenarios per minute
and parallel efficiency = serial time / (workers x parallel time), checks that every executor
gives the same rows, and measures the machinery's own cost per scenario with a no-op evaluator.

    python benchmarks/bench_sweep.py                 # 64 scenarios, every core
    python benchmarks/bench_sweep.py --scenarios 16 --days 10 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_sweep(n: int, days: float):
    from pouchline.sweep import sweep_from_data

    data = {
        "name": "bench",
        "recipe": "recipes/insnbi-lco-pouch.yaml",
        "line": "recipes/lines/gwh-line.yaml",
        "cost_rates": "recipes/cost-rates.yaml",
        "seed": 2025,
        "design": {"kind": "latin_hypercube", "samples": n},
        "sizing": {"format": "ev-300x100"},
        "simulation": {"days": days, "warmup_days": 0.5},
        "cost": {"include_fixture": False},
        "parameters": {
            "sizing.layers": {"low": 4, "high": 20},
            "cell.electrolyte_film.thickness_um": {"low": 25, "high": 55},
            "materials.indium.price.base.value": {"distribution": "triangular", "low": 240, "mode": 350, "high": 850},
        },
        "outputs": ["cell.specific_energy_Wh_kg", "line.MWh_per_year", "line.throughput_units_per_h",
                    "cost.cost_per_kWh_usd"],
    }
    return sweep_from_data(data, "bench", base_dir=ROOT)


def noop_sweep(n: int):
    from pouchline.sweep import sweep_from_data

    return sweep_from_data({"name": "noop", "design": {"kind": "mc", "samples": n},
                            "parameters": {"a": {"low": 0, "high": 1}}, "outputs": ["cell.sum"]}, "noop", base_dir=ROOT)


def _spin(n: int) -> float:
    t0 = time.perf_counter()
    acc = 0
    for i in range(n):
        acc += i * i
    return time.perf_counter() - t0


def cpu_control(workers: int, tasks: int = 8, n: int = 2_000_000) -> float:
    """Parallel efficiency of a pure-CPU loop on ``workers`` processes now: what the machine allows."""
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    for _ in range(tasks):
        _spin(n)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_spin, [1] * workers))  # start the workers first
        t0 = time.perf_counter()
        list(pool.map(_spin, [n] * tasks))
        parallel = time.perf_counter() - t0
    return serial / (workers * parallel)


def main(argv=None) -> int:
    from pouchline.sweep import SweepContext, available_cores, load_context, run_sweep, synthetic_evaluate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=64)
    ap.add_argument("--days", type=float, default=60.0, help="simulated days per scenario")
    ap.add_argument("--workers", type=int, default=None, help="default: every core")
    ap.add_argument("--noop", type=int, default=400, help="scenarios of the no-op overhead run")
    ap.add_argument("--repeat", type=int, default=2, help="runs per executor; the fastest counts (the machine is "
                    "shared: other work only ever slows a run down)")
    args = ap.parse_args(argv)
    workers = args.workers or available_cores()

    sweep = bench_sweep(args.scenarios, args.days)
    ctx = load_context(sweep)  # read the base files once; every run gets the same context
    print(f"pouchline sweep benchmark: {args.scenarios} scenarios (LHS: layers, film thickness, indium price), "
          f"{args.days:g} simulated days each; {workers} worker(s) on {available_cores()} core(s), "
          f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f} (other work on the machine slows every executor)")

    # 1. the machinery alone: scenarios that do nothing, so everything measured is overhead. Two
    # sizes separate the fixed start-up (process pool or LocalCluster) from the marginal cost of one
    # more scenario. The first local run also starts Python's forkserver (once per process).
    nctx = SweepContext(name="noop", outputs=("cell.sum",), fingerprint="noop")
    small, large = max(workers, args.noop // 8), args.noop
    machinery = {}
    for name, kw in (("serial", {"executor": "serial"}),
                     ("local", {"executor": "local", "workers": workers}),
                     ("dask", {"executor": "dask", "workers": workers})):
        walls = []
        for n in (small, small, large):
            t0 = time.perf_counter()
            run_sweep(noop_sweep(n), context=nctx, evaluator=synthetic_evaluate, **kw)
            walls.append(time.perf_counter() - t0)
        marginal = max(0.0, (walls[2] - walls[1]) / (large - small))
        machinery[name] = (max(0.0, walls[0] - small * marginal), max(0.0, walls[1] - small * marginal), marginal)

    # 2. the real sweep on each executor
    runs = {}
    for name, kw in (("serial", {"executor": "serial"}),
                     ("local", {"executor": "local", "workers": workers}),
                     ("dask", {"executor": "dask", "workers": workers})):
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            res = run_sweep(sweep, context=ctx, **kw)
            wall = time.perf_counter() - t0
            if res.failed:
                print(f"{name}: {res.failed} scenario(s) failed, e.g. {res.errors()[0]}", file=sys.stderr)
                return 1
            if name not in runs or wall < runs[name][1]:
                runs[name] = (res, wall)
            print(f"  {name:<7} {wall:6.1f} s", flush=True)

    serial_wall = runs["serial"][1]
    per_scenario = runs["serial"][0].busy_s / args.scenarios
    print()
    print(f"{args.scenarios}-scenario sweep, a scenario's own time {per_scenario * 1000:.0f} ms on average (serial), "
          f"fastest of {max(1, args.repeat)} run(s) each:")
    print(f"{'executor':<10}{'workers':>8}{'wall s':>9}{'scen/min':>10}{'efficiency':>12}{'start-up s':>12}"
          f"{'eff. w/o start-up':>19}")
    for name, (res, wall) in runs.items():
        w = 1 if name == "serial" else res.workers
        startup = machinery[name][1]
        eff = serial_wall / (w * wall)
        eff_run = serial_wall / (w * max(1e-9, wall - startup))
        print(f"{name:<10}{w:>8}{wall:>9.1f}{60 * args.scenarios / wall:>10.1f}{eff:>12.2f}{startup:>12.2f}"
              f"{eff_run:>19.2f}")
    print(f"control: a pure-CPU loop on {workers} processes reaches efficiency {cpu_control(workers):.2f} on this "
          "machine now (1.00 on idle cores; less when other work shares them)")
    ref = runs["serial"][0].table
    same = all(r.table.equals(ref) for r, _ in runs.values())
    print(f"rows identical across executors: {'yes' if same else 'NO'}")
    print()
    print(f"machinery alone (no-op scenarios, {small} and {large} per run):")
    for name, (cold, warm, marginal) in machinery.items():
        print(f"  {name:<7} start-up {cold:5.2f} s cold, {warm:5.2f} s warm; then {marginal * 1000:5.2f} ms per "
              f"scenario ({marginal / per_scenario * 100:.2f} % of a scenario's own time)")
    return 0 if same else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
