"""Matplotlib figures of model runs.

The run-anatomy figure is a grid of panels, one function per panel, registered in
``PANELS``. A panel is drawn only when the run has at least one of the columns it needs, so
panels for outputs that a model version does not produce yet (credit, equity) are skipped
rather than drawn empty; adding a panel is one function and one ``Panel`` entry.

Per-generation series (prices, GPU values) and release months are read from the run's
per-generation table (``NeocloudMarket.generation_results()``: date, generation, variable,
value), never from the month table's column names, so no aggregate column can pass for a
generation and each generation's name comes from the model itself.

Figures are built on ``matplotlib.figure.Figure`` rather than pyplot: nothing touches the
global backend or figure registry, so the module is safe in headless runs, worker
processes and notebooks alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as DrawnPath
from matplotlib.text import Text
from matplotlib.textpath import TextPath
from matplotlib.ticker import Formatter, LogLocator, MaxNLocator, NullFormatter
from matplotlib.transforms import Bbox

from neocloud_abm.core.units import HOURS_PER_MONTH
from neocloud_abm.outputs.observations import in_months
from neocloud_abm.parameters.registry import PARAMETERS, parameter_label

# Columns of the per-generation table: one row per month, generation and variable.
GENERATION_TABLE_COLUMNS = ("date", "generation", "variable", "value")

# Style shared by every figure: sized for a page-wide figure that stays legible when a
# paper scales it down to ~7 inches.
STYLE = MappingProxyType({
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
})
GENERATION_COLORS = mpl.colormaps["tab10"].colors
RELEASE_LINE = MappingProxyType({"color": "0.45", "linewidth": 0.7, "linestyle": ":", "zorder": 0})
TWIN_COLOR = "0.25"
WIDE_RANGE = 100.0  # positive values spanning more than this ratio get a log axis


@dataclass(frozen=True)
class Panel:
    """One panel of the run figure: drawn when the run has any of ``columns``, or, for a
    per-generation panel, when some generation has a positive ``variable`` (a variable of
    the per-generation table: price, value, installed, utilization) in some month."""

    key: str
    title: str
    draw: Callable[[Axes, RunData], None]
    columns: tuple[str, ...] = ()
    variable: str = ""

    def available(self, df: pd.DataFrame, generations: pd.DataFrame) -> bool:
        if self.variable:
            return not generation_series(generations, self.variable).columns.empty
        return any(column in df.columns for column in self.columns)


@dataclass(frozen=True)
class RunData:
    """A run's month table and per-generation table with the derived pieces every panel
    needs, computed once."""

    df: pd.DataFrame
    generations: pd.DataFrame
    dates: pd.DatetimeIndex
    colors: dict[str, tuple[float, float, float]]

    @classmethod
    def of(cls, df: pd.DataFrame, generations: pd.DataFrame) -> RunData:
        """Colours follow the per-generation table's order of generations (the chip
        schedule), so each generation keeps one colour in every panel and every run of a
        schedule."""
        check_generation_table(generations, df)
        names = pd.unique(generations["generation"])
        colors = {g: GENERATION_COLORS[i % len(GENERATION_COLORS)] for i, g in enumerate(names)}
        return cls(df.reset_index(drop=True), generations, month_dates(df["date"]), colors)

    def has(self, column: str) -> bool:
        return column in self.df.columns

    def by_generation(self, variable: str) -> dict[str, np.ndarray]:
        """``variable`` of each generation on the market at least once, month by month in
        the order of ``dates``, NaN in the months it is not on the market."""
        wide = generation_series(self.generations, variable)
        aligned = wide.reindex(self.df["date"].astype(str), fill_value=0.0)
        return {g: masked(aligned[g]) for g in wide.columns}

    def line(self, ax: Axes, column: str, label: str, scale: float = 1.0, **style) -> None:
        """Plot ``column / scale`` if the run has it."""
        if self.has(column):
            ax.plot(self.dates, self.df[column].to_numpy(float) / scale, label=label, **style)


# ----------------------------------------------------------------------------- helpers

def month_dates(months: Iterable[object]) -> pd.DatetimeIndex:
    """'2023-05' month labels as dates, for date axes."""
    return pd.to_datetime(pd.Index(months).astype(str), format="%Y-%m")


def check_generation_table(generations: pd.DataFrame, df: pd.DataFrame) -> None:
    """Refuse a per-generation table that does not go with the month table ``df``: without
    its columns nothing can be drawn, and one of other months (another run's) would put
    releases in the wrong place without any error."""
    missing = [c for c in GENERATION_TABLE_COLUMNS if c not in generations.columns]
    if missing:
        raise ValueError(f"generation table needs columns {', '.join(GENERATION_TABLE_COLUMNS)}; "
                         f"it has no {', '.join(missing)}")
    if not generations.empty and set(generations["date"].astype(str)) != set(df["date"].astype(str)):
        raise ValueError("generation table covers other months than the run table")


def generation_series(generations: pd.DataFrame, variable: str) -> pd.DataFrame:
    """``variable`` (price, value, installed, utilization) of each generation as a wide
    table: one row per month ('2023-05', in order), one column per generation in the
    per-generation table's order. Generations whose value is never positive (not released
    within the run) are left out, so they get no line and no legend entry."""
    rows = generations[generations["variable"] == variable].astype({"date": str})
    wide = rows.pivot(index="date", columns="generation", values="value").fillna(0.0).sort_index()
    return wide[[g for g in pd.unique(rows["generation"]) if (wide[g] > 0).any()]]


def generation_releases(generations: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Release month of each generation: the first month it has a secondary-market value,
    which the market gives it from its release (its first rent comes months later, after
    the deployment lag). A generation already released in the table's first month has no
    release in the run."""
    values = generation_series(generations, "value")
    dates = month_dates(values.index)
    releases = {}
    for g in values.columns:
        first = int(np.argmax(values[g].to_numpy(float) > 0))
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


def _compact(value: float) -> tuple[float, str]:
    """``value`` as a mantissa and a suffix: 3.4e6 -> (3.4, 'M')."""
    magnitude = abs(value)
    for threshold, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if magnitude >= threshold:
            return value / threshold, suffix
    return value, ""


def _trimmed(number: float, decimals: int) -> str:
    """``abs(number)`` with at most ``decimals`` decimals and no trailing zeros: 1.50 -> '1.5'."""
    text = f"{abs(number):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _signed(value: float, prefix: str, text: str) -> str:
    """Minus sign, prefix, digits: '-$1.2bn'; no '-0' when ``value`` rounds to zero."""
    return f"{'-' if value < 0 and text.strip('0.') else ''}{prefix}{text}"


def human(value: float, prefix: str = "", decimals: int | None = None) -> str:
    """Compact number for tick labels: 12k, 3.4M, $1.2bn. Three significant digits unless
    ``decimals`` fixes the mantissa's precision (tick labels that must differ)."""
    mantissa, suffix = _compact(value)
    if decimals is not None:
        text = _trimmed(mantissa, decimals)
    else:
        text = f"{abs(mantissa):.3g}" if mantissa else "0"
    return _signed(value, prefix, text) + suffix


