"""Hedge-fund leverage that binds: prime brokers' margins rise with measured volatility, funds
plan within their margin and the market's room, and margin calls force sales into falling
prices (Thurner, Farmer & Geanakoplos 2012; Brunnermeier & Pedersen 2009)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import assert_increase, concentrate, paired, run

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.agents.hedge_fund import fill_by_signal, funds, haircut
from neocloud_abm.outputs.invariants import violations

LEVERED = {"hedge_funds.target_leverage": 5.0, "hedge_funds.max_leverage": 10.0}
SHOCK_SEEDS = tuple(range(1, 21))
SHOCK_MONTHS = 72  # to 2027-12: the generation shock (2024-09) and the busts that follow it


def _levered_run(seed: int):
    """The levered generation shock, shared by the margin-call and prime-broker tests."""
    return run("blackwell_shock", seed, SHOCK_MONTHS,
               **{k.replace(".", "__"): v for k, v in LEVERED.items()})


def _warm(seed: int = 5, months: int = 18, **overrides: object) -> NeocloudMarket:
    return NeocloudMarket(load_scenario("baseline").with_overrides(overrides), rng=seed).run(months)


def _largest(model: NeocloudMarket):
    return max(model.equity.tradable(), key=lambda lst: lst.shares * lst.price)


def test_volatility_is_the_exponentially_weighted_sd_of_the_closes():
    model = _warm()
    market, hf = model.equity, model.p.hedge_funds
    listing = _largest(model)
    listing.closes = [10.0, 11.0, 9.9, 10.5]
    variance = model.p.equity.noise ** 2
    for before, after in itertools.pairwise(listing.closes):
        variance = hf.volatility_decay * variance + (1 - hf.volatility_decay) * math.log(after / before) ** 2
    assert market.volatility(listing.firm.unique_id) == pytest.approx(math.sqrt(variance))
    listing.closes[-1] = 5.0  # a trade moves the close: the measure follows at once
    assert market.volatility(listing.firm.unique_id) > math.sqrt(variance)


def test_margins_rise_with_volatility_from_the_calm_floor_to_one():
    model = _warm()
    hf = model.p.hedge_funds
    listing = _largest(model)
    uid = listing.firm.unique_id
    listing.closes = [listing.price] * 61
    assert haircut(model, uid) == pytest.approx(1.0 / hf.max_leverage)
    listing.closes = [listing.price * (1.6 if i % 2 else 1.0) for i in range(61)]
    assert haircut(model, uid) == 1.0
    listing.closes = [listing.price * (1.25 if i % 2 else 1.0) for i in range(61)]
    measured = hf.margin_var_multiple * model.equity.volatility(uid)
    assert 1.0 / hf.max_leverage < measured < 1.0
    assert haircut(model, uid) == pytest.approx(measured)


def test_fill_by_signal_spreads_by_signal_within_each_firms_room():
    assert fill_by_signal(100.0, {1: 1.0, 2: 1.0, 3: 2.0}, {1: 10.0, 2: 100.0, 3: 100.0}) == (
        pytest.approx({1: 10.0, 2: 30.0, 3: 60.0}))
    assert fill_by_signal(100.0, {1: 1.0, 2: 3.0}, {1: 1e9, 2: 1e9}) == pytest.approx({1: 25.0, 2: 75.0})
    assert fill_by_signal(100.0, {1: 1.0, 2: 1.0}, {1: 20.0, 2: 30.0}) == pytest.approx({1: 20.0, 2: 30.0})
    assert fill_by_signal(100.0, {1: 1.0}, {1: 0.0}) == {1: 0.0}


def test_targets_fit_the_funds_margin_and_the_markets_room():
    model = _warm(**LEVERED)
    market = model.equity
    values = {lst.firm.unique_id: market.fundamental_value(lst.firm) for lst in market.tradable()}
    planned = 0
    for fund in funds(model):
        targets = fund.targets(values)
        side = -1.0 if fund.strategy == "short" else 1.0
        margin = sum(abs(x) * market.listings[uid].price * haircut(model, uid)
                     for uid, x in targets.items())
        assert margin <= fund.capital() * (1 + 1e-9)
        room = market.room(fund, targets, side)
        for uid, shares in targets.items():
            assert side * shares >= 0.0
            assert abs(shares) <= room[uid] * (1 + 1e-9)
        planned += bool(targets)
    assert planned >= 2


def test_a_volatility_spike_alone_forces_a_levered_fund_to_sell():
    model = _warm()
    fund, listing = concentrate(model)
    uid = listing.firm.unique_id
    assert fund.margin_required() < fund.capital()
    assert not fund.margin_call() and fund.forced_sales == 0.0
    price, held = listing.price, fund.positions[uid]
    listing.closes = [*[price * (1.5 if i % 2 else 1.0) for i in range(60)], price]
    assert fund.margin_required() > fund.capital()
    assert fund.margin_call()
    assert 0.0 < fund.positions[uid] < held and listing.price < price
    assert fund.forced_sales > 0.0
    assert fund.margin_required() <= fund.capital() * (1 + 1e-6)
    assert abs(model.ledger.total()) <= 1e-9 * max(model.ledger.scale(), 1.0)
    assert violations(model) == []


def _calls(df) -> float:
    return float(df["hedge_fund_margin_calls"].sum())


@pytest.mark.slow
def test_levered_funds_meet_margin_calls_in_most_seeds_of_a_generation_shock():
    """Issue target: margin calls in at least 6 of 10 seeds; held as 60% of 20 seeds, with
    forced deleveraging reported in exactly the months of the calls (measured to 2027-12: 20
    of 20 under Pythons 3.11 and 3.12)."""
    runs = [_levered_run(seed) for seed in SHOCK_SEEDS]
    called = [_calls(df) > 0 for df in runs]
    assert sum(called) >= 0.6 * len(SHOCK_SEEDS), called
    for df in runs:
        calls = df["hedge_fund_margin_calls"].to_numpy() > 0
        np.testing.assert_array_equal(calls, df["hedge_fund_forced_sales_usd"].to_numpy() > 0)
        assert (df["hedge_fund_leverage"] >= 0).all()


@pytest.mark.slow
def test_volatility_margins_call_more_often_than_a_fixed_limit():
    """Paired over 20 seeds of the levered generation shock: margins that rise with
    volatility force more margin calls than the same calm limit held fixed (measured to
    2027-12: a median 3 and 5.5 more, more in 20 seeds under both, p = 4e-5)."""
    fixed = ("blackwell_shock", {**LEVERED, "hedge_funds.margin_var_multiple": 0.0})
    differences = paired(_calls, fixed, ("blackwell_shock", LEVERED), months=SHOCK_MONTHS,
                         seeds=SHOCK_SEEDS)
    assert_increase(differences, 1.0, "margin calls, volatility margins minus fixed")


def test_month_end_margin_debt_is_borrowed_from_the_funds_bank():
    """After each month every fund with a broker holds no negative cash and its margin debt
    is its bank's asset (the invariants check the books match); a levered run borrows."""
    model = NeocloudMarket(load_scenario("blackwell_shock").with_overrides(LEVERED), rng=2)
    borrowed = 0.0
    for _ in range(36):
        model.step()
        for fund in funds(model):
            assert fund.broker is not None and fund.broker.kind == "bank"
            assert fund.cash >= -1e-6 and fund.margin_debt >= 0.0
            assert min(fund.cash, fund.margin_debt) <= 1e-6 * max(fund.margin_debt, 1.0)
        borrowed = max(borrowed, model.outputs["hedge_fund_margin_debt_usd"])
        assert violations(model) == []
    assert borrowed > 0.0


