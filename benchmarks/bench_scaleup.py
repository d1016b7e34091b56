"""Wall time of `pouchline scaleup` for four targets of the 10 Ah cell (goal: under 3 minutes), and of
`pouchline rampup` for 24 months of the GWh line.

    python benchmarks/bench_scaleup.py [--targets 0.01,0.1,1,10] [--months 24] [--no-ramp]

Prints the wall time of each target (its sizing iterations and simulated output), the total, the
process cost per kWh by target (it must fall with volume) and the ramp-up's time and its month at
90 % of nameplate. Run lengths are the commands' defaults. The machine is shared: the figures vary
with load; run it on an idle machine for a fair number.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default="0.01,0.1,1,10")
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--no-ramp", action="store_true")
    args = ap.parse_args()

    from pouchline.cell import size_cell
    from pouchline.display import fmt_number
    from pouchline.plant.scaleup import parse_targets, scale_up
    from pouchline.recipe.io import load_recipe_and_materials

    t0 = time.perf_counter()
    recipe, materials = load_recipe_and_materials(ROOT / "recipes" / "insnbi-lco-pouch.yaml")
    cell = size_cell(recipe, materials, capacity_Ah=10, format="ev-300x100")
    print(f"load recipe and size the cell: {time.perf_counter() - t0:.2f} s ({cell.layers} layers, "
          f"{cell.energy_Wh:.2f} Wh); {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    marks: list[tuple[str, float]] = []

    def progress(text: str) -> None:
        if text.startswith("target "):
            marks.append((text, time.perf_counter()))

    targets = parse_targets(args.targets)
    t = time.perf_counter()
    res = scale_up(recipe, materials, cell, targets, progress=progress)
    total = time.perf_counter() - t
    ends = [m[1] for m in marks[1:]] + [t + total]
    for (label, start), end, s in zip(marks, ends, res.sizings):
        print(f"  {label}: {end - start:5.1f} s wall, {len(s.iterations)} simulation(s), {s.machines:,} machines, "
              f"{fmt_number(s.MWh_per_yr)} MWh/yr (lower 95 % {fmt_number(s.MWh_per_yr_ci95[0])}), lot "
              f"{s.simulation['lot_size']}, target {'met' if s.met else 'NOT met'}")
    print(f"scale-up of {len(targets)} targets: {total:.1f} s wall (goal < 180 s)")
    proc = [r["process_cost_per_kWh_usd"] for r in res.rows]
    falls = all(a > b for a, b in zip(proc, proc[1:]))
    print("process cost, USD/kWh: " + " > ".join(fmt_number(p) for p in proc)
          + ("  (falls with volume)" if falls else "  (does NOT fall with volume)"))

    if not args.no_ramp:
        from pouchline.line import load_line
        from pouchline.plant.rampup import ramp_up

        line = load_line(ROOT / "recipes" / "lines" / "gwh-line.yaml")
        t = time.perf_counter()
        ramp = ramp_up(line, recipe, materials, cell, months=args.months)
        print(f"ramp-up of gwh-line, {args.months} months x {ramp.simulation['replications']} replications of "
              f"{fmt_number(ramp.simulation['days_per_month'])} days: {time.perf_counter() - t:.1f} s wall; "
              f"90 % of nameplate in month {ramp.month_at_90pct} (capacity limit: {ramp.month_at_90pct_capacity_limit})")


if __name__ == "__main__":
    main()
