"""Wall time of `pouchline size` for 1 GWh/yr of the 10 Ah cell, simulation included (goal: under 60 s).

    python benchmarks/bench_size.py [--target-GWh 1] [--repeat 1]

Prints the wall time of each run, the iterations the sizing needed and the simulated output. The
machine is shared: the figure varies with load; run it on an idle machine for a fair number.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target-GWh", dest="target", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    from pouchline.cell import size_cell
    from pouchline.plant import size_plant
    from pouchline.recipe.io import load_recipe_and_materials

    t0 = time.perf_counter()
    recipe, materials = load_recipe_and_materials(ROOT / "recipes" / "insnbi-lco-pouch.yaml")
    cell = size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")
    print(f"load recipe and size the cell: {time.perf_counter() - t0:.2f} s ({cell.layers} layers, {cell.energy_Wh:.2f} Wh)")
    for i in range(args.repeat):
        t = time.perf_counter()
        res = size_plant(recipe, materials, cell, target_GWh_per_yr=args.target)
        dt = time.perf_counter() - t
        print(f"run {i + 1}: size_plant({args.target:g} GWh/yr) {dt:.1f} s wall "
              f"(goal < 60 s): {len(res.iterations)} simulation(s) of {res.simulation['replications']} x "
              f"{res.simulation['days']:g} days, {res.machines} machines, {res.MWh_per_yr:,.1f} MWh/yr "
              f"(lower 95 % {res.MWh_per_yr_ci95[0]:,.1f}), target {'met' if res.met else 'NOT met'}")


if __name__ == "__main__":
    main()
