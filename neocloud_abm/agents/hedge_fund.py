"""Hedge funds (event 10): fundamental short sellers and momentum longs in neocloud shares.

A fund's capital is its ledger cash less its margin debt plus the market value of its longs
minus that of its shorts: buying is paid from cash and short sales put their proceeds in
cash, so marking to market needs no bookkeeping of its own. Its prime broker is one of the
modelled banks: at each month's end a negative cash balance is borrowed from it (margin
debt, charged the bank's funding rate plus a spread) and spare cash repays it; what a
wound-up fund cannot repay is the bank's loss.
Prime brokers ask a margin on each position, a multiple of the stock's measured volatility
(value at risk, at least ``1 / hedge_funds.max_leverage``): leverage is capped by volatility,
so a fall in prices both cuts a fund's capital and raises its margins. A fund whose margin
requirement exceeds its capital must sell (with price impact, which can push it and others
further: Thurner, Farmer & Geanakoplos 2012; Brunnermeier & Pedersen 2009). Investors add or
withdraw money after smoothed returns; a fund below ``hedge_funds.min_capital`` is wound up.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from neocloud_abm.agents.lender import healthiest_bank
from neocloud_abm.core.scalars import clamp

if TYPE_CHECKING:
    from neocloud_abm.agents.lender import Lender
    from neocloud_abm.model import NeocloudMarket

STRATEGIES = ("short", "momentum")
MARGIN_ROUNDS = 20  # sell-and-remark rounds a margin call may take (impact moves the marks)
MAX_LOOKBACK = 60   # months: the bound of hedge_funds.momentum_lookback


class HedgeFund(mesa.Agent):
    """One fund: a strategy, a ledger account and share positions (negative = short)."""

    def __init__(self, model: NeocloudMarket, strategy: str, capital: float,
                 broker: Lender | None = None) -> None:
        super().__init__(model)
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown hedge fund strategy {strategy!r}")
        self.strategy = strategy
        # The fund's style: multipliers of its signal threshold, lookback, target leverage.
        self.style = np.exp(model.rng.normal(0.0, model.p.hedge_funds.dispersion, 3))
        self.account = model.ledger.open(f"hedge fund {self.unique_id} ({strategy})")
        model.ledger.sector_transfer("fund_investors", self.account, capital, "fund_subscription")
        self.positions: dict[int, float] = {}   # neocloud unique_id -> shares
        self.orders: dict[int, float] = {}      # this month's orders, read by the market
        self.performance = 0.0                  # smoothed monthly return investors react to
        self.nav = 1.0                          # value of one unit invested at the start
        self.last_capital = capital
        self.forced_sales = 0.0                 # $ sold in this month's margin calls
        self.broker = broker                    # prime broker (a bank); None: funding markets
        self.margin_debt = 0.0                  # $ owed to the prime broker

    # --- state ------------------------------------------------------------------------------
    @property
    def cash(self) -> float:
        return self.model.ledger.balance(self.account)

    def capital(self) -> float:
        market = self.model.equity
        return (self.cash - self.margin_debt
                + sum(x * market.listings[uid].price for uid, x in self.positions.items()))

    def borrowed(self) -> float:
        """Margin debt, and a negative cash balance not yet borrowed from the broker."""
        return self.margin_debt + max(-self.cash, 0.0)

    def gross_exposure(self) -> float:
        market = self.model.equity
        return sum(abs(x) * market.listings[uid].price for uid, x in self.positions.items())

    def leverage(self) -> float:
        capital = self.capital()
        return self.gross_exposure() / capital if capital > 0 else math.inf

    def margin_required(self) -> float:
        """The prime broker's margin on the fund's positions, $: the capital they tie up."""
        market = self.model.equity
        return sum(abs(x) * market.listings[uid].price * haircut(self.model, uid)
                   for uid, x in self.positions.items())

    # --- the month --------------------------------------------------------------------------
    def pay_financing(self) -> None:
        """Cash (short proceeds included) earns the base rate; margin debt pays the prime
        broker its margin rate (without a broker, a negative balance pays the base rate to
        funding markets)."""
        ledger, rate = self.model.ledger, self.model.env.base_rate / 12.0
        sector = ledger.sector["funding_markets"]
        if self.cash > 0 and rate > 0:
            ledger.transfer(sector, self.account, self.cash * rate, "fund_interest")
        if self.broker is not None and self.margin_debt > 0:
            self.broker.collect_margin_interest(
                self.account, self.margin_debt * self.broker.margin_rate() / 12.0)
        elif self.broker is None and self.cash < 0 and rate > 0:
            ledger.transfer(self.account, sector, -self.cash * rate, "margin_interest")

    def settle_margin(self) -> None:
        """Month end: borrow a negative cash balance from the prime broker, repay margin
        debt from spare cash. A fund whose broker has failed moves, with its debt, to the
        healthiest bank still standing (a prime-brokerage transfer)."""
        broker = self.broker
        if broker is None:
            return
        if broker.failed:
            successor = healthiest_bank(self.model.lenders())
            if successor is not None:
                if self.margin_debt > 0:
                    broker.hand_over_margin(successor, self.margin_debt)
                self.broker = broker = successor
        if self.cash < 0:
            amount = -self.cash
            broker.lend_margin(self.account, amount)
            self.margin_debt += amount
        elif self.cash > 0 and self.margin_debt > 0:
            repay = min(self.cash, self.margin_debt)
            broker.collect_margin_repayment(self.account, repay)
            self.margin_debt -= repay

    def decide(self, fundamentals: dict[int, float]) -> None:
        """Orders: a share ``trade_speed`` of the way from current positions to targets."""
        hf = self.model.p.hedge_funds
        targets = self.targets(fundamentals)
        self.orders = {uid: hf.trade_speed * (targets.get(uid, 0.0) - self.positions.get(uid, 0.0))
                       for uid in set(targets) | set(self.positions)}

    def targets(self, fundamentals: dict[int, float]) -> dict[int, float]:
        """Target shares per firm: gross exposure ``target leverage x capital`` spread over
        the firms with a signal in proportion to it, scaled down while the summed signal is
        below ``signal_scale``, and no more than the margin the capital can post. Short
        sellers short log overvaluation beyond their threshold; momentum funds buy past
        winners over their lookback. Each fund's threshold, lookback and target leverage are
        the parameters times its style. ``fundamentals`` are the tradable firms' fundamental
        values per share this month."""
        model, hf = self.model, self.model.p.hedge_funds
        market = model.equity
        threshold = hf.short_margin * self.style[0]
        lookback = int(clamp(round(hf.momentum_lookback * self.style[1]), 1, MAX_LOOKBACK))
        signals: dict[int, float] = {}
        for listing in market.tradable():
            uid = listing.firm.unique_id
            if self.strategy == "short":
                signal = math.log(listing.price / fundamentals[uid]) - threshold
            else:
                signal = market.trailing_return(uid, lookback)
            if signal > 0.0:
                signals[uid] = signal
        total = sum(signals.values())
        capital = self.capital()
        if total <= 0.0 or capital <= 0.0:
            return {}
        side = -1.0 if self.strategy == "short" else 1.0
        gross = capital * hf.target_leverage * self.style[2] * min(total / hf.signal_scale, 1.0)
        room = {uid: shares * market.listings[uid].price
                for uid, shares in market.room(self, signals, side).items()}
        exposure = fill_by_signal(gross, signals, room)
        margin = sum(x * haircut(model, uid) for uid, x in exposure.items())
        scale = min(1.0, capital / margin) if margin > 0.0 else 1.0
        return {uid: side * scale * x / market.listings[uid].price for uid, x in exposure.items()}

    def record_trade(self, uid: int, shares: float, dust: float) -> tuple[float, float]:
        """A trade settled: the position before and after (closed when what is left is no
        more than ``dust`` shares, rounding)."""
        old = self.positions.pop(uid, 0.0)
        new = old + shares
        if abs(new) > dust:
            self.positions[uid] = new
        else:
            new = 0.0
        return old, new

    def orders_executed(self) -> None:
        self.orders = {}

    def margin_call(self) -> bool:
        """With a margin requirement above capital, sell every position pro rata until the
        margin is covered (repeated while the sales' price impact moves the marks and the
        volatility); returns whether it had to sell. The $ sold is ``forced_sales``."""
        market = self.model.equity
        called = False
        self.forced_sales = 0.0
        for _ in range(MARGIN_ROUNDS):
            capital, required = self.capital(), self.margin_required()
            if capital <= 0.0 or required <= capital * (1.0 + 1e-9):
                break
            called = True
            keep = capital / required
            for uid, shares in list(self.positions.items()):
                self.forced_sales += abs((1.0 - keep) * shares) * market.listings[uid].price
                market.trade(self, uid, -(1.0 - keep) * shares)
        return called

    def investor_flows(self) -> None:
        """Record the month's return, then investors add or withdraw a share of capital
        ``b x (smoothed return - base rate)``, at most all of it (Thurner et al. 2012)."""
        hf, ledger = self.model.p.hedge_funds, self.model.ledger
        capital = self.capital()
        ret = max(capital / self.last_capital, 0.0) - 1.0 if self.last_capital > 0 else 0.0
        self.nav *= 1.0 + ret
        self.performance += hf.flow_memory * (ret - self.performance)
        excess = self.performance - self.model.env.base_rate / 12.0
        flow = float(clamp(hf.flow_sensitivity * excess, -1.0, 1.0)) * max(capital, 0.0)
        if flow > 0:
            ledger.sector_transfer("fund_investors", self.account, flow, "fund_subscription")
        elif flow < 0:
            ledger.sector_transfer("fund_investors", self.account, -flow, "fund_redemption",
                                   to_sector=True)
        self.last_capital = self.capital()

    def wind_up(self) -> float:
        """Close every position, repay the prime broker what the cash allows, return the
        rest to investors and leave the model; returns the deficit, the broker's loss."""
        market, ledger = self.model.equity, self.model.ledger
        for uid, shares in list(self.positions.items()):
            market.trade(self, uid, -shares)
        self.settle_margin()
        deficit = self.margin_debt
        if self.broker is not None and deficit > 0:
            self.broker.write_off_margin(deficit)
            self.margin_debt = 0.0
        if self.cash > 0:
            ledger.sector_transfer("fund_investors", self.account, self.cash, "fund_liquidation",
                                   to_sector=True)
        elif self.cash < 0:
            deficit = -self.cash
            ledger.sector_transfer("funding_markets", self.account, deficit, "prime_broker_loss")
        self.remove()
        return deficit


