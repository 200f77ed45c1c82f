"""The results folder: resolved spec, design table, one checksummed file per finished run,
summary table; owned by one sweep at a time.

Layout of ``results/<name>/``::

    spec.json          the resolved spec (spec + scenario parameters and shocks)
    design.parquet     one row per run: point, replication, seed, parameters
    runs/p000003_r0001.parquet   a successful run's time series (point, replication, date,
                                 outputs); its summary row and the hash of the spec that made
                                 it are in the Parquet footer metadata
    failed/p000004_r0000.json    a failed run's summary row (error, attempts) and spec hash
    checksums.sha256   SHA-256 of every run file, in ``sha256sum -c`` format
    summary.parquet    one row per finished run (rebuilt from the files above)
    provenance.json    one entry per sweep started here: versions, git commit, host, time
    quarantine/        run files that failed verification, kept for inspection, then redone
    timeseries/        optional: the verified runs' series as one partitioned dataset, with
                       a manifest of the runs it holds (``neocloud-abm compact``, see
                       :mod:`~neocloud_abm.experiments.compaction`)
    .sweep.lock        the lock (see :class:`FolderLock`), naming the sweep that holds it

Every file appears under its final name only once complete (written to a temporary file
named after its writer, fsynced, renamed). A run counts as done only if its file's bytes
match their checksum, it was made by this spec and its key is in this design; anything else
is moved to ``quarantine/`` and run again, except files of another spec, which make the sweep
refuse the folder rather than count or discard them. The run files and checksums are the
source of truth: ``summary.parquet`` is rebuilt from them, and a damaged ``spec.json`` is
rewritten from the spec when the runs on disk say that this spec made them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.experiments.design import KEYS

SPEC_FILE, DESIGN_FILE, SUMMARY_FILE = "spec.json", "design.parquet", "summary.parquet"
CHECKSUM_FILE, PROVENANCE_FILE, LOCK_FILE = "checksums.sha256", "provenance.json", ".sweep.lock"
RUNS, FAILED, QUARANTINE, TIMESERIES = "runs", "failed", "quarantine", "timeseries"
SUMMARY_KEY, SPEC_KEY = b"neocloud_abm.summary", b"neocloud_abm.spec_hash"
TAIL = ("attempts", "status", "error")
LOCK_POLL_S = 0.2

Key = tuple[int, int]


class FolderInUse(NeocloudError):
    """Another sweep holds the results folder's lock; ``holder`` says which (pid, host)."""

    def __init__(self, folder: Path, holder: str, waited: float | None) -> None:
        self.folder, self.holder = folder, holder
        after = f" after waiting {waited:g} s" if waited else ""
        super().__init__(f"{folder} is in use by another sweep ({holder}){after}; let it "
                         "finish, or pass --wait [SECONDS] to wait for it")


def run_name(point: int, replication: int) -> str:
    """File stem of a run; zero-padded so a directory listing sorts by key."""
    return f"p{point:06d}_r{replication:04d}"


def spec_hash(resolved: Mapping[str, Any]) -> str:
    """SHA-256 of the resolved spec's canonical JSON: what every run file is stamped with, so
    a run is matched to the spec that made it whatever ``spec.json`` says."""
    canonical = json.dumps(resolved, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through a hidden temporary file, fsync it, then rename over ``path``: readers see
    either the old file, or the complete new one, never a partial one. The temporary name
    carries the writer's pid and a random suffix, so two writers never share one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("xb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def require(path: Path) -> Path:
    """``path`` if it exists, else a one-line error that asks whether its folder is a sweep's."""
    if not path.exists():
        raise NeocloudError(f"{path} not found: is {path.parent} a sweep's results folder?")
    return path


def _write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda handle: handle.write(data))


def _write_json(path: Path, data: Any) -> None:
    _write_bytes(path, json.dumps(data, indent=1).encode())


