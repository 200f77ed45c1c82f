"""``neocloud-abm calibrate``: run (or resume) a spec's sweep, then estimate its parameters
from the observed moments (:mod:`neocloud_abm.experiments.calibration`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.core.months import parse_month
from neocloud_abm.experiments.calibration import (
    CALIBRATION_FILE,
    POSTERIOR_FILE,
    SCENARIO_FILE,
    calibrate_folder,
    check_calibration_spec,
)
from neocloud_abm.experiments.command import EXIT_ERROR, EXIT_OK, add_run_options, sweep_command
from neocloud_abm.experiments.spec import load_spec
from neocloud_abm.outputs.moments import distance
from neocloud_abm.outputs.observations import load_observations


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"--accept {text!r}: a fraction of the design points "
                                         "in (0, 1], e.g. 0.1")
    return value


def _month(text: str) -> str:
    try:
        parse_month(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--in-sample-until {text!r}: a month, YYYY-MM") from None
    return text


def add_calibrate_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "calibrate", help="estimate parameters from the observed moments (ABC over a sweep)",
        description="Run an LHS or Sobol' spec (its ranges are the prior) as 'sweep' does, "
                    "resumable, then keep the design points whose simulated moments are "
                    "nearest the observed ones and write their posterior, the fit and a "
                    "calibrated scenario into OUT/<name>/.")
    add_run_options(parser)
    parser.add_argument("--accept", type=_fraction, default=0.1,
                        help="fraction of design points kept as the posterior (default 0.1)")
    parser.add_argument("--observations", type=Path, metavar="CSV",
                        help="observed data (default: the package's observations.csv)")
    parser.add_argument("--in-sample-until", type=_month, metavar="YYYY-MM",
                        help="fit only the moments whose data end by this month; report the "
                             "others as out of sample")
    parser.set_defaults(func=calibrate_command)
    return parser


def calibrate_command(args: argparse.Namespace) -> int:
    try:
        spec = load_spec(args.spec, max_runs=args.max_runs)
        check_calibration_spec(spec)
        observed = load_observations(args.observations)
    except NeocloudError as exc:
        print(f"neocloud-abm: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    code = sweep_command(args)
    if code != EXIT_OK:
        print("neocloud-abm: the calibration needs every run of the design; it was not "
              "estimated", file=sys.stderr)
        return code
    folder = Path(args.out) / spec.name
    result = calibrate_folder(folder, observed, args.accept, until=args.in_sample_until)
    posterior = result.posterior
    print(f"\nposterior (ABC rejection: {int(posterior['accepted'].iloc[0])} of "
          f"{len(result.points)} design points kept):")
    print(posterior[["parameter", "prior_low", "prior_high", "estimate", "low", "high", "best"]]
          .to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    fitted = result.best_fit[result.best_fit["sample"] == "in"]
    print(f"\nfit of the nearest point (distance {distance(fitted):.1f} over the {len(fitted)} "
          "moments fitted; 'out': out of sample):")
    print(result.best_fit[["moment", "through", "sample", "observed", "se", "simulated", "z"]]
          .to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(f"\nwrote {folder / CALIBRATION_FILE}, {folder / POSTERIOR_FILE}, {folder / SCENARIO_FILE}")
    return EXIT_OK
