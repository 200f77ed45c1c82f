"""Hyperscalers: clouds (Microsoft, Google, Amazon, Oracle-like) that rent compute to
startups from their own fleets at the outside option's price, run AI services of their own
and for a partner lab on an in-house fleet they build with a data centre's lead time, and,
when their own build lags the demand they expect, lease neocloud capacity built to suit
under multi-year take-or-pay anchor contracts (docs/model.md#717-hyperscalers-and-anchor-contracts).

Microsoft's contracts with CoreWeave are the pattern: a hyperscaler short of GPUs for its own
services and OpenAI after ChatGPT commits to years of rent for capacity a neocloud orders
for it, because a neocloud's GPUs arrive sooner than its own data centres, and the
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
    its in-house need and fleet, and the anchor contracts it has signed (``index`` is its
    tenant number in the rental market's anchor book)."""

    def __init__(self, model: NeocloudMarket, index: int, share: float) -> None:
        super().__init__(model)
        self.index = index
        self.share = share
        self.demand: deque[float] = deque(maxlen=DEMAND_MEMORY_MONTHS)
        # In-house fleet (H100e), its build pipeline by month of completion and the capex
        # the builds spend by month; before ChatGPT the fleet matches the need it plans for.
        self.in_house_fleet = self.in_house_need(1.0) / model.p.hyperscalers.target_utilization
        self.in_house_pipeline: dict[int, float] = {}
        self.in_house_spending: dict[int, float] = {}
        self.in_house_capex = 0.0

    def in_house_need(self, productivity: float) -> float:
        """H100e its own services and partner lab use at this adoption productivity (revenue
        per unit of compute relative to the start): the compute whose marginal revenue equals
        a given cost, ``productivity^(1/(1-alpha))``, as a startup's need at the reference
        price (docs/model.md#717-hyperscalers-and-anchor-contracts)."""
        p = self.model.p
        base = p.hyperscalers.in_house_share * self.model.initial_capacity_h100e
        return self.share * base * productivity ** p.startups.price_elasticity

    def in_house_shortfall(self, productivity: float) -> float:
        """H100e-hours a month its in-house need exceeds its in-house fleet: served from its
        leases before any leased hour is resold."""
        return max(self.in_house_need(productivity) - self.in_house_fleet, 0.0) * HOURS_PER_MONTH

    def build_in_house(self, forecast: float) -> None:
        """Completed builds join the fleet; then it starts building for the need it forecasts
        one lead time ahead (``forecast``: adoption productivity then), at the utilization it
        plans for, and spends the build's installed cost at today's prices evenly over the
        months of construction (its capex)."""
        model = self.model
        h = model.p.hyperscalers
        month = model.month
        self.in_house_fleet += self.in_house_pipeline.pop(month, 0.0)
        target = self.in_house_need(forecast) / h.target_utilization
        start = target - self.in_house_fleet - sum(self.in_house_pipeline.values())
        if start > 0.0:
            months = h.in_house_build_months
            done = month + months
            self.in_house_pipeline[done] = self.in_house_pipeline.get(done, 0.0) + start
            monthly = start * (model.nvidia.installed_cost_h100e() or 0.0) / months
            for spent in range(month + 1, done + 1):
                self.in_house_spending[spent] = self.in_house_spending.get(spent, 0.0) + monthly
        self.in_house_capex = self.in_house_spending.pop(month, 0.0)

    def in_house_fleet_at(self, month: int) -> float:
        """Its in-house fleet in ``month``: today's plus what completes by then."""
        return self.in_house_fleet + sum(h100e for done, h100e in self.in_house_pipeline.items()
                                         if done <= month)

    def observe(self, outside_demand: float) -> None:
        """Its share of what startups wanted from the hyperscalers this month (H100e-hours),
        served or rationed."""
        self.demand.append(self.share * outside_demand)

    def leased_h100e_hours(self) -> float:
        """H100e-hours a month under its anchor contracts, started or still on order."""
        book = self.model.rental.anchors
        mine = np.flatnonzero(book.active & (book.tenant == self.index))
        return float(book.h100e_hours(mine, self.model.perf).sum())

    def lease(self, forecast: float) -> None:
        """Stock adjustment a year ahead: its customers' recent demand grown by the adoption
        growth the diffusion implies for the next year (hyperscalers plan on their customers'
        outlook, not on a price trend), at the utilization it plans for, less its rental fleet
        a year from now; plus, while a neocloud's GPUs come sooner than its own data centres,
        what its in-house need at the adoption forecast for then (``forecast``) exceeds its
        in-house fleet then; less what it already leases. A gap of at least one dedicated
        cluster becomes an anchor contract."""
        model = self.model
        newest = model.nvidia.newest_on_sale()
        if newest is None or not self.demand:
            return
        h = model.p.hyperscalers
        ahead = model.month + PLANNING_MONTHS
        outlook = math.exp(model.env.adoption.expected_growth)
        customers = (float(np.mean(self.demand)) * outlook / h.target_utilization
                     - self.share * model.env.hyperscaler_capacity_at(ahead) * HOURS_PER_MONTH)
        in_house = 0.0
        if model.nvidia.lead_time(newest) < h.in_house_build_months:
            in_house = max(self.in_house_need(forecast) / h.target_utilization
                           - self.in_house_fleet_at(ahead), 0.0) * HOURS_PER_MONTH
        gap = customers + in_house - self.leased_h100e_hours()
        if gap >= model.p.neoclouds.build_to_suit_min_h100e * HOURS_PER_MONTH:
            model.rental.anchors.add(model.rental.build_to_suit(
                self.index, gap, h.anchor_term_months))


