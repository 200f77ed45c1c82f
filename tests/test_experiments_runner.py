"""Sweeps on the real model (short runs): executors agree, resume, failures, results folder, CLI,
signals and processes left behind."""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import neocloud_abm
from neocloud_abm import NeocloudError
from neocloud_abm.experiments import (
    Sweep,
    SweepAborted,
    aggregate,
    load_bounds,
    load_spec,
    load_summary,
    load_timeseries,
    morris_indices,
    run_sweep,
    sobol_indices,
)
from neocloud_abm.experiments import runner as runner_module
from neocloud_abm.experiments.command import add_sweep_parser
from neocloud_abm.experiments.runner import process_pool

SPEC = """
name = "tiny"
scenario = "baseline"
months = 12
replications = 3
seed = 7
outputs = ["spot_price_h100e", "neocloud_defaults_cum"]

[design]
kind = "grid"

[design.parameters]
"neoclouds.competition_neglect" = [0.3, 0.8]
"startups.initial_count" = [50]
"""
RUNS = 6
PACKAGE_ROOT = Path(neocloud_abm.__file__).resolve().parents[1]


def write_spec(folder: Path, text: str = SPEC) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.toml"
    path.write_text(text)
    return path


def start_cli_sweep(spec: Path, out: Path, *options: str) -> subprocess.Popen:
    """``neocloud-abm sweep`` in another process and session, importing this checkout; its
    output goes to a new file beside ``out`` (not a pipe, which orphaned workers would hold
    open), read by :func:`output`."""
    path = [str(PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.parent / f"sweep-{len(list(out.parent.glob('sweep-*.log')))}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "neocloud_abm", "sweep", str(spec), "--out", str(out),
             *options], env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    process.log = log  # type: ignore[attr-defined]
    return process


def output(process: subprocess.Popen, timeout: float = 60) -> str:
    """What a sweep started by :func:`start_cli_sweep` printed, once it has exited."""
    process.wait(timeout=timeout)
    return process.log.read_text()  # type: ignore[attr-defined]


def wait_for_runs(folder: Path, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    """Block until ``count`` runs are stored in ``folder`` by the sweep in ``process``."""
    deadline = time.monotonic() + timeout
    while len(list((folder / "runs").glob("*.parquet"))) < count:
        assert process.poll() is None, output(process)
        assert time.monotonic() < deadline, f"not {count} runs in {folder} after {timeout} s"
        time.sleep(0.02)


def snapshot(folder: Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Everything a sweep leaves that depends on the runs: summary and every run file."""
    files = {p.name: pd.read_parquet(p) for p in sorted((folder / "runs").glob("*.parquet"))}
    return load_summary(folder), files


def assert_same_results(folder: Path, reference: Path) -> None:
    summary, files = snapshot(folder)
    expected_summary, expected_files = snapshot(reference)
    assert len(summary) > 0 and not summary.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(summary, expected_summary)
    assert files.keys() == expected_files.keys()
    for name, frame in files.items():
        pd.testing.assert_frame_equal(frame, expected_files[name])


def serial_sweep(root: Path, text: str = SPEC) -> Path:
    """An uninterrupted serial sweep, the yardstick for every other way of running it."""
    report = run_sweep(load_spec(write_spec(root, text)), root / "results")
    assert report.ok == report.total and report.failed == 0
    return report.folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return serial_sweep(tmp_path_factory.mktemp("reference"))


def test_process_pool_gives_identical_results(tmp_path: Path, reference: Path) -> None:
    """Serial (the reference), a process pool here, Dask in test_sweep_command: the same."""
    with process_pool(2) as pool:
        report = run_sweep(load_spec(write_spec(tmp_path)), tmp_path / "results", pool)
    assert report.ok == RUNS
    assert_same_results(report.folder, reference)


def test_results_folder_layout(reference: Path) -> None:
    summary = load_summary(reference)
    params = ["neoclouds.competition_neglect", "startups.initial_count"]
    assert list(summary.columns[:5]) == ["point", "replication", "seed", *params]
    assert list(summary.columns[-3:]) == ["attempts", "status", "error"]
    assert {"peak_price", "default_rate", "peak_to_trough"} <= set(summary.columns)
    assert (summary["status"] == "ok").all() and (summary["error"] == "").all()
    assert (summary["attempts"] == 1).all()
    # Every run file is listed with its SHA-256, in the format `sha256sum -c` checks.
    listed = dict(line.split("  ")[::-1] for line in (reference / "checksums.sha256")
                  .read_text().splitlines())
    assert listed == {f"runs/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
                      for p in (reference / "runs").glob("*.parquet")}
    design = pd.read_parquet(reference / "design.parquet")
    pd.testing.assert_frame_equal(summary[design.columns], design)
    assert json.loads((reference / "spec.json").read_text())["scenario_parameters"]
    # The run files form one table that pandas (or DuckDB) reads directly.
    runs = pd.read_parquet(reference / "runs")
    assert len(runs) == RUNS * 12
    assert list(runs.columns) == ["point", "replication", "date", "spot_price_h100e",
                                  "neocloud_defaults_cum"]


def test_long_time_series_and_bands(reference: Path) -> None:
    series = load_timeseries(reference, columns=["spot_price_h100e"])
    assert len(series) == RUNS * 12
    assert {"seed", "neoclouds.competition_neglect", "date", "variable", "value"} <= set(series)
    bands = aggregate(series)
    assert len(bands) == 2 * 12
    assert (bands["runs"] == 3).all()
    assert (bands["value_p05"] <= bands["value_median"]).all()
    assert (bands["value_median"] <= bands["value_p95"]).all()


@pytest.mark.parametrize(("kind", "samples", "indices", "columns"), [
    ("sobol", 4, sobol_indices, ["S1", "S1_conf", "ST", "ST_conf"]),
    ("morris", 2, morris_indices, ["mu", "mu_star", "sigma", "mu_star_conf"])])
def test_sensitivity_sweep_end_to_end(tmp_path: Path, kind: str, samples: int,
                                      indices: Callable, columns: list[str]) -> None:
    text = SPEC.replace("replications = 3", "replications = 1").split("[design]")[0] + f"""
[design]
kind = "{kind}"
samples = {samples}
[design.parameters]
"neoclouds.competition_neglect" = {{ low = 0.2, high = 0.9 }}
"nvidia.generation_interval_months" = {{ low = 12, high = 24 }}
"""
    report = run_sweep(load_spec(write_spec(tmp_path, text)), tmp_path / "results")
    bounds = load_bounds(report.folder)
    assert bounds == {"neoclouds.competition_neglect": (0.2, 0.9),
                      "nvidia.generation_interval_months": (12, 24)}
    result = indices(load_summary(report.folder), "peak_price", bounds)
    assert list(result.index) == list(bounds) and list(result.columns) == columns


class Interrupt(KeyboardInterrupt):
    """Ctrl-C, pressed after a given number of stored runs."""


def interrupt_after(count: int) -> Callable[[dict[str, Any]], None]:
    seen = []

    def on_result(record: dict[str, Any]) -> None:
        seen.append(record)
        if len(seen) == count:
            raise Interrupt

    return on_result


@pytest.mark.parametrize("open_executor", [None, process_pool], ids=["serial", "processes"])
def test_interrupted_sweep_resumes_to_the_same_results(
        tmp_path: Path, reference: Path, open_executor: Callable[[int], Any] | None) -> None:
    spec = load_spec(write_spec(tmp_path))
    with pytest.raises(Interrupt):
        if open_executor is None:
            Sweep(spec, tmp_path / "results").run(on_result=interrupt_after(2))
        else:
            with open_executor(2) as executor:
                Sweep(spec, tmp_path / "results").run(executor, on_result=interrupt_after(2))
    saved = load_summary(tmp_path / "results" / "tiny")
    assert 2 <= len(saved) < RUNS
    report = run_sweep(spec, tmp_path / "results")
    assert report.skipped == len(saved)
    assert report.ok == RUNS - len(saved)
    assert_same_results(report.folder, reference)


def test_killed_pool_keeps_finished_runs(tmp_path: Path, reference: Path) -> None:
    spec = load_spec(write_spec(tmp_path))
    before = set(multiprocessing.active_children())
    stored = []

    def kill_workers(record: dict[str, Any]) -> None:
        stored.append(record)
        if len(stored) == 2:
            for process in set(multiprocessing.active_children()) - before:
                process.kill()

    with process_pool(2) as pool, pytest.raises(SweepAborted, match="run the sweep again"):
        Sweep(spec, tmp_path / "results").run(pool, max_in_flight=2, on_result=kill_workers)
    assert len(load_summary(tmp_path / "results" / "tiny")) >= 2
    with process_pool(2) as pool:
        run_sweep(spec, tmp_path / "results", pool)
    assert_same_results(tmp_path / "results" / "tiny", reference)


def test_half_written_files_are_never_read(tmp_path: Path, reference: Path) -> None:
    folder = tmp_path / "results" / "tiny"
    shutil.copytree(reference, folder)
    truncated = folder / "runs" / "p000000_r0001.parquet"
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    (folder / "runs" / "p000001_r0002.parquet").unlink()
    (folder / "runs" / ".p000001_r0002.parquet.tmp").write_bytes(b"PAR1 cut short")
    (folder / "failed" / "p000001_r0000.json").write_text('{"point": 1, "repl')
    spec = load_spec(write_spec(tmp_path))
    sweep = Sweep(spec, tmp_path / "results")
    assert sweep.finished == {(0, 0), (0, 2), (1, 0), (1, 1)}
    assert not truncated.exists()
    assert list((folder / "failed").iterdir()) == []
    assert not list(folder.glob("runs/.*"))
    report = sweep.run()
    assert (report.skipped, report.ok) == (4, 2)
    assert_same_results(folder, reference)


def test_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path: Path, monkeypatch) -> None:
    simulate = runner_module.simulate

    def flaky(params, seed, months=None):
        if params["neoclouds.competition_neglect"] == 0.8 and seed % 2:
            raise ValueError("boom")
        return simulate(params, seed=seed, months=months)

    monkeypatch.setattr(runner_module, "simulate", flaky)
    report = run_sweep(load_spec(write_spec(tmp_path)), tmp_path / "results")
    failed = report.summary[report.summary["status"] == "failed"]
    assert report.failed == len(failed) > 0 and report.ok == RUNS - len(failed)
    assert failed["error"].str.startswith("ValueError: boom [").all()
    assert failed["peak_price"].isna().all()
    for point, replication in zip(failed["point"], failed["replication"], strict=True):
        assert not (report.folder / "runs" / f"p{point:06d}_r{replication:04d}.parquet").exists()
    assert aggregate(report.summary)["failed"].tolist() == [0, len(failed)]
    kept = run_sweep(load_spec(write_spec(tmp_path)), tmp_path / "results", retry=False)
    assert (kept.skipped, kept.ok, kept.failed) == (RUNS, 0, 0)


def test_changed_spec_is_refused_unless_restart(tmp_path: Path, reference: Path) -> None:
    shutil.copytree(reference, tmp_path / "results" / "tiny")
    changed = load_spec(write_spec(tmp_path, SPEC.replace("months = 12", "months = 6")))
    with pytest.raises(NeocloudError,
                       match=r"different spec \(changed: (market\.months, )?months\).*--restart"):
        Sweep(changed, tmp_path / "results")
    report = run_sweep(changed, tmp_path / "results", restart=True)
    assert (report.skipped, report.ok) == (0, RUNS)
    assert len(pd.read_parquet(report.folder / "runs")) == RUNS * 6


class CountingExecutor(Executor):
    """Wraps an executor and records the most futures ever outstanding."""

    def __init__(self, inner: Executor) -> None:
        self.inner, self.outstanding, self.most = inner, 0, 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.outstanding += 1
        self.most = max(self.most, self.outstanding)
        future = self.inner.submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _: Future) -> None:
        self.outstanding -= 1


def test_in_flight_runs_are_bounded(tmp_path: Path) -> None:
    with process_pool(2) as pool:
        counting = CountingExecutor(pool)
        run_sweep(load_spec(write_spec(tmp_path)), tmp_path / "results", counting, max_in_flight=3)
    assert counting.most <= 3


def sweep_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="neocloud-abm")
    add_sweep_parser(parser.add_subparsers(required=True))
    args = parser.parse_args(["sweep", *argv])
    return args.func(args)


@pytest.mark.parametrize("where", [["--workers", "1"], ["--workers", "2"], ["--dask-local", "2"]],
                         ids=["serial", "processes", "dask"])
def test_sweep_command(tmp_path: Path, reference: Path, capsys, where: list[str]) -> None:
    if where[0] == "--dask-local":
        pytest.importorskip("distributed")
    spec = write_spec(tmp_path)
    assert sweep_cli(str(spec), "--out", str(tmp_path / "out"), *where) == 0
    out, err = capsys.readouterr()
    assert "median over replications per design point" in out and "peak_price" in out
    assert f"{RUNS}/{RUNS}" in err and "failed=0" in err
    assert_same_results(tmp_path / "out" / "tiny", reference)
    assert sweep_cli(str(spec), "--out", str(tmp_path / "out"), "--workers", "1") == 0
    assert f"{RUNS} already done" in capsys.readouterr().err


def test_sweep_command_errors(tmp_path: Path, capsys, monkeypatch) -> None:
    bad = write_spec(tmp_path, SPEC.replace("months = 12", "months = -1"))
    assert sweep_cli(str(bad), "--out", str(tmp_path)) == 2
    assert "error: " in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)
    good = write_spec(tmp_path)
    assert sweep_cli(str(good), "--out", str(tmp_path), "--dask-local", "2") == 2
    assert "pip install 'neocloud_abm[dask]'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sweep_cli(str(good), "--workers", "2", "--dask-local", "2")
    with pytest.raises(SystemExit):
        sweep_cli(str(good), "--workers", "0")


def test_sweep_command_ctrl_c(tmp_path: Path, capsys, monkeypatch) -> None:
    def press_ctrl_c(self, *args, **kwargs):
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(Sweep, "run", press_ctrl_c)
    spec = write_spec(tmp_path)
    assert sweep_cli(str(spec), "--out", str(tmp_path), "--workers", "2", "--restart") == 130
    assert (f"interrupted: 0 of 6 runs are saved in {tmp_path / 'tiny'}; resume with: "
            f"neocloud-abm sweep {spec} --out {tmp_path} --workers 2\n") in capsys.readouterr().err


def test_unusable_out_is_one_line_error_before_any_run(tmp_path: Path, capsys) -> None:
    spec = write_spec(tmp_path)
    (tmp_path / "taken").write_text("a file, not a folder")
    assert sweep_cli(str(spec), "--out", str(tmp_path / "taken")) == 2
    err = capsys.readouterr().err
    assert err == (f"neocloud-abm: error: cannot create the results folder {tmp_path}/taken/tiny: "
                   f"{tmp_path}/taken is a file, not a folder\n")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_out_is_one_line_error(tmp_path: Path, capsys) -> None:
    spec, out = write_spec(tmp_path), tmp_path / "read-only"
    out.mkdir(mode=0o500)
    assert sweep_cli(str(spec), "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert err.startswith("neocloud-abm: error: cannot create the results folder") and err.count("\n") == 1


def test_max_runs_refuses_a_larger_design(tmp_path: Path, capsys) -> None:
    spec = write_spec(tmp_path)
    assert sweep_cli(str(spec), "--out", str(tmp_path / "out"), "--max-runs", "5") == 2
    assert "more than the limit of 5" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert sweep_cli(str(spec), "--out", str(tmp_path / "out"), "--max-runs", "6",
                     "--workers", "1") == 0


def session_processes(session: int) -> list[str]:
    """Live processes (zombies excluded: they are already dead) of a session."""
    ps = subprocess.run(["ps", "-eo", "sid=,stat=,pid=,args="], capture_output=True, text=True,
                        check=True).stdout
    return [line for line in ps.splitlines()
            if line.split()[0] == str(session) and not line.split()[1].startswith("Z")]


def assert_no_process_left(session: int, timeout: float = 30) -> None:
    """Every process of the session exits within ``timeout`` (those left are killed)."""
    deadline = time.monotonic() + timeout
    while (left := session_processes(session)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left:
        os.killpg(session, signal.SIGKILL)
    assert not left, f"still running after {timeout} s:\n" + "\n".join(left)


LONG_SPEC = SPEC.replace("replications = 3", "replications = 20")  # 40 runs


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table")
def test_sigkill_of_the_parent_alone_leaves_no_process(tmp_path: Path) -> None:
    """As the OOM killer does: only the sweep's own process is killed. Its pool workers, the
    forkserver and the resource tracker must go too, and the folder be free for a re-run."""
    spec = write_spec(tmp_path, LONG_SPEC)
    sweep = start_cli_sweep(spec, tmp_path / "out", "--workers", "2")
    wait_for_runs(tmp_path / "out" / "tiny", 2, sweep)
    assert len(session_processes(sweep.pid)) >= 4  # sweep, forkserver, 2 workers (+ tracker)
    sweep.kill()
    sweep.wait()
    assert_no_process_left(sweep.pid)
    with Sweep(load_spec(spec), tmp_path / "out") as resumed:  # the folder is free again
        assert len(resumed.finished) >= 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table")
def test_sigterm_stops_like_ctrl_c_and_writes_the_summary(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, LONG_SPEC)
    sweep = start_cli_sweep(spec, tmp_path / "out", "--workers", "2")
    wait_for_runs(tmp_path / "out" / "tiny", 2, sweep)
    sweep.terminate()
    err = output(sweep)
    assert sweep.returncode == 143, err
    saved = load_summary(tmp_path / "out" / "tiny")
    assert 2 <= len(saved) < 40
    assert len(saved) == len(list((tmp_path / "out" / "tiny" / "runs").glob("*.parquet")))
    assert (f"terminated: {len(saved)} of 40 runs are saved in {tmp_path}/out/tiny; resume "
            f"with: neocloud-abm sweep {spec} --out {tmp_path}/out --workers 2") in err
    assert_no_process_left(sweep.pid)
    with Sweep(load_spec(spec), tmp_path / "out") as resumed:
        assert len(resumed.finished) == len(saved)
