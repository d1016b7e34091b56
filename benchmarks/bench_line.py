"""Benchmark of the line simulation: wall time per simulated year, events/s, peak memory.

Compares pouchline's lot-based model with a naive SimPy model that moves one entity per cell
through the same line (run for a short horizon and scaled to a year), checks how much the lot size
changes throughput, and times replications serially and over every core.

    python benchmarks/bench_line.py                 # gwh-line.yaml, ~1 minute
    python benchmarks/bench_line.py --quick         # shorter horizons
    python benchmarks/bench_line.py --json

Each measured run happens in a fresh process, so its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LINE = ROOT / "recipes" / "lines" / "gwh-line.yaml"


# --------------------------------------------------------------------------------------------
# measured runs (each in its own process)
# --------------------------------------------------------------------------------------------
def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def _lot_run(line_path: str, days: float, warmup_days: float, lot_size: int | None, seed: int,
             trace: bool) -> dict:
    from pouchline.line import load_line, simulate

    line = load_line(line_path)
    rss0 = _peak_rss_mb()
    if trace:
        tracemalloc.start()
    c0 = _cpu_s()
    t0 = time.perf_counter()
    res = simulate(line, days=days, warmup_days=warmup_days, seed=seed, lot_size=lot_size)
    wall = time.perf_counter() - t0
    cpu = _cpu_s() - c0
    peak_traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    return {
        "wall_s": wall, "cpu_s": cpu, "events": res.events, "sim_days": days + warmup_days, "lot_size": res.lot_size,
        "throughput_units_per_h": res.throughput_units_per_h,
        "ci95": list(res.throughput_ci95_units_per_h), "good_units": res.good_units,
        "energy_MWh_per_year": res.energy_MWh_per_year, "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": rss0,
        "tracemalloc_peak_mb": peak_traced,
    }


def _naive_run(line_path: str, warm_days: float, timed_days: float, seed: int) -> dict:
    """One SimPy entity per cell: Stores of cell tokens, one get/put per cell, Bernoulli scrap."""
    import numpy as np
    import simpy

    from pouchline.line import load_line

    line = load_line(line_path)
    specs = line.station_specs()
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    stores = [None] + [simpy.Store(env, capacity=s.buffer_capacity or float("inf")) for s in specs[1:]]
    done = [0]

    def machine(i):
        s = specs[i]
        inbuf, outbuf = stores[i], stores[i + 1] if i + 1 < len(specs) else None
        failing = s.mtbf_h is not None
        ttf = rng.exponential(s.mtbf_h * 3600) if failing else 0.0
        while True:
            batch = []
            for _ in range(s.batch_size):
                batch.append((yield inbuf.get()) if inbuf is not None else env.now)
            left = s.cycle_time_s
            while failing and ttf < left:
                yield env.timeout(ttf)
                left -= ttf
                yield env.timeout(rng.exponential(s.mttr_h * 3600))
                ttf = rng.exponential(s.mtbf_h * 3600)
            if failing:
                ttf -= left
            yield env.timeout(left)
            for cell in batch:
                if rng.random() < s.scrap_rate:
                    continue
                if outbuf is not None:
                    yield outbuf.put(cell)
                else:
                    done[0] += 1

    for i, s in enumerate(specs):
        for _ in range(s.machines):
            env.process(machine(i))
    env.run(until=warm_days * 86400)
    e0, d0 = next(env._eid), done[0]
    rss0 = _peak_rss_mb()
    c0 = _cpu_s()
    t0 = time.perf_counter()
    env.run(until=(warm_days + timed_days) * 86400)
    wall = time.perf_counter() - t0
    cpu = _cpu_s() - c0
    events = next(env._eid) - e0
    return {"wall_s": wall, "cpu_s": cpu, "events": events, "sim_days": timed_days, "good_units": done[0] - d0,
            "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": rss0}


def _in_child(fn, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def _replications(line_path: str, replications: int, days: float, workers: int | None) -> tuple[float, dict]:
    from pouchline.line import load_line, run_experiment

    line = load_line(line_path)
    t0 = time.perf_counter()
    exp = run_experiment(line, replications=replications, days=days, warmup_days=2, seed=1, workers=workers)
    return time.perf_counter() - t0, exp.to_dict()


# --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--line", default=str(DEFAULT_LINE))
    ap.add_argument("--days", type=float, default=365.0, help="simulated days for the timed lot run")
    ap.add_argument("--naive-days", type=float, default=0.25, help="timed days of the one-entity-per-cell model")
    ap.add_argument("--naive-warmup-days", type=float, default=1.0, help="untimed days before those")
    ap.add_argument("--replications", type=int, default=4, help="replications for the serial/parallel timing")
    ap.add_argument("--rep-days", type=float, default=180.0, help="days per replication in that timing")
    ap.add_argument("--quick", action="store_true", help="shorter horizons (90 days, lot check over 90 days)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    days = 90.0 if args.quick else args.days
    out: dict = {"line": args.line, "cores": os.cpu_count(), "python": sys.version.split()[0]}

    # 1. replications: serial against every core, identical results (first, while this process has
    #    one thread, so run_experiment may fork its workers)
    from pouchline.line.experiment import _start_method, available_cores

    method = _start_method()
    rep_days = 60.0 if args.quick else args.rep_days
    t_serial, d_serial = _replications(args.line, args.replications, rep_days, 1)
    t_par, d_par = _replications(args.line, args.replications, rep_days, None)
    out["replications"] = {"n": args.replications, "days_each": rep_days, "serial_s": t_serial,
                           "parallel_s": t_par, "speedup": t_serial / t_par, "workers": available_cores(),
                           "start_method": method, "identical": d_serial == d_par}

    # 2. the lot-based model, one core, one simulated year (or --days), default lot size
    lot = _in_child(_lot_run, args.line, days - 7, 7.0, None, 1, False)
    per_year = lot["wall_s"] * 365.0 / lot["sim_days"]
    cpu_per_year = lot["cpu_s"] * 365.0 / lot["sim_days"]
    traced = _in_child(_lot_run, args.line, min(days, 90.0) - 7, 7.0, None, 1, True)
    out["lot_model"] = {**lot, "wall_s_per_sim_year": per_year, "cpu_s_per_sim_year": cpu_per_year,
                        "events_per_s": lot["events"] / lot["wall_s"], "events_per_cpu_s": lot["events"] / lot["cpu_s"],
                        "tracemalloc_peak_mb_90d": traced["tracemalloc_peak_mb"]}

    # 3. lot size sensitivity: lots of 100 against the default, same seed and horizon
    lot100 = _in_child(_lot_run, args.line, days - 7, 7.0, 100, 1, False)
    diff = lot100["throughput_units_per_h"] / lot["throughput_units_per_h"] - 1.0
    half_ci = (lot["ci95"][1] - lot["ci95"][0]) / 2 / lot["throughput_units_per_h"]
    out["lot_100"] = {**lot100, "throughput_change_vs_default": diff, "default_ci95_half_width_rel": half_ci}

    # 4. naive: one SimPy entity per cell, short horizon after a short warm-up, scaled to a year
    naive = _in_child(_naive_run, args.line, args.naive_warmup_days, args.naive_days, 1)
    naive_per_year = naive["wall_s"] * 365.0 / naive["sim_days"]
    naive_cpu_per_year = naive["cpu_s"] * 365.0 / naive["sim_days"]
    out["naive_model"] = {**naive, "wall_s_per_sim_year_scaled": naive_per_year,
                          "cpu_s_per_sim_year_scaled": naive_cpu_per_year,
                          "events_per_s": naive["events"] / naive["wall_s"]}
    out["speedup_lot_vs_naive"] = naive_per_year / per_year
    out["speedup_lot_vs_naive_cpu"] = naive_cpu_per_year / cpu_per_year


    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    lm, nm, l100, rp = out["lot_model"], out["naive_model"], out["lot_100"], out["replications"]
    print(f"line: {args.line}  ({out['cores']} cores, Python {out['python']})")
    print(f"lot model (lot {lm['lot_size']}, {lm['sim_days']:.0f} simulated days, one core):")
    print(f"  wall {lm['wall_s']:.2f} s  ->  {per_year:.2f} s per simulated year "
          f"(CPU {cpu_per_year:.2f} s; wall > CPU means other processes shared the core)")
    print(f"  {lm['events']:,} SimPy events, {lm['events_per_s']:,.0f} events/s wall, "
          f"{lm['events_per_cpu_s']:,.0f} per CPU second")
    print(f"  peak RSS {lm['peak_rss_mb']:.0f} MB (process), tracemalloc peak {lm['tracemalloc_peak_mb_90d']:.1f} MB "
          f"over 90 days")
    print(f"  throughput {lm['throughput_units_per_h']:,.1f} units/h (95 % CI {lm['ci95'][0]:,.1f}-{lm['ci95'][1]:,.1f}), "
          f"{lm['energy_MWh_per_year']:,.0f} MWh/yr")
    print(f"lots of 100: {l100['wall_s'] * 365 / l100['sim_days']:.2f} s per simulated year, throughput "
          f"{l100['throughput_units_per_h']:,.1f} units/h, {100 * diff:+.2f} % vs lot {lm['lot_size']} "
          f"(batch-means CI half-width {100 * half_ci:.2f} %)")
    print(f"naive one-entity-per-cell model ({nm['sim_days']} simulated days after {args.naive_warmup_days:g} days "
          f"of warm-up, scaled to a year):")
    print(f"  wall {nm['wall_s']:.2f} s  ->  {naive_per_year:,.0f} s per simulated year ({naive_per_year / 60:,.1f} min; "
          f"CPU {naive_cpu_per_year:,.0f} s)")
    print(f"  {nm['events']:,} SimPy events, {nm['events_per_s']:,.0f} events/s, peak RSS {nm['peak_rss_mb']:.0f} MB")
    print(f"ratio: lot model is {out['speedup_lot_vs_naive']:,.0f}x faster per simulated year "
          f"({out['speedup_lot_vs_naive_cpu']:,.0f}x in CPU time)")
    print(f"{rp['n']} replications x {rp['days_each']:.0f} days: serial {rp['serial_s']:.1f} s, {rp['workers']} "
          f"workers ({rp['start_method']}) {rp['parallel_s']:.1f} s (x{rp['speedup']:.2f}); "
          f"identical results: {rp['identical']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
