"""Compaction: a sweep's verified runs rewritten as one partitioned Parquet dataset, so that a
sweep of 10^4 to 10^5 runs reads as a few dozen large files instead of one small file per run.

``neocloud-abm compact RESULTS`` (or :func:`compact`) writes, inside the results folder::

    timeseries/bucket=0/part-0.parquet   the runs of points 0 .. K-1, in key order
    timeseries/bucket=1/part-0.parquet   points K .. 2K-1, and so on
    timeseries/_manifest.json            the run files it holds and those it left out, with
                                         their checksums; the files of each bucket

Every file has one schema, the union of the runs' columns (point, replication, date,
outputs): a per-generation column that a run lacks is null in its rows, and a column that is
an integer in some runs and a float in others is a float. The design's seed and parameters are
not copied into every row: join ``design.parquet`` on (point, replication), as
:func:`~neocloud_abm.experiments.analysis.load_timeseries` does.

Partitioning: hive-style by point bucket (``bucket = point // K``), with K chosen from the
design so that a bucket holds about ``RUNS_PER_FILE`` runs; a bucket with more (one point
replicated 10^5 times) rolls over to part-1, part-2... A run of 120 months is about 85 kB of
columns, so a file holds about 170 MB (less on disk) and 10^4 to 10^5 runs make 5 to 50
files: few enough that opening files is no longer the cost (one per run, or per point of a
Latin hypercube, would be), large enough to compress well, small enough to scan in parallel
and to pick the files of a few points by name. Within a file, row groups of ``BATCH_RUNS``
runs in key order let row-group statistics skip the points not asked for.

Only runs that count are copied: the store's checks (checksum, spec, design key) run on
every file first. The dataset is written to a hidden folder, its files fsynced, and renamed
to ``timeseries/`` (a previous one moved aside first and deleted after), so ``timeseries/``
never holds a half-written dataset: an interrupted compaction leaves the previous one, or,
stopped between the two renames, none; readers then use the run files. Readers use the
dataset only while its manifest matches the runs ``checksums.sha256`` lists (see
:func:`compacted`); otherwise they warn and read the run files, so the runs of a resumed
sweep are never silently missing. Compacting again is a no-op while the dataset is current
and a full rebuild otherwise, which keeps one schema across files when new runs bring new
columns.

Memory stays bounded: the first pass reads one file at a time (to verify it and note its
schema), the second copies ``BATCH_RUNS`` runs at a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import secrets
import shutil
import warnings
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.experiments.store import (
    CHECKSUM_FILE,
    DESIGN_FILE,
    SPEC_FILE,
    TIMESERIES,
    Checksums,
    FolderInUse,
    Key,
    ResultStore,
    atomic_write,
    require,
)

MANIFEST = "_manifest.json"
RUNS_PER_FILE = 2048  # about 170 MB of columns for runs of 120 months
BATCH_RUNS = 512      # runs in memory at once while writing, and per row group


class CompactionWarning(UserWarning):
    """The compacted dataset is stale (the run files are read instead) or leaves out run
    files that failed verification."""


@dataclass(frozen=True)
class Manifest:
    """What a compacted dataset holds: its run files and those it left out for failing
    verification, each with its SHA-256, and the files of each point bucket."""

    points_per_bucket: int
    files: dict[int, list[str]]  # bucket -> its files, relative to timeseries/
    runs: dict[str, str]         # run file (as in checksums.sha256) -> SHA-256
    left_out: dict[str, str]

    def paths(self, folder: Path, points: Iterable[int] | None = None) -> list[Path]:
        """The dataset's files in key order; with ``points``, only the files that may hold
        them (they may hold other points too)."""
        buckets = (sorted(self.files) if points is None
                   else sorted({point // self.points_per_bucket for point in points}))
        return [folder / TIMESERIES / name for bucket in buckets
                for name in self.files.get(bucket, [])]


@dataclass(frozen=True)
class Compaction:
    """What :func:`compact` left: the dataset's folder, its runs and files, the run files left
    out, and whether it was rebuilt (False: it was already current)."""

    path: Path
    runs: int
    files: int
    left_out: tuple[str, ...]
    rebuilt: bool


def listed_runs(folder: Path) -> dict[str, str]:
    """The successful run files ``checksums.sha256`` lists, with their SHA-256: the runs a
    reader counts without hashing them (a sweep verifies them whenever it opens the folder)."""
    checksums = Checksums(folder / CHECKSUM_FILE)
    checksums.load()
    return checksums.runs()


def compacted(folder: Path, listed: dict[str, str]) -> Manifest | None:
    """The manifest of the folder's compacted dataset if it holds exactly the ``listed`` runs
    (see :func:`listed_runs`); None if there is none, or, with a :class:`CompactionWarning`,
    if it is stale. Reads two small files, not the dataset."""
    if not (folder / TIMESERIES).exists():
        return None
    manifest = _read_manifest(folder)
    held = {} if manifest is None else {**manifest.runs, **manifest.left_out}
    if manifest is None or held != listed:
        changed = sum(held.get(rel) != digest for rel, digest in listed.items())
        gone = len(held.keys() - listed.keys())
        why = ("has no readable manifest" if manifest is None else
               f"is stale ({changed} runs finished or redone and {gone} gone since it was made)")
        warnings.warn(f"{folder / TIMESERIES} {why}; reading the run files instead (slow for a "
                      f"big sweep): run 'neocloud-abm compact {folder}' to refresh it",
                      CompactionWarning, stacklevel=4)
        return None
    if manifest.left_out:
        warnings.warn(_left_out_message(folder, manifest.left_out), CompactionWarning,
                      stacklevel=4)
    return manifest


def unified_schema(schemas: Iterable[pa.Schema]) -> pa.Schema:
    """One schema for runs with different columns, read one at a time: each column placed
    after the one it follows in the first run that has it (the model's own order, where runs
    agree on it), integers promoted to floats where runs disagree, without the runs' metadata."""
    distinct: list[pa.Schema] = []
    for schema in schemas:
        if schema not in distinct:  # compared without metadata: a handful of distinct ones
            distinct.append(schema)
    names: list[str] = []
    for schema in distinct:
        at = 0
        for name in schema.names:
            if name in names:
                at = names.index(name) + 1
            else:
                names.insert(at, name)
                at += 1
    unified = pa.unify_schemas(distinct, promote_options="permissive") if distinct else None
    return pa.schema([unified.field(name) for name in names] if unified else [])


