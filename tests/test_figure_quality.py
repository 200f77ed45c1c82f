"""Every figure type the package draws, checked as a reader of a paper would check it.

For each figure, every text that is actually drawn (recorded by wrapping ``Text.draw`` while
the figure renders through Agg) must be legible:

(a) on every axis (main, twin, secondary and colorbar axes), the visible major tick labels
    on one side are unique: a repeated label ("97%, 97%") means the formatter hides the
    difference between two ticks;
(b) no two drawn texts overlap by more than ``TOLERANCE_PX`` in both directions: tick labels,
    axis labels, titles, legend entries and titles, annotations, cell labels, suptitles;
(c) every drawn text lies inside the figure, so nothing is cut off when it is saved;
(d) no line or data point of an annotation's own axes runs through it, other than the
    point it labels (text on a cell or a filled area is fine).

The checker is tested on figures built to fail, so a green run means something.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from neocloud_abm import NeocloudMarket, load_scenario, simulate, summarize
from neocloud_abm.interface import plots
from neocloud_abm.interface.plot_command import MAX_FAN_POINTS, run_figures, sweep_figures

TOLERANCE_PX = 1.0


# ------------------------------------------------------------------------------ checker

def drawn_texts(fig: Figure) -> list[Text]:
    """Render ``fig`` and return the texts that were drawn with something to show; ticks
    outside the view limits, hidden labels and empty strings are not drawn, so they are
    not checked."""
    FigureCanvasAgg(fig)
    drawn: list[Text] = []
    original = Text.draw

    def recording(self: Text, renderer) -> None:
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        original(self, renderer)

    with mock.patch.object(Text, "draw", recording):
        fig.canvas.draw()
    return drawn


def all_axes(fig: Figure) -> Iterator[Axes]:
    """Every axes of the figure, with the secondary axes that live inside another axes."""
    pending = list(fig.axes)
    while pending:
        ax = pending.pop(0)
        if ax.get_visible():
            yield ax
            pending += ax.child_axes


def axes_name(ax: Axes) -> str:
    """The panel's title, or the axes' label ('<colorbar>'), to say where a problem is."""
    return repr(ax.get_title(loc="left") or ax.get_label() or "an axes")


def describe(text: Text) -> str:
    return f"{text.get_text()!r}" + (f" in {axes_name(text.axes)}" if text.axes else "")


def duplicate_tick_labels(fig: Figure, drawn: list[Text]) -> list[str]:
    """(a) Repeated visible major tick labels on one side of one axis."""
    shown = set(drawn)
    problems = []
    for ax in all_axes(fig):
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            ticks = axis.get_major_ticks()
            for side in ("label1", "label2"):
                labels = [getattr(t, side).get_text() for t in ticks if getattr(t, side) in shown]
                if len(set(labels)) < len(labels):
                    problems.append(f"repeated {name} tick labels {labels} in {axes_name(ax)}")
    return problems


def extents(fig: Figure, texts: list[Text]) -> np.ndarray:
    """Window extents (x0, y0, x1, y1) in pixels of the texts themselves, one row per text
    (``Text.get_window_extent``: an annotation's own would include its leader line)."""
    renderer = fig.canvas.get_renderer()
    return np.array([Text.get_window_extent(t, renderer).extents for t in texts]).reshape(-1, 4)


def overlapping_texts(fig: Figure, drawn: list[Text]) -> list[str]:
    """(b) Pairs of drawn texts whose boxes overlap by more than the tolerance both ways."""
    box = extents(fig, drawn)
    width = np.minimum(box[:, None, 2], box[None, :, 2]) - np.maximum(box[:, None, 0], box[None, :, 0])
    height = np.minimum(box[:, None, 3], box[None, :, 3]) - np.maximum(box[:, None, 1], box[None, :, 1])
    hits = np.argwhere(np.triu((width > TOLERANCE_PX) & (height > TOLERANCE_PX), k=1))
    return [f"{describe(drawn[i])} overlaps {describe(drawn[j])}" for i, j in hits]


def texts_outside(fig: Figure, drawn: list[Text]) -> list[str]:
    """(c) Drawn texts that stick out of the figure and would be cut off."""
    box = extents(fig, drawn)
    width, height = fig.canvas.get_width_height()
    out = ((box[:, 0] < -TOLERANCE_PX) | (box[:, 1] < -TOLERANCE_PX)
           | (box[:, 2] > width + TOLERANCE_PX) | (box[:, 3] > height + TOLERANCE_PX))
    return [f"{describe(drawn[i])} is cut off at the figure's edge" for i in np.flatnonzero(out)]


def annotations_on_data(fig: Figure, drawn: list[Text]) -> list[str]:
    """(d) Annotations whose box is crossed by a line or covers a point of their own axes,
    other than the point they annotate."""
    problems = []
    for text, (x0, y0, x1, y1) in zip(drawn, extents(fig, drawn), strict=True):
        if not isinstance(text, Annotation) or text.axes is None:
            continue
        lines, points = plots.plotted(text.axes)
        points = points[np.hypot(*(points - text.axes.transData.transform(text.xy)).T) > 1.0]
        inside = ((points[:, 0] > x0) & (points[:, 0] < x1) & (points[:, 1] > y0) & (points[:, 1] < y1))
        box = Bbox.from_extents(x0 + TOLERANCE_PX, y0 + TOLERANCE_PX, x1 - TOLERANCE_PX, y1 - TOLERANCE_PX)
        crossed = sum(line.intersects_bbox(box, filled=False) for line in lines)
        if inside.any() or crossed:
            problems.append(f"{describe(text)} covers {int(inside.sum())} data points and "
                            f"is crossed by {crossed} lines")
    return problems


def quality_problems(fig: Figure) -> list[str]:
    """Everything the checks (a)-(d) find in ``fig``; empty for a clean figure."""
    drawn = drawn_texts(fig)
    return (duplicate_tick_labels(fig, drawn) + overlapping_texts(fig, drawn)
            + texts_outside(fig, drawn) + annotations_on_data(fig, drawn))


def assert_clean(fig: Figure) -> None:
    problems = quality_problems(fig)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------- the checker can fail

def bare_figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(4, 3), layout="constrained")
    return fig, fig.subplots()


