"""How fast pouchline reads what users give it, and how fast it refuses hostile input (issue 19).

    python benchmarks/bench_input.py

Prints, per shipped file, the time to read and parse it (median of 20 reads, libyaml events and
pouchline's bounded composer); the time and peak memory to refuse a 16-level alias bomb
(3**16 = 43 M leaves from 16 short lines; before the bounded loader: 6 GB and 52 s); the time to
refuse /dev/zero; and the time to parse a 150,000-value file (near the size limit). Figures
depend on the machine and its load: run it on an idle machine and compare runs, not machines.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pouchline.errors import InputError  # noqa: E402
from pouchline.fileio import MAX_YAML_NODES, read_yaml, read_yaml_text  # noqa: E402


def timed(fn, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def refused(fn) -> float:
    t0 = time.perf_counter()
    try:
        fn()
    except InputError:
        return time.perf_counter() - t0
    raise AssertionError("not refused")


def main() -> None:
    files = sorted((ROOT / "recipes").rglob("*.yaml")) + sorted((ROOT / "templates").glob("*.yaml"))
    print("read and parse (median of 20):")
    for path in files:
        print(f"  {path.relative_to(ROOT)!s:40s} {1000 * timed(lambda p=path: read_yaml(p)):7.2f} ms")

    bomb = "\n".join(["a0: &a0 [x, x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 16)])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = refused(lambda: read_yaml_text(bomb, "bomb.yaml"))
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(f"alias bomb, 16 levels x 3 ({len(bomb)} bytes): refused in {1000 * t:.2f} ms, peak memory +{grown / 1024:.1f} MB")
    print(f"/dev/zero: refused in {1000 * refused(lambda: read_yaml('/dev/zero')):.2f} ms")

    n = int(MAX_YAML_NODES * 0.75)
    big = "values: [" + ", ".join(["1"] * n) + "]\n"
    print(f"{n:,} values ({len(big) / 1e6:.2f} MB): parsed in {timed(lambda: read_yaml_text(big, 'big.yaml'), 3):.2f} s")


if __name__ == "__main__":
    main()
