"""Results you can trust: one sweep per folder, damaged or foreign run files never counted as
done, a damaged spec.json rebuilt, failed runs retried (short runs of the real model)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from test_experiments_runner import (
    LONG_SPEC,
    RUNS,
    SPEC,
    assert_same_results,
    output,
    serial_sweep,
    start_cli_sweep,
    sweep_cli,
    wait_for_runs,
    write_spec,
)

import neocloud_abm
from neocloud_abm import NeocloudError
from neocloud_abm.experiments import Sweep, load_spec, load_summary, run_sweep
from neocloud_abm.experiments import runner as runner_module
from neocloud_abm.experiments.store import FolderInUse
from neocloud_abm.outputs.provenance import git_commit, short_commit

SHORTER = SPEC.replace("months = 12", "months = 6")  # another spec under the same name


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return serial_sweep(tmp_path_factory.mktemp("reference"))


@pytest.fixture()
def copied(tmp_path: Path, reference: Path) -> Path:
    """A finished sweep's folder, copied where the test may damage it."""
    folder = tmp_path / "results" / "tiny"
    shutil.copytree(reference, folder)
    return folder


# --- one sweep per folder ------------------------------------------------------------------


def test_second_sweep_into_a_held_folder_is_refused(tmp_path: Path) -> None:
    spec, other = load_spec(write_spec(tmp_path)), load_spec(write_spec(tmp_path / "b", SHORTER))
    with Sweep(spec, tmp_path / "results"):
        with pytest.raises(FolderInUse, match=rf"in use by another sweep \(pid {os.getpid()} on "):
            Sweep(other, tmp_path / "results", restart=True)
        with pytest.raises(FolderInUse, match=r"after waiting 0.3 s"):
            Sweep(spec, tmp_path / "results", wait=0.3)
    report = run_sweep(spec, tmp_path / "results")  # released: the folder is free again
    assert report.ok == RUNS


def test_waiting_sweep_gets_the_folder_when_the_holder_lets_go(tmp_path: Path) -> None:
    spec, other = load_spec(write_spec(tmp_path)), load_spec(write_spec(tmp_path / "b", SHORTER))
    holder = Sweep(spec, tmp_path / "results")
    threading.Timer(0.5, holder.close).start()
    report = run_sweep(other, tmp_path / "results", restart=True, wait=60)  # else FolderInUse
    assert report.ok == RUNS
    assert len(pd.read_parquet(report.folder / "runs")) == RUNS * 6  # the second spec's runs only


def test_two_processes_never_mix_results_in_one_folder(tmp_path: Path, capsys) -> None:
    """The stress test's finding: sweep B started into sweep A's folder with --restart while A
    runs. B is refused, naming A; with --wait, B runs after A, so the folder holds one spec."""
    out, first = tmp_path / "out", write_spec(tmp_path / "a", LONG_SPEC)
    second = write_spec(tmp_path / "b", SHORTER)
    running = start_cli_sweep(first, out, "--workers", "2")
    wait_for_runs(out / "tiny", 1, running)
    assert sweep_cli(str(second), "--out", str(out), "--restart", "--workers", "1") == 2
    assert f"in use by another sweep (pid {running.pid} on " in capsys.readouterr().err
    assert sweep_cli(str(second), "--out", str(out), "--restart", "--workers", "1",
                     "--wait", "120") == 0
    assert "is in use by another sweep" in capsys.readouterr().err
    log = output(running)
    assert running.returncode == 0, log
    summary = load_summary(out / "tiny")
    assert len(summary) == RUNS and summary["status"].eq("ok").all()
    assert json.loads((out / "tiny" / "spec.json").read_text())["months"] == 6
    assert len(pd.read_parquet(out / "tiny" / "runs")) == RUNS * 6
    assert not list((out / "tiny").glob("**/.*.tmp"))


# --- damaged and foreign run files ---------------------------------------------------------