def encode_run(record: dict[str, Any], frame: pd.DataFrame, spec: str) -> bytes:
    """A run's Parquet file as bytes, with its summary row and the spec's hash in the footer
    metadata. Workers call this, so the parent only writes bytes and is not the bottleneck."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), SUMMARY_KEY: json.dumps(record).encode(),
                SPEC_KEY: spec.encode()}
    sink = pa.BufferOutputStream()
    pq.write_table(table.replace_schema_metadata(metadata), sink)
    return sink.getvalue().to_pybytes()


def decode_run(rel: str, source: bytes | Path) -> tuple[dict[str, Any], str]:
    """The summary row and spec hash of a run file (Parquet under ``runs/``, JSON under
    ``failed/``), from its bytes, so that verifying a file reads it once, or from the file
    itself, which for Parquet reads only the footer."""
    if rel.startswith(RUNS):
        file = pa.BufferReader(source) if isinstance(source, bytes) else source
        metadata = pq.read_schema(file).metadata
        return json.loads(metadata[SUMMARY_KEY]), metadata[SPEC_KEY].decode()
    document = json.loads(source if isinstance(source, bytes) else source.read_bytes())
    return document["record"], document["spec"]


class FolderLock:
    """An exclusive advisory lock (``flock``) on a results folder, so that two sweeps never
    write into one folder. The kernel drops it when its holder dies, however it dies, so it
    is never stale; the file records the holder (pid and host, since on a shared file system
    the holder may be another machine) for the refusal message. The file is never deleted:
    unlinking it would let a third sweep lock a fresh file while a second still holds the
    old one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def acquire(self, wait: float | None = None) -> None:
        """Take the lock; if another sweep holds it, refuse at once (``wait=None``) or poll
        for up to ``wait`` seconds (``math.inf``: for as long as it takes)."""
        handle = self.path.open("a+")
        deadline = None if wait is None else time.monotonic() + wait
        while not _try_lock(handle):
            left = -1.0 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                handle.close()
                raise FolderInUse(self.path.parent, _describe_holder(self.path), wait)
            time.sleep(min(LOCK_POLL_S, left))
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": platform.node(),
                                 "since": datetime.now(UTC).isoformat(timespec="seconds")}))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Drop the lock (a no-op if not held)."""
        if self._handle is not None:
            self._handle.truncate(0)
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _describe_holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text())
        return f"pid {holder['pid']} on host {holder['host']}, since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


class Checksums:
    """SHA-256 of every run file, keyed by its path in the folder, kept in ``sha256sum``
    format. A line is appended as each run is stored (not fsynced: a line lost in a crash
    only makes its run be redone) and the file is rewritten without stale lines when a sweep
    opens and closes the folder; later lines win over earlier ones."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.digests: dict[str, str] = {}
        self._fd: int | None = None

    def load(self) -> None:
        """Read the file, skipping malformed lines (a line cut short or damaged only makes
        its run fail verification)."""
        try:
            lines = self.path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            digest, _, rel = line.partition("  ")
            if len(digest) == 64 and rel:
                self.digests[rel] = digest

    def matches(self, rel: str, data: bytes) -> bool:
        return self.digests.get(rel) == hashlib.sha256(data).hexdigest()

    def add(self, rel: str, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self.digests[rel] = digest
        assert self._fd is not None, "add() before compact() opened the file"
        os.write(self._fd, f"{digest}  {rel}\n".encode())

    def runs(self) -> dict[str, str]:
        """The entries of successful runs (files under ``runs/``)."""
        return {rel: digest for rel, digest in self.digests.items() if rel.startswith(f"{RUNS}/")}

    def discard(self, rel: str) -> None:
        self.digests.pop(rel, None)

    def compact(self) -> None:
        """Rewrite the file from the current entries and reopen it for appending."""
        self.close()
        text = "".join(f"{digest}  {rel}\n" for rel, digest in sorted(self.digests.items()))
        _write_bytes(self.path, text.encode())
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    @property
    def appending(self) -> bool:
        return self._fd is not None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class ResultStore:
    """Reads and writes one experiment's results folder (see the module docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.lock = FolderLock(self.folder / LOCK_FILE)
        self.checksums = Checksums(self.folder / CHECKSUM_FILE)
        self.spec = ""
        self.found: dict[Key, tuple[str, int]] = {}
        self.quarantined: list[str] = []
        self.spec_rebuilt = False

    def open(self, resolved: dict[str, Any], design: pd.DataFrame, *, restart: bool = False,
             wait: float | None = None) -> None:
        """Lock the folder (see :class:`FolderLock`), verify the runs on disk against
        ``resolved`` and ``design`` and write the spec and design.

        Afterwards ``found`` maps each verified run's key to its (status, attempts),
        ``quarantined`` names the files set aside to be redone, and ``spec_rebuilt`` says
        whether a damaged or stale ``spec.json`` was rewritten because every run on disk was
        made by ``resolved``. A folder holding runs of another spec is refused unless
        ``restart``, which deletes its runs first.
        """
        _make_folder(self.folder)
        try:
            self.lock.acquire(wait)
        except OSError as exc:  # not writable, or a file system without locks
            raise NeocloudError(f"cannot write to the results folder {self.folder}: "
                                f"{exc.strerror}") from None
        try:
            self._prepare(json.loads(json.dumps(resolved)), design, restart)
        except BaseException:
            self.close()
            raise

    def _prepare(self, resolved: dict[str, Any], design: pd.DataFrame, restart: bool) -> None:
        if restart:
            self._discard()
        for path in (self.folder, self.folder / RUNS, self.folder / FAILED):
            path.mkdir(exist_ok=True)
            for stale in path.glob(".*.tmp"):  # safe only for the lock holder: no writer left
                stale.unlink()
        self.spec = spec_hash(resolved)
        self.checksums.load()
        found, foreign, bad = self._inventory(_seeds(design))
        spec_path = self.folder / SPEC_FILE
        changed = _changes(_read_spec(spec_path), resolved) if spec_path.exists() else []
        if foreign or (changed and not found):
            raise NeocloudError(_refusal(self.folder, changed, foreign))
        self.spec_rebuilt = bool(changed)  # and every run on disk says it is this spec's
        for rel in bad:
            self._quarantine(rel)
        self.found = found
        _write_json(spec_path, resolved)
        atomic_write(self.folder / DESIGN_FILE, lambda h: design.to_parquet(h, index=False))
        self.checksums.compact()

    def _discard(self) -> None:
        """Delete the runs and everything made from them (--restart)."""
        for path in (self.folder / RUNS, self.folder / FAILED, self.folder / QUARANTINE,
                     self.folder / TIMESERIES):
            shutil.rmtree(path, ignore_errors=True)
        for name in (SPEC_FILE, SUMMARY_FILE, CHECKSUM_FILE):
            (self.folder / name).unlink(missing_ok=True)

    def _inventory(self, seeds: Mapping[Key, int]) -> tuple[dict[Key, tuple[str, int]], int,
                                                           list[str]]:
        """Verify every run file. Returns the good runs (key -> status, attempts), how many
        files another spec made, and the bad files: damaged, without a checksum, not a run of
        this design, or a failure superseded by a success of the same run."""
        found: dict[Key, tuple[str, int]] = {}
        foreign, bad = 0, []
        for rel in self._run_files():
            record, spec, _ = self._read_verified(rel)
            if record is not None and spec != self.spec:
                foreign += 1
                continue
            key = _design_key(rel, record, seeds) if record is not None else None
            if key is None or key in found:
                bad.append(rel)
            else:
                found[key] = (record["status"], record["attempts"])
        return found, foreign, bad

    def _run_files(self) -> list[str]:
        """Successes first, so that a failure superseded by a later success is the one that
        is set aside."""
        return [f"{sub}/{path.name}" for sub, pattern in ((RUNS, "*.parquet"), (FAILED, "*.json"))
                for path in sorted((self.folder / sub).glob(pattern))]

    def _read_verified(self, rel: str) -> tuple[dict[str, Any] | None, str, bytes]:
        """A run file's summary row, spec hash and bytes, reading it once; (None, "", b"") if
        its bytes do not match their checksum or do not hold a complete row."""
        try:
            data = (self.folder / rel).read_bytes()
            if self.checksums.matches(rel, data):
                record, spec = decode_run(rel, data)
                if isinstance(record, dict) and {*KEYS, *TAIL} <= record.keys():
                    return record, spec, data
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            pass
        return None, "", b""

    def verified_runs(self) -> Iterator[tuple[Key, str, bytes]]:
        """The successful runs that count, as (key, path in the folder, bytes), in key order:
        the checks of :meth:`open` (checksum, spec hash from ``spec.json``, key in the design)
        for a reader, such as compaction, that copies runs out of a folder it does not run. A
        folder that is not a sweep's is refused here, before the first run is read."""
        resolved = _read_spec(require(self.folder / SPEC_FILE))
        if resolved is None:
            raise NeocloudError(f"{self.folder / SPEC_FILE} is damaged; run the sweep again "
                                "to rewrite it")
        self.spec = spec_hash(resolved)
        seeds = _seeds(pd.read_parquet(require(self.folder / DESIGN_FILE)))
        self.checksums.load()
        return self._verified(sorted(self.checksums.runs()), seeds)

    def _verified(self, listed: list[str], seeds: Mapping[Key, int]
                  ) -> Iterator[tuple[Key, str, bytes]]:
        for rel in listed:
            record, spec, data = self._read_verified(rel)
            key = _design_key(rel, record, seeds) if record is not None and spec == self.spec else None
            if key is not None:
                yield key, rel, data

    def _quarantine(self, rel: str) -> None:
        target = self.folder / QUARANTINE / rel.replace("/", "_")
        target.parent.mkdir(exist_ok=True)
        os.replace(self.folder / rel, target)
        self.checksums.discard(rel)
        self.quarantined.append(rel)

    def add_provenance(self, entry: Mapping[str, Any]) -> None:
        """Append this sweep's entry (versions, commit...) to ``provenance.json``, with the
        time and host; kept apart from the spec, so a resume under other library versions is
        recorded, not refused. An unreadable file is started afresh."""
        path = self.folder / PROVENANCE_FILE
        try:
            history = json.loads(path.read_text())
            history = history if isinstance(history, list) else []
        except (OSError, ValueError):
            history = []
        stamp = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
                 "host": platform.node()}
        _write_json(path, [*history, {**stamp, **entry}])

    @property
    def stored(self) -> int:
        """Runs stored (succeeded or failed) in the folder."""
        return len(self.checksums.digests)

    def save(self, record: dict[str, Any], parquet: bytes | None) -> None:
        """Store a finished run: its Parquet file (from :func:`encode_run`), or, if it failed,
        its summary row; record its checksum; a success replaces an earlier failure."""
        name = run_name(record["point"], record["replication"])
        failure = f"{FAILED}/{name}.json"
        if parquet is None:
            rel, data = failure, json.dumps({"record": record, "spec": self.spec}).encode()
        else:
            rel, data = f"{RUNS}/{name}.parquet", parquet
        _write_bytes(self.folder / rel, data)
        self.checksums.add(rel, data)
        if parquet is not None and failure in self.checksums.digests:
            (self.folder / failure).unlink(missing_ok=True)
            self.checksums.discard(failure)

    def write_summary(self, parameters: list[str]) -> pd.DataFrame:
        """Rebuild ``summary.parquet`` from the stored runs: key, parameters, statistics,
        attempts, status, error. Reads only footers: the files were verified or written by
        this sweep."""
        summary = pd.DataFrame.from_records(list(self._records()))
        head = [*KEYS, *parameters]
        stats = [c for c in summary.columns if c not in head and c not in TAIL]
        summary = summary.reindex(columns=[*head, *stats, *TAIL])
        if len(summary):
            summary = summary.sort_values(["point", "replication"], ignore_index=True)
        atomic_write(self.folder / SUMMARY_FILE, lambda h: summary.to_parquet(h, index=False))
        return summary

    def _records(self) -> Iterator[dict[str, Any]]:
        for rel in sorted(self.checksums.digests):
            yield decode_run(rel, self.folder / rel)[0]

    def close(self) -> None:
        """Rewrite the checksums without stale lines and release the folder."""
        try:
            if self.checksums.appending:
                self.checksums.compact()
        finally:
            self.checksums.close()
            self.lock.release()


