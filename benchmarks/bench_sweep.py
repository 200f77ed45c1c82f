"""Sweep throughput by worker count, and parent memory and compaction of big sweeps
(results in benchmarks/README.md, "Sweeps").

1. Runs per minute of a Monte Carlo of ``baseline`` (``--runs`` runs) serially, and on a
   process pool and a Dask LocalCluster with each of ``--workers`` workers, best of
   ``--repeats`` interleaved rounds, with the speed-up over serial. Executors are started and
   warmed (workers have imported the model) before the clock starts; their start-up time is
   shown apart.
2. Peak resident memory of the parent for sweeps of ``--memory-runs`` very short runs on a
   process pool, each in a fresh interpreter, to show that it does not grow with the sweep;
   then the time and peak memory of compacting the folder into one Parquet dataset.

    .venv/bin/python benchmarks/bench_sweep.py --workers 1 2 --memory-runs 400 10000
    .venv/bin/python benchmarks/bench_sweep.py --workers 1 2 4 8 16 --runs 160 --repeats 2 --memory-runs
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from pathlib import Path

from neocloud_abm.experiments import SerialExecutor, compact, parse_spec, run_sweep
from neocloud_abm.experiments.runner import process_pool


def monte_carlo(runs: int, months: int) -> dict:
    return {"name": f"bench_{runs}", "scenario": "baseline", "months": months,
            "replications": runs, "seed": 1}


def peak_rss_mib() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def warm(_: int) -> str:
    """A trivial task that makes a worker import the model before timing starts."""
    import neocloud_abm.experiments.runner  # noqa: F401

    return platform.node()


def spin(steps: int) -> float:
    """Pure-Python busy loop; returns its duration."""
    started = time.perf_counter()
    total = 0
    for i in range(steps):
        total += i * i
    return time.perf_counter() - started


def cpu_capacity(workers: int, steps: int = 10_000_000) -> float:
    """How many times one process's work ``workers`` busy processes get done in the same
    time, right now: the ceiling for a sweep's speed-up (other load on a shared machine
    lowers it)."""
    one = spin(steps)
    with process_pool(workers) as executor:
        parallel = max(executor.map(spin, [steps] * workers))
    return workers * one / parallel


@contextmanager
def serial(_: int) -> Iterator[Executor]:
    yield SerialExecutor()


@contextmanager
def dask_local(workers: int) -> Iterator[Executor]:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.run(warm, 0)
        yield client.get_executor(pure=False)


@contextmanager
def pool(workers: int) -> Iterator[Executor]:
    with process_pool(workers) as executor:
        list(executor.map(warm, range(workers)))
        yield executor


def throughput(workers: int, runs: int, months: int, repeats: int, out: Path,
               with_serial: bool) -> list[dict]:
    """Best sweep time of each executor with ``workers`` workers (and of serial, when
    ``with_serial``) over ``repeats`` rounds; the rounds interleave the executors, so a burst
    of other load on the machine does not fall on one of them only."""
    openers = {"serial": serial} if with_serial else {}
    openers |= {"process pool": pool, "Dask LocalCluster": dask_local}
    spec = parse_spec(monte_carlo(runs, months))
    rows = []
    with ExitStack() as stack:
        executors = {}
        for name, opener in openers.items():
            started = time.perf_counter()
            executors[name] = stack.enter_context(opener(workers))
            rows.append({"executor": name, "workers": 1 if name == "serial" else workers,
                         "startup_s": time.perf_counter() - started, "sweep_s": math.inf})
        for repeat in range(repeats):
            for row, executor in zip(rows, executors.values(), strict=True):
                started = time.perf_counter()
                report = run_sweep(spec, out / f"{row['executor']}-{workers}-{repeat}", executor,
                                   max_in_flight=2 * workers)
                row["sweep_s"] = min(row["sweep_s"], time.perf_counter() - started)
                assert report.ok == runs, report
    return rows


def memory_child(runs: int, months: int, workers: int) -> None:
    """Run in a fresh interpreter: print the parent's peak RSS before and after a sweep."""
    with tempfile.TemporaryDirectory() as out, process_pool(workers) as executor:
        list(executor.map(warm, range(workers)))
        before = peak_rss_mib()
        started = time.perf_counter()
        report = run_sweep(parse_spec(monte_carlo(runs, months)), out, executor,
                           max_in_flight=2 * workers)
        seconds, after = time.perf_counter() - started, peak_rss_mib()
        started = time.perf_counter()
        compaction = compact(report.folder)
        print(json.dumps({"runs": runs, "ok": report.ok, "seconds": seconds,
                          "peak_before_mib": before, "peak_after_mib": after,
                          "compact_s": time.perf_counter() - started, "files": compaction.files,
                          "peak_compact_mib": peak_rss_mib()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--months", type=int, default=24, help="months per run (throughput)")
    parser.add_argument("--runs", type=int, default=40, help="runs per sweep (throughput)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="worker counts to time (1 2)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best is kept")
    parser.add_argument("--memory-months", type=int, default=3, help="months per run (memory)")
    parser.add_argument("--memory-runs", type=int, nargs="*", default=[400, 10_000],
                        help="sweep sizes whose parent memory is compared (400 10000; "
                             "none: skip)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    widest = max(args.workers)
    os.environ["PYTHONWARNINGS"] = "ignore"  # workers: short runs' horizon warnings, not timed
    warnings.simplefilter("ignore")
    if args.memory_child:
        memory_child(args.memory_child, args.memory_months, widest)
        return
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores; "
          f"{args.runs} runs of {args.months} months, best of {args.repeats}; CPU check: "
          f"{widest} busy processes do {cpu_capacity(widest):.2f}x the work of one")
    print("\n| executor | workers | start-up (s) | sweep (s) | runs/min | vs serial |")
    print("|---|---:|---:|---:|---:|---:|")
    serial_s = None
    with tempfile.TemporaryDirectory() as out:
        for workers in args.workers:
            rows = throughput(workers, args.runs, args.months, args.repeats, Path(out),
                              with_serial=serial_s is None)
            serial_s = serial_s or rows[0]["sweep_s"]
            for row in rows:
                print(f"| {row['executor']} | {row['workers']} | {row['startup_s']:.1f} | "
                      f"{row['sweep_s']:.1f} | {args.runs * 60 / row['sweep_s']:.0f} | "
                      f"{serial_s / row['sweep_s']:.2f}x |", flush=True)
    if not args.memory_runs:
        return
    print(f"\n| runs ({args.memory_months} months each) | sweep (s) | parent peak RSS before "
          "sweep (MiB) | after sweep (MiB) | growth (MiB) | compaction (s) | files "
          "| peak after compaction (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for runs in args.memory_runs:
        child = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(runs), "--workers", str(widest),
             "--memory-months", str(args.memory_months)], capture_output=True, text=True, check=True)
        row = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"| {runs:,} | {row['seconds']:.1f} | {row['peak_before_mib']:.0f} | "
              f"{row['peak_after_mib']:.0f} | {row['peak_after_mib'] - row['peak_before_mib']:.0f} "
              f"| {row['compact_s']:.1f} | {row['files']} | {row['peak_compact_mib']:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
