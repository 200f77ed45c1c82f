"""The credit market: GPU-backed loans from commitment to repayment or seizure
(docs/model.md#78-credit; facts S3, S6, S12).

Each loan is a delayed-draw, amortising term loan committed when a neocloud orders GPUs and
drawn as Nvidia delivers them; the delivered cohorts are pledged to it. Collateral is marked
monthly to the secondary market, so fire sales after one default lower the marks, and raise
the loan-to-value, of every other loan on that generation.

The market owns every loan and is the only place a loan changes: underwriting and
commitment, draws, debt service, cures and sweeps, acceleration, seizure, write-off and
closing. Lenders and borrowers read their loans through :meth:`CreditMarket.book_of` and
:meth:`CreditMarket.loans_of`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from neocloud_abm.agents.lender import healthiest_bank
from neocloud_abm.core.arithmetic import dot, gram, norm
from neocloud_abm.core.chips import operating_cost_month
from neocloud_abm.core.units import HOURS_PER_MONTH
from neocloud_abm.markets.provisioning import provision

DUST = 1e-6  # $: a balance below this is rounding residue of draws and repayments, i.e. zero

if TYPE_CHECKING:
    from neocloud_abm.agents.lender import Lender
    from neocloud_abm.agents.neocloud import Neocloud
    from neocloud_abm.model import NeocloudMarket


def _residual(balance: float) -> float:
    """A balance, with rounding residue counted as zero."""
    return balance if balance > DUST else 0.0


@dataclass
class Share:
    """One holder's part of a loan: what it has lent and what it has still committed."""

    drawn: float = 0.0
    undrawn: float = 0.0


@dataclass(eq=False)
class Loan:
    """A delayed-draw term loan: one borrower, one set of terms, one pool of pledged GPUs,
    held by one lender or, syndicated, by several. Draws are funded in proportion to each
    holder's remaining commitment; payments, recoveries and seized GPUs are shared in
    proportion to what each has lent (pari passu)."""

    borrower: Neocloud
    gen: int
    advance: float      # share of each delivery's cost the loan pays (LTV at origination)
    spread: float       # over the floating base rate, fixed at origination
    ltv_limit: float    # maintenance covenant (re-marked monthly under value-at-risk leverage)
    originated: int
    holders: dict[Lender, Share]  # the arranger first
    months_left: int = 0
    id: int = -1        # set when committed (per-model numbering)
    _marked: tuple[tuple[int, bytes], float] | None = field(default=None, repr=False)

    @property
    def drawn(self) -> float:
        """$ lent and not yet repaid."""
        if len(self.holders) == 1:  # most loans are bilateral: what sum() gives for one
            (share,) = self.holders.values()
            return 0.0 + share.drawn
        return sum(share.drawn for share in self.holders.values())

    @property
    def undrawn(self) -> float:
        """$ still available to draw."""
        if len(self.holders) == 1:
            (share,) = self.holders.values()
            return 0.0 + share.undrawn
        return sum(share.undrawn for share in self.holders.values())

    @property
    def lender(self) -> Lender:
        """The agent of the syndicate (its largest holder; the only one of a bilateral loan)."""
        return max(self.holders, key=lambda h: self.holders[h].drawn + self.holders[h].undrawn)

    def fraction_of(self, holder: Lender) -> float:
        """The holder's share of what has been lent (0 when nothing is drawn)."""
        drawn = self.drawn
        share = self.holders.get(holder)
        return share.drawn / drawn if share is not None and drawn > 0 else 0.0

    @property
    def rate(self) -> float:
        """Floating: the base rate of the month plus the loan's spread (SOFR + spread)."""
        return self.borrower.model.env.base_rate + self.spread

    def payment_due(self) -> float:
        """Interest plus annuity amortisation over the months left."""
        return annuity(self.drawn, self.rate, self.months_left)

    def collateral_value(self, model: NeocloudMarket) -> float:
        """The pledged GPUs at today's marks; kept until the pledged part of the borrower's
        fleet or a mark changes (covenants, provisions and the report each read it every
        month)."""
        marks = model.secondary.value
        key = (self.borrower.fleet.pledge_version, marks.tobytes())
        if self._marked is None or self._marked[0] != key:
            self._marked = (key, dot(self.borrower.fleet.pledged(self.id), marks))
        return self._marked[1]