def test_checker_passes_a_clean_figure() -> None:
    fig, ax = bare_figure()
    ax.plot([0, 1, 2], [0, 1, 0])
    ax.set_title("clean")
    ax.set_xlabel("x")
    assert quality_problems(fig) == []


def test_checker_catches_repeated_tick_labels() -> None:
    fig, ax = bare_figure()
    ax.set_yticks([0, 1, 2], labels=["a", "a", "b"])
    assert any("repeated y tick labels" in p for p in quality_problems(fig))


def test_checker_catches_the_old_percent_formatter_and_not_the_new_one() -> None:
    from matplotlib.ticker import PercentFormatter

    fig, ax = bare_figure()
    ax.plot([0, 1], [0.962, 0.981])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    assert any("'97%', '97%'" in p for p in quality_problems(fig))
    ax.yaxis.set_major_formatter(plots.PERCENT)
    assert quality_problems(fig) == []


def test_checker_catches_overlapping_texts() -> None:
    fig, ax = bare_figure()
    ax.text(0.5, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.52, 0.51, "second label", transform=ax.transAxes)
    assert any("'first label'" in p and "'second label'" in p for p in quality_problems(fig))


def test_checker_catches_a_cut_off_text() -> None:
    fig, _ = bare_figure()
    fig.text(0.99, 0.5, "sticks out")
    assert any("cut off" in p and "'sticks out'" in p for p in quality_problems(fig))


def test_checker_catches_text_over_a_tick_label() -> None:
    fig, ax = bare_figure()
    ax.set_xticks([0.5], labels=["tick"])
    ax.annotate("on the tick", (0.5, 0), xytext=(0, -8), textcoords="offset points",
                annotation_clip=False)
    assert any("'on the tick'" in p and "'tick'" in p for p in quality_problems(fig))


def test_checker_catches_an_annotation_on_the_data() -> None:
    fig, ax = bare_figure()
    ax.plot([0, 1], [0, 1])
    ax.plot([0.2], [0.2], "o")
    ax.annotate("on the line", (0.2, 0.2), xytext=(0.5, 0.5))
    assert any("'on the line'" in p and "crossed by 1 lines" in p for p in quality_problems(fig))


# ------------------------------------------------------------------------- formatters

