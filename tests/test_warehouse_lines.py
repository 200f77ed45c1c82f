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
from neocloud_abm.markets.provisioning import provision
from neocloud_abm.outputs.invariants import violations
from neocloud_abm.outputs.summary import summarize

BORROWED = 1e9  # $ a fund borrows beyond its cash in the constructed cases
SUPPORTED = 2e9  # $ of borrowing base its loans support there, so the base does not bind


def _model(share: float, months: int = 120, scenario: str = "baseline") -> NeocloudMarket:
    params = load_scenario(scenario).with_overrides(
        {"lenders.bank_funded_share": share, "market.months": months})
    return NeocloudMarket(params, rng=1)


def _supported(model: NeocloudMarket, monkeypatch: pytest.MonkeyPatch, fund) -> None:
    """The fund's loans support a borrowing base of SUPPORTED, at its last certificate and
    at every new one (the constructed cases give it the line before it has loans)."""
    fund.warehouse_base = SUPPORTED
    monkeypatch.setattr(model.credit, "borrowing_base", lambda lender: SUPPORTED)


def _fund_with_line(model: NeocloudMarket, monkeypatch: pytest.MonkeyPatch):
    fund = next(lender for lender in model.lenders() if lender.kind == "private_credit")
    _supported(model, monkeypatch, fund)
    fund.raise_cash(fund.cash + BORROWED)
    return fund, fund.warehouse_bank


def _lose(model: NeocloudMarket, lender, amount: float) -> None:
    """A loss of ``amount`` in cash, paid out of the model (the ledger still balances)."""
    model.ledger.sector_transfer("funding_markets", lender.account, amount, "test_loss",
                                 to_sector=True)


def test_each_fund_has_a_bank_and_borrows_the_bank_funded_share_from_it(monkeypatch):
    model = _model(0.6)
    funds = [lender for lender in model.lenders() if lender.kind == "private_credit"]
    assert funds and all(f.warehouse_bank is not None and f.warehouse_bank.kind == "bank"
                         for f in funds)
    fund = funds[0]
    bank = fund.warehouse_bank
    _supported(model, monkeypatch, fund)
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


def test_an_insolvent_funds_shortfall_is_its_banks_loss_pari_passu(monkeypatch):
    model = _model(0.5)
    fund, bank = _fund_with_line(model, monkeypatch)
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
def test_a_bank_calls_its_lines_as_its_capital_thins(loss_share, healthy, monkeypatch):
    model = _model(1.0)
    fund, bank = _fund_with_line(model, monkeypatch)
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


def _stepped_fund_with_loans(model: NeocloudMarket):
    """Run the model until a private credit fund holds loans and owes on its line; that fund."""
    def borrowing(lender) -> bool:
        return (lender.kind == "private_credit" and lender.warehouse_debt > 0
                and any(loan.holders[lender].drawn > 0 for loan in model.credit.book_of(lender)))
    while not any(borrowing(lender) for lender in model.lenders()):
        model.step()
    return next(lender for lender in model.lenders() if borrowing(lender))


def _carrying_values(model: NeocloudMarket, fund) -> list[tuple[int, float]]:
    """Each of the fund's holdings: the loan's stage and the holding's carrying value."""
    out = []
    for loan in model.credit.book_of(fund):
        drawn = loan.holders[fund].drawn
        if drawn > 0:
            stage, loss = provision(loan, model)
            out.append((stage, drawn - loss * loan.fraction_of(fund)))
    return out


def test_a_fund_short_of_cash_sells_loans_to_meet_its_banks_call():
    model = _model(1.0)
    fund = _stepped_fund_with_loans(model)
    bank = fund.warehouse_bank
    _lose(model, fund, max(fund.cash, 0.0))  # no cash left
    _lose(model, bank, bank.capital())       # the bank's capital is gone: health 0
    line = fund.warehouse_debt
    model.credit.meet_withdrawals(fund)
    assert model.credit.flows["loans_sold_usd"] > 0
    assert model.credit.flows["warehouse_called_usd"] > 0
    assert fund.warehouse_debt < line


def test_a_failed_banks_lines_pass_to_the_healthiest_bank_that_can_take_them(monkeypatch):
    model = _model(1.0)
    fund, failing = _fund_with_line(model, monkeypatch)
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


def test_the_borrowing_base_is_each_loan_at_its_stages_advance_rate_and_falls_as_loans_sour():
    model = _model(1.0)
    fund = _stepped_fund_with_loans(model)
    p = model.p.lenders
    holdings = _carrying_values(model, fund)
    expected = sum((p.warehouse_advance_rate if stage == 1 else p.warehouse_impaired_advance_rate)
                   * value for stage, value in holdings)
    assert model.credit.borrowing_base(fund) == pytest.approx(expected)
    assert 0 < expected <= p.warehouse_advance_rate * sum(value for _, value in holdings) * (1 + 1e-12)
    # used GPUs worth a fifth: every loan breaches its loan-to-value limit (stage 2 or 3)
    model.secondary.value = model.secondary.value * 0.2
    soured = _carrying_values(model, fund)
    assert all(stage >= 2 for stage, _ in soured)
    base = model.credit.borrowing_base(fund)
    assert base == pytest.approx(p.warehouse_impaired_advance_rate
                                 * sum(value for _, value in soured))
    assert base < expected


