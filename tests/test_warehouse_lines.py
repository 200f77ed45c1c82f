"""Warehouse lines, the bank-to-private-credit chain (docs/model.md#7810-lender-capital-
funding-and-failure): a private credit fund borrows part of its funding from a bank, so the
fund's losses reach the bank's capital and a bank short of capital makes its funds repay,
selling loans when their cash falls short."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.core.errors import ParameterError
from neocloud_abm.outputs.invariants import violations

BORROWED = 1e9  # $ a fund borrows beyond its cash in the constructed cases


def _model(share: float, months: int = 120, scenario: str = "baseline") -> NeocloudMarket:
    params = load_scenario(scenario).with_overrides(
        {"lenders.bank_funded_share": share, "market.months": months})
    return NeocloudMarket(params, rng=1)


def _fund_with_line(model: NeocloudMarket):
    fund = next(lender for lender in model.lenders() if lender.kind == "private_credit")
    fund.raise_cash(fund.cash + BORROWED)
    return fund, fund.warehouse_bank


def _lose(model: NeocloudMarket, lender, amount: float) -> None:
    """A loss of ``amount`` in cash, paid out of the model (the ledger still balances)."""
    model.ledger.sector_transfer("funding_markets", lender.account, amount, "test_loss",
                                 to_sector=True)


def test_each_fund_has_a_bank_and_borrows_the_bank_funded_share_from_it():
    model = _model(0.6)
    funds = [lender for lender in model.lenders() if lender.kind == "private_credit"]
    assert funds and all(f.warehouse_bank is not None and f.warehouse_bank.kind == "bank"
                         for f in funds)
    fund = funds[0]
    bank = fund.warehouse_bank
    before = fund.capital(), bank.capital(), bank.exposure()
    fund.raise_cash(fund.cash + BORROWED)
    assert fund.warehouse_debt == pytest.approx(0.6 * BORROWED)
    assert fund.funding_debt == pytest.approx(0.4 * BORROWED)
    assert bank.warehouse_lines() == pytest.approx(0.6 * BORROWED)
    # borrowing moves no capital; the line is the bank's exposure
    assert fund.capital() == pytest.approx(before[0])
    assert bank.capital() == pytest.approx(before[1])
    assert bank.exposure() == pytest.approx(before[2] + 0.6 * BORROWED)
    assert not violations(model)


def test_an_insolvent_funds_shortfall_is_its_banks_loss_pari_passu():
    model = _model(0.5)
    fund, bank = _fund_with_line(model)
    bank_capital = bank.capital()
    _lose(model, fund, fund.capital() + 2e8)  # the fund's capital is now -$0.2bn
    assert fund.capital() == pytest.approx(-2e8)
    # the bank holds half the fund's borrowing, so it bears half the shortfall
    assert bank.warehouse_impairment() == pytest.approx(1e8)
    assert bank.capital() == pytest.approx(bank_capital - 1e8)


# Losses that leave the bank, with $2bn of capital and the $1bn line, healthy (ratio 1.0),
# between its minimum and its lending threshold (ratio 0.13: health 0.5) and below its
# minimum (ratio 0.06: health 0).
@pytest.mark.parametrize("loss_share, healthy", [(0.5, True), (0.935, False), (0.97, False)])
def test_a_bank_calls_its_lines_as_its_capital_thins(loss_share, healthy):
    model = _model(1.0)
    fund, bank = _fund_with_line(model)
    _lose(model, bank, loss_share * bank.capital())
    health = bank.health()
    assert (health == 1.0) == healthy
    line = fund.warehouse_debt
    expected = model.p.lenders.funding_run_share * (1.0 - health) * line
    model.credit.meet_withdrawals(fund)
    assert model.credit.flows["warehouse_called_usd"] == pytest.approx(expected)
    assert fund.warehouse_debt == pytest.approx(line - expected)
    assert (expected > 0) == (health < 1)
    assert not violations(model)


def test_a_fund_short_of_cash_sells_loans_to_meet_its_banks_call():
    model = _model(1.0)
    while not any(lender.kind == "private_credit" and lender.warehouse_debt > 0
                  and model.credit.book_of(lender) for lender in model.lenders()):
        model.step()
    fund = next(lender for lender in model.lenders() if lender.kind == "private_credit"
                and lender.warehouse_debt > 0 and model.credit.book_of(lender))
    bank = fund.warehouse_bank
    _lose(model, fund, max(fund.cash, 0.0))  # no cash left
    _lose(model, bank, bank.capital())       # the bank's capital is gone: health 0
    line = fund.warehouse_debt
    model.credit.meet_withdrawals(fund)
    assert model.credit.flows["loans_sold_usd"] > 0
    assert model.credit.flows["warehouse_called_usd"] > 0
    assert fund.warehouse_debt < line


def test_a_failed_banks_lines_pass_to_the_healthiest_bank_that_can_take_them():
    model = _model(1.0)
    fund, failing = _fund_with_line(model)
    line = fund.warehouse_debt
    other = next(lender for lender in model.lenders()
                 if lender.kind == "bank" and lender is not failing)
    paid_before, received_before = other.cash, failing.cash
    model.credit.fail(failing)
    price = line * (1.0 - model.p.lenders.loan_sale_discount)
    assert fund.warehouse_bank is other and fund in other.warehouse_clients
    assert failing.warehouse_lines() == 0 and other.warehouse_lines() == pytest.approx(line)
    assert other.cash == pytest.approx(paid_before - price)
    assert failing.cash == pytest.approx(received_before + price)
    assert model.credit.flows["loans_sold_usd"] == pytest.approx(line)
    assert not violations(model)


@pytest.mark.slow
def test_when_a_bank_fails_in_a_stress_its_lines_move_or_are_called_down():
    """In the fire-sale stress to 2029, with every fund's borrowing on a bank line: whenever
    a bank with lines outstanding fails, its lines pass to another bank or its funds repay
    them (the call of a failed bank): a year later it holds at most half of them. (Measured:
    banks failed holding lines in 3 of seeds 1-20 under Python 3.11, in one case the lines
    moved; twenty seeds make a case near certain.)"""
    failures = 0
    for seed in range(1, 21):
        params = load_scenario("fire_sale_stress").with_overrides(
            {"lenders.bank_funded_share": 1.0, "market.months": 96})
        model = NeocloudMarket(params, rng=seed)
        failed_with_lines: dict[object, tuple[int, float, list]] = {}
        called = []
        for month in range(96):
            model.step()
            assert not violations(model), (seed, month)
            called.append(model.outputs["warehouse_called_usd"])
            for bank in model.lenders():
                if bank.failed and bank not in failed_with_lines and bank.warehouse_lines() > 0:
                    failed_with_lines[bank] = (month, bank.warehouse_lines(),
                                               list(bank.warehouse_clients))
            for bank, (when, lines, clients) in failed_with_lines.items():
                if month == when + 12:
                    moved = any(client not in bank.warehouse_clients for client in clients)
                    assert moved or sum(called[when:]) > 0, (seed, when)
                    assert bank.warehouse_lines() <= 0.5 * lines, (seed, when)
        failures += len(failed_with_lines)
    assert failures >= 1  # the property was exercised


def test_the_chain_is_reproducible():
    runs = [_model(1.0, months=60, scenario="credit_crunch") for _ in range(2)]
    for model in runs:
        for _ in range(60):
            model.step()
    first, second = (model.results() for model in runs)
    assert first.equals(second)
    assert first["warehouse_lines_usd"].max() > 0


def test_a_chain_without_banks_is_refused_naming_the_fields():
    with pytest.raises(ParameterError, match=r"lenders\.bank_funded_share.*lenders\.count >= 3"):
        load_scenario("baseline").with_overrides(
            {"lenders.bank_funded_share": 0.5, "lenders.count": 2})
    with pytest.raises(ParameterError, match=r"lenders\.bank_funded_share"):
        load_scenario("baseline").with_overrides({"lenders.bank_funded_share": 1.5})


# to 2029-12: the crunch of 2024-06 and the busts after it
CRUNCH_MONTHS = 96
# each compared statistic: the columns it sums over the run
CRUNCH_TOTALS = {"run": ["funding_withdrawn_usd", "warehouse_called_usd"],
                 "defaults": ["neocloud_defaults"], "lender losses": ["lender_losses_usd"],
                 "loans sold": ["loans_sold_usd"]}


@pytest.mark.slow
def test_in_the_credit_crunch_the_banks_calls_replace_the_outside_run():
    """With every fund's borrowing on bank lines, to 2029-12: lines are drawn in most seeds
    and called in at least half, and the banks' calls replace the outside funders' run one
    for one, so the run's size, neocloud defaults, lender losses and loans sold stay within
    1% of the crunch without the chain in most seeds (the banks stay healthy, so they call
    what outside funders would have withdrawn). Measured over seeds 1-20 under Python 3.11
    and 3.12: drawn in 20 and 18, called in 17 and 15; all four within 1% in 20 and 19."""
    seeds = range(1, 21)
    chained = [run("credit_crunch", seed, CRUNCH_MONTHS, lenders__bank_funded_share=1.0)
               for seed in seeds]
    alone = [run("credit_crunch", seed, CRUNCH_MONTHS) for seed in seeds]
    assert sum(df["warehouse_lines_usd"].max() > 0 for df in chained) >= 15
    assert sum(df["warehouse_called_usd"].sum() > 0 for df in chained) >= 10
    for name, columns in CRUNCH_TOTALS.items():
        with_chain = np.array([df[columns].to_numpy().sum() for df in chained])
        without = np.array([df[columns].to_numpy().sum() for df in alone])
        close = np.abs(with_chain - without) <= 0.01 * np.maximum(np.abs(without), 1.0)
        assert close.sum() >= 17, (name, with_chain, without)
