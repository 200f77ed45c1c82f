"""Neoclouds: buy GPUs from Nvidia, rent GPU-hours to startups, and fail when cash runs out
(docs/model.md, sections 7.3, 7.6 and 7.7).

The balance sheet is cash (a ledger account), a fleet of cohorts, term contracts (in the
rental market's contract book) and loans (in the credit market; ``Cohort.loan`` names the
loan a cohort is pledged to). Expectations are per firm: an adaptive price estimate with an
extrapolated trend, a rent decline learnt from chip launches (held with the firm's own
confidence in its prior), a degree of competition neglect and an assumed economic life. A firm
updates its own state from what the markets report to it (rentals settled, a capacity
backstop paid, used GPUs bought). The industry (:class:`NeocloudIndustry`) creates the
initial firms and entrants and keeps the month's industry-wide flows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from neocloud_abm.core.arithmetic import dot
from neocloud_abm.core.chips import (
    Generation,
    installed_price,
    operating_cost_month,
    power_cost_hour,
)
from neocloud_abm.core.fleet import Cohort, Fleet
from neocloud_abm.core.learning import DeclineBelief
from neocloud_abm.core.scalars import clamp
from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.markets.credit import Loan
    from neocloud_abm.model import NeocloudMarket


@dataclass(frozen=True)
class Beliefs:
    """How one firm forms expectations (heterogeneous around the scenario's values)."""

    competition_neglect: float
    extrapolation: float
    appetite: float
    prior_months: float   # weight of the rent decline the firm starts with, in months


def npv_margin(gen: Generation, price_h100e: float, utilization: float, lead: float,
               life: int, markup: float, params, expected_decline: float,
               colocation_rent: float, colocation_discount: float = 0.0,
               power_wait: float = 0.0) -> float:
    """NPV of one installed GPU over ``life`` months, as a fraction of its discounted cost.

    Rent per GPU-hour is ``perf x price_h100e`` today and declines by ``expected_decline`` a
    year as newer generations arrive, also while the order waits; the GPU is paid for on
    delivery and earns (and pays colocation rent) only once powered space is found for it,
    ``power_wait`` months later.
    """
    monthly = (1.0 + params.neoclouds.cost_of_capital) ** (1.0 / 12.0)
    decline = (1.0 - expected_decline) ** (1.0 / 12.0)
    age = np.arange(life)
    start = lead + power_wait
    discount = monthly ** -(start + age)
    rent = HOURS_PER_MONTH * utilization * gen.perf * price_h100e * decline ** (start + age)
    cost = operating_cost_month(gen, utilization, colocation_rent, params, colocation_discount)
    value = float(((rent - cost) * discount).sum())
    outlay = installed_price(gen, markup, params) * monthly ** -lead
    return value / outlay - 1.0


class Neocloud(mesa.Agent):
    """A GPU cloud: fleet cohorts, posted spot prices per generation, contracts, financing."""

    def __init__(self, model: NeocloudMarket, equity: float, beliefs: Beliefs,
                 crypto_origin: bool, partner: bool) -> None:
        super().__init__(model)
        self.account = model.ledger.open(f"neocloud {self.unique_id}")
        model.roster.enter(self)
        model.ledger.sector_transfer("equity_investors", self.account, equity, "equity_raised")
        self.beliefs = beliefs
        self.crypto_origin = crypto_origin
        self.partner = partner
        self.fleet = Fleet(len(model.gens))
        self.prices: dict[int, float] = {}
        self.pressure: dict[int, float] = {}
        self.sold_gpu_hours: dict[int, float] = defaultdict(float)
        self.used_gpu_hours: dict[int, float] = defaultdict(float)
        self.available_gpu_hours: dict[int, float] = {}   # installed when the market cleared
        self._costs: tuple[tuple[float, ...], object, dict[str, tuple[str, float]]] | None = None
        self.revenue = 0.0
        self.cash_flow_history: list[float] = []
        self.debt_service_history: list[float] = []
        self.price_estimate = model.price_index
        self.decline = DeclineBelief(model.secondary.decline.decline, beliefs.prior_months)
        self.equity_raised = 0.0
        self.active = True
        model.equity.list_firm(self)

    # --- state ------------------------------------------------------------------------------
    @property
    def cash(self) -> float:
        return self.model.ledger.balance(self.account)

    @property
    def colocation_discount(self) -> float:
        return self.model.p.neoclouds.crypto_colocation_discount if self.crypto_origin else 0.0

    def gpus(self) -> dict[int, float]:
        """Installed GPUs by generation index (generations with none left out)."""
        return self.fleet.installed()

    def powered_gpus(self) -> dict[int, float]:
        """Installed GPUs in powered space, by generation index (none left out): the ones
        that can be rented."""
        return {g: count for g, count in enumerate(self.model.power.powered(self).tolist())
                if count > 0}

    def installed_h100e(self) -> float:
        return dot(self.fleet.counts(), self.model.perf)

    def fleet_book_value(self) -> float:
        return self.fleet.book_value(self.model.month, self.model.p.neoclouds.assumed_life_months)

    @property
    def loans(self) -> list[Loan]:
        """This firm's loans, oldest first (held by the credit market)."""
        return self.model.credit.loans_of(self)

    def debt(self) -> float:
        return sum(loan.drawn for loan in self.loans)

    def book_equity(self) -> float:
        return self.cash + self.fleet_book_value() - self.debt()

    def operating_cash_flow(self) -> float:
        """Last month's rental revenue less operating costs."""
        return self.cash_flow_history[-1] if self.cash_flow_history else 0.0

    def trailing_dscr(self) -> float:
        """Debt-service coverage over the last three months (the covenant's test)."""
        service = float(sum(self.debt_service_history[-3:]))
        flow = float(sum(self.cash_flow_history[-3:]))
        return flow / service if service > 1e-6 * max(abs(flow), 1.0) else math.inf

    def cash_reserve(self) -> float:
        """Three months of operating costs, kept back from investment and cures."""
        return 3.0 * sum(amount for _, amount in self.operating_costs().values())

    def install_initial_fleet(self, gen: Generation, count: float, acquired: int,
                              unit_cost: float, price: float) -> None:
        """The fleet a firm has when the run starts, and the price it asks for it."""
        self.fleet.add(Cohort(gen.index, count, acquired, unit_cost))
        self.prices[gen.index] = price

    # --- event 3: post prices -----------------------------------------------------------
    def post_prices(self) -> None:
        """Sticky prices: move each generation's price with last month's demand pressure,
        never below the power cost of an hour nor above the hyperscalers' price for the
        same compute (the customers' outside option)."""
        n, model = self.model.p.neoclouds, self.model
        for gen_index in self.gpus():
            gen = model.gens[gen_index]
            floor = power_cost_hour(gen, model.p)
            ceiling = max(model.env.hyperscaler_price * gen.perf, floor)
            if gen_index not in self.prices:
                price = model.price_index * gen.perf * (1.0 + n.new_generation_premium)
            else:
                gap = self.pressure.get(gen_index, n.target_utilization) - n.target_utilization
                step = float(clamp(n.price_adjustment * gap, -n.max_price_step, n.max_price_step))
                price = self.prices[gen_index] * math.exp(step)
            self.prices[gen_index] = min(max(price, floor), ceiling)
        for gen_index in set(self.prices) - set(self.gpus()):
            del self.prices[gen_index]

    # --- event 4: what the rental market reports -----------------------------------------
    def settle_rentals(self, sold: dict[int, float], used: dict[int, float],
                       available: dict[int, float], pressure: dict[int, float]) -> None:
        """This month's rentals by generation (GPU-hours sold, used by tenants, installed
        when the market cleared, and the demand pressure the firm sees)."""
        self.sold_gpu_hours = defaultdict(float, sold)
        self.used_gpu_hours = defaultdict(float, used)
        self._costs = None
        self.available_gpu_hours = available
        self.pressure = pressure

    def earn_rent(self, contract_rent: float, spot_rent: list[float]) -> None:
        """This month's rental revenue: contract rent received, then each spot sale."""
        self.revenue = contract_rent
        for amount in spot_rent:
            self.revenue += amount

    def record_backstop(self, gen: int, hours: float, paid: float) -> None:
        """Nvidia rented back ``hours`` of unsold capacity for ``paid`` (circular financing)."""
        self.sold_gpu_hours[gen] += hours
        self.used_gpu_hours[gen] += hours
        self._costs = None
        self.revenue += paid

    def buy_used(self, gen: int, count: float, unit_cost: float) -> None:
        """Used GPUs bought on the secondary market join the fleet, unpledged."""
        self.fleet.add(Cohort(gen, count, self.model.month, unit_cost))

    # --- event 6: deliveries ---------------------------------------------------------------
    def take_delivery(self, gen: Generation, count: float, chip_price: float,
                      loan: Loan | None = None) -> float:
        """Draw the loan's share, pay for and install up to ``count`` GPUs (pledged to the
        loan); returns how many were affordable."""
        model = self.model
        unit = chip_price * model.p.market.install_multiplier
        advance = loan.advance if loan is not None and loan.undrawn > 0 else 0.0
        own_share = unit * (1.0 - advance)
        affordable = count if own_share <= 0 else min(count, max(self.cash, 0.0) / own_share)
        if loan is not None and affordable > 0:
            model.credit.draw(loan, affordable * unit)
        affordable = min(affordable, max(self.cash, 0.0) / unit)
        if affordable <= 0.0:
            return 0.0
        ledger = model.ledger
        ledger.transfer(self.account, model.nvidia.account, affordable * chip_price, "gpu_purchase")
        ledger.sector_transfer("infrastructure_suppliers", self.account,
                               affordable * (unit - chip_price), "build_out", to_sector=True)
        pledge = loan.id if loan is not None and loan.drawn > 0 else None
        self.fleet.add(Cohort(gen.index, affordable, model.month, unit, pledge))
        model.industry.record("capex_usd", affordable * unit)
        return affordable

    # --- event 7: operate, invest, finance, or fail ---------------------------------------
    def operate(self) -> None:
        """Retire old GPUs, pay operating costs, then invest; default if costs can't be met."""
        self.retire_old_gpus()
        due = self.operating_costs()
        costs = sum(amount for _, amount in due.values())
        loans = list(self.loans)
        payments = [loan.payment_due() for loan in loans]
        service = sum(payments)
        self.cash_flow_history.append(self.revenue - costs)
        self.debt_service_history.append(service)
        if self.cash < costs + service:
            self.raise_cash(costs + service - self.cash)
        if self.cash < costs + service:
            self.default()
            return
        ledger = self.model.ledger
        for sector, (reason, amount) in due.items():
            ledger.sector_transfer(sector, self.account, amount, reason, to_sector=True)
        for loan, payment in zip(loans, payments, strict=True):
            self.model.credit.pay_debt_service(loan, payment)
        self.update_beliefs()
        self.invest()

    def accelerated(self, loan: Loan) -> None:
        """The lender calls the whole loan: repay it from cash if possible, else default."""
        if self.cash - self.cash_reserve() >= loan.drawn:
            self.model.credit.prepay(loan)
        else:
            self.default()

    def operating_costs(self) -> dict[str, tuple[str, float]]:
        """This month's bills by external sector: power on hours used, rent, overhead.

        Asked for thousands of times a month (cash reserves, lot sales), so kept until
        the fleet, the hours used or the parameters (a shock) change."""
        lease = self.model.power.lease_of(self)
        key = (self.fleet.version, lease.kw, lease.rent)
        if self._costs is None or self._costs[0] != key or self._costs[1] is not self.model.p:
            self._costs = (key, self.model.p, self._compute_operating_costs(lease.kw * lease.rent))
        return self._costs[2]

    def _compute_operating_costs(self, lease_rent: float) -> dict[str, tuple[str, float]]:
        """Power on hours used, the lease's rent on powered space (stranded GPUs pay none),
        overhead on every GPU."""
        model, market = self.model, self.model.p.market
        power = overhead = 0.0
        for gen_index, count in self.gpus().items():
            gen = model.gens[gen_index]
            power += gen.power_kw * self.used_gpu_hours[gen_index] * market.power_price_kwh
            overhead += count * model.p.neoclouds.overhead_gpu_month
        rent = lease_rent * (1 - self.colocation_discount)
        return {"utilities": ("power", power), "landlords": ("colocation", rent),
                "infrastructure_suppliers": ("overhead", overhead)}

    def retire_old_gpus(self) -> None:
        life, month = self.model.p.market.physical_life_months, self.model.month
        oldest = self.fleet.oldest()
        if oldest is None or month - oldest < life:
            return

        def retiring(cohort: Cohort) -> bool:
            return month - cohort.acquired >= life and cohort.loan is None

        for cohort in self.fleet.remove(retiring):
            self.model.gpu_accounts.retire(cohort.gen, cohort.count)

    def raise_cash(self, shortfall: float) -> None:
        """Distress: sell unpledged GPUs (oldest first), then try to issue equity."""
        model = self.model
        for cohort in sorted((c for c in self.fleet if c.loan is None), key=lambda c: c.acquired):
            if shortfall <= 0.0:
                break
            unit = model.secondary.bid(cohort.gen)
            count = min(cohort.count, shortfall / unit) if unit > 0 else cohort.count
            self.fleet.sell_part(cohort, count)
            proceeds = model.secondary.dispose(cohort.gen, count, self.account)
            shortfall -= proceeds
        self.fleet.keep(lambda c: c.count > 1e-9 or c.loan is not None)  # sold out; not collateral
        if shortfall > 0.0:
            self.issue_equity(shortfall)

    def issue_equity(self, wanted: float) -> float:
        """Sell new shares on the equity market: how much can be raised, and at what
        discount, depends on the share price and short interest."""
        if wanted <= 0.0:
            return 0.0
        amount = self.model.equity.issue(self, wanted)
        self.equity_raised += amount
        self.model.industry.record("equity_raised_usd", amount)
        return amount

    def default(self) -> None:
        """Cannot pay: cancel orders and contracts, liquidate the fleet, leave the market."""
        model = self.model
        model.nvidia.cancel_orders(self)
        model.rental.contracts.break_provider(self.account)
        model.rental.anchors.break_provider(self.account)
        for loan in list(self.loans):
            model.credit.release_surplus(loan)
        self.sell_unpledged()
        self.pay_creditors_from_cash()
        for loan in list(self.loans):
            model.credit.seize(loan)
        self.fleet.keep(lambda c: False)
        self.exit()
        model.industry.record("neocloud_defaults", 1)

    def sell_unpledged(self) -> None:
        """The estate's own GPUs, pledged to no loan, go at the fire-sale price."""
        for cohort in self.fleet.remove(lambda c: c.loan is None):
            if cohort.count > 0:
                self.model.secondary.dispose(cohort.gen, cohort.count, self.account)

    def pay_creditors_from_cash(self) -> None:
        """Lenders are senior: cash left at default goes first to what the collateral will
        not cover, pro rata."""
        shortfalls = {loan: max(loan.drawn - loan.collateral_value(self.model), 0.0)
                      for loan in self.loans}
        total = sum(shortfalls.values())
        cash = max(self.cash, 0.0)
        if total <= 0 or cash <= 0:
            return
        for loan, shortfall in shortfalls.items():
            paid = cash * shortfall / total if total > cash else shortfall
            self.model.credit.recover(loan, paid)

    def exit(self) -> None:
        """Leave the model; whatever cash is left is the equity holders' residual claim."""
        left = self.cash
        self.model.equity.delist(self, residual=max(left, 0.0))
        self.model.power.release(self)
        if left > 0.0:
            self.model.ledger.sector_transfer("equity_investors", self.account, left,
                                              "residual_to_equity", to_sector=True)
        self.active = False
        self.model.roster.exit(self)
        self.remove()

    # --- expectations and investment ------------------------------------------------------
    def update_beliefs(self) -> None:
        weight = self.model.p.neoclouds.adaptive_weight
        self.price_estimate += weight * (self.model.price_index - self.price_estimate)
        self.decline.observe(self.model.launches.get(self.model.month, ()))

    def expected_price(self) -> float:
        """Adaptive estimate pushed along the last six months' trend, a year ahead."""
        trend = float(clamp(self.model.price_trend * 12.0, -1.0, 1.0))
        return self.price_estimate * math.exp(self.beliefs.extrapolation * trend)

    def expected_utilization(self, lead: float) -> float:
        """Demand grown over the lead time against installed capacity plus the orders in the
        pipeline that this firm does not neglect."""
        model = self.model
        demand = model.demand_h100e * math.exp(clamp(model.demand_trend * lead, -1.0, 1.5))
        installed, backlog = model.industry.supply_view
        supply = max(installed + (1.0 - self.beliefs.competition_neglect) * backlog, 1.0)
        return min(demand / supply, 1.0)

    def invest(self) -> None:
        """Stock adjustment: the firm wants its fleet to grow with the best NPV margin on
        sale; it orders the gap between that target and what it has and has on order, as
        far as financing allows."""
        model, n = self.model, self.model.p.neoclouds
        nvidia = model.nvidia
        best = None
        for gen in nvidia.orderable():
            lead = nvidia.lead_time(gen)
            utilization = self.expected_utilization(lead)
            price = self.expected_price() * (utilization / n.target_utilization) ** n.price_sensitivity
            margin = npv_margin(gen, price, utilization, lead, n.assumed_life_months,
                                nvidia.markups[gen.index], model.p, self.decline.decline,
                                model.power.rent, self.colocation_discount,
                                model.power.wait_after(lead))
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
        if wanted > 0.0:
            self.order(gen, wanted / gen.perf)

    def build_to_suit(self, gen: Generation, count: float, rent_per_gpu_month: float,
                      term: int) -> float:
        """A tenant offers a take-or-pay contract of ``term`` months at ``rent_per_gpu_month``
        for ``count`` GPUs of ``gen`` that the firm does not have: it orders them if the
        contract alone repays their cost at the firm's cost of capital (nothing assumed for
        after the term), as far as financing allows; returns how many it ordered."""
        if count < 1.0:
            return 0.0
        model = self.model
        nvidia = model.nvidia
        lead = nvidia.lead_time(gen)
        margin = npv_margin(gen, rent_per_gpu_month / HOURS_PER_MONTH / gen.perf, 1.0, lead,
                            term, nvidia.markups[gen.index], model.p,
                            0.0, model.power.rent, self.colocation_discount,
                            model.power.wait_after(lead))
        if margin <= 0.0:
            return 0.0
        return self.order(gen, count, rent_per_gpu_month)

    def order(self, gen: Generation, count: float, contracted_rent_per_gpu: float = 0.0) -> float:
        """Order up to ``count`` GPUs, financed by a delayed-draw loan where lenders will
        commit one and by the firm's free cash (issuing equity for a shortfall); returns the
        number ordered (none below one GPU). Lenders count ``contracted_rent_per_gpu`` (a
        month's rent under a contract built to suit) in full, spot rent after a haircut."""
        model = self.model
        nvidia = model.nvidia
        unit = installed_price(gen, nvidia.markups[gen.index], model.p)
        loan = model.credit.apply_for_loan(self, gen.index, count, unit,
                                           count * contracted_rent_per_gpu)
        own_unit = unit * (1.0 - (loan.advance if loan else 0.0))
        free = self.cash - nvidia.own_funds_committed(self) - self.cash_reserve()
        if free < count * own_unit:
            free += self.issue_equity(count * own_unit - free)
        affordable = min(count, max(free, 0.0) / own_unit) if own_unit > 0 else count
        ordered = affordable if affordable >= 1.0 else 0.0
        model.credit.release_commitment(loan, (count - ordered) * unit)
        if ordered:
            nvidia.place_order(self, gen, ordered, loan)
        return ordered


FLOWS = ("capex_usd", "equity_raised_usd", "neocloud_defaults", "neocloud_entries")


class NeocloudIndustry:
    """The neoclouds as an industry: the initial firms, entry, the supply picture firms
    plan against, and the month's industry-wide flows and outputs."""

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        self.flows: dict[str, float] = dict.fromkeys(FLOWS, 0.0)
        self.supply_view = (0.0, 0.0)   # installed and on order, H100e, after deliveries

    @property
    def columns(self) -> tuple[str, ...]:
        per_generation = tuple(f"installed_gpus_{g.name}" for g in self.model.gens)
        return ("installed_h100e", "neoclouds_active", "neocloud_entries", "neocloud_defaults",
                "neocloud_defaults_cum", "capex_usd", "equity_raised_usd",
                "neocloud_revenue_usd", "top_neocloud_debt_to_revenue",
                "top_neocloud_financing_to_revenue", "top_neocloud_top_customer_share",
                "expected_rent_decline_neoclouds", *per_generation)

    def begin_month(self) -> None:
        self.flows = dict.fromkeys(FLOWS, 0.0)

    def record(self, flow: str, amount: float) -> None:
        """A firm's contribution to the month's capex, equity raised or defaults."""
        self.flows[flow] += amount

    # --- firms --------------------------------------------------------------------------------
    def beliefs(self) -> Beliefs:
        """A new firm's beliefs, drawn around the scenario's values."""
        model = self.model
        n = model.p.neoclouds
        spread = n.belief_dispersion
        return Beliefs(
            competition_neglect=float(clamp(n.competition_neglect
                                              + model.rng.normal(0, spread), 0.0, 1.0)),
            extrapolation=float(max(n.extrapolation * (1 + model.rng.normal(0, spread)), 0.0)),
            appetite=float(np.exp(model.rng.normal(0.0, 0.3))),
            prior_months=model.p.market.decline_prior_months
            * float(np.exp(model.rng.normal(0.0, spread))))

    def create_initial(self) -> None:
        """Firms of lognormal size sharing the 2022 fleet of the oldest generation; the
        largest is an ex-crypto-miner (CoreWeave-like); the largest few are Nvidia partners."""
        model = self.model
        n, oldest = model.p.neoclouds, model.gens[0]
        price = model.price_index
        sizes = np.sort(model.rng.lognormal(0.0, n.initial_size_dispersion,
                                             n.initial_count))[::-1]
        shares = sizes / sizes.sum()
        for i, share in enumerate(shares):
            count = n.initial_fleet_gpus * share
            monthly = count * HOURS_PER_MONTH * n.target_utilization * oldest.perf * price
            crypto = i == 0 or bool(model.rng.random() < n.crypto_origin_share)
            cloud = Neocloud(model, n.initial_cash_months * monthly, self.beliefs(), crypto,
                             partner=i < model.p.nvidia.partner_count)
            if count > 0:
                acquired = int(model.rng.integers(oldest.release, model.start + 1))
                cloud.install_initial_fleet(oldest, count, acquired,
                                            installed_price(oldest, 0.0, model.p),
                                            price * oldest.perf)
                model.nvidia.record_shipment(oldest.index, count)

    def enter(self) -> None:
        """Entry rises with how far the spot price is above a new GPU's break-even."""
        model = self.model
        n = model.p.neoclouds
        newest = model.nvidia.newest_on_sale()
        if newest is None:
            return
        breakeven = self.breakeven_price(newest)
        attraction = clamp((model.price_index / breakeven - 1.0) / n.entry_margin, 0.0, 1.0)
        entrants = int(model.rng.poisson(n.entry_rate * attraction))
        for _ in range(entrants):
            crypto = bool(model.rng.random() < n.crypto_origin_share)
            equity = n.entry_capital * float(np.exp(model.rng.normal(0.0, 0.5)))
            Neocloud(model, equity, self.beliefs(), crypto, partner=False)
        self.flows["neocloud_entries"] = entrants

    def breakeven_price(self, gen: Generation) -> float:
        """Flat perf-adjusted price at which a new GPU earns its cost of capital at target
        utilization and the rent decline the market has learnt (the NPV margin is linear in
        the price)."""
        model = self.model
        n = model.p.neoclouds
        lead = float(model.p.nvidia.deployment_lag_months)
        args = (n.target_utilization, lead, n.assumed_life_months,
                model.nvidia.markups[gen.index], model.p, model.secondary.decline.decline,
                model.power.rent, 0.0, model.power.wait_after(lead))
        at_one, at_two = npv_margin(gen, 1.0, *args), npv_margin(gen, 2.0, *args)
        slope = at_two - at_one
        return max(1.0 - at_one / slope, 1e-6) if slope > 0 else math.inf

    # --- the supply picture -------------------------------------------------------------------
    def installed_h100e(self) -> float:
        return sum(c.installed_h100e() for c in self.model.neoclouds())

    def installed_by_gen(self) -> np.ndarray:
        model = self.model
        return sum((cloud.fleet.counts() for cloud in model.neoclouds()), np.zeros(len(model.gens)))

    def observe_supply(self) -> None:
        """What firms plan against this month: installed capacity and the order backlog."""
        self.supply_view = (self.installed_h100e(), self.model.nvidia.backlog_h100e())

    # --- outputs ------------------------------------------------------------------------------
    def report(self) -> dict[str, float]:
        model = self.model
        clouds = model.neoclouds()
        installed = self.installed_by_gen()
        debt_ratio, financing_ratio = top_debt_to_revenue(clouds)
        row = {"installed_h100e": float(sum(installed[g.index] * g.perf for g in model.gens)),
               "neoclouds_active": len(clouds), **self.flows,
               "neocloud_defaults_cum": float(sum(model.history["neocloud_defaults"]))
               + self.flows["neocloud_defaults"],
               "neocloud_revenue_usd": float(sum(c.revenue for c in clouds)),
               "top_neocloud_debt_to_revenue": debt_ratio,
               "top_neocloud_financing_to_revenue": financing_ratio,
               "top_neocloud_top_customer_share": self.top_customer_share(clouds),
               "expected_rent_decline_neoclouds": (
                   float(np.mean([c.decline.decline for c in clouds])) if clouds
                   else model.secondary.decline.decline)}
        for g in model.gens:
            row[f"installed_gpus_{g.name}"] = float(installed[g.index])
        return row

    def top_customer_share(self, clouds: list[Neocloud]) -> float:
        """The largest neocloud's (by revenue) largest single customer's share of its
        month's revenue: CoreWeave's customer concentration (Microsoft, 62% in 2024).
        Spot sales go to many buyers, so only a contract's tenant can be that customer."""
        top = max(clouds, key=lambda cloud: cloud.revenue, default=None)
        if top is None or top.revenue <= 0:
            return 0.0
        return min(self.model.rental.top_customer_rent.get(top.account, 0.0) / top.revenue, 1.0)


MAX_DEBT_TO_REVENUE = 1000.0  # the ratio reported for debt with (almost) no revenue yet


def top_debt_to_revenue(clouds: list[Neocloud]) -> tuple[float, float]:
    """The most indebted neocloud's debt over its annualised revenue (this month's x 12),
    and the same for the most-financed one's financing arranged (drawn plus undrawn
    commitments of its delayed-draw loans): the S6 ratio of a CoreWeave borrowing ahead of
    its revenue. Each 0 without debt, at most ``MAX_DEBT_TO_REVENUE``."""
    drawn, undrawn = np.zeros(len(clouds)), np.zeros(len(clouds))
    for i, cloud in enumerate(clouds):
        for loan in cloud.loans:
            drawn[i] += loan.drawn
            undrawn[i] += loan.undrawn

    def ratio(debts: np.ndarray) -> float:
        if not len(debts) or debts.max() <= 0:
            return 0.0
        top = int(np.argmax(debts))
        debt, annual = float(debts[top]), 12.0 * max(clouds[top].revenue, 0.0)
        return debt / annual if annual * MAX_DEBT_TO_REVENUE > debt else MAX_DEBT_TO_REVENUE

    return ratio(drawn), ratio(drawn + undrawn)
