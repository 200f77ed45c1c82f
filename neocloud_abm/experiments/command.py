"""``neocloud-abm sweep``: run an experiment spec with a progress bar, on local processes or
Dask, then print the main statistics per design point."""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.experiments.analysis import aggregate
from neocloud_abm.experiments.runner import (
    ExecutorLost,
    SerialExecutor,
    Sweep,
    SweepAborted,
    process_pool,
)
from neocloud_abm.experiments.spec import ExperimentSpec, load_spec
from neocloud_abm.experiments.store import FolderInUse

MAIN_STATS = ("peak_price", "peak_to_trough", "default_rate", "max_glut")
EXIT_OK, EXIT_FAILED_RUNS, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
DASK_TIMEOUT_S = 30.0
SCHEDULER_PING_S = 2.0


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a terminated sweep stops as on Ctrl-C."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (put SPEC.toml "
                                         "before --wait)")
    return value


def add_sweep_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``sweep SPEC.toml [--out DIR] [--workers N | --dask-local N |
    --dask-scheduler ADDR] [--restart] [--no-retry] [--wait [SECONDS]] ...``; its handler is
    :func:`sweep_command`."""
    parser = subparsers.add_parser(
        "sweep", help="run an experiment spec (replications, grid, lhs, sobol, morris)",
        description="Run every run of an experiment spec, streaming results to OUT/<name>/. "
                    "Re-running the same command resumes: finished runs are skipped, failed "
                    "and damaged ones run again.")
    add_run_options(parser)
    parser.set_defaults(func=sweep_command)
    return parser


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The spec, the results folder, where the runs go and how a folder is resumed: the
    options of every command that runs a spec (``sweep``, ``calibrate``)."""
    parser.add_argument("spec", type=Path, metavar="SPEC.toml", help="experiment spec")
    parser.add_argument("--out", type=Path, default=Path("results"), metavar="DIR",
                        help="parent of the results folder (default: results)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive, metavar="N",
                       help="local worker processes (default: CPU count; 1 runs in-process)")
    where.add_argument("--dask-local", type=_positive, metavar="N",
                       help="start a Dask LocalCluster of N single-threaded workers")
    where.add_argument("--dask-scheduler", metavar="ADDR",
                       help="use a running Dask cluster (its workers need neocloud_abm)")
    parser.add_argument("--dask-timeout", type=_seconds, metavar="SECONDS",
                        help="give up on a Dask scheduler that has not answered for this long "
                             f"(default: {DASK_TIMEOUT_S:g})")
    parser.add_argument("--restart", action="store_true",
                        help="discard results of a different spec under the same name")
    parser.add_argument("--no-retry", action="store_true",
                        help="keep failed runs as they are instead of running them again")
    parser.add_argument("--wait", nargs="?", const=math.inf, type=_seconds, metavar="SECONDS",
                        help="if another sweep is writing to the results folder, wait for it "
                             "(at most SECONDS) instead of stopping")
    parser.add_argument("--max-runs", type=_positive, metavar="N",
                        help="refuse a design of more than N runs (default: the spec "
                             "module's DEFAULT_MAX_RUNS)")


