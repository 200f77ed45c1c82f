"""The month table: per-month output columns and how they are recorded
(docs/model.md#712-outputs-and-the-revenue-gap)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket

# Columns every run reports, in order; per-generation columns follow them.
COLUMNS = (
    "spot_price_h100e", "contract_price_h100e", "utilization", "installed_h100e",
    "backlog_h100e", "orders_h100e", "cancelled_h100e", "deliveries_h100e",
    "demand_h100e_hours", "sold_h100e_hours", "available_h100e_hours",
    "nvidia_revenue_usd", "nvidia_lead_time_months", "nvidia_markup",
    "neoclouds_active", "neocloud_entries", "neocloud_defaults", "neocloud_defaults_cum",
    "capex_usd", "equity_raised_usd", "neocloud_revenue_usd", "startups_active", "startup_entries",
    "startup_failures", "funding_rounds", "startup_revenue_usd", "compute_spend_usd",
    "required_revenue_usd", "revenue_gap_usd", "sentiment", "base_rate", "asic_share",
    "hyperscaler_price_h100e",
    "debt_outstanding_usd", "collateral_value_usd", "aggregate_ltv", "new_lending_usd",
    "new_commitments_usd", "credit_spread", "lender_losses_usd", "lender_losses_cum_usd",
    "lender_capital_usd", "lenders_active", "lender_failures", "covenant_breaches",
    "covenant_waivers", "loans_accelerated", "gpu_value_index",
    "neocloud_equity_index", "short_interest", "hedge_fund_capital_usd",
    "hedge_fund_capital_short_usd", "hedge_fund_capital_momentum_usd", "hedge_fund_failures",
    "hedge_fund_margin_calls", "nvidia_equity_investment_usd", "nvidia_backstop_usd",
)
PER_GENERATION = ("spot_price", "gpu_value", "installed_gpus")


def month_stat(model: NeocloudMarket, key: str) -> float:
    """DataCollector reporter: one value of the month's statistics (picklable, no lambda)."""
    return model.month_stats[key]


def reporters(model: NeocloudMarket) -> dict[str, Any]:
    names = list(COLUMNS) + generation_columns(model)
    return {name: partial(month_stat, key=name) for name in names}


def generation_columns(model: NeocloudMarket) -> list[str]:
    return [f"{kind}_{g.name}" for kind in PER_GENERATION for g in model.gens]


def record_month(model: NeocloudMarket) -> None:
    """Event 11: fill the month's statistics from the state after all events."""
    stats, nvidia, env = model.month_stats, model.nvidia, model.env
    clouds = model.neoclouds()
    installed = model.installed_snapshot
    stats["spot_price_h100e"] = model.price_index
    stats["contract_price_h100e"] = model.contract_price
    stats["installed_h100e"] = float(sum(installed[g.index] * g.perf for g in model.gens))
    stats["backlog_h100e"] = nvidia.backlog_h100e()
    stats["nvidia_revenue_usd"] = nvidia.revenue
    stats["nvidia_lead_time_months"] = nvidia.aggregate_lead_time()
    stats["nvidia_markup"] = nvidia.markup
    stats["neoclouds_active"] = len(clouds)
    stats["neocloud_revenue_usd"] = float(sum(c.revenue for c in clouds))
    stats["neocloud_defaults_cum"] = cumulative(model, "neocloud_defaults")
    stats["startups_active"] = len(model.startups.live_rows())
    stats["compute_spend_usd"] = float(model.startups.spend[model.startups.live_rows()].sum())
    stats["required_revenue_usd"], stats["revenue_gap_usd"] = revenue_gap(model)
    stats["sentiment"] = env.sentiment
    stats["base_rate"] = env.base_rate
    stats["asic_share"] = env.asic_share
    stats["hyperscaler_price_h100e"] = env.hyperscaler_price
    record_credit(model, installed)
    for g in model.gens:
        stats[f"spot_price_{g.name}"] = model.gen_price.get(g.index, 0.0)
        stats[f"gpu_value_{g.name}"] = float(model.secondary.value[g.index])
        stats[f"installed_gpus_{g.name}"] = float(installed[g.index])
    for key in ("demand_h100e_hours", "sold_h100e_hours", "available_h100e_hours",
                "utilization", "startup_revenue_usd", "funding_rounds", "startup_entries",
                "orders_h100e", "cancelled_h100e", "capex_usd", "equity_raised_usd",
                "neocloud_entries", "neocloud_defaults", "deliveries_h100e",
                "lender_failures", "covenant_breaches", "covenant_waivers", "loans_accelerated",
                "nvidia_equity_investment_usd", "nvidia_backstop_usd"):
        stats.setdefault(key, 0.0)


def cumulative(model: NeocloudMarket, key: str) -> float:
    """This month's value of ``key`` plus all earlier months'."""
    return float(sum(model.history[key])) + model.month_stats[key]


def record_credit(model: NeocloudMarket, installed: np.ndarray) -> None:
    """Debt, collateral at market, new lending, spreads, losses and lender capital."""
    stats = model.month_stats
    loans = [loan for lender in model.lenders() for loan in lender.loans]
    debt = sum(loan.drawn for loan in loans)
    collateral = sum(loan.collateral_value(model) for loan in loans if loan.drawn > 0)
    stats["debt_outstanding_usd"] = debt
    stats["collateral_value_usd"] = collateral
    stats["aggregate_ltv"] = debt / collateral if collateral > 0 else 0.0
    for key in ("new_lending_usd", "new_commitments_usd", "lender_losses_usd"):
        stats.setdefault(key, 0.0)
    committed = stats.pop("spread_weighted", 0.0)
    previous = model.history["credit_spread"][-1] if model.history["credit_spread"] else 0.0
    new = stats["new_commitments_usd"]
    stats["credit_spread"] = committed / new if new > 0 else previous  # carries the last quote
    stats["lender_losses_cum_usd"] = cumulative(model, "lender_losses_usd")
    stats["lender_capital_usd"] = sum(lender.capital() for lender in model.lenders())
    stats["lenders_active"] = sum(not lender.failed for lender in model.lenders())
    weights = installed * model.perf
    stats["gpu_value_index"] = (float(weights @ (model.secondary.value / model.perf) / weights.sum())
                                if weights.sum() > 0 else 0.0)


def revenue_gap(model: NeocloudMarket) -> tuple[float, float]:
    """Sequoia's arithmetic, annualised: capex run-rate x 2 (total cost of the data centre)
    x 2 (end users' margin) is the revenue the build-out requires; minus startups' revenue."""
    capex = [*model.history["capex_usd"][-11:], model.month_stats["capex_usd"]]
    revenue = [*model.history["startup_revenue_usd"][-11:], model.month_stats["startup_revenue_usd"]]
    required = 4.0 * sum(capex) * 12.0 / len(capex)
    return required, required - sum(revenue) * 12.0 / len(revenue)


