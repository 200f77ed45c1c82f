"""The value-at-risk leverage rule against a fixed advance with the same mean: a leverage
cycle (Adrian & Shin 2010; Aymanns & Farmer 2015) over the first boom and bust."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run

from neocloud_abm import NeocloudMarket, Params

BOOM_SEEDS = range(1, 41)
BOOM_MONTHS = 24   # 2022-01 to 2023-12: the ChatGPT boom
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
    df = run("baseline", seed, months=BOOM_MONTHS, **policy)
    return float(df.loc[df["date"] == "2023-12", "debt_outstanding_usd"].iloc[0])


@pytest.mark.slow
def test_value_at_risk_leverage_borrows_more_in_the_boom():
    """Paired over 40 seeds (measured: debt at the end of 2023 a median $7.3bn against $5.9bn,
    higher in 40 of 40; higher in 198 of 200 seeds run to 2025-12). Asserted: higher in at least 36.
    The leverage cycle's other predictions miss and are not asserted: over the first boom and
    bust (to 2025-12, 200 seeds) defaults are a median 6 against 5 but not significantly
    more (more in 101 runs, fewer in 78, one-sided Wilcoxon p = 0.06), and the lenders' loss
    rate is no higher (p = 0.84)."""
    more = sum(_boom_debt(seed, **VAR) > _boom_debt(seed) for seed in BOOM_SEEDS)
    assert more >= 36, more
