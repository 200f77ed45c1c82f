"""Sweeps on a real Dask cluster: a scheduler and workers started as separate processes with
the ``dask`` command line, as on a cluster, and the sweep run through ``neocloud-abm sweep
--dask-scheduler``. A worker killed mid-sweep costs nothing; a scheduler killed or frozen
mid-sweep is reported within the stated time, and a re-run on a new cluster resumes to the
results of a serial sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_experiments_runner import (
    PACKAGE_ROOT,
    SPEC,
    assert_same_results,
    output,
    serial_sweep,
    start_cli_sweep,
    wait_for_runs,
    write_spec,
)

distributed = pytest.importorskip("distributed")
DASK = Path(sys.executable).with_name("dask")
pytestmark = pytest.mark.skipif(not DASK.exists(), reason="no dask command line beside Python")

CLUSTER_SPEC = SPEC.replace("replications = 3", "replications = 12")  # 24 runs
RUNS = 24
DASK_TIMEOUT_S = 15  # long enough that a scheduler slowed by a busy machine is not taken for lost


class Cluster:
    """A Dask scheduler and single-threaded workers on 127.0.0.1, each its own process, which
    import this checkout (PYTHONPATH)."""

    def __init__(self, folder: Path, workers: int = 2) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.processes = folder, []
        scheduler_file = folder / "scheduler.json"
        self.scheduler = self._start(
            "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
            "--scheduler-file", str(scheduler_file))
        self.address = self._address(scheduler_file)
        self.workers = [self._start("worker", self.address, "--nthreads", "1", "--no-nanny",
                                    "--no-dashboard", "--host", "127.0.0.1")
                        for _ in range(workers)]
        with distributed.Client(self.address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)

    def _start(self, *argv: str) -> subprocess.Popen:
        path = [str(PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        log = (self.folder / f"{argv[0]}-{len(self.processes)}.log").open("w")
        process = subprocess.Popen([str(DASK), *argv], stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONPATH": os.pathsep.join(path)})
        log.close()
        self.processes.append(process)
        return process

    def _address(self, scheduler_file: Path, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                assert self.scheduler.poll() is None, "the scheduler exited"
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait()


@pytest.fixture()
def cluster(tmp_path: Path):
    """A cluster for one test to damage."""
    started = Cluster(tmp_path / "cluster")
    yield started
    started.stop()


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory):
    """A cluster the tests resume on after theirs is lost."""
    started = Cluster(tmp_path_factory.mktemp("healthy"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return serial_sweep(tmp_path_factory.mktemp("reference"), CLUSTER_SPEC)


def test_worker_killed_mid_sweep(tmp_path: Path, cluster: Cluster, reference: Path) -> None:
    spec, out = write_spec(tmp_path, CLUSTER_SPEC), tmp_path / "out"
    options = ("--dask-scheduler", cluster.address)
    sweep = start_cli_sweep(spec, out, *options)
    wait_for_runs(out / "tiny", 4, sweep)
    cluster.workers[0].kill()
    assert len(list((out / "tiny" / "runs").glob("*.parquet"))) < RUNS  # killed mid-sweep
    log = output(sweep)
    if sweep.returncode == 1 and "resume with:" in log:  # the runs it held were reported lost
        sweep = start_cli_sweep(spec, out, *options)
        log = output(sweep)
    assert sweep.returncode == 0, log
    assert_same_results(out / "tiny", reference)


@pytest.mark.parametrize("loss", ["killed", "frozen"])
def test_lost_scheduler_is_reported_and_a_new_cluster_resumes(
        tmp_path: Path, cluster: Cluster, healthy: Cluster, reference: Path, loss: str) -> None:
    """Killed: its connection closes. Frozen (SIGSTOP, as a hung or cut-off scheduler): the
    connection stays open and nothing answers, which used to leave the sweep waiting forever."""
    spec, out = write_spec(tmp_path, CLUSTER_SPEC), tmp_path / "out"
    sweep = start_cli_sweep(spec, out, "--dask-scheduler", cluster.address,
                            "--dask-timeout", str(DASK_TIMEOUT_S))
    wait_for_runs(out / "tiny", 2, sweep)
    cluster.scheduler.send_signal(signal.SIGKILL if loss == "killed" else signal.SIGSTOP)
    # Reported within the stated bound (timeout + two pings + one unanswered question),
    # plus the time to write the summary and close the client.
    log = output(sweep, timeout=DASK_TIMEOUT_S + 4 + DASK_TIMEOUT_S + 30)
    assert sweep.returncode == 1, log
    assert f"Dask scheduler at {cluster.address}" in log
    assert f"resume with: neocloud-abm sweep {spec} --out {out} --dask-scheduler " in log
    saved = len(list((out / "tiny" / "runs").glob("*.parquet")))
    assert 2 <= saved < RUNS

    sweep = start_cli_sweep(spec, out, "--dask-scheduler", healthy.address)
    log = output(sweep)
    assert sweep.returncode == 0, log
    assert f"{RUNS} runs, {saved} already done" in log
    assert_same_results(out / "tiny", reference)
