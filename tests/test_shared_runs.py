"""The suite's shared runs: workers find each other's finished runs in one folder, and the
folder is gone when the session ends (a suite that left it behind filled the disk, about
170 MB a session, until CI could no longer install)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from conftest import SHARED_RUNS, run

SHORT_RUN_MONTHS = 3


def test_a_worker_writes_its_runs_to_the_session_folder():
    df = run("baseline", 1, SHORT_RUN_MONTHS)
    folder = os.environ.get(SHARED_RUNS)
    if folder is None:  # not a distributed session: runs are memoised in this process only
        return
    written = [pd.read_parquet(path) for path in Path(folder).glob("*.parquet")]
    assert any(other.equals(df) for other in written), f"the run is not in {folder}"


def test_a_distributed_session_removes_its_shared_folder(tmp_path):
    inner = f"{Path(__file__).name}::test_a_worker_writes_its_runs_to_the_session_folder"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop(SHARED_RUNS, None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", inner, "-n", "2", "-p", "no:cacheprovider"],
        cwd=Path(__file__).parent, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
    left = sorted(p.name for p in tmp_path.glob("neocloud-abm-test-runs-*"))
    assert not left, f"left behind: {left}"
