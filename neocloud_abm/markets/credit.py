"""GPU-backed loans: underwriting, delayed draws, debt service, covenants, default and
liquidation of seized collateral (docs/model.md#78-credit; facts S3, S6, S12).

Each loan is a delayed-draw, amortising term loan committed when a neocloud orders GPUs and
drawn as Nvidia delivers them; the delivered cohorts are pledged to it. Collateral is marked
monthly to the secondary market, so fire sales after one default lower the marks, and raise
the loan-to-value, of every other loan on that generation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from neocloud_abm.agents.lender import Lender, SeizedLot
from neocloud_abm.core.chips import operating_cost_month
from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.agents.neocloud import Neocloud
    from neocloud_abm.model import NeocloudMarket

@dataclass(eq=False)
class Loan:
    lender: Lender
    borrower: Neocloud
    gen: int
    advance: float      # share of each delivery's cost the loan pays (LTV at origination)
    undrawn: float      # $ still available to draw
    spread: float       # over the floating base rate, fixed at origination
    ltv_limit: float    # covenant
    originated: int
    drawn: float = 0.0
    months_left: int = 0
    id: int = -1        # set by the model (per-model numbering)

    @property
    def rate(self) -> float:
        """Floating: the base rate of the month plus the loan's spread (SOFR + spread)."""
        return self.borrower.model.env.base_rate + self.spread

    def payment_due(self) -> float:
        """Interest plus annuity amortisation over the months left."""
        if self.drawn <= 0:
            return 0.0
        monthly = self.rate / 12.0
        n = max(self.months_left, 1)
        if monthly <= 0:
            return self.drawn / n
        return self.drawn * monthly / (1.0 - (1.0 + monthly) ** -n)

    def collateral_value(self, model: NeocloudMarket) -> float:
        return float(self.borrower.fleet.pledged(self.id) @ model.secondary.value)


def collateral_volatility(model: NeocloudMarket) -> float:
    """Annualised volatility of monthly log changes of used-GPU values over the last year."""
    series = np.asarray(model.history["gpu_value_index"][-13:])
    if len(series) < 4 or np.any(series <= 0):
        return 0.0
    return float(np.std(np.diff(np.log(series))) * math.sqrt(12.0))


def origination_ltv(model: NeocloudMarket, lender: Lender) -> float:
    """The leverage policy: fixed, procyclical (value-at-risk haircut that grows with observed
    collateral volatility) or countercyclical (tighter when prices run above their trend)."""
    p = model.p.lenders
    ltv = p.max_ltv + (p.private_credit_ltv_premium if lender.kind == "private_credit" else 0.0)
    if p.leverage_policy == "procyclical":
        ltv *= max(0.0, 1.0 - p.policy_sensitivity * collateral_volatility(model))
    elif p.leverage_policy == "countercyclical":
        prices = model.history["spot_price_h100e"][-24:]
        if prices:
            stretch = model.price_index / float(np.mean(prices)) - 1.0
            ltv *= max(0.0, 1.0 - p.policy_sensitivity * max(stretch, 0.0))
    return float(min(max(ltv, 0.0), 0.95))


def contracted_share(model: NeocloudMarket, borrower: Neocloud) -> float:
    """Share of the borrower's capacity under take-or-pay contracts (investment-grade
    tenants' contracts back a loan, as in CoreWeave's Microsoft-backed facilities)."""
    book = model.contracts
    contracted = float(book.gpu_hours[book.of_provider(borrower.account)].sum())
    capacity = sum(borrower.gpus().values()) * HOURS_PER_MONTH
    return contracted / capacity if capacity > 0 else 0.0


def quote_spread(model: NeocloudMarket, lender: Lender, borrower: Neocloud) -> float:
    p = model.p.lenders
    base = {"private_credit": p.spread_private_credit, "asset_manager": p.spread_asset_manager,
            "bank": p.spread_bank}[lender.kind]
    spread = base + p.spread_default_sensitivity * model.recent_default_rate()
    if contracted_share(model, borrower) >= p.investment_grade_share:
        spread -= p.investment_grade_discount
    return max(spread, 0.005)