def sweep_command(args: argparse.Namespace) -> int:
    """Handler of ``sweep``: 0 if every run succeeded, 1 if some failed or the executor broke
    (finished runs are kept), 2 for a bad spec or folder, 130 on Ctrl-C, 143 on SIGTERM."""
    sweep: Sweep | None = None
    try:
        with _sigterm_raises(), ExitStack() as stack:
            spec = load_spec(args.spec, max_runs=args.max_runs)
            sweep = stack.enter_context(_open_sweep(spec, args))
            executor, slots, where, check = stack.enter_context(_executor(args))
            print(_opening(sweep, where), file=sys.stderr)
            with tqdm(total=sweep.total, initial=len(sweep.finished), desc=spec.name,
                      unit="run", postfix={"failed": 0}, file=sys.stderr, mininterval=0.5,
                      dynamic_ncols=True) as bar:
                report = sweep.run(executor, max_in_flight=2 * slots, on_result=_progress(bar),
                                   check=check)
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        if sweep is not None:
            print(f"\n{'terminated' if terminated else 'interrupted'}: {sweep.store.stored} of "
                  f"{sweep.total} runs are saved in {sweep.folder}; resume with: "
                  f"{_resume_command(args)}", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except NeocloudError as exc:
        print(f"neocloud-abm: error: {exc}", file=sys.stderr)
        if not isinstance(exc, SweepAborted):
            return EXIT_ERROR
        print(f"resume with: {_resume_command(args)}", file=sys.stderr)
        return EXIT_FAILED_RUNS
    print(_closing_table(report.summary, sweep.parameters))
    failed = report.summary[report.summary["status"] != "ok"]
    if len(failed):
        print(f"{len(failed)} runs failed; most common errors:\n"
              + failed["error"].value_counts().head(3).to_string(), file=sys.stderr)
    return EXIT_FAILED_RUNS if len(failed) else EXIT_OK


def _open_sweep(spec: ExperimentSpec, args: argparse.Namespace) -> Sweep:
    """The sweep, holding its folder; with --wait, says whom it waits for first."""
    def open_sweep(wait: float | None) -> Sweep:
        return Sweep(spec, args.out, args.restart, retry=not args.no_retry, wait=wait)

    try:
        return open_sweep(None)
    except FolderInUse as exc:
        if args.wait is None:
            raise
        limit = "" if math.isinf(args.wait) else f" (at most {args.wait:g} s)"
        print(f"{exc.folder} is in use by another sweep ({exc.holder}); waiting for it{limit}",
              file=sys.stderr)
    return open_sweep(args.wait)


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While the sweep runs, SIGTERM (``kill``, a batch scheduler's stop) raises
    :class:`Terminated`, so the summary is written and the pool stopped as on Ctrl-C; later
    ones are ignored until then, so that they cannot cut the clean-up short."""
    def terminate(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _opening(sweep: Sweep, where: str) -> str:
    """What the sweep found in its folder and where it runs."""
    found = [f"{len(sweep.finished)} already done"]
    if sweep.retrying:
        found.append(f"{len(sweep.retrying)} failed to retry")
    if sweep.store.quarantined:
        found.append(f"{len(sweep.store.quarantined)} damaged run files moved to quarantine/ "
                     "to be redone")
    rebuilt = ("\nspec.json was damaged or stale; rewritten from the spec, which made every run "
               "on disk") if sweep.store.spec_rebuilt else ""
    return (f"sweep {sweep.spec.name}: {sweep.total} runs, {', '.join(found)}, on {where} -> "
            f"{sweep.folder}{rebuilt}")


def _resume_command(args: argparse.Namespace) -> str:
    """The command that picks up where this sweep stopped: the same options less --restart
    (which would discard what was saved) and --wait."""
    words = ["neocloud-abm", getattr(args, "command", None) or "sweep", str(args.spec),
             "--out", str(args.out)]
    for option in ("workers", "dask_local", "dask_scheduler", "dask_timeout", "max_runs"):
        value = getattr(args, option)
        if value is not None:
            words += [f"--{option.replace('_', '-')}", f"{value:g}" if isinstance(value, float)
                      else str(value)]
    if args.no_retry:
        words.append("--no-retry")
    for option in ("accept", "observations", "in_sample_until"):   # calibrate's own options
        if getattr(args, option, None) is not None:
            words += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    return shlex.join(words)


def _progress(bar: tqdm) -> Callable[[dict[str, Any]], None]:
    """Callback for each stored run: advance the bar, which shows done, rate and ETA, and
    count failures in its postfix."""
    failed = 0

    def update(record: dict[str, Any]) -> None:
        nonlocal failed
        if record["status"] != "ok":
            failed += 1
            bar.set_postfix(failed=failed, refresh=False)
        bar.update()

    return update


@contextmanager
def _executor(args: argparse.Namespace) -> Iterator[tuple[Executor, int, str,
                                                          Callable[[], None] | None]]:
    """The executor the options ask for, its number of parallel slots, a description, and its
    health check for :meth:`Sweep.run` (Dask only). On Ctrl-C (or any error) queued runs are
    cancelled and pool workers stopped at once."""
    with ExitStack() as stack:
        check: Callable[[], None] | None = None
        if args.dask_local or args.dask_scheduler:
            client = _dask_client(args, stack)
            slots = max(sum(client.nthreads().values()), 1)
            executor: Executor = client.get_executor(pure=False)
            where = f"Dask at {client.scheduler.address} ({slots} threads)"
            check = SchedulerWatch(client, DASK_TIMEOUT_S if args.dask_timeout is None
                                   else args.dask_timeout)
        else:
            slots = args.workers or os.cpu_count() or 1
            executor = SerialExecutor() if slots == 1 else stack.enter_context(process_pool(slots))
            where = "this process" if slots == 1 else f"{slots} local processes"
        before = set(multiprocessing.active_children())
        try:
            yield executor, slots, where, check
        except BaseException:
            # Stopping is best effort: an executor that broke (a closed Dask client) may fail
            # to shut down, and that must not hide why the sweep stopped.
            with suppress(Exception):
                executor.shutdown(wait=False)
            for process in set(multiprocessing.active_children()) - before:
                process.terminate()
            raise


def _dask_client(args: argparse.Namespace, stack: ExitStack) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise NeocloudError("--dask-local and --dask-scheduler need Dask: "
                            "pip install 'neocloud_abm[dask]'") from None
    if args.dask_local:
        cluster = stack.enter_context(LocalCluster(
            n_workers=args.dask_local, threads_per_worker=1, processes=True,
            silence_logs=logging.ERROR))
        return stack.enter_context(Client(cluster))
    try:
        return stack.enter_context(Client(args.dask_scheduler, timeout="10s"))
    except (OSError, TimeoutError) as exc:
        raise NeocloudError(f"cannot reach the Dask scheduler at {args.dask_scheduler}: "
                            f"{exc}") from None


class SchedulerWatch:
    """Health check of a sweep on Dask, so that losing the scheduler stops the sweep with a
    message instead of leaving it waiting forever (the client drops the runs in flight, and a
    scheduler that comes back knows nothing of them).

    A closed connection (the scheduler died) is reported at the next heartbeat. A scheduler
    that is still connected but silent (hung, or cut off by the network) is asked who it is
    every ``SCHEDULER_PING_S`` seconds and reported once it has not answered for ``timeout``
    seconds, within at most ``timeout`` + 2 x ``SCHEDULER_PING_S`` + one unanswered question;
    one that answers as another scheduler (restarted) is reported at once."""

    def __init__(self, client: Any, timeout: float) -> None:
        self.client, self.timeout = client, timeout
        self.address = client.scheduler.address
        self.identity = self._ask()
        self.last_answer = self.next_question = time.monotonic()

    def _ask(self) -> str | None:
        """The scheduler's id, or None if it does not answer in time."""
        try:
            info = self.client.sync(self.client.scheduler.identity, n_workers=0,
                                    callback_timeout=min(self.timeout, 5 * SCHEDULER_PING_S))
        except Exception:  # refused, timed out, client closed: all mean no answer
            return None
        return info["id"]

    def __call__(self) -> None:
        if self.client.status != "running":
            raise ExecutorLost(f"lost the connection to the Dask scheduler at {self.address} "
                               f"(client {self.client.status})")
        if time.monotonic() < self.next_question:
            return
        identity = self._ask()
        now = time.monotonic()
        self.next_question = now + SCHEDULER_PING_S
        if identity is not None and identity != self.identity:
            raise ExecutorLost(f"the Dask scheduler at {self.address} was restarted and has "
                               "lost the runs in flight")
        if identity is not None:
            self.last_answer = now
        elif now - self.last_answer >= self.timeout:
            raise ExecutorLost(f"lost the Dask scheduler at {self.address}: no answer for "
                               f"{self.timeout:g} s")


def _closing_table(summary: pd.DataFrame, parameters: list[str]) -> str:
    """Median over replications of the main statistics, one line per design point."""
    bands = aggregate(summary, by=["point", *parameters])
    medians = {f"{s}_median": s for s in MAIN_STATS if f"{s}_median" in bands}
    table = bands[["point", *parameters, "runs", "failed", *medians]].rename(columns=medians)
    text = table.to_string(index=False, max_rows=20, float_format=lambda x: f"{x:.4g}")
    return f"median over replications per design point:\n{text}"
