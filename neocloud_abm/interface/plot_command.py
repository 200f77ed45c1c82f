"""``neocloud-abm plot DIR``: the right figures for a run folder or a sweep folder.

A run folder (``neocloud-abm run``) holds ``series.parquet`` (the month table),
``generations.parquet`` (the per-generation table) and ``run.json``; a sweep
folder holds ``summary.parquet``, ``spec.json`` and one Parquet per run under ``runs/``.
What is drawn follows from what the folder holds, so the command needs no options: a
two-parameter grid gets heatmaps, every parameter a response plot, a Sobol' or Morris design
its indices, and the runs' series fan charts by design point.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.interface import plots
from neocloud_abm.parameters.registry import parameter_label

FIGURES = "figures"
GENERATIONS = "generations.parquet"
MAX_FAN_POINTS = 4  # scenarios on one fan chart stay distinguishable up to about four
MAX_RESPONSE_PARAMETERS = 6


def add_plot_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``plot DIR`` on the command line's subparsers."""
    parser = subparsers.add_parser(
        "plot", help="draw the figures of a run or sweep folder into DIR/figures (PNG and SVG)")
    parser.add_argument("folder", metavar="DIR",
                        help="a folder written by 'neocloud-abm run' or 'neocloud-abm sweep'")
    parser.set_defaults(func=plot_command)
    return parser


def plot_command(args: argparse.Namespace) -> int:
    """Draw and write the folder's figures; print what was written."""
    folder = Path(args.folder)
    written = plot_folder(folder)
    print(f"wrote {len(written)} files to {folder / FIGURES}: "
          + ", ".join(sorted({p.stem for p in written})))
    return 0


def plot_folder(folder: Path) -> list[Path]:
    """Figures for ``folder`` as PNG and SVG under ``folder/figures``; the paths written.
    The folder's kind and the output folder are checked before anything is drawn."""
    if (folder / "series.parquet").is_file():
        require_generations(folder)
        draw = run_figures
    elif (folder / "summary.parquet").is_file():
        draw = sweep_figures
    elif not folder.exists():
        raise NeocloudError(f"{folder} does not exist")
    else:
        raise NeocloudError(
            f"{folder} is neither a run folder (series.parquet, from 'neocloud-abm run') nor a "
            "sweep folder (summary.parquet, from 'neocloud-abm sweep')")
    output = writable_folder(folder / FIGURES)
    paths = []
    for name, fig in draw(folder).items():
        paths += plots.save_figure(fig, output / name)
    return paths


def writable_folder(path: Path) -> Path:
    """``path``, created if needed, once a file could be written in it: a failure is a
    one-line error before minutes of drawing, not a traceback after them."""
    if path.exists() and not path.is_dir():
        raise NeocloudError(f"cannot write figures to {path}: it exists and is not a folder")
    try:
        path.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as error:
        raise NeocloudError(f"cannot write figures to {path}: {error.strerror}") from error
    return path


def require_generations(folder: Path) -> None:
    """A run folder written before runs kept their per-generation table cannot be drawn:
    recovering the table from the month table's column names is the guessing the table
    replaced, so the user is told to re-run instead."""
    if not (folder / GENERATIONS).is_file():
        raise NeocloudError(f"{folder} predates {GENERATIONS} (the per-generation series the run "
                            "figures need): re-run 'neocloud-abm run' to write it")


def run_figures(folder: Path) -> dict[str, Figure]:
    """The anatomy and phase figures of a run folder."""
    df = pd.read_parquet(folder / "series.parquet")
    generations = pd.read_parquet(folder / GENERATIONS)
    meta_path = folder / "run.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    title = f"{meta.get('scenario', folder.name)}, seed {meta.get('seed', '?')}"
    return {"anatomy": plots.run_figure(df, generations, title),
            "phase": plots.phase_figure(df, generations, title)}


