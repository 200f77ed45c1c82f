"""Lenders (private credit, asset managers, banks): capital, underwriting, leverage policy,
spreads, covenants and liquidation.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import param


@dataclass(frozen=True)
class LenderParams:
    """The ``lenders`` group of parameters."""

    count: int = param(
        6, "lenders", low=0, high=100, setup_only=True,
        doc="lenders, cycling private credit, asset manager, bank",
        source="modelling assumption (GPU lenders in CoreWeave's S-1: Blackstone, Magnetar, PIMCO, "
               "BlackRock, Carlyle, banks)",
        plausible=(4, 8),
        plausible_source="modelling assumption")
    hybrid_count: int = param(
        1, "lenders", low=0, high=100, setup_only=True,
        doc="private credit lenders that are hybrid funds: they also buy equity in the firms they "
            "lend to (the first ones created)",
        source="fact S11: Magnetar both finances neoclouds and holds their equity (it led "
               "CoreWeave's equity rounds and lent against its GPUs; CoreWeave S-1, 2025)",
        plausible=(0, 2),
        plausible_source="modelling assumption")
    hybrid_equity_ratio: float = param(
        0.1, "$ of equity per $ of loan committed", low=0.0, high=10.0,
        doc="equity a hybrid lender buys in a borrower (new shares) with each loan it commits",
        source="modelling assumption (an equity co-investment alongside the loan)",
        plausible=(0.0, 0.3),
        plausible_source="modelling assumption")
    initial_capital: float = param(
        2e9, "$ per lender", low=0.0, high=1e12, setup_only=True,
        doc="capital at the start",
        source="modelling assumption (equity each lender commits to GPU lending; > $11B lent in 12 months, "
               "S1)",
        plausible=(1e9, 5e9),
        plausible_source="modelling assumption")
    min_capital_ratio: float = param(
        0.105, "capital / exposure", low=0.0, high=1.0,
        doc="a bank's minimum of capital to exposure; new lending needs it times "
            "lenders.lending_buffer",
        source="Basel III: 8% total capital plus the 2.5% conservation buffer",
        plausible=(0.08, 0.13),
        plausible_source="Basel III: 8% total capital, 10.5% with the conservation buffer, more for G-SIBs",
        label="bank minimum capital ratio")
    nonbank_min_capital_ratio: float = param(
        1 / 3, "capital / exposure", low=0.0, high=1.0,
        doc="a private credit fund's or asset manager's minimum of capital to exposure (the "
            "asset-coverage floor on its borrowing); new lending needs it times "
            "lenders.lending_buffer",
        source="US Investment Company Act s.61 as amended by the Small Business Credit "
               "Availability Act 2018: BDC asset coverage of 150% (debt at most twice equity)",
        plausible=(0.33, 0.5),
        plausible_source="BDC asset coverage 150% (2018 onward) to 200% (before)",
        label="non-bank minimum capital ratio")
    lending_buffer: float = param(
        1.5, "x minimum capital ratio", low=1.0, high=10.0,
        doc="capital ratio a lender keeps when making new loans",
        source="modelling assumption (management buffer over regulatory minimum)",
        plausible=(1.2, 2.0),
        plausible_source="modelling assumption")
    spot_revenue_haircut: float = param(
        0.5, "fraction", low=0.0, high=1.0,
        doc="share of spot revenue lenders ignore in projected coverage",
        source="modelling assumption (lenders underwrite take-or-pay contracts; CoreWeave DDTLs secured by "
               "customer contracts)",
        plausible=(0.3, 0.7),
        plausible_source="modelling assumption")
    max_ltv: float = param(
        0.7, "loan / collateral at origination", low=0.0, high=1.0,
        doc="loan-to-value a lender advances",
        source="GPU ABS and CoreWeave DDTL advance rates 60-80%",
        plausible=(0.5, 0.85),
        plausible_source="GPU ABS and CoreWeave DDTL advance rates 60-80%",
        label="max LTV")
    private_credit_ltv_premium: float = param(
        0.05, "LTV points", low=0.0, high=0.5,
        doc="extra advance by private credit",
        source="modelling assumption (higher risk appetite of private credit)",
        plausible=(0.0, 0.1),
        plausible_source="modelling assumption")
    private_credit_dscr_factor: float = param(
        0.85, "x min DSCR", low=0.1, high=2.0,
        doc="private credit accepts lower projected coverage",
        source="modelling assumption",
        plausible=(0.7, 1.0),
        plausible_source="modelling assumption")
    leverage_policy: str = param(
        "fixed", "policy", choices=("fixed", "value_at_risk", "countercyclical"),
        doc="how the advance responds to the cycle: fixed; value-at-risk (haircut in "
            "proportion to measured downside volatility of collateral, so leverage rises in "
            "calm markets, and the whole book's covenant limits follow it); countercyclical "
            "(tighter when rents run above trend)",
        source="Adrian & Shin (2010) and Aymanns & Farmer (2015) on value-at-risk leverage; "
               "modelling assumption",
        label="leverage policy")
    var_reference_volatility: float = param(
        0.22, "annualised downside volatility of used-GPU values", low=0.01, high=2.0,
        doc="downside volatility at which the value-at-risk advance equals the fixed advance "
            "lenders.max_ltv; below it the value-at-risk rule lends more, above it less",
        source="calibrated: with it the commitment-weighted mean advance of the value-at-risk rule "
               "in the baseline is within 0.03 of the fixed rule's, above it under one Python and "
               "below under the other (0.725 and 0.687 against 0.712 and 0.713, seeds 1-20, "
               "Pythons 3.11 and 3.12)",
        plausible=(0.15, 0.35),
        plausible_source="modelling assumption")
    policy_sensitivity: float = param(
        1.0, "LTV cut per unit price stretch", low=0.0, high=10.0,
        doc="strength of the countercyclical rule",
        source="modelling assumption",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption")
    ltv_cushion: float = param(
        0.3, "LTV points", low=0.0, high=1.0,
        doc="covenant LTV over origination LTV",
        source="modelling assumption (maintenance covenants sit above the advance rate)",
        plausible=(0.15, 0.4),
        plausible_source="modelling assumption",
        label="LTV covenant cushion")
    min_dscr: float = param(
        1.4, "x debt service", low=0.0, high=10.0,
        doc="coverage covenant and underwriting test",
        source="modelling assumption (project-finance coverage covenants ~1.2-1.5x)",
        plausible=(1.2, 1.75),
        plausible_source="project-finance coverage covenants 1.2-1.75x; modelling assumption",
        label="min DSCR")
    term_months: int = param(
        54, "months", low=6, high=240,
        doc="amortisation term",
        source="CoreWeave DDTL 2023-24 (48-60 months)",
        plausible=(36, 72),
        plausible_source="CoreWeave DDTL facilities 2023-24 (48-60 months); modelling assumption")
    spread_private_credit: float = param(
        0.09, "fraction per year", low=0.0, high=0.5,
        doc="spread over base",
        source="CoreWeave DDTL 1.0: ~15% all-in in 2023 with SOFR 5.3%",
        plausible=(0.06, 0.13),
        plausible_source="CoreWeave DDTLs 2023-24: SOFR + 6-13%")
    spread_asset_manager: float = param(
        0.065, "fraction per year", low=0.0, high=0.5,
        doc="spread over base",
        source="SOFR+6-6.5% (DDTL 2.0)",
        plausible=(0.04, 0.08),
        plausible_source="modelling assumption")
    spread_bank: float = param(
        0.035, "fraction per year", low=0.0, high=0.5,
        doc="spread over base",
        source="SOFR+2.25% A3 deal 2026 plus sector premium; assumption",
        plausible=(0.02, 0.05),
        plausible_source="modelling assumption")
    investment_grade_share: float = param(
        0.5, "contracted share of capacity", low=0.0, high=1.0,
        doc="take-or-pay coverage that makes a loan investment-grade backed",
        source="modelling assumption",
        plausible=(0.3, 0.7),
        plausible_source="modelling assumption")
    investment_grade_discount: float = param(
        0.03, "fraction per year", low=0.0, high=0.5,
        doc="spread cut for contract-backed loans",
        source="CoreWeave DDTL 2.0 (2024): SOFR+6-6.5% for tranches backed by investment-grade contracts vs"
               " ~SOFR+13% otherwise (press reports)",
        plausible=(0.01, 0.06),
        plausible_source="modelling assumption")
    spread_default_sensitivity: float = param(
        0.5, "spread per annual default rate", low=0.0, high=10.0,
        doc="spreads widen with the sector's recent default rate",
        source="modelling assumption",
        plausible=(0.2, 1.0),
        plausible_source="modelling assumption")
    waiver_probability: float = param(
        0.7, "probability", low=0.0, high=1.0,
        doc="chance a healthy lender waives a breach (scaled by its health)",
        source="CoreWeave's 2024 technical defaults were waived",
        plausible=(0.4, 0.9),
        plausible_source="modelling assumption")
    covenant_grace_months: int = param(
        6, "months", low=0, high=60,
        doc="age before a loan's covenants are tested",
        source="project-finance practice: covenants tested after a ramp-up period",
        plausible=(3, 12),
        plausible_source="modelling assumption")
    performing_waiver: float = param(
        1.0, "probability per month", low=0.0, high=1.0,
        doc="chance an uncured covenant breach (LTV or coverage) is waived while the "
            "borrower's trailing coverage is at least 1",
        source="modelling assumption (lenders rarely call loans that still cover debt service: "
               "covenant violations end in waivers and renegotiated terms, not acceleration, "
               "Roberts & Sufi 2009; Nini, Smith & Sufi 2012)",
        plausible=(0.5, 1.0),
        plausible_source="modelling assumption")
    liquidation_months: int = param(
        6, "months", low=1, high=60,
        doc="seized GPUs are sold evenly over this window",
        source="modelling assumption",
        plausible=(3, 12),
        plausible_source="modelling assumption")
    funding_spread: float = param(
        0.01, "fraction per year", low=0.0, high=0.2,
        doc="lenders' funding cost over the base rate",
        source="modelling assumption",
        plausible=(0.005, 0.02),
        plausible_source="modelling assumption")
    funding_spread_sensitivity: float = param(
        0.05, "fraction per year at the minimum capital ratio", low=0.0, high=1.0,
        doc="extra funding spread a lender pays as its capital ratio falls from the lending "
            "threshold (health 1) to the minimum (health 0): funders charge weak lenders more",
        source="modelling assumption (bank funding costs rise as capital falls; 5 points at the "
               "regulatory minimum)",
        plausible=(0.02, 0.1),
        plausible_source="modelling assumption")
    stage1_default_probability: float = param(
        0.02, "probability per year", low=0.0, high=1.0,
        doc="floor of the twelve-month default probability of a performing loan (IFRS 9 stage "
            "1); the sector's default rate of the last twelve months when higher",
        source="modelling assumption (single-B leveraged loans, the rating of unrated GPU-backed "
               "neocloud debt)",
        plausible=(0.01, 0.05),
        plausible_source="modelling assumption")
    stage2_default_probability: float = param(
        0.2, "probability per year", low=0.0, high=1.0,
        doc="yearly default probability of a loan whose credit risk has risen significantly "
            "(IFRS 9 stage 2: a covenant breach, LTV or coverage), over its remaining life",
        source="modelling assumption (deep sub-investment grade, Caa-like)",
        plausible=(0.1, 0.35),
        plausible_source="modelling assumption")
    syndication_threshold: float = param(
        1e9, "$ of commitment", low=0.0, high=1e13,
        doc="a new loan of at least this size is syndicated: the arranger sells parts to other "
            "lenders, who then share its draws, payments, losses and seized GPUs pro rata",
        source="modelling assumption (CoreWeave's GPU-backed facilities of $2.3bn in 2023 and "
               "$7.6bn in 2024, DDTL 1.0 and 2.0, were each held by a group of lenders under one "
               "agent: CoreWeave S-1, 2025; 8-K of 2025-10-02)",
        plausible=(5e8, 5e9),
        plausible_source="modelling assumption",
        label="syndication threshold")
    syndicate_size: int = param(
        3, "lenders", low=1, high=100,
        doc="most lenders holding one syndicated loan, the arranger included (1: no syndication)",
        source="modelling assumption (DDTL 2.0 was led by Blackstone and Magnetar with several "
               "other investors; in a market of six lenders, half of them)",
        plausible=(2, 6),
        plausible_source="modelling assumption")
    arranger_share: float = param(
        0.3, "fraction of the loan", low=0.0, high=1.0,
        doc="least share of a syndicated loan the arranger keeps (more when too few lenders "
            "can take a part)",
        source="modelling assumption (arrangers keep a minority and often sell out entirely: "
               "Blickle, Fleckenstein, Hillenbrand & Saunders 2020, NY Fed Staff Report 922)",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption")
    loan_sale_discount: float = param(
        0.2, "fraction of carrying value", low=0.0, high=1.0,
        doc="discount at which a lender's loans are sold when it must sell (to meet withdrawn "
            "funding or redemptions, or in its resolution after failure) to the lenders still "
            "lending; carrying value is the drawn balance less its expected loss",
        source="modelling assumption (distressed loan portfolios sell below carrying value)",
        plausible=(0.1, 0.35),
        plausible_source="modelling assumption")
    funding_run_threshold: float = param(
        1.0, "x the lender's minimum capital ratio", low=0.0, high=10.0,
        doc="capital ratio, in multiples of the lender's own minimum, below which its funders "
            "stop rolling its funding debt over (a dated shock can raise it: a funding shock)",
        source="modelling assumption (wholesale funders and back-leverage lenders pull back from "
               "lenders at their regulatory minimum)",
        plausible=(1.0, 1.5),
        plausible_source="modelling assumption")
    funding_run_share: float = param(
        0.25, "fraction of funding debt per month", low=0.0, high=1.0,
        doc="share of its funding debt a lender below the run threshold must repay each month",
        source="modelling assumption (short-term wholesale funding and warehouse lines roll "
               "monthly or quarterly)",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption")
    redemption_sensitivity: float = param(
        1.0, "share of capital per quarter per unit of loss", low=0.0, high=10.0,
        doc="private credit investors' quarterly redemption requests as a share of the fund's "
            "capital, per unit of its loss (negative return) over the last twelve months",
        source="modelling assumption (fund flows follow past performance: Chevalier & Ellison 1997; "
               "Goldstein, Jiang & Ng 2017 for bond funds)",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption")
    redemption_gate: float = param(
        0.05, "share of capital per quarter", low=0.0, high=1.0,
        doc="most a private credit fund repurchases in a quarter; requests above it wait",
        source="Blackstone Private Credit Fund (BCRED) prospectus: quarterly repurchases limited to "
               "5% of net asset value",
        plausible=(0.02, 0.1),
        plausible_source="non-traded BDC and REIT repurchase limits of 2-5% a quarter")
    bank_funded_share: float = param(
        0.0, "fraction of a private credit fund's borrowing", low=0.0, high=1.0,
        doc="share of a private credit fund's borrowing drawn on a warehouse line from one of the "
            "model's banks (the rest comes from outside funding markets): the bank-to-private-"
            "credit chain, through which a fund's losses reach a bank's capital and a weak bank "
            "cuts the funds' lines; 0 switches the chain off",
        source="modelling assumption (0 keeps the baseline, whose lenders all borrow "
               "from outside funding markets); private credit funds' credit facilities are "
               "bank revolvers secured on the fund's assets (BDC 10-Qs of 2025, e.g. a $550m "
               "Scotiabank facility at SOFR + 1.975%, SEC accession 0002071136-25-000009; "
               "Dechert, 'Back to basics: key differences between sub lines and NAV "
               "facilities', 2024)",
        plausible=(0.0, 1.0),
        plausible_source="modelling assumption",
        label="bank-funded share of private credit borrowing")
    warehouse_advance_rate: float = param(
        0.7, "fraction of carrying value", low=0.0, high=1.0,
        doc="what a bank lends on a warehouse line against each performing loan (IFRS 9 stage "
            "1) its private credit fund holds, as a share of the loan's carrying value: the "
            "line's borrowing base; the fund cannot draw beyond it and must repay the excess "
            "when its loans sour",
        source="advance rates in loan and security agreements of private credit financing "
               "facilities: private credit loans 72.5%, middle-market first-lien loans 70%, "
               "first-lien loans 67.5% (Law Insider, 'Asset Advance Rate' definitions, "
               "lawinsider.com/dictionary/asset-advance-rate)",
        plausible=(0.6, 0.75),
        plausible_source="the same agreements (first-lien and private credit loans 67.5-72.5%)",
        label="warehouse advance rate, performing loans")
    warehouse_impaired_advance_rate: float = param(
        0.4, "fraction of carrying value", low=0.0, high=1.0,
        doc="what the bank lends against a fund's loan whose credit risk has risen (IFRS 9 "
            "stage 2 or 3: a covenant breach or a borrower no longer covering its debt "
            "service), as a share of its carrying value; the haircut that rises with losses",
        source="the same agreements: loans downgraded below B3 / B- after their acquisition, "
               "and second-lien loans, 40% (Law Insider, 'Asset Advance Rate' definitions)",
        plausible=(0.0, 0.5),
        plausible_source="modelling assumption (0: impaired loans ineligible, as defaulted "
                         "obligations often are)",
        label="warehouse advance rate, impaired loans")
