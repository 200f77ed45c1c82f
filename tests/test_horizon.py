"""The run length has one source of truth, ``market.months``: whichever way a horizon is
asked for (the API's ``months``, ``--months``, a spec's ``months``, a grid over
``market.months``), the chip roadmap and every dated input are laid out for the months
actually simulated."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import run

from neocloud_abm import load_scenario, simulate
from neocloud_abm.experiments import load_spec, run_sweep
from neocloud_abm.interface.cli import main

LATER_GENERATIONS = {"spot_price_b200", "spot_price_rubin", "gpu_value_b200", "gpu_value_rubin"}


def _short_scenario(tmp_path):
    path = tmp_path / "short.toml"
    path.write_text('extends = "baseline"\n[parameters.market]\nmonths = 24\n')
    return path


def test_a_longer_run_of_a_short_scenario_has_every_generation_of_its_horizon(tmp_path):
    short = load_scenario(_short_scenario(tmp_path))
    assert not LATER_GENERATIONS & set(simulate(short, seed=1).columns)
    longer = simulate(short, seed=1, months=72)
    assert len(longer) == 72 and set(longer.columns) >= LATER_GENERATIONS
    assert (longer["spot_price_b200"] > 0).any(), "the B200 (2025-01) is rented within 72 months"
    pd.testing.assert_frame_equal(longer, simulate(load_scenario("baseline"), seed=1, months=72))


@pytest.mark.parametrize("scenario", ["baseline", "credit_crunch", "blackwell_shock"])
def test_a_run_does_not_depend_on_its_horizon(scenario):
    """The months a run simulates are the first months of any longer run with the same seed:
    nothing looks ahead to the horizon, and the sums over generations do not depend on how
    many the roadmap lays out (docs/model.md, section 6.4), so a short run answers a question
    about its months exactly as the long one does; the long run adds only the columns of
    generations not yet released (nil) while the short one lasts. (Before sums over
    generations were correctly rounded, a 120-month run's eight generations parted it from
    the 72-month run in 2026-09.)"""
    for months, longer in ((72, 120), (120, 240)):
        short, long = run(scenario, 2, months), run(scenario, 2, longer)
        pd.testing.assert_frame_equal(short, long.iloc[:months][short.columns])
        later = [column for column in long.columns if column not in short.columns]
        assert later and (long.loc[:months - 1, later] == 0).all().all(), (months, later)


def test_months_on_the_command_line_is_market_months(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--scenario", str(_short_scenario(tmp_path)), "--months", "72",
                 "--out", str(out)]) == 0
    series = pd.read_parquet(out / "series.parquet")
    assert len(series) == 72 and set(series.columns) >= LATER_GENERATIONS


def test_sweep_horizons_from_the_spec_and_from_a_grid(tmp_path):
    scenario = _short_scenario(tmp_path)
    spec = tmp_path / "spec.toml"
    spec.write_text(f'name = "horizons"\nscenario = "{scenario}"\nseed = 1\n'
                    '[design]\nkind = "grid"\n[design.parameters]\n"market.months" = [24, 72]\n')
    report = run_sweep(load_spec(spec), tmp_path / "results")
    lengths = {}
    for path in sorted((report.folder / "runs").glob("*.parquet")):
        frame = pd.read_parquet(path)
        lengths[len(frame)] = set(frame.columns) >= LATER_GENERATIONS
    assert lengths == {24: False, 72: True}
    spec.write_text(f'name = "long"\nscenario = "{scenario}"\nseed = 1\nmonths = 36\n')
    report = run_sweep(load_spec(spec), tmp_path / "results")
    frame = pd.read_parquet(next((report.folder / "runs").glob("*.parquet")))
    assert len(frame) == 36 and "spot_price_b200" in frame.columns
