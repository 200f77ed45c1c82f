"""Neoclouds: buy GPUs from Nvidia, rent GPU-hours to startups, and fail when cash runs out.

The balance sheet is cash (a ledger account), a fleet of cohorts, term contracts (in the
model's contract book) and loans (``Cohort.loan`` names the loan a cohort is pledged to;
the finance layer fills it in). Expectations are per firm: an adaptive price estimate with
an extrapolated trend, a degree of competition neglect and an assumed economic life.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from neocloud_abm.chips import Generation, installed_price, operating_cost_month
from neocloud_abm.markets.rental import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket


@dataclass
class Cohort:
    """GPUs of one generation acquired in one month."""

    gen: int
    count: float
    acquired: int
    unit_cost: float
    loan: int | None = None

    def book_value(self, month: int, life: int) -> float:
        age = month - self.acquired
        return self.count * self.unit_cost * max(0.0, 1.0 - age / life)


@dataclass(frozen=True)
class Beliefs:
    """How one firm forms expectations (heterogeneous around the scenario's values)."""

    competition_neglect: float
    extrapolation: float
    appetite: float


def npv_margin(gen: Generation, price_h100e: float, utilization: float, lead: float,
               life: int, markup: float, params, colocation_discount: float = 0.0) -> float:
    """NPV of one installed GPU over ``life`` months, as a fraction of its discounted cost.

    Rent per GPU-hour is ``perf x price_h100e`` today and declines at the expected rate as
    newer generations arrive, also while the order waits; the GPU is paid for on delivery.
    """
    monthly = (1.0 + params.neoclouds.cost_of_capital) ** (1.0 / 12.0)
    decline = (1.0 - params.market.expected_price_decline) ** (1.0 / 12.0)
    age = np.arange(life)
    discount = monthly ** -(lead + age)
    rent = HOURS_PER_MONTH * utilization * gen.perf * price_h100e * decline ** (lead + age)
    cost = operating_cost_month(gen, utilization, params, colocation_discount)
    value = float(((rent - cost) * discount).sum())
    outlay = installed_price(gen, markup, params) * monthly ** -lead
    return value / outlay - 1.0


class Neocloud(mesa.Agent):
    """A GPU cloud: fleet cohorts, posted spot prices per generation, contracts, financing."""

    def __init__(self, model: NeocloudMarket, equity: float, beliefs: Beliefs,
                 crypto_origin: bool, partner: bool) -> None:
        super().__init__(model)
        self.account = model.ledger.open(f"neocloud {self.unique_id}")
        model.ledger.sector_transfer("equity_investors", self.account, equity, "equity_raised")
        self.beliefs = beliefs
        self.crypto_origin = crypto_origin
        self.partner = partner
        self.fleet: list[Cohort] = []
        self.prices: dict[int, float] = {}
        self.pressure: dict[int, float] = {}
        self.sold_gpu_hours: dict[int, float] = defaultdict(float)
        self.used_gpu_hours: dict[int, float] = defaultdict(float)
        self.revenue = 0.0
        self.price_estimate = model.price_index
        self.equity_raised = 0.0
        self.born = model.month

    # --- state ------------------------------------------------------------------------------
    @property
    def cash(self) -> float:
        return self.model.ledger.balance(self.account)

    @property
    def colocation_discount(self) -> float:
        return self.model.p.neoclouds.crypto_colocation_discount if self.crypto_origin else 0.0

    def gpus(self) -> dict[int, float]:
        """Installed GPUs by generation index."""
        counts: dict[int, float] = defaultdict(float)
        for cohort in self.fleet:
            counts[cohort.gen] += cohort.count
        return counts

    def installed_h100e(self) -> float:
        gens = self.model.gens
        return sum(c.count * gens[c.gen].perf for c in self.fleet)

    def fleet_book_value(self) -> float:
        life = self.model.p.neoclouds.assumed_life_months
        return sum(c.book_value(self.model.month, life) for c in self.fleet)

    def book_equity(self) -> float:
        return self.cash + self.fleet_book_value()

    def valuation(self) -> float:
        """Market value of equity: book equity times a multiple that rises with sentiment."""
        n = self.model.p.neoclouds
        multiple = n.price_to_book * math.exp(n.valuation_sentiment * self.model.env.sentiment)
        return max(self.book_equity(), 0.0) * multiple

    # --- event 3: post prices -----------------------------------------------------------
    def post_prices(self) -> None:
        """Sticky prices: move each generation's price with last month's demand pressure."""
        n, model = self.model.p.neoclouds, self.model
        for gen_index in self.gpus():
            gen = model.gens[gen_index]
            floor = gen.power_kw * model.p.market.power_price_kwh
            if gen_index not in self.prices:
                start = model.price_index * gen.perf * (1.0 + n.new_generation_premium)
                self.prices[gen_index] = max(start, floor)
                continue
            gap = self.pressure.get(gen_index, n.target_utilization) - n.target_utilization
            step = float(np.clip(n.price_adjustment * gap, -n.max_price_step, n.max_price_step))
            self.prices[gen_index] = max(self.prices[gen_index] * math.exp(step), floor)
        for gen_index in set(self.prices) - set(self.gpus()):
            del self.prices[gen_index]

    # --- event 6: deliveries ---------------------------------------------------------------
    def take_delivery(self, gen: Generation, count: float, chip_price: float) -> float:
        """Pay for and install up to ``count`` GPUs; returns how many were affordable."""
        model = self.model
        unit = chip_price * model.p.market.install_multiplier
        affordable = min(count, max(self.cash, 0.0) / unit)
        if affordable <= 0.0:
            return 0.0
        ledger = model.ledger
        ledger.transfer(self.account, model.nvidia.account, affordable * chip_price, "gpu_purchase")
        ledger.sector_transfer("infrastructure_suppliers", self.account,
                               affordable * (unit - chip_price), "build_out", to_sector=True)
        last = self.fleet[-1] if self.fleet else None
        if last and (last.gen, last.acquired, last.loan) == (gen.index, model.month, None):
            last.unit_cost = (last.unit_cost * last.count + unit * affordable) / (last.count + affordable)
            last.count += affordable
        else:
            self.fleet.append(Cohort(gen.index, affordable, model.month, unit))
        model.month_stats["capex_usd"] += affordable * unit
        return affordable

    # --- event 7: operate, invest, finance, or fail ---------------------------------------
    def operate(self) -> None:
        """Retire old GPUs, pay operating costs, then invest; default if costs can't be met."""
        self.retire_old_gpus()
        due = self.operating_costs()
        total = sum(amount for _, amount in due.values())
        if self.cash < total:
            self.raise_cash(total - self.cash)
        if self.cash < total:
            self.default()
            return
        ledger = self.model.ledger
        for sector, (reason, amount) in due.items():
            ledger.sector_transfer(sector, self.account, amount, reason, to_sector=True)
        self.update_beliefs()
        self.invest()

    def operating_costs(self) -> dict[str, tuple[str, float]]:
        """This month's bills by external sector: power on hours used, rent, overhead."""
        model, market = self.model, self.model.p.market
        power = rent = overhead = 0.0
        for gen_index, count in self.gpus().items():
            gen = model.gens[gen_index]
            power += gen.power_kw * self.used_gpu_hours[gen_index] * market.power_price_kwh
            rent += count * gen.power_kw * market.colocation_kw_month * (1 - self.colocation_discount)
            overhead += count * model.p.neoclouds.overhead_gpu_month
        return {"utilities": ("power", power), "landlords": ("colocation", rent),
                "infrastructure_suppliers": ("overhead", overhead)}

    def retire_old_gpus(self) -> None:
        life = self.model.p.market.physical_life_months
        keep = []
        for cohort in self.fleet:
            if self.model.month - cohort.acquired >= life and cohort.loan is None:
                self.model.gpu_account["retired"][cohort.gen] += cohort.count
            else:
                keep.append(cohort)
        self.fleet = keep

    def raise_cash(self, shortfall: float) -> None:
        """Distress: sell unpledged GPUs (oldest first), then try to issue equity."""
        model = self.model
        for cohort in sorted((c for c in self.fleet if c.loan is None), key=lambda c: c.acquired):
            if shortfall <= 0.0:
                break
            unit = model.secondary.bid(cohort.gen)
            count = min(cohort.count, shortfall / unit) if unit > 0 else cohort.count
            proceeds = model.secondary.sell(cohort.gen, count)
            model.ledger.sector_transfer("used_gpu_buyers", self.account, proceeds, "gpu_sale")
            model.gpu_account["sold"][cohort.gen] += count
            cohort.count -= count
            shortfall -= proceeds
        self.fleet = [c for c in self.fleet if c.count > 1e-9]
        if shortfall > 0.0:
            self.issue_equity(shortfall)

    def issue_equity(self, wanted: float) -> float:
        """Sell new shares to equity investors, up to what the valuation allows this month."""
        n = self.model.p.neoclouds
        amount = min(wanted, n.equity_raise_share * self.valuation())
        if amount <= 0.0:
            return 0.0
        self.model.ledger.sector_transfer("equity_investors", self.account, amount,
                                          "equity_raised")
        self.equity_raised += amount
        self.model.month_stats["equity_raised_usd"] += amount
        return amount

    def default(self) -> None:
        """Cannot pay: cancel orders and contracts, liquidate the fleet, leave the market."""
        model = self.model
        model.nvidia.cancel_orders(self)
        model.contracts.break_provider(self.account)
        for cohort in self.fleet:
            proceeds = model.secondary.sell(cohort.gen, cohort.count)
            model.ledger.sector_transfer("used_gpu_buyers", self.account, proceeds, "gpu_sale")
            model.gpu_account["sold"][cohort.gen] += cohort.count
        self.fleet = []
        self.exit()
        model.month_stats["neocloud_defaults"] += 1

    def exit(self) -> None:
        """Leave the model; whatever cash is left is the equity holders' residual claim."""
        left = self.cash
        if left > 0.0:
            self.model.ledger.sector_transfer("equity_investors", self.account, left,
                                              "residual_to_equity", to_sector=True)
        self.remove()

    # --- expectations and investment ------------------------------------------------------
    def update_beliefs(self) -> None:
        weight = self.model.p.neoclouds.adaptive_weight
        self.price_estimate += weight * (self.model.price_index - self.price_estimate)

    def expected_price(self) -> float:
        """Adaptive estimate pushed along the last six months' trend, a year ahead."""
        trend = float(np.clip(self.model.price_trend * 12.0, -1.0, 1.0))
        return self.price_estimate * math.exp(self.beliefs.extrapolation * trend)

    def expected_utilization(self, lead: float) -> float:
        """Demand grown over the lead time against installed capacity plus the orders in the
        pipeline that this firm does not neglect."""
        model = self.model
        demand = model.demand_h100e * math.exp(np.clip(model.demand_trend * lead, -1.0, 1.5))
        installed, backlog = model.supply_view
        supply = max(installed + (1.0 - self.beliefs.competition_neglect) * backlog, 1.0)
        return min(demand / supply, 1.0)

    def invest(self) -> None:
        """Stock adjustment: the firm wants its fleet to grow with the best NPV margin on
        sale; it orders the gap between that target and what it has and has on order, as
        far as financing allows."""
        model, n = self.model, self.model.p.neoclouds
        nvidia = model.nvidia
        best = None
        for gen in nvidia.on_sale():
            lead = nvidia.lead_time(gen)
            utilization = self.expected_utilization(lead)
            price = self.expected_price() * (utilization / n.target_utilization) ** n.price_sensitivity
            margin = npv_margin(gen, price, utilization, lead, n.assumed_life_months,
                                nvidia.markups[gen.index], model.p, self.colocation_discount)
            if best is None or margin > best[1]:
                best = (gen, margin)
        if best is None or best[1] <= 0.0:
            return
        gen, margin = best
        installed = self.installed_h100e()
        target = max(installed, n.min_order_scale_gpus) * (
            1.0 + n.order_intensity * margin * self.beliefs.appetite)
        wanted = min(target - installed - nvidia.backlog_h100e(self),
                     n.max_order_share * max(installed, n.min_order_scale_gpus))
        if wanted <= 0.0:
            return
        count = wanted / gen.perf
        unit = installed_price(gen, nvidia.markups[gen.index], model.p)
        committed = nvidia.order_value(self) * model.p.market.install_multiplier
        reserve = 3.0 * sum(amount for _, amount in self.operating_costs().values())
        free = self.cash - committed - reserve
        if free < count * unit:
            free += self.issue_equity(count * unit - free)
        count = min(count, max(free, 0.0) / unit)
        if count >= 1.0:
            nvidia.place_order(self, gen, count)
