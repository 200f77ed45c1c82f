"""The calendar and the market-wide conventions: time, power and colocation prices, installed cost,
GPU lives, the used-GPU market and the rental market's clearing.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import param


@dataclass(frozen=True)
class MarketParams:
    """The ``market`` group of parameters."""

    start: str = param(
        "2022-01", "YYYY-MM", kind="month", setup_only=True,
        doc="first simulated month",
        source="the article's episode: ChatGPT (2022-11) and the 2023 H100 shortage fall early in the run; "
               "modelling assumption")
    months: int = param(
        120, "months", low=1, high=600, setup_only=True,
        doc="default horizon",
        source="2022-2031: the build-out, the bust and two later chip generations; modelling assumption",
        plausible=(60, 240),
        plausible_source="modelling assumption: a decade is the main horizon; two decades for long-run "
                         "cycles",
        label="horizon")
    power_price_kwh: float = param(
        0.08, "$/kWh", low=0.0, high=1.0,
        doc="facility electricity price",
        source="US industrial tariff, EIA 2024",
        plausible=(0.05, 0.15),
        plausible_source="EIA Electric Power Monthly 2024: US industrial prices by state ~$0.05-0.15/kWh")
    colocation_kw_month: float = param(
        137.9, "$/kW-month", low=1.0, high=1000.0,
        doc="normal colocation rent: the market rent at the start, and the rent at which developers "
            "start new powered space at the base rate (power.base_start_rate)",
        source="CBRE North America Data Center Trends H2 2022: primary-market average asking rent "
               "$137.90 per kW-month (250-500 kW requirements)",
        plausible=(100.0, 200.0),
        plausible_source="CBRE North America Data Center Trends 2022-24: asking rents $127.50 (H1 "
                         "2022) to $184.06 (H2 2024) per kW-month",
        label="normal colocation rent")
    install_multiplier: float = param(
        1.6, "x chip price", low=1.0, high=3.0,
        doc="installed cost per GPU over the chip price",
        source="SemiAnalysis H100 server TCO (servers, network, build-out ~60% on top of GPUs)",
        plausible=(1.3, 2.0),
        plausible_source="SemiAnalysis AI cluster TCO (GPUs ~50-75% of cluster capex)")
    physical_life_months: int = param(
        84, "months", low=24, high=180,
        doc="age at which a GPU is retired",
        source="hyperscaler server lives 5-6 years plus resale tail; assumption",
        plausible=(60, 96),
        plausible_source="server lives 5-6 years in hyperscaler and CoreWeave 10-Ks; longer use in practice")
    secondary_life_months: int = param(
        72, "months", low=12, high=120,
        doc="economic life the secondary market prices in",
        source="modelling assumption: the six-year depreciation life of CoreWeave's 10-K",
        plausible=(48, 96),
        plausible_source="modelling assumption around the 6-year booked life")
    expected_price_decline: float = param(
        0.2, "fraction per year", low=0.0, high=0.9,
        doc="yearly decline of a GPU's rent that buyers, lenders and neoclouds expect before any "
            "launch is seen (the prior of the learnt decline)",
        source="price-performance ~1.45x better per generation (Nvidia list prices, MLPerf); modelling "
               "assumption",
        plausible=(0.1, 0.35),
        plausible_source="GPU price-performance ~1.4x per year to ~1.45x per generation (Epoch AI; Nvidia "
                         "list prices); modelling assumption",
        label="expected rent decline")
    decline_prior_months: float = param(
        36.0, "months of evidence", low=1.0, high=1e4,
        doc="weight of the prior rent decline against the price-performance each launch reveals "
            "(each neocloud's drawn around it)",
        source="the prior rests on years of GPU price-performance history (Epoch AI; Nvidia list "
               "prices); counting it as three years of evidence is a modelling assumption",
        plausible=(12.0, 120.0),
        plausible_source="modelling assumption: one to ten years of earlier evidence",
        label="weight of the prior decline")
    appraisal_gain: float = param(
        0.2, "per month", low=0.01, high=1.0,
        doc="weight of the newest month in the smoothed rent and utilization that a used GPU's "
            "income value capitalises (1: the month's own)",
        source="collateral appraisals rest on trailing averages of observed rents, not one month's "
               "fill; modelling assumption (about a five-month memory)",
        plausible=(0.1, 0.35),
        plausible_source="modelling assumption: memories of about three to ten months",
        label="rent appraisal gain")
    replacement_appraisal_gain: float = param(
        0.4, "per month", low=0.01, high=1.0,
        doc="weight of the newest month in the smoothed cost of new compute that caps a used "
            "GPU's value (1: the month's own)",
        source="a new generation's list price and performance are public at launch, its street "
               "price and availability within a few months; modelling assumption",
        plausible=(0.25, 0.7),
        plausible_source="modelling assumption: most of a launch's price cut priced in within one to "
                         "four months",
        label="replacement appraisal gain")
    depth_share: float = param(
        0.05, "fraction of fleet per month", low=0.001, high=1.0,
        doc="used GPUs of a generation the secondary market absorbs per month without a discount",
        source="modelling assumption",
        plausible=(0.02, 0.1),
        plausible_source="modelling assumption: half to twice the default")
    fire_sale_impact: float = param(
        0.1, "discount per unit of depth sold", low=0.0, high=5.0,
        doc="secondary-price discount per month of depth dumped",
        source="modelling assumption (Shleifer & Vishny 1992 fire-sale logic)",
        plausible=(0.05, 0.3),
        plausible_source="modelling assumption (Shleifer & Vishny 1992; Pulvino 1998 finds ~14% discounts "
                         "on distressed aircraft sales)")
    fire_sale_max_discount: float = param(
        0.4, "fraction", low=0.0, high=0.95,
        doc="largest fire-sale discount",
        source="modelling assumption",
        plausible=(0.2, 0.6),
        plausible_source="modelling assumption")
    fire_sale_decay: float = param(
        0.7, "fraction kept per month", low=0.0, high=1.0,
        doc="how much of the discount persists into next month",
        source="modelling assumption",
        plausible=(0.5, 0.9),
        plausible_source="modelling assumption")
    allocation_noise: float = param(
        0.08, "log-price s.d.", low=0.0, high=1.0,
        doc="noise in the order in which spot buyers take offers",
        source="modelling assumption",
        plausible=(0.02, 0.2),
        plausible_source="modelling assumption")
    customer_loyalty: float = param(
        0.3, "share of spot demand", low=0.0, high=1.0,
        doc="spot demand that stays with each provider in proportion to its capacity before the rest goes "
            "to the cheapest offers",
        source="modelling assumption (switching costs: data gravity, integration)",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption")
    contract_discount: float = param(
        0.1, "fraction of spot", low=0.0, high=0.9,
        doc="discount of a term contract to the posted spot price",
        source="SemiAnalysis GPU rental index (term contracts below on-demand)",
        plausible=(0.05, 0.3),
        plausible_source="term contracts 10-30% below on-demand (SemiAnalysis GPU rental index; provider "
                         "price lists); modelling assumption")
    initial_price_h100e: float = param(
        3.4, "$/H100e-hour", low=0.1, high=50.0, setup_only=True,
        doc="spot price at the start",
        source="2022 A100 on-demand $1.10-1.29/h at Lambda and CoreWeave, / 0.35 H100e",
        plausible=(2.5, 4.5),
        plausible_source="2022 A100 on-demand $0.9-1.5/h (Lambda, CoreWeave price lists) / 0.35 H100e")
    reference_price_h100e: float = param(
        2.0, "$/H100e-hour", low=0.1, high=50.0,
        doc="price at which compute needs are quoted",
        source="Latent Space Oct 2024 break-even $1.65-2.85/h",
        plausible=(1.65, 2.85),
        plausible_source="Latent Space (Oct 2024): H100 break-even $1.65/h (zero return) to $2.85/h (market"
                         " return)")