def fill_by_signal(gross: float, signals: dict[int, float], room: dict[int, float]
                   ) -> dict[int, float]:
    """Spread ``gross`` $ over firms in proportion to their signals, none beyond its
    ``room`` ($); what a full firm cannot take goes to the others (water-filling)."""
    exposure: dict[int, float] = {}
    left, remaining = dict(signals), gross
    while left and remaining > 0.0:
        total = sum(left.values())
        full = [uid for uid, s in left.items() if remaining * s / total >= room[uid]]
        if not full:
            exposure.update({uid: remaining * s / total for uid, s in left.items()})
            break
        for uid in full:
            exposure[uid] = room[uid]
            remaining -= room[uid]
            del left[uid]
    return exposure


def haircut(model: NeocloudMarket, uid: int) -> float:
    """Prime brokers' margin per $ of a position in this stock: ``margin_var_multiple``
    measured monthly volatilities, between ``1 / max_leverage`` and 1 (docs/model.md#711-hedge-funds)."""
    hf = model.p.hedge_funds
    return float(clamp(hf.margin_var_multiple * model.equity.volatility(uid),
                       1.0 / hf.max_leverage, 1.0))


def funds(model: NeocloudMarket) -> list[HedgeFund]:
    return list(model.agents_by_type.get(HedgeFund, []))


