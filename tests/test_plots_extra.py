"""Fan charts, phase portrait, sweep views and `neocloud-abm plot`, on synthetic tables (fast)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_experiments_runner import SPEC, write_spec
from test_plots import long_table

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.interface import plots
from neocloud_abm.interface.plot_command import FIGURES, add_plot_parser, plot_folder
from neocloud_abm.parameters.registry import PARAMETERS, parameter_label


def run_table(seed: int, months: int = 36, growth: float = 0.15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(months, dtype=float)
    return pd.DataFrame({
        "date": pd.period_range("2022-01", periods=months, freq="M").strftime("%Y-%m"),
        "spot_price_h100e": 3 + 4 * np.exp(-((t - 15) / 5) ** 2) + rng.normal(0, 0.1, months),
        "utilization": np.clip(0.9 - 0.3 * np.sin(t / 5) + rng.normal(0, 0.02, months), 0, 1),
        "installed_h100e": 4e4 * np.exp(growth * t), "neocloud_defaults_cum": (t > 20) * 2.0,
        "debt_outstanding_usd": 1e9 * (1 + t), "collateral_value_usd": 1.3e9 * (1 + t),
    })


def generation_rows(months: int = 36) -> pd.DataFrame:
    """The per-generation table that goes with ``run_table``: the A100 on sale throughout,
    the H100 released in month 12."""
    t = np.arange(months, dtype=float)
    prices = {"a100": np.full(months, 1.2), "h100": np.where(t >= 12, 7.0, 0.0)}
    return long_table(run_table(0, months)["date"],
                      {g: {"price": p, "value": 5000.0 * p} for g, p in prices.items()})


def summary_table(neglect: tuple[float, ...] = (0.0, 1.0),
                  interval: tuple[int, ...] = (12, 24)) -> pd.DataFrame:
    rows = []
    for point, (a, b) in enumerate((a, b) for a in neglect for b in interval):
        for rep in range(3):
            rows.append({"point": point, "replication": rep, "seed": rep,
                         "neoclouds.competition_neglect": a, "nvidia.generation_interval_months": b,
                         "peak_to_trough": 0.5 + 0.2 * a + 0.01 * rep, "max_glut": 1 + a + b / 24,
                         "peak_price": 7.0 + rep, "status": "ok"})
    return pd.DataFrame(rows)


def test_wide_capacity_gets_a_log_axis() -> None:
    fig = plots.run_figure(run_table(0), generation_rows())  # 40k -> 8M: 200x
    capacity = next(ax for ax in fig.axes if "capacity" in ax.get_title(loc="left"))
    assert capacity.get_yscale() == "log" and "log" in capacity.get_ylabel()
    narrow = plots.run_figure(run_table(0, growth=0.01), generation_rows())
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


def phase_panels(fig) -> list:
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def test_phase_portrait_adds_credit_panel_when_present() -> None:
    df, generations = run_table(1), generation_rows()
    assert len(phase_panels(plots.phase_figure(df, generations))) == 2
    core = df.drop(columns=["collateral_value_usd"])
    assert len(phase_panels(plots.phase_figure(core, generations))) == 1
    with pytest.raises(ValueError, match="utilization"):
        plots.phase_figure(df.drop(columns=["utilization"]), generations)


def test_phase_portrait_marks_the_releases_of_the_generation_table() -> None:
    """One diamond per release in the per-generation table, at the release month (the H100
    in month 12; the A100, on sale from the start, has none), labelled with its name."""
    df = run_table(1)
    price = phase_panels(plots.phase_figure(df, generation_rows()))[0]
    diamonds = [line for line in price.get_lines() if line.get_marker() == "D"]
    assert len(diamonds) == 1
    assert diamonds[0].get_xdata()[0] == df["utilization"].iloc[12]
    assert "H100" in [text.get_text() for text in price.texts]
    idle = generation_rows().assign(value=1.0)  # every generation on sale from the start
    assert not [line for line in phase_panels(plots.phase_figure(df, idle))[0].get_lines()
                if line.get_marker() == "D"]


SOBOL_INDICES = pd.DataFrame({"S1": [0.6, 0.1], "S1_conf": [0.05, 0.05], "ST": [0.7, 0.2],
                              "ST_conf": [0.05, 0.05]}, index=["a.x", "b.y"])


def test_sweep_views() -> None:
    summary = summary_table()
    stats = plots.numeric_statistics(summary)
    assert stats == ["peak_to_trough", "max_glut", "peak_price"]
    heat = plots.heatmap_figure(summary, stats, "neoclouds.competition_neglect",
                                "nvidia.generation_interval_months")
    labels = [t.get_text() for t in heat.axes[0].texts]
    assert len(labels) == 4 and "71%" in labels  # median of 0.70, 0.71, 0.72
    plots.response_figure(summary, stats, "neoclouds.competition_neglect")
    assert plots.indices_figure(SOBOL_INDICES, "max_glut").axes[0].get_yticklabels()[-1].get_text() == "X"
    morris = pd.DataFrame({"mu": [1, 2], "mu_star": [1, 2], "sigma": [0.5, 1], "mu_star_conf": [0.1, 0.1]},
                          index=["a.x", "b.y"])
    assert len(plots.indices_figure(morris).axes) == 2
    with pytest.raises(ValueError, match="noise floor applies to Sobol"):
        plots.indices_figure(morris, noise_floor=0.3)
    with pytest.raises(ValueError, match="S1"):
        plots.indices_figure(pd.DataFrame({"z": [1]}))


def test_parameter_labels_come_from_the_registry() -> None:
    name = "lenders.max_ltv"
    label = parameter_label(name)
    assert plots.parameter_axis_label(name) == f"{label[:1].upper()}{label[1:]} [{PARAMETERS[name].unit}]"
    assert plots.parameter_axis_label("synthetic.some_knob") == "Some knob"  # not in the registry
    heat = plots.heatmap_figure(summary_table(), ["max_glut"], "neoclouds.competition_neglect",
                                "nvidia.generation_interval_months")
    assert heat.axes[0].get_xlabel() == plots.parameter_axis_label("neoclouds.competition_neglect")


def visible_ticks(ax) -> np.ndarray:
    ax.figure.draw_without_rendering()
    low, high = ax.get_ylim()
    ticks = ax.get_yticks()
    return ticks[(ticks >= low) & (ticks <= high)]


def test_counts_get_whole_number_ticks() -> None:
    summary = summary_table().assign(defaults=lambda d: d["replication"] % 2, cycles=1)
    fig = plots.response_figure(summary, ["defaults", "max_glut"], "neoclouds.competition_neglect")
    assert np.array_equal(visible_ticks(fig.axes[0]), [0, 1])
    assert not np.allclose(visible_ticks(fig.axes[1]) % 1, 0)  # a ratio keeps its fractions
    fan = plots.fan_figure({"one": [run_table(0)]}, columns=["neocloud_defaults_cum"])
    assert np.array_equal(visible_ticks(fan.axes[0]), [0, 1, 2])


def sweep_folder(root: Path, summary: pd.DataFrame) -> Path:
    sweep = root / "sweep"
    (sweep / "runs").mkdir(parents=True)
    summary.to_parquet(sweep / "summary.parquet")
    for point in summary["point"].unique():
        run_table(point).assign(point=point, replication=0).to_parquet(sweep / "runs" / f"p{point}.parquet")
    return sweep


def run_folder(root: Path) -> Path:
    run = root / "run"
    run.mkdir()
    run_table(2).to_parquet(run / "series.parquet")
    generation_rows().to_parquet(run / "generations.parquet")
    (run / "run.json").write_text(json.dumps({"scenario": "baseline", "seed": 2}))
    return run


def test_plot_command_on_run_and_sweep_folders(tmp_path: Path) -> None:
    run = run_folder(tmp_path)
    assert {p.name for p in plot_folder(run)} == {"anatomy.png", "anatomy.svg", "phase.png", "phase.svg"}
    names = {p.stem for p in plot_folder(sweep_folder(tmp_path, summary_table()))}
    assert {"heatmap", "fan", "response_competition_neglect"} <= names


def floor_lines(figure) -> list[float]:
    """The x positions of the dashed vertical lines (the seed-noise floor) of a figure."""
    return [line.get_xdata()[0] for line in figure.axes[0].lines if line.get_linestyle() == "--"]


def test_sobol_figure_draws_the_seed_noise_floor_of_a_replicated_design(tmp_path: Path) -> None:
    """A parameter without any effect has a total index near the seed noise left in the
    point means; the figure draws that level where the design has replications."""
    from neocloud_abm.experiments import load_spec, load_summary, noise_shares, run_sweep
    from neocloud_abm.interface.plot_command import indices_figures

    figure = plots.indices_figure(SOBOL_INDICES, "max_glut", noise_floor=0.3)
    assert floor_lines(figure) == [0.3]
    assert "Seed-noise floor of ST (0.30)" in [t.get_text() for t in figure.legends[0].get_texts()]
    assert floor_lines(plots.indices_figure(SOBOL_INDICES, "max_glut")) == []

    design = """
