"""The results folder: resolved spec, design table, one file per finished run, summary table.

Layout of ``results/<name>/``::

    spec.json          the resolved spec (spec + scenario parameters and shocks)
    design.parquet     one row per run: point, replication, seed, parameters
    runs/p000003_r0001.parquet   a successful run's time series (point, replication, date,
                                 outputs); its summary row is in the Parquet footer metadata
    failed/p000004_r0000.json    a failed run's summary row, with its error
    summary.parquet    one row per finished run (rebuilt from the files above)

Every file appears under its final name only once complete (written to a temporary file,
fsynced, renamed), so a sweep killed at any moment leaves nothing that looks finished but
is not; a file that cannot be read anyway (a copy cut short, say) is deleted and re-run.
The run files are the source of truth: ``summary.parquet`` can always be rebuilt from them.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from neocloud_abm.experiments.design import KEYS
from neocloud_abm.params import NeocloudError

SPEC_FILE, DESIGN_FILE, SUMMARY_FILE = "spec.json", "design.parquet", "summary.parquet"
RUNS, FAILED = "runs", "failed"
SUMMARY_KEY = b"neocloud_abm.summary"
TAIL = ("status", "error")


def run_name(point: int, replication: int) -> str:
    """File stem of a run; zero-padded so a directory listing sorts by key."""
    return f"p{point:06d}_r{replication:04d}"


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through a hidden temporary file, fsync it, then rename over ``path``: readers see
    either the old file, or the complete new one, never a partial one."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def encode_run(record: dict[str, Any], frame: pd.DataFrame) -> bytes:
    """A run's Parquet file as bytes, with its summary row in the footer metadata. Workers
    call this, so the parent only writes bytes and its throughput is not the bottleneck."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), SUMMARY_KEY: json.dumps(record).encode()}
    sink = pa.BufferOutputStream()
    pq.write_table(table.replace_schema_metadata(metadata), sink)
    return sink.getvalue().to_pybytes()


def _write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda handle: handle.write(json.dumps(data, indent=1).encode()))


class ResultStore:
    """Reads and writes one experiment's results folder (see the module docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.runs, self.failed = self.folder / RUNS, self.folder / FAILED

    def prepare(self, resolved: dict[str, Any], design: pd.DataFrame, restart: bool) -> None:
        """Create or reopen the folder for ``resolved``; refuse one made by another spec unless
        ``restart``, which deletes its runs first."""
        resolved = json.loads(json.dumps(resolved))
        spec_path = self.folder / SPEC_FILE
        if spec_path.exists() and not restart:
            changed = _changes(spec_path, resolved)
            if changed:
                more = f" and {len(changed) - 6} more" if len(changed) > 6 else ""
                raise NeocloudError(
                    f"{self.folder} holds results of a different spec (changed: "
                    f"{', '.join(changed[:6])}{more}); use --restart to discard them, or give "
                    "the experiment another name")
        if restart:
            for path in (self.runs, self.failed):
                shutil.rmtree(path, ignore_errors=True)
            (self.folder / SUMMARY_FILE).unlink(missing_ok=True)
        for path in (self.runs, self.failed):
            path.mkdir(parents=True, exist_ok=True)
            for stale in path.glob(".*.tmp"):
                stale.unlink()
        _write_json(spec_path, resolved)
        atomic_write(self.folder / DESIGN_FILE, lambda h: design.to_parquet(h, index=False))

    def save(self, record: dict[str, Any], parquet: bytes | None) -> None:
        """Store a finished run: its Parquet file (from :func:`encode_run`), or, if it failed,
        its summary row."""
        name = run_name(record["point"], record["replication"])
        if parquet is None:
            _write_json(self.failed / f"{name}.json", record)
        else:
            atomic_write(self.runs / f"{name}.parquet", lambda handle: handle.write(parquet))

    def scan(self) -> Iterator[dict[str, Any]]:
        """Summary rows of the finished runs on disk, deleting any file that cannot be read
        completely, so that its run counts as not done."""
        for path in sorted(self.runs.glob("*.parquet")):
            yield from _read_or_discard(path, lambda p: pq.read_schema(p).metadata[SUMMARY_KEY])
        for path in sorted(self.failed.glob("*.json")):
            yield from _read_or_discard(path, Path.read_bytes)

    def write_summary(self, parameters: list[str]) -> pd.DataFrame:
        """Rebuild ``summary.parquet`` from the run files: key, parameters, statistics, status."""
        summary = pd.DataFrame.from_records(list(self.scan()))
        head = [*KEYS, *parameters]
        stats = [c for c in summary.columns if c not in head and c not in TAIL]
        summary = summary.reindex(columns=[*head, *stats, *TAIL])
        if len(summary):
            summary = summary.sort_values(["point", "replication"], ignore_index=True)
        atomic_write(self.folder / SUMMARY_FILE, lambda h: summary.to_parquet(h, index=False))
        return summary


def _read_or_discard(path: Path, read: Callable[[Path], bytes]) -> Iterator[dict[str, Any]]:
    try:
        record = json.loads(read(path))
        if not {*KEYS, *TAIL} <= set(record):
            raise ValueError("incomplete summary row")
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        path.unlink(missing_ok=True)
        return
    yield record


def _changes(spec_path: Path, resolved: dict[str, Any]) -> list[str]:
    """Top-level fields (and scenario parameters) that differ from the spec on disk."""
    try:
        old = json.loads(spec_path.read_text())
    except (OSError, ValueError):
        return ["spec.json is unreadable"]
    changed = [key for key in resolved.keys() | old.keys()
               if key != "scenario_parameters" and old.get(key) != resolved.get(key)]
    before, after = old.get("scenario_parameters", {}), resolved["scenario_parameters"]
    changed += [name for name in after.keys() | before.keys() if before.get(name) != after.get(name)]
    return sorted(changed)
