"""The secondary market for used GPUs: what one installed GPU of each generation is worth
(docs/model.md#79-secondary-market).

Value = min(income value, replacement value) x (1 - fire-sale discount), never below scrap.
Both bounds are appraisals, as lenders' marks are. The income value capitalises each
generation's smoothed rent and utilization, not one month's fill (a fresh, still unrented
cohort would otherwise halve a generation's value for a month), at the rent decline learnt
from chip launches, plus its scrap value at the end of its economic life. The replacement
value is the smoothed cost of the same compute bought new: how a new generation cuts the
value of old ones (fact S4). The discount grows with forced sales relative to market depth
and decays as the overhang clears. The market owns its values, appraisal inputs, learnt
decline, discounts, the month's forced sales and the installed base its depth is measured
against."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from neocloud_abm.core.arithmetic import dot
from neocloud_abm.core.chips import installed_price, operating_cost_month
from neocloud_abm.core.learning import DeclineBelief
from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket

SCRAP_SHARE = 0.02  # a GPU is never worth less than parts and scrap: 2% of its list price


def _smoothed(current: float, observation: float, gain: float, start: float | None = None) -> float:
    """An appraisal moved ``gain`` of the way to this month's observation; a first appraisal
    starts from ``start`` (or the observation itself)."""
    if math.isnan(current):
        current = observation if start is None else start
    return current + gain * (observation - current)


class SecondaryMarket:
    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        n = len(model.gens)
        self.value = np.zeros(n)
        self.discount = np.zeros(n)
        self.sold = np.zeros(n)          # GPUs force-sold so far this month
        self.forced_sales = np.zeros(n)  # GPUs force-sold in the month last valued
        self.installed = np.zeros(n)   # GPUs installed by generation: the market's depth
        self.rent = np.full(n, np.nan)          # smoothed $ per GPU-hour, by generation
        self.utilization = np.full(n, np.nan)   # smoothed share of hours sold
        self.new_cost = math.nan   # smoothed installed cost of new compute, $ per H100e
        market = model.p.market
        self.decline = DeclineBelief(market.expected_price_decline, market.decline_prior_months)

    @property
    def columns(self) -> tuple[str, ...]:
        gens = self.model.gens
        return ("gpu_value_index", "expected_rent_decline",
                *(f"gpu_value_{g.name}" for g in gens), *(f"forced_sales_{g.name}" for g in gens))

    def observed(self, gen_index: int) -> tuple[float, float]:
        """This month's rent and utilization of a generation (where it is not offered, the
        index rent for its compute and the target utilization)."""
        model = self.model
        price = model.rental.generation_price(gen_index)
        utilization = model.rental.gen_utilization.get(gen_index,
                                                       model.p.neoclouds.target_utilization)
        return price, utilization

    def appraise_inputs(self, released: list[int]) -> None:
        """Fold the month into each released generation's smoothed rent and utilization, into
        the smoothed cost of new compute and, when a generation is launched, into the rent
        decline buyers and lenders expect. A generation's first appraisal starts from its
        first rent and the target utilization (its first cohort is not rented yet)."""
        model, gain = self.model, self.model.p.market.appraisal_gain
        self.decline.observe(model.launches.get(model.month, ()))
        for i in released:
            price, utilization = self.observed(i)
            self.rent[i] = _smoothed(self.rent[i], price, gain)
            self.utilization[i] = _smoothed(self.utilization[i], utilization, gain,
                                            start=model.p.neoclouds.target_utilization)
        cost = self.model.nvidia.installed_cost_h100e()
        if cost is not None:
            self.new_cost = _smoothed(self.new_cost, cost,
                                      model.p.market.replacement_appraisal_gain)

    def observe_installed(self) -> None:
        """Measure depth against the fleets as they stand now (after deliveries, and again
        when values are updated)."""
        self.installed = self.model.industry.installed_by_gen()

    def income_stream(self, gen_index: int) -> np.ndarray:
        """One GPU's discounted rent net of operating cost, for each month of the market's
        remaining economic life (the owner idles it rather than run it at a loss)."""
        model = self.model
        gen, p = model.gens[gen_index], model.p
        if math.isnan(self.rent[gen_index]):   # not yet appraised: this month's figures
            price, utilization = self.observed(gen_index)
        else:
            price, utilization = self.rent[gen_index], self.utilization[gen_index]
        remaining = max(p.market.secondary_life_months - max(model.month - gen.release, 0), 1)
        age = np.arange(remaining)
        decline = (1.0 - self.decline.decline) ** (age / 12.0)
        discount = (1.0 + p.neoclouds.cost_of_capital) ** (-age / 12.0)
        rent = HOURS_PER_MONTH * utilization * price * decline
        net = rent - operating_cost_month(gen, utilization, model.power.rent, p)
        return np.maximum(net, 0.0) * discount

    def income_value(self, gen_index: int) -> float:
        """The income stream plus the scrap value at the end of the economic life, so that
        an old GPU's value runs down to its scrap value instead of falling off a cliff."""
        stream = self.income_stream(gen_index)
        monthly = (1.0 + self.model.p.neoclouds.cost_of_capital) ** (1.0 / 12.0)
        return float(stream.sum()) + self.scrap_value(gen_index) * monthly ** -len(stream)

    def scrap_value(self, gen_index: int) -> float:
        return SCRAP_SHARE * self.model.gens[gen_index].price

    def replacement_value(self, gen_index: int) -> float:
        """What the same compute costs new, as the newest generation on sale: no buyer pays
        more for a used GPU. Appraised (smoothed) like the rent, so a release or a markup
        swing moves marks over a few months, not in one."""
        model, gen = self.model, self.model.gens[gen_index]
        cost = self.model.nvidia.installed_cost_h100e() if math.isnan(self.new_cost) else self.new_cost
        if cost is None:
            return installed_price(gen, 0.0, model.p)
        return cost * gen.perf

    def step(self, month: int) -> None:
        """Event 9: new values and fire-sale discounts for every released generation."""
        model, m = self.model, self.model.p.market
        released = [g.index for g in model.gens if g.release <= month]
        self.observe_installed()
        self.appraise_inputs(released)
        for i in released:
            depth = max(self.installed[i] * m.depth_share, 1.0)
            self.discount[i] = min(self.discount[i] * m.fire_sale_decay
                                   + m.fire_sale_impact * self.sold[i] / depth,
                                   m.fire_sale_max_discount)
            self.update_one(i)
        self.forced_sales, self.sold = self.sold, np.zeros(len(model.gens))

    def bid(self, gen_index: int) -> float:
        """Price per GPU a buyer pays now, before the impact of this sale."""
        if self.value[gen_index] <= 0.0:
            self.update_one(gen_index)
        return self.value[gen_index]

    def update_one(self, gen_index: int) -> None:
        fundamental = min(self.income_value(gen_index), self.replacement_value(gen_index))
        self.value[gen_index] = max(fundamental * (1.0 - self.discount[gen_index]),
                                    self.scrap_value(gen_index))

    def dispose(self, gen_index: int, count: float, seller_account: int) -> float:
        """Sell used GPUs at the fire-sale price: to the neocloud with the most cash if it can
        pay out of spare cash (the GPUs stay in the market and add to the glut), else to
        outside buyers. Pays the seller; returns the proceeds."""
        model = self.model
        proceeds = self.sell(gen_index, count)
        cash = model.ledger.balances(model.roster.accounts())  # a copy: the seller is masked
        seller = model.roster.position(seller_account)
        if seller is not None:
            cash[seller] = -np.inf
        others = len(cash) - (seller is not None)
        buyer = model.roster.members()[int(np.argmax(cash))] if others > 0 else None
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
        total = math.fsum(weights.tolist())
        index = dot(weights, self.value / model.perf) / total if total > 0 else 0.0
        row = {"gpu_value_index": index, "expected_rent_decline": self.decline.decline}
        for g in model.gens:
            row[f"gpu_value_{g.name}"] = float(self.value[g.index])
            row[f"forced_sales_{g.name}"] = float(self.forced_sales[g.index])
        return row
