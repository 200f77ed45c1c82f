"""Write docs/sensitivity.md: Sobol' indices of the default rate, the lenders' loss rate and
the price fall after the peak to the parameters of experiments/sobol_defaults_prices.toml,
with the share of each statistic's spread that is seed noise rather than parameters (from
the replications at every design point), and one figure per statistic.

    .venv/bin/python scripts/sensitivity_report.py --workers 2    # about 45 minutes on 2 cores

The sweep is kept in results/sobol_defaults_prices/ and resumed if it is there.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from neocloud_abm.experiments import (
    load_bounds,
    load_spec,
    noise_shares,
    process_pool,
    run_sweep,
    sobol_indices,
)
from neocloud_abm.interface.plots import STATISTICS, indices_figure, parameter_name, save_figure
from neocloud_abm.outputs.provenance import short_commit

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "experiments" / "sobol_defaults_prices.toml"
STATISTICS_REPORTED = ("default_rate", "lender_loss_rate", "decline_24m")


def shown(path: Path) -> Path:
    """A path as the report shows it: relative to the repository where it lies inside it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def statistic_section(summary: pd.DataFrame, statistic: str, bounds: dict,
                      figures: Path) -> list[str]:
    """The indices of one statistic, its seed noise and its figure."""
    indices = sobol_indices(summary, statistic, bounds).sort_values("ST", ascending=False)
    noise = noise_shares(summary, statistic)
    title = STATISTICS[statistic].title
    stem = figures / f"sensitivity_{statistic}"
    save_figure(indices_figure(indices, statistic, noise_floor=noise["means"]), stem, ("png",))
    ok = summary[summary["status"] == "ok"][statistic]
    lines = [f"## {title} (`{statistic}`)", "",
             f"Over the runs: median {ok.median():.3g}, 5-95% {ok.quantile(0.05):.3g} to "
             f"{ok.quantile(0.95):.3g}. Seed noise is {noise['runs']:.0%} of a single run's "
             f"variance and {noise['means']:.0%} of the variance of the point means (averaged "
             f"over {noise['replications']:.0f} replications) from which the indices are "
             "estimated.", "",
             "| parameter | first order S1 (95% half-width) | total ST (95% half-width) | "
             "ST above the noise |", "|---|---:|---:|---:|"]
    lines += [f"| {parameter_name(str(name))} (`{name}`) | {row.S1:.2f} ({row.S1_conf:.2f}) | "
              f"{row.ST:.2f} ({row.ST_conf:.2f}) | {row.ST - noise['means']:.2f} |"
              for name, row in indices.iterrows()]
    lines += ["", f"Sum of first-order indices {indices['S1'].sum():.2f} (1 minus it: the "
              "share of the means' variance from interactions and the noise left in them). "
              "The noise left in the means enters every total index (changing one parameter "
              "also draws new seeds), so a parameter without any effect has ST near the "
              f"noise share of the means, {noise['means']:.2f}; the last column is what a "
              "parameter adds above that floor. First-order indices are not biased by the "
              "noise, only made less precise (a negative S1 is zero within its half-width).",
              "",
              f"![Sobol' indices of {title.lower()}](figures/{stem.name}.png)", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="processes for the sweep")
    parser.add_argument("--spec", type=Path, default=SPEC, help="a Sobol' experiment spec")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "sensitivity.md")
    args = parser.parse_args()
    spec = load_spec(args.spec)
    started = time.perf_counter()
    with process_pool(args.workers) as pool:
        report = run_sweep(spec, ROOT / "results", pool, max_in_flight=2 * args.workers)
    minutes = (time.perf_counter() - started) / 60
    folder = shown(report.folder)
    if not report.skipped:
        timing = f"the sweep took {minutes:.1f} minutes here"
    elif not report.ok:
        timing = f"its runs were all read from an earlier invocation's sweep folder, `{folder}`"
    else:
        timing = (f"{report.skipped} of its runs were read from an earlier invocation's sweep "
                  f"folder, `{folder}`, and {report.ok} run in {minutes:.1f} minutes")
    summary, bounds = report.summary, load_bounds(report.folder)
    runs = int(np.sum(summary["status"] == "ok"))
    spec_name = shown(args.spec)
    ranges = [f"| {parameter_name(name)} (`{name}`) | {low:g} | {high:g} |"
              for name, (low, high) in bounds.items()]
    lines = ["# Sensitivity", "",
             f"Written by `scripts/sensitivity_report.py` on {date.today().isoformat()} "
             f"from the model at commit {short_commit()} "
             f"({platform.machine()}, {args.workers} workers, Python "
             f"{platform.python_version()}, Mesa {mesa.__version__}); {timing}. "
             "Regenerate it with that command.", "",
             f"`{spec_name}`: a Saltelli design of {spec.samples} base samples over "
             f"{len(bounds)} parameters ({spec.samples} x ({len(bounds)} + 2) points), "
             f"{spec.replications} seeds at every point, {runs} runs of {spec.months} months of "
             f"the `{spec.scenario}` scenario. Sobol' indices (SALib, docs/model.md section 6.4) "
             "are estimated from the mean over each point's seeds; the 95% half-widths are "
             "SALib's bootstrap over the design, so they measure the design's sampling error, "
             "not the seeds'. The seeds' share is measured apart: the variance between a "
             "point's replications against the variance over all runs.", "",
             "| parameter | low | high |", "|---|---:|---:|", *ranges, ""]
    for statistic in STATISTICS_REPORTED:
        lines += statistic_section(summary, statistic, bounds, ROOT / "docs" / "figures")
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out} ({runs} runs)")


if __name__ == "__main__":
    main()
