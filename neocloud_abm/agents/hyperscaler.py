"""Hyperscalers: clouds (Microsoft, Google, Amazon, Oracle-like) that rent compute to
startups from their own fleets at the outside option's price and, when their own build
lags the demand they expect, lease neocloud capacity built to suit under multi-year
take-or-pay anchor contracts, which they resell (docs/model.md#717-hyperscalers-and-anchor-contracts).

Microsoft's contracts with CoreWeave are the pattern: a hyperscaler short of GPUs in the
2023 shortage commits to years of rent for capacity a neocloud orders for it, and the
neocloud's lenders finance the order against the contract.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import mesa
import numpy as np

from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket

DEMAND_MEMORY_MONTHS = 3  # the demand a hyperscaler plans from: its last quarter's average
PLANNING_MONTHS = 12      # it plans capacity a year ahead, the adoption forecast's horizon


class Hyperscaler(mesa.Agent):
    """One hyperscaler: a share of the hyperscalers' own fleets and of the demand for them,
    and the anchor contracts it has signed (``index`` is its tenant number in the rental
    market's anchor book)."""

    def __init__(self, model: NeocloudMarket, index: int, share: float) -> None:
        super().__init__(model)
        self.index = index
        self.share = share
        self.demand: deque[float] = deque(maxlen=DEMAND_MEMORY_MONTHS)

    def observe(self, outside_demand: float) -> None:
        """Its share of what startups wanted from the hyperscalers this month (H100e-hours),
        served or rationed."""
        self.demand.append(self.share * outside_demand)

    def leased_h100e_hours(self) -> float:
        """H100e-hours a month under its anchor contracts, started or still on order."""
        book = self.model.rental.anchors
        mine = np.flatnonzero(book.active & (book.tenant == self.index))
        return float(book.h100e_hours(mine, self.model.perf).sum())

    def lease(self) -> None:
        """Stock adjustment a year ahead: its recent demand grown by the adoption growth the
        diffusion implies for the next year (hyperscalers plan on their customers' outlook,
        not on a price trend), at the utilization it plans for, less its own fleet a year
        from now and what it already leases; a gap of at least one dedicated cluster becomes
        an anchor contract."""
        model = self.model
        if model.nvidia.newest_on_sale() is None or not self.demand:
            return
        p = model.p
        outlook = math.exp(model.env.adoption.expected_growth)
        expected = float(np.mean(self.demand)) * outlook / p.hyperscalers.target_utilization
        own = (self.share * model.env.hyperscaler_capacity_at(model.month + PLANNING_MONTHS)
               * HOURS_PER_MONTH)
        gap = expected - own - self.leased_h100e_hours()
        if gap >= p.neoclouds.build_to_suit_min_h100e * HOURS_PER_MONTH:
            model.rental.anchors.add(model.rental.build_to_suit(
                self.index, gap, p.hyperscalers.anchor_term_months))


class Hyperscalers:
    """The hyperscalers as a population: created with the model, they read the month's
    demand for their capacity after the rental market clears and decide on leases."""

    columns = ("anchor_contracted_h100e",)

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        h = model.p.hyperscalers
        others = (1.0 - h.largest_share) / (h.count - 1) if h.count > 1 else 0.0
        shares = [1.0 if h.count == 1 else h.largest_share] + [others] * (h.count - 1)
        self.members = [Hyperscaler(model, i, share) for i, share in enumerate(shares)]

    @property
    def count(self) -> int:
        return len(self.members)

    def lease(self, month: int) -> None:
        """Event 4b: each hyperscaler sees its demand and may sign an anchor contract."""
        for member in self.members:
            member.observe(self.model.rental.outside_demand)
            member.lease()

    def report(self) -> dict[str, float]:
        """GPUs under anchor contracts, in H100e, started or on order."""
        book = self.model.rental.anchors
        hours = float(book.h100e_hours(np.flatnonzero(book.active), self.model.perf).sum())
        return {"anchor_contracted_h100e": hours / HOURS_PER_MONTH}
