"""Failure cascades: the cascade-size statistic, and the fire-sale stress scenario in which
fire sales cause failures that its initial shock alone would not."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from conftest import SEEDS, run
from scipy import stats

from neocloud_abm import NeocloudMarket, Shock, load_scenario, summarize
from neocloud_abm.outputs.summary import max_cascade

STRESS_SEEDS = range(1, 97)
STRESS_MONTHS = 72   # to 2027-12: the cascades of the stress run in 2025-27


def test_a_cascade_chains_failures_no_more_than_a_quarter_apart():
    assert max_cascade(np.zeros(12)) == 0
    assert max_cascade(np.array([0, 1, 0, 0, 1, 0, 0, 0, 0, 2, 0])) == 2   # 1..4 chain; 9 alone
    assert max_cascade(np.array([1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0])) == 3   # gaps of 3 chain
    assert max_cascade(np.array([1, 0, 0, 0, 1])) == 1                     # a gap of 4 breaks


def test_the_cascade_size_counts_the_runs_failures():
    for seed in SEEDS[:4]:
        statistics = summarize(run("credit_crunch", seed))
        failures = statistics["defaults"] + statistics["lender_failures"]
        assert (failures > 0) == (statistics["max_cascade_size"] > 0)
        assert statistics["max_cascade_size"] <= failures


@cache
def _stress(seed: int, fire_sales: bool) -> dict:
    """The stress run, or its counterfactual: the fire sales' price impact switched off from
    the date of the stress's own shock (the initial shock alone)."""
    params = load_scenario("fire_sale_stress").with_overrides({"market.months": STRESS_MONTHS})
    if not fire_sales:
        date = params.shocks[0].date
        params = params.with_shocks(Shock(date=date, label="no fire-sale impact",
                                          set=(("market.fire_sale_impact", 0.0),)))
    return summarize(NeocloudMarket(params, rng=seed).run().results())


@pytest.mark.slow
def test_fire_sales_turn_a_covenant_shock_into_a_cascade():
    """``fire_sale_stress`` against its counterfactual, paired over 96 seeds (48 gave a
    lender failure in only 7 runs in two environments, 10-15 in others). Measured under
    Pythons 3.11 and 3.12: the largest cascade is longer with the fire sales in 66 and 61
    seeds and shorter in 15 and 21 (p = 9e-9 and 4e-7; median 9 and 8 failures against 6
    and 5), lenders lose more of what they lent in 93 of 96 under both (median 13.2% and
    12.3% against 1.0%), a lender fails in 26 and 28 runs against 2 and 4."""
    on = [_stress(seed, True) for seed in STRESS_SEEDS]
    off = [_stress(seed, False) for seed in STRESS_SEEDS]

    def paired(key: str) -> np.ndarray:
        return np.array([a[key] for a in on], float) - np.array([b[key] for b in off], float)

    cascade = paired("max_cascade_size")
    assert np.median([a["max_cascade_size"] for a in on]) > 1   # a cascade in most seeds
    assert stats.wilcoxon(cascade, alternative="greater").pvalue < 0.01
    losses = paired("lender_loss_rate")
    assert (losses > 0).sum() >= 80 and stats.wilcoxon(losses, alternative="greater").pvalue < 0.01
    # The README's levels: lenders lose a tenth or more of what they lent in the median run
    # with the fire sales, a twentieth or less without.
    assert np.median([a["lender_loss_rate"] for a in on]) >= 0.10
    assert np.median([b["lender_loss_rate"] for b in off]) <= 0.05
    failed_on = sum(a["lender_failures"] > 0 for a in on)
    failed_off = sum(b["lender_failures"] > 0 for b in off)
    assert failed_on >= max(failed_off + 12, 16), (failed_on, failed_off)
