"""Calibration by simulated moments (ABC rejection over a sweep): the command runs and
resumes a spec, writes the posterior, the fit and a scenario that loads; and on data
simulated from known parameters it recovers them within the uncertainty it reports."""

from __future__ import annotations

import pandas as pd
import pytest

from neocloud_abm import NeocloudMarket
from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.experiments import SerialExecutor, parse_spec
from neocloud_abm.experiments.calibration import (
    CALIBRATION_FILE,
    POSTERIOR_FILE,
    SCENARIO_FILE,
    calibrate_folder,
    check_calibration_spec,
    identification,
)
from neocloud_abm.interface.cli import main
from neocloud_abm.outputs.moments import FIRM_LEVEL, MOMENTS, pseudo_observations, simulate_runs
from neocloud_abm.parameters.scenarios import load_scenario

GROWTH, VALUATION = "environment.hyperscaler_capacity_growth", "startups.valuation_sentiment"
PRIOR = {GROWTH: (0.2, 1.2), VALUATION: (0.15, 0.6)}
TRUTH = {GROWTH: 0.7, VALUATION: 0.35}
MONTHS = 54   # through 2026-06, the last month a moment reads


def spec_table(name: str, samples: int, **extra) -> dict:
    return {"name": name, "scenario": "baseline", "months": MONTHS, "replications": 2, "seed": 11,
            "design": {"kind": "lhs", "samples": samples,
                       "parameters": {k: {"low": a, "high": b} for k, (a, b) in PRIOR.items()}},
            **extra}


@pytest.fixture(scope="module")
def identification_run(tmp_path_factory) -> tuple:
    """A sweep over the prior, calibrated on data simulated at TRUTH (two seeds the sweep
    does not use), on the moments whose data and model sides measure the same thing."""
    out = tmp_path_factory.mktemp("calibration")
    posterior = identification(out, SerialExecutor(), points=32, replications=4, accept=0.25,
                               prior=PRIOR, truth=TRUTH)
    return out / "identification", posterior


@pytest.mark.slow
def test_known_parameters_are_recovered_within_the_reported_uncertainty(identification_run):
    """A 5-95% range misses the truth now and then by design, so coverage is judged over the
    identification's own data and six more draws of data at the truth (seeds 101-112) on the
    same sweep: at least 75% of the 14 (parameter, draw) ranges cover it (measured 13 of 14;
    with the design's own draw alone the growth range once missed 0.70 by 0.007)."""
    folder, posterior = identification_run
    posterior = posterior.set_index("parameter")
    assert posterior["accepted"].iloc[0] == 8
    known = load_scenario("baseline").with_overrides({"market.months": MONTHS, **TRUTH})
    moments = [m for m in MOMENTS if m.key not in FIRM_LEVEL]
    covered = posterior["covered"].tolist()
    for first in range(101, 113, 2):
        runs = [NeocloudMarket(known, rng=seed).run().results() for seed in (first, first + 1)]
        draw = calibrate_folder(folder, pseudo_observations(runs), 0.25, moments).posterior
        covered += [low <= TRUTH[name] <= high
                    for name, low, high in zip(draw["parameter"], draw["low"], draw["high"], strict=True)]
    assert len(covered) == 14 and sum(covered) >= 0.75 * len(covered), covered
    # The capex moment pins its parameter down: the posterior's 5-95% range is a part of the
    # prior's (0.29 to 0.48 of its width over the sweep seeds 11-13, four replications a point;
    # with two, since loans are syndicated, 0.40 to 0.72 over seeds 11-16: too noisy to tell
    # from the ~0.7 of eight points drawn from the prior).
    growth = posterior.loc[GROWTH]
    assert growth["width_share"] < 0.65


def test_the_folder_records_every_point_the_posterior_and_a_scenario_that_loads(identification_run):
    folder, _ = identification_run
    points = pd.read_parquet(folder / CALIBRATION_FILE)
    assert len(points) == 32 and points["accepted"].sum() == 8
    assert points["distance"].is_monotonic_increasing
    assert points.loc[points["accepted"], "distance"].max() <= points.loc[~points["accepted"],
                                                                          "distance"].min()
    posterior = pd.read_csv(folder / POSTERIOR_FILE)
    assert set(posterior["parameter"]) == set(PRIOR)
    assert (posterior["low"] >= posterior["prior_low"]).all()
    assert (posterior["high"] <= posterior["prior_high"]).all()
    calibrated = load_scenario(folder / SCENARIO_FILE)
    for row in posterior.itertuples():
        assert calibrated[row.parameter] == pytest.approx(row.estimate, rel=1e-5)


