"""Regression against stored reference series: every built-in scenario over seeds 1-5 must
reproduce the recorded outputs to 1e-9 (relative to each variable's scale), so a refactor or
a speed-up proves it changed nothing. A change of the model's behaviour re-records them on
purpose: ``python -m pytest tests/test_reference.py --record-reference -n 0``.

The model is chaotic in the technical sense: a difference in the last bit of one number
(Python 3.12's compensated ``sum``, another numpy's SIMD ``exp``, another CPU's vector width,
the BLAS kernel OpenBLAS picks for the CPU model, whose dot products add in another order)
grows into a different path within a few simulated years. Bit-for-bit reproduction therefore
holds within one environment; each reference file names the environment it was made in and
the comparison runs where the environment matches (the economics tests, by contrast, are
statistical and hold in every environment).
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
    """Python minor version, numpy version, machine, the CPU features numpy dispatches on and
    the BLAS kernel: what decides the rounding of every operation the model performs. Two
    CPUs with the same features can get different OpenBLAS kernels, and with them different
    paths: on two machines of this project's type, ``Haswell`` on one, while the series
    recorded on the other are reproduced with ``OPENBLAS_CORETYPE=SkylakeX``."""
    digest = hashlib.sha256(",".join(cpu_features()).encode()).hexdigest()[:8]
    return (f"py{sys.version_info.major}.{sys.version_info.minor}-numpy{np.__version__}-"
            f"{platform.machine()}-cpu{digest}-{blas_kernel()}")


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


def test_the_key_tells_blas_kernels_apart():
    """Forcing another OpenBLAS kernel (as the slow tests' robustness check does) changes the
    kernel named in the key, so series recorded under one kernel are never compared with
    paths computed under another."""
    if not blas_kernel().startswith("openblas"):
        pytest.skip(f"numpy's BLAS is not OpenBLAS here ({blas_kernel()})")

    def named(core: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", "from neocloud_abm.outputs.provenance import blas_kernel; "
                                   "print(blas_kernel())"],
            env={**os.environ, "OPENBLAS_CORETYPE": core}, capture_output=True, text=True,
            check=True).stdout.strip()

    old, new = named("Prescott"), named("Haswell")
    assert old.startswith("openblas") and new.startswith("openblas") and old != new, (old, new)


def test_the_comparison_catches_a_change():
    reference = pd.DataFrame({"scenario": ["s"] * 2, "seed": [1, 1], "month": [0, 1],
                              "variable": ["x", "x"], "value": [100.0, 200.0]})
    assert differences(reference, reference) == []
    nudged = reference.assign(value=[100.0, 200.0 * (1 + 1e-8)])
    assert differences(reference, nudged) and not differences(
        reference, reference.assign(value=[100.0, 200.0 * (1 + 1e-12)]))
    assert "vanished" in differences(reference, reference.iloc[:0])[0]