def compact(folder: str | Path) -> Compaction:
    """Write (or rebuild) ``folder/timeseries/`` from the folder's verified runs; a no-op if
    it is current. Holds the folder's lock meanwhile, so no sweep changes the runs under it."""
    folder = Path(folder)
    require(folder / SPEC_FILE)  # before the lock, whose file would be left in any folder
    store = ResultStore(folder)
    try:
        store.lock.acquire()
    except FolderInUse as exc:
        raise NeocloudError(f"{folder} is in use by a sweep ({exc.holder}); compact it when "
                            "the sweep has finished") from None
    except OSError as exc:
        raise NeocloudError(f"cannot write to the results folder {folder}: {exc.strerror}") from None
    try:
        result = _compact(folder, store)
    finally:
        store.lock.release()
    if result.left_out:
        warnings.warn(_left_out_message(folder, result.left_out), CompactionWarning, stacklevel=2)
    return result


def _compact(folder: Path, store: ResultStore) -> Compaction:
    runs = store.verified_runs()
    listed = store.checksums.runs()
    for leftover in folder.glob(f".{TIMESERIES}-*"):  # an interrupted compaction's
        shutil.rmtree(leftover)
    path = folder / TIMESERIES
    old = _read_manifest(folder)
    if old is not None and {**old.runs, **old.left_out} == listed:
        return Compaction(path, len(old.runs), sum(map(len, old.files.values())),
                          tuple(old.left_out), rebuilt=False)
    keys: dict[str, Key] = {}

    def schemas() -> Iterator[pa.Schema]:  # the first pass, noting each verified run's key
        for key, rel, data in runs:
            keys[rel] = key
            yield pq.read_schema(pa.BufferReader(data))

    schema = unified_schema(schemas())
    design = pd.read_parquet(folder / DESIGN_FILE, columns=["point"])
    per_point = int(design["point"].value_counts().max()) if len(design) else 1
    points_per_bucket = max(1, RUNS_PER_FILE // per_point)
    files: dict[int, list[str]] = {}
    new = folder / f".{TIMESERIES}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        new.mkdir()
        for bucket, part, rels in _files(keys, points_per_bucket):
            name = f"bucket={bucket}/part-{part}.parquet"
            (new / name).parent.mkdir(exist_ok=True)
            atomic_write(new / name, partial(_write_file, [folder / rel for rel in rels], schema))
            files.setdefault(bucket, []).append(name)
        manifest = Manifest(points_per_bucket, files, {rel: listed[rel] for rel in keys},
                            {rel: digest for rel, digest in listed.items() if rel not in keys})
        document = json.dumps(dataclasses.asdict(manifest), separators=(",", ":")).encode()
        atomic_write(new / MANIFEST, lambda handle: handle.write(document))
        _swap(new, path)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    return Compaction(path, len(keys), sum(map(len, files.values())), tuple(manifest.left_out),
                      rebuilt=True)


def _files(keys: dict[str, Key], points_per_bucket: int) -> Iterator[tuple[int, int, list[str]]]:
    """(bucket, part, run files) of each file to write, from the runs in key order: a file
    per bucket, rolled over every ``RUNS_PER_FILE`` runs."""
    for bucket, runs in itertools.groupby(keys.items(), lambda run: run[1][0] // points_per_bucket):
        rels = [rel for rel, _ in runs]
        for part, start in enumerate(range(0, len(rels), RUNS_PER_FILE)):
            yield bucket, part, rels[start:start + RUNS_PER_FILE]


def _write_file(paths: list[Path], schema: pa.Schema, handle: BinaryIO) -> None:
    """Copy runs into one Parquet file, ``BATCH_RUNS`` at a time, a row group per batch."""
    with pq.ParquetWriter(handle, schema) as writer:
        for start in range(0, len(paths), BATCH_RUNS):
            batch = [_read_run(path, schema) for path in paths[start:start + BATCH_RUNS]]
            writer.write_table(pa.concat_tables(batch))


def _read_run(path: Path, schema: pa.Schema) -> pa.Table:
    """A run's table with ``schema``'s columns, in its order and types; those it lacks null."""
    table = pq.read_table(path)
    return pa.table([table[field.name].cast(field.type) if field.name in table.column_names
                     else pa.nulls(len(table), field.type) for field in schema], schema=schema)


def _swap(new: Path, path: Path) -> None:
    """Rename ``new`` to ``path``, moving the old dataset aside first and deleting it after
    (what is left of it, if this is interrupted, goes at the next compaction)."""
    old = new.with_name(f"{new.name}.old")
    if path.exists():
        os.replace(path, old)
    os.replace(new, path)
    shutil.rmtree(old, ignore_errors=True)


def _read_manifest(folder: Path) -> Manifest | None:
    try:
        document = json.loads((folder / TIMESERIES / MANIFEST).read_bytes())
        return Manifest(int(document["points_per_bucket"]),
                        {int(bucket): names for bucket, names in document["files"].items()},
                        dict(document["runs"]), dict(document["left_out"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _left_out_message(folder: Path, left_out: Collection[str]) -> str:
    return (f"{folder / TIMESERIES} leaves out {len(left_out)} run files that failed "
            f"verification (e.g. {next(iter(left_out))}): run the sweep again to redo them, "
            "then compact")


def add_compact_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``compact RESULTS``; its handler is :func:`compact_command`."""
    parser = subparsers.add_parser(
        "compact", help="rewrite a sweep's runs as one Parquet dataset that reads fast",
        description="Copy the verified runs of a finished sweep into RESULTS/timeseries/, a "
                    "Parquet dataset partitioned by point bucket, that load_timeseries, "
                    "pyarrow and DuckDB read instead of one file per run. Run it again "
                    "after the sweep has finished more runs.")
    parser.add_argument("folder", type=Path, metavar="RESULTS",
                        help="a sweep's results folder (OUT/<name>)")
    parser.set_defaults(func=compact_command)
    return parser


def compact_command(args: argparse.Namespace) -> int:
    """Handler of ``compact``: says what the dataset holds; errors are NeocloudErrors."""
    result = compact(args.folder)
    state = "rebuilt" if result.rebuilt else "already current"
    print(f"{result.path}: {result.runs} runs in {result.files} files ({state})")
    return 0
