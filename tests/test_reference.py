"""Regression against stored reference series: every built-in scenario over seeds 1-5 must
reproduce the recorded outputs to 1e-9 (relative to each variable's scale), so a refactor or
a speed-up proves it changed nothing. A change of the model's behaviour re-records them on
purpose: ``python -m pytest tests/test_reference.py --record-reference -n 0``.

The model is chaotic in the technical sense: a difference in the last bit of one number
(Python 3.12's compensated ``sum``, another numpy's SIMD ``exp``, another CPU's vector width)
grows into a different path within a few simulated years. Bit-for-bit reproduction therefore
holds within one environment; each reference file names the environment it was made in and
the comparison runs where the environment matches (the economics tests, by contrast, are
statistical and hold in every environment). The BLAS kernel is not part of the environment:
the model computes no dot product through BLAS (``neocloud_abm.core.arithmetic``), and a test
here checks that forcing another kernel leaves every output as it was.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run

from neocloud_abm.outputs.provenance import blas_kernel, cpu_features
from neocloud_abm.parameters.scenarios import list_scenarios

SEEDS = (1, 2, 3, 4, 5)
FOLDER = Path(__file__).parent / "data"
TOLERANCE = 1e-9


def environment_key() -> str:
    """Python minor version, numpy version, machine and the CPU features numpy dispatches on:
    what decides the rounding of every operation the model performs."""
    digest = hashlib.sha256(",".join(cpu_features()).encode()).hexdigest()[:8]
    return (f"py{sys.version_info.major}.{sys.version_info.minor}-numpy{np.__version__}-"
            f"{platform.machine()}-cpu{digest}")


def long_table() -> pd.DataFrame:
    """Today's outputs, one row per (scenario, seed, month, variable)."""
    parts = []
    for scenario in list_scenarios():
        for seed in SEEDS:
            wide = run(scenario, seed).drop(columns="date").reset_index(names="month")
            long = wide.melt(id_vars="month", var_name="variable", value_name="value")
            parts.append(long.assign(scenario=scenario, seed=seed))
    return pd.concat(parts, ignore_index=True)[["scenario", "seed", "month", "variable", "value"]]


def differences(reference: pd.DataFrame, now: pd.DataFrame) -> list[str]:
    """Outputs that vanished or appeared, and values that moved by more than the tolerance
    relative to their variable's scale (first ten)."""
    keys = ["scenario", "seed", "month", "variable"]
    merged = reference.merge(now, on=keys, how="outer", suffixes=("_ref", "_now"), indicator=True)
    found = []
    for side, label in (("left_only", "vanished"), ("right_only", "new")):
        changed = merged.loc[merged["_merge"] == side, "variable"].unique()
        if len(changed):
            found.append(f"{label} outputs: {sorted(changed)[:8]}")
    both = merged[merged["_merge"] == "both"]
    scale = both.groupby(["scenario", "variable"])["value_ref"].transform(lambda v: v.abs().max())
    moved = (both["value_now"] - both["value_ref"]).abs() > TOLERANCE * np.maximum(scale, 1.0)
    for row in both[moved].groupby(["scenario", "seed", "variable"]).head(1).head(10).itertuples():
        found.append(f"{row.scenario} seed {row.seed} month {row.month} {row.variable}: "
                     f"{row.value_ref!r} -> {row.value_now!r}")
    return found


def test_outputs_equal_the_reference_series(request):
    path = FOLDER / f"reference-{environment_key()}.parquet"
    if request.config.getoption("--record-reference"):
        FOLDER.mkdir(exist_ok=True)
        long_table().to_parquet(path, index=False, compression="zstd")
        pytest.skip(f"recorded {path.name}")
    if not path.exists():
        recorded = sorted(p.name for p in FOLDER.glob("reference-*.parquet"))
        pytest.skip(f"no reference series for this environment ({environment_key()}); "
                    f"recorded: {recorded}. Paths diverge across environments (module docstring)")
    found = differences(pd.read_parquet(path), long_table())
    assert not found, "outputs changed:\n" + "\n".join(found)


FINGERPRINT = """
import hashlib
from neocloud_abm.model import simulate
from neocloud_abm.outputs.provenance import blas_kernel
from neocloud_abm.outputs.summary import summarize
from neocloud_abm.parameters.scenarios import list_scenarios, load_scenario
print(blas_kernel())
for scenario in list_scenarios():
    df = simulate(load_scenario(scenario), seed=1, months=120)
    data = df.drop(columns="date").to_numpy().tobytes() + repr(summarize(df)).encode()
    print(scenario, hashlib.sha256(data).hexdigest())
"""


def test_runs_do_not_depend_on_the_blas_kernel():
    """Every scenario's series and summary are bit for bit the same under the BLAS kernel
    OpenBLAS picks for this CPU and under the oldest x86-64 one (Prescott: no vector units
    beyond SSE3, no fused multiply-add), so runs on unlike machines of a cluster agree."""
    if not blas_kernel().startswith("openblas"):
        pytest.skip(f"numpy's BLAS is not OpenBLAS here ({blas_kernel()})")
    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("the Prescott kernel exists on x86-64 only")

    def fingerprint(**env: str) -> list[str]:
        return subprocess.run([sys.executable, "-c", FINGERPRINT], env={**os.environ, **env},
                              capture_output=True, text=True, check=True).stdout.splitlines()

    native, oldest = fingerprint(), fingerprint(OPENBLAS_CORETYPE="Prescott")
    if native[0] == oldest[0]:
        pytest.skip(f"OpenBLAS runs the Prescott kernel here already ({native[0]})")
    assert native[1:] == oldest[1:], f"{native[0]} and {oldest[0]} give different runs"


def test_the_comparison_catches_a_change():
    reference = pd.DataFrame({"scenario": ["s"] * 2, "seed": [1, 1], "month": [0, 1],
                              "variable": ["x", "x"], "value": [100.0, 200.0]})
    assert differences(reference, reference) == []
    nudged = reference.assign(value=[100.0, 200.0 * (1 + 1e-8)])
    assert differences(reference, nudged) and not differences(
        reference, reference.assign(value=[100.0, 200.0 * (1 + 1e-12)]))
    assert "vanished" in differences(reference, reference.iloc[:0])[0]