def test_a_fund_draws_on_its_line_only_within_its_borrowing_base():
    model = _model(1.0)
    fund = next(lender for lender in model.lenders() if lender.kind == "private_credit")
    fund.warehouse_base = 0.3 * BORROWED
    fund.raise_cash(fund.cash + BORROWED)
    assert fund.warehouse_debt == pytest.approx(0.3 * BORROWED)
    assert fund.funding_debt == pytest.approx(0.7 * BORROWED)
    # loans it buys join the base at the performing advance rate: with no cash left, the
    # line finances that rate of their cost, funding markets the rest
    _lose(model, fund, fund.cash)
    rate = model.p.lenders.warehouse_advance_rate
    fund.pay_out(BORROWED, "loan_draw", model.neoclouds()[0].account, buys_loans=True)
    assert fund.warehouse_base == pytest.approx((0.3 + rate) * BORROWED)
    assert fund.warehouse_debt == pytest.approx((0.3 + rate) * BORROWED)
    assert fund.funding_debt == pytest.approx((1.7 - rate) * BORROWED)


def test_a_chain_a_shock_turns_on_lends_only_against_certified_or_new_loans():
    """With the chain off nothing accrues to the base, so a dated shock that turns it on
    finds no stale base: the fund draws against the loans it buys and, from its first
    certificate (that month), against its whole book."""
    model = _model(0.0)
    for _ in range(24):
        model.step()
    funds = [lender for lender in model.lenders() if lender.kind == "private_credit"]
    assert all(fund.warehouse_base == 0 for fund in funds)
    holders = [fund for fund in funds
               if any(loan.holders[fund].drawn > 0 for loan in model.credit.book_of(fund))]
    assert holders
    model.p = model.p.with_overrides({"lenders.bank_funded_share": 1.0})
    model.step()
    assert all(fund.warehouse_base > 0 for fund in holders)
    assert all(fund.warehouse_debt <= fund.warehouse_base for fund in funds)
    assert not violations(model)


def test_souring_loans_make_even_a_healthy_bank_call_the_lines_excess_over_its_base():
    model = _model(1.0)
    fund = _stepped_fund_with_loans(model)
    bank = fund.warehouse_bank
    assert bank.health() == 1.0 and not fund.funders_run()
    # while its loans support the line, a healthy bank calls nothing
    assert model.credit.borrowing_base(fund) >= fund.warehouse_debt
    model.credit.flows = dict.fromkeys(model.credit.flows, 0.0)
    model.credit.meet_withdrawals(fund)
    assert model.credit.flows["warehouse_called_usd"] == 0
    assert model.credit.flows["warehouse_deficiency_usd"] == 0
    # the collateral loses four fifths of its value, so every loan is impaired (stage 2 or
    # 3), and the bank lends nothing against impaired loans
    model.secondary.value = model.secondary.value * 0.2
    model.p = model.p.with_overrides({"lenders.warehouse_impaired_advance_rate": 0.0})
    assert bank.health() == 1.0
    line = fund.warehouse_debt
    assert model.credit.borrowing_base(fund) == 0
    model.credit.meet_withdrawals(fund)
    assert model.credit.flows["warehouse_deficiency_usd"] == pytest.approx(line)
    assert model.credit.flows["warehouse_called_usd"] > 0
    assert fund.warehouse_debt < line
    assert not violations(model)


def test_summarize_reports_the_banks_calls_and_the_largest_deficiency():
    df = _model(1.0, months=96, scenario="credit_crunch").run().results()
    stats = summarize(df)
    assert stats["warehouse_called_usd"] == pytest.approx(df["warehouse_called_usd"].sum())
    assert stats["max_warehouse_deficiency_usd"] == df["warehouse_deficiency_usd"].max()
    assert stats["warehouse_called_usd"] > 0
    quiet = summarize(_model(0.0, months=24).run().results())
    assert quiet["warehouse_called_usd"] == quiet["max_warehouse_deficiency_usd"] == 0


def test_impaired_loans_supporting_more_than_performing_ones_is_refused():
    with pytest.raises(ParameterError, match=r"warehouse_impaired_advance_rate.*"
                                             r"warehouse_advance_rate"):
        load_scenario("baseline").with_overrides(
            {"lenders.warehouse_advance_rate": 0.5, "lenders.warehouse_impaired_advance_rate": 0.6})
    with pytest.raises(ParameterError, match=r"lenders\.warehouse_advance_rate"):
        load_scenario("baseline").with_overrides({"lenders.warehouse_advance_rate": 1.2})


