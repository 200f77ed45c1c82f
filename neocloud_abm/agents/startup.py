"""AI startups: the renters of compute (docs/model.md#72-startups).

There are hundreds to thousands of them, so their state lives in the columns of the
population (:class:`Startups`) and each :class:`Startup` agent is a view on its row. The
monthly behaviour is vectorised over the population: growth, funding rounds, budgets,
revenue and failure. A startup's cash is its ledger account.

Revenue is concave in compute, ``R = mu_t a s^(1-alpha) q^alpha`` (docs/model.md#72-startups):
``s`` the startup's scale, ``a`` its productivity, ``mu_t`` revenue per unit of compute, which
grows with end customers' adoption of AI. Investors value revenue at a multiple that rises
with sentiment, and a startup buys compute until the valued marginal revenue equals the price,
within its budget: its ``need`` (demand at the reference price) is
``s (v_t a A_t)^(1/(1-alpha))``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket

_COLUMNS = ("scale", "need", "productivity", "obtained", "desired", "budget", "spend", "revenue",
            "post_money", "account")
FLOWS = ("startup_entries", "startup_failures", "funding_rounds", "down_rounds",
         "startup_revenue_usd")


class Startups:
    """The startup population: columns of state (rows are never reused while alive; dead
    rows have ``alive`` False until the table is compacted) and the month's flows."""

    columns = ("startups_active", "compute_spend_usd", *FLOWS)

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        self.size = 0
        self.alive = np.zeros(0, dtype=bool)
        self.account = np.zeros(0, dtype=int)
        self.agents: list[Startup] = []
        for name in _COLUMNS[:-1]:
            setattr(self, name, np.zeros(0))
        self.flows: dict[str, float] = dict.fromkeys(FLOWS, 0.0)
        self.wound_down = 0.0  # $ failed startups handed back to their investors this month

    def begin_month(self) -> None:
        self.flows = dict.fromkeys(FLOWS, 0.0)
        self.wound_down = 0.0

    # --- rows ---------------------------------------------------------------------------------
    def append(self, agent: Startup, account: int, scale: float, productivity: float,
               cash: float) -> int:
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
        self.scale[row] = scale
        self.productivity[row] = productivity
        self.post_money[row] = cash
        self.need[row] = scale * self.demand_factor(np.array([productivity]))[0]
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

    def mark_failed(self, row: int) -> None:
        self.alive[row] = False

    # --- set-up -------------------------------------------------------------------------------
    def create_initial(self, installed_h100e: float, price_h100e: float) -> None:
        """Needs scaled so that demand at the initial price is the calibrated share of
        installed capacity."""
        model = self.model
        s, m = model.p.startups, model.p.market
        demand_hours = s.initial_demand_ratio * installed_h100e * HOURS_PER_MONTH
        total_need = demand_hours * (price_h100e / m.reference_price_h100e) ** s.price_elasticity
        needs = draw_needs(model, s.initial_count, 1.0)
        self.enter(needs * total_need / needs.sum(), price_h100e,
                   model.ledger.sector["venture_investors"])
        rows = self.live_rows()
        self.spend[rows] = compute_spend_estimate(self.need[rows], price_h100e, model.p)

    def enter(self, needs: np.ndarray, price_h100e: float, payer: int) -> None:
        """Create startups with these needs (demand at the reference price), funded by
        ``payer`` for their initial runway; each one's scale is what gives that need at its
        productivity."""
        model = self.model
        cash = seed_cash(needs, price_h100e, model.p)
        productivity = np.exp(model.rng.normal(0.0, 0.5, len(needs)))
        scales = needs / self.demand_factor(productivity)
        for scale, prod, money in zip(scales, productivity, cash, strict=True):
            Startup(model, float(scale), float(prod), float(money), payer)

    def demand_factor(self, productivity: np.ndarray) -> np.ndarray:
        """Need per unit of scale: ``(v_t a A_t)^(1/(1-alpha))``, the compute at which the
        valued marginal revenue of a startup of productivity ``a`` equals the reference
        price (the multiple ``v_t`` and adoption ``A_t`` relative to the start)."""
        env = self.model.env
        return ((multiple_over_start(self.model) * productivity * env.adoption.productivity)
                ** self.model.p.startups.price_elasticity)

    def valuations(self, rows: np.ndarray) -> np.ndarray:
        """Equity value of these startups: investors' multiple on annualised revenue (last
        month's) plus cash (docs/model.md#726-venture-funds)."""
        cash = np.maximum(self.model.ledger.balances(self.account[rows]), 0.0)
        return investors_multiple(self.model) * 12.0 * self.revenue[rows] + cash

    def equity_value(self) -> float:
        """Equity value of every live startup, the venture funds' portfolio."""
        return float(self.valuations(self.live_rows()).sum())

    def burn_rate(self) -> float:
        """What the live startups spend a month: last month's compute bills and their other
        costs."""
        rows = self.live_rows()
        return float((self.spend[rows] + other_costs(self.need[rows], self.model.p)).sum())

    # --- event 2 ------------------------------------------------------------------------------
    def plan(self, month: int) -> None:
        """Entry, need growth, funding rounds and this month's compute budget (event 2)."""
        model = self.model
        s, env = model.p.startups, model.env
        mapping = self.compact()
        if mapping is not None:
            model.rental.contracts.renumber_tenants(mapping)
        rows = self.live_rows()
        sentiment = env.sentiment
        noise = model.rng.normal(0.0, s.need_noise, len(rows))
        self.scale[rows] *= np.exp(s.need_growth + noise) * env.need_shock
        self.productivity[rows] *= np.exp(model.rng.normal(0.0, s.productivity_noise, len(rows)))
        self.need[rows] = self.scale[rows] * self.demand_factor(self.productivity[rows])

        cash = model.ledger.balances(self.account[rows])
        burn = np.maximum(self.spend[rows] + other_costs(self.need[rows], model.p), 1.0)
        raising = cash / burn < s.funding_runway_months
        odds = (np.log(s.funding_success / max(1.0 - s.funding_success, 1e-9))
                + s.funding_sentiment * sentiment + np.log(self.productivity[rows]))
        success = raising & (model.rng.random(len(rows)) < 1.0 / (1.0 + np.exp(-odds)))
        if success.any():
            size = burn[success] * s.round_months * np.exp(
                s.round_sentiment * sentiment + model.rng.normal(0.0, 0.3, int(success.sum())))
            self.raise_rounds(rows[success], size)

        cash = model.ledger.balances(self.account[rows])
        self.budget[rows] = np.maximum(cash, 0.0) / s.spend_horizon_months

        rate = len(rows) * s.entry_rate * np.exp(s.entry_sentiment * sentiment)
        entrants = min(int(model.rng.poisson(rate)), max(s.max_count - len(rows), 0))
        if entrants:
            typical = float(np.median(self.need[rows])) if len(rows) else 1.0
            needs = draw_needs(model, entrants, typical)
            entrants = model.venture.seed(seed_cash(needs, model.price_index, model.p))
            self.enter(needs[:entrants], model.price_index, model.venture.account)
        self.flows["startup_entries"] = int(entrants)

    def raise_rounds(self, rows: np.ndarray, asks: np.ndarray) -> None:
        """Rounds asked by these startups, paid as far as the venture funds can (a round the
        funds cannot pay at all is not a round); a round priced below the last one's
        post-money value is a down round."""
        model = self.model
        pre_money = self.valuations(rows)
        paid = model.venture.invest(asks)
        model.ledger.transfer_many(model.venture.account, self.account[rows], paid,
                                   "venture_funding")
        closed = paid > 0.0
        rows, pre_money = rows[closed], pre_money[closed]
        self.flows["down_rounds"] = int((pre_money < self.post_money[rows]).sum())
        self.post_money[rows] = pre_money + paid[closed]
        self.flows["funding_rounds"] = len(rows)

    # --- event 4: what the rental market reports -----------------------------------------------
    def record_purchases(self, rows: np.ndarray, obtained: np.ndarray, spend: np.ndarray,
                         desired: np.ndarray) -> None:
        """Compute obtained (contracts, spot and the outside option), what it cost, and what
        each startup wanted at the month's price."""
        self.obtained[rows] = obtained
        self.spend[rows] = spend
        self.desired[rows] = desired

    def fail_tenants(self, rows: np.ndarray) -> None:
        """Tenants that could not pay their take-or-pay rent in full fail."""
        for row in rows:
            if self.alive[row]:
                self.agents[row].fail()
                self.flows["startup_failures"] += 1

    # --- event 5 ------------------------------------------------------------------------------
    def settle(self, month: int) -> None:
        """Revenue from end customers, non-compute costs, and failure when cash runs out
        (event 5)."""
        model = self.model
        ledger = model.ledger
        rows = self.live_rows()
        accounts = self.account[rows]
        scale, alpha = self.scale[rows], revenue_concavity(model.p)
        revenue = (self.productivity[rows] * model.env.monetisation * model.p.market.
                   reference_price_h100e * scale * (self.obtained[rows] / scale) ** alpha)
        ledger.transfer_many(ledger.sector["end_customers"], accounts, revenue, "startup_revenue")
        self.revenue[rows] = revenue
        other = other_costs(self.need[rows], model.p)
        cash = ledger.balances(accounts)
        paid = np.minimum(other, np.maximum(cash, 0.0))
        ledger.transfer_many(accounts, ledger.sector["startup_suppliers"], paid,
                             "startup_other_costs")
        broke = (paid < other) | (ledger.balances(accounts) <= 0.0)
        for row in rows[broke]:
            self.agents[row].fail()
        self.flows["startup_revenue_usd"] = float(revenue.sum())
        self.flows["startup_failures"] += int(broke.sum())  # after rental-market failures

    # --- outputs ------------------------------------------------------------------------------
    def report(self) -> dict[str, float]:
        rows = self.live_rows()
        return {"startups_active": len(rows), "compute_spend_usd": float(self.spend[rows].sum()),
                **self.flows}