def annuity(principal: float, rate: float, months: int) -> float:
    """Monthly interest plus level amortisation of ``principal`` over ``months``."""
    if principal <= 0:
        return 0.0
    monthly = rate / 12.0
    n = max(months, 1)
    if monthly <= 0:
        return principal / n
    return principal * monthly / (1.0 - (1.0 + monthly) ** -n)


def pro_rata(weights: dict[Lender, float]) -> list[tuple[Lender, float]]:
    """Each holder's fraction of a payment shared in proportion to ``weights`` (exactly 1
    for a sole holder)."""
    if len(weights) == 1:  # a bilateral loan: w / w, without the sums
        ((holder, weight),) = weights.items()
        return [(holder, 1.0)] if weight > 0 else []
    total = sum(weights.values())
    if total <= 0:
        return []
    return [(holder, weight / total) for holder, weight in weights.items() if weight > 0]


COLUMNS = ("debt_outstanding_usd", "collateral_value_usd", "aggregate_ltv", "new_lending_usd",
           "new_commitments_usd", "credit_spread", "origination_ltv", "lender_losses_usd",
           "lender_losses_cum_usd",
           "lender_capital_usd", "provisions_usd", "loans_sold_usd", "funding_withdrawn_usd",
           "fund_redemptions_usd", "lender_equity_usd", "lender_equity_bought_usd",
           "lender_equity_losses_usd", "lenders_active", "lender_failures", "covenant_breaches",
           "covenant_waivers", "loans_accelerated", "syndicated_debt_share", "lender_overlap",
           "warehouse_lines_usd", "warehouse_called_usd", "warehouse_impairment_usd",
           "warehouse_deficiency_usd")
FLOWS = ("new_lending_usd", "new_commitments_usd", "lender_losses_usd", "lender_failures",
         "loans_sold_usd", "funding_withdrawn_usd", "warehouse_called_usd",
         "warehouse_deficiency_usd",
         "fund_redemptions_usd", "covenant_breaches",
         "covenant_waivers", "loans_accelerated", "lender_equity_bought_usd")