def test_tick_labels_take_the_decimals_the_ticks_need() -> None:
    assert plots.PERCENT.format_ticks([0.965, 0.97, 0.975]) == ["96.5%", "97.0%", "97.5%"]
    assert plots.PERCENT.format_ticks([-0.2, 0, 0.2, 0.4]) == ["-20%", "0%", "20%", "40%"]
    assert plots.PERCENT.labels([-0.0001, 0.13], [0, 0.05, 0.1]) == ["0%", "13%"]  # no '-0%'
    assert plots.PRICE.format_ticks([0.5, 1, 2, 5]) == ["$0.5", "$1", "$2", "$5"]
    assert plots.PRICE.format_ticks([7.0, 7.025, 7.05]) == ["$7", "$7.025", "$7.05"]
    assert plots.COUNT.format_ticks([1e5, 1.005e5, 1.01e5]) == ["100k", "100.5k", "101k"]
    assert plots.COUNT.format_ticks([0, 5e5, 1e6, 1.5e6]) == ["0", "500k", "1M", "1.5M"]
    assert plots.DOLLARS.format_ticks([-2e9, 0, 2e9]) == ["-$2bn", "$0", "$2bn"]
    assert plots.human(1234.5) == "1.23k" and plots.human(-0.0001, decimals=2) == "0"


def test_heatmap_cells_follow_the_colour_scale_but_drop_useless_zeros() -> None:
    assert plots.PERCENT.labels([0.35, 0.36], [0.35, 0.3525, 0.355]) == ["35%", "36%"]
    assert plots.PERCENT.labels([0.35123, 0.3625], [0.35, 0.355, 0.36]) == ["35.1%", "36.2%"]


def test_release_names_that_would_collide_are_staggered() -> None:
    assert plots.label_rows([0, 100, 200], [30, 30, 30]) == [0, 0, 0]
    assert plots.label_rows([0, 20, 40, 200], [30, 30, 30, 30]) == [0, 1, 0, 0]


# ---------------------------------------------------------------- every figure, checked

class Run(NamedTuple):
    """A model run's month table and per-generation table, which the run figures draw."""

    df: pd.DataFrame
    generations: pd.DataFrame


def model_run(months: int) -> Run:
    model = NeocloudMarket(load_scenario("baseline").with_overrides({"market.months": months}), rng=1).run()
    return Run(model.results(), model.generation_results())


@pytest.fixture(scope="module")
def run48() -> Run:
    return model_run(48)


@pytest.fixture(scope="module")
def run120() -> Run:
    """Ten years: every generation of the schedule is released, several close together."""
    return model_run(120)


GRID = [(a, b) for a in (0.5, 0.6, 0.7) for b in (12, 18, 24)]


def synthetic_summary(points: list[tuple[float, float]], replications: int = 3) -> pd.DataFrame:
    """A sweep summary whose shares vary over a narrow range (97.1-97.6%), the case where
    whole-percent labels repeat, and whose counts are small whole numbers."""
    rows = []
    for point, (ltv, interval) in enumerate(points):
        for rep in range(replications):
            rows.append({"point": point, "replication": rep, "seed": rep, "status": "ok",
                         "lenders.max_ltv": ltv, "nvidia.generation_interval_months": interval,
                         "peak_to_trough": 0.96 + 0.02 * ltv + 0.001 * rep,
                         "default_rate": 0.3 + 0.1 * ltv, "lender_loss_rate": 0.012 + 0.001 * rep,
                         "max_glut": 1 + ltv + interval / 24, "peak_price": 7.0 + 0.1 * rep,
                         "defaults": int(2 + 3 * ltv + rep), "cycles": int(1 + (interval > 15)),
                         "months_peak_to_trough": int(10 + interval)})
    return pd.DataFrame(rows)


def sampled_summary() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return synthetic_summary(list(zip(rng.uniform(0.5, 0.8, 60), rng.uniform(12, 24, 60),
                                      strict=True)), replications=1)


def heatmap(summary: pd.DataFrame, x: str, y: str) -> Figure:
    """Heatmaps of every statistic the summary varies in."""
    return plots.heatmap_figure(summary, plots.numeric_statistics(summary, list(plots.STATISTICS)), x, y,
                                "heatmap")


def response(summary: pd.DataFrame, parameter: str) -> Figure:
    """Response plots of every statistic the summary varies in."""
    return plots.response_figure(summary, plots.numeric_statistics(summary, list(plots.STATISTICS)),
                                 parameter, "response")


