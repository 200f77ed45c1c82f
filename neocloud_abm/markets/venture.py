"""Venture capital: the money behind the startups' rounds (docs/model.md#726-venture-funds).

The funds' portfolio is the startups' equity, valued at investors' multiple on revenue plus
cash, and its realised return is measured every month (what the portfolio gained, plus what
failed startups handed back, less what was put in). With ``venture.funding = "unlimited"``
(the default) every round and every entrant's seed is paid as asked and the return is only
reported. With ``"finite_funds"`` the funds pay from dry powder, which their investors
commit as the funds raise successors. The funds aim to hold a year's worth of the deal flow
they see (the rounds and seeds asked of them over the last twelve months), more after a year
whose return beat the investors' hurdle and less after one that fell short (Kaplan & Schoar
2005: a partnership's next fund grows with its last fund's performance, concavely), and
raise the gap over the months a fundraise takes. The funds invest at most a fixed share of
their dry powder a month, and when the startups ask for more, rounds are cut pro rata and
fewer new ventures are seeded. A boom that raises returns raises fundraising; a bust that
lowers valuations lowers it, which starves the survivors' next rounds.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket

FLOWS = ("venture_asked_usd", "venture_invested_usd", "venture_commitments_usd")


class VentureMarket:
    """The venture funds taken together: dry powder (their ledger account), the portfolio's
    value and return, and the month's asks, investments and commitments."""

    columns = ("venture_dry_powder_usd", *FLOWS, "venture_fill_ratio", "startup_equity_usd",
               "venture_return_12m")

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        self.finite = model.p.venture.funding == "finite_funds"
        ledger = model.ledger
        self.account = (ledger.open("venture funds") if self.finite
                        else ledger.sector["venture_investors"])
        self.equity = 0.0
        self.log_returns: deque[float] = deque(maxlen=12)
        self.reference_burn = 0.0            # the startups' monthly burn at the start
        self.asked: deque[float] = deque(maxlen=12)
        self.budget = math.inf
        self.flows: dict[str, float] = dict.fromkeys(FLOWS, 0.0)

    def open(self) -> None:
        """Once the initial startups exist (finite funds): the funds' first dry powder, months
        of the startups' burn then (before the model starts, rounds replace the burn)."""
        if self.finite:
            v = self.model.p.venture
            self.reference_burn = self.model.startups.burn_rate()
            powder = v.dry_powder_months * self.reference_burn
            self.model.ledger.sector_transfer("venture_investors", self.account, powder,
                                              "venture_commitments")
            self.budget = powder / v.deployment_months

    def begin_month(self) -> None:
        self.flows = dict.fromkeys(FLOWS, 0.0)

    @property
    def dry_powder(self) -> float:
        return self.model.ledger.balance(self.account) if self.finite else 0.0

    # --- event 2: what the startups ask for -------------------------------------------------
    def invest(self, asks: np.ndarray) -> np.ndarray:
        """What the funds pay of these rounds: all of them while this month's budget lasts,
        otherwise the budget, pro rata."""
        total = float(asks.sum())
        self.flows["venture_asked_usd"] += total
        if total > self.budget:
            paid = asks * (self.budget / total)
            self.budget = 0.0
        else:
            paid = asks
            self.budget -= total
        self.flows["venture_invested_usd"] += float(paid.sum())
        return paid

    def seed(self, cash: np.ndarray) -> int:
        """How many of these would-be entrants, in order, the funds seed with the cash each
        needs: as many as what is left of this month's budget covers."""
        self.flows["venture_asked_usd"] += float(cash.sum())
        spent = np.cumsum(cash)
        count = int(np.searchsorted(spent, self.budget, side="right"))
        if count:
            self.budget -= float(spent[count - 1])
            self.flows["venture_invested_usd"] += float(spent[count - 1])
        return count

    # --- after event 5: marks, return, commitments -------------------------------------------
    def step(self, month: int) -> None:
        """Mark the portfolio once the startups have settled, measure its return, and (finite
        funds) take the investors' commitments and set next month's budget."""
        model = self.model
        before, self.equity = self.equity, model.startups.equity_value()
        handed_back = model.startups.wound_down
        if before > 0.0:
            gross = (self.equity + handed_back - self.flows["venture_invested_usd"]) / before
            self.log_returns.append(math.log(max(gross, 1e-6)))
        if not self.finite:
            return
        v = model.p.venture
        self.asked.append(self.flows["venture_asked_usd"])
        excess = (self.return_12m() - math.log1p(v.hurdle_return)
                  if len(self.log_returns) == self.log_returns.maxlen else 0.0)
        target = (v.dry_powder_months * self.deal_flow() / 12.0
                  * math.exp(v.return_sensitivity * math.tanh(excess)))
        commitments = max(target - self.dry_powder, 0.0) / v.fundraising_months
        model.ledger.sector_transfer("venture_investors", self.account, commitments,
                                     "venture_commitments")
        self.flows["venture_commitments_usd"] = commitments
        self.budget = max(self.dry_powder, 0.0) / v.deployment_months

    def deal_flow(self) -> float:
        """Rounds and seeds asked of the funds over the last twelve months; months before
        the start count as the startups' burn then."""
        missing = self.asked.maxlen - len(self.asked)
        return float(sum(self.asked)) + missing * self.reference_burn

    def return_12m(self) -> float:
        """The portfolio's log return over the last twelve months (fewer at the start)."""
        return float(sum(self.log_returns))

    def report(self) -> dict[str, float]:
        asked = self.flows["venture_asked_usd"]
        return {"venture_dry_powder_usd": self.dry_powder, **self.flows,
                "venture_fill_ratio": self.flows["venture_invested_usd"] / asked if asked > 0 else 1.0,
                "startup_equity_usd": self.equity, "venture_return_12m": self.return_12m()}