class CreditMarket:
    """Every loan, its lender and its borrower; the month's lending, losses and covenant
    events (the market's outputs)."""

    columns = COLUMNS

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        self._by_lender: dict[int, list[Loan]] = defaultdict(list)
        self._by_borrower: dict[int, list[Loan]] = defaultdict(list)
        # lender uid -> (drawn, undrawn) summed over its book: every capital ratio reads
        # them, so they are kept until one of its loans changes (``_changed``)
        self._lent: dict[int, tuple[float, float]] = {}
        self._next_id = 0
        self.flows: dict[str, float] = dict.fromkeys(FLOWS, 0.0)
        self._spread_weighted = 0.0
        self._advance_weighted = 0.0
        self.spread = 0.0   # average spread of the latest month with new commitments
        self.advance = 0.0  # average advance rate (origination LTV) of that month

    # --- the books ------------------------------------------------------------------------
    def book_of(self, lender: Lender) -> list[Loan]:
        """The lender's loans, oldest first (read-only: change them through the market)."""
        return self._by_lender[lender.unique_id]

    def loans_of(self, borrower: Neocloud) -> list[Loan]:
        """The borrower's loans, oldest first (read-only)."""
        return self._by_borrower[borrower.unique_id]

    def lent_by(self, lender: Lender) -> tuple[float, float]:
        """What the lender has lent and not been repaid, and what it has committed and not
        yet lent (its shares of syndicated loans), summed over its book in book order."""
        totals = self._lent.get(lender.unique_id)
        if totals is None:
            book = self.book_of(lender)
            totals = self._lent[lender.unique_id] = (
                sum(loan.holders[lender].drawn for loan in book),
                sum(loan.holders[lender].undrawn for loan in book))
        return totals

    def _changed(self, loan: Loan) -> None:
        """A loan's shares or holders changed: its holders' totals are summed again."""
        for holder in loan.holders:
            self._book_changed(holder)

    def _book_changed(self, lender: Lender) -> None:
        """The lender's book or a share in it changed: its totals are summed again."""
        self._lent.pop(lender.unique_id, None)

    def all_loans(self) -> list[Loan]:
        """Every loan once (a syndicated loan stands in several lenders' books but in one
        borrower's list)."""
        return [loan for cloud in self.model.neoclouds() for loan in self.loans_of(cloud)]

    def begin_month(self) -> None:
        self.flows = dict.fromkeys(FLOWS, 0.0)
        self._spread_weighted = 0.0
        self._advance_weighted = 0.0

    # --- underwriting -----------------------------------------------------------------------
    def origination_ltv(self, lender: Lender) -> float:
        """The leverage policy: fixed, value-at-risk (a haircut in proportion to measured
        downside volatility of collateral, equal to the fixed one at the reference volatility, so the
        advance rises in calm markets and falls in turbulent ones) or countercyclical
        (tighter when prices run above their trend)."""
        model = self.model
        p = model.p.lenders
        ltv = p.max_ltv + (p.private_credit_ltv_premium if lender.kind == "private_credit" else 0.0)
        if p.leverage_policy == "value_at_risk":
            volatility = collateral_volatility(model)
            if volatility is not None:
                ltv = 1.0 - (1.0 - ltv) * volatility / p.var_reference_volatility
        elif p.leverage_policy == "countercyclical":
            prices = model.history["spot_price_h100e"][-24:]
            if prices:
                stretch = model.price_index / float(np.mean(prices)) - 1.0
                ltv *= max(0.0, 1.0 - p.policy_sensitivity * max(stretch, 0.0))
        return float(min(max(ltv, 0.0), 0.95))

    def quote_spread(self, lender: Lender, borrower: Neocloud) -> float:
        model = self.model
        p = model.p.lenders
        base = {"private_credit": p.spread_private_credit, "asset_manager": p.spread_asset_manager,
                "bank": p.spread_bank}[lender.kind]
        spread = base + p.spread_default_sensitivity * model.recent_default_rate()
        spread += lender.funding_rate() - max(model.env.base_rate + p.funding_spread, 0.0)
        if contracted_share(model, borrower) >= p.investment_grade_share:
            spread -= p.investment_grade_discount
        return max(spread, 0.005)

    def projected_dscr(self, borrower: Neocloud, new_payment: float, new_gpus: float,
                       gen_index: int, new_contracted_rent: float = 0.0) -> float:
        """Underwriting coverage: contracted rent counts in full, spot rent (today's and what
        the new GPUs would earn at today's price and utilization) only after a haircut; over
        debt service including the new loan. Lenders underwrite contracts, not spot: new GPUs
        ordered for a contract (``new_contracted_rent`` a month) count at that rent."""
        model = self.model
        p, gen = model.p, model.gens[gen_index]
        haircut = p.lenders.spot_revenue_haircut
        utilization = model.rental.utilization
        contracted = contracted_revenue(model, borrower)
        spot = max(borrower.revenue - contracted, 0.0)
        new_spot = (0.0 if new_contracted_rent > 0 else
                    new_gpus * model.price_index * gen.perf * HOURS_PER_MONTH * utilization)
        costs = (sum(amount for _, amount in borrower.operating_costs().values())
                 + new_gpus * operating_cost_month(gen, utilization, model.power.rent, p))
        flow = contracted + new_contracted_rent + (1.0 - haircut) * (spot + new_spot) - costs
        service = sum(loan.payment_due() for loan in self.loans_of(borrower)) + new_payment
        return flow / service if service > 0 else math.inf

    def apply_for_loan(self, borrower: Neocloud, gen_index: int, count: float,
                       unit_cost: float, contracted_rent: float = 0.0) -> Loan | None:
        """Lenders, in random order, commit a delayed-draw loan if the borrower's projected
        coverage passes (``contracted_rent``: a month's rent of a contract the GPUs are
        ordered for) and they have capital to spare."""
        model = self.model
        p = model.p.lenders
        lenders = [lender for lender in model.lenders() if not lender.failed]
        model.rng.shuffle(lenders)
        for lender in lenders:
            advance = self.origination_ltv(lender)
            amount = advance * count * unit_cost
            if amount <= 0 or not lender.can_lend(amount):
                continue
            spread = self.quote_spread(lender, borrower)
            payment = annuity(amount, model.env.base_rate + spread, p.term_months)
            minimum = p.min_dscr * (p.private_credit_dscr_factor
                                    if lender.kind == "private_credit" else 1.0)
            if self.projected_dscr(borrower, payment, count, gen_index, contracted_rent) < minimum:
                continue
            loan = Loan(borrower, gen_index, advance, spread, advance + p.ltv_cushion,
                        model.month, self.syndicate(lender, amount, lenders),
                        months_left=p.term_months, id=self._next_id)
            self._next_id += 1
            for holder, share in loan.holders.items():
                self._by_lender[holder.unique_id].append(loan)
                self._book_changed(holder)
                self.flows["lender_equity_bought_usd"] += holder.co_invest(borrower, share.undrawn)
            self._by_borrower[borrower.unique_id].append(loan)
            self.flows["new_commitments_usd"] += amount
            self._spread_weighted += spread * amount
            self._advance_weighted += advance * amount
            return loan
        return None

    def syndicate(self, arranger: Lender, amount: float,
                  lenders: list[Lender]) -> dict[Lender, Share]:
        """The holders of a new loan of ``amount``. The arranger has underwritten all of it;
        a loan of at least ``lenders.syndication_threshold`` is sold down in equal parts to
        up to ``lenders.syndicate_size`` - 1 other lenders (in the order they were asked)
        with capital to take a part, the arranger keeping at least
        ``lenders.arranger_share`` and whatever the syndicate does not take."""
        p = self.model.p.lenders
        holders = {arranger: Share(undrawn=amount)}
        if amount < p.syndication_threshold or p.syndicate_size < 2:
            return holders
        part = amount * (1.0 - p.arranger_share) / (p.syndicate_size - 1)
        for other in lenders:
            if len(holders) == p.syndicate_size:
                break
            if other is not arranger and other.can_lend(part):
                holders[other] = Share(undrawn=part)
                holders[arranger].undrawn -= part
        return holders

    # --- a loan's life ----------------------------------------------------------------------
    def draw(self, loan: Loan, cost: float) -> float:
        """Draw the loan's share of a delivery's cost, funded by the holders in proportion
        to their remaining commitments; returns the $ paid."""
        amount = min(loan.undrawn, loan.advance * cost)
        if amount <= 0:
            return 0.0
        for holder, fraction in pro_rata({h: s.undrawn for h, s in loan.holders.items()}):
            share = loan.holders[holder]
            holder.pay_out(amount * fraction, "loan_draw", loan.borrower.account,
                           buys_loans=True)
            share.undrawn = _residual(share.undrawn - amount * fraction)
            share.drawn += amount * fraction
        self._changed(loan)
        if loan.months_left == 0:
            loan.months_left = self.model.p.lenders.term_months
        self.flows["new_lending_usd"] += amount
        return amount

    def pay_debt_service(self, loan: Loan, payment: float | None = None) -> None:
        """The borrower has the cash (checked by the caller) and pays the month's payment
        due (``payment``, if the caller has it already): interest, then principal. The
        amortisation clock starts at the first draw, not at commitment."""
        drawn = loan.drawn
        if drawn <= 0.0:
            return
        if payment is None:
            payment = loan.payment_due()
        interest = drawn * loan.rate / 12.0
        principal = min(max(payment - interest, 0.0), drawn)
        self.collect(loan, interest + principal, principal, "debt_service")
        loan.months_left = max(loan.months_left - 1, 0)

    def collect(self, loan: Loan, amount: float, principal: float, reason: str,
                close: bool = True) -> None:
        """The borrower pays ``amount``, of which ``principal`` repays the loan, to the
        holders in proportion to what each has lent; a loan repaid in full is closed."""
        ledger = self.model.ledger
        for holder, fraction in pro_rata({h: s.drawn for h, s in loan.holders.items()}):
            ledger.transfer(loan.borrower.account, holder.account, amount * fraction, reason)
            share = loan.holders[holder]
            share.drawn = _residual(share.drawn - principal * fraction)
        self._changed(loan)
        if close and loan.drawn <= DUST and loan.undrawn <= 0:
            self.close(loan)

    def recover(self, loan: Loan, amount: float) -> None:
        """A defaulting borrower's cash paid toward what its collateral will not cover (the
        loan stays open: its collateral is seized next)."""
        self.collect(loan, amount, amount, "recovery", close=False)

    def prepay(self, loan: Loan) -> None:
        """The borrower repays the whole loan (an accelerated loan it can cover)."""
        self.collect(loan, loan.drawn, loan.drawn, "loan_prepaid")
        self.close(loan)

    def release_commitment(self, loan: Loan | None, amount: float) -> None:
        """An order that will not be delivered frees the part of the commitment that was to
        pay for it, each holder's in proportion."""
        if loan is None:
            return
        released = min(loan.advance * amount, loan.undrawn)
        for holder, fraction in pro_rata({h: s.undrawn for h, s in loan.holders.items()}):
            share = loan.holders[holder]
            share.undrawn = _residual(share.undrawn - released * fraction)
        self._changed(loan)
        if loan.drawn <= DUST and loan.undrawn <= 0:
            self.close(loan)

    def close(self, loan: Loan) -> None:
        """A repaid loan releases its collateral and leaves every balance sheet; what was not
        drawn is no longer committed (an accelerated loan is repaid with undrawn commitment
        left, and a delivery must not draw on a loan that is in no book)."""
        for share in loan.holders.values():
            share.drawn = share.undrawn = 0.0
        loan.borrower.fleet.release(loan.id)
        for book in [self.book_of(holder) for holder in loan.holders] + [self.loans_of(loan.borrower)]:
            if loan in book:
                book.remove(loan)
        self._changed(loan)

    def release_surplus(self, loan: Loan) -> None:
        """At default the holders are owed the drawn balance, not the collateral: pledged GPUs
        worth more than the debt are released, in proportion, to the borrower's estate."""
        value, debt = loan.collateral_value(self.model), loan.drawn
        if value > debt:
            loan.borrower.fleet.release_part(loan.id, 1.0 - debt / value)

    def seize(self, loan: Loan) -> None:
        """Default: the holders take the pledged cohorts, each in proportion to what it lent,
        and write the loan down to their market value; the shortfall is a loss that reduces
        their capital."""
        model = self.model
        seized_value = 0.0
        fractions = pro_rata({h: s.drawn for h, s in loan.holders.items()})
        for gen, count in loan.borrower.fleet.seize(loan.id):
            mark = float(model.secondary.value[gen])
            for holder, fraction in fractions:
                holder.hold_seized(gen, count * fraction, model.p.lenders.liquidation_months, mark)
            model.gpu_accounts.hold(gen, count)
            seized_value += count * mark
        self.flows["lender_losses_usd"] += max(loan.drawn - seized_value, 0.0)
        holders = list(loan.holders)
        self.close(loan)
        for holder in holders:  # the loan's expected loss is now realised: its allowance goes
            holder.provision(self.allowance_of(holder))

    # --- event 8 ----------------------------------------------------------------------------
    def step(self, month: int) -> None:
        """Event 8: mark collateral and test covenants; provision every loan for its expected
        loss; liquidate seized GPUs and service funding; meet funders' withdrawals and
        investors' redemptions, selling loans where cash falls short; then lenders with no
        capital left fail and are resolved."""
        model = self.model
        lenders = model.lenders()
        if model.p.lenders.leverage_policy == "value_at_risk":
            self.remark_covenants()
        tested: set[int] = set()  # a syndicated loan stands in each holder's book: test it once
        for lender in lenders:
            for loan in list(self.book_of(lender)):
                if loan.id not in tested:
                    tested.add(loan.id)
                    self.test_covenants(loan, month)
        for lender in lenders:
            lender.provision(self.allowance_of(lender))
            lender.liquidate_seized(self.record_loss)
            lender.service_funding()
        for index in model.rng.permutation(len(lenders)):
            lender = lenders[index]
            redeemed = 0.0 if lender.failed else self.meet_withdrawals(lender)
            lender.close_month(redeemed)
        for lender in lenders:
            if not lender.failed and lender.capital() <= 0:
                self.fail(lender)

    def meet_withdrawals(self, lender: Lender) -> float:
        """Pay funders who stop rolling over and a bank calling its warehouse line (first:
        they are senior) and then investors' redemptions, from cash and, where it falls short,
        by selling loans. Returns the redemptions paid."""
        ledger = self.model.ledger
        self.certify_borrowing_base(lender)
        self.flows["warehouse_deficiency_usd"] += lender.warehouse_deficiency()
        withdrawal, redemption = lender.funding_withdrawal(), lender.redemption_request()
        called = lender.warehouse_call()
        if withdrawal + called + redemption <= 0:
            return 0.0
        self.sell_loans(lender, withdrawal + called + redemption - max(lender.cash, 0.0))
        repaid = lender.repay_funding(withdrawal, "funding_withdrawn")
        recalled = lender.repay_warehouse(called, "warehouse_called")
        redeemed = min(redemption, max(lender.cash, 0.0))
        ledger.sector_transfer("fund_investors", lender.account, redeemed, "lender_redemption",
                               to_sector=True)
        self.flows["funding_withdrawn_usd"] += repaid
        self.flows["warehouse_called_usd"] += recalled
        self.flows["fund_redemptions_usd"] += redeemed
        if repaid + recalled < (withdrawal + called) * (1.0 - 1e-9):
            self.fail(lender)  # it cannot pay its funders: a run, whatever its capital
        return redeemed

    def remark_covenants(self) -> None:
        """A value-at-risk lender manages its whole book to its value-at-risk, as a dealer
        does its repo book: each loan's maintenance limit is the advance the lender would
        make today plus the cushion, so a rise in measured volatility calls margin on loans
        already made and calm loosens it (the leverage cycle of Adrian & Shin 2010)."""
        cushion = self.model.p.lenders.ltv_cushion
        limits: dict[str, float] = {}
        for loan in self.all_loans():
            kind = loan.lender.kind
            if kind not in limits:
                limits[kind] = self.origination_ltv(loan.lender) + cushion
            loan.ltv_limit = limits[kind]

    def test_covenants(self, loan: Loan, month: int) -> None:
        """A loan-to-value breach is a margin call, cured from spare cash if possible.
        Otherwise a loan still covering its debt service is usually waived (foreclosing on a
        performing loan into a fire sale costs the lender more) and spare cash is swept into
        prepayment; a non-performing one less often; both less by a lender whose capital is
        thin (it needs the cash more than the relationship); loans not waived are
        accelerated. A syndicate decides by its holders' health weighted by what each has lent
        (the required lenders' consent)."""
        model = self.model
        p = model.p.lenders
        borrower, drawn = loan.borrower, loan.drawn
        if drawn <= 0 or not borrower.active:
            return
        if month - loan.originated < p.covenant_grace_months:
            return
        collateral = loan.collateral_value(model)
        ltv = drawn / collateral if collateral > 0 else math.inf
        coverage = borrower.trailing_dscr()
        if ltv <= loan.ltv_limit and coverage >= p.min_dscr:
            return
        self.flows["covenant_breaches"] += 1
        spare = max(borrower.cash - borrower.cash_reserve(), 0.0)
        cure = drawn - loan.ltv_limit * collateral
        if ltv > loan.ltv_limit and cure <= spare:
            self.collect(loan, cure, cure, "margin_call")
        elif model.rng.random() < syndicate_health(loan) * (p.performing_waiver if coverage >= 1.0
                                                            else p.waiver_probability):
            self.flows["covenant_waivers"] += 1
            sweep = min(spare, drawn)  # waived, but spare cash pays the loan down
            self.collect(loan, sweep, sweep, "cash_sweep")
        else:
            self.flows["loans_accelerated"] += 1
            borrower.accelerated(loan)

    def borrowing_base(self, fund: Lender) -> float:
        """What the fund's bank lends against: each loan the fund holds at its carrying value
        (its share of the drawn balance less expected loss) times the advance rate of its
        stage, the performing rate in stage 1 and the impaired rate once the loan's credit
        risk has risen (stages 2 and 3), so the base falls as loans sour, before any
        default."""
        p = self.model.p.lenders
        base = 0.0
        for loan in self.book_of(fund):
            if loan.holders[fund].drawn <= 0:
                continue
            stage, value = self.carrying(loan, fund)
            base += (p.warehouse_advance_rate if stage == 1
                     else p.warehouse_impaired_advance_rate) * value
        return base

    def carrying(self, loan: Loan, holder: Lender) -> tuple[int, float]:
        """The loan's IFRS 9 stage and the holder's share at carrying value: its part of the
        drawn balance less its part of the expected credit loss (what a sale is priced on
        and a borrowing base lends against)."""
        stage, expected_loss = provision(loan, self.model)
        return stage, max(loan.holders[holder].drawn - expected_loss * loan.fraction_of(holder),
                          0.0)

    def certify_borrowing_base(self, fund: Lender) -> None:
        """The month's borrowing-base certificate of a fund that borrows on a line: its loans
        re-marked at their stages' advance rates (draws until the next one add the loans
        they buy at the performing rate)."""
        if fund.warehouse_bank is not None and (fund.warehouse_debt > 0
                                                or self.model.p.lenders.bank_funded_share > 0):
            fund.warehouse_base = self.borrowing_base(fund)

    def allowance_of(self, lender: Lender) -> float:
        """The lender's loss allowance: its share of the expected credit loss of each loan it
        holds."""
        return sum(provision(loan, self.model).expected_loss * loan.fraction_of(lender)
                   for loan in self.book_of(lender))

    def record_loss(self, amount: float) -> None:
        """A loss (or, negative, a gain) on seized collateral, as a lender realises it."""
        self.flows["lender_losses_usd"] += amount

    def sell_loans(self, lender: Lender, amount: float) -> None:
        """Sell the lender's holdings (its whole share of each loan, with what it still has
        committed), oldest first, until the proceeds reach ``amount`` (all of them for a
        failed lender). Each goes to a buyer drawn at random among the other lenders with
        capital to take it on, at its carrying value (its share of the drawn balance less
        expected loss) less the sale discount; a holding nobody can take stays."""
        model = self.model
        discount = model.p.lenders.loan_sale_discount
        raised = 0.0
        for loan in list(self.book_of(lender)):
            if raised >= amount and not lender.failed:
                break
            share = loan.holders[lender]
            if share.drawn <= 0:
                continue
            buyers = [other for other in model.lenders()
                      if other is not lender and other.can_lend(share.drawn)]
            if not buyers:
                continue
            buyer = buyers[int(model.rng.integers(len(buyers)))]
            price = self.carrying(loan, lender)[1] * (1.0 - discount)
            buyer.pay_out(price, "loan_sale", lender.account, buys_loans=True)
            self.transfer_holding(loan, lender, buyer)
            self.flows["loans_sold_usd"] += share.drawn
            raised += price
        lender.provision(self.allowance_of(lender))
        self.certify_borrowing_base(lender)

    def transfer_holding(self, loan: Loan, seller: Lender, buyer: Lender) -> None:
        """Move the seller's share of a loan to the buyer (added to the buyer's own share
        if it already holds part of the loan)."""
        share = loan.holders.pop(seller)
        self._book_changed(seller)
        self.book_of(seller).remove(loan)
        if buyer in loan.holders:
            loan.holders[buyer].drawn += share.drawn
            loan.holders[buyer].undrawn += share.undrawn
        else:
            loan.holders[buyer] = share
            self.book_of(buyer).append(loan)
        self._changed(loan)

    def fail(self, lender: Lender) -> None:
        """Capital gone: the lender stops lending, its undrawn commitments vanish (its part of
        each syndicate's; the other holders' stand) and it is resolved: its loans are sold to
        the lenders still lending (``sell_loans``), and a bank's warehouse lines pass to
        another bank (``transfer_lines``); those nobody can take run off in its book. Its
        funders bear what its capital no longer covers."""
        lender.fail()
        self.flows["lender_failures"] += 1
        for loan in self.book_of(lender):
            loan.holders[lender].undrawn = 0.0
        self._book_changed(lender)
        self.sell_loans(lender, math.inf)
        self.transfer_lines(lender)

    def transfer_lines(self, failed: Lender) -> None:
        """A failed bank's funds move, with their lines, to the healthiest bank still standing
        that can take each line on (a choice that draws nothing from the generators), which
        pays the line's carrying value less the sale discount; a line nobody can take stays
        with the failed bank, which calls it down."""
        discount = self.model.p.lenders.loan_sale_discount
        for client in list(failed.warehouse_clients):
            line = client.warehouse_debt
            buyer = healthiest_bank(bank for bank in self.model.lenders()
                                    if bank.kind == "bank" and bank.can_lend(line))
            if buyer is None:
                continue
            if line > 0:
                price = max(line - client.warehouse_shortfall(), 0.0) * (1.0 - discount)
                buyer.pay_out(price, "warehouse_line_sale", failed.account)
                self.flows["loans_sold_usd"] += line
            failed.warehouse_clients.remove(client)
            buyer.warehouse_clients.append(client)
            client.warehouse_bank = buyer

    # --- outputs ----------------------------------------------------------------------------
    def report(self) -> dict[str, float]:
        """Debt, collateral at market, new lending, spreads, losses and lender capital."""
        model = self.model
        loans = self.all_loans()
        debt = sum(loan.drawn for loan in loans)
        collateral = sum(loan.collateral_value(model) for loan in loans if loan.drawn > 0)
        new = self.flows["new_commitments_usd"]
        if new > 0:  # else the last month's averages carry over
            self.spread = self._spread_weighted / new
            self.advance = self._advance_weighted / new
        losses = self.flows["lender_losses_usd"]
        return {
            "debt_outstanding_usd": debt, "collateral_value_usd": collateral,
            "aggregate_ltv": debt / collateral if collateral > 0 else 0.0,
            "new_lending_usd": self.flows["new_lending_usd"], "new_commitments_usd": new,
            "credit_spread": self.spread, "origination_ltv": self.advance,
            "lender_losses_usd": losses,
            "lender_losses_cum_usd": float(sum(model.history["lender_losses_usd"])) + losses,
            "lender_capital_usd": sum(lender.capital() for lender in model.lenders()),
            "provisions_usd": sum(lender.allowance for lender in model.lenders()),
            "loans_sold_usd": self.flows["loans_sold_usd"],
            "funding_withdrawn_usd": self.flows["funding_withdrawn_usd"],
            "fund_redemptions_usd": self.flows["fund_redemptions_usd"],
            "lender_equity_usd": sum(lender.equity_value() for lender in model.lenders()),
            "lender_equity_bought_usd": self.flows["lender_equity_bought_usd"],
            "lender_equity_losses_usd": sum(model.equity.stake_losses(lender.account)
                                            for lender in model.lenders()),
            "lenders_active": sum(not lender.failed for lender in model.lenders()),
            "lender_failures": self.flows["lender_failures"],
            "covenant_breaches": self.flows["covenant_breaches"],
            "covenant_waivers": self.flows["covenant_waivers"],
            "loans_accelerated": self.flows["loans_accelerated"],
            # a repaid loan's balance can round to -1e-18: clamp, the share is of what is owed
            "syndicated_debt_share": (max(sum(loan.drawn for loan in loans
                                              if len(loan.holders) > 1), 0.0)
                                      / debt if debt > 0 else 0.0),
            "lender_overlap": self.overlap(),
            "warehouse_lines_usd": sum(lender.warehouse_lines() for lender in model.lenders()),
            "warehouse_called_usd": self.flows["warehouse_called_usd"],
            "warehouse_impairment_usd": sum(lender.warehouse_impairment()
                                            for lender in model.lenders()),
            "warehouse_deficiency_usd": self.flows["warehouse_deficiency_usd"],
        }

    def overlap(self) -> float:
        """How alike the lenders' books are: the mean cosine similarity, over pairs of
        lenders with loans, of what each has lent to each borrower (0: no borrower in
        common, 1: the same book), the measure of portfolio similarity of Getmansky et al.
        (2021). Overlap is the path by which one default, or one fire sale, hits several
        lenders at once (Cont & Schaanning 2017)."""
        model = self.model
        borrowers = {cloud.unique_id: i for i, cloud in enumerate(model.neoclouds())}
        books = []
        for lender in model.lenders():
            book = np.zeros(len(borrowers))
            for loan in self.book_of(lender):
                if loan.borrower.unique_id in borrowers:
                    book[borrowers[loan.borrower.unique_id]] += loan.holders[lender].drawn
            length = norm(book)
            if length > 0:
                books.append(book / length)
        if len(books) < 2:
            return 0.0
        unit = np.array(books)
        similarity = gram(unit)
        pairs = np.triu_indices(len(books), k=1)
        return float(similarity[pairs].mean())


