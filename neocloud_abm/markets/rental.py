"""The market for GPU-hours: take-or-pay term contracts first, then spot clearing
(docs/model.md#74-rental-market).

Spot clearing is a noisy merit order: offers (one per neocloud and generation, plus the
hyperscalers' outside option) are taken in order of perceived perf-adjusted price, each
filled up to what buyers still demand at that price. Cost is O(K log K + K N) for K offers
and N buyers: linear in the number of startups, with K bounded by neoclouds x generations.

The market owns the contract book, the prices it discovers (the spot index, each
generation's price and utilization, the price of new contracts) and the month's volumes;
it tells each neocloud and the startups what they sold and bought, and they update their
own state from that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket


def demand_at(price: float, need: np.ndarray, contracted: np.ndarray, budget: np.ndarray,
              elasticity: float, reference: float) -> np.ndarray:
    """H100e-hours each buyer wants on the spot market at a perf-adjusted price."""
    wanted = need * (price / reference) ** -elasticity - contracted
    return np.maximum(0.0, np.minimum(wanted, budget / price))


@dataclass
class SpotResult:
    fill: np.ndarray      # H100e-hours sold by each offer
    unmet: float          # H100e-hours still wanted after every offer (rationing)
    bought: np.ndarray    # H100e-hours each buyer got
    spend: np.ndarray     # $ each buyer paid
    average_price: float  # $ per H100e-hour, volume-weighted over what was sold


def clear_spot(price: np.ndarray, capacity: np.ndarray, perceived: np.ndarray,
               need: np.ndarray, contracted: np.ndarray, budget: np.ndarray,
               elasticity: float, reference: float, loyalty: float = 0.0,
               loyal: np.ndarray | None = None) -> SpotResult:
    """Clear the spot market; buyers share what was sold in proportion to their demand at
    the margin.

    A ``loyalty`` share of the demand at each ``loyal`` offer's price stays with it in
    proportion to its capacity (existing customers, switching costs), so allocation is not
    all-or-nothing; the rest fills offers (perf-adjusted ``price``, ``capacity`` in
    H100e-hours) in ``perceived`` price order.
    """
    def demand(p: float) -> float:
        return float(demand_at(p, need, contracted, budget, elasticity, reference).sum())

    fill = np.zeros(len(price))
    if loyalty > 0 and loyal is not None and capacity[loyal].sum() > 0:
        share = np.where(loyal, capacity / capacity[loyal].sum(), 0.0)
        for k in np.flatnonzero(loyal):
            fill[k] = min(capacity[k], loyalty * share[k] * demand(price[k]))
    sold = float(fill.sum())
    unmet = 0.0
    marginal = float(np.max(perceived[fill > 0])) if sold > 0 else None
    order = np.argsort(perceived, kind="stable")
    for k in order:
        wanted = max(demand(perceived[k]) - sold, 0.0)
        extra = min(wanted, capacity[k] - fill[k])
        if extra > 0.0:
            fill[k] += extra
            sold += extra
            marginal = perceived[k] if marginal is None else max(marginal, perceived[k])
        unmet = max(wanted - max(extra, 0.0), 0.0)  # still wanted at this price: rationed
    bought = np.zeros(len(need))
    if sold <= 0.0 or marginal is None:
        return SpotResult(fill, unmet, bought, bought.copy(), float(np.min(price)))
    average = float(fill @ price / sold)
    at_margin = demand_at(marginal, need, contracted, budget, elasticity, reference)
    if at_margin.sum() <= 0:
        return SpotResult(fill * 0.0, unmet, bought, bought.copy(), average)
    bought = np.minimum(sold * at_margin / at_margin.sum(), budget / average)
    fill *= bought.sum() / sold
    return SpotResult(fill, unmet, bought, bought * average, average)


@dataclass
class ContractBook:
    """Take-or-pay term contracts: tenant (startup row), provider (neocloud account), terms."""

    tenant: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    provider: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    gen: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    gpu_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def add(self, signed: list[tuple[int, int, int, float, float, int]]) -> None:
        """Append the month's new contracts, each (tenant, provider, gen, gpu_hours, price,
        end), in one go (an append per contract copies the book each time)."""
        if not signed:
            return
        for name, values in zip(("tenant", "provider", "gen", "gpu_hours", "price", "end"),
                                zip(*signed, strict=True), strict=True):
            setattr(self, name, np.append(getattr(self, name), values))
        self.active = np.append(self.active, np.ones(len(signed), dtype=bool))

    def expire(self, month: int) -> None:
        self.active &= self.end > month

    def live(self) -> np.ndarray:
        return np.flatnonzero(self.active)

    def of_provider(self, account: int) -> np.ndarray:
        """Indices of the live contracts a provider serves."""
        live = self.live()
        return live[self.provider[live] == account]

    def break_tenant(self, row: int) -> None:
        self.active &= self.tenant != row

    def break_provider(self, account: int) -> None:
        self.active &= self.provider != account

    def renumber_tenants(self, mapping: np.ndarray) -> None:
        """Follow the startup table's compaction: tenants get their new rows; contracts of
        tenants that were dropped (all ended when the tenant failed) go."""
        self.active &= mapping[self.tenant] >= 0
        self.compact()
        self.tenant = mapping[self.tenant]

    def compact(self) -> None:
        """Drop ended contracts so the arrays stay as small as the live book."""
        keep = self.active
        for name in ("tenant", "provider", "gen", "gpu_hours", "price", "end", "active"):
            setattr(self, name, getattr(self, name)[keep])


@dataclass
class Offers:
    """One spot offer per (neocloud, generation) with GPUs installed."""

    sellers: list       # Neocloud agents
    gen: np.ndarray
    perf: np.ndarray
    price: np.ndarray   # posted $ per GPU-hour
    total: np.ndarray   # installed GPU-hours
    contracted: np.ndarray  # GPU-hours under live contracts

    @property
    def price_h100e(self) -> np.ndarray:
        return self.price / self.perf


def _offer_key(model, account: int | np.ndarray, gen: int | np.ndarray):
    return account * len(model.gens) + gen


def _sum_by_offer(model, book: ContractBook, rows: np.ndarray,
                  weights: np.ndarray) -> dict[int, float]:
    """Sum contract quantities by (provider, generation) key."""
    if not len(rows):
        return {}
    keys = _offer_key(model, book.provider[rows], book.gen[rows])
    unique, inverse = np.unique(keys, return_inverse=True)
    return dict(zip(unique.tolist(), np.bincount(inverse, weights=weights).tolist(), strict=True))


def build_offers(model, book: ContractBook, contract_rows: np.ndarray,
                 contract_hours: np.ndarray) -> Offers:
    """One offer per (neocloud, generation) with GPUs installed; ``contracted`` holds the
    hours its live contracts take this month (``contract_hours``, already capped by what
    the provider has installed, so it never exceeds ``total``)."""
    contracted_by_key = _sum_by_offer(model, book, contract_rows, contract_hours)
    sellers, gen, total, contracted, price = [], [], [], [], []
    for cloud in model.neoclouds():
        for g, count in sorted(cloud.powered_gpus().items()):
            sellers.append(cloud)
            gen.append(g)
            total.append(count * HOURS_PER_MONTH)
            contracted.append(contracted_by_key.get(_offer_key(model, cloud.account, g), 0.0))
            price.append(cloud.prices[g])
    gen_arr = np.array(gen, dtype=int)
    perf = np.array([model.gens[g].perf for g in gen_arr])
    return Offers(sellers, gen_arr, perf, np.array(price), np.array(total), np.array(contracted))


MARKET_COLUMNS = ("spot_price_h100e", "contract_price_h100e", "utilization",
                  "demand_h100e_hours", "sold_h100e_hours", "available_h100e_hours",
                  "hyperscaler_sold_h100e_hours")


class RentalMarket:
    """Contracts, spot clearing and the prices they make (event 4)."""

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        self.clearing_account = model.ledger.open("spot clearing")
        self.contracts = ContractBook()
        market = model.p.market
        self.price_index = market.initial_price_h100e    # $ per H100e-hour, the spot index
        self.contract_price = self.price_index * (1.0 - market.contract_discount)
        self.gen_price: dict[int, float] = {}            # $ per GPU-hour, by generation
        self.gen_utilization: dict[int, float] = {}
        self.utilization = model.p.neoclouds.target_utilization
        self.volumes: dict[str, float] = {}

    @property
    def columns(self) -> tuple[str, ...]:
        gens = self.model.gens
        return (*MARKET_COLUMNS, *(f"spot_price_{g.name}" for g in gens),
                *(f"utilization_{g.name}" for g in gens))

    def generation_price(self, gen_index: int) -> float:
        """This month's price of a generation's GPU-hour; for one not rented this month, the
        spot index's price for its compute."""
        return self.gen_price.get(gen_index, self.price_index * self.model.perf[gen_index])

    def deliverable_hours(self, live: np.ndarray) -> np.ndarray:
        """GPU-hours each live contract can be served this month: in full, unless its
        provider has fewer GPUs of that generation installed than its contracts promise
        (after distress sales, seizures or retirement), in which case all of them are served
        pro rata. A tenant pays only for hours delivered, so hours sold never exceed hours
        installed."""
        model, book = self.model, self.contracts
        promised = book.gpu_hours[live]
        if not len(live):
            return promised
        installed = {_offer_key(model, cloud.account, g): count * HOURS_PER_MONTH
                     for cloud in model.neoclouds() for g, count in cloud.powered_gpus().items()}
        promised_by_key = _sum_by_offer(model, book, live, promised)
        keys = _offer_key(model, book.provider[live], book.gen[live])
        share = np.array([min(1.0, installed.get(key, 0.0) / promised_by_key[key])
                          if promised_by_key[key] > 0 else 0.0 for key in keys.tolist()])
        return promised * share

    def step(self, month: int) -> None:
        """Event 4: contracts are served and paid, spot demand clears, new contracts are
        signed."""
        model, book = self.model, self.contracts
        p, ledger, table = model.p, model.ledger, model.startups
        book.expire(month)
        if book.active.size > 4 * max(int(book.active.sum()), 64):
            book.compact()
        live = book.live()
        perf_of = np.array([g.perf for g in model.gens])
        rows = table.live_rows()
        need = table.need[rows] * model.env.nvidia_share
        elasticity, reference = p.startups.price_elasticity, p.market.reference_price_h100e

        # Take-or-pay: tenants owe every hour delivered whatever they use; short payers fail.
        hours = self.deliverable_hours(live)
        owed = hours * book.price[live]
        tenant_owes = np.bincount(book.tenant[live], weights=owed, minlength=table.size)
        cash = ledger.balances(table.account[: table.size])
        paid_share = np.where(tenant_owes > 0, np.minimum(1.0, np.maximum(cash, 0.0)
                                                          / np.maximum(tenant_owes, 1e-12)), 1.0)
        contract_paid = owed * paid_share[book.tenant[live]]
        ledger.transfer_many(table.account[book.tenant[live]], book.provider[live],
                             contract_paid, "contract_rent")
        defaulting_tenants = np.flatnonzero(paid_share < 1.0 - 1e-12)
        contract_h100e = np.bincount(book.tenant[live], weights=hours * perf_of[book.gen[live]],
                                     minlength=table.size)
        contract_cost = tenant_owes * paid_share

        offers = build_offers(model, book, live, hours)
        index_price = self.price_index
        desired = need * (index_price / reference) ** -elasticity
        use_share = np.minimum(1.0, desired / np.maximum(contract_h100e[rows], 1e-12))
        full_use = np.ones(table.size)
        full_use[rows] = use_share

        noise = np.exp(model.rng.normal(0.0, p.market.allocation_noise, len(offers.gen)))
        spot_capacity = np.maximum(offers.total - offers.contracted, 0.0) * offers.perf
        outside_price = model.env.hyperscaler_price
        prices = np.append(offers.price_h100e, outside_price)
        result = clear_spot(prices, np.append(spot_capacity, model.env.hyperscaler_capacity
                                              * HOURS_PER_MONTH),
                            np.append(offers.price_h100e * noise, outside_price),
                            need, contract_h100e[rows],
                            np.maximum(table.budget[rows] - contract_cost[rows], 0.0),
                            elasticity, reference, p.market.customer_loyalty,
                            np.append(np.ones(len(offers.gen), dtype=bool), False))
        clearing = self.clearing_account
        ledger.transfer_many(table.account[rows], clearing, result.spend, "spot_rent")
        neo_fill = result.fill[:-1]
        ledger.transfer_many(clearing, np.array([s.account for s in offers.sellers], dtype=int),
                             neo_fill * offers.price_h100e, "spot_rent_received")
        ledger.transfer(clearing, ledger.sector["hyperscalers"],
                        max(ledger.balance(clearing), 0.0), "outside_option")

        capacity = max(float((offers.total * offers.perf).sum()), 1e-9)
        market_use = float(((offers.contracted * offers.perf).sum() + neo_fill.sum()) / capacity)
        self._settle_sellers(offers, live, hours, full_use, neo_fill, market_use,
                             result.unmet / capacity, contract_paid)
        model.nvidia.backstop(offers, offers.contracted + neo_fill / offers.perf)
        table.record_purchases(rows, np.minimum(contract_h100e[rows], desired) + result.bought,
                               contract_cost[rows] + result.spend, desired)
        self._record_market(offers, neo_fill, contract_h100e[rows], need, table.budget[rows],
                            contract_cost[rows])
        self.volumes["hyperscaler_sold_h100e_hours"] = float(result.fill[-1])
        self._sign_contracts(offers, rows, need, contract_h100e[rows])
        table.fail_tenants(defaulting_tenants)

    def _settle_sellers(self, offers: Offers, live: np.ndarray, hours: np.ndarray,
                        use: np.ndarray, spot_fill: np.ndarray, market_use: float,
                        rationed: float, contract_paid: np.ndarray) -> None:
        """Tell each neocloud its hours sold, hours used, capacity and demand pressure by
        generation, and its rent: pressure blends its own utilization with the market's,
        plus rationed demand per unit of capacity (the queue of buyers nobody could serve)."""
        model, book = self.model, self.contracts
        watch = model.p.neoclouds.market_watch
        records = {cloud.unique_id: ({}, {}, {}, {}, []) for cloud in model.neoclouds()}
        used_by_key = _sum_by_offer(model, book, live, hours * use[book.tenant[live]])
        for k, cloud in enumerate(offers.sellers):
            sold, used, available, pressure, spot_rent = records[cloud.unique_id]
            g = int(offers.gen[k])
            spot = spot_fill[k] / offers.perf[k]
            sold[g] = offers.contracted[k] + spot
            available[g] = offers.total[k]
            used[g] = used_by_key.get(_offer_key(model, cloud.account, g), 0.0) + spot
            own = sold[g] / max(offers.total[k], 1e-9)
            pressure[g] = min((1 - watch) * own + watch * market_use + rationed, 2.0)
            spot_rent.append(spot_fill[k] * offers.price_h100e[k])
        by_account: dict[int, float] = {}
        if len(live):
            accounts, inverse = np.unique(book.provider[live], return_inverse=True)
            by_account = dict(zip(accounts.tolist(),
                                  np.bincount(inverse, weights=contract_paid).tolist(), strict=True))
        for cloud in model.neoclouds():
            sold, used, available, pressure, spot_rent = records[cloud.unique_id]
            cloud.settle_rentals(sold, used, available, pressure)
            cloud.earn_rent(by_account.get(cloud.account, 0.0), spot_rent)

    def _record_market(self, offers: Offers, spot_fill: np.ndarray, contracted: np.ndarray,
                       need: np.ndarray, budget: np.ndarray, contract_cost: np.ndarray) -> None:
        """Prices, utilization and demand of the month, overall and by generation."""
        p = self.model.p
        sold_gpu = offers.contracted + spot_fill / offers.perf
        spot_gpu = spot_fill / offers.perf
        if spot_fill.sum() > 0:
            self.price_index = float(spot_fill @ offers.price_h100e / spot_fill.sum())
        elif len(offers.gen):
            self.price_index = float(np.average(offers.price_h100e, weights=offers.total))
        self.gen_price, self.gen_utilization = {}, {}
        for g in np.unique(offers.gen):
            mask = offers.gen == g
            weights = spot_gpu[mask] if spot_gpu[mask].sum() > 0 else offers.total[mask]
            self.gen_price[int(g)] = float(np.average(offers.price[mask], weights=weights))
            self.gen_utilization[int(g)] = float(sold_gpu[mask].sum() / offers.total[mask].sum())
        available = float((offers.total * offers.perf).sum())
        sold = float((sold_gpu * offers.perf).sum())
        spot_demand = demand_at(self.price_index, need, contracted,
                                np.maximum(budget - contract_cost, 0.0),
                                p.startups.price_elasticity, p.market.reference_price_h100e)
        self.utilization = sold / available if available > 0 else 0.0
        self.volumes = {"demand_h100e_hours": float(contracted.sum() + spot_demand.sum()),
                        "sold_h100e_hours": sold, "available_h100e_hours": available}

    def _sign_contracts(self, offers: Offers, rows: np.ndarray, need: np.ndarray,
                        contracted: np.ndarray) -> None:
        """Large startups put a share of their need under take-or-pay term contracts, at
        the provider's posted price less a discount, for terms that lengthen with their
        size."""
        model = self.model
        p = model.p
        s, n = p.startups, p.neoclouds
        if not len(rows) or not len(offers.gen):
            return
        threshold = np.quantile(need, s.contract_size_quantile)
        eligible = np.flatnonzero(need >= threshold)
        contract_price_h100e = self.price_index * (1.0 - p.market.contract_discount)
        desired = need * (self.price_index / p.market.reference_price_h100e) ** -s.price_elasticity
        affordable = 0.8 * model.startups.budget[rows] / contract_price_h100e
        target = np.minimum(s.contract_share * desired, affordable)
        gap = target - contracted
        seekers = eligible[gap[eligible] > 0.2 * target[eligible]]
        if not len(seekers):
            return
        free = np.maximum(n.max_contract_share * offers.total - offers.contracted, 0.0)
        ranked = np.argsort(offers.price_h100e, kind="stable")
        size_rank = np.argsort(np.argsort(need[eligible])) / max(len(eligible) - 1, 1)
        rank_of = dict(zip(eligible.tolist(), size_rank.tolist(), strict=True))
        signed_value = signed_hours = 0.0
        signed = []
        for i in seekers[np.argsort(-need[seekers])]:
            term = round(s.min_term_months + (s.max_term_months - s.min_term_months)
                         * rank_of[int(i)])
            remaining = gap[i]
            for k in ranked:
                if remaining <= 0.0:
                    break
                if free[k] <= 0.0:
                    continue
                gpu_hours = min(remaining / offers.perf[k], free[k])
                price = offers.price[k] * (1.0 - p.market.contract_discount)
                signed.append((int(rows[i]), offers.sellers[k].account, int(offers.gen[k]),
                               gpu_hours, price, model.month + 1 + term))
                free[k] -= gpu_hours
                remaining -= gpu_hours * offers.perf[k]
                signed_value += gpu_hours * price
                signed_hours += gpu_hours * offers.perf[k]
        self.contracts.add(signed)
        if signed_hours > 0:
            self.contract_price = signed_value / signed_hours

    def report(self) -> dict[str, float]:
        row = {"spot_price_h100e": self.price_index, "contract_price_h100e": self.contract_price,
               "utilization": self.utilization, **self.volumes}
        for g in self.model.gens:
            row[f"spot_price_{g.name}"] = self.gen_price.get(g.index, 0.0)
            row[f"utilization_{g.name}"] = self.gen_utilization.get(g.index, 0.0)
        return row
