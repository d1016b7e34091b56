"""Run a sweep: list its scenarios, skip the finished ones, run the rest, collect and write rows.

Every finished scenario is appended at once to a *journal* beside the results
(``results.csv.journal.jsonl``, one JSON row per line). An interrupted sweep is resumed by running
it again: rows in the journal whose key matches a scenario are not run again. A row's key is a
hash of the base files (recipe, materials, line, rates as read), the outputs and settings, the
scenario index, its seed and its inputs, so a changed recipe or design never reuses a stale row.
At the end the results file is written atomically, rows in scenario order, and the journal is
removed.

A results row holds ``scenario``, one column per parameter (its path), one per output, ``status``
(``ok`` or ``error``), ``error`` (the message of a failed scenario), ``seed`` and ``key``. Timings are
not part of it, so the file is identical whichever executor wrote it.
"""

from __future__ import annotations

import json
import math
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from pouchline.errors import InputError
from pouchline.fileio import atomic_write, csv_text
from pouchline.sweep.designs import Scenario, scenarios as design_scenarios
from pouchline.sweep.executors import Executor, make_executor
from pouchline.sweep.model import Sweep, load_sweep
from pouchline.sweep.scenario import Evaluator, SweepContext, check_parameter_paths, fingerprint_of, load_context

RESULT_SUFFIXES = (".csv", ".parquet")
JOURNAL_SUFFIX = ".journal.jsonl"
_FSYNC_EVERY_S = 2.0

ProgressCallback = Callable[[int, int, "dict[str, Any] | None"], None]


@dataclass
class SweepResult:
    """What a sweep run produced. ``rows`` are in scenario order (finished earlier or now)."""

    sweep: Sweep
    rows: list[dict[str, Any]]
    ran: int = 0
    skipped: int = 0
    wall_s: float = 0.0
    busy_s: float = 0.0  # sum of the scenarios' own run times (this run only)
    executor: str = "serial"
    workers: int = 1
    out: Path | None = None
    plots: list[Path] = field(default_factory=list)
    interrupted: bool = False

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rows if r.get("status") != "ok")

    @property
    def table(self):
        """The rows as a pandas DataFrame (the results file's content)."""
        return results_table(self.sweep, self.rows)

    @property
    def scenarios_per_min(self) -> float:
        return 60.0 * self.ran / self.wall_s if self.wall_s > 0 else math.nan

    @property
    def overhead_s_per_scenario(self) -> float:
        """Wall time not spent in scenarios, per scenario run, with every worker counted."""
        if not self.ran:
            return math.nan
        return (self.wall_s * self.workers - self.busy_s) / self.ran

    def errors(self) -> list[tuple[int, str]]:
        return [(r["scenario"], r.get("error") or "") for r in self.rows if r.get("status") != "ok"]


# -- keys and the journal -------------------------------------------------------------------------------
def scenario_key(ctx: SweepContext, scenario: Scenario) -> str:
    """Identity of a scenario's row: base data and settings, index, seed and inputs."""
    return fingerprint_of([ctx.fingerprint, scenario.index, scenario.seed, scenario.inputs])[:20]


def journal_path(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.name + JOURNAL_SUFFIX)


def read_journal(path: Path) -> dict[str, dict[str, Any]]:
    """Rows of a journal by key; a torn last line (an interrupted write) is ignored."""
    rows: dict[str, dict[str, Any]] = {}
    if path.is_symlink():
        raise InputError.single(str(path), "", "is a symbolic link; a sweep journal must be a plain file (remove "
                                "the link, or run with --fresh after removing it)")
    if not path.is_file():
        return rows
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and "key" in row and "scenario" in row:
                rows[row["key"]] = row
    return rows


