"""The run-anatomy figure: written, valid, and robust to missing columns and idle generations."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neocloud_abm import load_scenario, simulate
from neocloud_abm.interface.plots import generation_releases, generations, panels_for, plot_run, run_figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CREDIT_EQUITY = ("debt_outstanding_usd", "aggregate_ltv", "lender_losses_cum_usd",
                 "neocloud_equity_index", "short_interest")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk; raises if the file is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def keys(df: pd.DataFrame) -> list[str]:
    return [panel.key for panel in panels_for(df)]


@pytest.fixture(scope="module")
def run_df() -> pd.DataFrame:
    params = load_scenario("baseline").with_overrides({"startups.initial_count": 50})
    return simulate(params, seed=1, months=24)


@pytest.fixture
def synthetic() -> pd.DataFrame:
    """36 months: A100 on sale throughout and retired in month 30, H100 released in month
    12, B200 never released (all zeros), plus credit and equity columns."""
    months = 36
    t = np.arange(months, dtype=float)
    a100 = np.where(t < 30, 2.0 - 0.03 * t, 0.0)
    h100 = np.where(t >= 12, 8.0 - 0.2 * (t - 12), 0.0)
    return pd.DataFrame({
        "date": pd.period_range("2022-01", periods=months, freq="M").strftime("%Y-%m"),
        "spot_price_h100e": 3.0 + np.sin(t / 6), "contract_price_h100e": 2.8 + np.sin(t / 6),
        "spot_price_a100": a100, "spot_price_h100": h100, "spot_price_b200": 0.0 * t,
        "gpu_value_index": np.full(months, 3e4),  # an aggregate, not a generation
        "gpu_value_a100": a100 * 5000, "gpu_value_h100": h100 * 4000, "gpu_value_b200": 0.0 * t,
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


def test_model_run_figure_is_a_sensible_png(run_df: pd.DataFrame, tmp_path: Path) -> None:
    path = plot_run(run_df, tmp_path / "figs" / "run.png", title="baseline, 24 months")
    assert path == tmp_path / "figs" / "run.png"
    width, height = png_size(path)
    assert 1000 <= width <= 4000 and 1000 <= height <= 5000
    assert path.stat().st_size > 50_000


def panel_titles(df: pd.DataFrame) -> list[str]:
    axes = run_figure(df).axes
    return [ax.get_title(loc="left") for ax in axes if ax.get_visible() and ax.get_title(loc="left")]


def test_panels_for_missing_optional_columns_are_skipped(run_df: pd.DataFrame,
                                                         synthetic: pd.DataFrame) -> None:
    core = run_df.drop(columns=[c for c in CREDIT_EQUITY if c in run_df.columns])
    assert "credit" not in keys(core) and "equity" not in keys(core)
    assert {"generation_prices", "price_index", "capacity", "revenue_gap"} <= set(keys(core))
    titles = panel_titles(core)
    assert len(titles) == len(keys(core))
    assert not any("Credit" in t or "equity" in t for t in titles)
    full = panel_titles(synthetic)
    assert len(full) == 9 and any("Credit" in t for t in full)
    assert "revenue_gap" not in keys(synthetic.drop(columns=["revenue_gap_usd"]))


def test_one_column_of_a_group_is_enough_for_its_panel(synthetic: pd.DataFrame) -> None:
    only_ltv = synthetic.drop(columns=["debt_outstanding_usd", "lender_losses_cum_usd"])
    assert "credit" in keys(only_ltv)
    run_figure(only_ltv)


def test_zero_generations_are_masked_and_skipped(synthetic: pd.DataFrame) -> None:
    assert generations(synthetic, "spot_price") == ["a100", "h100"]
    assert generations(synthetic, "gpu_value") == ["a100", "h100"]
    releases = generation_releases(synthetic)
    assert list(releases) == ["h100"] and releases["h100"] == pd.Timestamp("2023-01-01")
    fig = run_figure(synthetic)
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert labels == ["A100", "H100"]
    values = next(ax for ax in fig.axes if "Secondary-market" in ax.get_title(loc="left"))
    drawn = [line for line in values.get_lines() if line.get_linestyle() != ":"]  # not releases
    assert len(drawn) == 2  # A100 and H100; not the aggregate index
    price_lines = fig.axes[0].get_lines()
    a100 = next(line for line in price_lines if np.isnan(line.get_ydata()).any())
    assert np.isnan(a100.get_ydata()[30:]).all() and not np.isnan(a100.get_ydata()[:30]).any()


def test_svg_follows_suffix_and_bare_path_gets_png(synthetic: pd.DataFrame,
                                                   tmp_path: Path) -> None:
    prices = synthetic[["date", "spot_price_h100e", "spot_price_a100", "spot_price_h100"]]
    svg = plot_run(prices, tmp_path / "run.svg")
    assert svg.suffix == ".svg" and "<svg" in svg.read_text()[:2000]
    bare = plot_run(prices, tmp_path / "run")
    assert bare.suffix == ".png"
    png_size(bare)


def test_table_without_dates_or_panel_columns_is_rejected(synthetic: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="date"):
        run_figure(synthetic.drop(columns=["date"]))
    with pytest.raises(ValueError, match="none of the columns"):
        run_figure(synthetic[["date"]])
