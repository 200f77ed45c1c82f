"""``neocloud-abm sweep``: run an experiment spec with a progress bar, on local processes or
Dask, then print the main statistics per design point."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from neocloud_abm.experiments.analysis import aggregate
from neocloud_abm.experiments.runner import SerialExecutor, Sweep, SweepAborted, process_pool
from neocloud_abm.experiments.spec import load_spec
from neocloud_abm.params import NeocloudError

MAIN_STATS = ("peak_price", "peak_to_trough", "default_rate", "max_glut")
EXIT_OK, EXIT_FAILED_RUNS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def add_sweep_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``sweep SPEC.toml [--out DIR] [--workers N | --dask-local N |
    --dask-scheduler ADDR] [--restart]``; its handler is :func:`sweep_command`."""
    parser = subparsers.add_parser(
        "sweep", help="run an experiment spec (replications, grid, lhs, sobol, morris)",
        description="Run every run of an experiment spec, streaming results to OUT/<name>/. "
                    "Re-running the same command resumes: finished runs are skipped.")
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
    parser.add_argument("--restart", action="store_true",
                        help="discard results of a different spec under the same name")
    parser.set_defaults(func=sweep_command)
    return parser


def sweep_command(args: argparse.Namespace) -> int:
    """Handler of ``sweep``: 0 if every run succeeded, 1 if some failed or the executor broke
    (finished runs are kept), 2 for a bad spec or folder, 130 on Ctrl-C."""
    sweep: Sweep | None = None
    try:
        sweep = Sweep(load_spec(args.spec), args.out, restart=args.restart)
        with _executor(args) as (executor, slots, where):
            print(f"sweep {sweep.spec.name}: {sweep.total} runs, {len(sweep.finished)} already "
                  f"done, on {where} -> {sweep.folder}", file=sys.stderr)
            with tqdm(total=sweep.total, initial=len(sweep.finished), desc=sweep.spec.name,
                      unit="run", postfix={"failed": 0}, file=sys.stderr, mininterval=0.5,
                      dynamic_ncols=True) as bar:
                report = sweep.run(executor, max_in_flight=2 * slots, on_result=_progress(bar))
    except KeyboardInterrupt:
        if sweep is not None:
            saved = sum(1 for _ in sweep.store.scan())
            print(f"\ninterrupted: {saved} of {sweep.total} runs are saved in {sweep.folder}; "
                  "run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except NeocloudError as exc:
        print(f"neocloud-abm: error: {exc}", file=sys.stderr)
        return EXIT_FAILED_RUNS if isinstance(exc, SweepAborted) else EXIT_ERROR
    print(_closing_table(report.summary, sweep.parameters))
    failed = report.summary[report.summary["status"] != "ok"]
    if len(failed):
        print(f"{len(failed)} runs failed; most common errors:\n"
              + failed["error"].value_counts().head(3).to_string(), file=sys.stderr)
    return EXIT_FAILED_RUNS if len(failed) else EXIT_OK


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
def _executor(args: argparse.Namespace) -> Iterator[tuple[Executor, int, str]]:
    """The executor the options ask for, its number of parallel slots, and a description.
    On Ctrl-C (or any error) queued runs are cancelled and pool workers stopped at once."""
    with ExitStack() as stack:
        if args.dask_local or args.dask_scheduler:
            client = _dask_client(args, stack)
            slots = max(sum(client.nthreads().values()), 1)
            executor: Executor = client.get_executor(pure=False)
            where = f"Dask at {client.scheduler.address} ({slots} threads)"
        else:
            slots = args.workers or os.cpu_count() or 1
            executor = SerialExecutor() if slots == 1 else stack.enter_context(process_pool(slots))
            where = "this process" if slots == 1 else f"{slots} local processes"
        before = set(multiprocessing.active_children())
        try:
            yield executor, slots, where
        except BaseException:
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


def _closing_table(summary: pd.DataFrame, parameters: list[str]) -> str:
    """Median over replications of the main statistics, one line per design point."""
    bands = aggregate(summary, by=["point", *parameters])
    medians = {f"{s}_median": s for s in MAIN_STATS if f"{s}_median" in bands}
    table = bands[["point", *parameters, "runs", "failed", *medians]].rename(columns=medians)
    text = table.to_string(index=False, max_rows=20, float_format=lambda x: f"{x:.4g}")
    return f"median over replications per design point:\n{text}"
