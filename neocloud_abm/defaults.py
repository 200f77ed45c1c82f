"""The parameter registry: every parameter of the model, and the rules between them.

Each group declares its parameters in its own module under :mod:`neocloud_abm.parameters`
with default, unit, hard bounds, meaning, source and plausible range. "Modelling assumption"
marks a choice with no direct empirical counterpart; those are the first candidates for
sensitivity analysis. Money is USD, time is months unless a unit says otherwise, compute is
in H100-equivalents (H100e).
"""

from __future__ import annotations

from neocloud_abm.months import parse_month
from neocloud_abm.parameters.chips import CHIPS
from neocloud_abm.parameters.environment import ENVIRONMENT
from neocloud_abm.parameters.equity import EQUITY
from neocloud_abm.parameters.hedge_funds import HEDGE_FUNDS
from neocloud_abm.parameters.lenders import LENDERS
from neocloud_abm.parameters.market import MARKET
from neocloud_abm.parameters.neoclouds import NEOCLOUDS
from neocloud_abm.parameters.nvidia import NVIDIA
from neocloud_abm.parameters.startups import STARTUPS
from neocloud_abm.params import Constraint, Spec

PARAMETERS: dict[str, Spec] = {**MARKET, **ENVIRONMENT, **CHIPS, **NVIDIA, **NEOCLOUDS, **STARTUPS,
                               **LENDERS, **HEDGE_FUNDS, **EQUITY}

RELEASES = tuple(f"chips.{name}_release" for name in ("a100", "h100", "b200", "rubin"))


def _not_before_first_release(start: str, *releases: str) -> bool:
    return parse_month(start) >= min(parse_month(r) for r in releases)


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(("hedge_funds.target_leverage", "hedge_funds.max_leverage"),
               "hedge_funds.target_leverage <= hedge_funds.max_leverage",
               lambda target, limit: target <= limit),
    Constraint(("hedge_funds.count", "hedge_funds.min_capital", "hedge_funds.initial_capital"),
               "hedge_funds.min_capital < hedge_funds.initial_capital (when there are funds)",
               lambda count, floor, capital: count == 0 or floor < capital),
    Constraint(("startups.min_term_months", "startups.max_term_months"),
               "startups.min_term_months <= startups.max_term_months",
               lambda shortest, longest: shortest <= longest),
    Constraint(("startups.initial_count", "startups.max_count"),
               "startups.initial_count <= startups.max_count",
               lambda initial, most: initial <= most),
    Constraint(("environment.asic_share_start", "environment.asic_share_max"),
               "environment.asic_share_start <= environment.asic_share_max",
               lambda start, most: start <= most),
    Constraint(("market.start", *RELEASES),
               "market.start is not before the first chip release (the 2022 fleets are of the "
               "oldest generation, so it must exist)",
               _not_before_first_release),
)