def syndicate_health(loan: Loan) -> float:
    """The holders' health weighted by what each has at stake (drawn and committed)."""
    return sum(holder.health() * fraction for holder, fraction in
               pro_rata({h: s.drawn + s.undrawn for h, s in loan.holders.items()}))


def collateral_volatility(model: NeocloudMarket) -> float | None:
    """Annualised downside volatility of used-GPU values over the last year: the square root
    of twice the mean square of the monthly log falls (rises count as zero), which equals the
    standard deviation for changes symmetric about zero. Value-at-risk measures losses, so a
    run-up in collateral values is calm, not risk. None before there are four values to
    measure it from (or with a non-positive one)."""
    series = np.asarray(model.history["gpu_value_index"][-13:])
    if len(series) < 4 or np.any(series <= 0):
        return None
    falls = np.minimum(np.diff(np.log(series)), 0.0)
    return float(math.sqrt(2.0 * np.mean(falls**2) * 12.0))


def contracted_share(model: NeocloudMarket, borrower: Neocloud) -> float:
    """Share of the borrower's capacity under take-or-pay contracts, startups' and
    hyperscalers' (investment-grade tenants' contracts back a loan, as in CoreWeave's
    Microsoft-backed facilities)."""
    contracted = sum(float(book.gpu_hours[book.of_provider(borrower.account)].sum())
                     for book in (model.rental.contracts, model.rental.anchors))
    capacity = sum(borrower.gpus().values()) * HOURS_PER_MONTH
    return contracted / capacity if capacity > 0 else 0.0


def contracted_revenue(model: NeocloudMarket, borrower: Neocloud) -> float:
    """Monthly rent owed to the borrower under live take-or-pay contracts."""
    total = 0.0
    for book in (model.rental.contracts, model.rental.anchors):
        mine = book.of_provider(borrower.account)
        total += float((book.gpu_hours[mine] * book.price[mine]).sum())
    return total
