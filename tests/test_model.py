"""Behaviour of the market core: invariants, reproducibility, and the economics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SEEDS, run

from neocloud_abm import NeocloudMarket, load_scenario, simulate, summarize
from neocloud_abm.invariants import violations
from neocloud_abm.metrics import COLUMNS

OWNED_COLUMNS = (
    "date", "spot_price_h100e", "contract_price_h100e", "utilization", "installed_h100e",
    "backlog_h100e", "demand_h100e_hours", "sold_h100e_hours", "nvidia_revenue_usd",
    "nvidia_lead_time_months", "neoclouds_active", "neocloud_entries", "neocloud_defaults",
    "neocloud_defaults_cum", "capex_usd", "equity_raised_usd", "startups_active",
    "startup_failures", "startup_revenue_usd", "compute_spend_usd", "revenue_gap_usd", "sentiment",
)


@pytest.mark.parametrize("scenario, seed, months", [
    ("baseline", 1, 120), ("baseline", 7, 120), ("ai_winter", 2, 84),
    ("blackwell_shock", 3, 84), ("hyperscaler_asics", 4, 60), ("credit_crunch", 5, 84),
    ("no_leverage", 6, 60),
])
def test_invariants_hold_every_month(scenario, seed, months):
    model = NeocloudMarket(load_scenario(scenario), rng=seed)
    for _ in range(months):
        model.step()
        assert violations(model) == [], f"{scenario} seed {seed}, {model.results().date.iloc[-1]}"


def test_results_have_the_contract_columns_and_no_gaps():
    df = run("baseline", 1)
    assert len(df) == 120 and df["date"].iloc[0] == "2022-01" and df["date"].iloc[-1] == "2031-12"
    for column in (*OWNED_COLUMNS, *COLUMNS):
        assert column in df.columns
    for gen in ("a100", "h100", "b200", "rubin"):
        assert {f"spot_price_{gen}", f"gpu_value_{gen}"} <= set(df.columns)
    numeric = df.drop(columns="date")
    assert np.isfinite(numeric.to_numpy(float)).all()
    assert (df["spot_price_h100e"] > 0).all()


def test_same_seed_same_output_different_seed_different_output():
    params = load_scenario("baseline")
    first = simulate(params, seed=11, months=36)
    pd.testing.assert_frame_equal(first, simulate(params, seed=11, months=36))
    other = simulate(params, seed=12, months=36)
    assert not first["spot_price_h100e"].equals(other["spot_price_h100e"])


def test_model_runs_with_all_defaults():
    model = NeocloudMarket()
    model.step()
    assert len(model.results()) == 1


def _window(df: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    return df[(df["date"] >= first) & (df["date"] <= last)]


@pytest.mark.parametrize("seed", SEEDS)
def test_baseline_booms_in_the_2023_shortage_then_busts_as_capacity_arrives(seed):
    df = run("baseline", seed)
    assert load_scenario("baseline").shocks == ()  # nothing imposed: the cycle is endogenous
    before = _window(df, "2022-06", "2022-09")["spot_price_h100e"].mean()
    boom = _window(df, "2023-01", "2024-06")
    peak_at = boom["spot_price_h100e"].idxmax()
    peak = df.loc[peak_at, "spot_price_h100e"]
    assert peak > 1.6 * before
    assert _window(df, "2023-01", "2023-12")["nvidia_lead_time_months"].max() > 6
    after = df.loc[peak_at: peak_at + 36]
    trough_at = after["spot_price_h100e"].idxmin()
    assert df.loc[trough_at, "spot_price_h100e"] <= 0.5 * peak
    assert df.loc[trough_at, "installed_h100e"] > 3 * df.loc[peak_at, "installed_h100e"]
    h100 = df["spot_price_h100"].where(df["spot_price_h100"] > 0)
    assert h100.loc[peak_at: peak_at + 36].min() <= 0.5 * h100.loc[:peak_at].max()
    assert summarize(df)["peak_to_trough"] >= 0.5


def test_a_new_generation_cuts_the_rent_and_value_of_the_previous_one():
    late = {"chips__b200_release": "2027-01"}
    cuts = {"spot_price_h100": 0.0, "gpu_value_h100": 0.0}
    for seed in SEEDS:
        actual = run("baseline", seed, 48)
        delayed = run("baseline", seed, 48, **late)
        after = slice(36, 48)  # the year after the B200 ships in 2025-01
        for column in ("spot_price_h100", "gpu_value_h100"):
            cut = delayed[column].iloc[after].mean() - actual[column].iloc[after].mean()
            cuts[column] += cut
        release = actual.index[actual["date"] == "2025-01"][0]
        assert actual["gpu_value_h100"].iloc[release] < 0.9 * actual["gpu_value_h100"].iloc[release - 1]
    assert cuts["spot_price_h100"] > 0 and cuts["gpu_value_h100"] > 0


def _mean_over_seeds(statistic, **overrides) -> float:
    return float(np.mean([statistic(run("baseline", seed, 72, **overrides)) for seed in SEEDS]))


def _median_over_seeds(statistic, **overrides) -> float:
    """Paths can fork (a default wave, an early second boom): the median is robust to one."""
    return float(np.median([statistic(run("baseline", seed, 72, **overrides))
                            for seed in range(1, 7)]))


def test_more_competition_neglect_overshoots_capacity_deepens_the_bust_and_breaks_firms():
    def peak_capacity(df):
        return df["installed_h100e"].max()

    def first_trough(df):  # the bust of 2024-25, before later generations reprice everything
        return df["spot_price_h100e"].iloc[24:48].min()

    def defaults(df):
        return df["neocloud_defaults_cum"].iloc[-1]

    aware, neglectful = ({"neoclouds__competition_neglect": v} for v in (0.0, 1.0))
    assert _median_over_seeds(peak_capacity, **neglectful) > _median_over_seeds(peak_capacity, **aware)
    assert _median_over_seeds(first_trough, **neglectful) < _median_over_seeds(first_trough, **aware)
    assert _median_over_seeds(defaults, **neglectful) > _median_over_seeds(defaults, **aware)


def test_a_longer_deployment_lag_delays_the_capacity_response():
    def months_to_double(df):
        capacity = df["installed_h100e"].to_numpy()
        return int(np.argmax(capacity >= 2 * capacity[0]))

    quick = _mean_over_seeds(months_to_double, nvidia__deployment_lag_months=1)
    slow = _mean_over_seeds(months_to_double, nvidia__deployment_lag_months=9)
    assert slow >= quick + 3


def test_money_flows_match_the_reported_series():
    model = NeocloudMarket(load_scenario("baseline"), rng=5)
    nvidia_revenue = capex = 0.0
    for _ in range(30):
        model.step()
        flows = model.ledger.take_flows()
        assert flows.get("gpu_purchase", 0.0) == pytest.approx(model.month_stats["nvidia_revenue_usd"])
        nvidia_revenue += flows.get("gpu_purchase", 0.0)
        capex += flows.get("gpu_purchase", 0.0) + flows.get("build_out", 0.0)
    df = model.results()
    assert capex == pytest.approx(df["capex_usd"].sum())
    assert nvidia_revenue > 0


def test_posted_prices_never_fall_below_the_marginal_cost_of_an_hour():
    df = run("ai_winter", 2, 84)
    power_cost_b200 = 2.1 * 0.08
    b200 = df["spot_price_b200"]
    assert b200[b200 > 0].min() >= power_cost_b200 - 1e-9
    assert df["utilization"].min() < 0.6  # the winter does produce a glut