def flip_bit(path: Path, offset: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


def chunk_end(column: pq.ColumnChunkMetaData) -> int:
    start = column.dictionary_page_offset if column.has_dictionary_page else column.data_page_offset
    return start + column.total_compressed_size


def damage_points(path: Path) -> list[int]:
    """Where to flip a bit: the leading magic; the end of the date's data page; the spot
    price's dictionary page (its distinct values, past the page header) and the end of its
    data page (indices into them), where a flip most often changes a number without any
    error; the footer (summary row, schema); the trailing magic."""
    row_group = pq.ParquetFile(path).metadata.row_group(0)
    date, spot = row_group.column(2), row_group.column(3)
    assert (date.path_in_schema, spot.path_in_schema) == ("date", "spot_price_h100e")
    assert spot.has_dictionary_page
    size = path.stat().st_size
    return [0, chunk_end(date) - 2, (spot.dictionary_page_offset + spot.data_page_offset) // 2,
            chunk_end(spot) - 2, size - 200, size - 1]


def test_flipped_bits_anywhere_in_a_run_file_are_caught_and_redone(copied: Path, reference: Path,
                                                                   capsys) -> None:
    runs = sorted((copied / "runs").glob("*.parquet"))
    for i, (path, bit) in enumerate(zip(runs, (0, 3, 7, 1, 5, 2), strict=True)):
        flip_bit(path, damage_points(path)[i], bit)
    assert sweep_cli(str(write_spec(copied.parent.parent)), "--out", str(copied.parent),
                     "--workers", "1") == 0
    err = capsys.readouterr().err
    assert f"0 already done, {RUNS} damaged run files moved to quarantine/ to be redone" in err
    assert sorted(p.name for p in (copied / "quarantine").iterdir()) == [
        f"runs_{p.name}" for p in runs]
    assert_same_results(copied, reference)


def test_damaged_checksum_lines_make_their_runs_redone(copied: Path, reference: Path) -> None:
    checksums = copied / "checksums.sha256"
    flip_bit(checksums, 10)  # the digest of the first run
    lines = checksums.read_text().splitlines()
    checksums.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:30])  # last line cut short
    sweep = Sweep(load_spec(write_spec(copied.parent.parent)), copied.parent)
    assert sweep.finished == {(0, 1), (0, 2), (1, 0), (1, 1)}
    assert sorted(sweep.store.quarantined) == ["runs/p000000_r0000.parquet",
                                               "runs/p000001_r0002.parquet"]
    report = sweep.run()
    assert (report.skipped, report.ok, report.quarantined) == (4, 2, 2)
    assert_same_results(copied, reference)


def test_run_file_of_another_spec_is_refused_not_counted(tmp_path: Path, copied: Path) -> None:
    """A run file that passes its checksum but was made by another spec (the mixed folder of
    the stress test) makes the sweep refuse the folder; nothing is deleted."""
    other = serial_sweep(tmp_path / "other", SHORTER)
    stray = copied / "runs" / "p000000_r0000.parquet"
    shutil.copy(other / "runs" / stray.name, stray)
    digest = next(line for line in (other / "checksums.sha256").read_text().splitlines()
                  if line.endswith(stray.name))
    with (copied / "checksums.sha256").open("a") as handle:
        handle.write(digest + "\n")
    with pytest.raises(NeocloudError, match=r"different spec \(1 run files were made by another "
                                            r"spec\); use --restart"):
        Sweep(load_spec(write_spec(tmp_path)), copied.parent)
    assert stray.read_bytes() == (other / "runs" / stray.name).read_bytes()
    assert not (copied / "quarantine").exists()


def test_run_file_under_another_key_is_set_aside(tmp_path: Path, copied: Path,
                                                 reference: Path) -> None:
    """A genuine run of this spec filed under another run's name (a copy gone wrong) and a
    run file without a checksum are not trusted."""
    runs = copied / "runs"
    (runs / "p000000_r0001.parquet").unlink()
    shutil.copy(runs / "p000000_r0000.parquet", runs / "p000000_r0001.parquet")
    with (copied / "checksums.sha256").open("a") as handle:
        digest = next(line.split()[0] for line in (copied / "checksums.sha256").read_text()
                      .splitlines() if line.endswith("p000000_r0000.parquet"))
        handle.write(f"{digest}  runs/p000000_r0001.parquet\n")
    shutil.copy(reference / "runs" / "p000001_r0000.parquet", runs / "p000009_r0000.parquet")
    report = run_sweep(load_spec(write_spec(tmp_path)), copied.parent)
    assert (report.skipped, report.ok, report.quarantined) == (RUNS - 1, 1, 2)
    assert_same_results(copied, reference)


