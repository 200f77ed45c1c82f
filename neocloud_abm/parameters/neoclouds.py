"""Neoclouds: the initial industry, beliefs and investment, pricing, costs, contracts and entry.

Each entry: default, unit, hard bounds, meaning, source, and the plausible range that sweeps,
calibration priors and the dashboard use by default (with its own source).
"""

from __future__ import annotations

from neocloud_abm.params import Spec

NEOCLOUDS: dict[str, Spec] = {
    "neoclouds.initial_count": Spec(
        default=12, unit="firms", low=1, high=500, kind="int",
        doc="neoclouds at the start",
        source="modelling assumption (a dozen GPU clouds of note in 2022: CoreWeave, Lambda, Crusoe, ...)",
        plausible=(8, 20),
        plausible_source="modelling assumption",
        setup_only=True),
    "neoclouds.initial_fleet_gpus": Spec(
        default=120000.0, unit="A100 GPUs", low=0.0, high=1e8,
        doc="installed A100s across neoclouds at the start",
        source="modelling assumption (CoreWeave, Lambda, Crusoe, smaller GPU clouds, 2022)",
        plausible=(60000.0, 2e5),
        plausible_source="modelling assumption: half to 1.7x the default",
        setup_only=True),
    "neoclouds.initial_cash_months": Spec(
        default=6.0, unit="months of revenue", low=0.0, high=120.0,
        doc="starting cash",
        source="modelling assumption",
        plausible=(3.0, 12.0),
        plausible_source="modelling assumption",
        setup_only=True),
    "neoclouds.competition_neglect": Spec(
        default=0.6, unit="0..1", low=0.0, high=1.0,
        doc="share of the industry's undelivered orders a neocloud ignores",
        source="Greenwood & Hanson (2015) competition neglect; calibrated",
        plausible=(0.2, 0.9),
        plausible_source="Greenwood & Hanson (2015); modelling assumption",
        label="competition neglect"),
    "neoclouds.assumed_life_months": Spec(
        default=72, unit="months", low=12, high=120, kind="int",
        doc="economic life used to value a new GPU and to depreciate it",
        source="CoreWeave 10-K (6-year depreciation); critics argue 24-36",
        plausible=(36, 84),
        plausible_source="critics' 2-3 years to the 6-year booked life (CoreWeave 10-K) and 7 years at the "
                         "outside",
        label="assumed GPU life"),
    "neoclouds.extrapolation": Spec(
        default=0.5, unit="weight", low=0.0, high=3.0,
        doc="weight on the recent price trend in the price forecast",
        source="Barberis et al. (2018) extrapolative beliefs; calibrated",
        plausible=(0.0, 1.0),
        plausible_source="Barberis et al. (2018); modelling assumption"),
    "neoclouds.adaptive_weight": Spec(
        default=0.3, unit="per month", low=0.0, high=1.0,
        doc="weight of the newest price in the adaptive expectation",
        source="modelling assumption",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption"),
    "neoclouds.belief_dispersion": Spec(
        default=0.1, unit="s.d.", low=0.0, high=1.0,
        doc="spread of neglect and extrapolation across firms",
        source="modelling assumption",
        plausible=(0.0, 0.3),
        plausible_source="modelling assumption"),
    "neoclouds.cost_of_capital": Spec(
        default=0.12, unit="fraction per year", low=0.0, high=1.0,
        doc="discount rate for NPV",
        source="Damodaran 2025 cloud/semis WACC ~10-13%",
        plausible=(0.08, 0.18),
        plausible_source="Damodaran 2025 WACC ~10-13%; CoreWeave borrowing at 9-15%",
        label="cost of capital"),
    "neoclouds.order_intensity": Spec(
        default=2.0, unit="target fleet growth per unit NPV margin", low=0.0, high=20.0,
        doc="how far a positive NPV margin raises the fleet a firm wants",
        source="modelling assumption; calibrated to CoreWeave 45k->250k GPUs in 2023-24",
        plausible=(0.5, 4.0),
        plausible_source="modelling assumption",
        label="order intensity"),
    "neoclouds.max_order_share": Spec(
        default=1.0, unit="fleet fraction per month", low=0.0, high=10.0,
        doc="largest single month's order relative to the fleet",
        source="modelling assumption",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption"),
    "neoclouds.min_order_scale_gpus": Spec(
        default=2000.0, unit="H100e", low=0.0, high=1e6,
        doc="smallest fleet scale used for order sizing (lets entrants start)",
        source="modelling assumption",
        plausible=(500.0, 5000.0),
        plausible_source="modelling assumption"),
    "neoclouds.price_sensitivity": Spec(
        default=1.5, unit="elasticity", low=0.0, high=10.0,
        doc="how much a neocloud expects price to move with expected utilization",
        source="modelling assumption",
        plausible=(0.5, 3.0),
        plausible_source="modelling assumption"),
    "neoclouds.target_utilization": Spec(
        default=0.85, unit="fraction", low=0.1, high=1.0,
        doc="utilization at which posted prices are stable",
        source="industry target 80-90% (SemiAnalysis)",
        plausible=(0.75, 0.95),
        plausible_source="industry target 80-90% (SemiAnalysis)"),
    "neoclouds.price_adjustment": Spec(
        default=0.5, unit="log-price per unit pressure gap", low=0.0, high=5.0,
        doc="speed of posted-price changes",
        source="modelling assumption; calibrated",
        plausible=(0.2, 1.0),
        plausible_source="modelling assumption"),
    "neoclouds.market_watch": Spec(
        default=0.5, unit="weight", low=0.0, high=1.0,
        doc="weight of market-wide utilization, against the firm's own, in its pricing",
        source="modelling assumption (sellers follow public rental indices, e.g. SemiAnalysis)",
        plausible=(0.2, 0.8),
        plausible_source="modelling assumption"),
    "neoclouds.max_price_step": Spec(
        default=0.12, unit="log-price per month", low=0.0, high=2.0,
        doc="largest monthly move of a posted price (stickiness)",
        source="modelling assumption",
        plausible=(0.05, 0.25),
        plausible_source="modelling assumption"),
    "neoclouds.new_generation_premium": Spec(
        default=0.1, unit="fraction", low=-0.5, high=2.0,
        doc="premium over the perf-adjusted index when a generation is first offered",
        source="modelling assumption",
        plausible=(0.0, 0.3),
        plausible_source="modelling assumption"),
    "neoclouds.overhead_gpu_month": Spec(
        default=60.0, unit="$ per GPU-month", low=0.0, high=5000.0,
        doc="staff, network and maintenance per GPU",
        source="CoreWeave 10-K 2024 (technology & infrastructure, SG&A per GPU)",
        plausible=(30.0, 120.0),
        plausible_source="modelling assumption: half to twice the default"),
    "neoclouds.max_contract_share": Spec(
        default=0.9, unit="fraction of capacity", low=0.0, high=1.0,
        doc="capacity a neocloud will put under term contracts",
        source="CoreWeave S-1: 96% of revenue take-or-pay",
        plausible=(0.7, 0.95),
        plausible_source="CoreWeave S-1: 96% of revenue take-or-pay; smaller clouds less"),
    "neoclouds.entry_rate": Spec(
        default=0.3, unit="firms per month at full attraction", low=0.0, high=20.0,
        doc="entry rate",
        source="modelling assumption (dozens of GPU clouds founded 2023-24)",
        plausible=(0.1, 0.6),
        plausible_source="modelling assumption"),
    "neoclouds.entry_margin": Spec(
        default=0.5, unit="price over break-even", low=0.01, high=10.0,
        doc="excess of the spot price over break-even at which entry reaches its full rate",
        source="modelling assumption",
        plausible=(0.25, 1.0),
        plausible_source="modelling assumption"),
    "neoclouds.entry_capital": Spec(
        default=3e8, unit="$", low=0.0, high=1e11,
        doc="median starting equity of an entrant",
        source="Lambda, Crusoe early rounds ($0.1-0.5B)",
        plausible=(1e8, 6e8),
        plausible_source="Lambda, Crusoe early rounds ($0.1-0.5B)"),
    "neoclouds.crypto_origin_share": Spec(
        default=0.5, unit="fraction", low=0.0, high=1.0,
        doc="share of entrants that are pivoting crypto miners",
        source="CoreWeave, Crusoe, Hut 8, IREN (S5)",
        plausible=(0.3, 0.7),
        plausible_source="modelling assumption"),
    "neoclouds.crypto_colocation_discount": Spec(
        default=0.3, unit="fraction", low=0.0, high=1.0,
        doc="colocation saving of ex-miners",
        source="modelling assumption (miners own powered sites)",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption"),
}