class Hyperscalers:
    """The hyperscalers as a population: created with the model, they read the month's
    demand for their capacity after the rental market clears and decide on leases."""

    columns = ("anchor_contracted_h100e", "hyperscaler_capex_usd", "in_house_need_h100e",
               "in_house_fleet_h100e")

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        h = model.p.hyperscalers
        others = (1.0 - h.largest_share) / (h.count - 1) if h.count > 1 else 0.0
        shares = [1.0 if h.count == 1 else h.largest_share] + [others] * (h.count - 1)
        self.members = [Hyperscaler(model, i, share) for i, share in enumerate(shares)]

    @property
    def count(self) -> int:
        return len(self.members)

    def in_house_shortfall(self) -> float:
        """H100e-hours a month the hyperscalers' in-house needs exceed their in-house fleets."""
        productivity = self.model.env.adoption.productivity
        return sum(member.in_house_shortfall(productivity) for member in self.members)

    def lease(self, month: int) -> None:
        """Event 4b: each hyperscaler builds in-house, sees its customers' demand and may sign
        an anchor contract."""
        model = self.model
        adoption, h = model.env.adoption, model.p.hyperscalers
        productivity = adoption.productivity
        build_forecast = productivity * math.exp(adoption.forecast_growth(h.in_house_build_months))
        lease_forecast = productivity * math.exp(adoption.expected_growth)
        for member in self.members:
            member.build_in_house(build_forecast)
            member.observe(model.rental.outside_demand)
            member.lease(lease_forecast)

    def report(self) -> dict[str, float]:
        """GPUs under anchor contracts (H100e, started or on order), the hyperscalers' capex
        on both fleets, and their in-house need and fleet."""
        model = self.model
        book = model.rental.anchors
        hours = float(book.h100e_hours(np.flatnonzero(book.active), model.perf).sum())
        productivity = model.env.adoption.productivity
        return {"anchor_contracted_h100e": hours / HOURS_PER_MONTH,
                "hyperscaler_capex_usd": model.env.hyperscaler_capex
                + sum(m.in_house_capex for m in self.members),
                "in_house_need_h100e": sum(m.in_house_need(productivity) for m in self.members),
                "in_house_fleet_h100e": sum(m.in_house_fleet for m in self.members)}
