"""A neocloud's fleet: cohorts of GPUs, with aggregates cached until the fleet changes; and
the accounts of GPUs that have left the fleets (retired, sold out of the market, held by
lenders), which keep GPUs conserved.

Large firms accumulate a cohort per delivery month, and the monthly step asks for counts,
book values and pledged collateral many times; caching them keeps a month linear in the
number of cohorts instead of quadratic. Cohorts change only through the fleet's methods,
which drop the cache; an addition (a delivery, a used lot bought) updates the counts
without a pass over the fleet, since a buyer in a fire sale adds lot after lot. Every sum
runs over the cohorts in fleet order, so cached and fresh values are the same floats.
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


class Fleet:
    def __init__(self, generations: int) -> None:
        self.generations = generations
        self.cohorts: list[Cohort] = []
        self._cache: dict[object, object] = {}
        self._oldest: int | None = None  # earliest month acquired; None: to be found again
        # GPUs by generation in every cohort but the last, summed in fleet order: a delivery
        # or a purchase (added to the last cohort, or appended) then updates the counts
        # without a pass over the fleet. None: to be summed again.
        self._before_last: list[float] | None = None
        self.version = 0   # bumped at every change, for caches of things derived from the fleet
        # bumped at every change that can move a pledged GPU (all but unpledged additions),
        # for caches of collateral: a used lot bought in a fire sale pledges nothing
        self.pledge_version = 0

    def __iter__(self) -> Iterator[Cohort]:
        return iter(self.cohorts)

    def __len__(self) -> int:
        return len(self.cohorts)

    def changed(self) -> None:
        """Cohorts were changed in place or dropped: every aggregate is found again."""
        self._before_last = None
        self._oldest = None
        self._refresh()

    def _refresh(self, pledges_kept: bool = False) -> None:
        pledged = self._cache.get("pledged") if pledges_kept else None
        self._cache.clear()
        self.version += 1
        if pledged is not None:
            self._cache["pledged"] = pledged
        if not pledges_kept:
            self.pledge_version += 1

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

    def release_part(self, loan_id: int, share: float) -> None:
        """Unpledge ``share`` of every cohort pledged to a loan: a split, the released part a
        cohort of its own."""
        released = []
        for cohort in self.cohorts:
            if cohort.loan == loan_id and cohort.count > 0:
                part = cohort.count * share
                cohort.count -= part
                released.append(Cohort(cohort.gen, part, cohort.acquired, cohort.unit_cost))
        if released:
            self.cohorts.extend(released)
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
        gone, kept = [], []
        for cohort in self.cohorts:
            (gone if leaving(cohort) else kept).append(cohort)
        if gone:
            self.cohorts = kept
            self.changed()
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
            if last is None:
                self._before_last = [0.0] * self.generations
            elif self._before_last is not None:
                self._before_last[last.gen] += last.count
            self.cohorts.append(cohort)
            if self._oldest is not None:
                self._oldest = min(self._oldest, cohort.acquired)
        self._refresh(pledges_kept=cohort.loan is None)

    def keep(self, predicate: Callable[[Cohort], bool]) -> None:
        self.remove(lambda c: not predicate(c))

    def oldest(self) -> int | None:
        """The earliest month in which a cohort still in the fleet was acquired (None for an
        empty fleet): a month's retirements need no pass over the cohorts before it ages out."""
        if self._oldest is None and self.cohorts:
            self._oldest = min(c.acquired for c in self.cohorts)
        return self._oldest

    def counts(self) -> np.ndarray:
        """GPUs installed by generation index."""
        counts = self._cache.get("counts")
        if counts is None:
            if not self.cohorts:
                return self._cache.setdefault("counts", np.zeros(self.generations))
            if self._before_last is None:
                # float sums in fleet order, as an array's would be, without numpy's per-item cost
                self._before_last = [0.0] * self.generations
                for c in self.cohorts[:-1]:
                    self._before_last[c.gen] += c.count
            summed = list(self._before_last)
            last = self.cohorts[-1]
            summed[last.gen] += last.count
            counts = self._cache["counts"] = np.array(summed)
        return counts

    def installed(self) -> dict[int, float]:
        """GPUs installed by generation index, generations with none left out."""
        installed = self._cache.get("installed")
        if installed is None:
            installed = self._cache["installed"] = {
                g: count for g, count in enumerate(self.counts().tolist()) if count > 0}
        return installed

    def book_value(self, month: int, life: int) -> float:
        """Cost less straight-line depreciation over ``life`` months, never below zero."""
        key = ("book", month, life)
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = sum([
                c.count * c.unit_cost * max(0.0, 1.0 - (month - c.acquired) / life)
                for c in self.cohorts])
        return value

    def depreciation(self, month: int, life: int) -> float:
        """Straight-line depreciation this month of cohorts still within their booked life."""
        key = ("depreciation", month, life)
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = sum([
                c.count * c.unit_cost / life for c in self.cohorts if month - c.acquired < life])
        return value

    def pledged(self, loan_id: int) -> np.ndarray:
        """GPUs pledged to a loan, by generation."""
        by_loan = self._cache.get("pledged")
        if by_loan is None:
            summed: dict[int, list[float]] = {}
            for c in self.cohorts:
                if c.loan is not None:
                    summed.setdefault(c.loan, [0.0] * self.generations)[c.gen] += c.count
            by_loan = self._cache["pledged"] = {loan: np.array(counts)
                                                for loan, counts in summed.items()}
        pledged = by_loan.get(loan_id)
        return pledged if pledged is not None else np.zeros(self.generations)


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