def _make_folder(folder: Path) -> None:
    """Create the results folder, or say in one line why it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()),
                       None)
        reason = f"{blocker} is a file, not a folder" if blocker else exc.strerror
        raise NeocloudError(f"cannot create the results folder {folder}: {reason}") from None


def _seeds(design: pd.DataFrame) -> dict[Key, int]:
    """The design's run keys and their seeds."""
    return dict(zip(zip(design["point"], design["replication"], strict=True), design["seed"],
                    strict=True))


def _design_key(rel: str, record: dict[str, Any], seeds: Mapping[Key, int]) -> Key | None:
    """The run's key if the design has it with the same seed and the file is named after it."""
    key = (record["point"], record["replication"])
    return key if seeds.get(key) == record["seed"] and Path(rel).stem == run_name(*key) else None


def _read_spec(path: Path) -> dict[str, Any] | None:
    """The spec on disk; None if missing or unreadable (cut short, say)."""
    try:
        spec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return spec if isinstance(spec, dict) else None


def _changes(old: dict[str, Any] | None, resolved: dict[str, Any]) -> list[str]:
    """Top-level fields (and scenario parameters) that differ from the spec on disk."""
    if old is None:
        return ["spec.json is unreadable"]
    changed = [key for key in resolved.keys() | old.keys()
               if key != "scenario_parameters" and old.get(key) != resolved.get(key)]
    before, after = old.get("scenario_parameters", {}), resolved["scenario_parameters"]
    changed += [name for name in after.keys() | before.keys() if before.get(name) != after.get(name)]
    return sorted(changed)


def _refusal(folder: Path, changed: list[str], foreign: int) -> str:
    more = f" and {len(changed) - 6} more" if len(changed) > 6 else ""
    what = (f"changed: {', '.join(changed[:6])}{more}" if changed
            else f"{foreign} run files were made by another spec")
    return (f"{folder} holds results of a different spec ({what}); use --restart to discard "
            "them, or give the experiment another name")
