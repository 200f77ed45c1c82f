"""Running a sweep on any :class:`concurrent.futures.Executor`, streaming results to disk.

The parent keeps at most ``max_in_flight`` runs submitted and writes each result as it
arrives, so its memory stays flat however many runs a sweep has (Mesa's ``batch_run`` holds
them all). Model errors are caught inside the worker and recorded as failed runs; an
executor that breaks (a killed worker, a lost Dask node) costs only the runs in flight,
which a re-run picks up.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from neocloud_abm import Params, simulate, summarize
from neocloud_abm.experiments.design import KEYS, run_table
from neocloud_abm.experiments.spec import ExperimentSpec
from neocloud_abm.experiments.store import ResultStore, encode_run
from neocloud_abm.params import NeocloudError


class SweepAborted(NeocloudError):
    """The executor failed; finished runs are on disk and a re-run resumes the rest."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run; small and picklable."""

    point: int
    replication: int
    seed: int
    overrides: dict[str, Any]
    base: Params
    months: int
    outputs: tuple[str, ...] | None


@dataclass(frozen=True)
class RunOutcome:
    """A run's summary row and, if it succeeded, its time series as a Parquet file."""

    record: dict[str, Any]
    parquet: bytes | None


def execute_run(task: RunTask) -> RunOutcome:
    """Run one simulation; an exception from the model becomes a failed record rather than a
    failed future, so it is stored with its error and the sweep goes on."""
    key = {"point": task.point, "replication": task.replication, "seed": task.seed,
           **task.overrides}
    try:
        df = simulate(task.base.with_overrides(task.overrides), seed=task.seed, months=task.months)
        record = {**key, **summarize(df), "status": "ok", "error": ""}
        columns = ["date", *(task.outputs or [c for c in df.columns if c != "date"])]
        frame = df.reindex(columns=columns).reset_index(drop=True)
        frame.insert(0, "replication", task.replication)
        frame.insert(0, "point", task.point)
        return RunOutcome(record, encode_run(record, frame))
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"{type(exc).__name__}: {exc} [{Path(where.filename).name}:{where.lineno}]"
        return RunOutcome({**key, "status": "failed", "error": error}, None)


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
    """A local process pool for sweeps, whose workers ignore Ctrl-C (the parent decides what
    to keep and stops them).

    Importing Mesa forces the 'spawn' start method process-wide, so the context is chosen
    here: 'forkserver' where the platform has it (safe in a threaded parent, and workers fork
    from a server that has already imported the model), else 'spawn'.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=signal.signal,
                               initargs=(signal.SIGINT, signal.SIG_IGN))


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did: how many runs it found done, ran, and saw fail."""

    folder: Path
    total: int
    skipped: int
    ok: int
    failed: int
    summary: pd.DataFrame


class Sweep:
    """One experiment's results folder, prepared to run or resume.

    Opening it validates the folder against the spec (refusing a different spec unless
    ``restart``), writes the resolved spec and the design table, and finds finished runs.
    """

    def __init__(self, spec: ExperimentSpec, out: str | Path = "results",
                 restart: bool = False) -> None:
        self.spec = spec
        self.folder = Path(out) / spec.name
        self.design = run_table(spec)
        self.parameters = list(spec.parameters)
        self.store = ResultStore(self.folder)
        self.store.prepare(spec.resolved(), self.design, restart)
        self.finished = {(r["point"], r["replication"]) for r in self.store.scan()}

    @property
    def total(self) -> int:
        return len(self.design)

    def tasks(self) -> Iterator[RunTask]:
        """Runs not yet on disk, in key order."""
        for row in self.design.to_dict("records"):
            if (row["point"], row["replication"]) not in self.finished:
                overrides = {name: row[name] for name in self.parameters}
                yield RunTask(*(row[k] for k in KEYS), overrides, self.spec.base,
                              self.spec.months, self.spec.outputs)

    def run(self, executor: Executor | None = None, *, max_in_flight: int | None = None,
            on_result: Callable[[dict[str, Any]], None] | None = None) -> SweepReport:
        """Run the missing runs on ``executor`` (default: serial, in this process).

        ``on_result`` sees each stored summary row (for progress bars). Whatever stops the
        sweep, including Ctrl-C, ``summary.parquet`` is rewritten from the runs on disk; if
        the executor broke, :class:`SweepAborted` says how many runs to resume.
        """
        executor = executor or SerialExecutor()
        limit = max_in_flight or 2 * (os.cpu_count() or 1)
        tasks, in_flight = self.tasks(), set()
        counts = {"ok": 0, "failed": 0}
        lost: list[BaseException] = []
        try:
            while True:
                task = next(tasks, None) if len(in_flight) < limit else None
                if task is not None:
                    try:
                        in_flight.add(executor.submit(execute_run, task))
                    except (BrokenExecutor, RuntimeError) as exc:  # broken or shut down
                        lost.append(exc)
                        tasks = iter(())
                elif not in_flight:
                    break
                # Collect whatever is done; block only when nothing more can be submitted.
                done, in_flight = wait(in_flight, timeout=None if task is None else 0,
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
        except BaseException:
            for future in in_flight:
                future.cancel()
            raise
        finally:
            summary = self.store.write_summary(self.parameters)
        if lost:
            raise SweepAborted(f"the executor failed ({type(lost[0]).__name__}: {lost[0]}); "
                               f"{len(summary)} of {self.total} runs are saved in {self.folder}; "
                               "run the sweep again to resume")
        return SweepReport(self.folder, self.total, len(self.finished), counts["ok"],
                           counts["failed"], summary)


def run_sweep(spec: ExperimentSpec, out: str | Path = "results", executor: Executor | None = None,
              *, restart: bool = False, max_in_flight: int | None = None) -> SweepReport:
    """Run (or resume) ``spec`` into ``out/<name>/`` on ``executor`` (default: serial)."""
    return Sweep(spec, out, restart).run(executor, max_in_flight=max_in_flight)
