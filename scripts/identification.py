"""Identification experiment: can the moments recover parameters that are known?

Simulates "observed" data at known values of four parameters (two seeds), runs a Latin
hypercube over their prior ranges, calibrates on the simulated data by ABC rejection
(`neocloud_abm.experiments.calibration`) and prints each parameter's truth next to its
estimate and 5-95% range. The test suite runs a two-parameter version of this
(`tests/test_calibration.py`); results of this one are in docs/model.md, section 6.8.

    .venv/bin/python scripts/identification.py --points 80 --workers 2   # about 4 minutes
"""

from __future__ import annotations

import argparse
import tempfile
import warnings

from neocloud_abm.experiments import parse_spec, process_pool, run_sweep
from neocloud_abm.experiments.calibration import calibrate_folder
from neocloud_abm.outputs.moments import MOMENTS, pseudo_observations, simulate_runs
from neocloud_abm.parameters.scenarios import load_scenario

MONTHS = 54   # through 2026-06, the last month a moment reads
PRIOR = {"environment.hyperscaler_capacity_growth": (0.2, 1.2),
         "nvidia.capacity_response": (0.2, 3.0),
         "startups.valuation_sentiment": (0.15, 0.6),
         "neoclouds.competition_neglect": (0.2, 0.9)}
TRUTH = {"environment.hyperscaler_capacity_growth": 0.7, "nvidia.capacity_response": 1.5,
         "startups.valuation_sentiment": 0.35, "neoclouds.competition_neglect": 0.5}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=80, help="design points (default 80)")
    parser.add_argument("--replications", type=int, default=2, help="seeds per point (default 2)")
    parser.add_argument("--accept", type=float, default=0.2, help="fraction kept (default 0.2)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--seed", type=int, default=11, help="root seed of the design")
    args = parser.parse_args()
    warnings.simplefilter("ignore")   # short runs end before some dated inputs
    spec = parse_spec({"name": "identification", "scenario": "baseline", "months": MONTHS,
                       "replications": args.replications, "seed": args.seed,
                       "design": {"kind": "lhs", "samples": args.points, "parameters": {
                           name: {"low": low, "high": high} for name, (low, high) in PRIOR.items()}}})
    truth = load_scenario("baseline").with_overrides({"market.months": MONTHS, **TRUTH})
    observed = pseudo_observations(simulate_runs(truth, 2))
    moments = [m for m in MOMENTS if m.key != "debt_to_revenue_2023"]   # data side differs
    with tempfile.TemporaryDirectory() as out, process_pool(args.workers) as pool:
        report = run_sweep(spec, out, pool, max_in_flight=2 * args.workers)
        result = calibrate_folder(report.folder, observed, args.accept, moments)
    posterior = result.posterior.set_index("parameter")
    print(f"{args.points} points x {args.replications} seeds, {int(posterior['accepted'].iloc[0])} "
          "accepted\n| parameter | prior | truth | estimate | 5-95% | covered | width / prior |")
    print("|---|---|---:|---:|---|---|---:|")
    for name, value in TRUTH.items():
        row = posterior.loc[name]
        covered = row["low"] <= value <= row["high"]
        print(f"| `{name}` | {row['prior_low']:g}-{row['prior_high']:g} | {value:g} | "
              f"{row['estimate']:.3g} | {row['low']:.3g}-{row['high']:.3g} | "
              f"{'yes' if covered else 'no'} | "
              f"{(row['high'] - row['low']) / (row['prior_high'] - row['prior_low']):.2f} |")


if __name__ == "__main__":
    main()
