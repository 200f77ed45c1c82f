"""AI startups: the renters of compute.

There are hundreds to thousands of them, so their state lives in columns
(:class:`StartupTable`) and each :class:`Startup` agent is a view on its row. The monthly
behaviour is vectorised over the table: need growth, funding rounds, budgets, revenue and
failure. A startup's cash is its ledger account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket

_COLUMNS = ("need", "productivity", "obtained", "desired", "budget", "spend", "account")


class StartupTable:
    """Columns of startup state; rows are never reused, dead rows have ``alive`` False."""

    def __init__(self) -> None:
        self.size = 0
        self.alive = np.zeros(0, dtype=bool)
        self.account = np.zeros(0, dtype=int)
        self.agents: list[Startup] = []
        for name in _COLUMNS[:-1]:
            setattr(self, name, np.zeros(0))

    def append(self, agent: Startup, account: int, need: float, productivity: float) -> int:
        if self.size == len(self.alive):
            grow = max(16, self.size)
            for name in _COLUMNS:
                column = getattr(self, name)
                setattr(self, name, np.concatenate([column, np.zeros(grow, dtype=column.dtype)]))
            self.alive = np.concatenate([self.alive, np.zeros(grow, dtype=bool)])
        row = self.size
        self.size += 1
        self.alive[row] = True
        self.account[row] = account
        self.need[row] = need
        self.productivity[row] = productivity
        self.agents.append(agent)
        return row

    def live_rows(self) -> np.ndarray:
        return np.flatnonzero(self.alive[: self.size])

    def compact(self) -> np.ndarray | None:
        """Drop dead rows once they outnumber the living, so memory follows the live
        population rather than everyone who ever entered. Returns the old-to-new row map
        (-1 for dropped rows) for whoever holds row numbers, or None if nothing moved."""
        live = self.live_rows()
        if self.size - len(live) <= max(len(live), 256):
            return None
        mapping = np.full(len(self.alive), -1)
        mapping[live] = np.arange(len(live))
        for name in _COLUMNS:
            setattr(self, name, getattr(self, name)[live].copy())
        self.alive = np.ones(len(live), dtype=bool)
        self.agents = [self.agents[row] for row in live]
        for row, agent in enumerate(self.agents):
            agent.row = row
        self.size = len(live)
        return mapping


class Startup(mesa.Agent):
    """An AI startup: a compute need, cash from venture rounds, revenue from end customers."""

    def __init__(self, model: NeocloudMarket, need: float, productivity: float,
                 cash: float) -> None:
        super().__init__(model)
        self.account = model.ledger.open(f"startup {self.unique_id}")
        self.row = model.startups.append(self, self.account, need, productivity)
        model.ledger.sector_transfer("venture_investors", self.account, cash, "venture_funding")

    @property
    def cash(self) -> float:
        return self.model.ledger.balance(self.account)

    @property
    def need(self) -> float:
        """Compute wanted per month at the reference price, H100e-hours."""
        return float(self.model.startups.need[self.row])

    @property
    def obtained(self) -> float:
        """Compute obtained last month (contracts, spot and outside option), H100e-hours."""
        return float(self.model.startups.obtained[self.row])

    def fail(self) -> None:
        """Leave the market: contracts are broken, what cash is left goes back to investors."""
        model = self.model
        model.contracts.break_tenant(self.row)
        model.startups.alive[self.row] = False
        left = self.cash
        if left > 0:
            model.ledger.sector_transfer("venture_investors", self.account, left,
                                         "startup_wind_down", to_sector=True)
        self.remove()


def compute_spend_estimate(need: np.ndarray, price_h100e: float, params) -> np.ndarray:
    """Monthly compute bill of a startup of this need at this price."""
    elasticity = params.startups.price_elasticity
    return need * (price_h100e / params.market.reference_price_h100e) ** -elasticity * price_h100e


def other_costs(need: np.ndarray, params) -> np.ndarray:
    """Staff and other non-compute costs per month. They scale with the startup's ambition
    (its compute need at the reference price), not with what it can afford this month, so a
    startup whose funding dries up burns through its cash and fails."""
    return params.startups.noncompute_cost_ratio * need * params.market.reference_price_h100e


def draw_needs(model: NeocloudMarket, count: int, scale: float) -> np.ndarray:
    """Heavy-tailed sizes (Pareto) with mean ``scale``: a few labs carry most demand."""
    alpha = model.p.startups.size_tail
    draws = model.rng.pareto(alpha, count) + 1.0
    return scale * draws / (alpha / (alpha - 1.0) if alpha > 1.0 else np.mean(draws))


def enter(model: NeocloudMarket, needs: np.ndarray, price_h100e: float) -> None:
    """Create startups with these needs, funded for their initial runway."""
    s = model.p.startups
    burn = compute_spend_estimate(needs, price_h100e, model.p) + other_costs(needs, model.p)
    cash = burn * s.initial_runway_months
    productivity = np.exp(model.rng.normal(0.0, 0.5, len(needs)))
    for need, prod, money in zip(needs, productivity, cash, strict=True):
        Startup(model, float(need), float(prod), float(money))


def plan_month(model: NeocloudMarket) -> None:
    """Entry, need growth, funding rounds and this month's compute budget (event 2)."""
    s, table, env = model.p.startups, model.startups, model.env
    mapping = table.compact()
    if mapping is not None:
        model.contracts.renumber_tenants(mapping)
    rows = table.live_rows()
    sentiment = env.sentiment
    growth = s.need_growth + s.need_growth_sentiment * max(sentiment, 0.0)
    noise = model.rng.normal(0.0, s.need_noise, len(rows))
    table.need[rows] *= np.exp(growth + noise) * env.need_shock
    table.productivity[rows] *= np.exp(model.rng.normal(0.0, s.productivity_noise, len(rows)))

    cash = model.ledger.balances(table.account[rows])
    burn = np.maximum(table.spend[rows] + other_costs(table.need[rows], model.p), 1.0)
    raising = cash / burn < s.funding_runway_months
    odds = (np.log(s.funding_success / max(1.0 - s.funding_success, 1e-9))
            + s.funding_sentiment * sentiment + np.log(table.productivity[rows]))
    success = raising & (model.rng.random(len(rows)) < 1.0 / (1.0 + np.exp(-odds)))
    if success.any():
        size = burn[success] * s.round_months * np.exp(
            s.round_sentiment * sentiment + model.rng.normal(0.0, 0.3, int(success.sum())))
        model.ledger.transfer_many(model.ledger.sector["venture_investors"],
                                   table.account[rows[success]], size, "venture_funding")
    model.month_stats["funding_rounds"] = int(success.sum())

    cash = model.ledger.balances(table.account[rows])
    table.budget[rows] = np.maximum(cash, 0.0) / s.spend_horizon_months

    rate = len(rows) * s.entry_rate * np.exp(s.entry_sentiment * sentiment)
    entrants = min(int(model.rng.poisson(rate)), max(s.max_count - len(rows), 0))
    if entrants:
        typical = float(np.median(table.need[rows])) if len(rows) else 1.0
        enter(model, draw_needs(model, entrants, typical), model.price_index)
    model.month_stats["startup_entries"] = int(entrants)


def settle_month(model: NeocloudMarket) -> None:
    """Revenue from end customers, non-compute costs, and failure when cash runs out (event 5)."""
    table, ledger = model.startups, model.ledger
    rows = table.live_rows()
    accounts = table.account[rows]
    revenue = (table.productivity[rows] * model.env.monetisation * table.obtained[rows]
               * model.p.market.reference_price_h100e)
    ledger.transfer_many(ledger.sector["end_customers"], accounts, revenue, "startup_revenue")
    other = other_costs(table.need[rows], model.p)
    cash = ledger.balances(accounts)
    paid = np.minimum(other, np.maximum(cash, 0.0))
    ledger.transfer_many(accounts, ledger.sector["startup_suppliers"], paid, "startup_other_costs")
    broke = (paid < other) | (ledger.balances(accounts) <= 0.0)
    for row in rows[broke]:
        table.agents[row].fail()
    model.month_stats["startup_revenue_usd"] = float(revenue.sum())
    model.month_stats["startup_failures"] += int(broke.sum())  # after rental-market failures
