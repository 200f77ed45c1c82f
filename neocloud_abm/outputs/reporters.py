"""The month table and the per-generation table (docs/model.md#712-outputs-and-the-revenue-gap).

Each market and agent population reports its own columns (``columns`` and ``report()``);
the month's row is their union plus the revenue gap, which is derived from other outputs.
Per-generation series are columns of the month table (``spot_price_h100``, ...) and, as
data, a long table with one row per (date, generation, variable): what plots and analysis
read, so nothing parses column names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from neocloud_abm.core.chips import Generation
    from neocloud_abm.model import NeocloudMarket

# Columns every run reports, in order; per-generation columns follow them.
COLUMNS = (
    "spot_price_h100e", "contract_price_h100e", "utilization", "installed_h100e",
    "backlog_h100e", "orders_h100e", "cancelled_h100e", "deliveries_h100e",
    "demand_h100e_hours", "sold_h100e_hours", "available_h100e_hours",
    "nvidia_revenue_usd", "nvidia_lead_time_months", "nvidia_markup",
    "neoclouds_active", "neocloud_entries", "neocloud_defaults", "neocloud_defaults_cum",
    "capex_usd", "equity_raised_usd", "neocloud_revenue_usd", "startups_active", "startup_entries",
    "startup_failures", "funding_rounds", "startup_revenue_usd", "startup_revenue_neocloud_usd",
    "compute_spend_usd",
    "required_revenue_usd", "revenue_gap_usd", "required_revenue_neocloud_usd",
    "revenue_gap_neocloud_usd", "sentiment", "base_rate", "asic_share",
    "hyperscaler_price_h100e", "hyperscaler_capex_usd", "hyperscaler_sold_h100e_hours",
    "anchor_h100e_hours", "hyperscaler_leased_sold_h100e_hours", "anchor_rent_usd",
    "anchor_contracted_h100e", "top_neocloud_top_customer_share",
    "debt_outstanding_usd", "collateral_value_usd", "aggregate_ltv", "new_lending_usd",
    "new_commitments_usd", "credit_spread", "lender_losses_usd", "lender_losses_cum_usd",
    "lender_capital_usd", "lenders_active", "lender_failures", "covenant_breaches",
    "covenant_waivers", "loans_accelerated", "gpu_value_index", "expected_rent_decline",
    "expected_rent_decline_neoclouds",
    "neocloud_equity_index", "short_interest", "hedge_fund_capital_usd",
    "hedge_fund_capital_short_usd", "hedge_fund_capital_momentum_usd", "hedge_fund_failures",
    "hedge_fund_margin_calls", "nvidia_equity_investment_usd", "nvidia_backstop_usd",
)
# Per-generation columns of the month table, ``<prefix>_<generation>``, and the variable each
# is in the per-generation table: $ per GPU-hour, $ per GPU, GPUs installed, hours sold /
# installed, GPUs force-sold in the month.
PER_GENERATION: Mapping[str, str] = MappingProxyType(
    {"spot_price": "price", "gpu_value": "value", "installed_gpus": "installed",
     "utilization": "utilization", "forced_sales": "forced_sales"})


def generation_columns(gens: Iterable[Generation]) -> list[str]:
    gens = list(gens)
    return [f"{prefix}_{g.name}" for prefix in PER_GENERATION for g in gens]


def month_stat(model: NeocloudMarket, key: str) -> float:
    """DataCollector reporter: one value of the month's row (picklable, no lambda)."""
    return model.outputs[key]


def collectors(model: NeocloudMarket, sources: Sequence[Any]) -> dict[str, Any]:
    """Mesa DataCollector reporters for every column: the contract columns, then the
    per-generation ones, then any a further market declares."""
    names = [*COLUMNS, *generation_columns(model.gens)]
    names += [c for source in sources for c in source.columns if c not in names]
    return {name: partial(month_stat, key=name) for name in names}


def month_row(model: NeocloudMarket) -> dict[str, float]:
    """Event 11: every market's and population's report for the month, and the revenue gap."""
    row: dict[str, float] = {}
    for source in model.reporters:
        row.update(source.report())
    row.update(revenue_gaps(model, row))
    return row


def revenue_gaps(model: NeocloudMarket, row: dict[str, float]) -> dict[str, float]:
    """Sequoia's arithmetic, annualised over the trailing twelve months: capex x 2 (total
    cost of the data centre) x 2 (end users' margin) is the revenue the build-out requires.
    For the whole market (Sequoia's definition) that is neoclouds' and hyperscalers' capex
    against all of the startups' revenue; for the neocloud segment, neoclouds' capex
    against the revenue earned on compute rented from neoclouds (like for like)."""
    def yearly(column: str, now: float) -> float:
        values = [*model.history[column][-11:], now]
        return sum(values) * 12.0 / len(values)

    # Hours startups bought on neocloud GPUs: from neoclouds directly, and resold by the
    # hyperscalers from their leases (anchor hours are in the neoclouds' hours sold).
    direct = row["sold_h100e_hours"] - row["anchor_h100e_hours"]
    on_neocloud_gpus = direct + row["hyperscaler_leased_sold_h100e_hours"]
    hours = direct + row["hyperscaler_sold_h100e_hours"]
    share = on_neocloud_gpus / hours if hours > 0 else 1.0
    on_neoclouds = row["startup_revenue_usd"] * share
    revenue = yearly("startup_revenue_usd", row["startup_revenue_usd"])
    required_neocloud = 4.0 * yearly("capex_usd", row["capex_usd"])
    required = required_neocloud + 4.0 * yearly("hyperscaler_capex_usd", row["hyperscaler_capex_usd"])
    return {"startup_revenue_neocloud_usd": on_neoclouds,
            "required_revenue_usd": required, "revenue_gap_usd": required - revenue,
            "required_revenue_neocloud_usd": required_neocloud,
            "revenue_gap_neocloud_usd": required_neocloud
            - yearly("startup_revenue_neocloud_usd", on_neoclouds)}


def generation_table(results: pd.DataFrame, gens: Iterable[Generation]) -> pd.DataFrame:
    """The per-generation series of a month table as data: columns ``date``, ``generation``
    (the chip's name), ``variable`` (price, value, installed, utilization, forced_sales) and
    ``value``.
    Months before a generation's release, or after its last GPU left, have value 0."""
    parts = []
    for gen in gens:
        for prefix, variable in PER_GENERATION.items():
            column = f"{prefix}_{gen.name}"
            if column in results:
                parts.append(pd.DataFrame({"date": results["date"], "generation": gen.name,
                                           "variable": variable, "value": results[column]}))
    if not parts:
        return pd.DataFrame(columns=["date", "generation", "variable", "value"])
    return pd.concat(parts, ignore_index=True)