def test_a_spec_that_cannot_be_calibrated_is_refused_before_running(tmp_path, capsys):
    grid = parse_spec({"name": "grid", "scenario": "baseline", "months": MONTHS, "seed": 1,
                       "design": {"kind": "grid", "parameters": {GROWTH: [0.3, 0.6]}}})
    with pytest.raises(NeocloudError, match="samples ranges"):
        check_calibration_spec(grid)
    narrow = parse_spec(spec_table("narrow", 4, outputs=["spot_price_h100e"]))
    with pytest.raises(NeocloudError, match="add debt_outstanding_usd"):
        check_calibration_spec(narrow)
    spec = tmp_path / "narrow.toml"
    spec.write_text('name = "narrow"\nscenario = "baseline"\nmonths = 54\nseed = 1\n'
                    'outputs = ["spot_price_h100e"]\n[design]\nkind = "lhs"\nsamples = 4\n'
                    '[design.parameters]\n'
                    '"environment.hyperscaler_capacity_growth" = { low = 0.2, high = 1.2 }\n')
    assert main(["calibrate", str(spec), "--out", str(tmp_path), "--workers", "1"]) == 2
    assert "leave out what the moments read" in capsys.readouterr().err
    assert not (tmp_path / "narrow").exists()


def test_the_command_runs_resumes_and_reports(tmp_path, capsys):
    spec = tmp_path / "small.toml"
    spec.write_text('name = "small"\nscenario = "baseline"\nmonths = 54\nreplications = 1\nseed = 3\n'
                    '[design]\nkind = "lhs"\nsamples = 4\n[design.parameters]\n'
                    '"environment.hyperscaler_capacity_growth" = { low = 0.2, high = 1.2 }\n')
    args = ["calibrate", str(spec), "--out", str(tmp_path), "--workers", "1", "--accept", "0.5"]
    assert main(args) == 0
    first = capsys.readouterr()
    assert "posterior (ABC rejection: 2 of 4 design points kept)" in first.out
    assert "fit of the nearest point" in first.out
    assert (tmp_path / "small" / SCENARIO_FILE).exists()
    assert main([*args, "--in-sample-until", "2025-06"]) == 0
    resumed = capsys.readouterr()
    assert "4 already done" in resumed.err
    fit = resumed.out[resumed.out.index("fit of the nearest point"):]
    in_sample = sum(moment.through <= "2025-06" for moment in MOMENTS)
    assert f"over the {in_sample} moments fitted" in fit
    for key in ("h100_rent_2025h2", "h100_rent_2026h1", "hyperscaler_capex_growth"):
        assert f"{key}" in fit and fit.split(key)[1].split()[1] == "out"
    with pytest.raises(SystemExit) as refused:
        main([*args[:-1], "1.5"])
    assert refused.value.code == 2 and "a fraction of the design points" in capsys.readouterr().err


def test_out_of_sample_moments_do_not_enter_the_distance(identification_run):
    folder, _ = identification_run
    observed = pseudo_observations(simulate_runs(load_scenario("baseline").with_overrides(
        {"market.months": MONTHS, **TRUTH}), 1))
    moments = [m for m in MOMENTS if m.key not in FIRM_LEVEL]
    early = calibrate_folder(folder, observed, 0.25, moments, until="2024-12")
    fitted = early.best_fit[early.best_fit["sample"] == "in"]
    assert set(early.best_fit.loc[early.best_fit["sample"] == "out", "through"]) == {"2025-01", "2025-12",
                                                                                    "2026-06"}
    assert early.points["distance"].iloc[0] == pytest.approx((fitted["z"] ** 2).sum())
    with pytest.raises(NeocloudError, match="nothing to estimate on"):
        calibrate_folder(folder, observed, 0.25, moments, until="2020-01")
