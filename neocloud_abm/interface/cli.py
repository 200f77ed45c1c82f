"""The ``neocloud-abm`` command line."""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import sys
import textwrap
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pandas as pd

from neocloud_abm.core.errors import NeocloudError, ParameterError
from neocloud_abm.experiments.calibrate_command import add_calibrate_parser
from neocloud_abm.experiments.command import add_sweep_parser
from neocloud_abm.experiments.compaction import add_compact_parser
from neocloud_abm.experiments.store import atomic_write
from neocloud_abm.interface.plot_command import add_plot_parser
from neocloud_abm.interface.registry_table import plausible_text, registry_markdown
from neocloud_abm.interface.viz_command import add_viz_parser
from neocloud_abm.model import NeocloudMarket
from neocloud_abm.outputs.provenance import provenance
from neocloud_abm.outputs.summary import summarize
from neocloud_abm.parameters.params import parse_assignment
from neocloud_abm.parameters.registry import PARAMETERS
from neocloud_abm.parameters.scenarios import list_scenarios, load_scenario


def _money(value: float) -> str:
    return f"${value / 1e9:,.1f}bn" if abs(value) >= 1e8 else f"${value / 1e6:,.1f}m"


def format_summary(stats: dict, df: pd.DataFrame, label: str) -> str:
    """The run in a dozen lines: the boom, the bust, the build-out and the gap."""
    last = df.iloc[-1]
    lines = [
        f"neocloud-abm {label}: {df['date'].iloc[0]} to {df['date'].iloc[-1]} "
        f"({len(df)} months)",
        f"  spot price peak     ${stats['peak_price']:.2f}/H100e-h in {stats['peak_date']}",
        f"  trough after peak   ${stats['trough_price']:.2f}/H100e-h in {stats['trough_date']} "
        f"({stats['peak_to_trough']:.0%} below peak, {stats['months_peak_to_trough']} months; "
        f"{stats['decline_24m']:.0%} within 24 months)",
        f"  boom-bust cycles    {stats['cycles']}"
        + ("" if math.isnan(stats["cycle_period_months"])
           else f" (period {stats['cycle_period_months']:.0f} months)"),
        f"  installed capacity  {last['installed_h100e']:,.0f} H100e at the end "
        f"(max {stats['max_installed_h100e']:,.0f}); utilization {last['utilization']:.0%}",
        f"  max glut            {stats['max_glut']:.2f}x capacity over demand",
        f"  neocloud defaults   {stats['defaults']} ({stats['default_rate']:.0%} of firms)"
        + (f", first in {stats['first_default_date']}" if stats["first_default_date"] else "")
        + f"; largest cascade of failures: {stats['max_cascade_size']}",
        f"  revenue gap (max)   {_money(stats['max_revenue_gap_usd'])} a year",
        f"  debt (max)          {_money(stats['max_debt_usd'])}; max aggregate LTV "
        f"{stats['max_aggregate_ltv']:.2f}; lender losses {stats['lender_loss_rate']:.1%} of lending",
        f"  lenders             {stats['lender_failures']} failed; loans sold "
        f"{_money(stats['loans_sold_usd'])}; largest loss allowance "
        f"{_money(stats['max_provisions_usd'])}; redemptions "
        f"{_money(stats['fund_redemptions_usd'])}; books overlap "
        f"{df['lender_overlap'].mean():.2f} (syndicated {last['syndicated_debt_share']:.0%} of debt "
        "at the end)",
        f"  Nvidia              exposure up to {_money(stats['max_nvidia_exposure_usd'])} "
        f"(stakes and uncalled backstop); backstop called "
        f"{_money(stats['nvidia_backstop_called_usd'])}",
        f"  neocloud equity     max drawdown {stats['equity_max_drawdown']:.0%}; hedge funds "
        f"{_money(last['hedge_fund_capital_usd'])} at the end; "
        f"{stats['hedge_fund_margin_calls']} margin calls "
        f"({_money(stats['hedge_fund_forced_sales_usd'])} sold)",
        f"  neoclouds / startups active at the end: {int(last['neoclouds_active'])} / "
        f"{int(last['startups_active'])}",
    ]
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, print its summary and write the run folder: the month table
    (series.parquet, series.csv), the per-generation table (generations.parquet), the
    parameters, summary and provenance (run.json) and the anatomy figure (anatomy.png)."""
    params = load_scenario(args.scenario)
    overrides = dict(parse_assignment(text) for text in args.set or [])
    if args.months is not None:
        if overrides.get("market.months", args.months) != args.months:
            raise ParameterError(f"--months {args.months} and --set market.months="
                                 f"{overrides['market.months']} disagree; --months is market.months")
        overrides["market.months"] = args.months
    params = params.with_overrides(overrides)
    out = Path(args.out or f"runs/{params.name}-seed{args.seed}")
    writable_folder(out, "--out")
    model = NeocloudMarket(params, rng=args.seed).run()
    df = model.results()
    generations = model.generation_results()
    stats = summarize(df)
    _write_parquet(out / "series.parquet", df)
    atomic_write(out / "series.csv", lambda handle: handle.write(df.to_csv(index=False).encode()))
    _write_parquet(out / "generations.parquet", generations)
    meta = {"scenario": params.name, "seed": args.seed, "months": len(df),
            "overrides": overrides, "parameters": params.to_dict(),
            "shocks": [vars(s) | {"set": dict(s.set)} for s in params.shocks], "summary": stats,
            "provenance": provenance()}
    atomic_write(out / "run.json",
                 lambda handle: handle.write(json.dumps(meta, indent=2, default=str).encode()))
    from neocloud_abm.interface.plots import run_figure

    figure = run_figure(df, generations, title=f"{params.name}, seed {args.seed}")
    atomic_write(out / "anatomy.png", lambda handle: figure.savefig(handle, format="png", dpi=150))
    print(format_summary(stats, df, f"{params.name} (seed {args.seed})"))
    print(f"  wrote {out}/series.parquet, series.csv, generations.parquet, run.json, anatomy.png")
    return 0


def _write_parquet(path: Path, table: pd.DataFrame) -> None:
    """``table`` to ``path`` atomically, so an interrupted run never leaves a partial file."""
    atomic_write(path, lambda handle: table.to_parquet(handle, index=False))


def writable_folder(folder: Path, option: str) -> None:
    """Create ``folder`` and prove it can be written, before any work is done, so a bad
    output path costs a one-line error rather than a finished simulation."""
    if folder.exists() and not folder.is_dir():
        raise NeocloudError(f"{option} {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise NeocloudError(f"{option} {folder} cannot be written: {exc.strerror or exc}") from None


def cmd_scenarios(args: argparse.Namespace) -> int:
    for name, description in list_scenarios().items():
        print(textwrap.fill(description, width=100, initial_indent=f"{name:20s} ",
                            subsequent_indent=" " * 21))
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    groups = list(dict.fromkeys(name.split(".")[0] for name in PARAMETERS))
    if args.group and args.group not in groups:
        close = difflib.get_close_matches(args.group, groups, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ParameterError(f"--group {args.group!r} is not a parameter group: {hint}groups are "
                             + ", ".join(groups))
    if args.format == "markdown":
        if args.scenario:
            raise ParameterError("--format markdown prints the registry's defaults (the tables of "
                                 "docs/model.md, Appendix A); leave out --scenario")
        print(registry_markdown(args.group), end="")
        return 0
    values = load_scenario(args.scenario).to_dict() if args.scenario else None
    rows = []
    for name, spec in PARAMETERS.items():
        if args.group and not name.startswith(args.group + "."):
            continue
        value = values[name] if values else spec.default
        numeric = spec.kind in ("float", "int")
        bounds = f"[{spec.low:g}, {spec.high:g}]" if numeric else spec.allowed()
        plausible = plausible_text(spec)
        rows.append((name, _short(value), spec.unit, bounds, plausible, spec.source,
                     spec.plausible_source, spec.doc))
    columns = ["name", "value", "unit", "bounds", "plausible", "source", "plausible_source",
               "meaning"]
    if args.format == "csv":
        pd.DataFrame(rows, columns=columns).to_csv(sys.stdout, index=False)
        return 0
    for name, value, unit, bounds, plausible, source, plausible_source, doc in rows:
        print(f"{name}  =  {value}   [{unit}]   allowed {bounds}"
              + (f"   plausible {plausible}" if plausible else ""))
        print(f"    {doc}. Source: {source}"
              + (f". Plausible range: {plausible_source}" if plausible_source else ""))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from neocloud_abm.outputs.validation import validate

    if args.figure:
        writable_folder(Path(args.figure).parent, "--figure")
    baseline_runs: list[pd.DataFrame] | None = [] if args.figure else None
    table = validate(seeds=args.seeds, baseline_runs=baseline_runs)
    print(f"neocloud-abm validate: targets vs simulated (median and range over {args.seeds} seeds)")
    for row in table.itertuples():
        print(f"  [{'ok' if row.holds else 'MISS':>4}] {row.fact:5s} {row.description}")
        print(f"         target {row.target}; simulated {row.median:.3g} {row.unit} "
              f"({row.low:.3g} to {row.high:.3g})")
    met = int(table["holds"].sum())
    print(f"  {met} of {len(table)} facts met")
    if args.figure:
        from neocloud_abm.interface.plots import observed_figure, save_figure
        from neocloud_abm.outputs.observations import load_observations

        figure = observed_figure(baseline_runs, load_observations(),
                                 title="Baseline against observed data")
        for path in save_figure(figure, Path(args.figure).with_suffix("")):
            print(f"  wrote {path}")
    return 0 if met == len(table) else 1


def cmd_moments(args: argparse.Namespace) -> int:
    """Moments of the observed data next to the same moments of the model over seeds, and
    the distance between them."""
    from neocloud_abm.outputs.moments import distance, moment_table, simulate_runs
    from neocloud_abm.outputs.observations import load_observations

    observed = load_observations(args.file)
    params = load_scenario(args.scenario).with_overrides(
        dict(parse_assignment(text) for text in args.set or []))
    table = moment_table(simulate_runs(params, args.seeds), observed)
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
        return 0
    print(f"neocloud-abm moments: {params.name} over {args.seeds} seeds against the observed data")
    for row in table.itertuples():
        print(f"  {row.moment:26s} observed {row.observed:9.3g} (se {row.se:.2g})  simulated "
              f"{row.simulated:9.3g} ({row.low:.3g} to {row.high:.3g})  z {row.z:+6.1f}  {row.unit}")
    print(f"  distance (sum of z squared over {len(table)} moments): {distance(table):.1f}")
    return 0


def cmd_observations(args: argparse.Namespace) -> int:
    """The observed data: one line per series, or one series' rows with their sources."""
    from neocloud_abm.outputs.observations import load_observations, series_summary

    frame = load_observations(args.file)
    if args.series is None:
        summary = series_summary(frame)
        if args.format == "csv":
            summary.to_csv(sys.stdout, index=False)
        else:
            print(summary.to_string(index=False))
        return 0
    rows = frame[frame["series"] == args.series]
    if rows.empty:
        known = sorted(set(frame["series"]))
        close = difflib.get_close_matches(args.series, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise NeocloudError(f"--series {args.series!r} has no observations: {hint}series are "
                            + ", ".join(known))
    if args.format == "csv":
        rows.to_csv(sys.stdout, index=False)
        return 0
    for row in rows.itertuples():
        print(f"{row.date}  {row.value:,.6g} {row.unit}")
        print(textwrap.fill(f"{row.note.rstrip('.')}. Source: {row.source}", width=100, initial_indent="    ",
                            subsequent_indent="    "))
    return 0


def _short(value: object) -> str:
    if isinstance(value, tuple):
        return "; ".join(f"{d} {v:g}" for d, v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neocloud-abm", description=(
        "Agent-based model of the debt-financed market for rented AI compute."))
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario; print a summary, write series and figure")
    run.add_argument("--scenario", default="baseline", help="built-in name or path to a .toml")
    run.add_argument("--seed", type=_seed, default=42, help="random seed, an integer >= 0 "
                     "(default 42)")
    run.add_argument("--months", type=_whole("--months", 1, 600), default=None,
                     help="months to simulate: sets market.months (default: the scenario's)")
    run.add_argument("--set", action="append", metavar="NAME=VALUE",
                     help="override a parameter, e.g. --set neoclouds.competition_neglect=1")
    run.add_argument("--out", help="output folder (default runs/<scenario>-seed<seed>)")
    run.set_defaults(func=cmd_run)

    scenarios = sub.add_parser("scenarios", help="list the built-in scenarios")
    scenarios.set_defaults(func=cmd_scenarios)

    params = sub.add_parser("params", help="every parameter with default, unit, bounds, source")
    params.add_argument("--scenario", help="show this scenario's values instead of defaults")
    params.add_argument("--group", help="only this group, e.g. neoclouds")
    params.add_argument("--format", choices=("text", "csv", "markdown"), default="text")
    params.set_defaults(func=cmd_params)

    validate = sub.add_parser("validate", help="the facts the model must reproduce: target vs "
                              "simulated over seeds")
    validate.add_argument("--seeds", type=_whole("--seeds", 1, 1000), default=20,
                          help="seeds (default 20)")
    validate.add_argument("--figure", metavar="PATH", help="also draw the baseline's spread "
                          "across seeds against the observed data (PATH.png and PATH.svg)")
    validate.set_defaults(func=cmd_validate)

    observations = sub.add_parser("observations", help="the observed data the model is compared "
                                  "with, each number with its source")
    observations.add_argument("--series", help="list this series' observations (default: one "
                              "line per series)")
    observations.add_argument("--file", help="another observations CSV (default: the package's)")
    observations.add_argument("--format", choices=("text", "csv"), default="text")
    observations.set_defaults(func=cmd_observations)

    moments = sub.add_parser("moments", help="moments of the observed data against the same "
                             "moments of the model over seeds")
    moments.add_argument("--scenario", default="baseline", help="built-in name or path to a .toml")
    moments.add_argument("--seeds", type=_whole("--seeds", 2, 1000), default=20,
                         help="seeds (default 20)")
    moments.add_argument("--set", action="append", metavar="NAME=VALUE",
                         help="override a parameter, e.g. --set nvidia.capacity_response=2")
    moments.add_argument("--file", help="another observations CSV (default: the package's)")
    moments.add_argument("--format", choices=("text", "csv"), default="text")
    moments.set_defaults(func=cmd_moments)

    add_sweep_parser(sub)
    add_calibrate_parser(sub)
    add_compact_parser(sub)
    add_plot_parser(sub)
    add_viz_parser(sub)
    return parser


def _whole(option: str, low: int, high: int):
    """An argparse type for a whole number in [low, high], named in its error message."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} {text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{option} {value} is out of range: allowed {low}..{high}")
        return value
    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed {text!r} is not allowed: expected an integer >= 0")
    return value


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line each, like errors, without the source location."""
    print(f"neocloud-abm: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        return args.func(args)
    except NeocloudError as exc:
        print(f"neocloud-abm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("neocloud-abm: interrupted; files already written are complete", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`neocloud-abm params | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    finally:
        warnings.showwarning = previous


def entry() -> NoReturn:
    """The console script and ``python -m neocloud_abm``: :func:`main`, exiting with its
    status. A stopped command (Ctrl-C, SIGTERM) has saved its work and stopped its workers by
    then, so it leaves at once rather than wait on the process pool's threads at interpreter
    exit, which hung once in CI under Python 3.12.1 after a terminated sweep."""
    code = main()
    if code in (130, 143):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
