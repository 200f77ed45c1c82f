"""Matplotlib figures of model runs.

The run-anatomy figure is a grid of panels, one function per panel, registered in
``PANELS``. A panel is drawn only when the run has at least one of the columns it needs, so
panels for outputs that a model version does not produce yet (credit, equity) are skipped
rather than drawn empty; adding a panel is one function and one ``Panel`` entry.

Figures are built on ``matplotlib.figure.Figure`` rather than pyplot: nothing touches the
global backend or figure registry, so the module is safe in headless runs, worker
processes and notebooks alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

from neocloud_abm.markets.rental import HOURS_PER_MONTH

INDEX_COLUMNS = ("spot_price_h100e",)  # spot_price_* columns that are not generations

# Style shared by every figure: sized for a page-wide figure that stays legible when a
# paper scales it down to ~7 inches.
STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.fontsize": 8.5,
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "legend.edgecolor": "none",
    "lines.linewidth": 1.6,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "savefig.dpi": 150,
}
GENERATION_COLORS = mpl.colormaps["tab10"].colors
RELEASE_LINE = {"color": "0.45", "linewidth": 0.7, "linestyle": ":", "zorder": 0}
TWIN_COLOR = "0.25"


@dataclass(frozen=True)
class Panel:
    """One panel of the run figure: drawn when the run has any of ``columns``, or any
    non-zero per-generation column ``<generation_prefix>_<gen>``."""

    key: str
    title: str
    draw: Callable[[Axes, RunData], None]
    columns: tuple[str, ...] = ()
    generation_prefix: str = ""

    def available(self, df: pd.DataFrame) -> bool:
        if self.generation_prefix:
            return bool(generations(df, self.generation_prefix))
        return any(column in df.columns for column in self.columns)


@dataclass(frozen=True)
class RunData:
    """A run's table with the derived pieces every panel needs, computed once."""

    df: pd.DataFrame
    dates: pd.DatetimeIndex
    colors: dict[str, tuple[float, float, float]]

    @classmethod
    def of(cls, df: pd.DataFrame) -> RunData:
        names = generation_names(df)
        colors = {g: GENERATION_COLORS[i % len(GENERATION_COLORS)] for i, g in enumerate(names)}
        return cls(df.reset_index(drop=True), run_dates(df), colors)

    def has(self, column: str) -> bool:
        return column in self.df.columns

    def line(self, ax: Axes, column: str, label: str, scale: float = 1.0, **style) -> None:
        """Plot ``column / scale`` if the run has it."""
        if self.has(column):
            ax.plot(self.dates, self.df[column].to_numpy(float) / scale, label=label, **style)


# ----------------------------------------------------------------------------- helpers