def fewest_decimals(numbers: np.ndarray, most: int = 4) -> int:
    """The fewest decimals (up to ``most``) that show every number exactly, or, for numbers
    that are not round, that still tell them apart. Tick values are round numbers, so tick
    labels at this precision are exact and no two of them repeat."""
    finite = np.asarray(numbers, float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return 0
    tolerance = 1e-6 * max(1.0, float(np.abs(finite).max()))
    for decimals in range(most + 1):
        if np.all(np.abs(np.round(finite, decimals) - finite) <= tolerance):
            return decimals
    distinct = len(np.unique(finite))
    return next((d for d in range(most + 1) if len(np.unique(np.round(finite, d))) == distinct), most)


class TickFormatter(Formatter):
    """Tick labels at the precision the ticks need: the decimals follow the spacing of the
    ticks being labelled, so a narrow range gets '96.5%, 97.0%' instead of '97%, 97%'.
    The precision is set from the ticks alone (never from an axis), so one instance can
    serve many axes.

    ``shown(x)`` is the number a label displays (percent points, a mantissa) and
    ``render(x, decimals)`` the label."""

    def __init__(self, shown: Callable[[float], float], render: Callable[[float, int], str]) -> None:
        self.shown = shown
        self.render = render
        self.decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        self.decimals = fewest_decimals(np.array([self.shown(x) for x in locs], float))

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.render(x, self.decimals)

    def labels(self, values: Sequence[float], ticks: Sequence[float]) -> list[str]:
        """``values`` at the precision of ``ticks`` (cell labels read against a colour
        scale), or fewer decimals where the values are rounder: '35%' rather than '35.00%'."""
        self.set_locs(ticks)
        scale = self.decimals
        self.set_locs(values)
        self.decimals = min(self.decimals, scale)
        return [self(v) for v in values]


COUNT = TickFormatter(lambda x: _compact(x)[0], lambda x, d: human(x, decimals=d))
DOLLARS = TickFormatter(lambda x: _compact(x)[0], lambda x, d: human(x, "$", decimals=d))
PRICE = TickFormatter(lambda x: x, lambda x, d: _signed(x, "$", _trimmed(x, d)))
PERCENT = TickFormatter(lambda x: 100 * x, lambda x, d: _signed(x, "", f"{abs(100 * x):.{d}f}") + "%")


def count_ticks(ax: Axes) -> None:
    """Whole-number y ticks for a count (no 2.5 neoclouds): never below zero, and over at
    least one unit, so that a count that stays at zero still gets a scale."""
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, 0), max(high, max(low, 0) + 1))


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
        # Four entries go two by two: three to a row can be wider than the panel.
        (axes[-1] if axes else ax).legend(handles, labels, loc="upper center",
                                          bbox_to_anchor=(0.5, 0.0), borderaxespad=2.3,
                                          ncol=2 if len(handles) == 4 else min(len(handles), 3))


def text_width(text: str, size: float) -> float:
    """Width in points of ``text`` set at ``size`` points in the current font."""
    return TextPath((0, 0), text, size=size).get_extents().width


def label_rows(centres: Sequence[float], widths: Sequence[float], gap: float = 4.0) -> list[int]:
    """Row of each label in a line of labels at ``centres`` (ascending, same units as
    ``widths``): the first row where it clears the previous label by ``gap``, so labels
    that would collide are staggered instead."""
    ends: list[float] = []  # right edge of the last label in each row
    rows = []
    for centre, width in zip(centres, widths, strict=True):
        row = next((i for i, end in enumerate(ends) if centre - width / 2 >= end + gap), len(ends))
        if row == len(ends):
            ends.append(0.0)
        ends[row] = centre + width / 2
        rows.append(row)
    return rows


def mark_releases(ax: Axes, releases: dict[str, pd.Timestamp], labelled: bool,
                  span: tuple[pd.Timestamp, pd.Timestamp]) -> None:
    """Thin vertical line at each generation release; names on a top axis when
    ``labelled``, where they cannot collide with the data, staggered over two or more rows
    where releases come too close for their names (``span``: the run's first and last
    month, which sets how far apart they are on the page)."""
    for date in releases.values():
        ax.axvline(date, **RELEASE_LINE)
    if not (labelled and releases):
        return
    size = 8.0
    # Before layout the axes' width is an estimate (less the x margins around the data);
    # the gap leaves room for the difference.
    width_pt = (ax.get_position().width * ax.get_figure().get_figwidth() * 72
                / (1 + 2 * mpl.rcParams["axes.xmargin"]))
    days = max((span[1] - span[0]).days, 1)
    centres = [(date - span[0]).days / days * width_pt for date in releases.values()]
    rows = label_rows(centres, [text_width(generation_label(g), size) for g in releases], gap=6.0)
    for row in sorted(set(rows)):
        shown = [g for g, r in zip(releases, rows, strict=True) if r == row]
        top = ax.secondary_xaxis("top")
        top.set_xticks(mdates.date2num([releases[g] for g in shown]),
                       labels=[generation_label(g) for g in shown])
        top.tick_params(axis="x", labelsize=size, colors="0.35", length=2 if row == 0 else 0,
                        pad=1 + row * (size + 2))
        top.spines["top"].set_visible(False)


