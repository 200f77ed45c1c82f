"""The run-anatomy figure: written, valid, robust to missing columns and idle generations, and
drawing exactly the generations of the per-generation table."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.core.months import format_month
from neocloud_abm.interface.plots import (
    GENERATION_TABLE_COLUMNS,
    generation_releases,
    generation_series,
    panels_for,
    plot_run,
    run_figure,
)
from neocloud_abm.outputs.reporters import generation_table

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CREDIT_EQUITY = ("debt_outstanding_usd", "aggregate_ltv", "lender_losses_cum_usd",
                 "neocloud_equity_index", "short_interest")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk; raises if the file is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def long_table(dates: pd.Series, series: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    """A per-generation table from ``{generation: {variable: monthly values}}``."""
    return pd.DataFrame([(date, generation, variable, value)
                         for generation, variables in series.items()
                         for variable, values in variables.items()
                         for date, value in zip(dates, values, strict=True)],
                        columns=list(GENERATION_TABLE_COLUMNS))


def keys(df: pd.DataFrame, generations: pd.DataFrame) -> list[str]:
    return [panel.key for panel in panels_for(df, generations)]


@pytest.fixture(scope="module")
def model_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A short model run: its month table and per-generation table."""
    params = load_scenario("baseline").with_overrides({"startups.initial_count": 50, "market.months": 24})
    model = NeocloudMarket(params, rng=1).run()
    return model.results(), model.generation_results()


SYNTHETIC_MONTHS = 36
SYNTHETIC_DATES = pd.Series(pd.period_range("2022-01", periods=SYNTHETIC_MONTHS, freq="M").strftime("%Y-%m"))


@pytest.fixture
def synthetic_generations() -> pd.DataFrame:
    """A100 on sale from the start and retired in month 30, H100 released in month 12,
    B200 never released (all zeros)."""
    t = np.arange(SYNTHETIC_MONTHS, dtype=float)
    a100 = np.where(t < 30, 2.0 - 0.03 * t, 0.0)
    h100 = np.where(t >= 12, 8.0 - 0.2 * (t - 12), 0.0)
    return long_table(SYNTHETIC_DATES, {"a100": {"price": a100, "value": a100 * 5000},
                                        "h100": {"price": h100, "value": h100 * 4000},
                                        "b200": {"price": 0.0 * t, "value": 0.0 * t}})


@pytest.fixture
def synthetic() -> pd.DataFrame:
    """The month table of 36 months: aggregates, credit and equity columns, and no
    per-generation columns (those are in ``synthetic_generations``)."""
    months = SYNTHETIC_MONTHS
    t = np.arange(months, dtype=float)
    return pd.DataFrame({
        "date": SYNTHETIC_DATES,
        "spot_price_h100e": 3.0 + np.sin(t / 6), "contract_price_h100e": 2.8 + np.sin(t / 6),
        "gpu_value_index": np.full(months, 3e4),
        "installed_h100e": 1e5 + 5e3 * t, "demand_h100e_hours": 730 * (9e4 + 6e3 * t),
        "sold_h100e_hours": 730 * (8e4 + 5e3 * t), "utilization": np.full(months, 0.8),
        "backlog_h100e": 2e4 * np.exp(-t / 10), "deliveries_h100e": np.full(months, 5e3),
        "nvidia_lead_time_months": 3 + 6 * np.exp(-t / 10),
        "neoclouds_active": np.full(months, 12), "neocloud_entries": (t % 10 == 5).astype(int),
        "neocloud_defaults_cum": (t > 20).astype(int), "revenue_gap_usd": 1e9 * (10 - t),
        "sentiment": np.linspace(0.1, 1.2, months),
        "debt_outstanding_usd": 1e9 * t, "aggregate_ltv": np.full(months, 0.6),
        "lender_losses_cum_usd": 1e7 * t, "neocloud_equity_index": 100 + t,
        "short_interest": np.full(months, 0.05),
    })


