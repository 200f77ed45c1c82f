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
    initial_capital: float = param(
        2e9, "$ per lender", low=0.0, high=1e12, setup_only=True,
        doc="capital at the start",
        source="modelling assumption (equity each lender commits to GPU lending; > $11B lent in 12 months, "
               "S1)",
        plausible=(1e9, 5e9),
        plausible_source="modelling assumption")
    min_capital_ratio: float = param(
        0.1, "capital / exposure", low=0.0, high=1.0,
        doc="regulatory minimum of capital to exposure; new lending needs it times "
            "lenders.lending_buffer",
        source="Basel III total capital 8% + buffers",
        plausible=(0.08, 0.125),
        plausible_source="Basel III: 8% total capital, 10.5% with the conservation buffer, more for G-SIBs")
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
        "fixed", "policy", choices=("fixed", "procyclical", "countercyclical"),
        doc="how the advance responds to the cycle",
        source="Adrian & Shin (2010) on procyclical leverage; modelling assumption",
        label="leverage policy")
    policy_sensitivity: float = param(
        1.0, "LTV cut per unit volatility or price stretch", low=0.0, high=10.0,
        doc="strength of the pro/countercyclical rule",
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
        source="modelling assumption (lenders rarely call loans that still cover debt service)",
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
