"""The market for GPU-hours: take-or-pay term contracts first, then spot clearing.

Spot clearing is a noisy merit order: offers (one per neocloud and generation, plus the
hyperscalers' outside option) are taken in order of perceived perf-adjusted price, each
filled up to what buyers still demand at that price. Cost is O(K log K + K N) for K offers
and N buyers: linear in the number of startups, with K bounded by neoclouds x generations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HOURS_PER_MONTH = 730.0


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

    def add(self, tenant: int, provider: int, gen: int, gpu_hours: float, price: float,
            end: int) -> None:
        for name, value in (("tenant", tenant), ("provider", provider), ("gen", gen),
                            ("gpu_hours", gpu_hours), ("price", price), ("end", end),
                            ("active", True)):
            setattr(self, name, np.append(getattr(self, name), value))

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


def _sum_by_offer(model, rows: np.ndarray, weights: np.ndarray) -> dict[int, float]:
    """Sum contract quantities by (provider, generation) key."""
    if not len(rows):
        return {}
    book = model.contracts
    keys = _offer_key(model, book.provider[rows], book.gen[rows])
    unique, inverse = np.unique(keys, return_inverse=True)
    return dict(zip(unique.tolist(), np.bincount(inverse, weights=weights).tolist(), strict=True))


def build_offers(model, contract_rows: np.ndarray, contract_hours: np.ndarray) -> Offers:
    """One offer per (neocloud, generation) with GPUs installed; ``contracted`` holds the
    hours its live contracts take this month (``contract_hours``, already capped by what
    the provider has installed, so it never exceeds ``total``)."""
    contracted_by_key = _sum_by_offer(model, contract_rows, contract_hours)
    sellers, gen, total, contracted, price = [], [], [], [], []
    for cloud in model.neoclouds():
        for g, count in sorted(cloud.gpus().items()):
            sellers.append(cloud)
            gen.append(g)
            total.append(count * HOURS_PER_MONTH)
            contracted.append(contracted_by_key.get(_offer_key(model, cloud.account, g), 0.0))
            price.append(cloud.prices[g])
    gen_arr = np.array(gen, dtype=int)
    perf = np.array([model.gens[g].perf for g in gen_arr])
    return Offers(sellers, gen_arr, perf, np.array(price), np.array(total), np.array(contracted))


def deliverable_hours(model, live: np.ndarray) -> np.ndarray:
    """GPU-hours each live contract can be served this month: in full, unless its provider
    has fewer GPUs of that generation installed than its contracts promise (after distress
    sales, seizures or retirement), in which case all of them are served pro rata. A tenant
    pays only for hours delivered, so hours sold never exceed hours installed."""
    promised = model.contracts.gpu_hours[live]
    if not len(live):
        return promised
    installed = {_offer_key(model, cloud.account, g): count * HOURS_PER_MONTH
                 for cloud in model.neoclouds() for g, count in cloud.gpus().items()}
    promised_by_key = _sum_by_offer(model, live, promised)
    keys = _offer_key(model, model.contracts.provider[live], model.contracts.gen[live])
    share = np.array([min(1.0, installed.get(key, 0.0) / promised_by_key[key]) if promised_by_key[key] > 0
                      else 0.0 for key in keys.tolist()])
    return promised * share


def run_month(model) -> None:
    """Event 4: contracts are served and paid, spot demand clears, new contracts are signed."""
    p, ledger, table, book = model.p, model.ledger, model.startups, model.contracts
    month = model.month
    book.expire(month)
    if book.active.size > 4 * max(int(book.active.sum()), 64):
        book.compact()
    live = book.live()
    perf_of = np.array([g.perf for g in model.gens])
    rows = table.live_rows()
    need = table.need[rows] * model.env.nvidia_share
    elasticity, reference = p.startups.price_elasticity, p.market.reference_price_h100e

    # Take-or-pay: tenants owe every hour delivered whatever they use; short payers fail.
    hours = deliverable_hours(model, live)
    owed = hours * book.price[live]
    tenant_owes = np.bincount(book.tenant[live], weights=owed, minlength=table.size)
    cash = ledger.balances(table.account[: table.size])
    paid_share = np.where(tenant_owes > 0, np.minimum(1.0, np.maximum(cash, 0.0)
                                                      / np.maximum(tenant_owes, 1e-12)), 1.0)
    contract_paid = owed * paid_share[book.tenant[live]]
    ledger.transfer_many(table.account[book.tenant[live]], book.provider[live], contract_paid,
                         "contract_rent")
    defaulting_tenants = np.flatnonzero(paid_share < 1.0 - 1e-12)
    contract_h100e = np.bincount(book.tenant[live], weights=hours * perf_of[book.gen[live]],
                                 minlength=table.size)
    contract_cost = tenant_owes * paid_share

    offers = build_offers(model, live, hours)
    index_price = model.price_index
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
    clearing = model.clearing_account
    ledger.transfer_many(table.account[rows], clearing, result.spend, "spot_rent")
    neo_fill = result.fill[:-1]
    ledger.transfer_many(clearing, np.array([s.account for s in offers.sellers], dtype=int),
                         neo_fill * offers.price_h100e, "spot_rent_received")
    ledger.transfer(clearing, ledger.sector["hyperscalers"],
                    max(ledger.balance(clearing), 0.0), "outside_option")

    capacity = max(float((offers.total * offers.perf).sum()), 1e-9)
    market_use = float(((offers.contracted * offers.perf).sum() + neo_fill.sum()) / capacity)
    _record_sellers(model, offers, live, hours, full_use, neo_fill, market_use,
                    result.unmet / capacity)
    _record_revenue(model, offers, live, contract_paid, neo_fill)
    model.nvidia.backstop(offers, offers.contracted + neo_fill / offers.perf)
    table.obtained[rows] = np.minimum(contract_h100e[rows], desired) + result.bought
    table.spend[rows] = contract_cost[rows] + result.spend
    table.desired[rows] = desired
    _record_market(model, offers, neo_fill, contract_h100e[rows], need, table.budget[rows],
                   contract_cost[rows])
    sign_contracts(model, offers, rows, need, contract_h100e[rows])
    for row in defaulting_tenants:
        if table.alive[row]:
            table.agents[row].fail()
            model.month_stats["startup_failures"] += 1


def _record_sellers(model, offers: Offers, live: np.ndarray, hours: np.ndarray, use: np.ndarray,
                    spot_fill: np.ndarray, market_use: float, rationed: float) -> None:
    """Write each neocloud's hours sold, hours used and demand pressure by generation:
    pressure blends its own utilization with the market's, plus rationed demand per unit
    of capacity (the queue of buyers nobody could serve)."""
    watch = model.p.neoclouds.market_watch
    book = model.contracts
    for cloud in model.neoclouds():
        cloud.sold_gpu_hours.clear()
        cloud.used_gpu_hours.clear()
        cloud.available_gpu_hours.clear()
        cloud.pressure.clear()
    used_by_key = _sum_by_offer(model, live, hours * use[book.tenant[live]])
    for k, cloud in enumerate(offers.sellers):
        g = int(offers.gen[k])
        used = used_by_key.get(_offer_key(model, cloud.account, g), 0.0)
        spot = spot_fill[k] / offers.perf[k]
        cloud.sold_gpu_hours[g] = offers.contracted[k] + spot
        cloud.available_gpu_hours[g] = offers.total[k]
        cloud.used_gpu_hours[g] = used + spot
        own = cloud.sold_gpu_hours[g] / max(offers.total[k], 1e-9)
        cloud.pressure[g] = min((1 - watch) * own + watch * market_use + rationed, 2.0)


def _record_revenue(model, offers: Offers, live: np.ndarray, contract_paid: np.ndarray,
                    spot_fill: np.ndarray) -> None:
    """Each neocloud's rental revenue this month: contract rent received plus spot sales."""
    by_account: dict[int, float] = {}
    if len(live):
        accounts, inverse = np.unique(model.contracts.provider[live], return_inverse=True)
        by_account = dict(zip(accounts.tolist(), np.bincount(inverse, weights=contract_paid).tolist(),
                              strict=True))
    for cloud in model.neoclouds():
        cloud.revenue = by_account.get(cloud.account, 0.0)
    for k, cloud in enumerate(offers.sellers):
        cloud.revenue += spot_fill[k] * offers.price_h100e[k]


