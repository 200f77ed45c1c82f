"""The model's invariants (DESIGN section 9), checked on a live model after any month."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket


def violations(model: NeocloudMarket) -> list[str]:
    """Everything that is wrong with the model's state now; empty when all invariants hold."""
    found: list[str] = []
    ledger = model.ledger
    tolerance = 1e-9 * max(ledger.scale(), 1.0)
    if abs(ledger.total()) > tolerance:
        found.append(f"ledger does not balance: accounts sum to {ledger.total():.6g}")
    if abs(ledger.balance(model.clearing_account)) > tolerance:
        found.append("spot clearing account is not empty after the month")
    balance = model.gpu_balance()
    if np.any(np.abs(balance) > 1e-6 * np.maximum(model.nvidia.shipped, 1.0)):
        found.append(f"GPUs not conserved: shipped - (fleets + retired + sold) = {balance}")
    clouds = model.neoclouds()
    accounts = {c.account for c in clouds}
    book = model.contracts
    live = book.live()
    if not set(book.provider[live].tolist()) <= accounts:
        found.append("a live contract names a provider that has left the market")
    if not np.all(model.startups.alive[book.tenant[live]]):
        found.append("a live contract names a tenant that has failed")
    for cloud in clouds:
        if any(c.count < 0 or not math.isfinite(c.count) for c in cloud.fleet):
            found.append(f"neocloud {cloud.unique_id} has a negative or non-finite cohort")
        if any(not (p > 0 and math.isfinite(p)) for p in cloud.prices.values()):
            found.append(f"neocloud {cloud.unique_id} posts a non-positive or non-finite price")
    if any(o.remaining < 0 for o in model.nvidia.orders):
        found.append("an order has negative remaining quantity")
    for lender in model.lenders():
        for loan in lender.loans:
            if loan.lender is not lender or loan not in loan.borrower.loans:
                found.append(f"loan {loan.id} is not one lender's asset and its borrower's liability")
            if not loan.borrower.active or loan.drawn < -1e-6 or loan.undrawn < -1e-6:
                found.append(f"loan {loan.id} has a departed borrower or a negative balance")
    for cloud in clouds:
        for loan in cloud.loans:
            if loan not in loan.lender.loans:
                found.append(f"neocloud {cloud.unique_id} owes a loan no lender holds")
    if not (model.price_index > 0 and math.isfinite(model.price_index)):
        found.append(f"spot price index is {model.price_index}")
    for key, value in model.month_stats.items():
        if not math.isfinite(value):
            found.append(f"output {key} is {value}")
        elif value < 0 and key not in SIGNED_OUTPUTS:
            found.append(f"output {key} is negative ({value})")
    return found


# Outputs that may legitimately be negative.
SIGNED_OUTPUTS = frozenset({"revenue_gap_usd", "sentiment", "base_rate", "lender_losses_usd",
                            "lender_losses_cum_usd"})
