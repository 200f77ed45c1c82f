"""Write docs/validation.md: the article's facts, the moments of the observed data against
the baseline's, the figure of the baseline against the observations, a calibration on the
observed moments (in and out of sample) and the identification experiment, all measured
now by the package.

    .venv/bin/python scripts/validation_report.py --workers 2    # about 8 minutes on 2 cores

The calibration sweep is kept in results/calibrate_moments/ and resumed if it is there.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from neocloud_abm import load_scenario, simulate
from neocloud_abm.experiments import load_spec, process_pool, run_sweep
from neocloud_abm.experiments.calibration import calibrate_folder, identification
from neocloud_abm.interface.plots import observed_figure, save_figure
from neocloud_abm.outputs.moments import distance, moment_table
from neocloud_abm.outputs.observations import load_observations
from neocloud_abm.outputs.provenance import short_commit
from neocloud_abm.outputs.validation import validate

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "experiments" / "calibrate_moments.toml"
IN_SAMPLE_UNTIL = "2025-06"


def verdict(z: float) -> str:
    return "within 2 se" if abs(z) <= 2 else "**miss**"


def facts_section(table: pd.DataFrame, seeds: int) -> list[str]:
    met = int(table["holds"].sum())
    lines = [f"## The article's facts ({seeds} seeds)", "",
             "`neocloud-abm validate`: each pass band is the target's own range; the verdict "
             "is on the median over the seeds.", "",
             "| fact | target (= pass band) | simulated median (range) | |", "|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| {row.fact}: {row.description} | {row.target} | {row.median:.3g} {row.unit} "
                     f"({row.low:.3g} to {row.high:.3g}) | {'ok' if row.holds else '**miss**'} |")
    return [*lines, "", f"{met} of {len(table)} facts met.", ""]


def moments_rows(table: pd.DataFrame) -> list[str]:
    lines = ["| moment | observed (se; basis) | simulated | z | |", "|---|---|---|---:|---|"]
    for row in table.itertuples():
        lines.append(f"| {row.description} | {row.observed:.3g} ({row.se:.2g}; {row.se_basis}) | "
                     f"{row.simulated:.3g} ({row.low:.3g} to {row.high:.3g}) | {row.z:+.1f} | "
                     f"{verdict(row.z)} |")
    return [*lines, "", f"Distance (sum of z squared over {len(table)} moments): "
            f"{distance(table):,.1f}.", ""]


def moments_section(table: pd.DataFrame, seeds: int) -> list[str]:
    return [f"## Moments of the observed data against the baseline ({seeds} seeds)", "",
            "`neocloud-abm moments` (docs/model.md, section 6.7): the data's standard error, "
            "the baseline's median and 5-95% range over the seeds, and z, the miss in standard "
            "errors.", "", *moments_rows(table)]


def calibrated_scenario_section(table: pd.DataFrame, baseline: pd.DataFrame, seeds: int,
                                posterior: pd.DataFrame) -> list[str]:
    """The shipped scenario of the estimates, on fresh seeds: the nearest design point's fit
    above is flattered (picked among hundreds on two seeds each); this one is not. Its values
    are those of the run recorded in its file, set beside this run's estimates, since a later
    model can move the estimates."""
    params = load_scenario("calibrated")
    rows = ["| parameter | scenario | this run's estimate | 5-95% | within |", "|---|---:|---:|---|---|"]
    for r in posterior.itertuples():
        value = params[r.parameter]
        within = "yes" if r.low <= value <= r.high else "**no**"
        rows.append(f"| `{r.parameter}` | {value:.3g} | {r.estimate:.3g} | "
                    f"{r.low:.3g}-{r.high:.3g} | {within} |")
    return [f"### The `calibrated` scenario over {seeds} seeds", "",
            "`neocloud_abm/scenarios/calibrated.toml` sets the calibrated parameters to the "
            "posterior medians of the run of this calibration recorded in its file, against "
            "this run's:", "", *rows, "",
            f"Its distance (`neocloud-abm moments --scenario calibrated`), {distance(table):,.1f}, "
            f"against the baseline's {distance(baseline):,.1f}:", "", *moments_rows(table)]


def posterior_lines(posterior: pd.DataFrame) -> list[str]:
    lines = ["| parameter | prior | estimate | 5-95% | nearest point |", "|---|---|---:|---|---:|"]
    lines += [f"| `{r.parameter}` | {r.prior_low:g}-{r.prior_high:g} | {r.estimate:.3g} | "
              f"{r.low:.3g}-{r.high:.3g} | {r.best:.3g} |" for r in posterior.itertuples()]
    return lines


def calibration_section(folder: Path, observed: pd.DataFrame, runs: int, seconds: float,
                        spec_name: str) -> tuple[list[str], pd.DataFrame]:
    """The report's calibration section, and the posterior of the fit on every moment."""
    split = calibrate_folder(folder, observed, until=IN_SAMPLE_UNTIL)
    full = calibrate_folder(folder, observed)  # last: the folder's files are the full fit
    kept = int(split.points["accepted"].sum())
    lines = ["## Calibration on the observed moments", "",
             f"`neocloud-abm calibrate {spec_name}`: {runs} runs "
             f"({len(split.points)} Latin-hypercube points of the prior, {runs // len(split.points)} "
             f"seeds each), ABC rejection keeping the {kept} nearest points (docs/model.md, "
             f"section 6.8); the sweep took {seconds / 60:.1f} minutes here (0 if it was resumed "
             "from a finished folder).", "",
             f"### Fitted on the moments whose data end by {IN_SAMPLE_UNTIL}", "",
             *posterior_lines(split.posterior), "",
             "The nearest point's fit; `out` marks the moments left out of the estimate, the "
             "out-of-sample check:", "",
             "| moment | data through | sample | observed | simulated | z | |",
             "|---|---|---|---:|---:|---:|---|"]
    for row in split.best_fit.itertuples():
        lines.append(f"| {row.description} | {row.through} | {row.sample} | {row.observed:.3g} | "
                     f"{row.simulated:.3g} | {row.z:+.1f} | {verdict(row.z)} |")
    fitted = split.best_fit[split.best_fit["sample"] == "in"]
    outside = split.best_fit[split.best_fit["sample"] == "out"]
    lines += ["", f"In sample {int((fitted['z'].abs() <= 2).sum())} of {len(fitted)} moments are "
              f"within two standard errors; out of sample {int((outside['z'].abs() <= 2).sum())} of "
              f"{len(outside)}. The nearest point is picked among many on few seeds each, so its "
              "own fit is flattered.", "", "### Fitted on every moment", "",
              *posterior_lines(full.posterior), "",
              f"Nearest point's distance: {distance(full.best_fit):,.1f} over {len(full.best_fit)} "
              "moments. The defaults are not changed to these estimates; the `calibrated` "
              "scenario (below) carries those of the run recorded in its file.", ""]
    return lines, full.posterior