def test_model_run_figure_is_a_sensible_png(model_run: tuple[pd.DataFrame, pd.DataFrame],
                                            tmp_path: Path) -> None:
    path = plot_run(*model_run, tmp_path / "figs" / "run.png", title="baseline, 24 months")
    assert path == tmp_path / "figs" / "run.png"
    width, height = png_size(path)
    assert 1000 <= width <= 4000 and 1000 <= height <= 5000
    assert path.stat().st_size > 50_000


def panel_titles(df: pd.DataFrame, generations: pd.DataFrame) -> list[str]:
    axes = run_figure(df, generations).axes
    return [ax.get_title(loc="left") for ax in axes if ax.get_visible() and ax.get_title(loc="left")]


def drawn_lines(fig, title: str) -> list:
    """The data lines of the panel whose title contains ``title``, not the dotted release
    markers."""
    ax = next(ax for ax in fig.axes if title in ax.get_title(loc="left"))
    return [line for line in ax.get_lines() if line.get_linestyle() != ":"]


def test_panels_for_missing_optional_columns_are_skipped(model_run: tuple[pd.DataFrame, pd.DataFrame],
                                                         synthetic: pd.DataFrame,
                                                         synthetic_generations: pd.DataFrame) -> None:
    run_df, generations = model_run
    core = run_df.drop(columns=[c for c in CREDIT_EQUITY if c in run_df.columns])
    assert "credit" not in keys(core, generations) and "equity" not in keys(core, generations)
    assert {"generation_prices", "price_index", "capacity", "revenue_gap"} <= set(keys(core, generations))
    titles = panel_titles(core, generations)
    assert len(titles) == len(keys(core, generations))
    assert not any("Credit" in t or "equity" in t for t in titles)
    full = panel_titles(synthetic, synthetic_generations)
    assert len(full) == 10 and any("Credit" in t for t in full)
    assert "revenue_gap" not in keys(synthetic.drop(columns=["revenue_gap_usd"]), synthetic_generations)


def test_per_generation_panels_need_a_generation_on_the_market(synthetic: pd.DataFrame,
                                                               synthetic_generations: pd.DataFrame) -> None:
    with_generations = set(keys(synthetic, synthetic_generations))
    assert {"generation_prices", "gpu_values"} <= with_generations
    idle = synthetic_generations.assign(value=0.0)  # nothing ever on the market
    assert set(keys(synthetic, idle)) == with_generations - {"generation_prices", "gpu_values"}
    assert set(keys(synthetic, synthetic_generations.iloc[:0])) == set(keys(synthetic, idle))


def test_one_column_of_a_group_is_enough_for_its_panel(synthetic: pd.DataFrame,
                                                       synthetic_generations: pd.DataFrame) -> None:
    only_ltv = synthetic.drop(columns=["debt_outstanding_usd", "lender_losses_cum_usd"])
    assert "credit" in keys(only_ltv, synthetic_generations)
    run_figure(only_ltv, synthetic_generations)


def test_zero_generations_are_masked_and_skipped(synthetic: pd.DataFrame,
                                                 synthetic_generations: pd.DataFrame) -> None:
    assert list(generation_series(synthetic_generations, "price").columns) == ["a100", "h100"]
    assert list(generation_series(synthetic_generations, "value").columns) == ["a100", "h100"]
    releases = generation_releases(synthetic_generations)
    assert list(releases) == ["h100"] and releases["h100"] == pd.Timestamp("2023-01-01")
    fig = run_figure(synthetic, synthetic_generations)
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert labels == ["A100", "H100"]
    assert len(drawn_lines(fig, "Secondary-market")) == 2  # A100 and H100; not the aggregate index
    a100 = next(line for line in drawn_lines(fig, "by generation") if np.isnan(line.get_ydata()).any())
    assert np.isnan(a100.get_ydata()[30:]).all() and not np.isnan(a100.get_ydata()[:30]).any()