INDEX_NAMES = ["lenders.max_ltv", "nvidia.generation_interval_months",
               "neoclouds.competition_neglect", "synthetic.parameter_outside_the_registry"]
SOBOL = pd.DataFrame({"S1": [0.5, 0.2, 0.1, 0.0], "S1_conf": [0.05] * 4,
                      "ST": [0.6, 0.3, 0.15, 0.02], "ST_conf": [0.05] * 4}, index=INDEX_NAMES)
MORRIS = pd.DataFrame({"mu_star": [1.0, 0.9, 0.3, 0.05], "sigma": [0.5, 0.45, 0.2, 0.01],
                       "mu_star_conf": [0.1] * 4}, index=INDEX_NAMES)

FIGURES: dict[str, Callable[[Run, Run], Figure]] = {
    "run 48 months": lambda r48, r120: plots.run_figure(*r48, "baseline, seed 1"),
    "run many generations": lambda r48, r120: plots.run_figure(*r120, "baseline, seed 1"),
    "phase 48 months": lambda r48, r120: plots.phase_figure(*r48, "baseline, seed 1"),
    "phase many generations": lambda r48, r120: plots.phase_figure(*r120),
    "fan": lambda r48, r120: plots.fan_figure(
        {"baseline": [r48.df, r120.df.iloc[:48]], "the same, shorter": [r48.df.iloc[:36]]}, title="fan",
        note="2 of 2 scenarios"),
    "heatmap": lambda r48, r120: heatmap(synthetic_summary(GRID), "lenders.max_ltv",
                                         "nvidia.generation_interval_months"),
    "response grid": lambda r48, r120: response(synthetic_summary(GRID),
                                                "nvidia.generation_interval_months"),
    "response sampled": lambda r48, r120: response(sampled_summary(), "lenders.max_ltv"),
    "sobol": lambda r48, r120: plots.indices_figure(SOBOL, "defaults", "Sobol'"),
    "sobol with noise floor": lambda r48, r120: plots.indices_figure(SOBOL, "defaults", "Sobol'",
                                                                      noise_floor=0.29),
    "morris": lambda r48, r120: plots.indices_figure(MORRIS, "defaults", "Morris"),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_is_legible(name: str, run48: Run, run120: Run) -> None:
    assert_clean(FIGURES[name](run48, run120))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory, run48: Run) -> Path:
    folder = tmp_path_factory.mktemp("run")
    run48.df.to_parquet(folder / "series.parquet")
    run48.generations.to_parquet(folder / "generations.parquet")
    (folder / "run.json").write_text(json.dumps({"scenario": "baseline", "seed": 1}))
    return folder


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 x 3 grid sweep of real 24-month runs, one replication each, laid out as
    ``neocloud-abm sweep`` writes it."""
    folder = tmp_path_factory.mktemp("sweep")
    (folder / "runs").mkdir()
    rows = []
    for point, (neglect, ltv) in enumerate((a, b) for a in (0.2, 0.6, 1.0) for b in (0.5, 0.6, 0.7)):
        values = {"neoclouds.competition_neglect": neglect, "lenders.max_ltv": ltv}
        df = simulate(load_scenario("baseline").with_overrides(values), seed=point, months=24)
        df.assign(point=point, replication=0).to_parquet(folder / "runs" / f"p{point}.parquet")
        rows.append({"point": point, "replication": 0, "seed": point, **values, **summarize(df),
                     "status": "ok"})
    pd.DataFrame(rows).to_parquet(folder / "summary.parquet")
    (folder / "spec.json").write_text(json.dumps({"name": "grid", "design": {"kind": "grid"}}))
    return folder


def test_plot_command_figures_of_a_run_folder_are_legible(run_folder: Path) -> None:
    figures = run_figures(run_folder)
    assert set(figures) == {"anatomy", "phase"}
    for fig in figures.values():
        assert_clean(fig)


def test_plot_command_figures_of_a_sweep_folder_are_legible(sweep_folder: Path) -> None:
    figures = sweep_figures(sweep_folder)
    assert {"heatmap", "fan", "response_competition_neglect", "response_max_ltv"} <= set(figures)
    for fig in figures.values():
        assert_clean(fig)
    title = figures["fan"].legends[0].get_title().get_text()
    assert f"{MAX_FAN_POINTS} of 9 design points, evenly spread over the design" in title