def format_dates(ax: Axes) -> None:
    """Month ticks that never repeat a label: the year alone on January, month and year
    elsewhere ('2023, May 2023, Sep 2023'), where a concise 'May' would recur each year."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(
        locator, formats=["%Y", "%b %Y", "%d %b", "%H:%M", "%H:%M", "%S.%f"], show_offset=False))


def positive_floor(ax: Axes) -> None:
    """Start quantities that cannot be negative at zero, so levels compare by eye."""
    ax.set_ylim(bottom=0)


def count_axis(ax: Axes, values: Iterable[np.ndarray], label: str) -> None:
    """Linear from zero, unless the positive values span more than ``WIDE_RANGE``: then log,
    since the late build-out (hundreds of times the 2022 fleet) flattens the 2023-25 boom
    on a linear axis. The floor keeps near-zero months (a cleared backlog) from stretching
    the axis over decades nobody reads."""
    positive = np.concatenate([v[v > 0] for v in (np.asarray(x, float) for x in values)])
    if positive.size and positive.max() > WIDE_RANGE * positive.min():
        ax.set_yscale("log", nonpositive="mask")
        ax.set_ylim(bottom=max(positive.min(), positive.max() / 1e4) * 0.8)
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0,)))
        ax.yaxis.set_minor_formatter(NullFormatter())
        label += " (log scale)"
    else:
        positive_floor(ax)
    ax.yaxis.set_major_formatter(COUNT)
    ax.set_ylabel(label)


# ------------------------------------------------------------------------------ panels

def draw_generation_prices(ax: Axes, run: RunData) -> None:
    prices = run.by_generation("price")
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
    count_axis(ax, [run.df[c].to_numpy(float) / (1.0 if c == "installed_h100e" else HOURS_PER_MONTH)
                    for c in ("installed_h100e", "demand_h100e_hours", "sold_h100e_hours")
                    if run.has(c)], "H100e (hours / 730)")
    twins = []
    if run.has("utilization"):
        right = twin(ax, "Utilization")
        run.line(right, "utilization", "Utilization (right)", color=TWIN_COLOR, linestyle="--",
                 linewidth=1.0)
        right.set_ylim(0, 1.05)
        right.yaxis.set_major_formatter(PERCENT)
        twins.append(right)
    legend(ax, *twins)


def draw_backlog(ax: Axes, run: RunData) -> None:
    run.line(ax, "backlog_h100e", "Backlog", color="C4")
    # A step line rather than bars: bars have no base on the log axis a wide range needs.
    run.line(ax, "deliveries_h100e", "Deliveries per month", color="C2", linewidth=1.0,
             drawstyle="steps-mid")
    count_axis(ax, [run.df[c].to_numpy(float) for c in ("backlog_h100e", "deliveries_h100e")
                    if run.has(c)], "H100e")
    twins = []
    if run.has("nvidia_lead_time_months"):
        right = twin(ax, "Lead time (months)")
        run.line(right, "nvidia_lead_time_months", "Nvidia lead time (right)", color=TWIN_COLOR,
                 linestyle="--", linewidth=1.0)
        right.set_ylim(bottom=0)
        twins.append(right)
    legend(ax, *twins)


def draw_gpu_values(ax: Axes, run: RunData) -> None:
    for g, value in run.by_generation("value").items():
        ax.plot(run.dates, value, color=run.colors[g])
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
    ax.set_ylabel("Neoclouds")
    positive_floor(ax)
    count_ticks(ax)
    legend(ax)


def draw_revenue_gap(ax: Axes, run: RunData) -> None:
    if run.has("revenue_gap_usd"):
        gap = run.df["revenue_gap_usd"].to_numpy(float) / 1e9
        ax.plot(run.dates, gap, color="C3", label="Whole market")
        ax.fill_between(run.dates, gap, 0, where=gap > 0, color="C3", alpha=0.15,
                        interpolate=True)
        ax.axhline(0, color="0.3", linewidth=0.8)
    run.line(ax, "revenue_gap_neocloud_usd", "Neoclouds", 1e9,
             color="C1", linewidth=1.0)
    ax.set_ylabel("$bn per year (annualised)")
    legend(ax)


def draw_adoption(ax: Axes, run: RunData) -> None:
    run.line(ax, "adoption_share", "Adopted share", color="C0")
    run.line(ax, "adoption_potential", "Potential", color="C0", linestyle=":", linewidth=1.0)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("End customers using AI")
    twins = []
    if run.has("sentiment"):
        right = twin(ax, "Sentiment (index)")
        run.line(right, "sentiment", "Sentiment (right)", color=TWIN_COLOR, linestyle="--",
                 linewidth=1.0)
        twins.append(right)
    legend(ax, *twins)


def draw_venture(ax: Axes, run: RunData) -> None:
    """Flows over the trailing twelve months (a month's rounds are lumpy), and the share of
    those months' rounds that were down rounds."""
    def yearly(column: str) -> np.ndarray:
        return run.df[column].rolling(12, min_periods=1).sum().to_numpy(float) / 1e9

    finite = run.has("venture_dry_powder_usd") and bool(run.df["venture_dry_powder_usd"].any())
    if finite:
        ax.plot(run.dates, yearly("venture_asked_usd"), label="Asked (rounds and seeds)",
                color="C7", linewidth=1.0)
        ax.plot(run.dates, yearly("venture_commitments_usd"), label="Investors' commitments",
                color="C2")
        ax.plot(run.dates, run.df["venture_dry_powder_usd"].to_numpy(float) / 1e9,
                label="Dry powder", color="C1", linestyle="--", linewidth=1.0)
    ax.plot(run.dates, yearly("venture_invested_usd"),
            label="Invested" if finite else "Rounds and seeds (paid as asked)", color="C0")
    ax.set_ylabel("$bn, trailing 12 months")
    positive_floor(ax)
    twins = []
    if run.has("down_rounds") and run.has("funding_rounds"):
        rounds = run.df["funding_rounds"].rolling(12, min_periods=1).sum()
        down = run.df["down_rounds"].rolling(12, min_periods=1).sum()
        twins = [percent_axis(ax, run.dates, (down / rounds.where(rounds > 0)).to_numpy(float),
                              "Down rounds, share (right)", "Down rounds (share)")]
    legend(ax, *twins)


def percent_axis(ax: Axes, dates: pd.DatetimeIndex, values: np.ndarray, label: str,
                 axis_label: str) -> Axes:
    """A dashed share (0-1, shown as %) on a right-hand axis."""
    right = twin(ax, axis_label)
    right.plot(dates, values, label=label, color=TWIN_COLOR, linestyle="--", linewidth=1.0)
    right.set_ylim(bottom=0)
    right.yaxis.set_major_formatter(PERCENT)
    return right


def percent_twin(ax: Axes, run: RunData, column: str, label: str, axis_label: str) -> list[Axes]:
    """:func:`percent_axis` for a column of the run, if the run has it."""
    if not run.has(column):
        return []
    return [percent_axis(ax, run.dates, run.df[column].to_numpy(float), label, axis_label)]


def draw_credit(ax: Axes, run: RunData) -> None:
    run.line(ax, "debt_outstanding_usd", "Debt outstanding", 1e9, color="C0")
    run.line(ax, "lender_losses_cum_usd", "Lender losses (cumulative)", 1e9, color="C3")
    run.line(ax, "provisions_usd", "Loss allowances", 1e9, color="C1",
             linestyle=":")
    ax.set_ylabel("$bn")
    positive_floor(ax)
    legend(ax, *percent_twin(ax, run, "aggregate_ltv", "Aggregate LTV (right)", "Loan-to-value"))


STRESS_FLOWS = (("loans_sold_usd", "Loans sold", "C0"),
                ("funding_withdrawn_usd", "Funding run", "C1"),
                ("fund_redemptions_usd", "Redemptions", "C4"),
                ("warehouse_called_usd", "Bank lines called", "C5"))
# drawn only where they happened (the bank-to-private-credit chain is off by default)
STRESS_FLOWS_IF_ANY = frozenset({"warehouse_called_usd"})


def draw_stress(ax: Axes, run: RunData) -> None:
    """The financial system under strain: what lenders had to sell and what their funders
    and investors took out (cumulative), Nvidia's exposure to its partners (stakes at market
    plus the uncalled backstop), and lender failures (cumulative) on the right."""
    for column, label, color in STRESS_FLOWS:
        if run.has(column) and (column not in STRESS_FLOWS_IF_ANY or run.df[column].any()):
            ax.plot(run.dates, run.df[column].cumsum().to_numpy(float) / 1e9,
                    label=label, color=color)
    run.line(ax, "nvidia_exposure_usd", "Nvidia exposure", 1e9, color="C2", linestyle="-.")
    ax.set_ylabel("$bn (flows cumulative)")
    positive_floor(ax)
    twins = []
    if run.has("lender_failures"):
        right = twin(ax, "Lender failures (cumulative)")
        right.plot(run.dates, run.df["lender_failures"].cumsum().to_numpy(float),
                   label="Failures (right)", color=TWIN_COLOR,
                   linestyle="--", linewidth=1.0, drawstyle="steps-post")
        right.set_ylim(bottom=0)
        count_ticks(right)
        twins.append(right)
    legend(ax, *twins)


def draw_equity(ax: Axes, run: RunData) -> None:
    run.line(ax, "neocloud_equity_index", "Neocloud equity index", color="C0")
    if run.has("hedge_fund_margin_calls") and run.has("neocloud_equity_index"):
        called = run.df["hedge_fund_margin_calls"].to_numpy(float) > 0
        ax.plot(run.dates[called], run.df["neocloud_equity_index"].to_numpy(float)[called],
                linestyle="none", marker="v", color="C3", markersize=4,
                label="Hedge-fund margin calls")
    ax.set_ylabel("Index")
    positive_floor(ax)
    legend(ax, *percent_twin(ax, run, "short_interest", "Short interest (right)",
                             "Short interest (% of float)"))


def draw_power(ax: Axes, run: RunData) -> None:
    run.line(ax, "powered_capacity_mw", "Powered space", 1e3, color="C0")
    run.line(ax, "power_pipeline_mw", "Under construction", 1e3, color="C4", linewidth=1.0)
    run.line(ax, "neocloud_power_mw", "Neocloud fleets' need", 1e3, color="C1")
    run.line(ax, "stranded_mw", "Stranded (no space)", 1e3, color="C3", linewidth=1.0)
    ax.set_ylabel("GW of facility power")
    positive_floor(ax)
    legend(ax, *percent_twin(ax, run, "power_vacancy", "Vacancy (right)", "Vacancy"))


# Panels in reading order (row by row, two per row). Add an entry to add a panel.
PANELS: tuple[Panel, ...] = (
    Panel("generation_prices", "Spot rental price by generation", draw_generation_prices,
          variable="price"),
    Panel("price_index", "Perf-adjusted price", draw_price_index,
          ("spot_price_h100e", "contract_price_h100e")),
    Panel("capacity", "Neocloud capacity vs demand", draw_capacity,
          ("installed_h100e", "demand_h100e_hours", "sold_h100e_hours")),
    Panel("backlog", "Nvidia order backlog and deliveries", draw_backlog,
          ("backlog_h100e", "deliveries_h100e", "nvidia_lead_time_months")),
    Panel("gpu_values", "Secondary-market value of a GPU", draw_gpu_values,
          variable="value"),
    Panel("neoclouds", "Neocloud entries and defaults", draw_neoclouds,
          ("neoclouds_active", "neocloud_entries", "neocloud_defaults_cum")),
    Panel("adoption", "Adoption of AI and sentiment", draw_adoption,
          ("adoption_share", "sentiment")),
    Panel("venture", "Venture funding of the startups", draw_venture,
          ("venture_asked_usd", "venture_invested_usd")),
    Panel("revenue_gap", "Revenue gap (Sequoia arithmetic)", draw_revenue_gap,
          ("revenue_gap_usd",)),
    Panel("credit", "Credit: debt, collateral cover, losses", draw_credit,
          ("debt_outstanding_usd", "aggregate_ltv", "lender_losses_cum_usd")),
    Panel("equity", "Neocloud equity, short interest, margin calls", draw_equity,
          ("neocloud_equity_index", "short_interest")),
    Panel("power", "Powered data-centre space", draw_power,
          ("powered_capacity_mw", "power_pipeline_mw", "neocloud_power_mw", "stranded_mw")),
    Panel("stress", "Lenders under strain; Nvidia's exposure", draw_stress,
          ("loans_sold_usd", "funding_withdrawn_usd", "fund_redemptions_usd", "lender_failures",
           "nvidia_exposure_usd")),
)


# ----------------------------------------------------------------------------- figures

def generation_legend(fig: Figure, run: RunData, panels: Iterable[Panel]) -> None:
    """One colour key for the generations drawn in the per-generation ``panels``, at the
    foot of the figure (the top belongs to the title)."""
    drawn = {g for panel in panels if panel.variable
             for g in generation_series(run.generations, panel.variable).columns}
    shown = [g for g in run.colors if g in drawn]
    if shown:
        handles = [Line2D([], [], color=run.colors[g]) for g in shown]
        fig.legend(handles, [generation_label(g) for g in shown], loc="outside lower center",
                   ncol=len(shown), title="GPU generation (vertical lines: releases)",
                   title_fontsize=9, fontsize=9)


def panels_for(df: pd.DataFrame, generations: pd.DataFrame,
               panels: Iterable[Panel] = PANELS) -> list[Panel]:
    """The panels a run's month table ``df`` and per-generation table ``generations``
    allow, in figure order."""
    return [panel for panel in panels if panel.available(df, generations)]


def run_figure(df: pd.DataFrame, generations: pd.DataFrame, title: str = "",
               columns: int = 2) -> Figure:
    """The run-anatomy figure of a month table ``df`` and its per-generation table
    ``generations`` (``NeocloudMarket.generation_results()``): one panel per available
    group of outputs, generation releases marked on every panel. Returned unsaved, for
    notebooks and further edits."""
    if "date" not in df.columns or df.empty:
        raise ValueError("plot needs a non-empty run table with a 'date' column")
    run = RunData.of(df, generations)
    panels = panels_for(df, generations)
    if not panels:
        raise ValueError("run table has none of the columns any panel plots")
    releases = generation_releases(generations)
    rows = math.ceil(len(panels) / columns)
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(5.6 * columns, 3.1 * rows + (0.4 if title else 0.0)),
                     layout="constrained")
        axes = fig.subplots(rows, columns, sharex=True, squeeze=False).ravel()
        for i, (ax, panel) in enumerate(zip(axes, panels, strict=False)):
            mark_releases(ax, releases, labelled=i < columns, span=(run.dates[0], run.dates[-1]))
            panel.draw(ax, run)
            ax.set_title(f"({chr(ord('a') + i)}) {panel.title}")
            format_dates(ax)
            ax.tick_params(axis="x", labelbottom=True)
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        generation_legend(fig, run, panels)
        if title:
            fig.suptitle(title, fontsize=13, fontweight="bold")
    return fig