def read_results_rows(path: Path, sweep: Sweep) -> dict[str, dict[str, Any]]:
    """Rows of an earlier results file by key (to resume a sweep whose journal is gone)."""
    import pandas as pd

    if not path.is_file():
        return {}
    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    if "key" not in df.columns or "scenario" not in df.columns:
        return {}
    fixed = {"scenario", "seed", "key", "status", "error", *sweep.parameters}
    out_cols = [c for c in df.columns if c not in fixed]
    rows: dict[str, dict[str, Any]] = {}
    for rec in df.to_dict(orient="records"):
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        rows[str(clean["key"])] = {
            "scenario": int(clean["scenario"]), "key": str(clean["key"]), "status": clean.get("status") or "ok",
            "error": clean.get("error"), "outputs": {c: _py(clean[c]) for c in out_cols},
        }
    return rows


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


class _Journal:
    """Append-only JSONL of finished rows; flushed per row, fsynced every few seconds."""

    def __init__(self, path: Path | None, ctx: SweepContext, fresh: bool) -> None:
        self.path = path
        self.rows = 0
        self.new = False
        self._fh = None
        self._synced = time.monotonic()
        if path is None:
            return
        if not path.parent.exists():
            raise InputError.single(str(path), "", f"cannot be written: the folder {path.parent} does not exist")
        new = self.new = fresh or not path.exists()
        self._fh = _open_journal(path, fresh)
        if new:
            self._write({"journal": "pouchline-sweep", "version": 1, "sweep": ctx.name, "fingerprint": ctx.fingerprint})

    def _write(self, obj: Mapping[str, Any]) -> None:
        self._fh.write(json.dumps(obj, separators=(",", ":"), default=str) + "\n")
        self._fh.flush()

    def add(self, row: Mapping[str, Any]) -> None:
        if self._fh is None:
            return
        self._write(row)
        self.rows += 1
        now = time.monotonic()
        if now - self._synced > _FSYNC_EVERY_S:
            os.fsync(self._fh.fileno())
            self._synced = now

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None
            if self.new and self.rows == 0 and self.path is not None:
                self.path.unlink(missing_ok=True)  # nothing finished: no journal to resume from


def _open_journal(path: Path, fresh: bool):
    """Open the journal for appending (or truncated when ``fresh``) without following a symbolic
    link and without blocking on a FIFO: a link or a special file at that name is refused."""
    flags = (os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if fresh else os.O_APPEND) | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if path.is_symlink():
            why = "is a symbolic link; the journal is not written through links"
        elif path.exists() and not path.is_file():
            why = "is not a regular file; the sweep journal must be one"
        else:
            why = f"cannot be written: {exc.strerror or exc}"
        raise InputError.single(str(path), "", why) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError.single(str(path), "", "is not a regular file; the sweep journal must be one")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "w", encoding="utf-8")


