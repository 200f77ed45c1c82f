"""Cycles dated on the detrended spot price (docs/model.md#713-summary-statistics), and
cycles that come from the agents: with the chip roadmap frozen and no ChatGPT surprise, the
market still goes through repeated booms and busts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run

from neocloud_abm.outputs.summary import hp_trend, price_cycle, summarize, turning_points

FROZEN = {"chips__rubin_release": "2045-01", "nvidia__generation_interval_months": 60,
          "environment__chatgpt_shock": 0.0}


def test_the_hp_trend_keeps_a_straight_line_and_removes_a_cycle():
    months = np.arange(240)
    line = 3.0 - 0.02 * months
    np.testing.assert_allclose(hp_trend(line), line, atol=1e-8)
    wave = line + 0.4 * np.sin(2 * math.pi * months / 60)
    # Away from the ends (where the HP filter is known to bend), the trend ignores the wave.
    assert np.abs(hp_trend(wave) - line)[30:-30].max() < 0.05


def test_cycles_are_counted_on_the_detrended_price_with_their_period():
    months = np.arange(240)
    # Compute gets cheaper every month; around that trend, four 60-month waves.
    price = np.exp(1.0 - 0.03 * months + 0.4 * np.sin(2 * math.pi * months / 60))
    peaks = turning_points(price_cycle(price))
    assert len(peaks) == 4
    assert np.diff(peaks) == pytest.approx([60, 60, 60], abs=2)
    # Without detrending the falling trend hides the booms: after the first fall the price
    # never rises by 0.3 log points again, so only one peak is found.
    assert len(turning_points(np.log(price))) == 1


def test_summarize_reports_the_detrended_cycles_of_a_run():
    df = run("baseline", 1, 240)
    stats = summarize(df)
    peaks = turning_points(price_cycle(df["spot_price_h100e"].to_numpy(float)))
    assert stats["cycles"] == len(peaks) >= 2
    assert stats["cycle_period_months"] == pytest.approx(np.mean(np.diff(peaks)))


@pytest.mark.slow
def test_booms_and_busts_recur_without_new_chips_or_a_chatgpt_surprise():
    """The issue's test of endogenous cycles: roadmap frozen after the B200, no ChatGPT
    surprise, 240 months; at least two complete boom-busts of 0.3 log points in the
    detrended price after 2026-01 in at least six of ten seeds. Measured with the anchor
    leases: 40 of seeds 1-40 under both Python 3.11 and 3.12 (36 under 3.12 before them);
    31 and 32 before demand came from adoption, four of ten before powered space. Tested as a share over
    forty seeds (at least 30, i.e. 75%) so that it holds on any machine: with the measured
    rate of 90% or more, falling below 30 of 40 has a probability of about 0.1%."""
    seeds = range(1, 41)
    recurring = 0
    for seed in seeds:
        df = run("baseline", seed, 240, **FROZEN)
        peaks = turning_points(price_cycle(df["spot_price_h100e"].to_numpy(float)))
        late = [p for p in peaks if df["date"].iloc[p] >= "2026-01"]
        recurring += len(late) >= 2
    assert recurring >= 30, f"{recurring} of {len(seeds)} seeds cycle after 2026"