def plot_run(df: pd.DataFrame, generations: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Write the run-anatomy figure (:func:`run_figure`); the format follows the suffix
    (.png, .svg, .pdf; PNG if there is none). Returns the path written."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = run_figure(df, generations, title)
    with mpl.rc_context(STYLE):
        fig.savefig(path)
    return path


def save_figure(fig: Figure, stem: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` once per format next to ``stem`` (PNG for reading, SVG for papers)."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(f".{fmt}") for fmt in formats]
    with mpl.rc_context(STYLE):
        for path in paths:
            fig.savefig(path)
    return paths


# ------------------------------------------------------- series and statistics: labels

@dataclass(frozen=True)
class Measure:
    """How to show one output column or summary statistic: title, axis label, scale, and
    whether it counts things (whole-number ticks)."""

    title: str
    unit: str = ""
    scale: float = 1.0
    formatter: TickFormatter | None = None
    count: bool = False

    def labels(self, values: Sequence[float], ticks: Sequence[float]) -> list[str]:
        """``values`` (already scaled) as cell labels, at the precision of the ``ticks`` of
        the colour scale they are read against."""
        if self.formatter is None:
            return [f"{value:.3g}" for value in values]
        return self.formatter.labels(values, ticks)


SERIES: Mapping[str, Measure] = MappingProxyType({
    "spot_price_h100e": Measure("Spot price", "$ per H100e-hour", formatter=PRICE),
    "contract_price_h100e": Measure("New-contract price", "$ per H100e-hour", formatter=PRICE),
    "utilization": Measure("Utilization", "hours sold / available", formatter=PERCENT),
    "installed_h100e": Measure("Installed capacity", "H100e", formatter=COUNT),
    "backlog_h100e": Measure("Nvidia backlog", "H100e", formatter=COUNT),
    "revenue_gap_usd": Measure("Revenue gap", "$bn per year", 1e9),
    "neocloud_defaults_cum": Measure("Neocloud defaults", "cumulative count", count=True),
    "neoclouds_active": Measure("Active neoclouds", "count", count=True),
    "debt_outstanding_usd": Measure("Debt outstanding", "$bn", 1e9),
    "aggregate_ltv": Measure("Aggregate loan-to-value", "debt / collateral",
                             formatter=PERCENT),
    "lender_losses_cum_usd": Measure("Lender losses", "$bn, cumulative", 1e9),
    "neocloud_equity_index": Measure("Neocloud equity index", "index"),
})
FAN_COLUMNS = ("spot_price_h100e", "installed_h100e", "utilization", "revenue_gap_usd",
               "neocloud_defaults_cum", "debt_outstanding_usd", "aggregate_ltv",
               "lender_losses_cum_usd")

STATISTICS: Mapping[str, Measure] = MappingProxyType({
    "peak_price": Measure("Peak spot price", "$ per H100e-hour", formatter=PRICE),
    "trough_price": Measure("Trough after the peak", "$ per H100e-hour", formatter=PRICE),
    "peak_to_trough": Measure("Peak-to-trough decline", "share of peak",
                              formatter=PERCENT),
    "decline_24m": Measure("Price fall within 24 months of the peak", "share of peak",
                           formatter=PERCENT),
    "months_peak_to_trough": Measure("Months peak to trough", "months", count=True),
    "cycles": Measure("Boom-bust cycles", "count", count=True),
    "max_glut": Measure("Maximum glut", "capacity / demand"),
    "default_rate": Measure("Default rate", "share of neoclouds", formatter=PERCENT),
    "defaults": Measure("Neocloud defaults", "count", count=True),
    "lender_loss_rate": Measure("Lender loss rate", "losses / lending",
                                formatter=PERCENT),
    "max_aggregate_ltv": Measure("Maximum aggregate LTV", "debt / collateral",
                                 formatter=PERCENT),
    "max_revenue_gap_usd": Measure("Maximum revenue gap", "$bn per year", 1e9),
    "equity_max_drawdown": Measure("Equity index drawdown", "share of peak",
                                   formatter=PERCENT),
})
KEY_STATISTICS = ("peak_to_trough", "max_glut", "default_rate", "lender_loss_rate",
                  "max_revenue_gap_usd", "peak_price")


def measure(name: str, table: Mapping[str, Measure] = SERIES) -> Measure:
    """Known label, or one made from the column name, so any output can be plotted."""
    return table.get(name) or Measure(name.replace("_", " ").capitalize())


def parameter_name(name: str) -> str:
    """A parameter's short label from the registry, capitalised to start an axis label or a
    table row ('max LTV' -> 'Max LTV'); names outside the registry get one from the name."""
    label = parameter_label(name)
    return label[:1].upper() + label[1:]


def parameter_axis_label(name: str) -> str:
    """Axis label of a parameter: its label and, where it has one, its unit in brackets
    ('Max LTV [loan / collateral at origination]'), unless the label already ends in it."""
    label = parameter_name(name)
    spec = PARAMETERS.get(name)
    unit = spec.unit if spec is not None else ""
    return f"{label} [{unit}]" if unit and not label.endswith(unit) else label


def parameter_value(name: str, value: float) -> str:
    """'max LTV = 0.6': one coordinate of a design point, for legends."""
    return f"{parameter_label(name)} = {value:g}"


def style_value_axis(ax: Axes, m: Measure) -> None:
    """Y axis of a measure: its formatter and unit, whole-number ticks for counts."""
    if m.formatter is not None:
        ax.yaxis.set_major_formatter(m.formatter)
    if m.count:
        count_ticks(ax)
    ax.set_ylabel(m.unit)


# ------------------------------------------------------------- fan charts (replications)

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def replication_bands(frames: Sequence[pd.DataFrame], column: str) -> pd.DataFrame:
    """Median and 50%/90% bands of ``column`` across replications, month by month (rows:
    dates; columns: the quantiles 0.05 ... 0.95). Runs are aligned on ``date``."""
    wide = pd.concat({i: f.set_index("date")[column] for i, f in enumerate(frames)}, axis=1)
    return wide.quantile(list(QUANTILES), axis=1).T.sort_index()


def fan_figure(runs: Mapping[str, Sequence[pd.DataFrame]], columns: Sequence[str] | None = None,
               title: str = "", ncols: int = 2, note: str = "") -> Figure:
    """Fan charts: per output, each scenario's median across replications with the band
    holding the middle 50% and 90% of runs, scenarios overlaid on shared axes so their
    difference can be read against the spread within each. ``note`` adds a line to the
    legend's title, e.g. to say that the scenarios are a selection."""
    runs = {label: list(frames) for label, frames in runs.items() if len(frames)}
    if not runs:
        raise ValueError("fan chart needs at least one scenario with one run")
    present = set.intersection(*(set(f.columns) for frames in runs.values() for f in frames))
    columns = [c for c in (columns or FAN_COLUMNS) if c in present]
    if not columns:
        raise ValueError("runs have none of the columns to plot")
    rows = math.ceil(len(columns) / ncols)
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(5.4 * ncols, 2.9 * rows + 0.9), layout="constrained")
        axes = fig.subplots(rows, ncols, sharex=True, squeeze=False).ravel()
        for i, (ax, column) in enumerate(zip(axes, columns, strict=False)):
            m = measure(column)
            medians = []
            for j, frames in enumerate(runs.values()):
                bands = replication_bands(frames, column) / m.scale
                dates = month_dates(bands.index)
                color = f"C{j % 10}"
                ax.fill_between(dates, bands[0.05], bands[0.95], color=color, alpha=0.12,
                                linewidth=0)
                ax.fill_between(dates, bands[0.25], bands[0.75], color=color, alpha=0.28,
                                linewidth=0)
                ax.plot(dates, bands[0.5], color=color)
                medians.append(bands.to_numpy(float).ravel())
            ax.set_title(f"({chr(ord('a') + i)}) {m.title}")
            if m.formatter is COUNT:
                count_axis(ax, medians, m.unit)
            else:
                style_value_axis(ax, m)
            format_dates(ax)
            ax.tick_params(axis="x", labelbottom=True)
        for ax in axes[len(columns):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color=f"C{j % 10}") for j in range(len(runs))]
        labels = list(runs)
        handles += [Patch(color="0.5", alpha=0.55), Patch(color="0.5", alpha=0.2)]
        labels += ["middle 50% of runs", "middle 90% of runs"]
        counts = sorted({len(f) for f in runs.values()})
        replications = (f"{counts[0]} replication{'s' if counts[0] > 1 else ''}" if len(counts) == 1
                        else f"{counts[0]}-{counts[-1]} replications")
        wide = max(map(len, labels)) > 28
        fig.legend(handles, labels, loc="outside lower center", ncol=2 if wide else min(len(labels), 4),
                   title="\n".join(filter(None, [f"median across {replications}, with bands", note])),
                   title_fontsize=9)
        if title:
            fig.suptitle(title, fontsize=13, fontweight="bold")
    return fig


# ------------------------------------------------ the model's spread against observations

@dataclass(frozen=True)
class ObservedPanel:
    """One panel of :func:`observed_figure`: a model column drawn as a fan, and the observed
    series drawn over it as points (each with its marker and a label for the legend)."""

    title: str
    column: str
    unit: str
    observed: tuple[tuple[str, str, str], ...]   # (series, marker, label)


OBSERVED_PANELS = (
    ObservedPanel("H100 rent", "spot_price_h100", "$ per GPU-hour",
                  (("h100_rental_price", "o", "neocloud on-demand and spot"),
                   ("h100_contract_price", "s", "one-year contract"),
                   ("h100_hyperscaler_price", "^", "hyperscaler (AWS)"))),
    ObservedPanel("A100 rent", "spot_price_a100", "$ per GPU-hour",
                  (("a100_rental_price", "o", "neocloud on-demand and spot"),
                   ("a100_hyperscaler_price", "^", "hyperscaler (AWS)"))),
    ObservedPanel("B200 rent", "spot_price_b200", "$ per GPU-hour",
                  (("b200_rental_price", "o", "neocloud on-demand and spot"),)),
    ObservedPanel("Nvidia lead time", "nvidia_lead_time_months", "months",
                  (("nvidia_lead_time_weeks", "D", "reported lead time"),
                   ("nvidia_lead_time", "D", "reported lead time"))),
)


OBSERVED_COLORS = MappingProxyType({"neocloud on-demand and spot": "C1", "one-year contract": "C2",
                                    "hyperscaler (AWS)": "C3", "reported lead time": "C4"})


def observed_points(observations: pd.DataFrame, series: str) -> pd.DataFrame:
    """One observed series as ``date`` (timestamps) and ``value`` in the panel's unit
    (weeks become months)."""
    rows = observations[observations["series"] == series]
    return pd.DataFrame({"date": month_dates(rows["date"]), "value": in_months(rows)})


def observed_figure(frames: Sequence[pd.DataFrame], observations: pd.DataFrame,
                    title: str = "", last: str = "2026-12") -> Figure:
    """The model's spread across seeds (median, middle 50% and 90% of runs) for the outputs
    that observations measure directly, with the observed numbers as points, up to the
    month ``last``: where the data fall inside the fan the model can produce them."""
    if not frames:
        raise ValueError("the figure needs at least one run")
    panels = [panel for panel in OBSERVED_PANELS if panel.column in frames[0].columns]
    first = frames[0]["date"].iloc[0]
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(10.8, 6.6), layout="constrained")
        axes = fig.subplots(2, 2, squeeze=False).ravel()
        handles: dict[str, object] = {}
        for i, (ax, panel) in enumerate(zip(axes, panels, strict=False)):
            # A generation's price is 0 while a run has none of its GPUs: not a price.
            cut = [f.loc[(f["date"] >= first) & (f["date"] <= last), ["date", panel.column]]
                   for f in frames]
            if panel.column.startswith("spot_price"):
                cut = [f.assign(**{panel.column: f[panel.column].where(f[panel.column] > 0)})
                       for f in cut]
            shown = replication_bands(cut, panel.column).dropna()
            dates = month_dates(shown.index)
            ax.fill_between(dates, shown[0.05], shown[0.95], color="C0", alpha=0.15, linewidth=0)
            ax.fill_between(dates, shown[0.25], shown[0.75], color="C0", alpha=0.3, linewidth=0)
            handles["model: median across seeds"] = ax.plot(dates, shown[0.5], color="C0")[0]
            for series, marker, label in panel.observed:
                points = observed_points(observations, series)
                points = points[(points["date"] >= month_dates([first])[0])
                                & (points["date"] <= month_dates([last])[0])]
                if points.empty:
                    continue
                handles[f"observed: {label}"] = ax.scatter(
                    points["date"], points["value"], marker=marker, s=26, zorder=3,
                    color=OBSERVED_COLORS[label], edgecolor="black", linewidth=0.5)
            ax.set_title(f"({chr(ord('a') + i)}) {panel.title}")
            ax.set_ylabel(panel.unit)
            ax.set_ylim(bottom=0)
            format_dates(ax)
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        handles["model: middle 50% of runs"] = Patch(color="C0", alpha=0.45)
        handles["model: middle 90% of runs"] = Patch(color="C0", alpha=0.2)
        fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=3,
                   title=f"{len(frames)} seeds; observations from neocloud_abm/data/observations.csv "
                         "(sources in the file)", title_fontsize=9)
        if title:
            fig.suptitle(title, fontsize=13, fontweight="bold")
    return fig


# ---------------------------------------------------- point labels that keep off the data

# Offsets (points) tried around a labelled point, nearest first; each ring tries the four
# diagonals before the sides.
LABEL_OFFSETS = tuple((radius * dx, radius * dy) for radius in (5, 10, 18, 30, 45)
                      for dx, dy in ((1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1),
                                     (0, -1)))
LEADER_FROM = 10  # points: a label moved further than this gets a leader line to its point


def plotted(ax: Axes) -> tuple[list[DrawnPath], np.ndarray]:
    """What a label must not cover, in display coordinates: lines and line collections as
    paths, markers and scatter points as points."""
    paths, points = [], []
    for line in ax.get_lines():
        xy = line.get_transform().transform(line.get_xydata())
        xy = xy[np.isfinite(xy).all(axis=1)]
        if line.get_linestyle() not in ("None", "", " ") and len(xy) > 1:
            paths.append(DrawnPath(xy))
        if line.get_marker() not in ("None", "", " ", None):
            points.append(xy)
    for collection in ax.collections:
        if isinstance(collection, LineCollection):
            paths += [DrawnPath(collection.get_transform().transform(segment))
                      for segment in collection.get_segments()]
        elif isinstance(collection, PathCollection):
            points.append(collection.get_offset_transform().transform(collection.get_offsets()))
    return paths, (np.concatenate(points) if points else np.empty((0, 2)))


def _label_box(anchor: np.ndarray, offset: tuple[float, float], size: tuple[float, float],
               dpi: float) -> tuple[Bbox, str, str]:
    """Box (display coordinates) of a label of ``size`` pixels ``offset`` points from
    ``anchor``, aligned away from it, with its alignment."""
    dx, dy = offset
    ha = "left" if dx > 0 else "right" if dx < 0 else "center"
    va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
    x = anchor[0] + dx * dpi / 72 - {"left": 0.0, "right": 1.0, "center": 0.5}[ha] * size[0]
    y = anchor[1] + dy * dpi / 72 - {"bottom": 0.0, "top": 1.0, "center": 0.5}[va] * size[1]
    return Bbox.from_bounds(x, y, *size), ha, va


def _label_cost(box: Bbox, frame: Bbox, taken: list[Bbox], paths: list[DrawnPath],
                points: np.ndarray) -> tuple[int, int, int]:
    """How badly a label at ``box`` fits: (sticks out of the axes, texts it overlaps, data
    it covers); (0, 0, 0) is a free spot."""
    padded = box.padded(2)
    outside = int(not (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                       and box.y1 <= frame.y1))
    texts = sum(padded.overlaps(other.padded(2)) for other in taken)
    inside = ((points[:, 0] > padded.x0) & (points[:, 0] < padded.x1)
              & (points[:, 1] > padded.y0) & (points[:, 1] < padded.y1))
    data = int(inside.sum()) + sum(path.intersects_bbox(padded, filled=False) for path in paths)
    return outside, texts, data


def place_labels(fig: Figure, labels: Mapping[Axes, Sequence[tuple[str, tuple[float, float]]]],
                 **style) -> None:
    """Annotate points with labels that cover no plotted data and no other text: each goes
    to the nearest free spot around its point (a leader line marks one moved further out),
    or, where none is free, the spot that covers least. Spots are measured on the laid-out
    figure, so call this once the figure is otherwise complete (titles, colour bars)."""
    fig.draw_without_rendering()
    for ax, items in labels.items():
        paths, points = plotted(ax)
        frame = ax.get_window_extent()
        # Text's own extent: an annotation's would include its leader line.
        taken = [Text.get_window_extent(text) for text in ax.texts]
        for text, xy in items:
            note = ax.annotate(text, xy, xytext=(0, 0), textcoords="offset points",
                               arrowprops={"arrowstyle": "-", "color": "0.5", "linewidth": 0.6,
                                           "shrinkA": 1, "shrinkB": 3}, **style)
            extent = Text.get_window_extent(note)
            anchor = ax.transData.transform(xy)
            options = [_label_box(anchor, offset, (extent.width, extent.height), fig.dpi)
                       for offset in LABEL_OFFSETS]
            k = min(range(len(options)),
                    key=lambda i: (_label_cost(options[i][0], frame, taken, paths, points), i))
            box, ha, va = options[k]
            note.xyann = LABEL_OFFSETS[k]
            note.set(ha=ha, va=va)
            note.arrow_patch.set_visible(math.hypot(*LABEL_OFFSETS[k]) > LEADER_FROM)
            taken.append(box)


# ----------------------------------------------------------------------- phase portrait

def phase_figure(df: pd.DataFrame, generations: pd.DataFrame, title: str = "") -> Figure:
    """The cycle as a loop: utilization against the spot price month by month, coloured by
    date, with generation releases (from the per-generation table ``generations``) marked;
    plus debt against collateral value when the run has credit. A boom-bust traces a
    clockwise loop (scarcity raises prices, deliveries then lower utilization, prices
    follow)."""
    if not {"date", "utilization", "spot_price_h100e"} <= set(df.columns):
        raise ValueError("phase portrait needs 'date', 'utilization' and 'spot_price_h100e'")
    check_generation_table(generations, df)
    credit = {"debt_outstanding_usd", "collateral_value_usd"} <= set(df.columns)
    dates = month_dates(df["date"])
    t = mdates.date2num(dates)
    pairs = [("utilization", "spot_price_h100e", 1.0, 1.0)]
    if credit:
        pairs.append(("collateral_value_usd", "debt_outstanding_usd", 1e9, 1e9))
    releases = generation_releases(generations)
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(5.4 * len(pairs) + 1.0, 4.6), layout="constrained")
        axes = fig.subplots(1, len(pairs), squeeze=False).ravel()
        labels: dict[Axes, list[tuple[str, tuple[float, float]]]] = {}
        for i, (ax, (xcol, ycol, xs, ys)) in enumerate(zip(axes, pairs, strict=True)):
            x = df[xcol].to_numpy(float) / xs
            y = df[ycol].to_numpy(float) / ys
            points = np.column_stack([x, y]).reshape(-1, 1, 2)
            segments = np.concatenate([points[:-1], points[1:]], axis=1)
            lines = LineCollection(segments, cmap="viridis", linewidth=2.0)
            lines.set_array(t[:-1])
            ax.add_collection(lines)
            ax.scatter(x, y, c=t, cmap="viridis", s=9, zorder=3)
            ax.plot(x[0], y[0], "o", mfc="white", mec="black", ms=7, zorder=4)
            labels[ax] = [(f"start {df['date'].iloc[0]}", (x[0], y[0]))]
            for gen, date in releases.items():
                k = int(np.searchsorted(dates, date))
                ax.plot(x[k], y[k], "D", color="black", ms=4, zorder=4)
                if i == 0:  # the credit panel's early releases crowd the origin
                    labels[ax].append((generation_label(gen), (x[k], y[k])))
            ax.autoscale_view()
            if i == 0:
                ax.xaxis.set_major_formatter(PERCENT)
                ax.yaxis.set_major_formatter(PRICE)
                ax.set_xlabel("Utilization (hours sold / available)")
                ax.set_ylabel("Spot price, $ per H100e-hour")
                ax.set_title("(a) Utilization vs price")
            else:
                ax.set_xlabel("Collateral value, $bn")
                ax.set_ylabel("Debt outstanding, $bn")
                top = max(np.nanmax(x), np.nanmax(y)) * 1.05
                ax.plot([0, top], [0, top], color="0.5", linestyle="--", linewidth=0.8)
                labels[ax].append(("debt = collateral", (top, top)))
                ax.set_title("(b) Debt vs collateral")
        bar = fig.colorbar(lines, ax=list(axes), shrink=0.9, pad=0.02)
        locator = mdates.YearLocator()
        bar.ax.yaxis.set_major_locator(locator)
        bar.ax.yaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        bar.set_label("Month (diamonds: generation releases)")
        if title:
            fig.suptitle(title, fontsize=13, fontweight="bold")
        place_labels(fig, labels, fontsize=8, color="0.2")
    return fig


# --------------------------------------------------------------------------- sweep views

def parameter_columns(summary: pd.DataFrame) -> list[str]:
    """The design's parameters: the dotted column names, which no statistic has."""
    return [c for c in summary.columns if "." in c]


def numeric_statistics(summary: pd.DataFrame, wanted: Sequence[str] = KEY_STATISTICS) -> list[str]:
    """Of ``wanted``, the statistics present, numeric and not constant over successful runs."""
    ok = successful(summary)
    return [s for s in wanted if s in ok and pd.api.types.is_numeric_dtype(ok[s])
            and ok[s].nunique(dropna=True) > 1]


def successful(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[summary["status"] == "ok"] if "status" in summary else summary


def _panel_grid(n: int, ncols: int, size: tuple[float, float], title: str) -> tuple[Figure, np.ndarray]:
    rows = math.ceil(n / ncols)
    cols = min(n, ncols)
    fig = Figure(figsize=(size[0] * cols, size[1] * rows + (0.4 if title else 0.0)),
                 layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=13, fontweight="bold")
    return fig, axes


def heatmap_figure(summary: pd.DataFrame, statistics: Sequence[str], x: str, y: str,
                   title: str = "", ncols: int = 2) -> Figure:
    """For each statistic, its median over replications (and over any other parameters) on
    the grid of two parameters, each cell labelled with its value."""
    ok = successful(summary)
    if not statistics:
        raise ValueError("heatmap needs at least one statistic")
    with mpl.rc_context(STYLE):
        fig, axes = _panel_grid(len(statistics), ncols, (5.2, 4.2), title)
        for i, (ax, stat) in enumerate(zip(axes, statistics, strict=False)):
            m = measure(stat, STATISTICS)
            grid = ok.pivot_table(index=y, columns=x, values=stat, aggfunc="median") / m.scale
            image = ax.imshow(grid.to_numpy(float), origin="lower", aspect="auto", cmap="magma")
            ax.set_xticks(range(grid.shape[1]), labels=[f"{v:g}" for v in grid.columns])
            ax.set_yticks(range(grid.shape[0]), labels=[f"{v:g}" for v in grid.index])
            ax.grid(False)
            ax.set_xlabel(parameter_axis_label(x))
            ax.set_ylabel(parameter_axis_label(y))
            ax.set_title(f"({chr(ord('a') + i)}) {m.title}")
            bar = fig.colorbar(image, ax=ax, shrink=0.9)
            bar.set_label(f"median, {m.unit}" if m.unit else "median")
            if m.formatter is not None:
                bar.formatter = m.formatter
            if m.count:
                bar.locator = MaxNLocator(integer=True)
            label_cells(ax, grid.to_numpy(float), m.labels(grid.to_numpy(float).ravel(), bar.get_ticks()))
    return fig


def label_cells(ax: Axes, values: np.ndarray, labels: Sequence[str]) -> None:
    """Write each finite cell's label on a heatmap, white on its dark cells."""
    low, high = np.nanmin(values), np.nanmax(values)
    for ((r, c), value), label in zip(np.ndenumerate(values), labels, strict=True):
        if np.isfinite(value):
            dark = high > low and (value - low) / (high - low) < 0.55
            ax.text(c, r, label, ha="center", va="center", fontsize=8.5,
                    color="white" if dark else "black")


def response_figure(summary: pd.DataFrame, statistics: Sequence[str], parameter: str,
                    title: str = "", ncols: int = 3, bins: int = 10) -> Figure:
    """Each statistic against one parameter: median across runs with 50%/90% bands. A grid
    axis groups by value; a sampled one (LHS, Sobol') is cut into ``bins`` quantile bins and
    every run is shown as a dot."""
    ok = successful(summary)
    if not statistics:
        raise ValueError("response plot needs at least one statistic")
    values = ok[parameter]
    sampled = values.nunique() > 15
    key = (pd.qcut(values, bins, duplicates="drop").map(lambda b: b.mid).astype(float)
           if sampled else values)
    with mpl.rc_context(STYLE):
        fig, axes = _panel_grid(len(statistics), ncols, (4.2, 3.3), title)
        for i, (ax, stat) in enumerate(zip(axes, statistics, strict=False)):
            m = measure(stat, STATISTICS)
            q = ok[stat].groupby(key).quantile(list(QUANTILES)).unstack() / m.scale
            xs = q.index.to_numpy(float)
            if sampled:
                ax.scatter(values, ok[stat] / m.scale, s=6, color="0.55", alpha=0.5, linewidth=0)
            ax.fill_between(xs, q[0.05], q[0.95], color="C0", alpha=0.15, linewidth=0)
            ax.fill_between(xs, q[0.25], q[0.75], color="C0", alpha=0.3, linewidth=0)
            ax.plot(xs, q[0.5], color="C0", marker="o", ms=4)
            ax.set_xlabel(parameter_axis_label(parameter))
            if parameter in PARAMETERS and PARAMETERS[parameter].kind == "int":
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(f"({chr(ord('a') + i)}) {m.title}")
            style_value_axis(ax, m)
        handles = [Line2D([], [], color="C0", marker="o", ms=4), Patch(color="C0", alpha=0.45),
                   Patch(color="C0", alpha=0.15)]
        labels = ["median", "middle 50% of runs", "middle 90% of runs"]
        if sampled:
            handles.append(Line2D([], [], linestyle="", marker="o", ms=3, color="0.55"))
            labels.append("one run")
            groups = f"in each of {key.nunique()} equal-count bins of {parameter_label(parameter)}"
        else:
            groups = f"at each value of {parameter_label(parameter)}"
        fig.legend(handles, labels, loc="outside lower center", ncol=len(handles),
                   title=f"across the runs {groups}", title_fontsize=9)
    return fig


def indices_figure(indices: pd.DataFrame, statistic: str = "", title: str = "",
                   noise_floor: float | None = None) -> Figure:
    """Sensitivity indices as bars, most influential parameter on top. Sobol' (columns S1,
    ST with ``*_conf``): first-order and total effects side by side, their gap being the
    share due to interactions; with replicated seeds, ``noise_floor`` (the seed noise's
    share of the point means, :func:`noise_shares`) is drawn as the total index a parameter
    without any effect would get. Morris (mu_star, sigma, ``mu_star_conf``): mean absolute
    effect, and mu_star against sigma (non-linearity or interactions)."""
    sobol = {"S1", "ST"} <= set(indices.columns)
    if not sobol and "mu_star" not in indices.columns:
        raise ValueError("indices need columns S1 and ST (Sobol') or mu_star (Morris)")
    if noise_floor is not None and not sobol:
        raise ValueError("a noise floor applies to Sobol' total indices, not to Morris screening")
    order = indices.sort_values("ST" if sobol else "mu_star").index
    names = [parameter_name(str(n)) for n in order]
    y = np.arange(len(order))
    subject = measure(statistic, STATISTICS).title if statistic else "the statistic"
    with mpl.rc_context(STYLE):
        panels = 1 if sobol else 2
        fig = Figure(figsize=(6.2 * panels, 1.2 + 0.55 * len(order) + (0.4 if title else 0)),
                     layout="constrained")
        axes = fig.subplots(1, panels, squeeze=False).ravel()
        ax = axes[0]
        labels = {}
        if sobol:
            h = 0.38
            for offset, col, color, label in ((h / 2, "S1", "C0", "First order (S1)"),
                                              (-h / 2, "ST", "C3", "Total (ST)")):
                conf = indices.loc[order, f"{col}_conf"] if f"{col}_conf" in indices else None
                ax.barh(y + offset, indices.loc[order, col], height=h, color=color, label=label,
                        xerr=conf, error_kw={"elinewidth": 0.8, "capsize": 2})
            ax.set_xlabel("Share of output variance")
            ax.set_title(f"Sobol' indices of {subject.lower()}")
            ax.axvline(0, color="0.3", linewidth=0.8)
            if noise_floor is not None:
                ax.axvline(noise_floor, color="0.3", linestyle="--", linewidth=1.0,
                           label=f"Seed-noise floor of ST ({noise_floor:.2f})")
            handles, names_shown = ax.get_legend_handles_labels()
            fig.legend(handles, names_shown, loc="outside lower center", ncol=len(handles))
        else:
            conf = indices.loc[order, "mu_star_conf"] if "mu_star_conf" in indices else None
            ax.barh(y, indices.loc[order, "mu_star"], color="C0", xerr=conf,
                    error_kw={"elinewidth": 0.8, "capsize": 2})
            ax.set_xlabel("mu* (mean absolute elementary effect)")
            ax.set_title(f"(a) Morris screening of {subject.lower()}")
            right = axes[1]
            right.scatter(indices["mu_star"], indices["sigma"], color="C3")
            labels[right] = [(parameter_name(str(name)), (row["mu_star"], row["sigma"]))
                             for name, row in indices.iterrows()]
            right.set_xlabel("mu* (importance)")
            right.set_ylabel("sigma (non-linearity, interactions)")
            right.set_title("(b) Importance vs interaction")
            right.set_xlim(left=0)
            right.set_ylim(bottom=0)
        ax.set_yticks(y, labels=names)
        ax.grid(axis="y", visible=False)
        if title:
            fig.suptitle(title, fontsize=13, fontweight="bold")
        if labels:
            place_labels(fig, labels, fontsize=8)
    return fig


__all__ = ["FAN_COLUMNS", "GENERATION_TABLE_COLUMNS", "KEY_STATISTICS", "PANELS", "Panel",
           "check_generation_table", "fan_figure", "generation_releases", "generation_series",
           "heatmap_figure", "indices_figure", "panels_for", "phase_figure", "plot_run",
           "replication_bands", "response_figure", "run_figure", "save_figure"]
