"""Neoclouds: the initial industry, beliefs and investment, pricing, costs, contracts and entry.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import ESTIMATED, param


@dataclass(frozen=True)
class NeocloudParams:
    """The ``neoclouds`` group of parameters."""

    initial_count: int = param(
        12, "firms", low=1, high=500, setup_only=True,
        doc="neoclouds at the start",
        source="modelling assumption (a dozen GPU clouds of note in 2022: CoreWeave, Lambda, Crusoe, ...)",
        plausible=(8, 20),
        plausible_source="modelling assumption")
    initial_fleet_gpus: float = param(
        120000.0, "A100 GPUs", low=0.0, high=1e8, setup_only=True,
        doc="installed A100s across neoclouds at the start",
        source="modelling assumption (CoreWeave, Lambda, Crusoe, smaller GPU clouds, 2022)",
        plausible=(60000.0, 2e5),
        plausible_source="modelling assumption: half to 1.7x the default")
    initial_size_dispersion: float = param(
        1.0, "log s.d.", low=0.0, high=3.0, setup_only=True,
        doc="dispersion of the initial firms' sizes (their shares of the initial fleet are "
            "lognormal with this log standard deviation)",
        source="modelling assumption: with 12 firms the largest holds a median 27% of the "
               "2022 fleet (10-90%: 18-43%); no source gives the 2022 GPU clouds' fleets",
        label="initial size dispersion",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption: the largest firm's median share 16% to 47%")
    initial_cash_months: float = param(
        6.0, "months of revenue", low=0.0, high=120.0, setup_only=True,
        doc="starting cash",
        source="modelling assumption",
        plausible=(3.0, 12.0),
        plausible_source="modelling assumption")
    competition_neglect: float = param(
        0.6, "0..1", low=0.0, high=1.0,
        doc="share of the industry's undelivered orders a neocloud ignores",
        source="Greenwood & Hanson (2015) for the behaviour; the value is a modelling assumption, "
               f"set by hand; {ESTIMATED}",
        plausible=(0.2, 0.9),
        plausible_source="Greenwood & Hanson (2015); modelling assumption",
        label="competition neglect")
    assumed_life_months: int = param(
        72, "months", low=12, high=120,
        doc="economic life used to value a new GPU and to depreciate it",
        source="CoreWeave 10-K (6-year depreciation); critics argue 24-36",
        plausible=(36, 84),
        plausible_source="critics' 2-3 years to the 6-year booked life (CoreWeave 10-K) and 7 years at the "
                         "outside",
        label="assumed GPU life")
    extrapolation: float = param(
        0.5, "weight", low=0.0, high=3.0,
        doc="weight on the recent price trend in the price forecast",
        source="Barberis et al. (2018) for the behaviour; the value is a modelling assumption, set by "
               "hand",
        plausible=(0.0, 1.0),
        plausible_source="Barberis et al. (2018); modelling assumption")
    adaptive_weight: float = param(
        0.3, "per month", low=0.0, high=1.0,
        doc="weight of the newest price in the adaptive expectation",
        source="modelling assumption",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption")
    belief_dispersion: float = param(
        0.1, "s.d.", low=0.0, high=1.0,
        doc="spread of neglect and extrapolation across firms",
        source="modelling assumption",
        plausible=(0.0, 0.3),
        plausible_source="modelling assumption")
    cost_of_capital: float = param(
        0.12, "fraction per year", low=0.0, high=1.0,
        doc="discount rate for NPV",
        source="Damodaran 2025 cloud/semis WACC ~10-13%",
        plausible=(0.08, 0.18),
        plausible_source="Damodaran 2025 WACC ~10-13%; CoreWeave borrowing at 9-15%",
        label="cost of capital")
    order_intensity: float = param(
        2.0, "target fleet growth per unit NPV margin", low=0.0, high=20.0,
        doc="how far a positive NPV margin raises the fleet a firm wants",
        source="modelling assumption, set by hand (not estimated) with CoreWeave's growth in mind: about "
               "45,000 GPUs early in 2023, more than 250,000 at the end of 2024 (CoreWeave S-1)",
        plausible=(0.5, 4.0),
        plausible_source="modelling assumption",
        label="order intensity")
    max_order_share: float = param(
        1.0, "fleet fraction per month", low=0.0, high=10.0,
        doc="largest single month's order relative to the fleet",
        source="modelling assumption",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption")
    min_order_scale_gpus: float = param(
        2000.0, "H100e", low=0.0, high=1e6,
        doc="smallest fleet scale used for order sizing (lets entrants start)",
        source="modelling assumption",
        plausible=(500.0, 5000.0),
        plausible_source="modelling assumption")
    price_sensitivity: float = param(
        1.5, "elasticity", low=0.0, high=10.0,
        doc="how much a neocloud expects price to move with expected utilization",
        source="modelling assumption",
        plausible=(0.5, 3.0),
        plausible_source="modelling assumption")
    target_utilization: float = param(
        0.85, "fraction", low=0.1, high=1.0,
        doc="utilization at which posted prices are stable",
        source="industry target 80-90% (SemiAnalysis)",
        plausible=(0.75, 0.95),
        plausible_source="industry target 80-90% (SemiAnalysis)")
    price_adjustment: float = param(
        0.5, "log-price per unit pressure gap", low=0.0, high=5.0,
        doc="speed of posted-price changes",
        source="modelling assumption, set by hand",
        plausible=(0.2, 1.0),
        plausible_source="modelling assumption")
    market_watch: float = param(
        0.5, "weight", low=0.0, high=1.0,
        doc="weight of market-wide utilization, against the firm's own, in its pricing",
        source="modelling assumption (sellers follow public rental indices, e.g. SemiAnalysis)",
        plausible=(0.2, 0.8),
        plausible_source="modelling assumption")
    max_price_step: float = param(
        0.12, "log-price per month", low=0.0, high=2.0,
        doc="largest monthly move of a posted price (stickiness)",
        source="modelling assumption",
        plausible=(0.05, 0.25),
        plausible_source="modelling assumption")
    new_generation_premium: float = param(
        0.1, "fraction", low=-0.5, high=2.0,
        doc="premium over the perf-adjusted index when a generation is first offered",
        source="modelling assumption",
        plausible=(0.0, 0.3),
        plausible_source="modelling assumption")
    overhead_gpu_month: float = param(
        60.0, "$ per GPU-month", low=0.0, high=5000.0,
        doc="staff, network and maintenance per GPU",
        source="CoreWeave 10-K 2024 (technology & infrastructure, SG&A per GPU)",
        plausible=(30.0, 120.0),
        plausible_source="modelling assumption: half to twice the default")
    max_contract_share: float = param(
        0.9, "fraction of capacity", low=0.0, high=1.0,
        doc="capacity a neocloud will put under term contracts",
        source="CoreWeave S-1: 96% of revenue take-or-pay",
        plausible=(0.7, 0.95),
        plausible_source="CoreWeave S-1: 96% of revenue take-or-pay; smaller clouds less")
    build_to_suit_min_h100e: float = param(
        1024.0, "H100e", low=1.0, high=1e7,
        doc="smallest unmet contract need for which a tenant has capacity built to suit (the "
            "neocloud orders GPUs for its contract) rather than waiting for free capacity",
        source="modelling assumption: one dedicated 1,024-GPU training cluster; the anchor "
               "contracts that financed CoreWeave's build-out were far larger (Microsoft, over "
               "$1bn in 2023; OpenAI, $11.9bn over five years, March 2025)",
        plausible=(256.0, 8192.0),
        plausible_source="modelling assumption: from a 256-GPU pod to an 8,192-GPU cluster")
    build_to_suit_bidders: int = param(
        3, "firms", low=1, high=100,
        doc="largest neoclouds (by installed capacity) a tenant asks, in turn, to build capacity "
            "for its contract",
        source="modelling assumption: labs and hyperscalers buy dedicated clusters from the few "
               "providers with the scale and Nvidia allocation to deliver them (Microsoft and "
               "OpenAI from CoreWeave)",
        plausible=(1, 6),
        plausible_source="modelling assumption")
    entry_rate: float = param(
        0.3, "firms per month at full attraction", low=0.0, high=20.0,
        doc="entry rate",
        source="modelling assumption (dozens of GPU clouds founded 2023-24)",
        plausible=(0.1, 0.6),
        plausible_source="modelling assumption")
    entry_margin: float = param(
        0.5, "price over break-even", low=0.01, high=10.0,
        doc="excess of the spot price over break-even at which entry reaches its full rate",
        source="modelling assumption",
        plausible=(0.25, 1.0),
        plausible_source="modelling assumption")
    entry_capital: float = param(
        3e8, "$", low=0.0, high=1e11,
        doc="median starting equity of an entrant",
        source="Lambda, Crusoe early rounds ($0.1-0.5B)",
        plausible=(1e8, 6e8),
        plausible_source="Lambda, Crusoe early rounds ($0.1-0.5B)")
    crypto_origin_share: float = param(
        0.5, "fraction", low=0.0, high=1.0,
        doc="share of entrants that are pivoting crypto miners",
        source="CoreWeave, Crusoe, Hut 8, IREN (S5)",
        plausible=(0.3, 0.7),
        plausible_source="modelling assumption")
    crypto_colocation_discount: float = param(
        0.3, "fraction", low=0.0, high=1.0,
        doc="colocation saving of ex-miners",
        source="modelling assumption (miners own powered sites)",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption")