def run_dates(df: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.to_datetime(df["date"].astype(str).to_numpy(), format="%Y-%m")


def generation_names(df: pd.DataFrame) -> list[str]:
    """Generation names in column order, from the ``spot_price_<gen>`` or ``gpu_value_<gen>``
    columns, so each generation keeps one colour in every panel."""
    names: list[str] = []
    for column in df.columns:
        for prefix in ("spot_price_", "gpu_value_"):
            if column.startswith(prefix) and column not in INDEX_COLUMNS:
                name = column.removeprefix(prefix)
                if name not in names:
                    names.append(name)
    return names


def generations(df: pd.DataFrame, prefix: str) -> list[str]:
    """Generations whose ``<prefix>_<gen>`` column is non-zero at least once; all-zero ones
    (never released within the run) are left out of plots and legends."""
    return [g for g in generation_names(df)
            if f"{prefix}_{g}" in df.columns and (df[f"{prefix}_{g}"].to_numpy(float) > 0).any()]


def generation_releases(df: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Release month of each generation: the first month its spot price is positive.
    A generation already on the market in the first month has no release in the run."""
    dates = run_dates(df)
    releases = {}
    for g in generations(df, "spot_price"):
        first = int(np.argmax(df[f"spot_price_{g}"].to_numpy(float) > 0))
        if first > 0:
            releases[g] = dates[first]
    return releases


def generation_label(name: str) -> str:
    """'h100' -> 'H100', 'rubin' -> 'Rubin': chip model numbers upper case, names capitalised."""
    return name.upper() if re.fullmatch(r"[a-z]\d+", name) else name.capitalize()


def masked(values: pd.Series) -> np.ndarray:
    """Zeros (generation not on the market) as NaN, so lines show gaps instead of drops."""
    array = values.to_numpy(float)
    return np.where(array > 0, array, np.nan)


def human(value: float, prefix: str = "") -> str:
    """Compact number for tick labels: 12k, 3.4M, $1.2bn."""
    magnitude = abs(value)
    for threshold, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if magnitude >= threshold:
            return f"{'-' if value < 0 else ''}{prefix}{magnitude / threshold:.3g}{suffix}"
    text = f"{magnitude:.3g}" if magnitude else "0"
    return f"{'-' if value < 0 else ''}{prefix}{text}"


COUNT = FuncFormatter(lambda x, _: human(x))
DOLLARS = FuncFormatter(lambda x, _: human(x, "$"))
PRICE = FuncFormatter(lambda x, _: f"${x:g}")


def twin(ax: Axes, label: str) -> Axes:
    """Right-hand axis for a series in other units, drawn in a neutral dark colour and dashed
    so it reads as secondary; it shares the main axis' legend."""
    right = ax.twinx()
    right.set_ylabel(label, color=TWIN_COLOR)
    right.tick_params(axis="y", colors=TWIN_COLOR)
    right.grid(False)
    right.spines["right"].set_visible(True)
    return right


def legend(ax: Axes, *axes: Axes) -> None:
    """One legend for a panel and its twin axes, under the axes so it never hides data."""
    handles, labels = [], []
    for each in (ax, *axes):
        h, lab = each.get_legend_handles_labels()
        handles += h
        labels += lab
    if handles:
        # borderaxespad is in legend font sizes: enough to clear the date tick labels.
        (axes[-1] if axes else ax).legend(handles, labels, loc="upper center",
                                          bbox_to_anchor=(0.5, 0.0), borderaxespad=2.3,
                                          ncol=min(len(handles), 3))


def mark_releases(ax: Axes, releases: dict[str, pd.Timestamp], labelled: bool) -> None:
    """Thin vertical line at each generation release; names on a top axis when
    ``labelled``, where they cannot collide with the data."""
    for date in releases.values():
        ax.axvline(date, **RELEASE_LINE)
    if labelled and releases:
        top = ax.secondary_xaxis("top")
        top.set_xticks(mdates.date2num(list(releases.values())),
                       labels=[generation_label(g) for g in releases])
        top.tick_params(axis="x", labelsize=8, colors="0.35", length=2, pad=1)
        top.spines["top"].set_visible(False)


def format_dates(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def positive_floor(ax: Axes) -> None:
    """Start quantities that cannot be negative at zero, so levels compare by eye."""
    ax.set_ylim(bottom=0)


# ------------------------------------------------------------------------------ panels

def draw_generation_prices(ax: Axes, run: RunData) -> None:
    prices = {g: masked(run.df[f"spot_price_{g}"]) for g in generations(run.df, "spot_price")}
    for g, price in prices.items():
        ax.plot(run.dates, price, color=run.colors[g])
    values = np.concatenate(list(prices.values()))
    # Generations' prices differ by their performance; a log axis keeps the old ones
    # readable once newer ones cost ten times more.
    if np.nanmax(values) > 10 * np.nanmin(values):
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("$ per GPU-hour (log scale)")
    else:
        positive_floor(ax)
        ax.set_ylabel("$ per GPU-hour")
    ax.yaxis.set_major_formatter(PRICE)


def draw_price_index(ax: Axes, run: RunData) -> None:
    run.line(ax, "spot_price_h100e", "Spot index", color="C0")
    run.line(ax, "contract_price_h100e", "New contracts", color="C1")
    run.line(ax, "hyperscaler_price_h100e", "Hyperscalers", color="0.5",
             linestyle="--", linewidth=1.2)
    ax.yaxis.set_major_formatter(PRICE)
    ax.set_ylabel("$ per H100e-hour")
    positive_floor(ax)
    legend(ax)


def draw_capacity(ax: Axes, run: RunData) -> None:
    run.line(ax, "installed_h100e", "Installed", color="C0")
    run.line(ax, "demand_h100e_hours", "Demanded", HOURS_PER_MONTH, color="C3")
    run.line(ax, "sold_h100e_hours", "Rented", HOURS_PER_MONTH, color="C2")
    ax.yaxis.set_major_formatter(COUNT)
    ax.set_ylabel("H100e (hours / 730)")
    positive_floor(ax)
    twins = []
    if run.has("utilization"):
        right = twin(ax, "Utilization")
        run.line(right, "utilization", "Utilization (right)", color=TWIN_COLOR, linestyle="--",
                 linewidth=1.0)
        right.set_ylim(0, 1.05)
        right.yaxis.set_major_formatter(PercentFormatter(1.0))
        twins.append(right)
    legend(ax, *twins)


def draw_backlog(ax: Axes, run: RunData) -> None:
    run.line(ax, "backlog_h100e", "Backlog", color="C4")
    if run.has("deliveries_h100e"):
        ax.bar(run.dates, run.df["deliveries_h100e"].to_numpy(float), width=25, color="C2",
               alpha=0.6, label="Deliveries per month")
    ax.yaxis.set_major_formatter(COUNT)
    ax.set_ylabel("H100e")
    positive_floor(ax)
    twins = []
    if run.has("nvidia_lead_time_months"):
        right = twin(ax, "Lead time (months)")
        run.line(right, "nvidia_lead_time_months", "Nvidia lead time (right)", color=TWIN_COLOR,
                 linestyle="--", linewidth=1.0)
        right.set_ylim(bottom=0)
        twins.append(right)
    legend(ax, *twins)


def draw_gpu_values(ax: Axes, run: RunData) -> None:
    for g in generations(run.df, "gpu_value"):
        ax.plot(run.dates, masked(run.df[f"gpu_value_{g}"]), color=run.colors[g])
    ax.yaxis.set_major_formatter(DOLLARS)
    ax.set_ylabel("$ per GPU")
    positive_floor(ax)


def draw_neoclouds(ax: Axes, run: RunData) -> None:
    steps = {"drawstyle": "steps-post"}
    run.line(ax, "neoclouds_active", "Active", color="C0", **steps)
    if run.has("neocloud_entries"):
        ax.plot(run.dates, run.df["neocloud_entries"].cumsum().to_numpy(float),
                label="Entries (cumulative)", color="C2", **steps)
    run.line(ax, "neocloud_defaults_cum", "Defaults (cumulative)", color="C3", **steps)
    ax.yaxis.set_major_formatter(COUNT)
    ax.set_ylabel("Neoclouds")
    positive_floor(ax)
    legend(ax)


def draw_revenue_gap(ax: Axes, run: RunData) -> None:
    if run.has("revenue_gap_usd"):
        gap = run.df["revenue_gap_usd"].to_numpy(float) / 1e9
        ax.plot(run.dates, gap, color="C3", label="Revenue gap (annualised)")
        ax.fill_between(run.dates, gap, 0, where=gap > 0, color="C3", alpha=0.15,
                        interpolate=True)
        ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_ylabel("$bn per year")
    twins = []
    if run.has("sentiment"):
        right = twin(ax, "Sentiment (index)")
        run.line(right, "sentiment", "Sentiment (right)", color=TWIN_COLOR, linestyle="--",
                 linewidth=1.0)
        twins.append(right)
    legend(ax, *twins)


def draw_credit(ax: Axes, run: RunData) -> None:
    run.line(ax, "debt_outstanding_usd", "Debt outstanding", 1e9, color="C0")
    run.line(ax, "lender_losses_cum_usd", "Lender losses (cumulative)", 1e9, color="C3")
    ax.set_ylabel("$bn")
    positive_floor(ax)
    twins = []
    if run.has("aggregate_ltv"):
        right = twin(ax, "Loan-to-value")
        run.line(right, "aggregate_ltv", "Aggregate LTV (right)", color=TWIN_COLOR,
                 linestyle="--", linewidth=1.0)
        right.set_ylim(bottom=0)
        right.yaxis.set_major_formatter(PercentFormatter(1.0))
        twins.append(right)
    legend(ax, *twins)


def draw_equity(ax: Axes, run: RunData) -> None:
    run.line(ax, "neocloud_equity_index", "Neocloud equity index", color="C0")
    ax.set_ylabel("Index")
    positive_floor(ax)
    twins = []
    if run.has("short_interest"):
        right = twin(ax, "Short interest (% of float)")
        run.line(right, "short_interest", "Short interest (right)", color=TWIN_COLOR,
                 linestyle="--", linewidth=1.0)
        right.set_ylim(bottom=0)
        right.yaxis.set_major_formatter(PercentFormatter(1.0))
        twins.append(right)
    legend(ax, *twins)


# Panels in reading order (row by row, two per row). Extend this list to add panels.
PANELS: list[Panel] = [
    Panel("generation_prices", "Spot rental price by generation", draw_generation_prices,
          generation_prefix="spot_price"),
    Panel("price_index", "Perf-adjusted price", draw_price_index,
          ("spot_price_h100e", "contract_price_h100e")),
    Panel("capacity", "Neocloud capacity vs demand", draw_capacity,
          ("installed_h100e", "demand_h100e_hours", "sold_h100e_hours")),
    Panel("backlog", "Nvidia order backlog and deliveries", draw_backlog,
          ("backlog_h100e", "deliveries_h100e", "nvidia_lead_time_months")),
    Panel("gpu_values", "Secondary-market value of a GPU", draw_gpu_values,
          generation_prefix="gpu_value"),
    Panel("neoclouds", "Neocloud entries and defaults", draw_neoclouds,
          ("neoclouds_active", "neocloud_entries", "neocloud_defaults_cum")),
    Panel("revenue_gap", "Revenue gap (Sequoia arithmetic)", draw_revenue_gap,
          ("revenue_gap_usd",)),
    Panel("credit", "Credit: debt, collateral cover, losses", draw_credit,
          ("debt_outstanding_usd", "aggregate_ltv", "lender_losses_cum_usd")),
    Panel("equity", "Neocloud equity and short interest", draw_equity,
          ("neocloud_equity_index", "short_interest")),
]


# ----------------------------------------------------------------------------- figures

def generation_legend(fig: Figure, run: RunData) -> None:
    """One colour key for every per-generation panel, at the foot of the figure (the top
    belongs to the title)."""
    shown = [g for g in run.colors
             if any(g in generations(run.df, prefix) for prefix in ("spot_price", "gpu_value"))]
    if shown:
        handles = [Line2D([], [], color=run.colors[g]) for g in shown]
        fig.legend(handles, [generation_label(g) for g in shown], loc="outside lower center",
                   ncol=len(shown), title="GPU generation (vertical lines: releases)",
                   title_fontsize=9, fontsize=9)


def panels_for(df: pd.DataFrame, panels: Iterable[Panel] = PANELS) -> list[Panel]:
    """The panels a run's columns allow, in figure order."""
    return [panel for panel in panels if panel.available(df)]


def run_figure(df: pd.DataFrame, title: str = "", columns: int = 2) -> Figure:
    """The run-anatomy figure: one panel per available group of outputs, generation
    releases marked on every panel. Returned unsaved, for notebooks and further edits."""
    if "date" not in df.columns or df.empty:
        raise ValueError("plot needs a non-empty run table with a 'date' column")
    run = RunData.of(df)
    panels = panels_for(df)
    if not panels:
        raise ValueError("run table has none of the columns any panel plots")
    releases = generation_releases(df)
    rows = math.ceil(len(panels) / columns)
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(5.6 * columns, 3.1 * rows + (0.4 if title else 0.0)),
                     layout="constrained")
        axes = fig.subplots(rows, columns, sharex=True, squeeze=False).ravel()
        for i, (ax, panel) in enumerate(zip(axes, panels, strict=False)):
            mark_releases(ax, releases, labelled=i < columns)
            panel.draw(ax, run)
            ax.set_title(f"({chr(ord('a') + i)}) {panel.title}")
            format_dates(ax)
            ax.tick_params(axis="x", labelbottom=True)
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        generation_legend(fig, run)
        if title:
            fig.suptitle(title, fontsize=13, fontweight="bold")
    return fig


def plot_run(df: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Write the run-anatomy figure; the format follows the suffix (.png, .svg, .pdf; PNG if
    there is none). Returns the path written."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = run_figure(df, title)
    with mpl.rc_context(STYLE):
        fig.savefig(path)
    return path


__all__ = ["PANELS", "Panel", "generation_releases", "generations", "panels_for", "plot_run",
           "run_figure"]
