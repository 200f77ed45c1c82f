"""Compaction: a sweep's verified runs as one partitioned Parquet dataset that equals the run
files, is never read when stale, never half-written, and is written a batch at a time; the
lazy readers on top of it (short runs of the real model, of different lengths and columns)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from test_experiments_runner import Interrupt, interrupt_after, write_spec

from neocloud_abm import NeocloudError
from neocloud_abm.experiments import (
    Sweep,
    analysis,
    compact,
    compaction,
    load_spec,
    load_timeseries,
    run_sweep,
    timeseries_dataset,
)
from neocloud_abm.experiments.compaction import CompactionWarning
from neocloud_abm.interface.cli import main

# Runs of 6, 12 and 30 months: only the 30-month ones have the B200's per-generation columns
# (it takes orders from 2024-04, nine months before its release), and a column can be an
# integer in short runs and a float in long ones.
SPEC = """
name = "gen"
scenario = "baseline"
replications = 2
seed = 7

[design]
kind = "grid"

[design.parameters]
"market.months" = [6, 12, 30]
"""
RUNS = 6
KEYS = ["point", "replication", "date"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    report = run_sweep(load_spec(write_spec(root, SPEC)), root / "results")
    assert report.ok == RUNS
    return report.folder


@pytest.fixture()
def folder(tmp_path: Path, reference: Path) -> Path:
    """A finished sweep's folder, copied where the test may compact or damage it."""
    return Path(shutil.copytree(reference, tmp_path / "results" / "gen"))


def run_files(folder: Path) -> dict[tuple[int, int], pd.DataFrame]:
    frames = {}
    for path in sorted((folder / "runs").glob("*.parquet")):
        frame = pd.read_parquet(path)
        frames[frame["point"].iloc[0], frame["replication"].iloc[0]] = frame
    return frames


def melted(folder: Path) -> pd.DataFrame:
    """The long time series straight from the run files, one at a time in pandas."""
    frames = [frame.melt(id_vars=KEYS, var_name="variable", value_name="value")
              for frame in run_files(folder).values()]
    design = pd.read_parquet(folder / "design.parquet")
    return pd.concat(frames, ignore_index=True).merge(design, on=["point", "replication"])


def run_keys(table: pa.Table) -> set[tuple[int, int]]:
    return set(zip(table["point"].to_pylist(), table["replication"].to_pylist(), strict=True))


def listed(folder: Path) -> dict[str, str]:
    lines = (folder / "checksums.sha256").read_text().splitlines()
    return {rel: digest for digest, rel in (line.split("  ") for line in lines)}


def test_compacted_dataset_equals_the_run_files(folder: Path) -> None:
    result = compact(folder)
    assert (result.runs, result.files, result.left_out, result.rebuilt) == (RUNS, 1, (), True)
    table = pq.read_table(folder / "timeseries" / "bucket=0" / "part-0.parquet")
    schema = table.schema
    assert schema.names[:3] == KEYS and str(schema.field("date").type) in ("string", "large_string")
    assert {str(schema.field(name).type) for name in schema.names[3:]} <= {"double", "int64"}
    # Runs disagree on collateral_value_usd (an integer while it is zero): a float here.
    kinds = {str(pq.read_schema(p).field("collateral_value_usd").type)
             for p in (folder / "runs").glob("*.parquet")}
    assert kinds == {"int64", "double"} and str(schema.field("collateral_value_usd").type) == "double"
    compacted = table.to_pandas()
    files = run_files(folder)
    assert list(compacted.groupby(["point", "replication"], sort=False).groups) == list(files)
    for (point, replication), expected in files.items():
        rows = compacted[(compacted["point"] == point) & (compacted["replication"] == replication)]
        pd.testing.assert_frame_equal(rows[expected.columns].reset_index(drop=True), expected,
                                      check_dtype=False)
        assert rows.drop(columns=expected.columns).isna().all().all()  # columns the run lacks
    assert "utilization_h100" in compacted and len(files[0, 0].columns) < len(compacted.columns)
    manifest = json.loads((folder / "timeseries" / "_manifest.json").read_text())
    assert manifest["runs"] == listed(folder) and manifest["left_out"] == {}