def identification_section(posterior: pd.DataFrame, points: int, seconds: float) -> list[str]:
    lines = ["## Identification", "",
             f"Calibrating on data simulated at known values (`scripts/identification.py`: "
             f"{points} points x 2 seeds, {seconds / 60:.1f} minutes): each parameter's truth "
             "against its estimate and 5-95% range, and that range's width as a share of the "
             "prior's (near 1: the moments cannot tell its values apart).", "",
             "| parameter | prior | truth | estimate | 5-95% | covered | width / prior |",
             "|---|---|---:|---:|---|---|---:|"]
    lines += [f"| `{r.parameter}` | {r.prior_low:g}-{r.prior_high:g} | {r.truth:g} | {r.estimate:.3g} | "
              f"{r.low:.3g}-{r.high:.3g} | {'yes' if r.covered else '**no**'} | {r.width_share:.2f} |"
              for r in posterior.itertuples()]
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds for the facts and moments")
    parser.add_argument("--workers", type=int, default=2, help="processes for the sweeps")
    parser.add_argument("--identification-points", type=int, default=80)
    parser.add_argument("--spec", type=Path, default=SPEC, help="calibration spec")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md")
    args = parser.parse_args()
    warnings.simplefilter("ignore")   # short runs end before some dated inputs
    started = time.perf_counter()
    observed = load_observations()
    baseline: list[pd.DataFrame] = []
    facts = validate(args.seeds, baseline_runs=baseline)
    moments = moment_table(baseline, observed)
    calibrated = moment_table([simulate(load_scenario("calibrated"), seed=seed)
                               for seed in range(1, args.seeds + 1)], observed)
    figure = ROOT / "docs" / "figures" / "validation_observed"
    save_figure(observed_figure(baseline, observed, title="Baseline against observed data"), figure,
                ("png",))
    spec = load_spec(args.spec)
    with process_pool(args.workers) as pool:
        sweep_started = time.perf_counter()
        report = run_sweep(spec, ROOT / "results", pool, max_in_flight=2 * args.workers)
        sweep_seconds = time.perf_counter() - sweep_started
        ident_started = time.perf_counter()
        with tempfile.TemporaryDirectory() as scratch:
            ident = identification(scratch, pool, points=args.identification_points)
        ident_seconds = time.perf_counter() - ident_started
    runs = int(np.sum(report.summary["status"] == "ok"))
    calibration, posterior = calibration_section(
        report.folder, observed, runs, sweep_seconds,
        args.spec.relative_to(ROOT) if args.spec.is_relative_to(ROOT) else args.spec)
    lines = ["# Validation and calibration", "",
             f"Written by `scripts/validation_report.py` on {date.today().isoformat()} "
             f"from the model at commit {short_commit()} ({platform.machine()}, "
             f"{args.workers} workers, Python {platform.python_version()}, "
             f"Mesa {mesa.__version__}) in {(time.perf_counter() - started) / 60:.1f} minutes; "
             "regenerate it with that command. The observations and their sources are in "
             "`neocloud_abm/data/observations.csv` (`neocloud-abm observations`).", "",
             *facts_section(facts, args.seeds), *moments_section(moments, args.seeds),
             "## The baseline against the observations", "",
             f"![Baseline against observed data](figures/{figure.name}.png)", "",
             *calibration, *calibrated_scenario_section(calibrated, moments, args.seeds, posterior),
             *identification_section(ident, args.identification_points, ident_seconds)]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out} and {figure}.png")


if __name__ == "__main__":
    main()
