"""AI startups, the renters of compute: sizes, demand, monetisation, funding, entry and contracts.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import ESTIMATED, param


@dataclass(frozen=True)
class StartupParams:
    """The ``startups`` group of parameters."""

    initial_count: int = param(
        400, "firms", low=1, high=100000, setup_only=True,
        doc="startups at the start",
        source="modelling assumption (hundreds of funded AI startups renting GPUs)",
        plausible=(200, 1000),
        plausible_source="modelling assumption")
    max_count: int = param(
        20000, "firms", low=100, high=1000000,
        doc="most startups alive at once; entrants beyond it are turned away (incumbents' needs still grow)",
        source="modelling assumption (bounds memory and run time)",
        plausible=(10000, 50000),
        plausible_source="modelling assumption (a bound on memory and run time)")
    initial_demand_ratio: float = param(
        0.95, "x neocloud capacity", low=0.0, high=10.0, setup_only=True,
        doc="startups' demand at the initial price relative to installed neocloud capacity",
        source="modelling assumption; 2022 GPU clouds ran near full (SemiAnalysis)",
        plausible=(0.8, 1.1),
        plausible_source="modelling assumption")
    size_tail: float = param(
        1.1, "Pareto alpha", low=0.5, high=5.0,
        doc="tail index of startup sizes",
        source="Epoch AI: compute concentrated in a few frontier labs",
        plausible=(1.05, 1.5),
        plausible_source="Epoch AI: a few frontier labs carry most compute (Pareto tail near 1)")
    price_elasticity: float = param(
        1.33, "elasticity", low=1.01, high=10.0,
        doc="price elasticity of compute demand, 1/(1 - alpha) where revenue = A q^alpha is concave in "
            "compute (alpha = 0.25 at the default: value per unit of compute falls as compute grows)",
        source="modelling assumption (power-law returns to compute: Kaplan et al. 2020, Hoffmann et al. "
               "2022)",
        plausible=(1.1, 2.0),
        plausible_source="modelling assumption (alpha 0.1-0.5)",
        label="price elasticity of demand")
    valuation_sentiment: float = param(
        0.3, "log revenue multiple per sentiment point", low=0.0, high=5.0,
        doc="investors' multiple on revenue rises with sentiment; startups buy compute until the "
            "valued marginal revenue equals the price",
        source=f"modelling assumption, set by hand for the 2023 shortage; {ESTIMATED}",
        plausible=(0.15, 0.6),
        plausible_source="modelling assumption: half to twice the default")
    need_growth: float = param(
        0.005, "log per month", low=-0.5, high=0.5,
        doc="organic growth of a startup's scale",
        source="modelling assumption",
        plausible=(-0.005, 0.015),
        plausible_source="modelling assumption")
    need_noise: float = param(
        0.05, "log s.d. per month", low=0.0, high=1.0,
        doc="idiosyncratic need shocks",
        source="modelling assumption",
        plausible=(0.02, 0.1),
        plausible_source="modelling assumption")
    revenue_per_compute: float = param(
        0.25, "$ revenue per $ of compute at reference price", low=0.0, high=10.0,
        doc="revenue per $ of compute at the start (it then grows with adoption)",
        source="modelling assumption, set by hand with the revenue gap of Sequoia's 'AI's $600B question' "
               "(2024) in mind",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption: 0.4-2x the default")
    productivity_noise: float = param(
        0.08, "log s.d. per month", low=0.0, high=1.0,
        doc="drift of a startup's revenue per unit of compute; investors fund the productive ones more "
            "readily",
        source="modelling assumption",
        plausible=(0.04, 0.15),
        plausible_source="modelling assumption")
    noncompute_cost_ratio: float = param(
        0.4, "x need valued at the reference price", low=0.0, high=10.0,
        doc="non-compute costs, fixed by the startup's scale",
        source="modelling assumption (staff and other costs ~ 30-40% of an AI lab's spending)",
        plausible=(0.2, 0.8),
        plausible_source="modelling assumption")
    spend_horizon_months: float = param(
        12.0, "months", low=1.0, high=120.0,
        doc="cash is spent over this many months",
        source="modelling assumption (burn a round over 12-18 months)",
        plausible=(9.0, 24.0),
        plausible_source="modelling assumption")
    initial_runway_months: float = param(
        18.0, "months", low=0.0, high=240.0,
        doc="starting cash in months of spending",
        source="modelling assumption",
        plausible=(12.0, 24.0),
        plausible_source="Carta 2024 (12-24 months of runway)")
    funding_runway_months: float = param(
        9.0, "months", low=0.0, high=60.0,
        doc="runway at which a startup raises",
        source="typical VC round cadence (Carta 2024)",
        plausible=(6.0, 12.0),
        plausible_source="modelling assumption")
    funding_success: float = param(
        0.15, "probability per month at zero sentiment", low=0.0, high=1.0,
        doc="chance that a raise succeeds",
        source="modelling assumption",
        plausible=(0.08, 0.25),
        plausible_source="modelling assumption")
    funding_sentiment: float = param(
        1.2, "log-odds per sentiment point", low=0.0, high=10.0,
        doc="how much sentiment raises that chance",
        source="modelling assumption",
        plausible=(0.6, 2.0),
        plausible_source="modelling assumption")
    round_months: float = param(
        18.0, "months of spending", low=1.0, high=120.0,
        doc="size of a round",
        source="Carta 2024 (18-24 months runway per round)",
        plausible=(12.0, 24.0),
        plausible_source="Carta 2024 (18-24 months of runway per round)")
    round_sentiment: float = param(
        0.4, "log size per sentiment point", low=0.0, high=5.0,
        doc="round size rises with sentiment",
        source="PitchBook-NVCA 2023-25 AI mega-rounds",
        plausible=(0.2, 0.8),
        plausible_source="modelling assumption")
    entry_rate: float = param(
        0.005, "share of population per month", low=0.0, high=1.0,
        doc="entry at zero sentiment",
        source="PitchBook AI startup formation; assumption",
        plausible=(0.002, 0.01),
        plausible_source="modelling assumption")
    entry_sentiment: float = param(
        0.8, "log rate per sentiment point", low=0.0, high=5.0,
        doc="entry rises with sentiment",
        source="modelling assumption",
        plausible=(0.4, 1.2),
        plausible_source="modelling assumption")
    contract_share: float = param(
        0.7, "fraction of need", low=0.0, high=1.0,
        doc="share of its need a large startup puts under term contracts",
        source="CoreWeave S-1 (Microsoft, OpenAI anchor contracts)",
        plausible=(0.5, 0.9),
        plausible_source="modelling assumption")
    contract_size_quantile: float = param(
        0.9, "quantile", low=0.0, high=1.0,
        doc="startups above this size quantile sign term contracts",
        source="modelling assumption",
        plausible=(0.8, 0.95),
        plausible_source="modelling assumption")
    min_term_months: int = param(
        12, "months", low=1, high=120,
        doc="shortest contract",
        source="modelling assumption (take-or-pay terms of 1-5 years, CoreWeave S-1)",
        plausible=(6, 24),
        plausible_source="modelling assumption (1-2-year contracts common)")
    max_term_months: int = param(
        60, "months", low=1, high=120,
        doc="longest contract (largest tenants)",
        source="CoreWeave S-1 (2025): largest contracts 4-6 years, weighted average ~4",
        plausible=(36, 72),
        plausible_source="CoreWeave S-1: largest contracts 4-6 years")