@pytest.mark.slow
def test_when_a_bank_fails_in_a_stress_its_lines_move_or_are_called_down():
    """In the fire-sale stress to 2029, with every fund's borrowing on a bank line and lenders
    of $1bn of capital each (the low end of the plausible range, so that banks fail):
    whenever a bank with lines outstanding fails, its lines pass to another bank or its funds
    repay them (called by the failed bank, or repaid from the proceeds of a failed fund's
    loans): a year later it holds at most half of them. And the borrowing base binds: a
    fund's line exceeds it as its loans sour, and a fund that cannot cure the deficiency
    fails with its capital still positive (illiquid, not insolvent). (Measured over seeds 1-80
    under Pythons 3.11 and 3.12: banks failed holding lines in 6 and 7 seeds, 2 and 4 of
    the first forty, so eighty seeds to exercise the property on any machine; the base bound
    in 34 and 33; a fund failed solvent in a month of deficiency in 24 and 28.)"""
    seeds_with_failures = 0
    binding = 0
    illiquid = 0
    for seed in range(1, 81):
        params = load_scenario("fire_sale_stress").with_overrides(
            {"lenders.bank_funded_share": 1.0, "lenders.initial_capital": 1e9,
             "market.months": 96})
        model = NeocloudMarket(params, rng=seed)
        failed_with_lines: dict[object, tuple[int, float]] = {}
        deficiency = 0.0
        solvent_failure = False
        for month in range(96):
            standing = [f for f in model.lenders() if f.kind == "private_credit" and not f.failed]
            model.step()
            assert not violations(model), (seed, month)
            deficiency += model.outputs["warehouse_deficiency_usd"]
            solvent_failure |= model.outputs["warehouse_deficiency_usd"] > 0 and any(
                f.failed and f.capital() > 0 for f in standing)
            for bank in model.lenders():
                if bank.failed and bank not in failed_with_lines and bank.warehouse_lines() > 0:
                    failed_with_lines[bank] = (month, bank.warehouse_lines())
            for bank, (when, lines) in failed_with_lines.items():
                if month == when + 12:
                    assert bank.warehouse_lines() <= 0.5 * lines, (seed, when)
        seeds_with_failures += bool(failed_with_lines)
        binding += deficiency > 0
        illiquid += solvent_failure
    assert seeds_with_failures >= 1  # the property was exercised
    assert binding >= 24
    assert illiquid >= 16


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
def test_in_the_credit_crunch_the_banks_calls_replace_the_run_unless_the_base_binds():
    """With every fund's borrowing on bank lines, to 2029-12: lines are drawn in most seeds
    and called in at least half. Where no fund's line ever exceeds its borrowing base, the
    banks' calls replace the outside funders' run one for one in most seeds (the banks stay
    healthy, so they call what outside funders would have withdrawn): the run's size, neocloud
    defaults, lender losses and loans sold stay within 1% of the crunch without the chain.
    Measured over seeds 1-20: drawn in 19 and 18 under Pythons 3.11 and 3.12, called in 17;
    the base binds in 3 and 5; in the other 17 and 15 all four within 1% but in two (under
    both, seed 10: in 2024-11 the banks' calls and the remaining outside funders' withdrawals
    together exceed the run without the chain, more loans are sold, and the paths part; once
    a total 1.5% or 3.4% off). Asserted, so that one more seed either way cannot flip it: the
    base binds in some seeds and not in most, and in at least three quarters of those where
    it does not, all four totals are within 1%. Where the base binds the paths part, and which way the losses
    go is not robust over so few seeds, so it is not asserted here: that souring loans make
    even a healthy bank call the excess is tested directly above."""
    seeds = range(1, 21)
    chained = [run("credit_crunch", seed, CRUNCH_MONTHS, lenders__bank_funded_share=1.0)
               for seed in seeds]
    alone = [run("credit_crunch", seed, CRUNCH_MONTHS) for seed in seeds]
    assert sum(df["warehouse_lines_usd"].max() > 0 for df in chained) >= 15
    assert sum(df["warehouse_called_usd"].sum() > 0 for df in chained) >= 10
    binds = np.array([df["warehouse_deficiency_usd"].sum() > 0 for df in chained])
    assert 1 <= binds.sum() <= 17, binds
    for name, columns in CRUNCH_TOTALS.items():
        with_chain = np.array([df[columns].to_numpy().sum() for df in chained])
        without = np.array([df[columns].to_numpy().sum() for df in alone])
        close = np.abs(with_chain - without) <= 0.01 * np.maximum(np.abs(without), 1.0)
        assert close[~binds].mean() >= 0.75, (name, with_chain, without)
