"""Moments of the observed data and of the model, measured the same way: each data moment
equals what the file says, each model moment what a known month table gives, standard
errors follow their stated rules, and the distance grows with the misfit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import run, window_statistic

from neocloud_abm.interface.cli import main
from neocloud_abm.outputs.moments import (
    MEDIAN_SE,
    MOMENTS,
    PRESS,
    distance,
    filed_growth,
    median_of,
    moment_table,
    simulate_runs,
)
from neocloud_abm.outputs.observations import WEEKS_PER_MONTH, load_observations
from neocloud_abm.parameters.scenarios import load_scenario

BY_KEY = {moment.key: moment for moment in MOMENTS}


@pytest.fixture(scope="module")
def observed() -> pd.DataFrame:
    return load_observations()


def values(observed: pd.DataFrame, series: str, first: str, last: str) -> np.ndarray:
    rows = observed[(observed["series"] == series) & observed["date"].between(first, last)]
    return rows["value"].to_numpy(float)


def test_data_moments_are_what_the_file_says(observed):
    nvidia = "nvidia_datacenter_revenue"
    fy2024, fy2025 = (values(observed, nvidia, *span).sum() for span in
                      (("2023-04", "2024-01"), ("2024-04", "2025-01")))
    assert BY_KEY["nvidia_revenue_growth"].data(observed).value == pytest.approx(math.log(fy2025 / fy2024))
    capex = [values(observed, f"hyperscaler_capex_{firm}", f"{year}-01", f"{year}-12").sum()
             for year in (2024, 2025) for firm in ("microsoft", "meta")]
    growth = BY_KEY["hyperscaler_capex_growth"].data(observed)
    assert growth.value == pytest.approx(math.log((capex[2] + capex[3]) / (capex[0] + capex[1])))
    reports = np.concatenate([values(observed, "nvidia_lead_time_weeks", "2023-10", "2023-12")
                              / WEEKS_PER_MONTH,
                              values(observed, "nvidia_lead_time", "2023-10", "2023-12")])
    lead = BY_KEY["lead_time_2023q4"].data(observed)
    assert len(reports) >= 3
    assert lead.value == pytest.approx(np.median(reports))
    assert lead.se == pytest.approx(MEDIAN_SE * np.std(reports, ddof=1) / math.sqrt(len(reports)))
    ratio = BY_KEY["debt_to_revenue_2023"].data(observed)
    assert ratio.value == pytest.approx(values(observed, "gpu_backed_financing", "2023-08", "2023-08")[0]
                                        / values(observed, "coreweave_revenue", "2023-12", "2023-12")[0])
    assert ratio.se == pytest.approx(PRESS * ratio.value)


def test_standard_errors_follow_their_rules_and_missing_data_is_refused(observed):
    few = median_of(("h100_contract_price",), "2025-07", "2025-12")(observed)
    assert few.se == pytest.approx(PRESS * few.value) and "press" in few.basis
    without_a_quarter = observed.drop(observed.index[(observed["series"] == "hyperscaler_capex_meta")
                                                     & (observed["date"] == "2025-06")])
    growth = filed_growth(("hyperscaler_capex_microsoft", "hyperscaler_capex_meta"),
                          ("2024-01", "2024-12"), ("2025-01", "2025-12"))
    with pytest.raises(ValueError, match="observations per series differ"):
        growth(without_a_quarter)
    with pytest.raises(ValueError, match=r"no observations of h100_rental_price in 2019-01\.\.2019-12"):
        median_of(("h100_rental_price",), "2019-01", "2019-12")(observed)


def synthetic_run(price: float = 2.0, growth: float = 0.5) -> pd.DataFrame:
    """A month table whose moments are known: flat prices and lead times, flows growing at
    ``growth`` (log) a year, debt of 3 years of revenue."""
    dates = pd.period_range("2022-01", "2026-12", freq="M").strftime("%Y-%m")
    years = np.arange(len(dates)) / 12.0
    flow = np.exp(growth * years)
    return pd.DataFrame({"date": dates, "spot_price_h100": price, "nvidia_lead_time_months": 4.0,
                         "nvidia_revenue_usd": flow, "hyperscaler_capex_usd": flow,
                         "neocloud_revenue_usd": flow, "debt_outstanding_usd": 36.0 * flow})


def test_model_moments_are_what_a_known_month_table_gives():
    run = synthetic_run()
    for key in ("h100_rent_2023_peak", "h100_rent_2024", "h100_rent_2025h2", "h100_rent_2026h1"):
        assert BY_KEY[key].model(run) == pytest.approx(2.0)
    assert BY_KEY["lead_time_2023q4"].model(run) == pytest.approx(4.0)
    for key in ("nvidia_revenue_growth", "hyperscaler_capex_growth", "neocloud_revenue_growth"):
        assert BY_KEY[key].model(run) == pytest.approx(0.5)
    assert BY_KEY["debt_to_revenue_2023"].model(run) == pytest.approx(3.0)


def test_the_distance_is_zero_at_the_data_and_grows_with_the_misfit(observed):
    prices = [m for m in MOMENTS if m.key.startswith("h100_rent_20")]
    at = {m.key: m.data(observed).value for m in prices}
    exact = moment_table([synthetic_run(at["h100_rent_2024"])] * 3, observed, [BY_KEY["h100_rent_2024"]])
    assert distance(exact) == pytest.approx(0.0, abs=1e-12)
    misfits = [distance(moment_table([synthetic_run(at["h100_rent_2024"] + gap)] * 3, observed,
                                     [BY_KEY["h100_rent_2024"]])) for gap in (0.5, 1.0, 2.0)]
    assert misfits[0] < misfits[1] < misfits[2]
    spread = moment_table([synthetic_run(at["h100_rent_2024"] + gap) for gap in (-1.0, 0.0, 1.0)],
                          observed, [BY_KEY["h100_rent_2024"]])
    assert spread["simulated"].iloc[0] == pytest.approx(at["h100_rent_2024"])
    assert spread["low"].iloc[0] < spread["simulated"].iloc[0] < spread["high"].iloc[0]


def test_the_capex_moment_moves_with_the_parameter_it_measures(observed):
    """Faster growth of the hyperscalers' capacity raises the growth of their capex, in every
    seed (the moment can tell the parameter's values apart)."""
    moment = BY_KEY["hyperscaler_capex_growth"]
    slow, fast = ([moment.model(df) for df in simulate_runs(load_scenario("baseline").with_overrides(
        {"market.months": 54, "environment.hyperscaler_capacity_growth": growth}), 3)]
        for growth in (0.3, 0.9))
    assert all(f > s + 0.3 for s, f in zip(slow, fast, strict=True))


def test_the_command_prints_every_moment_and_the_distance(capsys):
    assert main(["moments", "--seeds", "2", "--set", "market.months=54"]) == 0
    out = capsys.readouterr().out
    assert all(moment.key in out for moment in MOMENTS)
    assert f"distance (sum of z squared over {len(MOMENTS)} moments)" in out
    assert main(["moments", "--seeds", "2", "--set", "nvidia.capacity_respons=2"]) == 2
    assert "did you mean 'nvidia.capacity_response'" in capsys.readouterr().err


@pytest.mark.slow
def test_the_misses_the_readme_names_are_misses_of_the_baseline(observed):
    """The README reads the moment table over seeds 1-20 (the runs of the validation): rents
    stay high through 2024 and Nvidia's queue is short by late 2023; the hyperscalers' capex
    *falls* from 2024 to 2025 against 66% growth at Microsoft and Meta; the neocloud segment's
    revenue grows about 2.7x in 2024 against CoreWeave's 8.4x; the largest neocloud's largest
    customer pays far less of its revenue than Microsoft paid CoreWeave. Each is a miss of more
    than two standard errors in the stated direction (measured z, 2026-12-07, under Pythons
    3.11 and 3.12: +7.3 and +6.9, -4.0 and -4.1, -21.7 and -22.1, -35.4 and -35.3, -3.3 and
    -3.3; the segment's revenue grows 2.7x under both)."""
    table = moment_table([run("baseline", seed) for seed in range(1, 21)], observed)
    z = dict(zip(table["moment"], table["z"], strict=True))
    simulated = dict(zip(table["moment"], table["simulated"], strict=True))
    assert z["h100_rent_2024"] > 2 and z["lead_time_2023q4"] < -2, z
    assert simulated["hyperscaler_capex_growth"] < 0 and z["hyperscaler_capex_growth"] < -2, z
    assert 2.0 <= math.exp(simulated["neocloud_revenue_growth"]) <= 3.5, simulated
    assert z["neocloud_revenue_growth"] < -2 and z["top_customer_share_2024"] < -2, z


@pytest.mark.slow
def test_nvidia_revenue_falls_in_fiscal_2025_because_the_neoclouds_wait_for_the_b200(observed):
    """The trace of the Nvidia revenue miss the README gives (seeds 1-20, the validation's
    runs): the model's Nvidia sells only to the neoclouds; they hardly order between the
    arrival of the rush's H100s and the B200's order book (April 2024), then order heavily
    for the B200, so Nvidia delivers nothing in several months of fiscal 2025 and its revenue
    falls from fiscal 2024. Measured under Pythons 3.11 and 3.12: a median 0.25 and 0.12
    thousand H100e ordered from July 2023 to March 2024 against 1.19 million from April to
    December 2024; 7 months of fiscal 2025 without deliveries (4-9 and 5-9 across seeds);
    z = -14.7 and -15.3."""
    runs = [run("baseline", seed) for seed in range(1, 21)]
    paused, preorders = (np.median([orders(df) for df in runs]) for orders in (
        window_statistic("orders_h100e", "2023-07", "2024-03", "sum"),
        window_statistic("orders_h100e", "2024-04", "2024-12", "sum")))
    idle = np.median([(df.loc[df["date"].between("2024-02", "2025-01"), "deliveries_h100e"]
                       < 1.0).sum() for df in runs])
    assert paused < 0.01 * preorders, (paused, preorders)
    assert idle >= 4, idle
    table = moment_table(runs, observed)
    z = dict(zip(table["moment"], table["z"], strict=True))
    simulated = dict(zip(table["moment"], table["simulated"], strict=True))
    assert simulated["nvidia_revenue_growth"] < 0 and z["nvidia_revenue_growth"] < -2, z


@pytest.mark.slow
def test_the_calibrated_scenario_fits_the_moments_better_than_the_baseline_but_misses(observed):
    """`calibrated` (the calibration's posterior medians) over seeds 1-20: the distance falls
    from the baseline's 2,035 and 1,866 to 1,206 and 1,320 (Pythons 3.11 and 3.12; asserted:
    below 0.8 of the baseline's), mostly because the hyperscalers' capex now grows (z -21.6
    -> -8.7 and -21.8 -> -8.8); the neocloud segment's revenue growth, its debt over revenue
    and the largest customer's share still miss by more than two standard errors."""
    def table(scenario: str) -> pd.DataFrame:
        return moment_table([run(scenario, seed) for seed in range(1, 21)], observed)
    base, calibrated = table("baseline"), table("calibrated")
    assert distance(calibrated) < 0.8 * distance(base), (distance(calibrated), distance(base))
    z = dict(zip(calibrated["moment"], calibrated["z"], strict=True))
    z_base = dict(zip(base["moment"], base["z"], strict=True))
    assert z["hyperscaler_capex_growth"] > z_base["hyperscaler_capex_growth"] + 8, (z, z_base)
    assert all(z[key] < -2 for key in ("neocloud_revenue_growth", "debt_to_revenue_2023",
                                        "top_customer_share_2024")), z
