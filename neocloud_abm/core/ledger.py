"""Every money transfer in the model, and the external sectors money comes from and goes to.

Each agent and each external sector owns one account. A transfer moves money from a payer's
account to a payee's and is tallied by reason, so the sum over all accounts stays at zero
(money is created only as a claim on an external sector) and flows of funds can be reported
by reason. Agents never hold cash of their own: ``agent.cash`` reads the ledger.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

EXTERNAL_SECTORS = (
    "venture_investors",      # fund startups' rounds
    "end_customers",          # pay startups' revenue
    "startup_suppliers",      # staff and other non-compute costs of startups
    "utilities",              # electricity
    "landlords",              # colocation rent
    "infrastructure_suppliers",  # servers, network, build-out, neocloud overhead
    "nvidia_suppliers",       # Nvidia's cost of goods
    "equity_investors",       # buy neocloud shares, receive residual claims
    "used_gpu_buyers",        # buy GPUs sold into the secondary market
    "hyperscalers",           # the outside option for compute
    "funding_markets",        # lenders' funding
    "fund_investors",         # hedge funds' investors
)


class Ledger:
    """Balances of all accounts in one growable array, with flows tallied by reason."""

    def __init__(self) -> None:
        self._balance = np.zeros(64)
        self._count = 0
        self.names: list[str] = []
        self.flows: dict[str, float] = defaultdict(float)
        self.sector = {name: self.open(name) for name in EXTERNAL_SECTORS}

    def open(self, name: str) -> int:
        """Open an account with zero balance and return its number."""
        if self._count == len(self._balance):
            self._balance = np.concatenate([self._balance, np.zeros(len(self._balance))])
        self.names.append(name)
        self._count += 1
        return self._count - 1

    def balance(self, account: int) -> float:
        return float(self._balance[account])

    def balances(self, accounts: np.ndarray) -> np.ndarray:
        return self._balance[accounts]

    def transfer(self, payer: int, payee: int, amount: float, reason: str) -> None:
        """Move ``amount`` (>= 0) from payer to payee."""
        if not amount >= 0.0 or not math.isfinite(amount):
            raise ValueError(f"transfer of {amount!r} for {reason!r}: amount must be finite, >= 0")
        self._balance[payer] -= amount
        self._balance[payee] += amount
        self.flows[reason] += amount

    def transfer_many(self, payers: np.ndarray | int, payees: np.ndarray | int,
                      amounts: np.ndarray, reason: str) -> None:
        """Vectorised transfers: either side may be one account or an array of them."""
        amounts = np.asarray(amounts, dtype=float)
        if amounts.size == 0:
            return
        if not np.all(np.isfinite(amounts)) or np.any(amounts < 0.0):
            raise ValueError(f"transfers for {reason!r}: amounts must be finite and >= 0")
        total = float(amounts.sum())
        for accounts, sign in ((payers, -1.0), (payees, 1.0)):
            if np.ndim(accounts) == 0:
                self._balance[int(accounts)] += sign * total
            else:
                np.add.at(self._balance, np.asarray(accounts, dtype=int), sign * amounts)
        self.flows[reason] += total

    def sector_transfer(self, sector: str, account: int, amount: float, reason: str,
                        *, to_sector: bool = False) -> None:
        """Money entering (default) or leaving the modelled economy through a sector."""
        external = self.sector[sector]
        if to_sector:
            self.transfer(account, external, amount, reason)
        else:
            self.transfer(external, account, amount, reason)

    def take_flows(self) -> dict[str, float]:
        """Flows by reason since the last call (one month), then reset."""
        flows, self.flows = dict(self.flows), defaultdict(float)
        return flows

    def total(self) -> float:
        """Sum of every account; zero up to rounding if the ledger is consistent."""
        return float(self._balance[: self._count].sum())

    def scale(self) -> float:
        """Sum of absolute balances, the yardstick for rounding tolerance."""
        return float(np.abs(self._balance[: self._count]).sum())