[design]
kind = "sobol"
samples = 4
[design.parameters]
"neoclouds.competition_neglect" = { low = 0.2, high = 0.9 }
"nvidia.generation_interval_months" = { low = 12, high = 24 }
"""
    for replications, name in ((2, "replicated"), (1, "single")):
        text = SPEC.replace("replications = 3", f"replications = {replications}").replace(
            'name = "', f'name = "{name}_').split("[design]")[0] + design
        folder = run_sweep(load_spec(write_spec(tmp_path, text)), tmp_path / "results").folder
        summary = load_summary(folder)
        figure = indices_figures(folder, summary, ["peak_price"], "sobol", name)["sobol_peak_price"]
        expected = [float(noise_shares(summary, "peak_price")["means"])] if replications > 1 else []
        assert floor_lines(figure) == pytest.approx(expected)


def test_fan_of_a_large_design_says_it_shows_a_selection(tmp_path: Path) -> None:
    from neocloud_abm.interface.plot_command import sweep_figures

    fan = sweep_figures(sweep_folder(tmp_path, summary_table((0.0, 0.5, 1.0), (12, 18, 24))))["fan"]
    title = fan.legends[0].get_title().get_text()
    assert "4 of 9 design points, evenly spread over the design" in title
    assert len(fan.legends[0].get_texts()) == 4 + 2  # the points shown, and the two bands


def plot_cli(folder: Path) -> int:
    parser = argparse.ArgumentParser()
    add_plot_parser(parser.add_subparsers())
    args = parser.parse_args(["plot", str(folder)])
    return args.func(args)


def test_plot_command_says_what_is_wrong_with_the_folder(tmp_path: Path) -> None:
    with pytest.raises(NeocloudError, match=r"nowhere does not exist$"):
        plot_cli(tmp_path / "nowhere")
    with pytest.raises(NeocloudError, match=r"is neither a run folder \(series.parquet.*nor a sweep folder"):
        plot_cli(tmp_path)


def test_run_folder_without_generation_table_is_refused_before_drawing(tmp_path: Path, monkeypatch,
                                                                       capsys) -> None:
    """A run folder from before generations.parquet: a one-line error (exit 2 from the
    command line) saying to re-run, and no figures folder left behind."""
    from neocloud_abm.interface.cli import main

    run = run_folder(tmp_path)
    (run / "generations.parquet").unlink()
    monkeypatch.setattr(plots, "run_figure", lambda *a, **k: pytest.fail("drew without the table"))
    with pytest.raises(NeocloudError, match=r"predates generations.parquet .*re-run 'neocloud-abm run'"):
        plot_folder(run)
    assert main(["plot", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "predates generations.parquet" in err
    assert not (run / FIGURES).exists()


def test_unwritable_figures_folder_fails_before_drawing(tmp_path: Path, monkeypatch) -> None:
    run = run_folder(tmp_path)
    (run / FIGURES).write_text("not a folder")
    monkeypatch.setattr(plots, "run_figure", lambda *a, **k: pytest.fail("drew before checking"))
    with pytest.raises(NeocloudError, match=r"cannot write figures to .*figures: it exists and is not a"):
        plot_folder(run)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="permissions do not stop root from writing")
def test_read_only_folder_fails_before_drawing(tmp_path: Path, monkeypatch) -> None:
    run = run_folder(tmp_path)
    run.chmod(0o555)
    monkeypatch.setattr(plots, "run_figure", lambda *a, **k: pytest.fail("drew before checking"))
    try:
        with pytest.raises(NeocloudError, match=r"cannot write figures to .*figures: Permission denied"):
            plot_folder(run)
    finally:
        run.chmod(0o755)