def test_release_lines_are_at_the_chips_releases_not_their_first_rent() -> None:
    """The H100 was released in 2023-03 and first rented months later; the figures mark the
    release."""
    model = NeocloudMarket(load_scenario("baseline"), rng=1)
    table = generation_table(run("baseline", 1), model.gens)
    releases = generation_releases(table)
    expected = {g.name: pd.Timestamp(format_month(g.release) + "-01") for g in model.gens[1:]
                if model.start < g.release < model.start + model.horizon}
    assert releases == expected and releases["h100"] == pd.Timestamp("2023-03-01")


def test_generations_come_from_the_generation_table_not_column_names(synthetic: pd.DataFrame) -> None:
    """Columns that look per-generation (an aggregate's ``*_index`` or ``*_h100e``, a typo's
    ``gpu_value_b2000``, another chip's ``spot_price_b200``) draw nothing: the price and
    value panels show exactly the two generations of the per-generation table, with its
    values, and the legend names exactly those two."""
    t = np.arange(SYNTHETIC_MONTHS, dtype=float)
    lookalikes = synthetic.assign(spot_price_index=5.0, gpu_value_h100e=4e4, gpu_value_b2000=3e4,
                                  spot_price_b200=9.0, spot_price_h100=99.0)
    prices = {"h100": 4.0 - 0.05 * t, "rubin": np.where(t >= 6, 20.0 - 0.1 * t, 0.0)}
    generations = long_table(SYNTHETIC_DATES, {g: {"price": p, "value": 3000 * p} for g, p in prices.items()})
    fig = run_figure(lookalikes, generations)
    assert [text.get_text() for legend in fig.legends for text in legend.get_texts()] == ["H100", "Rubin"]
    price_lines = drawn_lines(fig, "by generation")
    assert len(price_lines) == 2 and len(drawn_lines(fig, "Secondary-market")) == 2
    drawn = sorted(np.nan_to_num(line.get_ydata()).tolist() for line in price_lines)
    assert drawn == sorted(p.tolist() for p in prices.values())
    assert list(generation_releases(generations)) == ["rubin"]


def test_generation_table_of_other_months_is_rejected(synthetic: pd.DataFrame,
                                                      synthetic_generations: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="other months"):
        run_figure(synthetic.iloc[:24], synthetic_generations)
    with pytest.raises(ValueError, match=r"generation table needs columns .*it has no variable"):
        run_figure(synthetic, synthetic_generations.drop(columns=["variable"]))


def test_svg_follows_suffix_and_bare_path_gets_png(synthetic: pd.DataFrame,
                                                   synthetic_generations: pd.DataFrame,
                                                   tmp_path: Path) -> None:
    prices = synthetic[["date", "spot_price_h100e"]]
    svg = plot_run(prices, synthetic_generations, tmp_path / "run.svg")
    assert svg.suffix == ".svg" and "<svg" in svg.read_text()[:2000]
    bare = plot_run(prices, synthetic_generations, tmp_path / "run")
    assert bare.suffix == ".png"
    png_size(bare)


def test_table_without_dates_or_panel_columns_is_rejected(synthetic: pd.DataFrame,
                                                          synthetic_generations: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="date"):
        run_figure(synthetic.drop(columns=["date"]), synthetic_generations)
    with pytest.raises(ValueError, match="none of the columns"):
        run_figure(synthetic[["date"]], synthetic_generations.iloc[:0])


def test_the_stress_panel_adds_up_the_lenders_forced_flows(model_run: tuple[pd.DataFrame, pd.DataFrame]
                                                           ) -> None:
    """Loans sold, funding withdrawn and redemptions are drawn cumulatively in $bn, with
    Nvidia's exposure beside them."""
    df, generations = model_run
    df = df.assign(loans_sold_usd=np.linspace(0.0, 1e9, len(df)))  # a run short of any sale
    lines = {line.get_label(): line for line in drawn_lines(run_figure(df, generations),
                                                            "Lenders under strain")}
    assert lines["Loans sold"].get_ydata()[-1] == pytest.approx(
        df["loans_sold_usd"].sum() / 1e9)
    assert lines["Nvidia exposure"].get_ydata()[-1] == pytest.approx(
        df["nvidia_exposure_usd"].iloc[-1] / 1e9)
