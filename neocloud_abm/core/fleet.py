"""A neocloud's fleet: cohorts of GPUs, with aggregates cached until the fleet changes; and
the accounts of GPUs that have left the fleets (retired, sold out of the market, held by
lenders), which keep GPUs conserved.

Large firms accumulate a cohort per delivery month, and the monthly step asks for counts,
book values and pledged collateral many times; caching them keeps a month linear in the
number of cohorts instead of quadratic. Cohorts change only through the fleet's methods,
which drop the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass
class Cohort:
    """GPUs of one generation acquired in one month (pledged to ``loan`` if not None)."""

    gen: int
    count: float
    acquired: int
    unit_cost: float
    loan: int | None = None

    def book_value(self, month: int, life: int) -> float:
        age = month - self.acquired
        return self.count * self.unit_cost * max(0.0, 1.0 - age / life)


class Fleet:
    def __init__(self, generations: int) -> None:
        self.generations = generations
        self.cohorts: list[Cohort] = []
        self._cache: dict[object, object] = {}
        self.version = 0   # bumped at every change, for caches of things derived from the fleet

    def __iter__(self) -> Iterator[Cohort]:
        return iter(self.cohorts)

    def __len__(self) -> int:
        return len(self.cohorts)

    def changed(self) -> None:
        self._cache.clear()
        self.version += 1

    def sell_part(self, cohort: Cohort, count: float) -> None:
        """``count`` GPUs of a cohort leave the fleet (sold); empty cohorts go at the next
        :meth:`keep`."""
        cohort.count -= count
        self.changed()

    def release(self, loan_id: int) -> None:
        """A repaid loan's cohorts are no longer pledged."""
        released = False
        for cohort in self.cohorts:
            if cohort.loan == loan_id:
                cohort.loan = None
                released = True
        if released:
            self.changed()

    def seize(self, loan_id: int) -> list[tuple[int, float]]:
        """A defaulted loan's cohorts go to its lender: their (generation, count), in fleet
        order; they are left empty."""
        taken = []
        for cohort in self.cohorts:
            if cohort.loan == loan_id:
                taken.append((cohort.gen, cohort.count))
                cohort.count = 0.0
        self.changed()
        return taken

    def remove(self, leaving: Callable[[Cohort], bool]) -> list[Cohort]:
        """Take the cohorts for which ``leaving`` holds out of the fleet; returns them."""
        gone = [c for c in self.cohorts if leaving(c)]
        if gone:
            self.keep(lambda c: not leaving(c))
        return gone

    def add(self, cohort: Cohort) -> None:
        """Add a cohort, merged into the last one if it is the same month, generation and
        loan (one cohort per delivery month)."""
        last = self.cohorts[-1] if self.cohorts else None
        if last and (last.gen, last.acquired, last.loan) == (cohort.gen, cohort.acquired, cohort.loan):
            total = last.count + cohort.count
            last.unit_cost = (last.unit_cost * last.count + cohort.unit_cost * cohort.count) / total
            last.count = total
        else:
            self.cohorts.append(cohort)
        self.changed()

    def keep(self, predicate: Callable[[Cohort], bool]) -> None:
        kept = [c for c in self.cohorts if predicate(c)]
        if len(kept) != len(self.cohorts):
            self.cohorts = kept
            self.changed()

    def _cached(self, key: object, compute: Callable[[], object]) -> object:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def counts(self) -> np.ndarray:
        """GPUs installed by generation index."""
        def compute() -> np.ndarray:
            counts = np.zeros(self.generations)
            for c in self.cohorts:
                counts[c.gen] += c.count
            return counts
        return self._cached("counts", compute)

    def installed(self) -> dict[int, float]:
        """GPUs installed by generation index, generations with none left out."""
        def compute() -> dict[int, float]:
            counts = self.counts()
            return {int(g): float(counts[g]) for g in np.flatnonzero(counts > 0)}
        return self._cached("installed", compute)

    def book_value(self, month: int, life: int) -> float:
        return self._cached(("book", month, life),
                            lambda: sum(c.book_value(month, life) for c in self.cohorts))

    def depreciation(self, month: int, life: int) -> float:
        """Straight-line depreciation this month of cohorts still within their booked life."""
        return self._cached(("depreciation", month, life), lambda: sum(
            c.count * c.unit_cost / life for c in self.cohorts if month - c.acquired < life))

    def pledged(self, loan_id: int) -> np.ndarray:
        """GPUs pledged to a loan, by generation."""
        def compute() -> dict[int, np.ndarray]:
            by_loan: dict[int, np.ndarray] = {}
            for c in self.cohorts:
                if c.loan is not None:
                    by_loan.setdefault(c.loan, np.zeros(self.generations))[c.gen] += c.count
            return by_loan
        return self._cached("pledged", compute).get(loan_id, np.zeros(self.generations))


class GpuAccounts:
    """Where GPUs that left neocloud fleets are, by generation: retired at the end of their
    physical life, sold out of the modelled market, or held by lenders for liquidation.
    Shipped by Nvidia = installed + these three (an invariant)."""

    def __init__(self, generations: int) -> None:
        self.retired = np.zeros(generations)
        self.sold = np.zeros(generations)
        self.lender_held = np.zeros(generations)

    def retire(self, gen: int, count: float) -> None:
        self.retired[gen] += count

    def sell_out(self, gen: int, count: float) -> None:
        self.sold[gen] += count

    def hold(self, gen: int, count: float) -> None:
        self.lender_held[gen] += count

    def release_held(self, gen: int, count: float) -> None:
        self.lender_held[gen] -= count

    def total(self) -> np.ndarray:
        return self.retired + self.sold + self.lender_held

    def by_kind(self) -> dict[str, np.ndarray]:
        return {"retired": self.retired, "sold": self.sold, "lender_held": self.lender_held}