def contracted_revenue(model: NeocloudMarket, borrower: Neocloud) -> float:
    """Monthly rent owed to the borrower under live take-or-pay contracts."""
    book = model.contracts
    mine = book.of_provider(borrower.account)
    return float((book.gpu_hours[mine] * book.price[mine]).sum())


def projected_dscr(model: NeocloudMarket, borrower: Neocloud, new_payment: float,
                   new_gpus: float, gen_index: int) -> float:
    """Underwriting coverage: contracted rent counts in full, spot rent (today's and what the
    new GPUs would earn at today's price and utilization) only after a haircut; over debt
    service including the new loan. Lenders underwrite contracts, not the spot market."""
    p, gen = model.p, model.gens[gen_index]
    haircut = p.lenders.spot_revenue_haircut
    utilization = model.month_stats.get("utilization", p.neoclouds.target_utilization)
    contracted = contracted_revenue(model, borrower)
    spot = max(borrower.revenue - contracted, 0.0)
    new_rent = new_gpus * model.price_index * gen.perf * HOURS_PER_MONTH * utilization
    costs = (sum(amount for _, amount in borrower.operating_costs().values())
             + new_gpus * operating_cost_month(gen, utilization, p))
    flow = contracted + (1.0 - haircut) * (spot + new_rent) - costs
    service = sum(loan.payment_due() for loan in borrower.loans) + new_payment
    return flow / service if service > 0 else math.inf


def apply_for_loan(model: NeocloudMarket, borrower: Neocloud, gen_index: int, count: float,
                   unit_cost: float) -> Loan | None:
    """Underwriting: lenders, in random order, commit a delayed-draw loan if the borrower's
    projected coverage passes and they have capital to spare."""
    p = model.p.lenders
    lenders = [lender for lender in model.lenders() if not lender.failed]
    model.rng.shuffle(lenders)
    for lender in lenders:
        advance = origination_ltv(model, lender)
        amount = advance * count * unit_cost
        if amount <= 0 or not lender.can_lend(amount):
            continue
        spread = quote_spread(model, lender, borrower)
        trial = Loan(lender, borrower, gen_index, advance, amount, spread,
                     advance + p.ltv_cushion, model.month, drawn=amount,
                     months_left=p.term_months)
        minimum = p.min_dscr * (p.private_credit_dscr_factor if lender.kind == "private_credit"
                                else 1.0)
        if projected_dscr(model, borrower, trial.payment_due(), count, gen_index) < minimum:
            continue
        trial.drawn = 0.0
        trial.id = model.new_loan_id()
        lender.loans.append(trial)
        borrower.loans.append(trial)
        model.month_stats["new_commitments_usd"] += amount
        model.month_stats["spread_weighted"] += spread * amount
        return trial
    return None


def draw(model: NeocloudMarket, loan: Loan, cost: float) -> float:
    """Draw the loan's share of a delivery's cost; returns the $ the lender paid."""
    amount = min(loan.undrawn, loan.advance * cost)
    if amount <= 0:
        return 0.0
    loan.lender.pay_out(amount, "loan_draw", loan.borrower.account)
    loan.undrawn -= amount
    loan.drawn += amount
    if loan.months_left == 0:
        loan.months_left = model.p.lenders.term_months
    model.month_stats["new_lending_usd"] += amount
    return amount


def pay_debt_service(model: NeocloudMarket, loan: Loan) -> None:
    """The borrower has the cash (checked by the caller): interest, then principal. The
    amortisation clock starts at the first draw, not at commitment."""
    if loan.drawn <= 0.0:
        return
    payment = loan.payment_due()
    interest = loan.drawn * loan.rate / 12.0
    principal = min(max(payment - interest, 0.0), loan.drawn)
    model.ledger.transfer(loan.borrower.account, loan.lender.account, interest + principal,
                          "debt_service")
    repay(loan, principal)
    loan.months_left = max(loan.months_left - 1, 0)


def repay(loan: Loan, principal: float) -> None:
    loan.drawn -= principal
    if loan.drawn <= 1e-6 and loan.undrawn <= 0:
        close(loan)


def release_commitment(loan: Loan | None, amount: float) -> None:
    """An order that will not be delivered frees the part of the commitment that was to pay
    for it."""
    if loan is None:
        return
    loan.undrawn = max(loan.undrawn - loan.advance * amount, 0.0)
    if loan.drawn <= 0 and loan.undrawn <= 0:
        close(loan)


