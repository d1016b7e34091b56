"""Where scenarios run: in this process, in a local process pool, or on a Dask cluster.

Every executor takes batches of scenarios and yields ``(batch, rows)`` as batches finish, in any
order; ``rows`` is an exception instead when the batch could not be run at all (a worker died).
A scenario's own exception never reaches here: :func:`~pouchline.sweep.scenario.run_scenario`
records it in the row. Rows do not depend on the executor: each scenario carries its own seed
and the same evaluator runs on the same inputs.

The base data (:class:`~pouchline.sweep.scenario.SweepContext`) is sent once per worker, not with
every scenario: as the pool's initializer, or scattered to every Dask worker. Tasks are then a
few hundred bytes, so the overhead per scenario is a fraction of a millisecond locally and a few
milliseconds on Dask, small next to a scenario that simulates a line (0.1-2 s).

Dask is optional (``pip install 'pouchline[dask]'``); it is imported only by :class:`DaskExecutor`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Iterable, Iterator, Literal

from pouchline.errors import InputError
from pouchline.fileio import process_alive
from pouchline.sweep.designs import Scenario
from pouchline.sweep.scenario import Evaluator, SweepContext, run_scenarios

ExecutorKind = Literal["serial", "local", "dask"]
EXECUTORS: tuple[str, ...] = ("serial", "local", "dask")
Batch = list[Scenario]
Outcome = tuple[Batch, "list[dict[str, Any]] | BaseException"]

#: Tasks kept in flight per worker: enough to hide the round trip, few enough to stop quickly.
IN_FLIGHT_PER_WORKER = 3
#: On Dask a task's round trip (client, scheduler, worker) is milliseconds: keep more in flight.
DASK_IN_FLIGHT = (64, 8)  # at least 64, or 8 per worker thread


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _check_picklable(evaluator: Evaluator | None) -> None:
    if evaluator is None:
        return
    try:
        pickle.dumps(evaluator)
    except Exception as exc:
        raise TypeError(f"the evaluator {evaluator!r} cannot be sent to worker processes ({exc}); use a "
                        "module-level function") from None


class Executor:
    """Runs batches of scenarios. Use as a context manager; :meth:`run` yields finished batches."""

    kind: str = "serial"
    workers: int = 1

    def run(self, ctx: SweepContext, batches: Iterable[Batch], evaluator: Evaluator | None = None) -> Iterator[Outcome]:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.kind} x{self.workers}"

    def close(self) -> None:
        pass

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class SerialExecutor(Executor):
    """One scenario after another in this process: the reference every executor must match."""

    kind = "serial"
    workers = 1

    def run(self, ctx: SweepContext, batches: Iterable[Batch], evaluator: Evaluator | None = None) -> Iterator[Outcome]:
        for batch in batches:
            yield batch, run_scenarios(ctx, batch, evaluator)


# -- local process pool ----------------------------------------------------------------------------
_WORKER_STATE: dict[str, Any] = {}


def _init_worker(ctx: SweepContext, evaluator: Evaluator | None, sweep_pid: int | None = None) -> None:
    if sweep_pid is not None:
        _end_with(sweep_pid)
    _WORKER_STATE["ctx"] = ctx
    _WORKER_STATE["evaluator"] = evaluator


#: How often a worker checks that the sweep that started it is still there.
WATCH_PARENT_S = 1.0


def _end_with(sweep_pid: int) -> None:
    """End this worker when the sweep process ends, even by ``kill -9`` (which runs no clean-up).

    On Linux the kernel sends SIGKILL when the worker's parent (the forkserver, which itself exits
    when the sweep does) goes (``PR_SET_PDEATHSIG``); everywhere, a daemon thread checks every
    :data:`WATCH_PARENT_S` that the parent and the sweep process are still there.
    """
    import signal
    import threading
    import time

    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        pass

    def alive() -> bool:  # re-parented: the forkserver (or the sweep) is gone
        return os.getppid() == parent and process_alive(sweep_pid)

    if not alive():
        os._exit(1)

    def watch() -> None:
        while alive():
            time.sleep(WATCH_PARENT_S)
        os._exit(1)

    threading.Thread(target=watch, name="pouchline-watch-sweep", daemon=True).start()


def _run_in_worker(batch: Batch) -> list[dict[str, Any]]:
    return run_scenarios(_WORKER_STATE["ctx"], batch, _WORKER_STATE["evaluator"])


def _mp_context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one (no fork of a threaded parent such as Streamlit or Dask), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # the server imports these once; every worker forked from it starts with them loaded
        ctx.set_forkserver_preload(["pouchline.sweep.scenario", "pouchline.recipe.io", "pouchline.cell",
                                    "pouchline.line", "pouchline.cost.model", "pouchline.cost.rates"])
        return ctx
    return multiprocessing.get_context("spawn")


class LocalExecutor(Executor):
    """A pool of worker processes on this machine, one per core by default.

    A worker that dies (killed, out of memory, a crash in native code) breaks the whole pool and
    fails every task in flight. The pool is restarted and those tasks become suspects: each is run
    again alone, so a task that breaks the pool on its own is the one recorded as failed and the
    innocent ones finish normally.
    """

    kind = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = int(workers) if workers else available_cores()
        if self.workers < 1:
            raise InputError.single("--workers", "", f"{workers} must be at least 1")
        self._pool: ProcessPoolExecutor | None = None

    def _start(self, ctx: SweepContext, evaluator: Evaluator | None) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=_mp_context(), initializer=_init_worker,
                                   initargs=(ctx, evaluator, os.getpid()))

    def run(self, ctx: SweepContext, batches: Iterable[Batch], evaluator: Evaluator | None = None) -> Iterator[Outcome]:
        _check_picklable(evaluator)
        queue: deque[Batch] = deque(batches)
        suspects: deque[Batch] = deque()
        running: dict[Future, tuple[Batch, bool]] = {}  # future -> (batch, run alone)
        limit = self.workers * IN_FLIGHT_PER_WORKER
        self._pool = self._start(ctx, evaluator)
        try:
            while queue or suspects or running:
                if suspects:
                    if not running:  # a suspect runs alone, so a crash is its own
                        batch = suspects.popleft()
                        running[self._pool.submit(_run_in_worker, batch)] = (batch, True)
                else:
                    while queue and len(running) < limit:
                        batch = queue.popleft()
                        running[self._pool.submit(_run_in_worker, batch)] = (batch, False)
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    batch, alone = running.pop(fut)
                    try:
                        rows = fut.result()
                    except BrokenProcessPool as exc:
                        broken = True
                        if alone:
                            yield batch, RuntimeError(f"the worker process died while running this scenario ({exc})")
                        else:
                            suspects.append(batch)
                        continue
                    except Exception as exc:  # e.g. a row that cannot be pickled back
                        rows = exc
                    yield batch, rows
                if broken:
                    suspects.extend(batch for batch, _ in running.values())
                    running.clear()
                    self._restart(ctx, evaluator)
        finally:
            for fut in running:
                fut.cancel()
            self.close()

    def _restart(self, ctx: SweepContext, evaluator: Evaluator | None) -> None:
        self.close()
        self._pool = self._start(ctx, evaluator)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list(getattr(pool, "_processes", {}) .values())  # to stop busy workers on an interrupt
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)


# -- Dask -----------------------------------------------------------------------------------------------
def _dask_run(ctx: SweepContext, batch: Batch, evaluator: Evaluator | None) -> list[dict[str, Any]]:
    return run_scenarios(ctx, batch, evaluator)


class DaskExecutor(Executor):
    """Scenarios as tasks on a ``dask.distributed`` scheduler.

    ``scheduler``: the address of a running scheduler (``tcp://host:8786``), whose workers must
    have the same pouchline installed (``workers`` is then how many to wait for before starting);
    without it a LocalCluster of ``workers`` single-threaded processes is started on loopback and
    closed afterwards. Workers need no shared file system: the base files travel as data. ``client``: an existing
    ``distributed.Client`` to use instead (it is not closed).
    """

    kind = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None, *, client: Any = None,
                 processes: bool = True) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise InputError.single("--executor", "dask", "needs Dask: pip install 'pouchline[dask]'") from None
        self.scheduler = scheduler
        self._own_client = client is None
        self._cluster = None
        self._client = client
        self._requested = workers
        self._processes = processes
        self.workers = 0

    def _connect(self) -> Any:
        from distributed import Client, LocalCluster

        if self._client is not None:
            return self._client
        if self.scheduler:
            try:
                self._client = Client(self.scheduler, timeout="15s")
            except (OSError, TimeoutError) as exc:
                raise InputError.single("--scheduler", self.scheduler,
                                        f"cannot reach a Dask scheduler at {self.scheduler}: {exc}") from None
        else:
            self._cluster = LocalCluster(n_workers=self._requested or available_cores(), threads_per_worker=1,
                                         processes=self._processes, host="127.0.0.1", dashboard_address=None,
                                         silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        return self._client

    def run(self, ctx: SweepContext, batches: Iterable[Batch], evaluator: Evaluator | None = None) -> Iterator[Outcome]:
        from distributed import as_completed

        _check_picklable(evaluator)
        client = self._connect()
        if self.scheduler:  # a cluster's workers may still be joining
            want = self._requested or 1
            try:
                client.wait_for_workers(want, timeout=60)
            except TimeoutError:
                have = len(client.scheduler_info().get("workers", {}))
                raise InputError.single("--scheduler", self.scheduler, f"has {have} worker(s) after 60 s; "
                                        f"waiting for {want} (--workers)") from None
        self.workers = max(1, sum(client.nthreads().values()))
        ctx_future = client.scatter(ctx, broadcast=True, hash=False)
        queue = deque(batches)
        meta: dict[Any, Batch] = {}
        limit = max(DASK_IN_FLIGHT[0], self.workers * DASK_IN_FLIGHT[1])

        def submit() -> Any:
            batch = queue.popleft()
            fut = client.submit(_dask_run, ctx_future, batch, evaluator, pure=False)
            meta[fut] = batch
            return fut

        first = [submit() for _ in range(min(limit, len(queue)))]
        ac = as_completed(first)
        try:
            for fut in ac:
                batch = meta.pop(fut)
                try:
                    yield batch, fut.result()
                except Exception as exc:  # KilledWorker, lost connection, ...
                    yield batch, exc
                fut.release()
                if queue:
                    ac.add(submit())
        finally:
            for fut in list(meta):
                fut.cancel()
            meta.clear()
            try:
                client.cancel([ctx_future])
            except Exception:
                pass

    def describe(self) -> str:
        where = self.scheduler or "LocalCluster"
        return f"dask x{self.workers} ({where})"

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(kind: str = "serial", *, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor by name: ``serial``, ``local`` (process pool) or ``dask``."""
    if kind == "serial":
        return SerialExecutor()
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    raise InputError.single("--executor", kind, f"{kind!r} is not an executor; use one of {', '.join(EXECUTORS)}")