class Startup(mesa.Agent):
    """An AI startup: a compute need, cash from venture rounds, revenue from end customers."""

    def __init__(self, model: NeocloudMarket, scale: float, productivity: float,
                 cash: float, payer: int) -> None:
        super().__init__(model)
        self.account = model.ledger.open(f"startup {self.unique_id}")
        self.row = model.startups.append(self, self.account, scale, productivity, cash)
        model.ledger.transfer(payer, self.account, cash, "venture_funding")

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
        model.rental.contracts.break_tenant(self.row)
        model.startups.mark_failed(self.row)
        left = self.cash
        if left > 0:
            model.ledger.sector_transfer("venture_investors", self.account, left,
                                         "startup_wind_down", to_sector=True)
            model.startups.wound_down += left
        self.remove()


def revenue_concavity(params) -> float:
    """``alpha`` of revenue ``A q^alpha``: a price elasticity of compute demand ``e`` is what
    concave revenue implies when the valued marginal revenue equals the price, ``e =
    1/(1-alpha)``."""
    return 1.0 - 1.0 / params.startups.price_elasticity


def compute_spend_estimate(need: np.ndarray, price_h100e: float, params) -> np.ndarray:
    """Monthly compute bill of a startup of this need at this price."""
    elasticity = params.startups.price_elasticity
    return need * (price_h100e / params.market.reference_price_h100e) ** -elasticity * price_h100e


def seed_cash(needs: np.ndarray, price_h100e: float, params) -> np.ndarray:
    """A new startup's cash: its initial runway of burn at this price."""
    burn = compute_spend_estimate(needs, price_h100e, params) + other_costs(needs, params)
    return burn * params.startups.initial_runway_months


def multiple_over_start(model: NeocloudMarket) -> float:
    """Investors' revenue multiple relative to zero sentiment, ``v_t = exp(beta_v S_t)``."""
    return float(np.exp(model.p.startups.valuation_sentiment * model.env.sentiment))


def investors_multiple(model: NeocloudMarket) -> float:
    """Investors' multiple on a startup's annual revenue, ``V_t = v_t / (alpha mu_0)``: the
    one its compute demand is valued at (docs/model.md#724-compute-demand)."""
    return multiple_over_start(model) / (revenue_concavity(model.p)
                                         * model.p.startups.revenue_per_compute)


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
