"""The model's invariants, checked on a live model after any month (the tests check them
every month of every scenario over many seeds; docs/model.md lists them)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from neocloud_abm.agents.hedge_fund import funds
from neocloud_abm.core.arithmetic import dot
from neocloud_abm.core.chips import power_cost_hour

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket


def violations(model: NeocloudMarket) -> list[str]:
    """Everything that is wrong with the model's state now; empty when all invariants hold."""
    found: list[str] = []
    ledger = model.ledger
    tolerance = 1e-9 * max(ledger.scale(), 1.0)
    if abs(ledger.total()) > tolerance:
        found.append(f"ledger does not balance: accounts sum to {ledger.total():.6g}")
    if abs(ledger.balance(model.rental.clearing_account)) > tolerance:
        found.append("spot clearing account is not empty after the month")
    balance = model.gpu_balance()
    if np.any(np.abs(balance) > 1e-6 * np.maximum(model.nvidia.shipped, 1.0)):
        found.append(f"GPUs not conserved: shipped - (fleets + retired + sold) = {balance}")
    clouds = model.neoclouds()
    accounts = {c.account for c in clouds}
    book = model.rental.contracts
    live = book.live()
    if not set(book.provider[live].tolist()) <= accounts:
        found.append("a live contract names a provider that has left the market")
    if not np.all(model.startups.alive[book.tenant[live]]):
        found.append("a live contract names a tenant that has failed")
    anchors = model.rental.anchors
    if not set(anchors.provider[anchors.active].tolist()) <= accounts:
        found.append("an anchor contract names a provider that has left the market")
    for cloud in clouds:
        if any(c.count < 0 or not math.isfinite(c.count) for c in cloud.fleet):
            found.append(f"neocloud {cloud.unique_id} has a negative or non-finite cohort")
        if any(not (p > 0 and math.isfinite(p)) for p in cloud.prices.values()):
            found.append(f"neocloud {cloud.unique_id} posts a non-positive or non-finite price")
    if any(o.remaining < 0 for o in model.nvidia.orders):
        found.append("an order has negative remaining quantity")
    clients: dict[int, float] = {}
    for fund in funds(model):
        if fund.margin_debt < -tolerance:
            found.append(f"hedge fund {fund.unique_id} has negative margin debt")
        if fund.broker is not None:
            clients[fund.broker.unique_id] = clients.get(fund.broker.unique_id, 0.0) + fund.margin_debt
    for lender in model.lenders():
        if abs(lender.margin_loans - clients.get(lender.unique_id, 0.0)) > tolerance:
            found.append(f"lender {lender.unique_id}'s margin loans ({lender.margin_loans:.6g}) "
                         f"are not its client funds' margin debt")
        if lender.warehouse_debt < -tolerance or any(
                client.warehouse_bank is not lender for client in lender.warehouse_clients):
            found.append(f"lender {lender.unique_id}'s warehouse line is negative or not its "
                         "bank's asset")
        for loan in model.credit.book_of(lender):
            if lender not in loan.holders or loan not in model.credit.loans_of(loan.borrower):
                found.append(f"loan {loan.id} is not its holders' asset and its borrower's liability")
            if not loan.borrower.active or any(share.drawn < -1e-6 or share.undrawn < -1e-6
                                               for share in loan.holders.values()):
                found.append(f"loan {loan.id} has a departed borrower or a negative balance")
    for cloud in clouds:
        owed = model.credit.loans_of(cloud)
        for loan in owed:
            if not loan.holders or any(loan not in model.credit.book_of(holder)
                                       for holder in loan.holders):
                found.append(f"neocloud {cloud.unique_id} owes a loan not in its holders' books")
        if {c.loan for c in cloud.fleet if c.loan is not None} - {loan.id for loan in owed}:
            found.append(f"neocloud {cloud.unique_id} has GPUs pledged to a loan it does not owe")
    if not (model.price_index > 0 and math.isfinite(model.price_index)):
        found.append(f"spot price index is {model.price_index}")
    found += (_capacity_violations(model) + _power_violations(model) + _price_violations(model)
              + _stock_violations(model) + _venture_violations(model, tolerance))
    for key, value in model.outputs.items():
        if not math.isfinite(value):
            found.append(f"output {key} is {value}")
        elif value < 0 and key not in SIGNED_OUTPUTS:
            found.append(f"output {key} is negative ({value})")
    return found


def _venture_violations(model: NeocloudMarket, tolerance: float) -> list[str]:
    """Venture funds never invest money they do not have, nor more than was asked."""
    venture = model.venture
    found = []
    if venture.dry_powder < -tolerance:
        found.append(f"venture funds' dry powder is negative ({venture.dry_powder:.6g})")
    if venture.flows["venture_invested_usd"] > venture.flows["venture_asked_usd"] * (1 + 1e-9) + tolerance:
        found.append("venture funds invested more than the startups asked for")
    return found


