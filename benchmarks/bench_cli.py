"""How long the command line takes to answer ``--help`` (goal: ``pouchline --help`` under 0.3 s).

    python benchmarks/bench_cli.py [--runs N]

Prints, for ``pouchline --help`` and every subcommand's ``--help``, the median wall time and CPU
time (user + system, of the child process) over N runs of ``python -m pouchline ... --help`` in a
fresh interpreter, with Python's bytecode cache as an installed package has it (written on a
first, untimed run into a temporary ``PYTHONPYCACHEPREFIX``). It also prints the bare
interpreter's start-up (``python -c pass``), which every command pays, and the same ``--help``
without a bytecode cache (every module compiled from source, as under
``PYTHONDONTWRITEBYTECODE=1``), and which heavy modules (pint, pandas, numpy, pydantic, SimPy,
matplotlib) ``--help`` imported (none should be). Figures depend on the machine and its load:
compare runs on one idle machine, not machines.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pint", "pandas", "numpy", "pydantic", "simpy", "matplotlib", "scipy", "openpyxl", "reportlab", "yaml")
GOAL_S = 0.3


def _env(cache: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    return env


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, child CPU s) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {res.stderr.strip()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    walls, cpus = zip(*(run_once(argv, env) for _ in range(runs)))
    return statistics.median(walls), statistics.median(cpus)


def subcommands(env: dict[str, str]) -> list[str]:
    code = ("from pouchline.cli import build_parser\n"
            "p = build_parser()\n"
            "sub = next(a for a in p._actions if a.dest == 'command')\n"
            "print('\\n'.join(sub.choices))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return out.split()


def heavy_imports(env: dict[str, str]) -> list[str]:
    code = ("import sys\nfrom pouchline.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return res.stderr.split()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="runs per command (default 7; the median is printed)")
    args = ap.parse_args()
    py = [sys.executable]
    with tempfile.TemporaryDirectory(prefix="bench-cli-pyc-") as cache:
        env = _env(cache)
        run_once(py + ["-m", "pouchline", "--help"], env)  # writes the bytecode cache
        commands = subcommands(env)
        for c in commands:
            run_once(py + ["-m", "pouchline", c, "--help"], env)
        bare_w, bare_c = timed(py + ["-c", "pass"], env, args.runs)
        print(f"median of {args.runs} runs, bytecode cached (as installed); wall s / CPU s")
        print(f"  {'python -c pass (interpreter start-up)':44s} {bare_w:6.3f} / {bare_c:6.3f}")
        top_w, top_c = timed(py + ["-m", "pouchline", "--help"], env, args.runs)
        print(f"  {'pouchline --help':44s} {top_w:6.3f} / {top_c:6.3f}   goal < {GOAL_S:g} s: "
              f"{'met' if top_w < GOAL_S else 'NOT met (wall)'}{'' if top_c < GOAL_S else ', NOT met (CPU)'}")
        worst = ("", 0.0)
        for c in commands:
            w, cpu = timed(py + ["-m", "pouchline", c, "--help"], env, args.runs)
            worst = max(worst, (c, w), key=lambda t: t[1])
            print(f"  {'pouchline ' + c + ' --help':44s} {w:6.3f} / {cpu:6.3f}")
        print(f"slowest subcommand --help: {worst[0]} ({worst[1]:.3f} s wall)")
    cold_w, cold_c = timed(py + ["-m", "pouchline", "--help"], _env(None), args.runs)
    print(f"without a bytecode cache (PYTHONDONTWRITEBYTECODE=1): pouchline --help {cold_w:.3f} s wall / {cold_c:.3f} s CPU")
    heavy = heavy_imports(_env(None))
    print(f"heavy modules imported by --help: {', '.join(heavy) if heavy else 'none'}")
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores" + (" (busy: figures are high)" if load > 1 else ""))


if __name__ == "__main__":
    main()
