"""Lenders: private credit, asset managers and regulated banks lending against GPUs.

A lender's equity is its capital; it funds loans from its cash and, beyond that, by
borrowing from funding markets at the base rate plus a funding spread that rises as its
capital thins. Capital is cash + drawn loans - their loss allowance + seized GPUs at
market + shares held at market + margin loans to hedge funds (a bank is their prime broker)
- funding debt, so an expected loss reduces it before the
default, and every realised loss after. A *hybrid* lender (Magnetar-like, fact S11) also
buys equity in the firms it lends to, so a fall in their share prices cuts its capital and
its lending, and a fall in GPU values its equity: the credit and equity channels meet. Its
loans live in the credit market (``model.credit.book_of(lender)``); the GPUs it seized from
defaulted borrowers are its own, sold off over the liquidation window.

With ``lenders.bank_funded_share`` > 0 a private credit fund draws that share of its
borrowing on a warehouse line from one of the model's banks (the bank-to-private-credit
chain, docs/model.md#7810-lender-capital-funding-and-failure): the line is the bank's asset
and the fund's liability, the bank marks it down by its share of a fund's negative capital,
and a bank whose own capital thins calls its lines, so the funds must sell loans; a failed
bank's lines pass to another bank. A line is limited by its borrowing base, the fund's loans
at advance rates that fall once a loan's credit risk has risen, so souring loans force a fund
to repay its bank even while the bank is healthy.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from neocloud_abm.agents.neocloud import Neocloud
    from neocloud_abm.model import NeocloudMarket

KINDS = ("private_credit", "asset_manager", "bank")


@dataclass
class SeizedLot:
    """GPUs taken from a defaulted borrower, sold off over the liquidation window."""

    gen: int
    count: float
    months_left: int
    mark: float  # $ per GPU at which the lot is carried


class Lender(mesa.Agent):
    def __init__(self, model: NeocloudMarket, kind: str, capital: float,
                 hybrid: bool = False) -> None:
        super().__init__(model)
        self.kind = kind
        self.hybrid = hybrid  # co-invests in its borrowers' equity (lenders.hybrid_equity_ratio)
        self.account = model.ledger.open(f"lender {self.unique_id} ({kind})")
        model.ledger.sector_transfer("funding_markets", self.account, capital, "lender_capital")
        self.seized: list[SeizedLot] = []
        self._seized_value: float | None = None  # ``seized_value``, None: to be summed again
        self.funding_debt = 0.0
        self.allowance = 0.0  # $ of expected credit loss on its loans, set monthly (event 8)
        self.margin_loans = 0.0  # $ lent to hedge funds as their prime broker (banks)
        self.warehouse_bank: Lender | None = None  # a private credit fund's line, if any
        self.warehouse_debt = 0.0  # $ it owes on that line (apart from funding_debt)
        # $ the line may reach: the last monthly certificate plus loans bought since (event 8)
        self.warehouse_base = 0.0
        self.warehouse_clients: list[Lender] = []  # a bank's: the funds it lends lines to
        self.failed = False
        self.monthly_returns: deque[float] = deque(maxlen=12)
        self.last_capital = capital

    @property
    def cash(self) -> float:
        return self.model.ledger.balance(self.account)

    def loan_book(self) -> float:
        """$ it has lent and not been repaid (its shares of syndicated loans)."""
        return self.model.credit.lent_by(self)[0]

    def undrawn(self) -> float:
        """$ it has committed and not yet lent."""
        return self.model.credit.lent_by(self)[1]

    def seized_value(self) -> float:
        """Seized GPUs at their marks: kept until a lot is taken, sold or re-marked."""
        if self._seized_value is None:
            self._seized_value = sum(lot.count * lot.mark for lot in self.seized)
        return self._seized_value

    def equity_value(self) -> float:
        """Market value of the shares it holds in its borrowers (a hybrid lender's)."""
        return self.model.equity.stake_value(self.account) if self.hybrid else 0.0

    def _assets(self) -> tuple[float, float, float]:
        """Loans drawn, seized GPUs and shares, at value: what capital and exposure both
        count, summed once where a ratio needs both (each is a pass over the books)."""
        return self.loan_book(), self.seized_value(), self.equity_value()

    def capital(self, assets: tuple[float, float, float] | None = None) -> float:
        book, seized, equity = assets or self._assets()
        return (self.cash + book - self.allowance + seized + equity + self.margin_loans
                + self.warehouse_value() - self.funding_debt - self.warehouse_debt)

    def exposure(self, assets: tuple[float, float, float] | None = None) -> float:
        """What its capital must back: loans drawn and committed, seized GPUs and shares,
        and a bank's warehouse lines to private credit funds. Margin loans are left out:
        secured by marketable shares with haircuts above their value at risk, they carry
        (almost) no capital charge (Basel's comprehensive approach)."""
        book, seized, equity = assets or self._assets()
        return book + self.undrawn() + seized + equity + self.warehouse_lines()

    def warehouse_lines(self) -> float:
        """$ a bank has lent to private credit funds on warehouse lines."""
        return sum(client.warehouse_debt for client in self.warehouse_clients)

    def warehouse_impairment(self) -> float:
        """What a bank does not expect back from its lines: its part, pari passu with the
        fund's other funders, of each insolvent client's negative capital."""
        return sum(client.warehouse_shortfall() for client in self.warehouse_clients)

    def warehouse_value(self) -> float:
        """A bank's lines at the value it carries them (lent less impaired)."""
        return self.warehouse_lines() - self.warehouse_impairment()

    def warehouse_shortfall(self) -> float:
        """$ of this fund's warehouse line its assets no longer cover."""
        if self.warehouse_debt <= 0:
            return 0.0
        owed = self.funding_debt + self.warehouse_debt
        return min(max(-self.capital(), 0.0) * self.warehouse_debt / owed, self.warehouse_debt)

    def capital_ratio(self) -> float:
        assets = self._assets()
        exposure = self.exposure(assets)
        return self.capital(assets) / exposure if exposure > 0 else float("inf")

    def health(self) -> float:
        """1 at the ratio a lender keeps when lending (minimum x buffer), 0 at the minimum."""
        minimum = self.min_capital_ratio()
        room = minimum * (self.model.p.lenders.lending_buffer - 1.0)
        return max(0.0, min(1.0, (self.capital_ratio() - minimum) / max(room, 1e-9)))

    def min_capital_ratio(self) -> float:
        """Basel's for a bank; the asset-coverage floor for private credit and asset managers."""
        p = self.model.p.lenders
        return p.min_capital_ratio if self.kind == "bank" else p.nonbank_min_capital_ratio

    def can_lend(self, amount: float) -> bool:
        """New commitments need capital above the minimum ratio times a buffer."""
        if self.failed:
            return False
        assets = self._assets()
        capital = self.capital(assets)
        if capital <= 0:
            return False
        exposure = self.exposure(assets) + amount
        if exposure == 0.0:  # nothing at risk (a zero part of a loan, asked of an empty book)
            return True
        return capital / exposure >= self.min_capital_ratio() * self.model.p.lenders.lending_buffer

    def raise_cash(self, amount: float) -> None:
        """Have ``amount`` in cash, borrowing the shortfall: the bank-funded share on the
        warehouse line (while its bank stands, and within the line's borrowing base), the
        rest from funding markets."""
        shortfall = amount - max(self.cash, 0.0)
        if shortfall <= 0:
            return
        bank = self.warehouse_bank
        drawn = min(shortfall * self.model.p.lenders.bank_funded_share,
                    max(self.warehouse_base - self.warehouse_debt, 0.0))
        if bank is not None and not bank.failed and drawn > 0:
            bank.pay_out(drawn, "warehouse_draw", self.account)
            self.warehouse_debt += drawn
            shortfall -= drawn
        self.model.ledger.sector_transfer("funding_markets", self.account, shortfall,
                                          "lender_funding")
        self.funding_debt += shortfall

    def pay_out(self, amount: float, reason: str, to_account: int,
                buys_loans: bool = False) -> None:
        """Pay from cash, borrowing the shortfall. A payment that ``buys_loans`` (a draw or a
        bought holding) adds them, as performing loans, to a fund's borrowing base until the
        next certificate re-marks them (only while lines are drawn: a base left to grow with
        the chain off would never have been re-marked when a dated shock turns it on)."""
        p = self.model.p.lenders
        if buys_loans and self.warehouse_bank is not None and p.bank_funded_share > 0:
            self.warehouse_base += p.warehouse_advance_rate * amount
        self.raise_cash(amount)
        self.model.ledger.transfer(self.account, to_account, amount, reason)

    def margin_rate(self) -> float:
        """What a prime broker charges on margin debt: its own funding rate plus a spread."""
        return self.funding_rate() + self.model.p.hedge_funds.margin_spread

    def lend_margin(self, to_account: int, amount: float) -> None:
        """Lend a client fund ``amount`` against its positions (funded like a loan draw)."""
        self.pay_out(amount, "margin_loan", to_account)
        self.margin_loans += amount

    def collect_margin_interest(self, from_account: int, amount: float) -> None:
        """A client fund pays interest on its margin debt."""
        self.model.ledger.transfer(from_account, self.account, amount, "margin_interest")

    def collect_margin_repayment(self, from_account: int, amount: float) -> None:
        """A client fund repays part of its margin debt."""
        self.model.ledger.transfer(from_account, self.account, amount, "margin_repaid")
        self.margin_loans -= amount

    def write_off_margin(self, amount: float) -> None:
        """A wound-up client could not repay ``amount``: the prime broker's loss."""
        self.margin_loans -= amount

    def hand_over_margin(self, successor: Lender, amount: float) -> None:
        """Move a client's margin loan of ``amount`` to ``successor`` (a prime-brokerage
        transfer after this lender failed): it pays this lender the loan's value."""
        successor.pay_out(amount, "margin_transfer", self.account)
        successor.margin_loans += amount
        self.margin_loans -= amount

    def co_invest(self, borrower: Neocloud, committed: float) -> float:
        """A hybrid lender buys new shares of a borrower it has just committed ``committed``
        to: ``lenders.hybrid_equity_ratio`` of it (within the firm's issuing capacity).
        Returns the $ invested."""
        wanted = self.model.p.lenders.hybrid_equity_ratio * committed if self.hybrid else 0.0
        if wanted <= 0.0:
            return 0.0
        self.raise_cash(wanted)
        return self.model.equity.buy_stake(borrower, wanted, self.account)

    def funding_rate(self) -> float:
        """Base rate plus the funding spread, more for a lender whose capital ratio has
        fallen towards the minimum (health below 1)."""
        p = self.model.p.lenders
        spread = p.funding_spread + p.funding_spread_sensitivity * (1.0 - self.health())
        return max(self.model.env.base_rate + spread, 0.0)

    def service_funding(self) -> None:
        """Pay interest on funding debt and the warehouse line (the same rate: both price
        the fund's own risk) and repay both from spare cash, in proportion to what each is
        owed."""
        ledger = self.model.ledger
        owed = self.funding_debt + self.warehouse_debt
        interest = min(owed * self.funding_rate() / 12.0, max(self.cash, 0.0))
        if self.warehouse_debt > 0:
            to_bank = interest * self.warehouse_debt / owed
            ledger.transfer(self.account, self.warehouse_bank.account, to_bank,
                            "warehouse_interest")
            interest *= self.funding_debt / owed  # the funding markets' part
            self.repay_warehouse(max(self.cash - interest, 0.0) * self.warehouse_debt / owed,
                                 "warehouse_repaid")
        ledger.sector_transfer("funding_markets", self.account, interest, "funding_interest",
                               to_sector=True)
        self.repay_funding(self.funding_debt, "funding_repaid")

    def repay_funding(self, amount: float, reason: str) -> float:
        """Repay up to ``amount`` of funding debt from cash; returns what was repaid."""
        repay = min(amount, self.funding_debt, max(self.cash, 0.0))
        self.model.ledger.sector_transfer("funding_markets", self.account, repay, reason,
                                          to_sector=True)
        self.funding_debt -= repay
        return repay

    def repay_warehouse(self, amount: float, reason: str) -> float:
        """Repay up to ``amount`` of the warehouse line from cash; returns what was repaid."""
        repay = min(amount, self.warehouse_debt, max(self.cash, 0.0))
        if repay > 0:
            self.model.ledger.transfer(self.account, self.warehouse_bank.account, repay, reason)
            self.warehouse_debt -= repay
        return repay

    def provision(self, allowance: float) -> None:
        """Carry the loans net of ``allowance``, their expected credit loss (event 8)."""
        self.allowance = allowance

    def hold_seized(self, gen: int, count: float, months: int, mark: float) -> None:
        """Take GPUs seized from a defaulted borrower, carried at ``mark`` a GPU."""
        self.seized.append(SeizedLot(gen, count, months, mark))
        self._seized_value = None

    def liquidate_seized(self, record_loss: Callable[[float], None]) -> None:
        """Sell seized lots evenly over the liquidation window; sales below the mark are
        further losses (``record_loss``), and the discount they cause hits every loan on that
        generation."""
        model = self.model
        keep = []
        for lot in self.seized:
            count = lot.count / max(lot.months_left, 1)
            model.gpu_accounts.release_held(lot.gen, count)
            proceeds = model.secondary.dispose(lot.gen, count, self.account)
            record_loss(count * lot.mark - proceeds)
            lot.count -= count
            lot.months_left -= 1
            new_mark = float(model.secondary.value[lot.gen])
            record_loss((lot.mark - new_mark) * lot.count)
            lot.mark = new_mark
            self._seized_value = None
            if lot.count > 1e-9:
                keep.append(lot)
        self.seized = keep
        self._seized_value = None

    def funders_run(self) -> bool:
        """Its capital ratio is below the run threshold: funders stop rolling over."""
        threshold = self.model.p.lenders.funding_run_threshold * self.min_capital_ratio()
        return self.capital_ratio() < threshold

    def funding_withdrawal(self) -> float:
        """What funders take back this month: a share of the funding debt once the capital
        ratio is below the run threshold, nothing otherwise."""
        if self.funding_debt <= 0 or not self.funders_run():
            return 0.0
        return self.model.p.lenders.funding_run_share * self.funding_debt

    def warehouse_call(self) -> float:
        """What the fund's bank takes back from the line this month: what the fund's other
        funders would (a run once its capital is thin), or, if more, a share that grows as
        the bank's own capital thins (a bank short of capital cuts its lines first), and at
        least the line's excess over its borrowing base (the deficiency)."""
        bank = self.warehouse_bank
        if bank is None or self.warehouse_debt <= 0:
            return 0.0
        share = self.model.p.lenders.funding_run_share
        run = share if self.funders_run() else 0.0
        thinning = share * (1.0 - bank.health())
        return max(max(run, thinning) * self.warehouse_debt, self.warehouse_deficiency())

    def warehouse_deficiency(self) -> float:
        """$ by which the line exceeds its borrowing base."""
        return max(self.warehouse_debt - self.warehouse_base, 0.0)

    def trailing_return(self) -> float:
        """Return on capital over the last (up to) twelve months, redemptions added back."""
        return float(math.prod(1.0 + r for r in self.monthly_returns) - 1.0)

    def redemption_request(self) -> float:
        """A private credit fund's investors ask, at each quarter's end, for a share of its
        capital that grows with its loss over the last year, up to the gate."""
        p = self.model.p.lenders
        if self.kind != "private_credit" or self.model.month % 3 != 2 or self.capital() <= 0:
            return 0.0
        share = min(p.redemption_gate, p.redemption_sensitivity * max(-self.trailing_return(), 0.0))
        return share * self.capital()

    def close_month(self, redeemed: float) -> None:
        """Record the month's return on capital (the redemptions paid added back)."""
        capital = self.capital()
        if self.last_capital > 0:
            self.monthly_returns.append((capital + redeemed) / self.last_capital - 1.0)
        self.last_capital = capital

    def fail(self) -> None:
        """Capital gone: no new lending (the credit market cancels undrawn commitments)."""
        self.failed = True


def open_warehouse_lines(lenders: list[Lender]) -> None:
    """Give each private credit fund a warehouse line from a bank, the banks in turn (the
    assignment is fixed: it draws nothing from the model's generators). A line is drawn only
    while ``lenders.bank_funded_share`` > 0, which a dated shock may change."""
    banks = [lender for lender in lenders if lender.kind == "bank"]
    if not banks:
        return
    for i, fund in enumerate(lender for lender in lenders if lender.kind == "private_credit"):
        fund.warehouse_bank = banks[i % len(banks)]
        fund.warehouse_bank.warehouse_clients.append(fund)


def healthiest_bank(candidates: Iterable[Lender]) -> Lender | None:
    """The bank still standing with the highest capital ratio among ``candidates`` (the
    first of equals; no random draw), or None: where a failed bank's clients go."""
    banks = [lender for lender in candidates if lender.kind == "bank" and not lender.failed]
    return max(banks, key=Lender.capital_ratio) if banks else None