def _capacity_violations(model: NeocloudMarket) -> list[str]:
    """Hours sold never exceed hours installed: per neocloud and generation, per generation,
    and for the market; the hyperscalers use in-house and resell no more leased hours than
    they lease."""
    found = []
    stats = model.outputs
    if stats.get("sold_h100e_hours", 0.0) > stats.get("available_h100e_hours", 0.0) * (1 + TOL) + TOL:
        found.append(f"sold {stats['sold_h100e_hours']:.6g} H100e-hours of "
                     f"{stats['available_h100e_hours']:.6g} available")
    anchored = stats.get("anchor_h100e_hours", 0.0)
    resold = (stats.get("hyperscaler_leased_sold_h100e_hours", 0.0)
              + stats.get("in_house_leased_h100e_hours", 0.0))
    if (anchored > stats.get("sold_h100e_hours", 0.0) * (1 + TOL) + TOL
            or resold > anchored * (1 + TOL) + TOL):
        found.append(f"anchor hours {anchored:.6g} exceed hours sold, or leased hours used "
                     f"in-house and resold ({resold:.6g}) exceed them")
    if stats.get("utilization", 0.0) > 1.0 + TOL:
        found.append(f"utilization is {stats['utilization']!r} > 1")
    for gen, utilization in model.rental.gen_utilization.items():
        if utilization > 1.0 + TOL:
            found.append(f"utilization of {model.gens[gen].name} is {utilization!r} > 1")
    for cloud in model.neoclouds():
        for gen, sold in cloud.sold_gpu_hours.items():
            available = cloud.available_gpu_hours.get(gen, 0.0)
            if sold > available * (1 + TOL) + TOL:
                found.append(f"neocloud {cloud.unique_id} sold {sold:.6g} {model.gens[gen].name} "
                             f"GPU-hours of {available:.6g} installed when the market cleared")
    return found


def _power_violations(model: NeocloudMarket) -> list[str]:
    """Leased space never exceeds powered capacity; a firm's powered GPUs fit in its lease
    and are GPUs it has installed; rents are positive."""
    power = model.power
    found = []
    scale = max(power.capacity_kw, 1.0)
    if power.leased_kw() > power.capacity_kw + TOL * scale:
        found.append(f"{power.leased_kw():.6g} kW leased of {power.capacity_kw:.6g} kW powered")
    if any(lease.kw < -TOL * scale for lease in power.leases.values()):
        found.append("a lease holds negative space")
    if any(v < 0 for v in power.pipeline.values()):
        found.append("negative space under construction")
    if not (power.rent > 0 and math.isfinite(power.rent)):
        found.append(f"colocation rent is {power.rent!r}")
    for cloud in model.neoclouds():
        powered, counts = power.powered(cloud), cloud.fleet.counts()
        if np.any(powered > counts * (1 + TOL) + TOL):
            found.append(f"neocloud {cloud.unique_id} powers GPUs it has not installed")
        if dot(powered, power.power_kw) > power.lease_of(cloud).kw * (1 + TOL) + TOL:
            found.append(f"neocloud {cloud.unique_id} powers more than its lease")
    return found


def _price_violations(model: NeocloudMarket) -> list[str]:
    """No posted price above the customers' outside option (the hyperscalers' price for the
    same compute), unless the power cost of an hour is higher still, and none below that
    power cost (the price floor)."""
    ceiling = model.env.hyperscaler_price
    found = []
    for cloud in model.neoclouds():
        for gen, price in cloud.prices.items():
            name = model.gens[gen].name
            floor = power_cost_hour(model.gens[gen], model.p)
            cap = max(ceiling * model.gens[gen].perf, floor)
            if price > cap * (1 + TOL):
                found.append(f"neocloud {cloud.unique_id} posts {price:.6g} for a "
                             f"{name}-hour, above the outside option {cap:.6g}")
            if price < floor * (1 - TOL):
                found.append(f"neocloud {cloud.unique_id} posts {price:.6g} for a "
                             f"{name}-hour, below its power cost {floor:.6g}")
    return found


def _stock_violations(model: NeocloudMarket) -> list[str]:
    """Stocks and values that cannot be negative, and collateral behind every drawn loan."""
    found = []
    secondary = model.secondary
    if np.any(secondary.value < 0) or not np.all(np.isfinite(secondary.value)):
        found.append(f"used-GPU values {secondary.value}")
    if np.any(secondary.discount < 0) or np.any(secondary.discount > 1):
        found.append(f"fire-sale discounts {secondary.discount} outside [0, 1]")
    for kind, held in model.gpu_accounts.by_kind().items():
        if np.any(held < -1e-6 * np.maximum(model.nvidia.shipped, 1.0)):
            found.append(f"GPU account {kind} is negative: {held}")
    rows = model.startups.live_rows()
    table = model.startups
    for column in ("need", "budget", "spend", "obtained"):
        if np.any(getattr(table, column)[rows] < 0):
            found.append(f"a live startup has negative {column}")
    ledger = model.ledger
    if np.any(ledger.balances(table.account[rows]) < -TOL * max(ledger.scale(), 1.0)):
        found.append("a live startup has negative cash")
    for cloud in model.neoclouds():
        if cloud.cash < -TOL * max(ledger.scale(), 1.0):
            found.append(f"neocloud {cloud.unique_id} has negative cash {cloud.cash:.6g}")
    for lender in model.lenders():
        if any(lot.count < -1e-9 for lot in lender.seized):
            found.append(f"lender {lender.unique_id} holds a negative lot")
        for loan in model.credit.book_of(lender):
            if loan.drawn > 1e-6 and not loan.collateral_value(model) > 0:
                found.append(f"loan {loan.id} is drawn ({loan.drawn:.6g}) with no collateral")
    ltv = model.outputs.get("aggregate_ltv", 0.0)
    if not (math.isfinite(ltv) and ltv >= 0):
        found.append(f"aggregate LTV is {ltv!r}")
    return found


TOL = 1e-9

# Outputs that may legitimately be negative.
# Lender capital is equity: a failed lender's can be negative (its funders bear the rest).
# Stake losses are cost less exit proceeds: a gain when a firm exits above what was paid.
SIGNED_OUTPUTS = frozenset({"revenue_gap_usd", "revenue_gap_neocloud_usd", "sentiment", "base_rate",
                            "lender_losses_usd", "lender_losses_cum_usd", "lender_capital_usd",
                            "lender_equity_losses_usd", "nvidia_stake_losses_usd",
                            "venture_return_12m"})
