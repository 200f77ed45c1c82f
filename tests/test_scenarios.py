"""What each built-in stress scenario does against the baseline, paired over ten seeds
(the README's reading of its scenario table rests on these)."""

from __future__ import annotations

from conftest import assert_increase, paired

from neocloud_abm import summarize

BASELINE = ("baseline", {})


def defaults(df):
    return df["neocloud_defaults_cum"].iloc[-1]


def loss_rate(df):
    return summarize(df)["lender_loss_rate"]


def test_a_faster_bigger_leap_cadence_deepens_the_bust():
    """The fall after the peak deepens (measured over forty seeds with demand from adoption and
    Nvidia's capacity expansion: median +0.048, 36 of 40 seeds; so twenty seeds and a margin
    of 0.02; again 36 of 40 once funds' leverage binds). It does not robustly break more
    firms (forty seeds: median +2, p = 0.08, then 0.02 once banks were the funds' brokers):
    neoclouds learn the faster cadence from its launches and invest less, and the glut of
    powered space cuts their colocation rents in the bust, so the README claims no effect
    on defaults."""
    shock = ("blackwell_shock", {})
    assert_increase(paired(lambda df: summarize(df)["decline_24m"], BASELINE, shock,
                           seeds=tuple(range(1, 21))), 0.02, "fall within 24 months of the peak")


def test_an_ai_winter_on_top_of_the_glut_makes_defaults_widespread_and_costs_lenders():
    winter = ("ai_winter", {})
    assert_increase(paired(defaults, BASELINE, winter), 3, "defaults")
    assert_increase(paired(loss_rate, BASELINE, winter), 0.05, "lender loss rate")


def test_in_house_chips_shrink_the_demand_for_rented_gpus_and_the_boom():
    asics = ("hyperscaler_asics", {})
    # Twenty seeds for late demand (with ten, p was 0.04 and 0.065 in two versions of the
    # model): 18 of 20 lower, p = 0.0002. Forty for the peak: once banks became the funds'
    # prime brokers twenty gave p = 0.03 under Python 3.11 but 0.06 under 3.12; forty give
    # 25 and 26 of 40 lower, p = 0.009 and 0.008.
    assert_increase(paired(lambda df: summarize(df)["peak_price"], asics, BASELINE,
                           seeds=tuple(range(1, 41))), 0.1, "peak spot price, $/H100e-hour")
    assert_increase(paired(lambda df: df["demand_h100e_hours"].iloc[-24:].mean(), asics, BASELINE,
                           seeds=tuple(range(1, 21))),
                    0.0, "demand for rented compute in the last two years")
