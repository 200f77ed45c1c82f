"""Learning how fast GPUs lose value (docs/model.md#777-learnt-rent-decline).

A GPU's rent falls over its life mainly because each new generation makes compute cheaper
(fact S4). Every launch reveals how much cheaper: the list price per H100e of the new chip
against the previous newest, over the months between their releases. Believers start from a
prior decline held with the weight of ``prior_months`` months of evidence and fold each
launch in with the weight of the months it spans, so their estimate is the time-weighted
average of prior and observed price-performance declines (least-squares learning of a mean,
Evans & Honkapohja 2001, ch. 2). Launches, not the rent cycle, are the evidence: a shortage
that lifts rents for a year says nothing about how fast the next chip will arrive.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from neocloud_abm.core.scalars import clamp

if TYPE_CHECKING:
    from neocloud_abm.core.chips import Generation

LARGEST_DECLINE = 0.9  # per year, as the prior's own bound


def launch_evidence(gens: Sequence[Generation], month: int) -> list[tuple[float, int]]:
    """For each generation released in ``month`` after an earlier one: the yearly decline of
    list price per H100e it reveals against its predecessor, and the months it spans."""
    evidence = []
    for previous, new in itertools.pairwise(gens):
        span = new.release - previous.release
        if new.release == month and span > 0:
            ratio = (new.price / new.perf) / (previous.price / previous.perf)
            evidence.append((clamp(1.0 - ratio ** (12.0 / span), 0.0, LARGEST_DECLINE), span))
    return evidence


def term_average(decline: float, start: float, months: int) -> float:
    """Mean over months ``start`` .. ``start + months - 1`` (from now) of the rent relative
    to today's, falling ``decline`` a year: what a level rent fixed today for that term is
    worth against today's."""
    if months <= 0:
        return 1.0
    monthly = (1.0 - decline) ** (1.0 / 12.0)
    return float(monthly ** start * sum(monthly ** k for k in range(months)) / months)


class DeclineBelief:
    """A yearly rent decline learnt from launches, starting from a weighted prior."""

    __slots__ = ("decline", "weight")

    def __init__(self, prior: float, prior_months: float) -> None:
        self.decline = prior
        self.weight = prior_months

    def observe(self, evidence: Sequence[tuple[float, int]]) -> None:
        for decline, months in evidence:
            self.decline = (self.weight * self.decline + months * decline) / (self.weight + months)
            self.weight += months
