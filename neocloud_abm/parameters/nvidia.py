"""Nvidia: the cadence after the named roadmap, production ramp and end of life, allocation,
scarcity pricing and circular financing.

Each entry: default, unit, hard bounds, meaning, source, and the plausible range that sweeps,
calibration priors and the dashboard use by default (with its own source).
"""

from __future__ import annotations

from neocloud_abm.params import Spec

NVIDIA: dict[str, Spec] = {
    "nvidia.generation_interval_months": Spec(
        default=18, unit="months", low=6, high=60, kind="int",
        doc="months between generations after Rubin",
        source="Nvidia Computex 2024 (yearly cadence announced); 18-24 months historically",
        plausible=(12, 24),
        plausible_source="Nvidia Computex 2024 (yearly cadence); 18-24 months historically",
        label="generation interval",
        setup_only=True),
    "nvidia.perf_step": Spec(
        default=2.2, unit="x per generation", low=1.0, high=10.0,
        doc="performance of each later generation over the previous",
        source="Huang: 2-3x per generation",
        plausible=(1.8, 3.0),
        plausible_source="Jensen Huang: 2-3x per generation",
        setup_only=True),
    "nvidia.price_step": Spec(
        default=1.3, unit="x per generation", low=0.5, high=5.0,
        doc="list price step",
        source="modelling assumption (list prices A100 ~$15k, H100 ~$30k, B200 ~$40k)",
        plausible=(1.1, 1.5),
        plausible_source="modelling assumption (A100 -> H100 -> B200 list prices)",
        setup_only=True),
    "nvidia.power_step": Spec(
        default=1.25, unit="x per generation", low=0.5, high=3.0,
        doc="power step",
        source="B200/H100 and Rubin/B200 kW ratios",
        plausible=(1.1, 1.4),
        plausible_source="modelling assumption (H100 -> B200 -> Rubin power)",
        setup_only=True),
    "nvidia.capacity_growth": Spec(
        default=1.3, unit="x per generation", low=0.5, high=5.0,
        doc="peak output growth of each generation after Rubin",
        source="modelling assumption (CoWoS capacity growth, TSMC)",
        plausible=(1.0, 1.6),
        plausible_source="modelling assumption",
        setup_only=True),
    "nvidia.ramp_months": Spec(
        default=12, unit="months", low=1, high=48, kind="int",
        doc="months from release to peak output",
        source="H100 ramp 2023 (CoWoS constrained)",
        plausible=(6, 18),
        plausible_source="modelling assumption (H100 and B200 ramps 2023-25)"),
    "nvidia.end_of_life_months": Spec(
        default=9, unit="months", low=0, high=60, kind="int",
        doc="production of a generation ends this long after its successor ships",
        source="modelling assumption (A100 EOL ~2024)",
        plausible=(6, 18),
        plausible_source="modelling assumption"),
    "nvidia.deployment_lag_months": Spec(
        default=3, unit="months", low=1, high=36, kind="int",
        doc="minimum months from order to installed GPU",
        source="modelling assumption (installation and burn-in; the 36-52-week lead times of 2023 were "
               "backlog on top of this)",
        plausible=(2, 6),
        plausible_source="modelling assumption (installation and burn-in)",
        label="deployment lag"),
    "nvidia.partner_priority": Spec(
        default=2.0, unit="allocation weight", low=1.0, high=10.0,
        doc="weight of partner neoclouds' orders in pro-rata allocation",
        source="CoreWeave's preferred allocation as an Nvidia investee",
        plausible=(1.0, 3.0),
        plausible_source="modelling assumption"),
    "nvidia.partner_count": Spec(
        default=3, unit="firms", low=0, high=100, kind="int",
        doc="largest initial neoclouds that are Nvidia partners (allocation priority, circular financing)",
        source="Nvidia-backed neoclouds: CoreWeave, Lambda, Crusoe",
        plausible=(1, 5),
        plausible_source="Nvidia stakes in CoreWeave, Lambda, Crusoe, Nebius, Together (press reports)",
        setup_only=True),
    "nvidia.circular_financing": Spec(
        default=False, unit="on/off", kind="bool",
        doc="Nvidia invests in partners' equity and rents back their unsold capacity",
        source="Nvidia's CoreWeave stakes and $6.3B capacity backstop (CoreWeave S-1, 2025); off by "
               "default, on in the baseline scenario"),
    "nvidia.equity_investment_share": Spec(
        default=0.01, unit="fraction of monthly revenue", low=0.0, high=0.5,
        doc="revenue Nvidia puts into partners' new equity",
        source="CoreWeave: $100M (2023) then ~$2B stakes; assumption",
        plausible=(0.0, 0.03),
        plausible_source="modelling assumption"),
    "nvidia.backstop_cap_usd": Spec(
        default=75000000.0, unit="$ per month", low=0.0, high=1e11,
        doc="most Nvidia pays a month for partners' unsold capacity",
        source="$6.3B CoreWeave capacity backstop to 2032 (~$75M a month)",
        plausible=(0.0, 150000000.0),
        plausible_source="modelling assumption: none to twice the CoreWeave backstop's monthly average"),
    "nvidia.backstop_discount": Spec(
        default=0.2, unit="fraction of posted price", low=0.0, high=1.0,
        doc="discount of rent-backs to the posted price",
        source="modelling assumption",
        plausible=(0.1, 0.4),
        plausible_source="modelling assumption"),
    "nvidia.max_markup": Spec(
        default=0.5, unit="fraction over list", low=0.0, high=3.0,
        doc="scarcity markup at a long backlog",
        source="H100 street prices $35-45k vs ~$30k list in 2023",
        plausible=(0.3, 1.0),
        plausible_source="H100 street $35-45k vs ~$25-30k list in 2023 (press reports)"),
    "nvidia.markup_backlog_months": Spec(
        default=6.0, unit="months of backlog", low=0.1, high=60.0,
        doc="backlog at which the markup reaches half its max",
        source="modelling assumption",
        plausible=(3.0, 12.0),
        plausible_source="modelling assumption"),
    "nvidia.markup_adjustment": Spec(
        default=0.2, unit="fraction per month", low=0.0, high=1.0,
        doc="speed at which the markup moves to its target",
        source="modelling assumption",
        plausible=(0.1, 0.4),
        plausible_source="modelling assumption"),
    "nvidia.cost_of_goods": Spec(
        default=0.27, unit="fraction of revenue", low=0.0, high=1.0,
        doc="paid to suppliers",
        source="Nvidia 10-K FY2024-26 gross margin 72-75%",
        plausible=(0.24, 0.35),
        plausible_source="Nvidia 10-K FY2024-26: gross margin 65-76%"),
}
