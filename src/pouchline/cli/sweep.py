"""``pouchline sweep``: run a sweep file's scenarios and write one row per scenario."""

from __future__ import annotations

import argparse
import sys

from pouchline.cli._common import positive_int
from pouchline.errors import InputError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run a scenario sweep (grid, Latin hypercube, Monte Carlo) and write its results",
        description=(
            "Run every scenario of a sweep file, each with its own reproducible seed, and write one "
            "row per scenario (inputs, outputs, status, error) to CSV or Parquet, with a Pareto chart "
            "of $/kWh against Wh/kg and tornado and main-effects charts beside it. Finished scenarios "
            "are kept in a journal beside the results: rerun the same command after an interruption "
            "to resume. Results do not depend on the executor."
        ),
    )
    p.add_argument("sweep", metavar="SWEEP", help="sweep YAML file (see recipes/sweeps/example-sweep.yaml)")
    p.add_argument("--out", "-o", metavar="RESULTS", help="results file, .csv or .parquet")
    p.add_argument("--executor", choices=("serial", "local", "dask"), default=None,
                   help="serial: this process; local: a process pool over every core (default); dask: a "
                        "dask.distributed scheduler (--scheduler) or a LocalCluster")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="worker processes for local; LocalCluster workers for dask, or with --scheduler the "
                        "workers to wait for (default: every core)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help="resume from the journal (the default when one exists) or, without one, from an "
                            "earlier results file at --out")
    again.add_argument("--fresh", action="store_true", help="ignore any journal and run every scenario")
    p.add_argument("--retry-failed", action="store_true", help="when resuming, run failed scenarios again")
    p.add_argument("--batch-size", type=positive_int, default=1, metavar="N",
                   help="scenarios per task (raise it only for scenarios of a few milliseconds)")
    p.add_argument("--limit", type=positive_int, metavar="N", help="run only the first N scenarios")
    p.add_argument("--no-plots", action="store_true", help="do not write the PNG charts")
    p.add_argument("--dry-run", action="store_true", help="list the scenarios and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pouchline.sweep import count_scenarios, journal_path, load_sweep, run_sweep
    from pouchline.sweep.run import check_out_path

    sweep = load_sweep(args.sweep)
    executor = args.executor
    if args.scheduler:
        if executor not in (None, "dask"):
            raise InputError.single("--scheduler", args.scheduler, f"is a Dask scheduler; it cannot be used with "
                                    f"--executor {executor}")
        executor = "dask"
    executor = executor or "local"
    if args.workers and executor == "serial":
        raise InputError.single("--workers", str(args.workers), "has no meaning with --executor serial")

    if args.dry_run:
        return _dry_run(sweep, args.limit)
    if not args.out:
        raise InputError.single("--out", "", "is required: the results file, e.g. --out results.csv")
    out = check_out_path(args.out)
    total = count_scenarios(sweep)
    if args.limit:
        total = min(total, args.limit)
    resume = False if args.fresh else (True if args.resume else None)

    bar = _progress_bar(total, sweep.name)
    try:
        res = run_sweep(sweep, out=out, executor=executor, workers=args.workers, scheduler=args.scheduler,
                        resume=resume, retry_failed=args.retry_failed, batch_size=args.batch_size,
                        limit=args.limit, plots=not args.no_plots, progress=bar)
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        print(f"interrupted: finished scenarios are kept in {journal_path(out)}; run the same command again to "
              "resume", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()

    ok = len(res.rows) - res.failed
    resumed = f", {res.skipped} resumed" if res.skipped else ""
    rate = f" ({res.scenarios_per_min:.0f} scenarios/min)" if res.ran else ""
    print(f"sweep {sweep.name}: {len(res.rows)} scenarios ({sweep.design.kind}), {ok} ok, {res.failed} failed"
          f"{resumed}; ran {res.ran} in {res.wall_s:.1f} s on {executor} x{res.workers}{rate}")
    print("wrote " + ", ".join(str(p) for p in [out, *res.plots]))
    errors = res.errors()
    if errors:
        print(f"{len(errors)} scenario(s) failed (column 'error' of {out}); first:", file=sys.stderr)
        for idx, msg in errors[:3]:
            print(f"  #{idx}: {msg}", file=sys.stderr)
    if res.rows and ok == 0:
        return 2  # every scenario failed: almost always the sweep's inputs or outputs
    return 0


def _dry_run(sweep, limit: int | None) -> int:
    from pouchline.display import register_labels, text_table
    from pouchline.sweep import count_scenarios, scenarios

    n = count_scenarios(sweep)
    print(f"sweep {sweep.name}: {n:,} scenarios ({sweep.design.kind}), outputs: {', '.join(sweep.outputs)}")
    # the scenario number and seed are identifiers, shown whole; inputs through pouchline.display with
    # 6 significant digits (a sampled value keeps what tells it from its neighbours)
    rows = [{"scenario": str(s.index), **s.inputs, "seed": str(s.seed)}
            for s in scenarios(sweep)[: limit or 20]]
    register_labels({k: k for row in rows for k in row})  # parameter paths are shown as written
    print(text_table(rows, sig=6))
    if n > len(rows):
        print(f"... {n - len(rows)} more")
    return 0


class _Bar:
    """A tqdm bar on a terminal; nothing when stderr is a file or a pipe."""

    def __init__(self, total: int, name: str) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, desc=name, unit="scenario", file=sys.stderr, dynamic_ncols=True)
        self._failed = 0

    def __call__(self, done: int, total: int, row) -> None:
        if row is not None and row.get("status") != "ok":
            self._failed += 1
            self._bar.set_postfix(failed=self._failed)
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


def _progress_bar(total: int, name: str):
    if not sys.stderr.isatty():
        return None
    try:
        return _Bar(total, name)
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
