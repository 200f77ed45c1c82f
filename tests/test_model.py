"""Behaviour of the market core: invariants, reproducibility, and the economics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SEEDS, assert_increase, assert_more_often, paired, run

from neocloud_abm import NeocloudMarket, load_scenario, simulate
from neocloud_abm.outputs.reporters import COLUMNS

OWNED_COLUMNS = (
    "date", "spot_price_h100e", "contract_price_h100e", "utilization", "installed_h100e",
    "backlog_h100e", "demand_h100e_hours", "sold_h100e_hours", "nvidia_revenue_usd",
    "nvidia_lead_time_months", "neoclouds_active", "neocloud_entries", "neocloud_defaults",
    "neocloud_defaults_cum", "capex_usd", "equity_raised_usd", "startups_active",
    "startup_failures", "startup_revenue_usd", "compute_spend_usd", "revenue_gap_usd", "sentiment",
)


SCENARIOS = ("baseline", "blackwell_shock", "ai_winter", "credit_crunch", "hyperscaler_asics",
             "no_leverage", "power_crunch")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_invariants_hold_every_month_in_every_scenario_over_ten_seeds(scenario):
    """`run` checks every invariant after every month (conftest.checked_run): ledger, GPU
    conservation, loans, hours sold within hours installed, prices within the outside
    option, non-negative stocks, finite outputs."""
    for seed in SEEDS:
        assert len(run(scenario, seed)) == 120


def test_invariants_hold_over_twenty_years():
    for seed in SEEDS[:3]:
        assert len(run("baseline", seed, 240)) == 240


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


def _boom_then_bust(df: pd.DataFrame) -> bool:
    """The 2023 shortage and the bust: the spot price rises well above its 2022 level while
    Nvidia's lead time stretches, then halves within three years as capacity arrives."""
    before = _window(df, "2022-06", "2022-09")["spot_price_h100e"].mean()
    boom = _window(df, "2023-01", "2024-06")
    peak_at = boom["spot_price_h100e"].idxmax()
    peak = df.loc[peak_at, "spot_price_h100e"]
    after = df.loc[peak_at: peak_at + 36]
    trough_at = after["spot_price_h100e"].idxmin()
    h100 = df["spot_price_h100"].where(df["spot_price_h100"] > 0)
    return bool(peak > 1.6 * before
                and _window(df, "2023-01", "2023-12")["nvidia_lead_time_months"].max() > 6
                and df.loc[trough_at, "spot_price_h100e"] <= 0.5 * peak
                and df.loc[trough_at, "installed_h100e"] > 3 * df.loc[peak_at, "installed_h100e"]
                and h100.loc[peak_at: peak_at + 36].min() <= 0.5 * h100.loc[:peak_at].max())


def test_baseline_booms_in_the_2023_shortage_then_busts_as_capacity_arrives():
    """Nothing is imposed (no shocks), yet the boom and bust appear in at least 8 of 10 seeds."""
    assert load_scenario("baseline").shocks == ()
    shaped = [_boom_then_bust(run("baseline", seed)) for seed in SEEDS]
    assert sum(shaped) >= 8, shaped


@pytest.mark.slow
def test_a_new_generation_cuts_the_value_of_the_previous_one():
    """Against a counterfactual in which the B200 ships two years later, the B200's 2025
    release lowers the H100's secondary value in the following year (paired over ten seeds:
    a median $8.6k and $5.6k, in 8 and 10 of 10 under Pythons 3.11 and 3.12). Its rent is not
    claimed: with Blackwell taking orders nine months before it ships, the neoclouds of the
    counterfactual buy more H100s instead, and over forty seeds the H100's 2025 rent is
    higher without the B200 in only 23 (p = 0.41 and 0.20)."""
    actual, late = ("baseline", {}), ("baseline", {"chips.b200_release": "2027-01"})

    def year_after(column):
        return lambda df: df[column].iloc[36:48].mean()

    # Runs end with the year after the release: a run's months do not depend on its horizon.
    assert_increase(paired(year_after("gpu_value_h100"), actual, late, months=48), 2000.0,
                    "H100 value, $")
    values = [run("baseline", seed, 48)["gpu_value_h100"] for seed in SEEDS]
    cuts = [v.iloc[38] / v.iloc[35] - 1.0 for v in values]   # 2024-12 to 2025-03 (fact S4)
    assert np.median(cuts) < -0.1, f"the H100's value falls within months of the B200: {cuts}"


