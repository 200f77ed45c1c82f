"""Aggregates the model keeps instead of recomputing (fleet counts and values, each
buyer's orders at Nvidia and each generation's backlog, collateral marks, lenders' books and
seized GPUs, stock volatilities, contracts served in full, spot demand at many prices) equal,
to the last bit, what a fresh pass over the underlying records gives: the shortcuts that make
a month cheap must never make it different."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.core.fleet import Cohort, Fleet
from neocloud_abm.markets.rental import demand_at, demand_curve, serve_in_order

GENERATIONS = 4


def fresh_counts(fleet: Fleet) -> np.ndarray:
    counts = np.zeros(GENERATIONS)
    for cohort in fleet:
        counts[cohort.gen] += cohort.count
    return counts


def assert_fleet_matches_its_cohorts(fleet: Fleet, month: int, life: int) -> None:
    counts = fresh_counts(fleet)
    assert np.array_equal(fleet.counts(), counts)
    assert fleet.installed() == {g: float(counts[g]) for g in range(GENERATIONS) if counts[g] > 0}
    assert fleet.book_value(month, life) == sum(
        c.count * c.unit_cost * max(0.0, 1.0 - (month - c.acquired) / life) for c in fleet)
    assert fleet.depreciation(month, life) == sum(
        c.count * c.unit_cost / life for c in fleet if month - c.acquired < life)
    for loan in {c.loan for c in fleet if c.loan is not None} | {99}:
        pledged = np.zeros(GENERATIONS)
        for c in fleet:
            if c.loan == loan:
                pledged[c.gen] += c.count
        assert np.array_equal(fleet.pledged(loan), pledged)
    assert fleet.oldest() == min((c.acquired for c in fleet), default=None)


def test_a_fleets_cached_aggregates_follow_every_kind_of_change():
    """Deliveries (new cohorts and ones merged into the last), used lots bought in the same
    month, partial sales, seizures, releases, retirements and clean-ups in random order,
    with the aggregates read after each: always the fresh sums, bit for bit."""
    rng = np.random.default_rng(7)
    fleet, month, life = Fleet(GENERATIONS), 0, 24
    operations = ("deliver", "deliver", "buy_used", "sell_part", "seize", "release", "retire",
                  "clean_up", "next_month")
    for _ in range(3000):
        operation = operations[int(rng.integers(len(operations)))]
        if operation == "deliver":
            fleet.add(Cohort(int(rng.integers(GENERATIONS)), float(rng.uniform(1, 5000)), month,
                             float(rng.uniform(2e4, 4e4)), int(rng.integers(5))))
        elif operation == "buy_used":  # same generation and month as the last: merged
            last = fleet.cohorts[-1] if len(fleet) else None
            gen = last.gen if last is not None and rng.random() < 0.7 else int(rng.integers(GENERATIONS))
            fleet.add(Cohort(gen, float(rng.uniform(1, 500)), month, float(rng.uniform(5e3, 2e4))))
        elif operation == "sell_part" and len(fleet):
            cohort = fleet.cohorts[int(rng.integers(len(fleet)))]
            fleet.sell_part(cohort, cohort.count * float(rng.uniform(0, 1)))
        elif operation == "seize":
            fleet.seize(int(rng.integers(5)))
        elif operation == "release":
            fleet.release(int(rng.integers(5)))
        elif operation == "retire":
            fleet.remove(lambda c, month=month: month - c.acquired >= life and c.loan is None)
        elif operation == "clean_up":
            fleet.keep(lambda c: c.count > 1e-9)
        elif operation == "next_month":
            month += 1
        assert_fleet_matches_its_cohorts(fleet, month, life)
    assert len(fleet) > 50  # the sequence built a fleet of some size, not an empty one


@pytest.mark.parametrize("scenario", ["baseline", "fire_sale_stress"])
def test_a_runs_kept_aggregates_equal_fresh_ones_every_month(scenario):
    """Through a boom and a bust with fire sales: every firm's fleet aggregates, its orders
    at Nvidia (backlog and the cash they still need), every loan's drawn balance and
    collateral mark, each generation's backlog, each lender's book and seized GPUs and each
    stock's volatility, against fresh passes over the records, every month."""
    model = NeocloudMarket(load_scenario(scenario).with_overrides({"market.months": 60}), rng=3)
    nvidia, perf = model.nvidia, [g.perf for g in model.gens]
    install = model.p.market.install_multiplier
    loans_checked = seized_lots = 0
    for _ in range(60):
        model.step()
        life = model.p.neoclouds.assumed_life_months
        for cloud in model.neoclouds():
            counts = np.zeros(len(model.gens))
            for cohort in cloud.fleet:
                counts[cohort.gen] += cohort.count
            assert np.array_equal(cloud.fleet.counts(), counts)
            assert cloud.fleet_book_value() == sum(
                c.count * c.unit_cost * max(0.0, 1.0 - (model.month - c.acquired) / life)
                for c in cloud.fleet)
            mine = [o for o in nvidia.orders if o.buyer is cloud]
            assert nvidia.backlog_h100e(cloud) == sum(o.remaining * perf[o.gen] for o in mine)
            assert nvidia.own_funds_committed(cloud) == sum(
                o.remaining * o.chip_price * install * (1.0 - (o.loan.advance if o.loan else 0.0))
                for o in mine)
            for loan in cloud.loans:
                assert loan.drawn == sum(share.drawn for share in loan.holders.values())
                assert loan.undrawn == sum(share.undrawn for share in loan.holders.values())
                pledged = np.zeros(len(model.gens))
                for cohort in cloud.fleet:
                    if cohort.loan == loan.id:
                        pledged[cohort.gen] += cohort.count
                assert loan.collateral_value(model) == float(pledged @ model.secondary.value)
                loans_checked += 1
        for gen in model.gens:
            assert nvidia.backlog(gen) == sum(o.remaining for o in nvidia.orders
                                              if o.gen == gen.index)
        for lender in model.lenders():
            book = model.credit.book_of(lender)
            assert lender.loan_book() == sum(loan.holders[lender].drawn for loan in book)
            assert lender.undrawn() == sum(loan.holders[lender].undrawn for loan in book)
            assert lender.seized_value() == sum(lot.count * lot.mark for lot in lender.seized)
            seized_lots += len(lender.seized)
        for uid, listing in model.equity.listings.items():
            if listing.closes:
                assert model.equity.volatility(uid) == fresh_volatility(model, listing.closes)
    assert loans_checked > 100
    assert seized_lots > 0 or scenario == "baseline"


