"""What produced a result: package version, git commit, Python and dependency versions, and
the arithmetic (CPU features and BLAS kernel).

Written into every run's ``run.json`` and every sweep's results folder, so a number in a
paper can be traced to the code and the library versions that computed it (numerical
results can move with a numpy or pandas release even when the model code does not).
"""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

# The libraries whose versions can change a result or how it is stored.
DEPENDENCIES = ("mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib", "matplotlib",
                "networkx")


def package_version() -> str:
    try:
        return metadata.version("neocloud_abm")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str:
    """The commit of the checkout the package runs from, with ``+dirty`` when it has
    uncommitted changes; "" when it is not a git checkout (an installed wheel)."""
    root = Path(__file__).resolve().parents[2]  # neocloud_abm/outputs/provenance.py
    if not (root / ".git").exists():
        return ""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return commit + ("+dirty" if dirty else "")


def short_commit() -> str:
    """The commit abbreviated for a report's header ("11b9277", "11b9277+dirty"), or
    "unknown" outside a git checkout."""
    commit = git_commit()
    if not commit:
        return "unknown"
    return commit[:7] + ("+dirty" if commit.endswith("+dirty") else "")


def dependency_versions() -> dict[str, str]:
    versions = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def cpu_features() -> list[str]:
    """The CPU features numpy dispatches its vector loops on (``AVX2``, ``AVX512F``, ...)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_features__
    return sorted(name for name, on in __cpu_features__.items() if on)


def blas_kernel() -> str:
    """The BLAS library loaded and the kernel it picked for this CPU (``openblasHaswell``),
    for the record: a run does not depend on it (the model computes no product through BLAS,
    ``core/arithmetic.py``), but a calibration's surrogate and a sensitivity analysis do."""
    from threadpoolctl import threadpool_info

    found = {f"{lib['internal_api']}{lib.get('architecture') or ''}"
             for lib in threadpool_info() if lib.get("user_api") == "blas"}
    return "+".join(sorted(found)) or "none"


def provenance() -> dict[str, Any]:
    """Everything needed to reproduce a result besides its parameters and seed. A run is
    bit-identical only where the versions and the CPU features match (docs/model.md, section
    6.4): its last bits, and through the model's chaos its path after a few simulated years,
    move with either."""
    return {"neocloud_abm": package_version(), "git_commit": git_commit(),
            "python": sys.version.split()[0], "platform": platform.platform(),
            "dependencies": dependency_versions(),
            "arithmetic": {"cpu_features": cpu_features(), "blas": blas_kernel()}}