@pytest.mark.slow
def test_more_competition_neglect_overbuilds_orders_and_deepens_the_bust():
    """Neglecting rivals' orders (Greenwood & Hanson 2015) shows in the order book and, since
    Nvidia expands capacity when the backlog runs long, in Nvidia's capacity: neglect
    orders more through 2024, makes Nvidia add more capacity, piles up a larger backlog and
    deepens the first trough (paired, to 2026-12; ten seeds for the backlog, twenty for the
    orders and capacity, 160 for the trough). Measured under Pythons 3.11 and 3.12: the
    peak backlog 0.62 and 0.56 million H100e larger (10 of 10), orders a median 0.53 and
    0.50 log higher (+70% and +64%; 20 of 20), capacity higher in 20 of 20, the trough $0.51
    and $0.48 lower (152 and 149 of 160). Not claimed, as not robust when measured: a larger glut relative
    to demand (higher in 40 and 44 of 80 seeds, p = 0.15 and 0.13), more defaults (a median
    1.5 and 2 more over ten seeds, p = 0.10 under 3.11), and installed capacity at the peak
    (+36% under 3.11, -6% under 3.12 in an earlier version)."""
    aware, neglectful = ("baseline", {"neoclouds.competition_neglect": 0.0}), \
        ("baseline", {"neoclouds.competition_neglect": 1.0})
    twenty = tuple(range(1, 21))

    def compare(statistic, margin, what, first=aware, second=neglectful, seeds=SEEDS):
        assert_increase(paired(statistic, first, second, months=60, seeds=seeds), margin, what)

    compare(lambda df: df["backlog_h100e"].iloc[:36].max(), 200_000, "peak backlog, H100e")
    compare(orders_through_2024, 0.25, "log orders through 2024", seeds=twenty)
    compare(lambda df: df["nvidia_capacity_expansion"].max(), 0.3, "Nvidia's capacity expansion",
            seeds=twenty)
    compare(lambda df: df["spot_price_h100e"].iloc[24:48].min(), 0.25, "first trough, $/h",
            first=neglectful, second=aware, seeds=tuple(range(1, 161)))


def orders_through_2024(df) -> float:
    """Log of the H100e ordered from Nvidia from the start to the end of 2024: investment
    in the boom."""
    return float(np.log(df.loc[df["date"] <= "2024-12", "orders_h100e"].sum()))


@pytest.mark.slow
def test_a_longer_assumed_gpu_life_invests_more_and_breaks_more_firms_after_the_b200():
    """Valuing and depreciating GPUs over eight years instead of four (the critics' case
    against the six-year booked life) raises orders in the boom and leaves more firms to
    default once the B200 cheapens the H100s they bought (160 paired seeds to the end of
    2027; defaults from 2025 to 2027 over the firms active at the end of 2024). Measured
    under Pythons 3.11 and 3.12: orders through 2024 a median +0.21 and +0.20 log (128 and
    124 of 160 higher); the default rate higher in 102 and 91 seeds, lower in 55 and 62
    (a median +0.11 and +0.04). Forty seeds were too few for the
    defaults (p = 0.14 under 3.12)."""
    short, long = ("baseline", {"neoclouds.assumed_life_months": 48}), \
        ("baseline", {"neoclouds.assumed_life_months": 96})
    seeds = tuple(range(1, 161))

    def default_rate_after_b200(df) -> float:
        after = df.loc[df["date"].between("2025-01", "2027-12"), "neocloud_defaults"].sum()
        return float(after / df.loc[df["date"] == "2024-12", "neoclouds_active"].iloc[0])

    assert_increase(paired(orders_through_2024, short, long, months=72, seeds=seeds), 0.08,
                    "log orders through 2024")
    assert_more_often(paired(default_rate_after_b200, short, long, months=72, seeds=seeds),
                      1.25, "default rate 2025-27", alpha=0.05)


@pytest.mark.slow
def test_a_longer_deployment_lag_delays_the_capacity_response():
    """A deployment lag of nine months against one delays the doubling of installed
    capacity by two to three months in every seed (median 2 under Pythons 3.11 and 3.12):
    less than the eight months' difference, as orders placed ahead of a release have waited
    out most of the lag when it ships."""
    def months_to_double(df):
        capacity = df["installed_h100e"].to_numpy()
        return int(np.argmax(capacity >= 2 * capacity[0]))

    quick, slow = ("baseline", {"nvidia.deployment_lag_months": 1}), \
        ("baseline", {"nvidia.deployment_lag_months": 9})
    assert_increase(paired(months_to_double, quick, slow, months=72), 1, "months to double")


def test_money_flows_match_the_reported_series():
    model = NeocloudMarket(load_scenario("baseline"), rng=5)
    nvidia_revenue = capex = 0.0
    for _ in range(30):
        model.step()
        flows = model.ledger.take_flows()
        assert flows.get("gpu_purchase", 0.0) == pytest.approx(model.outputs["nvidia_revenue_usd"])
        nvidia_revenue += flows.get("gpu_purchase", 0.0)
        capex += flows.get("gpu_purchase", 0.0) + flows.get("build_out", 0.0)
    df = model.results()
    assert capex == pytest.approx(df["capex_usd"].sum())
    assert nvidia_revenue > 0


def test_posted_prices_never_fall_below_the_marginal_cost_of_an_hour():
    power_cost_b200 = 2.1 * 0.08
    for seed in (1, 3):  # winters in which B200s are rented out
        df = run("ai_winter", seed, 84)
        b200 = df.loc[df["spot_price_b200"] > 0, "spot_price_b200"]
        assert len(b200) > 12 and b200.min() >= power_cost_b200 - 1e-9
        assert df["utilization"].min() < 0.6  # the winter does produce a glut