def close(loan: Loan) -> None:
    """A repaid loan releases its collateral and leaves both balance sheets."""
    loan.drawn = 0.0
    for cohort in loan.borrower.fleet:
        if cohort.loan == loan.id:
            cohort.loan = None
    loan.borrower.fleet.changed()
    if loan in loan.lender.loans:
        loan.lender.loans.remove(loan)
    if loan in loan.borrower.loans:
        loan.borrower.loans.remove(loan)


def monitor_month(model: NeocloudMarket) -> None:
    """Event 8: mark collateral and test covenants. A loan-to-value breach is a margin call,
    cured from spare cash if possible. Otherwise a loan still covering its debt service is
    usually waived (foreclosing on a performing loan into a fire sale costs the lender
    more) and spare cash is swept into prepayment; a non-performing one is waived with a
    probability that falls with the lender's health; loans not waived are accelerated. Then seized GPUs
    are liquidated, funding is serviced, and lenders with no capital fail."""
    p = model.p.lenders
    for lender in model.lenders():
        for loan in list(lender.loans):
            borrower = loan.borrower
            if loan.drawn <= 0 or not borrower.active:
                continue
            if model.month - loan.originated < p.covenant_grace_months:
                continue
            collateral = loan.collateral_value(model)
            ltv = loan.drawn / collateral if collateral > 0 else math.inf
            coverage = borrower.trailing_dscr()
            if ltv <= loan.ltv_limit and coverage >= p.min_dscr:
                continue
            model.month_stats["covenant_breaches"] += 1
            spare = max(borrower.cash - borrower.cash_reserve(), 0.0)
            cure = loan.drawn - loan.ltv_limit * collateral
            if ltv > loan.ltv_limit and cure <= spare:
                model.ledger.transfer(borrower.account, lender.account, cure, "margin_call")
                repay(loan, cure)
            elif model.rng.random() < (p.performing_waiver if coverage >= 1.0
                                       else p.waiver_probability * lender.health()):
                model.month_stats["covenant_waivers"] += 1
                sweep = min(spare, loan.drawn)  # waived, but spare cash pays the loan down
                model.ledger.transfer(borrower.account, lender.account, sweep, "cash_sweep")
                repay(loan, sweep)
            else:
                model.month_stats["loans_accelerated"] += 1
                borrower.accelerated(loan)
        liquidate(model, lender)
        lender.service_funding()
        if not lender.failed and lender.capital() <= 0:
            lender.fail()


def seize(model: NeocloudMarket, loan: Loan) -> None:
    """Default: the lender takes the pledged cohorts and writes the loan down to their
    market value; the shortfall is a loss that reduces its capital."""
    lender = loan.lender
    seized_value = 0.0
    for cohort in loan.borrower.fleet:
        if cohort.loan == loan.id:
            mark = float(model.secondary.value[cohort.gen])
            lender.seized.append(SeizedLot(cohort.gen, cohort.count,
                                           model.p.lenders.liquidation_months, mark))
            model.gpu_account["lender_held"][cohort.gen] += cohort.count
            seized_value += cohort.count * mark
            cohort.count = 0.0
    loan.borrower.fleet.changed()
    model.month_stats["lender_losses_usd"] += max(loan.drawn - seized_value, 0.0)
    loan.undrawn = 0.0
    loan.drawn = 0.0
    close(loan)


def liquidate(model: NeocloudMarket, lender: Lender) -> None:
    """Sell seized lots evenly over the liquidation window; sales below the mark are
    further losses, and the discount they cause hits every loan on that generation."""
    keep = []
    for lot in lender.seized:
        count = lot.count / max(lot.months_left, 1)
        model.gpu_account["lender_held"][lot.gen] -= count
        proceeds = model.secondary.dispose(lot.gen, count, lender.account)
        model.month_stats["lender_losses_usd"] += count * lot.mark - proceeds
        lot.count -= count
        lot.months_left -= 1
        new_mark = float(model.secondary.value[lot.gen])
        model.month_stats["lender_losses_usd"] += (lot.mark - new_mark) * lot.count
        lot.mark = new_mark
        if lot.count > 1e-9:
            keep.append(lot)
    lender.seized = keep
