"""Lenders: private credit, asset managers and regulated banks lending against GPUs.

A lender's equity is its capital; it funds loans from its cash and, beyond that, by
borrowing from funding markets at the base rate plus a funding spread. Capital is
cash + drawn loans + seized GPUs at market - funding debt, so every loss reduces it. Its
loans live in the credit market (``model.credit.book_of(lender)``); the GPUs it seized from
defaulted borrowers are its own, sold off over the liquidation window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
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
    def __init__(self, model: NeocloudMarket, kind: str, capital: float) -> None:
        super().__init__(model)
        self.kind = kind
        self.account = model.ledger.open(f"lender {self.unique_id} ({kind})")
        model.ledger.sector_transfer("funding_markets", self.account, capital, "lender_capital")
        self.seized: list[SeizedLot] = []
        self.funding_debt = 0.0
        self.failed = False

    @property
    def cash(self) -> float:
        return self.model.ledger.balance(self.account)

    def loan_book(self) -> float:
        return sum(loan.drawn for loan in self.model.credit.book_of(self))

    def undrawn(self) -> float:
        return sum(loan.undrawn for loan in self.model.credit.book_of(self))

    def seized_value(self) -> float:
        return sum(lot.count * lot.mark for lot in self.seized)

    def capital(self) -> float:
        return self.cash + self.loan_book() + self.seized_value() - self.funding_debt

    def capital_ratio(self) -> float:
        exposure = self.loan_book() + self.undrawn() + self.seized_value()
        return self.capital() / exposure if exposure > 0 else float("inf")

    def health(self) -> float:
        """1 at the ratio a lender keeps when lending (minimum x buffer), 0 at the minimum."""
        p = self.model.p.lenders
        room = p.min_capital_ratio * (p.lending_buffer - 1.0)
        return max(0.0, min(1.0, (self.capital_ratio() - p.min_capital_ratio) / max(room, 1e-9)))

    def can_lend(self, amount: float) -> bool:
        """New commitments need capital above the minimum ratio times a buffer."""
        if self.failed or self.capital() <= 0:
            return False
        p = self.model.p.lenders
        exposure = self.loan_book() + self.undrawn() + self.seized_value() + amount
        return self.capital() / exposure >= p.min_capital_ratio * p.lending_buffer

    def pay_out(self, amount: float, reason: str, to_account: int) -> None:
        """Pay from cash, borrowing the shortfall from funding markets."""
        shortfall = amount - max(self.cash, 0.0)
        if shortfall > 0:
            self.model.ledger.sector_transfer("funding_markets", self.account, shortfall,
                                              "lender_funding")
            self.funding_debt += shortfall
        self.model.ledger.transfer(self.account, to_account, amount, reason)

    def service_funding(self) -> None:
        """Pay interest on funding debt and repay it from spare cash."""
        ledger, p = self.model.ledger, self.model.p
        rate = max(self.model.env.base_rate + p.lenders.funding_spread, 0.0)
        interest = min(self.funding_debt * rate / 12.0, max(self.cash, 0.0))
        ledger.sector_transfer("funding_markets", self.account, interest, "funding_interest",
                               to_sector=True)
        repay = min(self.funding_debt, max(self.cash, 0.0))
        ledger.sector_transfer("funding_markets", self.account, repay, "funding_repaid",
                               to_sector=True)
        self.funding_debt -= repay

    def hold_seized(self, gen: int, count: float, months: int, mark: float) -> None:
        """Take GPUs seized from a defaulted borrower, carried at ``mark`` a GPU."""
        self.seized.append(SeizedLot(gen, count, months, mark))

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
            if lot.count > 1e-9:
                keep.append(lot)
        self.seized = keep

    def fail(self) -> None:
        """Capital gone: no new lending (the credit market cancels undrawn commitments)."""
        self.failed = True
