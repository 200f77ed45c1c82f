"""The environment: AI adoption and the ChatGPT surprise, sentiment, the base-rate path,
in-house ASICs and the hyperscalers' outside option.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import ESTIMATED, RatePath, param


@dataclass(frozen=True)
class EnvironmentParams:
    """The ``environment`` group of parameters."""

    initial_sentiment: float = param(
        0.0, "index", low=-3.0, high=3.0, setup_only=True,
        doc="sentiment at the start",
        source="modelling assumption (2022: crypto winter, rate hikes)",
        plausible=(-1.0, 1.0),
        plausible_source="modelling assumption")
    chatgpt_date: str = param(
        "2022-11", "YYYY-MM", kind="month",
        doc="month of the ChatGPT shock",
        source="ChatGPT launch 30 Nov 2022")
    chatgpt_shock: float = param(
        0.07, "share of potential customers", low=0.0, high=0.99,
        doc="rise of AI's market potential at ChatGPT (the adoption surprise); before it the "
            "potential equals the adopted share",
        source="modelling assumption, set by hand (not estimated) so that the ChatGPT surprise "
               "brings the 2023 shortage; for scale, by August 2024 39% of US adults had used "
               "generative AI (Bick, Blandin and Deming 2024, NBER w32966)",
        plausible=(0.035, 0.14),
        plausible_source="modelling assumption: half to twice the default rise")
    adoption_initial: float = param(
        0.02, "share of potential customers", low=1e-4, high=1.0, setup_only=True,
        doc="share of end customers using AI at the start, all of AI's potential before ChatGPT (only "
            "ratios to it matter: revenue per unit of compute grows with adoption over this share)",
        source="modelling assumption (machine learning before generative AI; US Census BTOS: 3.7% of "
               "US firms used AI in September 2023)",
        plausible=(0.01, 0.04),
        plausible_source="modelling assumption")
    adoption_innovation: float = param(
        0.03, "per year", low=0.0, high=2.0,
        doc="Bass coefficient of innovation: adoption independent of other adopters",
        source="Sultan, Farley and Lehmann (1990) meta-analysis of Bass models: mean p = 0.03",
        plausible=(0.01, 0.1),
        plausible_source="Sultan, Farley and Lehmann (1990): range of published estimates")
    adoption_imitation: float = param(
        3.0, "per year", low=0.0, high=10.0,
        doc="Bass coefficient of imitation: adoption that follows other adopters",
        source="modelling assumption, set by hand (not estimated) for the 2023 shortage; generative AI "
               "spread faster than the PC or the internet (Bick, Blandin and Deming 2024), above the "
               "mean q = 0.38 of Sultan, Farley and Lehmann (1990)",
        plausible=(1.5, 4.5),
        plausible_source="modelling assumption: half to 1.5 times the default",
        label="adoption imitation")
    adoption_noise: float = param(
        0.1, "log s.d. per month", low=0.0, high=1.0,
        doc="noise on the month's new adopters",
        source="modelling assumption",
        plausible=(0.05, 0.2),
        plausible_source="modelling assumption")
    sentiment_adoption_weight: float = param(
        2.0, "index per unit log growth", low=0.0, high=10.0,
        doc="how much the adoption growth expected over the next year lifts sentiment",
        source="modelling assumption, set by hand (not estimated) for the 2023 shortage",
        plausible=(1.0, 4.0),
        plausible_source="modelling assumption: half to twice the default")
    sentiment_reversion: float = param(
        0.05, "per month", low=0.0, high=1.0,
        doc="speed at which sentiment returns to what revenue growth and failures justify",
        source="modelling assumption",
        plausible=(0.02, 0.1),
        plausible_source="modelling assumption")
    sentiment_noise: float = param(
        0.05, "index s.d. per month", low=0.0, high=1.0,
        doc="monthly sentiment noise",
        source="modelling assumption",
        plausible=(0.02, 0.1),
        plausible_source="modelling assumption")
    sentiment_revenue_weight: float = param(
        0.8, "index per unit log growth", low=0.0, high=5.0,
        doc="how much year-on-year startup revenue growth supports sentiment",
        source="modelling assumption",
        plausible=(0.4, 1.6),
        plausible_source="modelling assumption: half to twice the default")
    sentiment_gap_weight: float = param(
        0.6, "index per unit gap share", low=0.0, high=5.0,
        doc="how much the revenue gap, as a share of required revenue, depresses sentiment",
        source="Sequoia 'AI's $600B question' (2024) as a drag on sentiment; assumption",
        plausible=(0.3, 1.2),
        plausible_source="modelling assumption: half to twice the default")
    sentiment_failure_weight: float = param(
        8.0, "index per failure rate", low=0.0, high=100.0,
        doc="how much monthly failures (startups, neoclouds) depress sentiment",
        source="modelling assumption",
        plausible=(4.0, 16.0),
        plausible_source="modelling assumption: half to twice the default")
    base_rate_path: RatePath = param(
        (("2022-01", 0.0005), ("2022-03", 0.003), ("2023-07", 0.053), ("2024-08", 0.053),
         ("2024-12", 0.043), ("2025-12", 0.039), ("2026-06", 0.037)),
        "fraction per year", low=-0.05, high=0.25,
        doc="base-rate path, linear between knots, flat after the last",
        source="NY Fed SOFR (monthly averages), forward curve for 2026")
    asic_share_start: float = param(
        0.26, "fraction of AI compute", low=0.0, high=0.95,
        doc="share of AI compute on in-house ASICs at the start",
        source="modelling assumption (TPU, Trainium, Maia: roughly a quarter of AI accelerator compute)",
        plausible=(0.15, 0.35),
        plausible_source="modelling assumption")
    asic_share_growth: float = param(
        0.02, "fraction per year", low=0.0, high=0.5,
        doc="yearly rise of the ASIC share",
        source="modelling assumption (TPU, Trainium, Maia ramps)",
        plausible=(0.0, 0.06),
        plausible_source="modelling assumption")
    asic_share_max: float = param(
        0.6, "fraction", low=0.0, high=0.99,
        doc="ceiling of the ASIC share",
        source="modelling assumption",
        plausible=(0.4, 0.8),
        plausible_source="modelling assumption")
    asic_markup_response: float = param(
        0.0, "ASIC share per year of Nvidia's scarcity markup", low=0.0, high=5.0,
        doc="in-house accelerator programs prompted by Nvidia's pricing power: each month's "
            "scarcity markup of the newest GPU (fraction over list) adds this much ASIC share "
            "per year once the programs it prompts are deployed (0: none, the default; the "
            "share then follows its path)",
        source="modelling assumption (Google, Amazon and Microsoft accelerated TPU, Trainium "
               "and Maia during the 2023-24 GPU shortage; S10)",
        plausible=(0.0, 1.0),
        plausible_source="modelling assumption")
    asic_program_months: int = param(
        15, "months", low=1, high=120,
        doc="months from a hyperscaler's decision to build an in-house accelerator to its "
            "deployment, for asic_markup_response",
        source="Jouppi et al. (2017), 'In-Datacenter Performance Analysis of a Tensor "
               "Processing Unit': the first TPU was designed, verified, built and deployed in "
               "15 months",
        plausible=(12, 36),
        plausible_source="modelling assumption: the first TPU's 15 months to a three-year "
                         "program")
    hyperscaler_markup: float = param(
        2.0, "x neocloud price", low=1.0, high=10.0,
        doc="hyperscalers' price over the neocloud price index",
        source="modelling assumption (hyperscaler on-demand prices ~2x neocloud prices after commitments)",
        plausible=(1.5, 3.0),
        plausible_source="modelling assumption (hyperscaler on-demand list prices 2-5x neocloud on-demand "
                         "in 2023-24, less after commitments)")
    hyperscaler_price_stickiness: float = param(
        0.9, "fraction kept per month", low=0.0, high=1.0,
        doc="how slowly the hyperscaler price follows",
        source="modelling assumption",
        plausible=(0.8, 0.97),
        plausible_source="modelling assumption")
    hyperscaler_capacity_share: float = param(
        0.3, "x initial neocloud capacity", low=0.0, high=100.0,
        doc="capacity hyperscalers rent to startups, relative to neoclouds at the start",
        source="modelling assumption",
        plausible=(0.15, 0.6),
        plausible_source="modelling assumption: half to twice the default")
    hyperscaler_capacity_growth: float = param(
        0.4, "log growth per year", low=0.0, high=3.0,
        doc="growth of that capacity",
        source="modelling assumption, set by hand; low against the hyperscalers' whole fleets: "
               "Microsoft bought about 150,000 H100s in 2023 and 485,000 Hopper GPUs in 2024 (Omdia, "
               "via Tom's Hardware, 2023-11-28, and the Financial Times via TrendForce, 2024-12-19), a "
               f"log growth of its Hopper fleet of about 1.4 in 2024; {ESTIMATED}",
        plausible=(0.2, 0.7),
        plausible_source="modelling assumption: half to 1.75 times the default (the hyperscalers' "
                         "capex, in dollars, grew 40-60% a year in 2023-25 in their 10-Ks; the "
                         "compute it buys grew faster)")
    hyperscaler_list_price_h100e: float = param(
        12.29, "$ per H100e-hour", low=1.0, high=100.0,
        doc="hyperscalers' on-demand list price of an H100-hour; for newer generations it falls with their "
            "perf-adjusted installed cost; no neocloud posts a price above the hyperscalers'",
        source="AWS p5.48xlarge on-demand $98.32/h for 8 H100s (The Next Platform, 27 July 2023)",
        plausible=(8.0, 16.0),
        plausible_source="modelling assumption: +-35% around AWS's 2023 list price; AWS cut P5 prices by up"
                         " to 45% in June 2025")
