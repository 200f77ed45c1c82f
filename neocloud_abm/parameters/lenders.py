"""Lenders (private credit, asset managers, banks): capital, underwriting, leverage policy,
spreads, covenants and liquidation.

Each entry: default, unit, hard bounds, meaning, source, and the plausible range that sweeps,
calibration priors and the dashboard use by default (with its own source).
"""

from __future__ import annotations

from neocloud_abm.params import Spec

LENDERS: dict[str, Spec] = {
    "lenders.count": Spec(
        default=6, unit="lenders", low=0, high=100, kind="int",
        doc="lenders, cycling private credit, asset manager, bank",
        source="modelling assumption (GPU lenders in CoreWeave's S-1: Blackstone, Magnetar, PIMCO, "
               "BlackRock, Carlyle, banks)",
        plausible=(4, 8),
        plausible_source="modelling assumption",
        setup_only=True),
    "lenders.initial_capital": Spec(
        default=2e9, unit="$ per lender", low=0.0, high=1e12,
        doc="capital at the start",
        source="modelling assumption (equity each lender commits to GPU lending; > $11B lent in 12 months, "
               "S1)",
        plausible=(1e9, 5e9),
        plausible_source="modelling assumption",
        setup_only=True),
    "lenders.min_capital_ratio": Spec(
        default=0.1, unit="capital / exposure", low=0.0, high=1.0,
        doc="below it a lender stops new lending",
        source="Basel III total capital 8% + buffers",
        plausible=(0.08, 0.125),
        plausible_source="Basel III: 8% total capital, 10.5% with the conservation buffer, more for G-SIBs"),
    "lenders.lending_buffer": Spec(
        default=1.5, unit="x minimum capital ratio", low=1.0, high=10.0,
        doc="capital ratio a lender keeps when making new loans",
        source="modelling assumption (management buffer over regulatory minimum)",
        plausible=(1.2, 2.0),
        plausible_source="modelling assumption"),
    "lenders.spot_revenue_haircut": Spec(
        default=0.5, unit="fraction", low=0.0, high=1.0,
        doc="share of spot revenue lenders ignore in projected coverage",
        source="modelling assumption (lenders underwrite take-or-pay contracts; CoreWeave DDTLs secured by "
               "customer contracts)",
        plausible=(0.3, 0.7),
        plausible_source="modelling assumption"),
    "lenders.max_ltv": Spec(
        default=0.7, unit="loan / collateral at origination", low=0.0, high=1.0,
        doc="loan-to-value a lender advances",
        source="GPU ABS and CoreWeave DDTL advance rates 60-80%",
        plausible=(0.5, 0.85),
        plausible_source="GPU ABS and CoreWeave DDTL advance rates 60-80%",
        label="max LTV"),
    "lenders.private_credit_ltv_premium": Spec(
        default=0.05, unit="LTV points", low=0.0, high=0.5,
        doc="extra advance by private credit",
        source="modelling assumption (higher risk appetite of private credit)",
        plausible=(0.0, 0.1),
        plausible_source="modelling assumption"),
    "lenders.private_credit_dscr_factor": Spec(
        default=0.85, unit="x min DSCR", low=0.1, high=2.0,
        doc="private credit accepts lower projected coverage",
        source="modelling assumption",
        plausible=(0.7, 1.0),
        plausible_source="modelling assumption"),
    "lenders.leverage_policy": Spec(
        default="fixed", unit="policy", kind="str", choices=("fixed", "procyclical", "countercyclical"),
        doc="how the advance responds to the cycle",
        source="Adrian & Shin (2010) on procyclical leverage; modelling assumption",
        label="leverage policy"),
    "lenders.policy_sensitivity": Spec(
        default=1.0, unit="LTV cut per unit volatility or price stretch", low=0.0, high=10.0,
        doc="strength of the pro/countercyclical rule",
        source="modelling assumption",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption"),
    "lenders.ltv_cushion": Spec(
        default=0.3, unit="LTV points", low=0.0, high=1.0,
        doc="covenant LTV over origination LTV",
        source="modelling assumption (maintenance covenants sit above the advance rate)",
        plausible=(0.15, 0.4),
        plausible_source="modelling assumption",
        label="LTV covenant cushion"),
    "lenders.min_dscr": Spec(
        default=1.4, unit="x debt service", low=0.0, high=10.0,
        doc="coverage covenant and underwriting test",
        source="modelling assumption (project-finance coverage covenants ~1.2-1.5x)",
        plausible=(1.2, 1.75),
        plausible_source="project-finance coverage covenants 1.2-1.75x; modelling assumption",
        label="min DSCR"),
    "lenders.term_months": Spec(
        default=54, unit="months", low=6, high=240, kind="int",
        doc="amortisation term",
        source="CoreWeave DDTL 2023-24 (48-60 months)",
        plausible=(36, 72),
        plausible_source="CoreWeave DDTL facilities 2023-24 (48-60 months); modelling assumption"),
    "lenders.spread_private_credit": Spec(
        default=0.09, unit="fraction per year", low=0.0, high=0.5,
        doc="spread over base",
        source="CoreWeave DDTL 1.0: ~15% all-in in 2023 with SOFR 5.3%",
        plausible=(0.06, 0.13),
        plausible_source="CoreWeave DDTLs 2023-24: SOFR + 6-13%"),
    "lenders.spread_asset_manager": Spec(
        default=0.065, unit="fraction per year", low=0.0, high=0.5,
        doc="spread over base",
        source="SOFR+6-6.5% (DDTL 2.0)",
        plausible=(0.04, 0.08),
        plausible_source="modelling assumption"),
    "lenders.spread_bank": Spec(
        default=0.035, unit="fraction per year", low=0.0, high=0.5,
        doc="spread over base",
        source="SOFR+2.25% A3 deal 2026 plus sector premium; assumption",
        plausible=(0.02, 0.05),
        plausible_source="modelling assumption"),
    "lenders.investment_grade_share": Spec(
        default=0.5, unit="contracted share of capacity", low=0.0, high=1.0,
        doc="take-or-pay coverage that makes a loan investment-grade backed",
        source="modelling assumption",
        plausible=(0.3, 0.7),
        plausible_source="modelling assumption"),
    "lenders.investment_grade_discount": Spec(
        default=0.03, unit="fraction per year", low=0.0, high=0.5,
        doc="spread cut for contract-backed loans",
        source="CoreWeave DDTL 2.0 (2024): SOFR+6-6.5% for tranches backed by investment-grade contracts vs"
               " ~SOFR+13% otherwise (press reports)",
        plausible=(0.01, 0.06),
        plausible_source="modelling assumption"),
    "lenders.spread_default_sensitivity": Spec(
        default=0.5, unit="spread per annual default rate", low=0.0, high=10.0,
        doc="spreads widen with the sector's recent default rate",
        source="modelling assumption",
        plausible=(0.2, 1.0),
        plausible_source="modelling assumption"),
    "lenders.waiver_probability": Spec(
        default=0.7, unit="probability", low=0.0, high=1.0,
        doc="chance a healthy lender waives a breach (scaled by its health)",
        source="CoreWeave's 2024 technical defaults were waived",
        plausible=(0.4, 0.9),
        plausible_source="modelling assumption"),
    "lenders.covenant_grace_months": Spec(
        default=6, unit="months", low=0, high=60, kind="int",
        doc="age before a loan's covenants are tested",
        source="project-finance practice: covenants tested after a ramp-up period",
        plausible=(3, 12),
        plausible_source="modelling assumption"),
    "lenders.performing_waiver": Spec(
        default=1.0, unit="probability per month", low=0.0, high=1.0,
        doc="chance an LTV breach is waived while the borrower covers its debt service",
        source="modelling assumption (lenders rarely call loans that still cover debt service)",
        plausible=(0.5, 1.0),
        plausible_source="modelling assumption"),
    "lenders.liquidation_months": Spec(
        default=6, unit="months", low=1, high=60, kind="int",
        doc="seized GPUs are sold evenly over this window",
        source="modelling assumption",
        plausible=(3, 12),
        plausible_source="modelling assumption"),
    "lenders.funding_spread": Spec(
        default=0.01, unit="fraction per year", low=0.0, high=0.2,
        doc="lenders' funding cost over the base rate",
        source="modelling assumption",
        plausible=(0.005, 0.02),
        plausible_source="modelling assumption"),
}
