"""Expected-loss provisioning of GPU loans, IFRS 9 style (docs/model.md#7811-provisioning).

A lender carries each loan net of its allowance, the loss it expects on it, so its capital
falls while a borrower weakens and collateral values slide, before any default. The stage
of a loan sets the horizon of its expected loss: twelve months while it performs (stage 1),
its remaining life once its credit risk has risen significantly (stage 2: a covenant
breach, loan-to-value or coverage), certain default once the borrower no longer covers its
debt service (stage 3, credit-impaired).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from neocloud_abm.markets.credit import Loan
    from neocloud_abm.model import NeocloudMarket


class Provision(NamedTuple):
    stage: int
    expected_loss: float  # $


def provision(loan: Loan, model: NeocloudMarket) -> Provision:
    """The loan's IFRS 9 stage and expected credit loss: probability of default over the
    stage's horizon times the loss given default, the drawn balance less the collateral
    value at default (a year of the market's expected value decline ahead, today's value for
    an impaired loan)."""
    drawn = loan.drawn
    if drawn <= 0:
        return Provision(1, 0.0)
    p = model.p.lenders
    collateral = loan.collateral_value(model)
    coverage = loan.borrower.trailing_dscr()
    ltv = drawn / collateral if collateral > 0 else math.inf
    if coverage < 1.0:
        return Provision(3, max(drawn - collateral, 0.0))
    at_default = collateral * (1.0 - model.secondary.decline.decline)
    loss_given_default = max(drawn - at_default, 0.0)
    if ltv > loan.ltv_limit or coverage < p.min_dscr:
        years_left = max(loan.months_left, 1) / 12.0
        lifetime_pd = 1.0 - (1.0 - p.stage2_default_probability) ** years_left
        return Provision(2, lifetime_pd * loss_given_default)
    twelve_month_pd = max(p.stage1_default_probability, model.recent_default_rate())
    return Provision(1, min(twelve_month_pd, 1.0) * loss_given_default)