# -- the table -------------------------------------------------------------------------------------------
def output_columns(sweep: Sweep, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Output columns: the sweep's outputs in order, patterns expanded as the rows name them."""
    names = [o for o in sweep.outputs if not any(c in o for c in "*?[")]
    seen = set(names)
    extra: list[str] = []
    for r in rows:
        for k in (r.get("outputs") or {}):
            if k not in seen:
                seen.add(k)
                extra.append(k)
    return names + extra  # pattern matches after the plain names, in order of first appearance


def results_table(sweep: Sweep, rows: Sequence[Mapping[str, Any]]):
    """One row per scenario: scenario, parameters, outputs, status, error, seed, key."""
    import pandas as pd

    params = list(sweep.parameters)
    outs = output_columns(sweep, rows)
    records = []
    for r in rows:
        rec: dict[str, Any] = {"scenario": r["scenario"]}
        inputs = r.get("inputs") or {}
        for p in params:
            rec[p] = inputs.get(p)
        o = r.get("outputs") or {}
        for c in outs:
            rec[c] = o.get(c)
        rec["status"] = r.get("status", "ok")
        rec["error"] = r.get("error")
        rec["seed"] = r.get("seed")
        rec["key"] = r.get("key")
        records.append(rec)
    return pd.DataFrame.from_records(records, columns=["scenario", *params, *outs, "status", "error", "seed", "key"])


def write_results(table, out: str | os.PathLike) -> Path:
    """Write the table as CSV or Parquet (by the suffix of ``out``), atomically."""
    out = Path(out)
    check_out_path(out)
    if out.suffix == ".csv":
        return atomic_write(out, csv_text(table))  # text cells cannot run as formulas in a spreadsheet
    df = table.copy()
    for col in df.columns:  # Parquet columns have one type: a mixed column is written as text
        if df[col].dtype == object:
            kinds = {type(v) for v in df[col] if v is not None}
            if len(kinds) > 1 or (kinds and not kinds <= {str, bool}):
                df[col] = [None if v is None else str(v) for v in df[col]]
    return atomic_write(out, lambda tmp: df.to_parquet(tmp, index=False))


def check_out_path(out: str | os.PathLike) -> Path:
    out = Path(out)
    if out.suffix not in RESULT_SUFFIXES:
        raise InputError.single("--out", str(out), f"must end in {' or '.join(RESULT_SUFFIXES)} (CSV or Parquet)")
    if out.suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError.single("--out", str(out), "Parquet needs pyarrow: pip install 'pouchline[parquet]', "
                                    "or write .csv") from None
    if not out.parent.exists() and str(out.parent):
        raise InputError.single("--out", str(out), f"cannot be written: the folder {out.parent} does not exist")
    return out


# -- checks before anything runs --------------------------------------------------------------------------
def check_calculations(sweep: Sweep) -> None:
    """Fail before the first scenario when a calculation the outputs need is not installed."""
    import importlib

    from pouchline.sweep.scenario import _cost_api

    need = {"cell": "pouchline.cell", "line": "pouchline.line", "cost": "pouchline.cost"}
    fams = sweep.output_families | {"cell"}  # every scenario sizes its cell
    if sweep.may_simulate:
        fams.add("line")
    missing = []
    for fam in sorted(fams):
        try:
            if fam == "cost":
                _cost_api()
            else:
                importlib.import_module(need[fam])
        except (ImportError, RuntimeError) as exc:
            missing.append(f"{fam}.* outputs need {need[fam]}, which cannot be used here ({exc})")
    if missing:
        raise InputError.single(sweep.source, "outputs", "; ".join(missing))


# -- running ----------------------------------------------------------------------------------------------
def run_sweep(
    sweep: Sweep | str | os.PathLike,
    *,
    out: str | os.PathLike | None = None,
    executor: str | Executor = "serial",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool | None = None,
    retry_failed: bool = False,
    evaluator: Evaluator | None = None,
    context: SweepContext | None = None,
    batch_size: int = 1,
    limit: int | None = None,
    sample: str = "first",
    journal: str | os.PathLike | None = None,
    progress: ProgressCallback | None = None,
    plots: bool = False,
) -> SweepResult:
    """Run every scenario of ``sweep`` and return the rows; write them to ``out`` when given.

    ``executor``: ``serial``, ``local`` (a process pool of ``workers``, every core by default),
    ``dask`` (``scheduler`` address, or a LocalCluster of ``workers``), or an :class:`Executor`.
    ``resume``: ``None`` resumes from the journal when there is one, ``True`` also from an earlier
    results file at ``out``, ``False`` starts over. ``retry_failed`` runs failed rows again.
    ``evaluator``: a function ``(context, scenario) -> results`` instead of the real calculation
    (it must be a module-level function for process and Dask executors). ``batch_size``:
    scenarios per task (raise it for scenarios of a few milliseconds). ``limit``: only N scenarios,
    the first N (``sample="first"``) or N spread evenly over the design's scenario list, its first and
    last included (``sample="spread"``: on a grid these are the all-lowest and all-highest corners, so a
    partial run spans every parameter's range). ``plots``: also write the Pareto and tornado charts beside ``out``.
    """
    t_start = time.perf_counter()
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep)
    if out is not None:
        out = check_out_path(out)
    if batch_size < 1:
        raise InputError.single("batch_size", "", f"{batch_size} must be at least 1")
    if evaluator is None:
        check_calculations(sweep)
    ctx = context if context is not None else load_context(sweep)
    if evaluator is None:  # a misspelt path would fail every scenario: say so before running any
        check_parameter_paths(list(sweep.parameters), ctx, source=sweep.source)
    todo_all = design_scenarios(sweep)
    if sample not in ("first", "spread"):
        raise InputError.single("sample", sample, "must be 'first' or 'spread'")
    if limit is not None:
        todo_all = spread_sample(todo_all, int(limit)) if sample == "spread" else todo_all[: max(0, int(limit))]
    keys = {s.index: scenario_key(ctx, s) for s in todo_all}

    jpath = Path(journal) if journal is not None else (journal_path(out) if out is not None else None)
    previous: dict[str, dict[str, Any]] = {}
    journal_rows: dict[str, dict[str, Any]] = {}
    if resume is not False:
        if jpath is not None:
            previous = journal_rows = read_journal(jpath)
        if resume and not previous and out is not None:
            previous = read_results_rows(Path(out), sweep)
    finished: dict[int, dict[str, Any]] = {}
    for s in todo_all:
        row = previous.get(keys[s.index])
        if row is not None and row.get("scenario") == s.index and (row.get("status") == "ok" or not retry_failed):
            finished[s.index] = _complete(row, s, keys[s.index])
    todo = [s for s in todo_all if s.index not in finished]
    skipped = len(finished)

    total = len(todo_all)
    ex = executor if isinstance(executor, Executor) else make_executor(executor, workers=workers, scheduler=scheduler)
    result = SweepResult(sweep=sweep, rows=[], skipped=skipped, executor=ex.kind, workers=ex.workers,
                         out=Path(out) if out is not None else None)
    # append to the journal we resume from; otherwise start a new one
    fresh = resume is False or not journal_rows
    log = _Journal(jpath, ctx, fresh=fresh) if todo else None
    if progress is not None:
        progress(skipped, total, None)
    done = skipped
    busy = 0.0
    any_ok = any(r.get("status") == "ok" for r in finished.values())
    batches = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)]
    try:
        with ex:
            for batch, rows in ex.run(ctx, batches, evaluator):
                if isinstance(rows, BaseException):
                    rows = [{"scenario": s.index, "seed": s.seed, "status": "error", "outputs": {},
                             "error": f"{type(rows).__name__}: {rows}",
                             "elapsed_s": 0.0} for s in batch]
                for s, row in zip(batch, rows):
                    if row.get("error_kind") == "output" and not any_ok:
                        # a misnamed output fails every scenario: stop at the first
                        raise InputError.single(sweep.source, "outputs", row.get("error") or "unknown output")
                    any_ok = any_ok or row.get("status") == "ok"
                    full = _complete(row, s, keys[s.index])
                    finished[s.index] = full
                    busy += float(row.get("elapsed_s") or 0.0)
                    if log is not None:
                        log.add(full)
                    done += 1
                    if progress is not None:
                        progress(done, total, full)
            result.workers = ex.workers
    except KeyboardInterrupt:
        result.interrupted = True
        raise
    finally:
        if log is not None:
            log.close()
        result.rows = [finished[s.index] for s in todo_all if s.index in finished]
        result.ran = done - skipped
        result.busy_s = busy
        result.wall_s = time.perf_counter() - t_start

    if out is not None:
        write_results(result.table, out)
        if plots:
            from pouchline.sweep.plots import write_plots

            result.plots = write_plots(result.table, sweep, out)
        if jpath is not None and jpath.exists():
            jpath.unlink()
    return result


def spread_sample(items: list, n: int) -> list:
    """``n`` items spread evenly over ``items`` in order, the first and the last included
    (index ``round(i x (len - 1) / (n - 1))``); all of them when ``n >= len(items)``."""
    if n >= len(items):
        return list(items)
    if n <= 0:
        return []
    if n == 1:
        return [items[0]]
    last = len(items) - 1
    return [items[round(i * last / (n - 1))] for i in range(n)]


def _complete(row: Mapping[str, Any], s: Scenario, key: str) -> dict[str, Any]:
    """A row with its scenario's index, seed, key and inputs (exactly as the design made them)."""
    full = dict(row)
    full.update(scenario=s.index, seed=s.seed, key=key, inputs=dict(s.inputs))
    full.setdefault("status", "ok")
    full.setdefault("error", None)
    full.setdefault("outputs", {})
    return full