def sweep_figures(folder: Path) -> dict[str, Figure]:
    summary = pd.read_parquet(folder / "summary.parquet")
    spec = json.loads((folder / "spec.json").read_text()) if (folder / "spec.json").is_file() else {}
    name = spec.get("name", folder.name)
    kind = spec.get("design", {}).get("kind", "grid")
    ok = plots.successful(summary)
    if ok.empty:
        raise NeocloudError(f"{folder}: no successful run to plot "
                            f"({len(summary)} runs, all failed)")
    parameters = [p for p in plots.parameter_columns(summary) if ok[p].nunique() > 1]
    statistics = plots.numeric_statistics(summary)
    figures: dict[str, Figure] = {}
    if statistics and kind == "grid" and len(parameters) >= 2:
        x, y = parameters[:2]
        figures["heatmap"] = plots.heatmap_figure(summary, statistics, x, y,
                                                  f"{name}: median over replications")
    if statistics:
        for parameter in parameters[:MAX_RESPONSE_PARAMETERS]:
            leaf = parameter.rpartition(".")[2]
            figures[f"response_{leaf}"] = plots.response_figure(
                summary, statistics, parameter, f"{name}: statistics against {parameter_label(parameter)}")
    if kind in ("sobol", "morris"):
        figures |= indices_figures(folder, summary, statistics, kind, name)
    fans, total = design_point_runs(folder, summary, parameters)
    if fans:
        note = (f"{len(fans)} of {total} design points, evenly spread over the design"
                if len(fans) < total else "")
        figures["fan"] = plots.fan_figure(fans, title=f"{name}: runs by design point", note=note)
    return figures


def indices_figures(folder: Path, summary: pd.DataFrame, statistics: list[str], kind: str,
                    name: str) -> dict[str, Figure]:
    """One bar chart of Sobol' or Morris indices per statistic (SALib, via the runner's
    analysis module); a Sobol' design replicated over seeds shows its seed-noise floor."""
    from neocloud_abm.experiments import analysis

    bounds = analysis.load_bounds(folder)
    estimate = analysis.sobol_indices if kind == "sobol" else analysis.morris_indices

    def noise_floor(stat: str) -> float | None:
        if kind != "sobol":
            return None
        try:
            return float(analysis.noise_shares(summary, stat)["means"])
        except NeocloudError:  # fewer than two replications somewhere: no floor to draw
            return None

    return {f"{kind}_{stat}": plots.indices_figure(estimate(summary, stat, bounds), stat,
                                                   f"{name}: {kind} sensitivity",
                                                   noise_floor(stat))
            for stat in statistics}


def point_runs(folder: Path, summary: pd.DataFrame,
               parameters: list[str]) -> dict[str, list[pd.DataFrame]]:
    """The runs' monthly series grouped by design point, for at most ``MAX_FAN_POINTS``
    points spread evenly over the design (all of them when there are that few)."""
    return design_point_runs(folder, summary, parameters)[0]


def design_point_runs(folder: Path, summary: pd.DataFrame,
                      parameters: list[str]) -> tuple[dict[str, list[pd.DataFrame]], int]:
    """:func:`point_runs` and the number of design points it chose from, which a figure
    showing only some of them must state."""
    files = sorted((folder / "runs").glob("*.parquet"))
    if not files:
        return {}, 0
    by_point: dict[int, list[pd.DataFrame]] = {}
    for frame in (pd.read_parquet(path) for path in files):
        by_point.setdefault(int(frame["point"].iloc[0]), []).append(frame)
    points = sorted(by_point)
    if len(points) > MAX_FAN_POINTS:
        step = (len(points) - 1) / (MAX_FAN_POINTS - 1)
        points = [points[round(i * step)] for i in range(MAX_FAN_POINTS)]
    values = summary.groupby("point")[parameters].first() if parameters else None

    def label(point: int) -> str:
        if values is None:
            return "all runs"
        return ", ".join(plots.parameter_value(p, values.loc[point, p]) for p in parameters)

    return {label(p): by_point[p] for p in points}, len(by_point)
