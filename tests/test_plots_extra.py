"""Fan charts, phase portrait, sweep views and `neocloud-abm plot`, on synthetic tables (fast)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neocloud_abm import plots
from neocloud_abm.params import NeocloudError
from neocloud_abm.plotting_command import add_plot_parser, plot_folder


def run_table(seed: int, months: int = 36, growth: float = 0.15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(months, dtype=float)
    return pd.DataFrame({
        "date": pd.period_range("2022-01", periods=months, freq="M").strftime("%Y-%m"),
        "spot_price_h100e": 3 + 4 * np.exp(-((t - 15) / 5) ** 2) + rng.normal(0, 0.1, months),
        "utilization": np.clip(0.9 - 0.3 * np.sin(t / 5) + rng.normal(0, 0.02, months), 0, 1),
        "installed_h100e": 4e4 * np.exp(growth * t), "neocloud_defaults_cum": (t > 20) * 2.0,
        "spot_price_a100": np.full(months, 1.2), "spot_price_h100": np.where(t >= 12, 7.0, 0.0),
        "debt_outstanding_usd": 1e9 * (1 + t), "collateral_value_usd": 1.3e9 * (1 + t),
    })


def summary_table() -> pd.DataFrame:
    rows = []
    for point, (a, b) in enumerate((a, b) for a in (0.0, 1.0) for b in (12, 24)):
        for rep in range(3):
            rows.append({"point": point, "replication": rep, "seed": rep,
                         "neoclouds.competition_neglect": a, "nvidia.generation_interval_months": b,
                         "peak_to_trough": 0.5 + 0.2 * a + 0.01 * rep, "max_glut": 1 + a + b / 24,
                         "peak_price": 7.0 + rep, "status": "ok"})
    return pd.DataFrame(rows)


def test_wide_capacity_gets_a_log_axis() -> None:
    fig = plots.run_figure(run_table(0))  # 40k -> 8M: 200x
    capacity = next(ax for ax in fig.axes if "capacity" in ax.get_title(loc="left"))
    assert capacity.get_yscale() == "log" and "log" in capacity.get_ylabel()
    narrow = plots.run_figure(run_table(0, growth=0.01))
    capacity = next(ax for ax in narrow.axes if "capacity" in ax.get_title(loc="left"))
    assert capacity.get_yscale() == "linear"


def test_fan_bands_and_scenarios_share_axes(tmp_path: Path) -> None:
    runs = {"low": [run_table(s) for s in range(5)], "high": [run_table(s, growth=0.2) for s in range(5)]}
    bands = plots.replication_bands(runs["low"], "spot_price_h100e")
    assert list(bands.columns) == list(plots.QUANTILES) and len(bands) == 36
    assert (bands[0.05] <= bands[0.5]).all() and (bands[0.5] <= bands[0.95]).all()
    fig = plots.fan_figure(runs, title="test")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5  # the FAN_COLUMNS every run has
    assert len(visible[0].get_lines()) == 2  # one median per scenario
    paths = plots.save_figure(fig, tmp_path / "fan")
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size for p in paths)


def test_phase_portrait_adds_credit_panel_when_present() -> None:
    df = run_table(1)
    assert len([ax for ax in plots.phase_figure(df).axes if ax.get_label() != "<colorbar>"]) == 2
    core = df.drop(columns=["collateral_value_usd"])
    assert len([ax for ax in plots.phase_figure(core).axes if ax.get_label() != "<colorbar>"]) == 1
    with pytest.raises(ValueError, match="utilization"):
        plots.phase_figure(df.drop(columns=["utilization"]))


def test_sweep_views() -> None:
    summary = summary_table()
    stats = plots.numeric_statistics(summary)
    assert stats == ["peak_to_trough", "max_glut", "peak_price"]
    heat = plots.heatmap_figure(summary, stats, "neoclouds.competition_neglect",
                                "nvidia.generation_interval_months")
    labels = [t.get_text() for t in heat.axes[0].texts]
    assert len(labels) == 4 and "71%" in labels  # median of 0.70, 0.71, 0.72
    plots.response_figure(summary, stats, "neoclouds.competition_neglect")
    sobol = pd.DataFrame({"S1": [0.6, 0.1], "S1_conf": [0.05, 0.05], "ST": [0.7, 0.2],
                          "ST_conf": [0.05, 0.05]}, index=["a.x", "b.y"])
    assert plots.indices_figure(sobol, "max_glut").axes[0].get_yticklabels()[-1].get_text() == "X (a)"
    morris = pd.DataFrame({"mu": [1, 2], "mu_star": [1, 2], "sigma": [0.5, 1], "mu_star_conf": [0.1, 0.1]},
                          index=["a.x", "b.y"])
    assert len(plots.indices_figure(morris).axes) == 2
    with pytest.raises(ValueError, match="S1"):
        plots.indices_figure(pd.DataFrame({"z": [1]}))


def test_plot_command_on_run_and_sweep_folders(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    run_table(2).to_parquet(run / "series.parquet")
    (run / "run.json").write_text(json.dumps({"scenario": "baseline", "seed": 2}))
    assert {p.name for p in plot_folder(run)} == {"anatomy.png", "anatomy.svg", "phase.png", "phase.svg"}
    sweep = tmp_path / "sweep"
    (sweep / "runs").mkdir(parents=True)
    summary_table().to_parquet(sweep / "summary.parquet")
    for point in range(4):
        run_table(point).assign(point=point, replication=0).to_parquet(sweep / "runs" / f"p{point}.parquet")
    names = {p.stem for p in plot_folder(sweep)}
    assert {"heatmap", "fan", "response_competition_neglect"} <= names
    parser = argparse.ArgumentParser()
    add_plot_parser(parser.add_subparsers())
    args = parser.parse_args(["plot", str(tmp_path)])
    with pytest.raises(NeocloudError, match="neither a run folder"):
        args.func(args)
