"""The secondary market for used GPUs: what one installed GPU of each generation is worth
(docs/model.md#79-secondary-market).

Value = min(income value, perf-adjusted replacement cost) x (1 - fire-sale discount).
The replacement bound is how a new generation cuts the value of old ones (fact S4); the
discount grows with forced sales relative to market depth and decays as the overhang clears.
The market owns its values, discounts, the month's forced sales and the installed base its
depth is measured against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from neocloud_abm.core.chips import installed_price, operating_cost_month
from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket

SCRAP_SHARE = 0.02  # a GPU is never worth less than parts and scrap: 2% of its list price


class SecondaryMarket:
    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        n = len(model.gens)
        self.value = np.zeros(n)
        self.discount = np.zeros(n)
        self.sold = np.zeros(n)
        self.installed = np.zeros(n)   # GPUs installed by generation: the market's depth

    @property
    def columns(self) -> tuple[str, ...]:
        return ("gpu_value_index", *(f"gpu_value_{g.name}" for g in self.model.gens))

    def observe_installed(self) -> None:
        """Measure depth against the fleets as they stand now (after deliveries, and again
        when values are updated)."""
        self.installed = self.model.industry.installed_by_gen()

    def income_value(self, gen_index: int) -> float:
        """Rent net of operating cost over the market's remaining economic life, discounted."""
        model = self.model
        gen, p = model.gens[gen_index], model.p
        price = model.rental.gen_price.get(gen_index, model.price_index * gen.perf)
        utilization = model.rental.gen_utilization.get(gen_index, p.neoclouds.target_utilization)
        remaining = max(p.market.secondary_life_months - max(model.month - gen.release, 0), 1)
        age = np.arange(remaining)
        decline = (1.0 - p.market.expected_price_decline) ** (age / 12.0)
        discount = (1.0 + p.neoclouds.cost_of_capital) ** (-age / 12.0)
        rent = HOURS_PER_MONTH * utilization * price * decline
        net = rent - operating_cost_month(gen, utilization, p)
        return float((np.maximum(net, 0.0) * discount).sum())

    def replacement_value(self, gen_index: int) -> float:
        """What the same compute costs new, bought as the newest generation on sale."""
        model = self.model
        newest = max(model.nvidia.on_sale(), key=lambda g: g.release, default=None)
        gen = model.gens[gen_index]
        if newest is None:
            return installed_price(gen, 0.0, model.p)
        markup = model.nvidia.markups[newest.index]
        return installed_price(newest, markup, model.p) * gen.perf / newest.perf

    def step(self, month: int) -> None:
        """Event 9: new values and fire-sale discounts for every released generation."""
        model, m = self.model, self.model.p.market
        released = [g.index for g in model.gens if g.release <= month]
        self.observe_installed()
        for i in released:
            depth = max(self.installed[i] * m.depth_share, 1.0)
            self.discount[i] = min(self.discount[i] * m.fire_sale_decay
                                   + m.fire_sale_impact * self.sold[i] / depth,
                                   m.fire_sale_max_discount)
            self.update_one(i)
        self.sold = np.zeros(len(model.gens))

    def bid(self, gen_index: int) -> float:
        """Price per GPU a buyer pays now, before the impact of this sale."""
        if self.value[gen_index] <= 0.0:
            self.update_one(gen_index)
        return self.value[gen_index]

    def update_one(self, gen_index: int) -> None:
        fundamental = min(self.income_value(gen_index), self.replacement_value(gen_index))
        scrap = SCRAP_SHARE * self.model.gens[gen_index].price
        self.value[gen_index] = max(fundamental * (1.0 - self.discount[gen_index]), scrap)

    def dispose(self, gen_index: int, count: float, seller_account: int) -> float:
        """Sell used GPUs at the fire-sale price: to the neocloud with the most cash if it can
        pay out of spare cash (the GPUs stay in the market and add to the glut), else to
        outside buyers. Pays the seller; returns the proceeds."""
        model = self.model
        proceeds = self.sell(gen_index, count)
        others = [c for c in model.neoclouds() if c.account != seller_account]
        buyer = max(others, key=lambda c: c.cash, default=None)
        if buyer is not None and proceeds > 0 and buyer.cash - buyer.cash_reserve() >= proceeds:
            model.ledger.transfer(buyer.account, seller_account, proceeds, "used_gpu_purchase")
            buyer.buy_used(gen_index, count, proceeds / count)
        else:
            model.ledger.sector_transfer("used_gpu_buyers", seller_account, proceeds, "gpu_sale")
            model.gpu_accounts.sell_out(gen_index, count)
        return proceeds

    def sell(self, gen_index: int, count: float) -> float:
        """Proceeds of a forced sale of ``count`` GPUs; the price falls with the volume
        dumped this month relative to depth (half the impact within the sale)."""
        m = self.model.p.market
        depth = max(self.installed[gen_index] * m.depth_share, 1.0)
        impact = min(m.fire_sale_impact * (self.sold[gen_index] + count / 2.0) / depth,
                     m.fire_sale_max_discount)
        self.sold[gen_index] += count
        return count * self.bid(gen_index) * (1.0 - impact)

    def report(self) -> dict[str, float]:
        """Each generation's value, and the value of the installed base per H100e (weighted
        by installed compute), which lenders' volatility measures read."""
        model = self.model
        weights = self.installed * model.perf
        index = (float(weights @ (self.value / model.perf) / weights.sum())
                 if weights.sum() > 0 else 0.0)
        row = {"gpu_value_index": index}
        for g in model.gens:
            row[f"gpu_value_{g.name}"] = float(self.value[g.index])
        return row
