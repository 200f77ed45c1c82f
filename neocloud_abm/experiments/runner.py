"""Running a sweep on any :class:`concurrent.futures.Executor`, streaming results to disk.

The parent keeps at most ``max_in_flight`` runs submitted and writes each result as it
arrives, so its memory stays flat however many runs a sweep has (Mesa's ``batch_run`` holds
them all). Model errors (``MemoryError`` included) are caught inside the worker and recorded
as failed runs, which a re-run retries; an executor that breaks (a killed worker, a lost Dask
scheduler) costs only the runs in flight, which a re-run picks up. Pool workers exit when the
parent dies, even by SIGKILL, so a killed sweep leaves no process behind.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.experiments.design import KEYS, run_table
from neocloud_abm.experiments.spec import ExperimentSpec
from neocloud_abm.experiments.store import ResultStore, encode_run
from neocloud_abm.model import simulate
from neocloud_abm.outputs.provenance import provenance
from neocloud_abm.outputs.summary import summarize
from neocloud_abm.parameters.params import Params

# How often, at most, the parent looks up from waiting for results to run its health check.
HEARTBEAT_S = 1.0
EXIT_PARENT_GONE = 70  # exit status of a pool worker that outlived its parent (EX_SOFTWARE)


class SweepAborted(NeocloudError):
    """The executor failed; finished runs are on disk and a re-run resumes the rest."""


class ExecutorLost(Exception):
    """Raised by a sweep's health check when its executor can no longer finish runs."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run; small and picklable."""

    point: int
    replication: int
    seed: int
    overrides: dict[str, Any]
    base: Params        # its market.months is the run's horizon (a design may vary it)
    outputs: tuple[str, ...] | None
    spec: str
    attempt: int


@dataclass(frozen=True)
class RunOutcome:
    """A run's summary row and, if it succeeded, its time series as a Parquet file."""

    record: dict[str, Any]
    parquet: bytes | None


def execute_run(task: RunTask) -> RunOutcome:
    """Run one simulation; an exception from the model (``MemoryError`` too) becomes a failed
    record rather than a failed future, so it is stored with its error and the sweep goes on."""
    key = {"point": task.point, "replication": task.replication, "seed": task.seed,
           **task.overrides}
    try:
        df = simulate(task.base.with_overrides(task.overrides), seed=task.seed)
        record = {**key, **summarize(df), "status": "ok", "attempts": task.attempt, "error": ""}
        columns = ["date", *(task.outputs or [c for c in df.columns if c != "date"])]
        frame = df.reindex(columns=columns).reset_index(drop=True)
        frame.insert(0, "replication", task.replication)
        frame.insert(0, "point", task.point)
        return RunOutcome(record, encode_run(record, frame, task.spec))
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"{type(exc).__name__}: {exc} [{Path(where.filename).name}:{where.lineno}]"
        return RunOutcome({**key, "status": "failed", "attempts": task.attempt, "error": error},
                          None)