class FundIndustry:
    """The hedge funds as a group: created at the start, their phases around the equity
    market's monthly close (event 10), and the month's fund outputs."""

    columns = ("hedge_fund_capital_usd", "hedge_fund_capital_short_usd",
               "hedge_fund_capital_momentum_usd", "hedge_fund_failures", "hedge_fund_margin_calls",
               "hedge_fund_forced_sales_usd", "hedge_fund_leverage", "hedge_fund_margin_debt_usd",
               "prime_broker_losses_usd")

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        self.margin_calls = 0
        self.forced_sales = 0.0
        self.broker_losses = 0.0
        self.failures = 0

    def create_initial(self) -> None:
        """``hedge_funds.count`` funds, the first ``short_share`` of them short sellers, with
        the banks as their prime brokers in turn (none without banks)."""
        hf = self.model.p.hedge_funds
        shorts = round(hf.count * hf.short_share)
        banks = [lender for lender in self.model.lenders() if lender.kind == "bank"]
        for i in range(hf.count):
            HedgeFund(self.model, "short" if i < shorts else "momentum", hf.initial_capital,
                      banks[i % len(banks)] if banks else None)

    def before_close(self, month: int) -> None:
        """Funds pay financing and place their orders for the close (fundamental values,
        which nothing here changes, computed once for all funds)."""
        fundamentals = self.model.equity.open_close()
        for fund in funds(self.model):
            fund.pay_financing()
            fund.decide(fundamentals)

    def after_close(self, month: int) -> None:
        """Margin calls, investor flows, then wind-ups of funds below their minimum (a
        cascade while one wind-up's sales push another fund under); the survivors then
        settle their margin accounts with their prime brokers."""
        model = self.model
        live = funds(model)
        self.margin_calls = sum(fund.margin_call() for fund in live)
        self.forced_sales = sum(fund.forced_sales for fund in live)
        for fund in funds(model):
            fund.investor_flows()
        floor = model.p.hedge_funds.min_capital
        self.failures = 0
        self.broker_losses = 0.0
        # One wind-up's sales move prices and can push another fund under: repeat until none is.
        while failing := [f for f in funds(model) if (c := f.capital()) <= 0.0 or c < floor]:
            for fund in failing:
                self.broker_losses += fund.wind_up()
                self.failures += 1
        for fund in funds(model):
            fund.settle_margin()

    def report(self) -> dict[str, float]:
        live = funds(self.model)
        row = {"hedge_fund_margin_calls": self.margin_calls, "hedge_fund_failures": self.failures,
               "hedge_fund_forced_sales_usd": self.forced_sales}
        capital = sum(max(f.capital(), 0.0) for f in live)
        row["hedge_fund_leverage"] = (sum(f.gross_exposure() for f in live) / capital
                                      if capital > 0 else 0.0)
        row["hedge_fund_margin_debt_usd"] = sum(f.borrowed() for f in live)
        row["prime_broker_losses_usd"] = self.broker_losses
        for name, members in (("", live), ("_short", [f for f in live if f.strategy == "short"]),
                              ("_momentum", [f for f in live if f.strategy == "momentum"])):
            row[f"hedge_fund_capital{name}_usd"] = sum(f.capital() for f in members)
        return row
