"""The finance layer: GPU-backed loans, covenants, defaults, seizure and fire sales."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import SEEDS, assert_increase, paired, run

from neocloud_abm import NeocloudMarket, ParameterError, Params, load_scenario, summarize
from neocloud_abm.outputs.invariants import violations


def _model_with_loans(seed: int = 1, months: int = 24) -> NeocloudMarket:
    model = NeocloudMarket(load_scenario("baseline"), rng=seed)
    model.run(months)
    assert any(loan.drawn > 0 for lender in model.lenders() for loan in model.credit.book_of(lender))
    return model


def test_loans_are_secured_by_delivered_cohorts_and_marked_to_market():
    model = _model_with_loans()
    for lender in model.lenders():
        for loan in model.credit.book_of(lender):
            if loan.drawn > 0:
                pledged = [c for c in loan.borrower.fleet if c.loan == loan.id]
                assert pledged, "a drawn loan must have collateral"
                value = sum(c.count * model.secondary.value[c.gen] for c in pledged)
                assert loan.collateral_value(model) == pytest.approx(value)
    df = model.results()
    assert (df["debt_outstanding_usd"] >= 0).all() and df["debt_outstanding_usd"].iloc[-1] > 0
    assert df["new_lending_usd"].sum() >= df["debt_outstanding_usd"].iloc[-1]


def test_a_forced_default_seizes_collateral_and_its_fire_sale_marks_down_other_loans():
    model = _model_with_loans(seed=2, months=30)
    loans = [loan for lender in model.lenders() for loan in model.credit.book_of(lender) if loan.drawn > 0]
    by_gen: dict[int, list] = {}
    for loan in loans:
        for cohort in loan.borrower.fleet:
            if cohort.loan == loan.id:
                by_gen.setdefault(cohort.gen, []).append(loan)
    gen, victims = max(by_gen.items(), key=lambda item: len({x.borrower for x in item[1]}))
    defaulter = max({x.borrower for x in victims}, key=lambda b: b.debt())
    others = [x for x in victims if x.borrower is not defaulter]
    assert others, "need another borrower with collateral on the same generation"
    lender = defaulter.loans[0].lender
    marks_before = [x.collateral_value(model) for x in others]
    value_before = model.secondary.value[gen]

    defaulter.default()
    assert not defaulter.active and defaulter not in model.neoclouds()
    assert lender.seized, "the lender holds the seized GPUs"
    assert violations(model) == []  # GPUs conserved, ledger balanced, no orphan loans
    lender.liquidate_seized(model.credit.record_loss)  # first month of the liquidation window
    model.secondary.step(model.month)
    assert model.secondary.discount[gen] > 0
    assert model.secondary.value[gen] < value_before
    marks_after = [x.collateral_value(model) for x in others]
    assert all(a < b for a, b in zip(marks_after, marks_before, strict=True))


def test_a_default_gives_the_lenders_their_debt_and_the_surplus_to_the_estate():
    """Lenders are owed their drawn balance, not the collateral: a loan whose pledged GPUs are
    worth more than its debt takes GPUs worth the debt, and the rest is sold for the
    borrower's estate; a loan worth less takes all its GPUs and books the shortfall. The
    seized loans' expected losses leave the holders' allowances at once."""
    model = _model_with_loans(seed=2, months=30)
    borrowers = {loan.borrower for lender in model.lenders() for loan in model.credit.book_of(lender)
                 if loan.drawn > 0}

    def surplus(cloud) -> float:
        return sum(max(loan.collateral_value(model) - loan.drawn, 0.0) for loan in cloud.loans)

    defaulter = max(borrowers, key=surplus)
    assert surplus(defaulter) > 0, "need a borrower with collateral worth more than its debt"
    owed = {loan.id: (loan.drawn, loan.collateral_value(model), list(loan.holders))
            for loan in defaulter.loans}
    holders = {h for _, _, hs in owed.values() for h in hs}
    lots_before = {h.unique_id: len(h.seized) for h in holders}
    losses_before = model.credit.flows["lender_losses_usd"]

    defaulter.default()
    seized = sum(lot.count * lot.mark for h in holders for lot in h.seized[lots_before[h.unique_id]:])
    expected = sum(min(debt, value) for debt, value, _ in owed.values())
    assert seized == pytest.approx(expected, rel=1e-9)
    shortfall = sum(max(debt - value, 0.0) for debt, value, _ in owed.values())
    assert model.credit.flows["lender_losses_usd"] - losses_before <= shortfall + 1e-9 * expected
    for holder in holders:
        assert holder.allowance == pytest.approx(model.credit.allowance_of(holder))
    assert violations(model) == []


def test_a_called_loan_is_repaid_and_its_undrawn_commitment_cancelled(
        monkeypatch: pytest.MonkeyPatch):
    """A lender calls a delayed-draw loan while GPUs it was to pay for are still on order:
    the borrower repays what is drawn, and the deliveries that follow draw nothing from the
    holders and pledge nothing to the closed loan (before, they drew on a loan that was in
    no book: the lender's money went out with no asset for it)."""
    model = _model_with_loans(seed=2, months=16)
    loan = next(o.loan for o in model.nvidia.orders
                if o.loan is not None and o.remaining > 0 and o.loan.drawn > 0
                and o.loan.undrawn > 0 and o.buyer.active)
    borrower = loan.borrower
    model.ledger.sector_transfer("equity_investors", borrower.account, loan.drawn, "test_cash")
    monkeypatch.setattr(borrower, "cash_reserve", lambda: 0.0)
    borrower.accelerated(loan)
    assert loan not in borrower.loans and loan.drawn == 0 and loan.undrawn == 0
    model.step()
    assert loan.drawn == 0 and all(c.loan != loan.id for c in borrower.fleet)
    assert violations(model) == []


def test_selling_gpus_for_cash_keeps_every_pledged_cohort_however_small():
    """A distressed firm sells its unpledged GPUs and drops the cohorts it sold out; a
    cohort pledged to a loan stays, however few GPUs it holds, so no drawn loan is left
    without collateral (a delivery of a fraction of a GPU, drawn on a loan, was dropped as
    dust while the loan kept its balance)."""
    model = _model_with_loans(seed=1, months=24)
    borrower = next(c for c in model.neoclouds() if any(x.loan is not None for x in c.fleet))
    pledged = next(x for x in borrower.fleet if x.loan is not None)
    pledged.count = 1e-12
    borrower.fleet.changed()
    borrower.raise_cash(1.0)
    assert any(x is pledged for x in borrower.fleet)


@pytest.mark.parametrize("health, waived", [(1.0, True), (0.0, False)])
def test_a_thinly_capitalised_lender_does_not_waive_a_breach_a_healthy_one_waives(
        monkeypatch: pytest.MonkeyPatch, health: float, waived: bool):
    """A loan-to-value breach the borrower cannot cure, on a loan that still pays: with
    `lenders.performing_waiver` = 1 a lender at full health always waives it (sweeping spare
    cash), a lender at its capital minimum (health 0) never does and accelerates it."""
    model = _model_with_loans(seed=1, months=30)
    grace = model.p.lenders.covenant_grace_months
    loan = next(loan for lender in model.lenders() for loan in model.credit.book_of(lender)
                if loan.drawn > 0 and loan.borrower.active
                and model.month - loan.originated >= grace
                and loan.borrower.trailing_dscr() >= 1.0)
    for holder in loan.holders:
        monkeypatch.setattr(holder, "health", lambda: health)
    monkeypatch.setattr(loan.borrower, "cash_reserve", lambda: loan.borrower.cash + 1.0)
    loan.ltv_limit = 1e-9  # any collateral value is a breach; no spare cash cures it
    flows = model.credit.flows
    before = (flows["covenant_waivers"], flows["loans_accelerated"])
    model.credit.test_covenants(loan, model.month)
    after = (flows["covenant_waivers"], flows["loans_accelerated"])
    assert after == ((before[0] + 1, before[1]) if waived else (before[0], before[1] + 1))


def test_without_leverage_there_is_no_debt_no_default_and_the_same_price_cycle():
    """The all-equity control: no debt, no lender loss and no default in any of ten seeds,
    while the price falls as far after the 2023 peak as in the baseline (within 5 points,
    paired): the defaults are a credit phenomenon (fact S12)."""
    for seed in SEEDS:
        df = run("no_leverage", seed)
        assert df["debt_outstanding_usd"].max() == 0 and df["new_lending_usd"].sum() == 0
        assert df["lender_losses_cum_usd"].abs().max() == 0 and summarize(df)["lender_loss_rate"] == 0
        assert df["neocloud_defaults_cum"].iloc[-1] == 0
    decline = paired(lambda df: summarize(df)["decline_24m"], ("baseline", {}), ("no_leverage", {}))
    assert abs(np.median(decline)) < 0.05, decline


@pytest.mark.slow
def test_higher_ltv_means_more_boom_debt_more_defaults_and_losses_in_blackwell_shock():
    low, high = ("blackwell_shock", {"lenders.max_ltv": 0.4}), ("blackwell_shock", {"lenders.max_ltv": 0.8})

    def compare(statistic, margin, what):
        # Forty seeds to 2027-12: the loss rate rises in 33 and 31 of 40 (Wilcoxon p = 1e-7
        # and 1e-5 under Pythons 3.11 and 3.12; twenty seeds gave 0.02 under 3.12, ten 0.065
        # in an earlier version of the model), the defaults in 38 and 36 (median +5.5 and
        # +4.5 firms), the boom's debt in all 40.
        assert_increase(paired(statistic, low, high, months=72, seeds=tuple(range(1, 41))),
                        margin, what)

    compare(lambda df: df["debt_outstanding_usd"].iloc[:36].max(), 5e8, "debt through 2024, $")
    compare(lambda df: df["neocloud_defaults_cum"].iloc[-1], 2, "defaults")
    compare(lambda df: summarize(df)["lender_loss_rate"], 0.01, "lender loss rate")


def test_a_failed_lender_loses_its_undrawn_commitments_and_stops_lending():
    model = NeocloudMarket(load_scenario("baseline"), rng=3)
    for _ in range(30):
        model.step()
        committed = [x for x in model.lenders() if x.undrawn() > 0]
        if committed:
            break
    lender = max(committed, key=lambda x: x.undrawn())
    model.ledger.sector_transfer("funding_markets", lender.account,
                                 lender.capital() + lender.cash + 1.0, "test_loss", to_sector=True)
    assert lender.capital() < 0
    model.credit.step(model.month)
    assert lender.failed and lender.undrawn() == 0
    assert not lender.can_lend(1.0)
    loan = next(iter(model.credit.book_of(lender)), None)
    if loan is not None:
        assert model.credit.draw(loan, 1e6) == 0.0
    model.step()
    assert violations(model) == []
    assert model.results()["lenders_active"].iloc[-1] == len(model.lenders()) - 1


def test_leverage_policies_move_the_advance_rate_the_way_they_should():
    var_rule = NeocloudMarket(Params().with_overrides({"lenders.leverage_policy": "value_at_risk"}), rng=1)
    lender = var_rule.lenders()[1]  # an asset manager: no private-credit premium
    before_evidence = var_rule.credit.origination_ltv(lender)
    var_rule.history["gpu_value_index"] = [100, 70, 110, 60, 100, 50]
    assert var_rule.credit.origination_ltv(lender) < before_evidence == pytest.approx(0.7)

    counter = NeocloudMarket(Params().with_overrides({"lenders.leverage_policy": "countercyclical"}), rng=1)
    counter.history["spot_price_h100e"] = [2.0] * 12
    counter.rental.price_index = 4.0  # prices far above trend: lend less
    assert counter.credit.origination_ltv(counter.lenders()[1]) < 0.7


@pytest.mark.parametrize("name, value, fragment", [
    ("lenders.max_ltv", 1.2, r"\[0.0, 1.0\]"),
    ("lenders.initial_capital", -1.0, r"\[0.0, "),
    ("lenders.leverage_policy", "yolo", "'fixed', 'value_at_risk', 'countercyclical'"),
    ("lenders.min_dscr", "high", "a number"),
])
def test_bad_finance_parameters_are_rejected(name, value, fragment):
    with pytest.raises(ParameterError, match=fragment):
        Params().with_overrides({name: value})


def test_circular_financing_puts_nvidia_money_only_into_partners():
    on = NeocloudMarket(load_scenario("baseline"), rng=4)
    partners = {c.unique_id for c in on.neoclouds() if c.partner}  # entrants never are
    assert partners
    on.run(48)  # to 2025-12: the capacity backstop starts in 2025-09
    df = on.results()
    assert on.p.nvidia.circular_financing
    assert df["nvidia_backstop_usd"].sum() > 0 and df["nvidia_equity_investment_usd"].sum() > 0
    assert (df["nvidia_backstop_usd"] <= on.p.nvidia.backstop_cap_usd + 1e-6).all()
    stakes = on.equity.stakes.get(on.nvidia.account, {})
    assert stakes and set(stakes) <= partners
    assert violations(on) == []
    off = run("baseline", 4, 48, nvidia__circular_financing=False)
    assert off["nvidia_backstop_usd"].sum() == 0 and off["nvidia_equity_investment_usd"].sum() == 0


def test_a_lender_with_nothing_at_risk_can_lend_a_zero_part_without_dividing_by_zero():
    """Asked for a zero part of a loan with an empty book (a sweep point where a syndicate's
    parts come to nothing), a lender with capital can lend, with no division by a zero
    exposure (it warned in the sensitivity sweep)."""
    model = NeocloudMarket(load_scenario("baseline"), rng=1)
    lender = next(x for x in model.lenders() if not model.credit.book_of(x))
    assert lender.capital() > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lender.can_lend(0.0)
