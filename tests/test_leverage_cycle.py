"""The value-at-risk leverage rule against a fixed advance with the same mean: a leverage
cycle (Adrian & Shin 2010; Aymanns & Farmer 2015) over the first boom and bust."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_increase, assert_more_often, paired, run

from neocloud_abm import NeocloudMarket, Params, summarize

BOOM_SEEDS = range(1, 41)
BUST_SEEDS = tuple(range(1, 301))
BUST_MONTHS = 48   # 2022-01 to 2025-12: the ChatGPT boom and the bust that follows it
VAR = {"lenders__leverage_policy": "value_at_risk"}


def _var_model(months: int) -> NeocloudMarket:
    model = NeocloudMarket(Params().with_overrides({"lenders.leverage_policy": "value_at_risk"}),
                           rng=3)
    for _ in range(months):
        model.step()
    return model


def test_risk_is_measured_on_falls_so_a_run_up_reads_as_calm():
    model = _var_model(0)
    lender = next(x for x in model.lenders() if x.kind == "asset_manager")
    model.history["gpu_value_index"] = list(100 * np.exp(0.05 * np.arange(13)))
    assert model.credit.origination_ltv(lender) == 0.95   # rising 5% a month: no risk, capped
    model.history["gpu_value_index"] = list(100 * np.exp(-0.05 * np.arange(13)))
    falling = math.sqrt(2.0 * 12.0) * 0.05                 # every change a fall of 5%
    assert model.credit.origination_ltv(lender) == pytest.approx(
        max(1.0 - (1.0 - model.p.lenders.max_ltv) * falling
            / model.p.lenders.var_reference_volatility, 0.0))


def test_a_value_at_risk_lender_remarks_the_covenants_of_its_whole_book():
    model = _var_model(30)
    loans = model.credit.all_loans()
    assert loans
    cushion = model.p.lenders.ltv_cushion
    model.history["gpu_value_index"][-12:] = list(
        model.history["gpu_value_index"][-13] * np.exp(-0.1 * np.arange(1, 13)))  # a crash
    model.credit.remark_covenants()
    for loan in loans:
        assert loan.ltv_limit == pytest.approx(model.credit.origination_ltv(loan.lender) + cushion)
    assert max(loan.ltv_limit for loan in loans) < model.p.lenders.max_ltv + cushion


def test_a_fixed_rule_keeps_each_loans_covenant_from_origination():
    model = NeocloudMarket(Params(), rng=3)
    for _ in range(30):
        model.step()
    for loan in model.credit.all_loans():
        assert loan.ltv_limit == pytest.approx(loan.advance + model.p.lenders.ltv_cushion)


def _boom_debt(seed: int, **policy: str) -> float:
    """Debt outstanding at the end of 2023."""
    df = run("baseline", seed, months=BUST_MONTHS, **policy)
    return float(df.loc[df["date"] == "2023-12", "debt_outstanding_usd"].iloc[0])


@pytest.mark.slow
def test_value_at_risk_leverage_borrows_more_in_the_boom():
    """Paired over 40 seeds (measured under Pythons 3.11 and 3.12: debt at the end of 2023 a
    median $7.1bn against $5.6bn, higher in 39 of 40). Asserted: higher in at least 36, and
    the medians at least 10% apart (measured 27%)."""
    var, fixed = ([_boom_debt(seed, **policy) for seed in BOOM_SEEDS] for policy in (VAR, {}))
    more = sum(v > f for v, f in zip(var, fixed, strict=True))
    assert more >= 36, more
    assert np.median(var) >= 1.1 * np.median(fixed), (np.median(var), np.median(fixed))


@pytest.mark.slow
def test_value_at_risk_leverage_breaks_more_firms_and_loses_more_in_the_bust():
    """The leverage cycle's prediction for the bust: lenders that levered up in the calm
    boom call margin as used-GPU values fall, so over the first boom and bust (2022-01 to
    2025-12) more neoclouds default and the lenders lose a larger share of what they lent.
    The effect is small against the seed noise: 300 paired seeds (200 left the loss levels'
    ratio at 1.9 in one environment). Measured under Pythons 3.11 and 3.12: defaults a
    median 0 and 1 higher, more in 148 and 156 runs and fewer in 105 and 97, one-sided
    Wilcoxon p = 0.001 and 6e-4; the loss rate a median 0.18 and 0.21 points higher
    (p = 0.001 both), 0.92% and 1.00% of what they lent against 0.37% and 0.39% in the
    median run (before deliveries stopped drawing on called loans: 168 and 164 more, 88 and
    84 fewer, p = 1e-8, 1.37% and 1.23% against 0.62% and 0.72%). Asserted: more defaults
    at least 1.2 times as often as fewer, at 1%; the loss rate 0.1 points higher, at 5%.
    Over ten years the defaults are not higher (twenty seeds, before Nvidia took
    orders ahead of a release: a median 7 against 9 under 3.11, 8 against 8.5 under 3.12),
    so the test stops at the end of 2025."""
    fixed, var = ("baseline", {}), ("baseline", {"lenders.leverage_policy": "value_at_risk"})
    assert_more_often(paired(_defaults, fixed, var, months=BUST_MONTHS, seeds=BUST_SEEDS), 1.2,
                      "defaults to 2025-12, value-at-risk - fixed")
    assert_increase(paired(_loss_rate, fixed, var, months=BUST_MONTHS, seeds=BUST_SEEDS), 0.001,
                    "lenders' loss rate to 2025-12, value-at-risk - fixed")
    # The README's levels: a loss rate two to three times the fixed rule's in the median run
    # (measured 2.5 and 2.6 times under Pythons 3.11 and 3.12); asserted: at least 1.5 times.
    def median_loss_rate(policy: dict) -> float:
        return float(np.median([_loss_rate(run("baseline", seed, BUST_MONTHS, **policy))
                                for seed in BUST_SEEDS]))
    levered, fixed_rate = median_loss_rate(VAR), median_loss_rate({})
    assert levered >= 1.5 * fixed_rate, (levered, fixed_rate)


def _defaults(df) -> float:
    return float(df["neocloud_defaults_cum"].iloc[-1])


def _loss_rate(df) -> float:
    return float(summarize(df)["lender_loss_rate"])
