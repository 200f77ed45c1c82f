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

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from neocloud_abm.core.arithmetic import dot
from neocloud_abm.core.learning import term_average
from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket


def demand_at(price: float, need: np.ndarray, contracted: np.ndarray, budget: np.ndarray,
              elasticity: float, reference: float) -> np.ndarray:
    """H100e-hours each buyer wants on the spot market at a perf-adjusted price."""
    return _demand((price / reference) ** -elasticity, price, need, contracted, budget)


def demand_curve(prices: np.ndarray, need: np.ndarray, contracted: np.ndarray,
                 budget: np.ndarray, elasticity: float, reference: float) -> list[float]:
    """Total spot demand at each of ``prices``: :func:`demand_at` summed over the buyers, for
    all the prices in one pass (each price's scaling, each buyer's demand and each total are
    the same floats as one price at a time)."""
    # each price scaled on its own, as demand_at does: an array power may round differently
    scale = np.array([(price / reference) ** -elasticity for price in prices])
    wanted = _demand(scale[:, None], prices[:, None], need, contracted, budget)
    return [float(row.sum()) for row in wanted]


def _demand(scale: float | np.ndarray, price: float | np.ndarray, need: np.ndarray,
            contracted: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """Need scaled by the price's elasticity less what is contracted, within budget."""
    return np.maximum(0.0, np.minimum(need * scale - contracted, budget / price))


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
    buyers = (need, contracted, budget, elasticity, reference)
    fill = np.zeros(len(price))
    if loyalty > 0 and loyal is not None and capacity[loyal].sum() > 0:
        share = np.where(loyal, capacity / capacity[loyal].sum(), 0.0)
        rows = np.flatnonzero(loyal)
        for k, demanded in zip(rows, demand_curve(price[rows], *buyers), strict=True):
            fill[k] = min(capacity[k], loyalty * share[k] * demanded)
    sold = float(fill.sum())
    unmet = 0.0
    marginal = float(np.max(perceived[fill > 0])) if sold > 0 else None
    order = np.argsort(perceived, kind="stable")
    for k, demanded in zip(order, demand_curve(perceived[order], *buyers), strict=True):
        wanted = max(demanded - sold, 0.0)
        extra = min(wanted, capacity[k] - fill[k])
        if extra > 0.0:
            fill[k] += extra
            sold += extra
            marginal = perceived[k] if marginal is None else max(marginal, perceived[k])
        unmet = max(wanted - max(extra, 0.0), 0.0)  # still wanted at this price: rationed
    bought = np.zeros(len(need))
    if sold <= 0.0 or marginal is None:
        return SpotResult(fill, unmet, bought, bought.copy(), float(np.min(price)))
    average = dot(fill, price) / sold
    at_margin = demand_at(marginal, need, contracted, budget, elasticity, reference)
    if at_margin.sum() <= 0:
        return SpotResult(fill * 0.0, unmet, bought, bought.copy(), average)
    bought = np.minimum(sold * at_margin / at_margin.sum(), budget / average)
    fill *= bought.sum() / sold
    return SpotResult(fill, unmet, bought, bought * average, average)


_TERMS = ("tenant", "provider", "gen", "gpu_hours", "price", "start", "end")


@dataclass
class ContractBook:
    """Take-or-pay term contracts: tenant (startup row), provider (neocloud account), terms.

    A contract is served from its ``start`` month: the month after signing for capacity that
    exists, the expected delivery month for capacity built to suit (ordered for the tenant).
    Contracts are kept in the order they were signed, which is their seniority."""

    tenant: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    provider: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    gen: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    gpu_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    month: int = 0

    def add(self, signed: list[tuple[int, int, int, float, float, int, int]]) -> None:
        """Append the month's new contracts, each (tenant, provider, gen, gpu_hours, price,
        start, end), in one go (an append per contract copies the book each time)."""
        if not signed:
            return
        for name, values in zip(_TERMS, zip(*signed, strict=True), strict=True):
            setattr(self, name, np.append(getattr(self, name), values))
        self.active = np.append(self.active, np.ones(len(signed), dtype=bool))

    def expire(self, month: int) -> None:
        self.month = month
        self.active &= self.end > month

    def live(self) -> np.ndarray:
        """Indices of the contracts being served this month (started, not ended or broken)."""
        return np.flatnonzero(self.active & (self.start <= self.month))

    def pending(self) -> np.ndarray:
        """Indices of built-to-suit contracts whose capacity is still on order."""
        return np.flatnonzero(self.active & (self.start > self.month))

    def h100e_hours(self, rows: np.ndarray, perf: np.ndarray,
                    hours: np.ndarray | None = None) -> np.ndarray:
        """H100e-hours a month of contracts ``rows``: their GPU-hours (or ``hours`` of them
        served) times their generation's performance."""
        return (self.gpu_hours[rows] if hours is None else hours) * perf[self.gen[rows]]

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
        for name in (*_TERMS, "active"):
            setattr(self, name, getattr(self, name)[keep])


@dataclass
class Offers:
    """One spot offer per (neocloud, generation) with GPUs installed."""

    sellers: list       # Neocloud agents
    gen: np.ndarray
    perf: np.ndarray
    price: np.ndarray   # posted $ per GPU-hour
    total: np.ndarray   # installed GPU-hours
    contracted: np.ndarray  # GPU-hours under live startup contracts
    anchored: np.ndarray    # GPU-hours leased to hyperscalers under anchor contracts

    @property
    def price_h100e(self) -> np.ndarray:
        return self.price / self.perf

    @property
    def spot_capacity(self) -> np.ndarray:
        """GPU-hours left for the spot market."""
        return np.maximum(self.total - self.anchored - self.contracted, 0.0)

    @property
    def sold(self) -> np.ndarray:
        """GPU-hours under contract (anchor and startup), before spot sales."""
        return self.anchored + self.contracted


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


def serve_in_order(keys: np.ndarray, promised: np.ndarray,
                   capacity: dict[int, float]) -> np.ndarray:
    """Hours each contract is served when the contracts on one offer (``keys``, listed in
    order of signing) share its ``capacity``: in full while capacity lasts, senior first."""
    served = np.zeros_like(promised)
    if not len(keys):
        return served
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    room = np.array([max(capacity.get(int(key), 0.0), 0.0) for key in sorted_keys[starts]])
    # An offer with room to spare (by more than rounding) serves each of its contracts in
    # full: the loop below would give them exactly that, so only the others go through it.
    ample = ((np.add.reduceat(promised[order], starts) < room * (1.0 - 1e-9))
             & (promised.min() >= 0.0))
    in_full = order[np.repeat(ample, np.diff(np.r_[starts, len(keys)]))]
    served[in_full] = promised[in_full]
    for rows, available, skip in zip(np.split(order, starts[1:]), room.tolist(), ample.tolist(),
                                     strict=True):
        if skip:
            continue
        ahead = np.cumsum(promised[rows]) - promised[rows]
        share = np.clip(available - ahead, 0.0, promised[rows])
        # a running sum rounds a few hours away beside millions: never serve more than there is
        total = share.sum()
        served[rows] = share * (available / total) if total > available > 0 else share
    return served


def build_offers(model, book: ContractBook, contract_rows: np.ndarray,
                 contract_hours: np.ndarray, anchored: dict[int, float]) -> Offers:
    """One offer per (neocloud, generation) with GPUs in powered space; ``anchored`` and
    ``contracted`` hold the hours its live anchor and startup contracts take this month
    (already capped by what the provider has, so together never above ``total``)."""
    contracted_by_key = _sum_by_offer(model, book, contract_rows, contract_hours)
    sellers, gen, total, contracted, anchor, price = [], [], [], [], [], []
    for cloud in model.neoclouds():
        for g, count in sorted(cloud.powered_gpus().items()):
            key = _offer_key(model, cloud.account, g)
            sellers.append(cloud)
            gen.append(g)
            total.append(count * HOURS_PER_MONTH)
            contracted.append(contracted_by_key.get(key, 0.0))
            anchor.append(anchored.get(key, 0.0))
            price.append(cloud.prices[g])
    gen_arr = np.array(gen, dtype=int)
    perf = np.array([model.gens[g].perf for g in gen_arr])
    return Offers(sellers, gen_arr, perf, np.array(price), np.array(total), np.array(contracted),
                  np.array(anchor))


@dataclass
class Served:
    """A contract book's month: the live contracts (``rows``), the GPU-hours each was
    served and the $ each tenant paid for them, and each tenant's share of its hours used."""

    rows: np.ndarray
    hours: np.ndarray
    paid: np.ndarray
    use: np.ndarray

    def by_provider(self, book: ContractBook) -> dict[int, float]:
        """$ paid to each provider account."""
        if not len(self.rows):
            return {}
        accounts, inverse = np.unique(book.provider[self.rows], return_inverse=True)
        return dict(zip(accounts.tolist(), np.bincount(inverse, weights=self.paid).tolist(),
                        strict=True))


def _largest_customer(book: ContractBook, served: Served) -> dict[int, float]:
    """$ each provider account was paid this month by its largest single tenant."""
    if not len(served.rows):
        return {}
    providers, tenants = book.provider[served.rows], book.tenant[served.rows]
    width = int(tenants.max()) + 1
    pairs, inverse = np.unique(providers * width + tenants, return_inverse=True)
    paid = np.bincount(inverse.ravel(), weights=served.paid)
    largest: dict[int, float] = {}
    for account, amount in zip((pairs // width).tolist(), paid.tolist(), strict=True):
        largest[account] = max(largest.get(account, 0.0), amount)
    return largest


MARKET_COLUMNS = ("spot_price_h100e", "contract_price_h100e", "utilization",
                  "demand_h100e_hours", "sold_h100e_hours", "available_h100e_hours",
                  "hyperscaler_sold_h100e_hours", "anchor_h100e_hours",
                  "hyperscaler_leased_sold_h100e_hours", "in_house_leased_h100e_hours",
                  "anchor_rent_usd")


class RentalMarket:
    """Contracts, spot clearing and the prices they make (event 4)."""

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        self.clearing_account = model.ledger.open("spot clearing")
        self.contracts = ContractBook()       # startups' term contracts
        self.anchors = ContractBook()         # hyperscalers' leases; tenant = hyperscaler index
        self.outside_demand = 0.0             # H100e-hours a month wanted from hyperscalers
        self.top_customer_rent: dict[int, float] = {}
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

    def powered_hours(self) -> dict[int, float]:
        """GPU-hours each (provider, generation) has in powered space this month."""
        model = self.model
        return {_offer_key(model, cloud.account, g): count * HOURS_PER_MONTH
                for cloud in model.neoclouds() for g, count in cloud.powered_gpus().items()}

    def deliverable_hours(self, book: ContractBook, live: np.ndarray,
                          capacity: dict[int, float]) -> np.ndarray:
        """GPU-hours each live contract of ``book`` can be served this month out of each
        provider's ``capacity`` by generation: in full, unless the provider has fewer GPUs
        than its contracts promise (capacity built to suit still arriving, or GPUs lost to
        distress sales, seizures or retirement), in which case contracts are served in
        order of signing (seniority). A tenant pays only for hours delivered, so hours sold
        never exceed hours installed."""
        return serve_in_order(_offer_key(self.model, book.provider[live], book.gen[live]),
                              book.gpu_hours[live], capacity)

    def step(self, month: int) -> None:
        """Event 4: anchor and startup contracts are served and paid, spot demand clears,
        new contracts are signed."""
        model, book, anchors = self.model, self.contracts, self.anchors
        p, ledger, table = model.p, model.ledger, model.startups
        for contracts in (book, anchors):
            contracts.expire(month)
            if contracts.active.size > 4 * max(int(contracts.active.sum()), 64):
                contracts.compact()
        perf_of = model.perf
        rows = table.live_rows()
        need = table.need[rows] * model.env.nvidia_share
        elasticity, reference = p.startups.price_elasticity, p.market.reference_price_h100e

        # Anchor contracts are senior: the hyperscalers' leases are served first, and paid
        # for every hour delivered.
        powered = self.powered_hours()
        anchor_live = anchors.live()
        anchor_hours = self.deliverable_hours(anchors, anchor_live, powered)
        anchored = _sum_by_offer(model, anchors, anchor_live, anchor_hours)
        anchor_paid = anchor_hours * anchors.price[anchor_live]
        ledger.transfer_many(ledger.sector["hyperscalers"], anchors.provider[anchor_live],
                             anchor_paid, "anchor_rent")

        # Take-or-pay: tenants owe every hour delivered whatever they use; short payers fail.
        live = book.live()
        hours = self.deliverable_hours(book, live, {key: hours - anchored.get(key, 0.0)
                                                    for key, hours in powered.items()})
        owed = hours * book.price[live]
        tenant_owes = np.bincount(book.tenant[live], weights=owed, minlength=table.size)
        cash = ledger.balances(table.account[: table.size])
        paid_share = np.where(tenant_owes > 0, np.minimum(1.0, np.maximum(cash, 0.0)
                                                          / np.maximum(tenant_owes, 1e-12)), 1.0)
        contract_paid = owed * paid_share[book.tenant[live]]
        ledger.transfer_many(table.account[book.tenant[live]], book.provider[live],
                             contract_paid, "contract_rent")
        defaulting_tenants = np.flatnonzero(paid_share < 1.0 - 1e-12)
        contract_h100e = np.bincount(book.tenant[live], weights=book.h100e_hours(live, perf_of, hours),
                                     minlength=table.size)
        contract_cost = tenant_owes * paid_share

        offers = build_offers(model, book, live, hours, anchored)
        index_price = self.price_index
        desired = need * (index_price / reference) ** -elasticity
        use_share = np.minimum(1.0, desired / np.maximum(contract_h100e[rows], 1e-12))
        full_use = np.ones(table.size)
        full_use[rows] = use_share

        # Spot: the hyperscalers offer their own fleets at their price, and resell what they
        # lease from neoclouds and do not use in-house (paid for whatever it earns) at the
        # market's.
        noise = np.exp(model.rng.normal(0.0, p.market.allocation_noise, len(offers.gen)))
        leased = float(anchors.h100e_hours(anchor_live, perf_of, anchor_hours).sum())
        in_house = min(model.hyperscalers.in_house_shortfall(), leased)
        own_capacity = model.env.hyperscaler_capacity * HOURS_PER_MONTH
        outside_price = model.env.hyperscaler_price
        prices = np.append(offers.price_h100e, (index_price, outside_price))
        result = clear_spot(prices, np.append(offers.spot_capacity * offers.perf,
                                              (leased - in_house, own_capacity)),
                            np.append(offers.price_h100e * noise, (index_price, outside_price)),
                            need, contract_h100e[rows],
                            np.maximum(table.budget[rows] - contract_cost[rows], 0.0),
                            elasticity, reference, p.market.customer_loyalty,
                            np.append(np.ones(len(offers.gen), dtype=bool), (False, False)))
        clearing = self.clearing_account
        ledger.transfer_many(table.account[rows], clearing, result.spend, "spot_rent")
        neo_fill = result.fill[:-2]
        leased_sold, hyperscaler_sold = float(result.fill[-2]), float(result.fill[-1])
        ledger.transfer_many(clearing, np.array([s.account for s in offers.sellers], dtype=int),
                             neo_fill * offers.price_h100e, "spot_rent_received")
        ledger.transfer(clearing, ledger.sector["hyperscalers"],
                        max(ledger.balance(clearing), 0.0), "outside_option")

        capacity = max(float((offers.total * offers.perf).sum()), 1e-9)
        market_use = float(((offers.sold * offers.perf).sum() + neo_fill.sum()) / capacity)
        leased_use = (leased_sold + in_house) / leased if leased > 0 else 0.0
        self._settle_sellers(offers, Served(live, hours, contract_paid, full_use),
                             Served(anchor_live, anchor_hours, anchor_paid,
                                    np.full(model.hyperscalers.count, leased_use)),
                             neo_fill, market_use, result.unmet / capacity)
        model.nvidia.backstop(offers, offers.sold + neo_fill / offers.perf)
        table.record_purchases(rows, np.minimum(contract_h100e[rows], desired) + result.bought,
                               contract_cost[rows] + result.spend, desired)
        self._record_market(offers, neo_fill, contract_h100e[rows], need, table.budget[rows],
                            contract_cost[rows])
        self.outside_demand = hyperscaler_sold + leased_sold + result.unmet
        self.volumes.update({
            "hyperscaler_sold_h100e_hours": hyperscaler_sold + leased_sold,
            "anchor_h100e_hours": leased,
            "hyperscaler_leased_sold_h100e_hours": leased_sold,
            "in_house_leased_h100e_hours": in_house,
            "anchor_rent_usd": float(anchor_paid.sum())})
        self._sign_contracts(offers, rows, need, contract_h100e[rows])
        table.fail_tenants(defaulting_tenants)

    def _settle_sellers(self, offers: Offers, contracts: Served, leases: Served,
                        spot_fill: np.ndarray, market_use: float, rationed: float) -> None:
        """Tell each neocloud its hours sold, hours used, capacity and demand pressure by
        generation, and its rent: pressure blends its own utilization with the market's,
        plus rationed demand per unit of capacity (the queue of buyers nobody could serve).
        A tenant uses its contracted hours in proportion to what it needs of them; a
        hyperscaler in proportion to what it resold of its leases."""
        model = self.model
        watch = model.p.neoclouds.market_watch
        records = {cloud.unique_id: ({}, {}, {}, {}, []) for cloud in model.neoclouds()}
        used_by_key = {}
        for served, book in ((contracts, self.contracts), (leases, self.anchors)):
            used = served.hours * served.use[book.tenant[served.rows]]
            for key, hours in _sum_by_offer(model, book, served.rows, used).items():
                used_by_key[key] = used_by_key.get(key, 0.0) + hours
        for k, cloud in enumerate(offers.sellers):
            sold, used, available, pressure, spot_rent = records[cloud.unique_id]
            g = int(offers.gen[k])
            spot = spot_fill[k] / offers.perf[k]
            sold[g] = offers.sold[k] + spot
            available[g] = offers.total[k]
            used[g] = used_by_key.get(_offer_key(model, cloud.account, g), 0.0) + spot
            own = sold[g] / max(offers.total[k], 1e-9)
            pressure[g] = min((1 - watch) * own + watch * market_use + rationed, 2.0)
            spot_rent.append(spot_fill[k] * offers.price_h100e[k])
        rent = contracts.by_provider(self.contracts)
        for account, amount in leases.by_provider(self.anchors).items():
            rent[account] = rent.get(account, 0.0) + amount
        self.top_customer_rent = _largest_customer(self.contracts, contracts)
        for account, amount in _largest_customer(self.anchors, leases).items():
            self.top_customer_rent[account] = max(self.top_customer_rent.get(account, 0.0),
                                                  amount)
        for cloud in model.neoclouds():
            sold, used, available, pressure, spot_rent = records[cloud.unique_id]
            cloud.settle_rentals(sold, used, available, pressure)
            cloud.earn_rent(rent.get(cloud.account, 0.0), spot_rent)

    def _record_market(self, offers: Offers, spot_fill: np.ndarray, contracted: np.ndarray,
                       need: np.ndarray, budget: np.ndarray, contract_cost: np.ndarray) -> None:
        """Prices, utilization and demand of the month, overall and by generation."""
        p = self.model.p
        sold_gpu = offers.sold + spot_fill / offers.perf
        spot_gpu = spot_fill / offers.perf
        spot_total = float(spot_fill.sum())
        if spot_total > 0:
            self.price_index = dot(spot_fill, offers.price_h100e) / spot_total
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
        size. What free capacity cannot cover, a tenant of at least
        ``neoclouds.build_to_suit_min_h100e`` contracts for capacity built to suit."""
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
        gap = target - contracted - self._on_order_h100e(rows)
        seekers = eligible[gap[eligible] > 0.2 * target[eligible]]
        if not len(seekers):
            return
        free = np.maximum(n.max_contract_share * offers.total - offers.sold, 0.0)
        ranked = np.argsort(offers.price_h100e, kind="stable")
        size_rank = np.argsort(np.argsort(need[eligible])) / max(len(eligible) - 1, 1)
        rank_of = dict(zip(eligible.tolist(), size_rank.tolist(), strict=True))
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
                               gpu_hours, price, model.month + 1, model.month + 1 + term))
                free[k] -= gpu_hours
                remaining -= gpu_hours * offers.perf[k]
            if remaining >= n.build_to_suit_min_h100e * HOURS_PER_MONTH:
                signed.extend(self.build_to_suit(int(rows[i]), remaining, term))
        self.contracts.add(signed)
        if signed:
            terms = np.array([(hours * model.perf[gen], hours * price)
                              for _, _, gen, hours, price, _, _ in signed])
            self.contract_price = float(terms[:, 1].sum() / terms[:, 0].sum())

    def _on_order_h100e(self, rows: np.ndarray) -> np.ndarray:
        """H100e-hours a month each startup (by live row) has under contracts built to suit
        that have not started: already contracted, so not sought again."""
        book = self.contracts
        pending = book.pending()
        if not len(pending):
            return np.zeros(len(rows))
        by_row = np.bincount(book.tenant[pending], weights=book.h100e_hours(pending, self.model.perf),
                             minlength=self.model.startups.size)
        return by_row[rows]

    def build_to_suit(self, tenant: int, h100e_hours: float,
                      term: int) -> list[tuple[int, int, int, float, float, int, int]]:
        """A tenant's contracts for capacity that does not exist yet (``h100e_hours`` a
        month), to be added to its contract book: the largest neoclouds,
        in order of installed capacity, each order what they can finance of the newest
        generation for it (lenders count the contract's rent in full), until the tenant's
        need is covered. The term starts when the GPUs are expected; the level price is the
        market's contract price for that compute today, averaged over the term at the rent
        decline the market has learnt (both sides expect newer chips to cheapen it)."""
        model = self.model
        gen = model.nvidia.newest_on_sale()
        if gen is None:
            return []
        wait = math.ceil(model.nvidia.lead_time(gen))
        price = (self.price_index * gen.perf * (1.0 - model.p.market.contract_discount)
                 * term_average(model.secondary.decline.decline, wait, term))
        start = model.month + wait
        signed = []
        builders = sorted(model.neoclouds(), key=lambda c: -c.installed_h100e())
        for cloud in builders[:model.p.neoclouds.build_to_suit_bidders]:
            gpus = h100e_hours / HOURS_PER_MONTH / gen.perf
            ordered = cloud.build_to_suit(gen, gpus, price * HOURS_PER_MONTH, term)
            if ordered > 0.0:
                signed.append((tenant, cloud.account, gen.index, ordered * HOURS_PER_MONTH,
                               price, start, start + term))
                h100e_hours -= ordered * HOURS_PER_MONTH * gen.perf
            if h100e_hours < model.p.neoclouds.build_to_suit_min_h100e * HOURS_PER_MONTH:
                break
        return signed

    def report(self) -> dict[str, float]:
        row = {"spot_price_h100e": self.price_index, "contract_price_h100e": self.contract_price,
               "utilization": self.utilization, **self.volumes}
        for g in self.model.gens:
            row[f"spot_price_{g.name}"] = self.gen_price.get(g.index, 0.0)
            row[f"utilization_{g.name}"] = self.gen_utilization.get(g.index, 0.0)
        return row