def test_margin_debt_pays_the_brokers_funding_rate_plus_a_spread():
    model = _warm(**LEVERED)
    fund = next(f for f in funds(model) if f.margin_debt > 0 or f.strategy == "momentum")
    broker = fund.broker
    fund.margin_debt = max(fund.margin_debt, 1e8)
    broker.margin_loans = sum(f.margin_debt for f in funds(model) if f.broker is broker)
    cash = model.ledger.balance(broker.account)
    rate = broker.funding_rate() + model.p.hedge_funds.margin_spread
    assert broker.margin_rate() == pytest.approx(rate)
    fund.pay_financing()
    assert model.ledger.balance(broker.account) - cash == pytest.approx(fund.margin_debt * rate / 12)


def test_a_failed_brokers_clients_move_to_the_healthiest_bank():
    model = _warm(**LEVERED)
    fund = max(funds(model), key=lambda f: f.margin_debt)
    old = fund.broker
    others = [x for x in model.lenders() if x.kind == "bank" and x is not old and not x.failed]
    assert others
    healthiest = max(others, key=lambda bank: bank.capital_ratio())
    debt, old_loans = fund.margin_debt, old.margin_loans
    old.fail()
    fund.settle_margin()
    assert fund.broker is healthiest
    assert old.margin_loans == pytest.approx(old_loans - debt)
    assert violations(model) == []


def test_prime_broker_losses_come_only_with_fund_wind_ups():
    """A broker loses only what a fund it is winding up cannot repay (measured to 2027-12:
    losses in 9 and 8 of 20 seeds under Pythons 3.11 and 3.12)."""
    lost = 0
    for seed in SHOCK_SEEDS:
        df = _levered_run(seed)
        losses = df["prime_broker_losses_usd"].to_numpy()
        assert (losses >= 0).all()
        assert (df["hedge_fund_failures"].to_numpy()[losses > 0] > 0).all()
        lost += bool((losses > 0).any())
    assert lost >= 3, "brokers lose in some seeds: the check is not vacuous"


def test_unbounded_fund_inflows_let_margin_debt_reach_tens_of_billions():
    """docs/model.md section 8 (hedge funds grow without bound): investors add money after
    good returns with no limit, so in some `blackwell_shock` runs the funds' margin debt
    exceeds $10bn (measured in 6 and 5 of seeds 1-20, up to $82bn and $43bn, under Pythons
    3.11 and 3.12; 3 and 1 of seeds 1-10)."""
    peaks = [run("blackwell_shock", seed)["hedge_fund_margin_debt_usd"].max()
             for seed in range(1, 21)]
    assert sum(p > 10e9 for p in peaks) >= 3, np.round(np.array(peaks) / 1e9, 1)