@pytest.mark.parametrize("damage", ["truncated", "edited", "deleted"])
def test_damaged_spec_json_is_rebuilt_without_losing_runs(tmp_path: Path, copied: Path,
                                                          reference: Path, damage: str) -> None:
    spec_json = copied / "spec.json"
    resolved = json.loads(spec_json.read_text())
    if damage == "truncated":
        spec_json.write_bytes(spec_json.read_bytes()[:300])
    elif damage == "edited":
        spec_json.write_text(json.dumps({**resolved, "months": 99}))
    else:
        spec_json.unlink()
    sweep = Sweep(load_spec(write_spec(tmp_path)), copied.parent)
    assert sweep.store.spec_rebuilt == (damage != "deleted")
    assert json.loads(spec_json.read_text()) == resolved
    report = sweep.run()
    assert (report.skipped, report.ok) == (RUNS, 0)
    assert_same_results(copied, reference)


def test_damaged_spec_json_does_not_hide_a_different_spec(tmp_path: Path, copied: Path) -> None:
    (copied / "spec.json").write_text('{"name": "ti')
    with pytest.raises(NeocloudError, match=r"different spec \(changed: spec.json is unreadable"):
        Sweep(load_spec(write_spec(tmp_path, SHORTER)), copied.parent)
    assert len(list((copied / "runs").glob("*.parquet"))) == RUNS


def test_provenance_is_recorded_per_invocation_and_not_compared(copied: Path, tmp_path: Path) -> None:
    provenance = copied / "provenance.json"
    entries = json.loads(provenance.read_text())
    assert len(entries) == 1
    assert {"started", "host", "neocloud_abm", "git_commit", "python", "dependencies"} <= set(
        entries[0])
    entries[0]["dependencies"]["numpy"] = "0.0"  # as if the first run used another numpy
    provenance.write_text(json.dumps(entries))
    report = run_sweep(load_spec(write_spec(tmp_path)), copied.parent)
    assert report.skipped == RUNS
    assert [e["dependencies"]["numpy"] == "0.0" for e in json.loads(provenance.read_text())] == [
        True, False]


def test_provenance_names_the_commit_of_the_checkout_the_package_runs_from() -> None:
    """A result traces to its code: run from a git checkout, the recorded commit is the
    checkout's HEAD (with "+dirty" for uncommitted changes), not empty."""
    root = Path(neocloud_abm.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        pytest.skip("the package is not run from a git checkout")
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert len(head) == 40
    commit = git_commit()
    assert commit.removesuffix("+dirty") == head
    assert short_commit() == head[:7] + ("+dirty" if commit.endswith("+dirty") else "")


# --- failed runs ---------------------------------------------------------------------------


def test_failed_runs_are_retried_with_attempts_counted(tmp_path: Path, reference: Path,
                                                       monkeypatch, capsys) -> None:
    simulate = runner_module.simulate

    def out_of_memory(params, seed, months=None):
        if params["neoclouds.competition_neglect"] == 0.8 and seed % 2:
            raise MemoryError("cannot allocate the fleet table")
        return simulate(params, seed=seed, months=months)

    spec, out = write_spec(tmp_path), tmp_path / "results"
    monkeypatch.setattr(runner_module, "simulate", out_of_memory)
    assert sweep_cli(str(spec), "--out", str(out), "--workers", "1") == 1
    failed = load_summary(out / "tiny").query("status == 'failed'")
    assert len(failed) > 0 and failed["error"].str.startswith("MemoryError: cannot allocate").all()
    keys = set(zip(failed["point"], failed["replication"], strict=True))
    flip_bit(next((out / "tiny" / "failed").iterdir()), 40)  # damaged: redone, even so

    capsys.readouterr()
    assert sweep_cli(str(spec), "--out", str(out), "--workers", "1", "--no-retry") == 1
    assert f"{RUNS - 1} already done, 1 damaged run files" in capsys.readouterr().err
    assert (load_summary(out / "tiny")["attempts"] == 1).all()

    assert sweep_cli(str(spec), "--out", str(out), "--workers", "1") == 1  # fails again
    assert f"{len(keys)} failed to retry" in capsys.readouterr().err
    monkeypatch.undo()
    assert sweep_cli(str(spec), "--out", str(out), "--workers", "1") == 0
    summary = load_summary(out / "tiny")
    retried = [(p, r) in keys for p, r in zip(summary["point"], summary["replication"], strict=True)]
    assert summary["attempts"].tolist() == [3 if was_failed else 1 for was_failed in retried]
    assert not list((out / "tiny" / "failed").iterdir())
    pd.testing.assert_frame_equal(summary.drop(columns="attempts"),
                                  load_summary(reference).drop(columns="attempts"))