def fresh_volatility(model: NeocloudMarket, closes: list[float]) -> float:
    decay = model.p.hedge_funds.volatility_decay
    variance = model.p.equity.noise ** 2
    for before, after in itertools.pairwise(closes):
        variance = decay * variance + (1.0 - decay) * math.log(after / before) ** 2
    return math.sqrt(variance)


def served_one_offer_at_a_time(keys: np.ndarray, promised: np.ndarray,
                               capacity: dict[int, float]) -> np.ndarray:
    """The seniority rule offer by offer: each contract in full while the offer's capacity
    lasts, in order of signing, never more in all than the capacity."""
    served = np.zeros_like(promised)
    for key in np.unique(keys):
        rows = np.flatnonzero(keys == key)
        available = max(capacity.get(int(key), 0.0), 0.0)
        ahead = np.cumsum(promised[rows]) - promised[rows]
        share = np.clip(available - ahead, 0.0, promised[rows])
        total = share.sum()
        served[rows] = share * (available / total) if total > available > 0 else share
    return served


def test_offers_with_room_to_spare_are_served_as_the_seniority_rule_serves_them():
    """Contract service skips the running sums for offers with capacity to spare: over
    random books, with capacities at, just above, just below, well above and below what
    is promised, none or missing, the hours served are the rule's, bit for bit."""
    rng = np.random.default_rng(11)
    for _ in range(400):
        n = int(rng.integers(1, 60))
        keys = rng.integers(0, 8, size=n)
        promised = rng.lognormal(10.0, 2.0, size=n) * (rng.random(n) > 0.1)
        capacity = {}
        for key in np.unique(keys):
            total = float(promised[keys == key].sum())
            factor = rng.choice([1.0, 1.0 + 1e-12, 1.0 - 1e-12, 1.0 + 2e-9, 1.5, 0.5, 0.0, -1.0])
            if factor >= 0.0:
                capacity[int(key)] = total * float(factor)
        assert np.array_equal(serve_in_order(keys, promised, capacity),
                              served_one_offer_at_a_time(keys, promised, capacity))


def test_the_demand_curve_at_many_prices_is_the_demand_at_each_price():
    """Spot clearing asks for the buyers' total demand at every offer's price in one pass:
    over random markets of 1 to 3,000 buyers (sums short and long, with and without the
    cap of their budgets and contracts above need), each total is that of one price at a
    time, bit for bit."""
    rng = np.random.default_rng(5)
    for size in (1, 3, 7, 8, 9, 127, 128, 129, 500, 3000):
        need = rng.lognormal(10.0, 2.0, size) * (rng.random(size) > 0.2)
        contracted = need * rng.uniform(0.0, 1.5, size)
        budget = rng.lognormal(10.0, 2.0, size)
        prices = rng.uniform(0.3, 12.0, int(rng.integers(1, 40)))
        elasticity, reference = float(rng.uniform(0.2, 2.0)), float(rng.uniform(1.0, 5.0))
        one_at_a_time = [float(demand_at(price, need, contracted, budget, elasticity,
                                         reference).sum()) for price in prices]
        assert demand_curve(prices, need, contracted, budget, elasticity,
                            reference) == one_at_a_time
