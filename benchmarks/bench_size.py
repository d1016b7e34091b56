"""Wall time of `pouchline size` for 1 GWh/yr of the 10 Ah cell, simulation included (goal: under 60 s), and
with ``--coverage`` how often the sizing's 95 % interval covers the sized line's long-run output.

    python benchmarks/bench_size.py [--target-GWh 1] [--repeat 1] [--coverage [--runs 20]]

Prints the wall time of each run, the iterations the sizing needed and the simulated output. With
``--coverage`` (a few minutes): the sized line is simulated ``--runs`` times with the sizing's run length
(:data:`pouchline.line.defaults.SIZING_DAYS` after ``SIZING_WARMUP_DAYS`` x ``SIZING_REPLICATIONS``, other
seeds) and once for long (10 replications x 180 days: the long-run mean); an honest 95 % interval covers
that mean in about 95 % of the runs (at least 17 of 20 is consistent with 95 % at the 5 % level), and the
lower bound the sizing compares with its target is then too high in about 2.5 % of them. The machine is
shared: the times vary with load; run it on an idle machine for a fair number.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def coverage(res, runs: int) -> dict:
    """``runs`` sizing-length experiments of the sized line against a long experiment's mean."""
    from pouchline.line import Line, run_experiment
    from pouchline.line.defaults import SIZING_DAYS, SIZING_REPLICATIONS, SIZING_WARMUP_DAYS

    line = Line.from_data(res.line_data, "sized")
    kw = dict(area_per_cell_cm2=res.line_data["area_per_cell_cm2"], cell_energy_Wh=res.energy_Wh)
    ref = run_experiment(line, replications=10, days=180, warmup_days=SIZING_WARMUP_DAYS, seed=12345, **kw)
    mean = ref.energy_MWh_per_year
    covered = below = 0
    for k in range(runs):
        exp = run_experiment(line, replications=SIZING_REPLICATIONS, days=SIZING_DAYS, warmup_days=SIZING_WARMUP_DAYS,
                             seed=2000 + k, **kw)
        lo, hi = exp.energy_MWh_per_year_ci95
        covered += lo <= mean <= hi
        below += mean < lo
    return {"long_run_MWh_per_yr": mean, "long_run_ci95": ref.energy_MWh_per_year_ci95, "covered": covered,
            "runs": runs, "lower_bound_above_mean": below}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target-GWh", dest="target", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--coverage", action="store_true", help="also measure the sizing interval's coverage (minutes)")
    ap.add_argument("--runs", type=int, default=20, help="experiments for --coverage (default 20)")
    args = ap.parse_args()

    import os

    from pouchline.cell import size_cell
    from pouchline.plant import size_plant
    from pouchline.recipe.io import load_recipe_and_materials

    t0 = time.perf_counter()
    recipe, materials = load_recipe_and_materials(ROOT / "recipes" / "insnbi-lco-pouch.yaml")
    cell = size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")
    print(f"load recipe and size the cell: {time.perf_counter() - t0:.2f} s ({cell.layers} layers, {cell.energy_Wh:.2f} "
          f"Wh); {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    res = None
    for i in range(args.repeat):
        t = time.perf_counter()
        res = size_plant(recipe, materials, cell, target_GWh_per_yr=args.target)
        dt = time.perf_counter() - t
        print(f"run {i + 1}: size_plant({args.target:g} GWh/yr) {dt:.1f} s wall "
              f"(goal < 60 s): {len(res.iterations)} simulation(s) of {res.simulation['replications']} x "
              f"{res.simulation['days']:g} days after {res.simulation['warmup_days']:g}, {res.machines} machines, "
              f"{res.MWh_per_yr:,.1f} MWh/yr (lower 95 % {res.MWh_per_yr_ci95[0]:,.1f}), target "
              f"{'met' if res.met else 'NOT met'}; bottleneck {res.bottleneck}")
    if args.coverage and res is not None:
        t = time.perf_counter()
        cv = coverage(res, args.runs)
        lo, hi = cv["long_run_ci95"]
        print(f"coverage: {cv['covered']} of {cv['runs']} sizing-length experiments have a 95 % interval covering the "
              f"long-run mean {cv['long_run_MWh_per_yr']:,.1f} MWh/yr (10 x 180 days, 95 % CI {lo:,.1f}-{hi:,.1f}); "
              f"the lower bound was above it in {cv['lower_bound_above_mean']}; {time.perf_counter() - t:.0f} s wall")


if __name__ == "__main__":
    main()
