"""Identification experiment: can the moments recover parameters that are known?

Simulates "observed" data at known values of four parameters (two seeds), runs a Latin
hypercube over their prior ranges, calibrates on the simulated data by ABC rejection and
prints each parameter's truth next to its estimate and 5-95% range
(`neocloud_abm.experiments.calibration.identification`). The test suite runs a
two-parameter version (`tests/test_calibration.py`); `scripts/validation_report.py` puts
this one in docs/validation.md.

    .venv/bin/python scripts/identification.py --points 80 --workers 2   # about 2 minutes
"""

from __future__ import annotations

import argparse
import tempfile
import warnings

from neocloud_abm.experiments import process_pool
from neocloud_abm.experiments.calibration import identification


def markdown(posterior) -> str:
    lines = ["| parameter | prior | truth | estimate | 5-95% | covered | width / prior |",
             "|---|---|---:|---:|---|---|---:|"]
    for row in posterior.itertuples():
        lines.append(f"| `{row.parameter}` | {row.prior_low:g}-{row.prior_high:g} | {row.truth:g} | "
                     f"{row.estimate:.3g} | {row.low:.3g}-{row.high:.3g} | "
                     f"{'yes' if row.covered else 'no'} | {row.width_share:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=80, help="design points (default 80)")
    parser.add_argument("--replications", type=int, default=2, help="seeds per point (default 2)")
    parser.add_argument("--accept", type=float, default=0.2, help="fraction kept (default 0.2)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--seed", type=int, default=11, help="root seed of the design")
    args = parser.parse_args()
    warnings.simplefilter("ignore")   # short runs end before some dated inputs
    with tempfile.TemporaryDirectory() as out, process_pool(args.workers) as pool:
        posterior = identification(out, pool, args.points, args.replications, args.accept, args.seed)
    print(markdown(posterior))


if __name__ == "__main__":
    main()