def test_load_timeseries_is_the_same_before_and_after_compaction(folder: Path) -> None:
    selections = [{}, {"columns": ["spot_price_h100e", "utilization_b200"]}, {"points": [0, 2]},
                  {"filter": ds.field("date") >= "2022-10"}]
    before = [load_timeseries(folder, **selection) for selection in selections]
    # The same as melting each run file in pandas: a variable a run lacks is absent.
    pd.testing.assert_frame_equal(before[0], melted(folder))
    assert set(before[1].loc[before[1]["variable"] == "utilization_b200", "point"]) == {2}
    compact(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # current: read without a word
        after = [load_timeseries(folder, **selection) for selection in selections]
    for expected, frame in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(frame, expected)


class Spy:
    """A dataset that records what is asked of it."""

    def __init__(self, dataset: ds.Dataset) -> None:
        self.dataset, self.asked = dataset, []
        self.schema = dataset.schema

    def to_table(self, **kwargs):
        self.asked.append(kwargs)
        return self.dataset.to_table(**kwargs)


def test_selection_reads_only_what_is_asked(folder: Path, monkeypatch) -> None:
    spies: list[Spy] = []
    monkeypatch.setattr(analysis, "_dataset",
                        lambda *args, real=analysis._dataset: spies.append(Spy(real(*args)))
                        or spies[-1])
    monkeypatch.setattr(compaction, "RUNS_PER_FILE", 2)  # a bucket per point

    def select() -> pd.DataFrame:
        return load_timeseries(folder, columns=["spot_price_h100e"], points=[1],
                               filter=ds.field("date") >= "2022-07")

    before = select()
    compact(folder)
    after = select()
    pd.testing.assert_frame_equal(after, before)
    assert len(after) == 2 * 6 and set(after["variable"]) == {"spot_price_h100e"}
    assert set(after["point"]) == {1} and after["date"].min() == "2022-07"
    for spy in spies:
        (asked,) = spy.asked
        assert asked["columns"] == [*KEYS, "spot_price_h100e"]
    assert [Path(f).relative_to(folder).as_posix() for f in spies[0].dataset.files] == [
        "runs/p000001_r0000.parquet", "runs/p000001_r0001.parquet"]
    assert [Path(f).relative_to(folder).as_posix() for f in spies[1].dataset.files] == [
        "timeseries/bucket=1/part-0.parquet"]


def test_runs_finished_after_compaction_make_it_stale(tmp_path: Path, reference: Path) -> None:
    spec, out = load_spec(write_spec(tmp_path, SPEC)), tmp_path / "results"
    with pytest.raises(Interrupt):
        Sweep(spec, out).run(on_result=interrupt_after(3))
    folder = out / "gen"
    assert compact(folder).runs == 3
    with Sweep(spec, out), pytest.raises(NeocloudError, match="in use by a sweep"):
        compact(folder)  # a sweep may change the runs: compaction waits for its end
    run_sweep(spec, out)  # the resumed sweep finishes three more runs
    complete = load_timeseries(reference)
    with pytest.warns(CompactionWarning, match=r"stale \(3 runs finished or redone and 0 gone"):
        pd.testing.assert_frame_equal(load_timeseries(folder), complete)
    with pytest.warns(CompactionWarning, match="neocloud-abm compact"):
        assert all("/runs/" in name for name in timeseries_dataset(folder).files)
    result = compact(folder)
    assert (result.runs, result.rebuilt) == (RUNS, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(load_timeseries(folder), complete)
    assert not compact(folder).rebuilt  # current: nothing to do


def test_restart_discards_the_compacted_dataset(tmp_path: Path, folder: Path) -> None:
    compact(folder)
    assert (folder / "timeseries").is_dir()
    Sweep(load_spec(write_spec(tmp_path, SPEC)), folder.parent, restart=True).close()
    assert not (folder / "timeseries").exists()


def test_damaged_run_file_is_left_out(folder: Path) -> None:
    damaged = folder / "runs" / "p000001_r0000.parquet"
    data = bytearray(damaged.read_bytes())
    data[len(data) // 3] ^= 0xFF  # a data page: the footer still reads
    damaged.write_bytes(bytes(data))
    with pytest.warns(CompactionWarning, match="leaves out 1 run files that failed verification"):
        result = compact(folder)
    assert (result.runs, result.left_out) == (RUNS - 1, ("runs/p000001_r0000.parquet",))
    keys = ds.dataset(folder / "timeseries").to_table(columns=["point", "replication"])
    assert (1, 0) not in run_keys(keys)
    # The dataset is current (the folder lists nothing else), and readers say what it lacks.
    with pytest.warns(CompactionWarning, match=r"e\.g\. runs/p000001_r0000\.parquet"):
        series = load_timeseries(folder)
    assert not ((series["point"] == 1) & (series["replication"] == 0)).any()


def test_interrupted_compaction_leaves_the_previous_dataset(folder: Path, monkeypatch) -> None:
    real_read, read = compaction._read_run, []

    def interrupted(*args):
        read.append(args)
        if len(read) == 3:
            raise KeyboardInterrupt
        return real_read(*args)

    monkeypatch.setattr(compaction, "_read_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        compact(folder)  # the first compaction: nothing is left
    assert not (folder / "timeseries").exists() and not list(folder.glob(".timeseries*"))
    checksums = folder / "checksums.sha256"
    complete = checksums.read_text()
    checksums.write_text("".join(complete.splitlines(keepends=True)[:-1]))  # one run unlisted
    monkeypatch.setattr(compaction, "_read_run", real_read)
    assert compact(folder).runs == RUNS - 1
    previous = {p: p.read_bytes() for p in (folder / "timeseries").rglob("*") if p.is_file()}
    checksums.write_text(complete)  # listed again: the dataset is stale
    read.clear()
    monkeypatch.setattr(compaction, "_read_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        compact(folder)
    assert {p: p.read_bytes() for p in (folder / "timeseries").rglob("*") if p.is_file()} == previous
    assert not list(folder.glob(".timeseries*"))
    with pytest.warns(CompactionWarning, match="stale"):
        assert len(load_timeseries(folder)) == len(melted(folder))  # the run files, all of them
    monkeypatch.setattr(compaction, "_read_run", real_read)
    assert compact(folder).runs == RUNS  # and the folder's lock was released


@pytest.mark.parametrize(("batch", "per_file", "layout"), [
    (2, 4, {0: ["bucket=0/part-0.parquet"], 1: ["bucket=1/part-0.parquet"]}),
    (1, 1, {b: [f"bucket={b}/part-0.parquet", f"bucket={b}/part-1.parquet"] for b in range(3)})])
def test_compaction_holds_one_batch_of_runs_at_a_time(folder: Path, monkeypatch, batch: int,
                                                      per_file: int, layout: dict) -> None:
    monkeypatch.setattr(compaction, "BATCH_RUNS", batch)
    monkeypatch.setattr(compaction, "RUNS_PER_FILE", per_file)
    real_read, real_write = compaction._read_run, pq.ParquetWriter.write_table
    read, written, held = [], [], []

    def reading(*args):
        read.append(args)
        return real_read(*args)

    def writing(self, table, *args, **kwargs):
        held.append(len(read) - sum(written))  # runs read and not yet written
        written.append(len(run_keys(table)))
        return real_write(self, table, *args, **kwargs)

    monkeypatch.setattr(compaction, "_read_run", reading)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", writing)
    compact(folder)
    assert sum(written) == RUNS and max(held) <= batch and max(written) <= batch
    manifest = json.loads((folder / "timeseries" / "_manifest.json").read_text())
    assert {int(b): names for b, names in manifest["files"].items()} == layout
    for name in (name for names in layout.values() for name in names):  # a row group per batch
        file = pq.ParquetFile(folder / "timeseries" / name)
        runs = len(run_keys(file.read(columns=["point", "replication"])))
        assert runs <= per_file and file.num_row_groups == -(-runs // batch)
    pd.testing.assert_frame_equal(load_timeseries(folder), melted(folder))


def test_compact_command(folder: Path, tmp_path: Path, capsys) -> None:
    assert main(["compact", str(folder)]) == 0
    assert capsys.readouterr().out == f"{folder / 'timeseries'}: {RUNS} runs in 1 files (rebuilt)\n"
    assert main(["compact", str(folder)]) == 0
    assert "(already current)" in capsys.readouterr().out
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for path in (elsewhere, tmp_path / "missing"):
        assert main(["compact", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("neocloud-abm: error: ") and err.count("\n") == 1
        assert "a sweep's results folder" in err
    assert list(elsewhere.iterdir()) == []  # not even a lock file


def test_duckdb_queries_the_compacted_dataset_like_pandas_the_run_files(folder: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    compact(folder)
    runs = pd.concat(run_files(folder).values(), ignore_index=True)
    expected = runs.groupby("point").agg(months=("date", "size"),
                                         price=("spot_price_h100e", "mean"),
                                         h100=("utilization_h100", "max")).reset_index()
    files = (folder / "timeseries" / "**" / "*.parquet").as_posix()
    got = duckdb.sql(f"""select point, count(*) as months, avg(spot_price_h100e) as price,
                         max(utilization_h100) as h100, max(bucket) as bucket
                         from read_parquet('{files}', hive_partitioning=true)
                         group by point order by point""").df()
    assert (got.pop("bucket") == 0).all()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    # Through the pyarrow dataset, joined to the design's parameters.
    dataset = timeseries_dataset(folder)  # noqa: F841 (DuckDB finds it by name)
    design = (folder / "design.parquet").as_posix()
    by_horizon = duckdb.sql(f"""select "market.months" as horizon, avg(spot_price_h100e) as price
                                from dataset join '{design}' using (point, replication)
                                group by horizon order by horizon""").df()
    assert by_horizon["horizon"].tolist() == [6, 12, 30]
    assert by_horizon["price"].tolist() == pytest.approx(expected["price"].tolist(), rel=1e-12)
