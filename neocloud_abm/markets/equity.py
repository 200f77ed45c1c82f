"""The market for neocloud shares (event 10): prices, short interest, issuance, the index.

Every neocloud is listed when it is created. Its share price reverts toward a fundamental
value and moves with the hedge funds' net order flow plus noise (docs/model.md#710-equity-market).
The market owns its listings and the index; funds' positions change only through their own
record of each settled trade.

Fundamental value (the modelling choice): equity is worth its book value plus capitalised
trailing earnings, ``V = B + m * 12 * E``. ``B`` is the firm's book equity (cash + fleet at
book - debt). ``E`` is smoothed monthly earnings: rental revenue less operating costs,
straight-line depreciation over the assumed life and interest (monthly rents are noisy, so
earnings and revenue are exponentially smoothed with weight ``equity.smoothing``).
The multiple ``m = earnings_multiple * exp(multiple_sentiment * sentiment +
multiple_growth * g)``, capped at ``max_multiple``, rises with market sentiment and with the year-on-year log
growth ``g`` of the firm's smoothed revenue (bounded to +-1): in a shortage, high rents on
a growing fleet are capitalised at a boom multiple; in a glut, earnings and the multiple
fall together and value falls toward book. Losses are capitalised too; limited liability
floors the value at a penny a share.

Share counts are a normalisation: a firm lists at ``LISTING_PRICE`` a share, its initial
equity buying its initial shares; its first close is its fundamental value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from neocloud_abm.agents.hedge_fund import MAX_LOOKBACK, HedgeFund, funds
from neocloud_abm.core.scalars import clamp

if TYPE_CHECKING:
    from neocloud_abm.agents.neocloud import Neocloud
    from neocloud_abm.model import NeocloudMarket

LISTING_PRICE = 10.0   # $ per share at listing (a normalisation of share counts)
PRICE_FLOOR = 0.01     # $ per share: limited liability keeps equity worth something
MAX_LOG_STEP = 2.0     # largest price move in one month or one trade (log points)
HISTORY = MAX_LOOKBACK + 1   # monthly closes kept


@dataclass
class Listing:
    """One neocloud's stock."""

    firm: Neocloud
    shares: float
    price: float
    seen: int                    # model step of the last fundamentals observation
    short: float = 0.0           # shares the hedge funds have sold short
    last_return: float = 0.0     # log return at the last monthly close
    earnings: float = 0.0        # smoothed monthly earnings, $
    priced: bool = False         # has had a first monthly close
    revenue: list[float] = field(default_factory=list)   # smoothed monthly, the last 13
    closes: list[float] = field(default_factory=list)    # monthly closes, the last HISTORY


@dataclass
class Stake:
    """Shares an investor other than a hedge fund holds in one firm, and what they cost."""

    shares: float = 0.0
    cost: float = 0.0