class SerialExecutor(Executor):
    """Runs each task in the calling process at submission: no pickling, easy debugging."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A local process pool for sweeps whose workers ignore Ctrl-C (the parent decides what
    to keep and stops them) and exit when the parent dies (see :func:`_init_worker`).

    Importing Mesa forces the 'spawn' start method process-wide, so the context is chosen
    here: 'forkserver' where the platform has it (safe in a threaded parent, and workers fork
    from a server that has already imported the model), else 'spawn'.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker)


def _init_worker() -> None:
    """Pool worker set-up. Ctrl-C is ignored. A daemon thread waits on the parent's sentinel
    (a pipe the parent holds open) and ends the worker when it closes: without it, workers of
    a SIGKILLed parent wait on their task queue forever, and keep the forkserver and the
    resource tracker alive with them (both exit once the last worker has)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), name="exit-with-parent",
                         daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(EXIT_PARENT_GONE)


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did: how many runs it found done, ran, and saw fail; how many failed runs
    it retried and how many damaged run files it set aside and redid."""

    folder: Path
    total: int
    skipped: int
    ok: int
    failed: int
    retried: int
    quarantined: int
    summary: pd.DataFrame


class Sweep:
    """One experiment's results folder, locked and prepared to run or resume.

    Opening it takes the folder's lock (refusing, or waiting up to ``wait`` seconds, while
    another sweep holds it), verifies the runs on disk against the spec (refusing a different
    spec unless ``restart``; setting damaged files aside), writes the resolved spec, the design
    table and a provenance entry, and finds finished runs. Failed runs count as finished only
    if not ``retry``. The lock is held until :meth:`run` ends or :meth:`close` is called
    (``with Sweep(...) as sweep:`` closes it too).
    """

    def __init__(self, spec: ExperimentSpec, out: str | Path = "results", restart: bool = False,
                 *, retry: bool = True, wait: float | None = None) -> None:
        self.spec = spec
        self.folder = Path(out) / spec.name
        self.design = run_table(spec)
        self.parameters = list(spec.parameters)
        self.store = ResultStore(self.folder)
        self.store.open(spec.resolved(), self.design, restart=restart, wait=wait)
        try:
            self.store.add_provenance(provenance())
        except BaseException:
            self.store.close()
            raise
        found = self.store.found
        self.retrying = {key: attempts for key, (status, attempts) in found.items()
                         if retry and status != "ok"}
        self.finished = found.keys() - self.retrying.keys()

    def __enter__(self) -> Sweep:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder for other sweeps."""
        self.store.close()

    @property
    def total(self) -> int:
        return len(self.design)

    def tasks(self) -> Iterator[RunTask]:
        """Runs not yet on disk, or failed and to be retried, in key order."""
        for row in self.design.to_dict("records"):
            key = (row["point"], row["replication"])
            if key not in self.finished:
                overrides = {name: row[name] for name in self.parameters}
                yield RunTask(*(row[k] for k in KEYS), overrides, self.spec.base, self.spec.outputs,
                              self.store.spec, self.retrying.get(key, 0) + 1)

    def run(self, executor: Executor | None = None, *, max_in_flight: int | None = None,
            on_result: Callable[[dict[str, Any]], None] | None = None,
            check: Callable[[], None] | None = None) -> SweepReport:
        """Run the missing runs on ``executor`` (default: serial, in this process).

        ``on_result`` sees each stored summary row (for progress bars). ``check`` is called at
        least every ``HEARTBEAT_S`` seconds and raises :class:`ExecutorLost` when the executor
        can no longer finish runs (a lost Dask scheduler), which would otherwise leave the
        sweep waiting forever. Whatever stops the sweep, including Ctrl-C, ``summary.parquet``
        is rewritten from the runs on disk and the folder released; if the executor broke,
        :class:`SweepAborted` says how many runs to resume.
        """
        counts = {"ok": 0, "failed": 0}
        try:
            limit = max_in_flight or 2 * (os.cpu_count() or 1)
            lost = self._stream(executor or SerialExecutor(), limit, counts, on_result, check)
        finally:
            try:
                summary = self.store.write_summary(self.parameters)
            finally:
                self.close()
        if lost:
            cause = lost[0]
            reason = (str(cause) if isinstance(cause, ExecutorLost)
                      else f"the executor failed ({type(cause).__name__}: {cause})")
            raise SweepAborted(f"{reason}; {len(summary)} of {self.total} runs are saved in "
                               f"{self.folder}; run the sweep again to resume")
        return SweepReport(self.folder, self.total, len(self.finished), counts["ok"],
                           counts["failed"], len(self.retrying), len(self.store.quarantined),
                           summary)

    def _stream(self, executor: Executor, limit: int, counts: dict[str, int],
                on_result: Callable[[dict[str, Any]], None] | None,
                check: Callable[[], None] | None) -> list[BaseException]:
        """Submit tasks, keeping at most ``limit`` in flight, and store results as they come;
        returns what the executor lost (the sweep goes on without those runs)."""
        tasks, in_flight = self.tasks(), set()
        lost: list[BaseException] = []
        try:
            while True:
                task = next(tasks, None) if len(in_flight) < limit else None
                if task is not None:
                    try:
                        in_flight.add(executor.submit(execute_run, task))
                    except Exception as exc:  # broken, shut down, or (Dask) its client closed
                        lost.append(exc)
                        tasks = iter(())
                elif not in_flight:
                    return lost
                # Collect whatever is done; block only when nothing more can be submitted.
                done, in_flight = wait(in_flight, timeout=HEARTBEAT_S if task is None else 0,
                                       return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        outcome = future.result()
                    except Exception as exc:  # the executor lost this run: leave it to a re-run
                        lost.append(exc)
                        continue
                    self.store.save(outcome.record, outcome.parquet)
                    counts[outcome.record["status"]] += 1
                    if on_result is not None:
                        on_result(outcome.record)
                if check is not None:
                    check()
        except BaseException as exc:
            for future in in_flight:
                future.cancel()
            if not isinstance(exc, ExecutorLost):
                raise
            return [exc, *lost]


def run_sweep(spec: ExperimentSpec, out: str | Path = "results", executor: Executor | None = None,
              *, restart: bool = False, retry: bool = True, wait: float | None = None,
              max_in_flight: int | None = None) -> SweepReport:
    """Run (or resume) ``spec`` into ``out/<name>/`` on ``executor`` (default: serial)."""
    return Sweep(spec, out, restart, retry=retry, wait=wait).run(executor,
                                                                 max_in_flight=max_in_flight)
