"""AI startups, the renters of compute: sizes, demand, monetisation, funding, entry and contracts.

Each entry: default, unit, hard bounds, meaning, source, and the plausible range that sweeps,
calibration priors and the dashboard use by default (with its own source).
"""

from __future__ import annotations

from neocloud_abm.params import Spec

STARTUPS: dict[str, Spec] = {
    "startups.initial_count": Spec(
        default=400, unit="firms", low=1, high=100000, kind="int",
        doc="startups at the start",
        source="modelling assumption (hundreds of funded AI startups renting GPUs)",
        plausible=(200, 1000),
        plausible_source="modelling assumption",
        setup_only=True),
    "startups.max_count": Spec(
        default=20000, unit="firms", low=100, high=1000000, kind="int",
        doc="most startups alive at once; entrants beyond it are turned away (incumbents' needs still grow)",
        source="modelling assumption (bounds memory and run time)",
        plausible=(10000, 50000),
        plausible_source="modelling assumption (a bound on memory and run time)"),
    "startups.initial_demand_ratio": Spec(
        default=0.95, unit="x neocloud capacity", low=0.0, high=10.0,
        doc="startups' demand at the initial price relative to installed neocloud capacity",
        source="modelling assumption; 2022 GPU clouds ran near full (SemiAnalysis)",
        plausible=(0.8, 1.1),
        plausible_source="modelling assumption",
        setup_only=True),
    "startups.size_tail": Spec(
        default=1.1, unit="Pareto alpha", low=0.5, high=5.0,
        doc="tail index of startup sizes",
        source="Epoch AI: compute concentrated in a few frontier labs",
        plausible=(1.05, 1.5),
        plausible_source="Epoch AI: a few frontier labs carry most compute (Pareto tail near 1)"),
    "startups.price_elasticity": Spec(
        default=0.7, unit="elasticity", low=0.0, high=5.0,
        doc="price elasticity of compute demand",
        source="modelling assumption (inference demand expands as compute gets cheaper)",
        plausible=(0.3, 1.2),
        plausible_source="modelling assumption",
        label="price elasticity of demand"),
    "startups.need_growth": Spec(
        default=0.005, unit="log per month", low=-0.5, high=0.5,
        doc="growth of compute need at zero sentiment",
        source="modelling assumption",
        plausible=(-0.005, 0.015),
        plausible_source="modelling assumption"),
    "startups.need_growth_sentiment": Spec(
        default=0.06, unit="log per month per sentiment point", low=0.0, high=0.5,
        doc="extra need growth with sentiment",
        source="Epoch AI: training compute 4-5x per year; calibrated",
        plausible=(0.03, 0.09),
        plausible_source="modelling assumption: half to 1.5x the calibrated value"),
    "startups.need_noise": Spec(
        default=0.05, unit="log s.d. per month", low=0.0, high=1.0,
        doc="idiosyncratic need shocks",
        source="modelling assumption",
        plausible=(0.02, 0.1),
        plausible_source="modelling assumption"),
    "startups.revenue_per_compute": Spec(
        default=0.25, unit="$ revenue per $ of compute at reference price", low=0.0, high=10.0,
        doc="monetisation at the start",
        source="Sequoia 'AI's $600B question' (2024); calibrated",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption: 0.4-2x the calibrated value"),
    "startups.monetisation_growth": Spec(
        default=0.2, unit="log per year", low=-1.0, high=3.0,
        doc="growth of revenue per unit of compute used",
        source="OpenAI/Anthropic revenue growth 2023-25",
        plausible=(0.1, 0.6),
        plausible_source="modelling assumption",
        label="monetisation growth"),
    "startups.productivity_noise": Spec(
        default=0.08, unit="log s.d. per month", low=0.0, high=1.0,
        doc="drift of a startup's revenue per unit of compute; investors fund the productive ones more "
            "readily",
        source="modelling assumption",
        plausible=(0.04, 0.15),
        plausible_source="modelling assumption"),
    "startups.noncompute_cost_ratio": Spec(
        default=0.4, unit="x need valued at the reference price", low=0.0, high=10.0,
        doc="non-compute costs, fixed by the startup's scale",
        source="modelling assumption (staff and other costs ~ 30-40% of an AI lab's spending)",
        plausible=(0.2, 0.8),
        plausible_source="modelling assumption"),
    "startups.spend_horizon_months": Spec(
        default=12.0, unit="months", low=1.0, high=120.0,
        doc="cash is spent over this many months",
        source="modelling assumption (burn a round over 12-18 months)",
        plausible=(9.0, 24.0),
        plausible_source="modelling assumption"),
    "startups.initial_runway_months": Spec(
        default=18.0, unit="months", low=0.0, high=240.0,
        doc="starting cash in months of spending",
        source="modelling assumption",
        plausible=(12.0, 24.0),
        plausible_source="Carta 2024 (12-24 months of runway)"),
    "startups.funding_runway_months": Spec(
        default=9.0, unit="months", low=0.0, high=60.0,
        doc="runway at which a startup raises",
        source="typical VC round cadence (Carta 2024)",
        plausible=(6.0, 12.0),
        plausible_source="modelling assumption"),
    "startups.funding_success": Spec(
        default=0.15, unit="probability per month at zero sentiment", low=0.0, high=1.0,
        doc="chance that a raise succeeds",
        source="modelling assumption",
        plausible=(0.08, 0.25),
        plausible_source="modelling assumption"),
    "startups.funding_sentiment": Spec(
        default=1.2, unit="log-odds per sentiment point", low=0.0, high=10.0,
        doc="how much sentiment raises that chance",
        source="modelling assumption",
        plausible=(0.6, 2.0),
        plausible_source="modelling assumption"),
    "startups.round_months": Spec(
        default=18.0, unit="months of spending", low=1.0, high=120.0,
        doc="size of a round",
        source="Carta 2024 (18-24 months runway per round)",
        plausible=(12.0, 24.0),
        plausible_source="Carta 2024 (18-24 months of runway per round)"),
    "startups.round_sentiment": Spec(
        default=0.4, unit="log size per sentiment point", low=0.0, high=5.0,
        doc="round size rises with sentiment",
        source="PitchBook-NVCA 2023-25 AI mega-rounds",
        plausible=(0.2, 0.8),
        plausible_source="modelling assumption"),
    "startups.entry_rate": Spec(
        default=0.005, unit="share of population per month", low=0.0, high=1.0,
        doc="entry at zero sentiment",
        source="PitchBook AI startup formation; assumption",
        plausible=(0.002, 0.01),
        plausible_source="modelling assumption"),
    "startups.entry_sentiment": Spec(
        default=0.8, unit="log rate per sentiment point", low=0.0, high=5.0,
        doc="entry rises with sentiment",
        source="modelling assumption",
        plausible=(0.4, 1.2),
        plausible_source="modelling assumption"),
    "startups.contract_share": Spec(
        default=0.7, unit="fraction of need", low=0.0, high=1.0,
        doc="share of its need a large startup puts under term contracts",
        source="CoreWeave S-1 (Microsoft, OpenAI anchor contracts)",
        plausible=(0.5, 0.9),
        plausible_source="modelling assumption"),
    "startups.contract_size_quantile": Spec(
        default=0.9, unit="quantile", low=0.0, high=1.0,
        doc="startups above this size quantile sign term contracts",
        source="modelling assumption",
        plausible=(0.8, 0.95),
        plausible_source="modelling assumption"),
    "startups.min_term_months": Spec(
        default=12, unit="months", low=1, high=120, kind="int",
        doc="shortest contract",
        source="modelling assumption (take-or-pay terms of 1-5 years, CoreWeave S-1)",
        plausible=(6, 24),
        plausible_source="modelling assumption (1-2-year contracts common)"),
    "startups.max_term_months": Spec(
        default=60, unit="months", low=1, high=120, kind="int",
        doc="longest contract (largest tenants)",
        source="CoreWeave S-1 (2025): largest contracts 4-6 years, weighted average ~4",
        plausible=(36, 72),
        plausible_source="CoreWeave S-1: largest contracts 4-6 years"),
}