class EquityMarket:
    """All listings, the order flow of the hedge funds, strategic stakes (Nvidia's, hybrid
    lenders') and the cap-weighted index."""

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        self.listings: dict[int, Listing] = {}
        self._index = 100.0
        self._link: dict[int, tuple[float, float]] = {}   # uid -> (shares, price) at last link
        self._exit_price: dict[int, float] = {}           # delisted since the last link
        self._opening: tuple[int, dict[int, float]] = (-1, {})  # (step, values): open_close
        self._volatility: dict[int, tuple[tuple[float, ...], float]] = {}  # uid -> (closes, s.d.)
        self.stakes: dict[int, dict[int, Stake]] = {}   # investor account -> firm uid -> stake
        self._stake_losses: tuple[int, dict[int, float]] = (-1, {})  # (step, account -> $)

    # --- listing and delisting ---------------------------------------------------------
    def list_firm(self, neocloud: Neocloud) -> None:
        """List a new firm (call at the end of its construction, when its balance sheet
        holds its initial equity)."""
        book = max(neocloud.book_equity(), LISTING_PRICE)
        listing = Listing(neocloud, book / LISTING_PRICE, LISTING_PRICE, self.model.steps)
        self.listings[neocloud.unique_id] = listing
        listing.price = self.fundamental_value(neocloud)

    def delist(self, neocloud: Neocloud, residual: float = 0.0) -> None:
        """Remove a firm; fund positions and stakes settle at ``residual / shares`` a share:
        the cash left once its creditors are paid (after a default, often little: shorts gain
        most of the price, longs lose it). A second call for the same firm does nothing."""
        listing = self.listings.pop(neocloud.unique_id, None)
        if listing is None:
            return
        price = max(residual, 0.0) / listing.shares
        for fund in funds(self.model):
            held = fund.positions.get(neocloud.unique_id, 0.0)
            if held:
                self._settle(fund, listing, -held, price)
        if neocloud.unique_id in self._link:
            self._exit_price[neocloud.unique_id] = price
        self._volatility.pop(neocloud.unique_id, None)
        for account, book in self.stakes.items():
            stake = book.pop(neocloud.unique_id, None)
            if stake is not None:
                self._settle_stake(account, stake, price)

    # --- prices and values ----------------------------------------------------------------
    def fundamental_value(self, neocloud: Neocloud) -> float:
        """Value per share from book equity, earnings, growth and sentiment (module doc)."""
        listing = self._current(neocloud.unique_id)
        eq = self.model.p.equity
        multiple = min(eq.earnings_multiple * math.exp(
            eq.multiple_sentiment * self.model.env.sentiment
            + eq.multiple_growth * _growth(listing.revenue)), eq.max_multiple)
        value = neocloud.book_equity() + multiple * 12.0 * listing.earnings
        return max(value / listing.shares, PRICE_FLOOR)

    def open_close(self) -> dict[int, float]:
        """The tradable firms' fundamental values per share, computed once as the monthly
        close opens: the funds' orders and the close itself read them, and nothing between
        the two changes a firm's books."""
        values = {lst.firm.unique_id: self.fundamental_value(lst.firm) for lst in self.tradable()}
        self._opening = (self.model.steps, values)
        return values

    def price(self, neocloud: Neocloud) -> float:
        return self.listings[neocloud.unique_id].price

    def market_cap(self, neocloud: Neocloud) -> float:
        listing = self.listings[neocloud.unique_id]
        return listing.shares * listing.price

    def short_interest(self, neocloud: Neocloud) -> float:
        """Shares sold short / shares outstanding."""
        listing = self.listings[neocloud.unique_id]
        return listing.short / listing.shares

    def aggregate_short_interest(self) -> float:
        """Value of shares sold short / market value of all listed shares."""
        caps = sum(lst.shares * lst.price for lst in self.listings.values())
        short = sum(lst.short * lst.price for lst in self.listings.values())
        return short / caps if caps > 0 else 0.0

    def trailing_return(self, uid: int, months: int) -> float:
        """Log return over the last ``months`` monthly closes; 0 for a shorter history."""
        closes = self.listings[uid].closes
        return math.log(closes[-1] / closes[-1 - months]) if len(closes) > months else 0.0

    def volatility(self, uid: int) -> float:
        """Exponentially weighted s.d. of the monthly log returns between the closes kept
        (last month's margin-call trades included, as they move the close), starting from
        ``equity.noise`` as the prior; what prime brokers set margins on."""
        closes = self.listings[uid].closes
        key = tuple(closes)
        cached = self._volatility.get(uid)
        if cached is not None and cached[0] == key:
            return cached[1]
        decay = self.model.p.hedge_funds.volatility_decay
        variance = self.model.p.equity.noise ** 2
        for before, after in itertools.pairwise(closes):
            variance = decay * variance + (1.0 - decay) * math.log(after / before) ** 2
        value = math.sqrt(variance)
        self._volatility[uid] = (key, value)
        return value

    def tradable(self) -> list[Listing]:
        """Listings that have had a monthly close (the funds trade only these)."""
        return [lst for lst in self.listings.values() if lst.priced]

    def index(self) -> float:
        """Cap-weighted index, 100 at the start, chain-linked: each link weights the price
        changes of the firms listed at the previous link by their caps then, so entries
        add nothing and a delisting counts at its exit price (-100% on a default)."""
        before = sum(shares * price for shares, price in self._link.values())
        if before > 0:
            after = sum(shares * (self.listings[uid].price if uid in self.listings
                                  else self._exit_price[uid])
                        for uid, (shares, _) in self._link.items())
            self._index *= after / before
        self._link = {uid: (lst.shares, lst.price) for uid, lst in self.listings.items()
                      if lst.priced}
        self._exit_price = {}
        return self._index

    columns = ("neocloud_equity_index", "short_interest")

    def report(self) -> dict[str, float]:
        """The month's index and short interest. Chain-links the index, so it is called once
        a month, after the month's last trade."""
        return {"neocloud_equity_index": self.index(),
                "short_interest": self.aggregate_short_interest()}

    # --- issuance --------------------------------------------------------------------------
    def issue(self, neocloud: Neocloud, amount_usd: float, investor: int | None = None) -> float:
        """Sell new shares to equity investors (or to the ``investor`` account, e.g. Nvidia's
        strategic stakes); returns the $ raised.

        The month's capacity is a share of market cap that shrinks with short interest;
        the discount grows with short interest and falls with sentiment. The new shares
        dilute: the price becomes the old cap plus the cash raised over the new share count.
        """
        eq = self.model.p.equity
        listing = self.listings[neocloud.unique_id]
        interest = listing.short / listing.shares
        capacity = (eq.max_issue_share * listing.shares * listing.price
                    * math.exp(-eq.issue_short_sensitivity * interest))
        raised = min(max(amount_usd, 0.0), capacity)
        if raised <= 0.0:
            return 0.0
        discount = float(clamp(eq.issue_discount + eq.discount_short_interest * interest
                                 - eq.discount_sentiment * self.model.env.sentiment,
                                 0.0, eq.max_discount))
        new_shares = raised / (listing.price * (1.0 - discount))
        listing.price = (listing.price * listing.shares + raised) / (listing.shares + new_shares)
        listing.shares += new_shares
        ledger = self.model.ledger
        if investor is None:
            ledger.sector_transfer("equity_investors", neocloud.account, raised, "equity_raised")
        else:
            ledger.transfer(investor, neocloud.account, raised, "strategic_investment")
        return raised

    # --- strategic stakes ------------------------------------------------------------------
    def buy_stake(self, neocloud: Neocloud, amount_usd: float, account: int) -> float:
        """New shares of ``neocloud`` for the investor's ``account`` (an issue: capped,
        discounted, diluting); the investor keeps them. Returns the $ invested."""
        listing = self.listings[neocloud.unique_id]
        before = listing.shares
        invested = self.issue(neocloud, amount_usd, investor=account)
        if invested > 0.0:
            stake = self.stakes.setdefault(account, {}).setdefault(neocloud.unique_id, Stake())
            stake.shares += listing.shares - before
            stake.cost += invested
        return invested

    def stake_value(self, account: int) -> float:
        """Market value of the investor's stakes (all in listed firms: a firm's stake is
        settled when it leaves)."""
        return float(sum(stake.shares * self.listings[uid].price
                         for uid, stake in self.stakes.get(account, {}).items()))

    def stake_losses(self, account: int) -> float:
        """Cost less proceeds of the investor's stakes settled this month, as firms left."""
        step, losses = self._stake_losses
        return losses.get(account, 0.0) if step == self.model.steps else 0.0

    def _settle_stake(self, account: int, stake: Stake, price: float) -> None:
        """A firm left: the equity investors pay the exit price for the stake (0 after a
        default) and the rest of its cost is the investor's loss."""
        proceeds = stake.shares * price
        if proceeds > 0.0:
            self.model.ledger.transfer(self.model.ledger.sector["equity_investors"], account,
                                       proceeds, "stake_settled")
        step, losses = self._stake_losses
        if step != self.model.steps:
            self._stake_losses = step, losses = self.model.steps, {}
        losses[account] = losses.get(account, 0.0) + stake.cost - proceeds

    # --- event 10 ------------------------------------------------------------------------
    def step(self, month: int) -> None:
        """Monthly close: execute the funds' orders (within borrow and ownership limits) at
        a price moved toward fundamental value, by their net flow and by noise."""
        eq = self.model.p.equity
        live = funds(self.model)
        noise = self.model.rng.normal(0.0, 1.0, len(self.listings))
        opened, values = self._opening
        if opened != self.model.steps:
            values = {}
        for listing, shock in zip(list(self.listings.values()), noise, strict=True):
            firm = listing.firm
            fundamental = values.get(firm.unique_id)
            if fundamental is None:
                fundamental = self.fundamental_value(firm)
            if not listing.priced:
                listing.price, listing.priced = fundamental, True
                listing.closes.append(fundamental)
                continue
            orders = self._within_limits(listing, {f: f.orders.get(firm.unique_id, 0.0)
                                                   for f in live})
            listing.last_return = self._move(listing, (
                eq.mean_reversion * math.log(fundamental / listing.price)
                + eq.price_impact * sum(orders.values()) / listing.shares
                + eq.noise * shock))
            for fund, shares in orders.items():
                self._settle(fund, listing, shares, listing.price)
            listing.closes = [*listing.closes, listing.price][-HISTORY:]
        for fund in live:
            fund.orders_executed()

    def trade(self, fund: HedgeFund, uid: int, shares: float) -> None:
        """Execute one order now (margin calls, wind-ups): the price moves by its impact and
        the order settles at the moved price, which also becomes the month's close."""
        listing = self.listings[uid]
        shares = self._within_limits(listing, {fund: shares})[fund]
        listing.last_return += self._move(
            listing, self.model.p.equity.price_impact * shares / listing.shares)
        listing.closes[-1] = listing.price
        self._settle(fund, listing, shares, listing.price)

    # --- internals ---------------------------------------------------------------------
    @staticmethod
    def _move(listing: Listing, step: float) -> float:
        """Move the price by a bounded log step, floored; returns the log move made."""
        old = listing.price
        listing.price = max(old * math.exp(float(clamp(step, -MAX_LOG_STEP, MAX_LOG_STEP))),
                            PRICE_FLOOR)
        return math.log(listing.price / old)

    def _current(self, uid: int) -> Listing:
        """The listing with this month's revenue and earnings observed (once per step)."""
        listing = self.listings[uid]
        if listing.seen < self.model.steps:
            listing.seen = self.model.steps
            earned, revenue = _earnings(listing.firm), listing.firm.revenue
            if listing.revenue:
                weight = self.model.p.equity.smoothing
                earned = listing.earnings + weight * (earned - listing.earnings)
                revenue = listing.revenue[-1] + weight * (revenue - listing.revenue[-1])
            listing.earnings = earned
            listing.revenue = [*listing.revenue, revenue][-13:]
        return listing

    def room(self, fund: HedgeFund, uids: Iterable[int], side: float) -> dict[int, float]:
        """Shares this fund could hold in each firm on this side (+1 long, -1 short) with the
        other funds' positions as they are: the borrow or ownership limit less what they hold."""
        eq = self.model.p.equity
        limit = eq.max_fund_ownership if side > 0 else eq.max_short_interest
        others = [f.positions for f in funds(self.model) if f is not fund]
        return {uid: max(limit * self.listings[uid].shares
                         - sum(max(side * held.get(uid, 0.0), 0.0) for held in others), 0.0)
                for uid in uids}

    def _within_limits(self, listing: Listing, orders: dict[HedgeFund, float]
                       ) -> dict[HedgeFund, float]:
        """Scale down the parts of orders that add to short positions beyond the shares
        that can be borrowed, or to long positions beyond the funds' ownership limit."""
        scaled = dict(orders)
        if not any(orders.values()):
            return scaled  # nothing to scale (the common case: most firms draw no order)
        eq = self.model.p.equity
        uid = listing.firm.unique_id
        others = [f for f in funds(self.model) if f not in orders]
        for sign, limit in ((-1.0, eq.max_short_interest), (1.0, eq.max_fund_ownership)):
            now = {f: max(sign * f.positions.get(uid, 0.0), 0.0) for f in orders}
            then = {f: max(sign * (f.positions.get(uid, 0.0) + scaled[f]), 0.0) for f in orders}
            added = {f: max(then[f] - now[f], 0.0) for f in orders}
            wanted = sum(added.values())
            if wanted <= 0.0:
                continue
            base = (sum(max(sign * f.positions.get(uid, 0.0), 0.0) for f in others)
                    + sum(then[f] - added[f] for f in orders))
            fill = float(clamp((limit * listing.shares - base) / wanted, 0.0, 1.0))
            for f, extra in added.items():
                scaled[f] -= sign * (1.0 - fill) * extra
        return scaled

    def _settle(self, fund: HedgeFund, listing: Listing, shares: float, price: float) -> None:
        """Trade with the rest of the market (the equity investors) through the ledger."""
        if shares == 0.0:
            return
        ledger, uid = self.model.ledger, listing.firm.unique_id
        investors = ledger.sector["equity_investors"]
        value = shares * price
        if value > 0.0:
            ledger.transfer(fund.account, investors, value, "hedge_fund_buy")
        else:
            ledger.transfer(investors, fund.account, -value, "hedge_fund_sell")
        old, new = fund.record_trade(uid, shares, 1e-9 * listing.shares)
        listing.short = max(listing.short + max(-new, 0.0) - max(-old, 0.0), 0.0)


def _earnings(firm: Neocloud) -> float:
    """Last month's operating cash flow less straight-line depreciation and interest."""
    model = firm.model
    life = model.p.neoclouds.assumed_life_months
    depreciation = firm.fleet.depreciation(model.month, life)
    interest = sum(loan.drawn * loan.rate / 12.0 for loan in firm.loans)
    return firm.operating_cash_flow() - depreciation - interest


def _growth(revenue: list[float]) -> float:
    """Year-on-year log growth of smoothed revenue, bounded; 0 without a year of history."""
    if len(revenue) < 13 or revenue[0] <= 0.0 or revenue[-1] <= 0.0:
        return 0.0
    return float(clamp(math.log(revenue[-1] / revenue[0]), -1.0, 1.0))
