"""Nvidia: the cadence after the named roadmap, production ramp and end of life, capacity
expansion, allocation,
scarcity pricing and circular financing.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import ESTIMATED, param


@dataclass(frozen=True)
class NvidiaParams:
    """The ``nvidia`` group of parameters."""

    generation_interval_months: int = param(
        18, "months", low=6, high=60, setup_only=True,
        doc="months between generations after Rubin",
        source="Nvidia Computex 2024 (yearly cadence announced); 18-24 months historically",
        plausible=(12, 24),
        plausible_source="Nvidia Computex 2024 (yearly cadence); 18-24 months historically",
        label="generation interval")
    perf_step: float = param(
        2.2, "x per generation", low=1.0, high=10.0, setup_only=True,
        doc="performance of each later generation over the previous",
        source="Huang: 2-3x per generation",
        plausible=(1.8, 3.0),
        plausible_source="Jensen Huang: 2-3x per generation")
    price_step: float = param(
        1.3, "x per generation", low=0.5, high=5.0, setup_only=True,
        doc="list price step",
        source="modelling assumption (list prices A100 ~$15k, H100 ~$30k, B200 ~$40k)",
        plausible=(1.1, 1.5),
        plausible_source="modelling assumption (A100 -> H100 -> B200 list prices)")
    power_step: float = param(
        1.25, "x per generation", low=0.5, high=3.0, setup_only=True,
        doc="power step",
        source="B200/H100 and Rubin/B200 kW ratios",
        plausible=(1.1, 1.4),
        plausible_source="modelling assumption (H100 -> B200 -> Rubin power)")
    capacity_growth: float = param(
        1.3, "x per generation", low=0.5, high=5.0, setup_only=True,
        doc="peak output growth of each generation after Rubin",
        source="modelling assumption (CoWoS capacity growth, TSMC)",
        plausible=(1.0, 1.6),
        plausible_source="modelling assumption")
    capacity_lag_months: int = param(
        12, "months", low=1, high=48,
        doc="months from Nvidia's (and its packaging foundry's) decision to expand capacity to the "
            "added output",
        source="TSMC resumed ordering CoWoS equipment in April 2023, delivered from the fourth quarter "
               "(TrendForce, citing MoneyDJ, 2024); capacity 8,000 wafers a month in mid-2023, 11,000 by "
               "the end of 2023 (DigiTimes via Taiwan News, 17 July 2023)",
        plausible=(9, 24),
        plausible_source="the issue's 12-24 months; TSMC's 2023 equipment orders delivered within 6-12 "
                         "months")
    capacity_target_lead_months: float = param(
        6.0, "months of output", low=1.0, high=36.0,
        doc="lead time (backlog over output) above which Nvidia expands capacity",
        source="modelling assumption (lead times of about six months before 2023 were normal)",
        plausible=(4.0, 9.0),
        plausible_source="modelling assumption")
    capacity_response: float = param(
        1.0, "log capacity per year per log lead-time excess", low=0.0, high=10.0,
        doc="how fast capacity expansion is ordered when the lead time is above target",
        source="modelling assumption, set by hand: with it the baseline adds less than CoWoS's doubling a "
               f"year in 2024-25 (docs/model.md 7.5.1); {ESTIMATED}",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption: half to twice the default")
    capacity_max_growth: float = param(
        1.0, "log per year", low=0.0, high=3.0,
        doc="fastest expansion Nvidia orders",
        source="TSMC, Q3 2024 earnings call: CoWoS capacity doubles each year in 2024 and 2025 (about "
               "35,000 wafers a month at the end of 2024, 75,000-80,000 at the end of 2025: TrendForce, "
               "November 2024); log 2.7 = 1.0",
        plausible=(0.7, 1.3),
        plausible_source="CoWoS growth 2x-3.5x a year in 2024-25 (TrendForce, DigiTimes)")
    ramp_months: int = param(
        12, "months", low=1, high=48,
        doc="months from release to peak output",
        source="H100 ramp 2023 (CoWoS constrained)",
        plausible=(6, 18),
        plausible_source="modelling assumption (H100 and B200 ramps 2023-25)")
    end_of_life_months: int = param(
        9, "months", low=0, high=60,
        doc="production of a generation ends this long after its successor ships",
        source="modelling assumption (A100 EOL ~2024)",
        plausible=(6, 18),
        plausible_source="modelling assumption")
    deployment_lag_months: int = param(
        3, "months", low=1, high=36,
        doc="minimum months from order to installed GPU",
        source="modelling assumption (installation and burn-in; the 36-52-week lead times of 2023 were "
               "backlog on top of this)",
        plausible=(2, 6),
        plausible_source="modelling assumption (installation and burn-in)",
        label="deployment lag")
    preorder_months: int = param(
        9, "months", low=0, high=24, setup_only=True,
        doc="months before its volume release that a generation takes orders",
        source="H100: announced at GTC in March 2022, 'in full production' from September 2022 "
               "(Nvidia, GTC September 2022), volume shipments from March 2023; Blackwell: 'sold out "
               "for 12 months' in October 2024 ahead of its 2025 ramp (Morgan Stanley via "
               "DatacenterDynamics)",
        plausible=(3, 12),
        plausible_source="modelling assumption between the H100's and Blackwell's order books")
    partner_priority: float = param(
        2.0, "allocation weight", low=1.0, high=10.0,
        doc="weight of partner neoclouds' orders in pro-rata allocation",
        source="CoreWeave's preferred allocation as an Nvidia investee",
        plausible=(1.0, 3.0),
        plausible_source="modelling assumption")
    partner_count: int = param(
        3, "firms", low=0, high=100, setup_only=True,
        doc="largest initial neoclouds that are Nvidia partners (allocation priority, circular financing)",
        source="Nvidia-backed neoclouds: CoreWeave, Lambda, Crusoe",
        plausible=(1, 5),
        plausible_source="Nvidia stakes in CoreWeave, Lambda, Crusoe, Nebius, Together (press reports)")
    circular_financing: bool = param(
        False, "on/off",
        doc="Nvidia invests in partners' equity and rents back their unsold capacity",
        source="Nvidia's CoreWeave stakes and $6.3B capacity backstop (CoreWeave S-1, 2025); off by "
               "default, on in the baseline scenario")
    equity_investment_share: float = param(
        0.01, "fraction of monthly revenue", low=0.0, high=0.5,
        doc="revenue Nvidia puts into partners' new equity",
        source="CoreWeave: $100M (2023) then ~$2B stakes; assumption",
        plausible=(0.0, 0.03),
        plausible_source="modelling assumption")
    backstop_total_usd: float = param(
        6.3e9, "$", low=0.0, high=1e12,
        doc="Nvidia's commitment to buy partners' residual unsold capacity over the agreement "
            "(a contingent liability: called only when capacity goes unsold)",
        source="CoreWeave Form 8-K, 15 September 2025: an order of at least $6.3B under which "
               "Nvidia is obliged to buy CoreWeave's residual unsold capacity through April 2032",
        plausible=(0.0, 1.3e10),
        plausible_source="modelling assumption: none to about twice the CoreWeave backstop")
    backstop_start: str = param(
        "2025-09", "YYYY-MM", kind="month",
        doc="first month of the capacity backstop",
        source="CoreWeave Form 8-K, 15 September 2025 (order form of 9 September 2025)")
    backstop_end: str = param(
        "2032-04", "YYYY-MM", kind="month",
        doc="last month of the capacity backstop",
        source="CoreWeave Form 8-K, 15 September 2025 (through 13 April 2032)")
    backstop_cap_usd: float = param(
        75000000.0, "$ per month", low=0.0, high=1e11,
        doc="most Nvidia pays a month for partners' unsold capacity",
        source="modelling assumption: about the $6.3B backstop spread evenly over its 80 months "
               "(CoreWeave Form 8-K, 15 September 2025); the agreement states no monthly limit",
        plausible=(0.0, 150000000.0),
        plausible_source="modelling assumption: none to twice the CoreWeave backstop's monthly average")
    backstop_discount: float = param(
        0.2, "fraction of posted price", low=0.0, high=1.0,
        doc="discount of rent-backs to the posted price",
        source="modelling assumption",
        plausible=(0.1, 0.4),
        plausible_source="modelling assumption")
    max_markup: float = param(
        0.5, "fraction over list", low=0.0, high=3.0,
        doc="scarcity markup at a long backlog",
        source="H100 street prices $35-45k vs ~$30k list in 2023",
        plausible=(0.3, 1.0),
        plausible_source="H100 street $35-45k vs ~$25-30k list in 2023 (press reports)")
    markup_backlog_months: float = param(
        6.0, "months of backlog", low=0.1, high=60.0,
        doc="backlog at which the markup reaches half its max",
        source="modelling assumption",
        plausible=(3.0, 12.0),
        plausible_source="modelling assumption")
    markup_adjustment: float = param(
        0.2, "fraction per month", low=0.0, high=1.0,
        doc="speed at which the markup moves to its target",
        source="modelling assumption",
        plausible=(0.1, 0.4),
        plausible_source="modelling assumption")
    cost_of_goods: float = param(
        0.27, "fraction of revenue", low=0.0, high=1.0,
        doc="paid to suppliers",
        source="Nvidia 10-K FY2024-26 gross margin 72-75%",
        plausible=(0.24, 0.35),
        plausible_source="Nvidia 10-K FY2024-26: gross margin 65-76%")
