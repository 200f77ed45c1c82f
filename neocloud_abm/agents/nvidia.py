"""Nvidia: production capacity per generation and its expansion, an order book, allocation and
scarcity pricing, and circular financing (docs/model.md#75-nvidia).

Capacity is a decision: when the lead time runs above a target, Nvidia and its packaging
foundry order more capacity (CoWoS lines), which adds output to every generation on sale a
year or so later. So the shortage of 2023 brings the supply of 2024-25, which arrives
whether or not the shortage lasts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from neocloud_abm.core.chips import Generation, installed_price
from neocloud_abm.core.months import parse_month

if TYPE_CHECKING:
    from neocloud_abm.agents.neocloud import Neocloud
    from neocloud_abm.markets.credit import Loan
    from neocloud_abm.model import NeocloudMarket

FLOWS = ("orders_h100e", "deliveries_h100e", "cancelled_h100e", "nvidia_equity_investment_usd",
         "nvidia_backstop_usd")


@dataclass
class Order:
    buyer: Neocloud
    gen: int
    remaining: float
    chip_price: float  # $ per GPU, fixed when ordered
    placed: int        # month
    loan: Loan | None = None  # delayed-draw loan committed to pay for it

    def cancel(self, model: NeocloudMarket) -> None:
        """Drop what is left of the order and free its loan commitment."""
        model.credit.release_commitment(
            self.loan, self.remaining * self.chip_price * model.p.market.install_multiplier)
        self.remaining = 0.0


class Nvidia(mesa.Agent):
    """The only GPU supplier. Orders are filled pro rata within each generation's monthly
    capacity, partners first-weighted; the markup over list rises with the backlog."""

    def __init__(self, model: NeocloudMarket) -> None:
        super().__init__(model)
        self.account = model.ledger.open("nvidia")
        self.orders: list[Order] = []  # open orders, oldest first (changed through _keep)
        self._orders_of: dict[Neocloud, list[Order]] = {}  # the same, by buyer
        self._backlog: dict[int, float] = {}  # GPUs on order by generation (``backlog``)
        self.markups = np.zeros(len(model.gens))
        self.shipped = np.zeros(len(model.gens))
        self.revenue = 0.0
        self.expansion = 1.0  # capacity relative to the roadmap's
        self.expansion_pipeline: dict[int, float] = {}  # month it is in place -> added expansion
        self.delivered_month = -1  # the last month whose output has been delivered
        # ``lead_time`` by (generation, first month that can ship, backlog); cleared when the
        # month's deliveries are done and its expansion ordered (``expand_capacity``)
        self._lead_times: dict[tuple[int, int, float], float] = {}
        self.flows: dict[str, float] = dict.fromkeys(FLOWS, 0.0)
        self.backstop_called = 0.0  # $ of the capacity backstop paid so far

    columns = ("backlog_h100e", "nvidia_revenue_usd", "nvidia_lead_time_months", "nvidia_markup",
               "nvidia_capacity_h100e", "nvidia_capacity_expansion",
               "nvidia_capacity_expansion_ordered", "nvidia_exposure_usd",
               "nvidia_backstop_commitment_usd", *FLOWS,
               "nvidia_stake_losses_usd")

    def begin_month(self) -> None:
        self.flows = dict.fromkeys(FLOWS, 0.0)

    def record_shipment(self, gen: int, count: float) -> None:
        """GPUs in neocloud fleets when the run starts, shipped before it."""
        self.shipped[gen] += count

    def report(self) -> dict[str, float]:
        uncalled = self.backstop_remaining()
        return {"backlog_h100e": self.backlog_h100e(), "nvidia_revenue_usd": self.revenue,
                "nvidia_lead_time_months": self.headline_lead_time(),
                "nvidia_markup": self.markup,
                "nvidia_capacity_h100e": sum(self.capacity(g) * g.perf for g in self.model.gens),
                "nvidia_capacity_expansion": self.expansion,
                "nvidia_capacity_expansion_ordered": sum(self.expansion_pipeline.values()),
                "nvidia_exposure_usd": self.model.equity.stake_value(self.account) + uncalled,
                "nvidia_backstop_commitment_usd": uncalled,
                **self.flows,
                "nvidia_stake_losses_usd": self.model.equity.stake_losses(self.account)}

    # --- production ------------------------------------------------------------------------
    def capacity(self, gen: Generation, month: int | None = None) -> float:
        """GPUs per month for the neocloud segment: the roadmap's output, ramping up from
        release and ending some months after the successor ships, times the expansion Nvidia
        has added; for a later ``month``, the output planned for it (the ramp, and the
        expansion already ordered that will be on line by then)."""
        nv, now = self.model.p.nvidia, self.model.month
        month = now if month is None else month
        if month < gen.release or self.ended(gen, month):
            return 0.0
        expansion = self.expansion
        if month > now:
            expansion += sum(added for due, added in self.expansion_pipeline.items() if due < month)
        return gen.peak_capacity * expansion * min(1.0, (month - gen.release + 1) / nv.ramp_months)

    def on_sale(self) -> list[Generation]:
        return [g for g in self.model.gens if self.capacity(g) > 0.0]

    def ended(self, gen: Generation, month: int | None = None) -> bool:
        """Whether production of ``gen`` has ended (its successor shipped long enough ago)."""
        nv, gens = self.model.p.nvidia, self.model.gens
        month = self.model.month if month is None else month
        return (gen.index + 1 < len(gens)
                and month >= gens[gen.index + 1].release + nv.end_of_life_months)

    def orderable(self) -> list[Generation]:
        """The generations that take orders: those in production and those announced to ship
        within ``nvidia.preorder_months`` (orders wait for the release)."""
        month, ahead = self.model.month, self.model.p.nvidia.preorder_months
        return [g for g in self.model.gens
                if g.release - ahead <= month and not self.ended(g)]

    def newest_on_sale(self) -> Generation | None:
        return max(self.on_sale(), key=lambda g: g.release, default=None)

    def installed_cost_h100e(self) -> float | None:
        """This month's installed cost of one H100e bought as the newest generation on sale,
        at its current markup; None with nothing on sale."""
        newest = self.newest_on_sale()
        if newest is None:
            return None
        return installed_price(newest, self.markups[newest.index], self.model.p) / newest.perf

    def backlog(self, gen: Generation) -> float:
        """GPUs of ``gen`` on order: every firm's lead time reads it, so it is kept until an
        order is placed, filled or cancelled."""
        backlog = self._backlog.get(gen.index)
        if backlog is None:
            backlog = self._backlog[gen.index] = sum(o.remaining for o in self.orders
                                                     if o.gen == gen.index)
        return backlog

    def backlog_h100e(self, buyer: Neocloud | None = None) -> float:
        gens = self.model.gens
        orders = self.orders if buyer is None else self._orders_of.get(buyer, ())
        return sum(o.remaining * gens[o.gen].perf for o in orders)

    def own_funds_committed(self, buyer: Neocloud) -> float:
        """What the buyer must still pay from its own cash for its open orders (the rest
        is drawn from the loans committed to them)."""
        install = self.model.p.market.install_multiplier
        return sum(o.remaining * o.chip_price * install * (1.0 - (o.loan.advance if o.loan else 0.0))
                   for o in self._orders_of.get(buyer, ()))

    def _keep(self, orders: list[Order]) -> None:
        """The open orders are now ``orders`` (in the same order): each buyer's are indexed,
        so a firm's own backlog costs its orders, not everyone's."""
        self.orders = orders
        self._backlog.clear()
        self._orders_of = {}
        for order in orders:
            self._orders_of.setdefault(order.buyer, []).append(order)

    def lead_time(self, gen: Generation) -> float:
        """Months a new order waits: the months Nvidia's planned output of ``gen`` takes to
        clear the orders ahead of it, never below the deployment lag. Planned output, not
        this month's: early in a ramp the backlog is many months of today's output but
        far fewer of the output to come, and a buyer is quoted the latter."""
        lag = float(self.model.p.nvidia.deployment_lag_months)
        backlog = self.backlog(gen)
        first = self.model.month + (1 if self.delivered_month == self.model.month else 0)
        start = max(first, gen.release)
        if backlog <= 0.0:
            return max(lag, float(start - self.model.month))
        key = (gen.index, first, backlog)
        lead = self._lead_times.get(key)
        if lead is None:
            lead = self._lead_times[key] = max(
                lag, start - first + self._months_to_clear(gen, backlog, start))
        return lead

    def _months_to_clear(self, gen: Generation, backlog: float, first: int) -> float:
        """Months of planned output of ``gen`` from month ``first`` that deliver ``backlog``
        GPUs (fractional in the last month); should output end first, the rest counts at
        the last planned month's rate (this month's if none is)."""
        months, output = 0, max(self.capacity(gen), self.capacity(gen, first))
        while True:
            planned = self.capacity(gen, first + months)
            if planned <= 0.0:
                return months + backlog / output
            if planned >= backlog:
                return months + backlog / planned
            backlog -= planned
            months, output = months + 1, planned

    def headline_lead_time(self) -> float:
        """The lead time of the newest generation in production: what the trade press
        reports as Nvidia's lead time (the H100's through 2023-24), and what the observed
        lead times in the data are compared with."""
        newest = self.newest_on_sale()
        if newest is None:
            return float(self.model.p.nvidia.deployment_lag_months)
        return self.lead_time(newest)

    def backlog_months(self, gen: Generation | None = None) -> float:
        """The backlog in months of this month's output (of ``gen``, or across generations
        in H100e), never below the deployment lag: the order book's pressure, which Nvidia
        prices and expands capacity against."""
        lag = float(self.model.p.nvidia.deployment_lag_months)
        gens = [gen] if gen is not None else self.on_sale()
        capacity = sum(self.capacity(g) * g.perf for g in gens)
        backlog = sum(self.backlog(g) * g.perf for g in gens)
        return max(lag, backlog / capacity) if capacity > 0 else lag

    # --- orders -------------------------------------------------------------------------------
    @property
    def markup(self) -> float:
        """Markup of the newest generation on sale (the headline scarcity premium)."""
        newest = self.newest_on_sale()
        return float(self.markups[newest.index]) if newest else 0.0

    def quote(self, gen: Generation) -> float:
        return gen.price * (1.0 + self.markups[gen.index])

    def place_order(self, buyer: Neocloud, gen: Generation, count: float,
                    loan: Loan | None = None) -> None:
        order = Order(buyer, gen.index, count, self.quote(gen), self.model.month, loan)
        self.orders.append(order)
        self._orders_of.setdefault(buyer, []).append(order)
        self._backlog.pop(gen.index, None)
        self.flows["orders_h100e"] += count * gen.perf

    def cancel_orders(self, buyer: Neocloud) -> None:
        self._cancel_where(lambda o: o.buyer is buyer)

    def _cancel_where(self, dropped: Callable[[Order], bool]) -> None:
        """Cancel the matching orders (freeing their loan commitments) and drop them."""
        self._backlog.clear()
        for order in filter(dropped, self.orders):
            order.cancel(self.model)
        self._keep([o for o in self.orders if not dropped(o)])

    def deliver(self) -> None:
        """Event 6: allocate each generation's capacity over eligible orders, pro rata with
        partner priority; buyers pay on delivery and unaffordable remainders are cancelled."""
        model, nv = self.model, self.model.p.nvidia
        month = model.month
        self.revenue = 0.0
        for gen in model.gens:
            capacity = self.capacity(gen)
            if capacity <= 0.0:
                if self.ended(gen):
                    self._cancel_where(lambda o, g=gen.index: o.gen == g)
                continue
            due = [o for o in self.orders
                   if o.gen == gen.index and month - o.placed >= nv.deployment_lag_months]
            for order, amount in zip(due, _pro_rata(due, capacity, nv.partner_priority),
                                     strict=True):
                if amount <= 0.0:
                    continue
                taken = order.buyer.take_delivery(gen, amount, order.chip_price, order.loan)
                self.shipped[gen.index] += taken
                self.flows["deliveries_h100e"] += taken * gen.perf
                self.revenue += taken * order.chip_price
                order.remaining -= taken
                if taken < amount - 1e-9:
                    self.flows["cancelled_h100e"] += order.remaining * gen.perf
                    order.cancel(model)
                self._backlog.clear()
        self._keep([o for o in self.orders if o.remaining > 1e-9])
        self.delivered_month = month
        cogs = self.revenue * nv.cost_of_goods
        model.ledger.sector_transfer("nvidia_suppliers", self.account, cogs, "cost_of_goods",
                                     to_sector=True)
        self.update_markup()
        self.expand_capacity()
        self.invest_in_partners()

    def expand_capacity(self) -> None:
        """Expansion ordered earlier comes on line; if the lead time is above target, order
        more, in proportion to the log excess (capped), on the capacity already planned."""
        nv, month = self.model.p.nvidia, self.model.month
        self.expansion += self.expansion_pipeline.pop(month, 0.0)
        excess = math.log(max(self.backlog_months() / nv.capacity_target_lead_months, 1.0))
        rate = min(nv.capacity_response * excess, nv.capacity_max_growth)
        if rate > 0.0:
            planned = self.expansion + sum(self.expansion_pipeline.values())
            due = month + nv.capacity_lag_months
            self.expansion_pipeline[due] = (self.expansion_pipeline.get(due, 0.0)
                                            + planned * math.expm1(rate / 12.0))
        self._lead_times.clear()

    def invest_in_partners(self) -> None:
        """Circular financing: a share of this month's revenue buys new equity of partner
        neoclouds (CoreWeave's $100M then $2B; stakes in Lambda and Crusoe)."""
        nv = self.model.p.nvidia
        partners = [c for c in self.model.neoclouds() if c.partner]
        if not nv.circular_financing or not partners or self.revenue <= 0:
            return
        for cloud in partners:
            self.flows["nvidia_equity_investment_usd"] += self.model.equity.buy_stake(
                cloud, self.revenue * nv.equity_investment_share / len(partners), self.account)

    def backstop_remaining(self) -> float:
        """$ of the capacity backstop not yet called: Nvidia's contingent liability while the
        agreement runs (nothing before it is signed or after it ends)."""
        nv, month = self.model.p.nvidia, self.model.month
        if (not nv.circular_financing
                or not parse_month(nv.backstop_start) <= month <= parse_month(nv.backstop_end)):
            return 0.0
        return max(nv.backstop_total_usd - self.backstop_called, 0.0)

    def backstop(self, offers, sold_gpu_hours: np.ndarray) -> None:
        """Circular financing: while the capacity backstop runs, Nvidia rents back partners'
        unsold GPU-hours at a discount to their posted price, up to a monthly cap and until
        its total commitment is spent (the $6.3B CoreWeave backstop, September 2025 to April
        2032). Each payment is the guarantee being called: a loss to Nvidia."""
        nv = self.model.p.nvidia
        budget = min(nv.backstop_cap_usd, self.backstop_remaining())
        for k, cloud in enumerate(offers.sellers):
            if budget <= 0:
                break
            if not cloud.partner:
                continue
            price = offers.price[k] * (1.0 - nv.backstop_discount)
            idle = max(offers.total[k] - sold_gpu_hours[k], 0.0)
            paid = min(idle * price, budget)
            if paid <= 0:
                continue
            hours, g = paid / price, int(offers.gen[k])
            self.model.ledger.transfer(self.account, cloud.account, paid, "capacity_backstop")
            cloud.record_backstop(g, hours, paid)
            budget -= paid
            self.backstop_called += paid
            self.flows["nvidia_backstop_usd"] += paid

    def update_markup(self) -> None:
        """Each generation's markup moves toward a target that rises with its backlog in
        months of output (scarcity pricing), and decays as the backlog clears."""
        nv = self.model.p.nvidia
        for gen in self.on_sale():
            excess = max(self.backlog_months(gen) - nv.deployment_lag_months, 0.0)
            target = nv.max_markup * excess / (excess + nv.markup_backlog_months)
            self.markups[gen.index] += nv.markup_adjustment * (target - self.markups[gen.index])


def _pro_rata(orders: list[Order], capacity: float, priority: float) -> list[float]:
    """Water-filling: weights are order sizes (x priority for partners); no order gets more
    than it asked for, and what it leaves is shared among the rest."""
    remaining = np.array([o.remaining for o in orders])
    weight = remaining * np.array([priority if o.buyer.partner else 1.0 for o in orders])
    given = np.zeros(len(orders))
    left = capacity
    while left > 1e-9:
        open_ = given < remaining - 1e-9
        if not open_.any():
            break
        share = left * weight * open_ / (weight * open_).sum()
        step = np.minimum(share, remaining - given)
        given += step
        left -= step.sum()
    return list(given)