def _record_market(model, offers: Offers, spot_fill: np.ndarray, contracted: np.ndarray,
                   need: np.ndarray, budget: np.ndarray, contract_cost: np.ndarray) -> None:
    """Prices, utilization and demand of the month, overall and by generation."""
    p = model.p
    stats = model.month_stats
    sold_gpu = offers.contracted + spot_fill / offers.perf
    spot_gpu = spot_fill / offers.perf
    if spot_fill.sum() > 0:
        model.price_index = float(spot_fill @ offers.price_h100e / spot_fill.sum())
    elif len(offers.gen):
        model.price_index = float(np.average(offers.price_h100e, weights=offers.total))
    model.gen_price, model.gen_utilization = {}, {}
    for g in np.unique(offers.gen):
        mask = offers.gen == g
        weights = spot_gpu[mask] if spot_gpu[mask].sum() > 0 else offers.total[mask]
        model.gen_price[int(g)] = float(np.average(offers.price[mask], weights=weights))
        model.gen_utilization[int(g)] = float(sold_gpu[mask].sum() / offers.total[mask].sum())
    available = float((offers.total * offers.perf).sum())
    sold = float((sold_gpu * offers.perf).sum())
    index = model.price_index
    spot_demand = demand_at(index, need, contracted, np.maximum(budget - contract_cost, 0.0),
                            p.startups.price_elasticity, p.market.reference_price_h100e)
    stats["demand_h100e_hours"] = float(contracted.sum() + spot_demand.sum())
    stats["sold_h100e_hours"] = sold
    stats["available_h100e_hours"] = available
    stats["utilization"] = sold / available if available > 0 else 0.0


def sign_contracts(model, offers: Offers, rows: np.ndarray, need: np.ndarray,
                   contracted: np.ndarray) -> None:
    """Large startups put a share of their need under take-or-pay term contracts, at the
    provider's posted price less a discount, for terms that lengthen with their size."""
    p = model.p
    s, n = p.startups, p.neoclouds
    stats = model.month_stats
    if not len(rows) or not len(offers.gen):
        return
    threshold = np.quantile(need, s.contract_size_quantile)
    eligible = np.flatnonzero(need >= threshold)
    contract_price_h100e = model.price_index * (1.0 - p.market.contract_discount)
    desired = need * (model.price_index / p.market.reference_price_h100e) ** -s.price_elasticity
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
            model.contracts.add(int(rows[i]), offers.sellers[k].account, int(offers.gen[k]),
                                gpu_hours, price, model.month + 1 + term)
            free[k] -= gpu_hours
            remaining -= gpu_hours * offers.perf[k]
            signed_value += gpu_hours * price
            signed_hours += gpu_hours * offers.perf[k]
    if signed_hours > 0:
        model.contract_price = signed_value / signed_hours
    stats["contract_price_h100e"] = model.contract_price
