"""Powered data-centre space for the neocloud segment: what exists at the start, how long
new capacity takes, how rents respond to scarcity and how developers respond to rents.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import param

CBRE_2022 = ("CBRE North America Data Center Trends H1 2022 (primary markets: 3,711 MW inventory, "
             "3.8% vacant; 1,601.5 MW under construction, 73% preleased)")
CBRE_2024 = ("CBRE North America Data Center Trends H2 2022 and H2 2024 (asking rent $137.90 -> "
             "$184.06 per kW-month, vacancy 3.2% -> 1.9%; under construction 3,077.8 MW at end-2023, "
             "6,350 MW at end-2024, inventory 6,922.6 MW)")


@dataclass(frozen=True)
class PowerParams:
    """The ``power`` group of parameters."""

    initial_capacity_mw: float = param(
        3711.0, "MW of facility power", low=1.0, high=1e7, setup_only=True,
        doc="powered wholesale colocation space at the start, for neoclouds and all other tenants",
        source=f"{CBRE_2022}; the primary markets stand for the space open to neoclouds",
        plausible=(3000.0, 6000.0),
        plausible_source="CBRE 2022: primary-market inventory 3,711 MW; secondary markets add more")
    initial_vacancy: float = param(
        0.038, "fraction of powered capacity", low=0.0, high=0.9, setup_only=True,
        doc="share of the space empty at the start (the rest holds the 2022 neocloud fleets and "
            "other tenants)",
        source=CBRE_2022,
        plausible=(0.02, 0.1),
        plausible_source="CBRE 2021-22: primary-market vacancy 10.3% (H1 2021) to 3.2% (H2 2022)")
    initial_pipeline_mw: float = param(
        1601.5, "MW of facility power", low=0.0, high=1e7, setup_only=True,
        doc="space under construction at the start, completing evenly over the lead time",
        source=CBRE_2022,
        plausible=(800.0, 2500.0),
        plausible_source="modelling assumption: half to 1.5x the primary markets' pipeline")
    other_demand_growth: float = param(
        0.18, "log growth per year", low=0.0, high=2.0,
        doc="growth of the space other tenants (hyperscalers, enterprises) occupy, taken as given",
        source="CBRE North America Data Center Trends H2 2022: 686.9 MW net absorption in 2022 on "
               "~3,700 MW of inventory (about 18%)",
        plausible=(0.13, 0.27),
        plausible_source="LBNL 2024 United States Data Center Energy Usage Report: 176 TWh (2023) "
                         "to 325-580 TWh (2028), 13-27% a year")
    other_rent_elasticity: float = param(
        0.5, "elasticity", low=0.0, high=5.0,
        doc="elasticity of the other tenants' need for colocation space to the rent relative to "
            "the normal rent (they build their own campuses or go elsewhere when it is dear)",
        source="modelling assumption (hyperscalers self-build most of their capacity; no estimate "
               "of the rent elasticity of colocation demand was found)",
        plausible=(0.0, 1.0),
        plausible_source="modelling assumption: from inelastic to unit elastic")
    lead_time_months: int = param(
        24, "months", low=1, high=120,
        doc="months from the start of construction to powered, leasable space (grid connection "
            "and building)",
        source=f"{CBRE_2024}: the pipeline at end-2024 was about 1.3 years of that year's starts and "
               "3.6 years of its deliveries; 24 months is a modelling assumption between them",
        plausible=(12, 48),
        plausible_source="two to four years where new grid connections are needed (CBRE H2 2024: "
                         "power constraints extend construction timelines); a year where power is "
                         "on site",
        label="powered-capacity lead time")
    normal_vacancy: float = param(
        0.10, "fraction of powered capacity", low=0.0, high=0.5,
        doc="vacancy at which colocation rents hold still; below it they rise, above it they fall",
        source="CBRE North America Data Center Trends H1 2022: primary-market vacancy 10.3% in H1 "
               "2021, before the shortage; modelling assumption that it is the balanced level",
        plausible=(0.05, 0.15),
        plausible_source="modelling assumption around the H1 2021 level")
    rent_adjustment: float = param(
        1.9, "log rent per year per unit of excess occupancy", low=0.0, high=50.0,
        doc="how fast colocation rents move with occupancy above (or below) its normal level",
        source=f"{CBRE_2024}: rents +0.29 log points over two years with vacancy ~2.6% against a "
               "normal 10.3%, i.e. 0.144 / 0.077 per year",
        plausible=(1.0, 4.0),
        plausible_source="modelling assumption: half to twice the CBRE 2022-24 estimate")
    max_rent_step: float = param(
        0.03, "log points per month", low=0.0, high=1.0,
        doc="largest monthly move of the market rent (leases reprice gradually)",
        source="modelling assumption (CBRE's largest yearly move 2022-24 is +14.5%, about 1.1% a "
               "month; three times that bounds a shortage or glut)",
        plausible=(0.01, 0.06),
        plausible_source="modelling assumption")
    base_start_rate: float = param(
        0.3, "fraction of powered capacity per year", low=0.0, high=5.0,
        doc="construction started per year when the market rent equals the normal rent "
            "(market.colocation_kw_month)",
        source=f"{CBRE_2022}: 1,601.5 MW under construction against 3,711 MW with a two-year build, "
               "about 0.2-0.4 a year; the default set by hand within it",
        plausible=(0.15, 0.5),
        plausible_source="modelling assumption: half to 1.7x the default")
    start_elasticity: float = param(
        4.0, "elasticity", low=0.0, high=20.0,
        doc="elasticity of construction starts to the market rent relative to the normal rent",
        source=f"{CBRE_2024}: starts (change in the pipeline plus deliveries) about doubled from "
               "2023 to 2024 while asking rents rose ~15-25%, about 3-5; the default set by hand "
               "within it",
        plausible=(2.0, 6.0),
        plausible_source="modelling assumption: half to 1.5x the estimate")
    pipeline_neglect: float = param(
        0.5, "0..1", low=0.0, high=1.0,
        doc="share of the space under construction developers leave out when they project "
            "occupancy at completion (1: they build on today's rent alone, a pure cobweb)",
        source="Greenwood & Hanson (2015) competition neglect, as for the neoclouds' orders; "
               "modelling assumption",
        plausible=(0.2, 0.9),
        plausible_source="Greenwood & Hanson (2015); modelling assumption",
        label="developers' pipeline neglect")
    max_start_rate: float = param(
        1.0, "fraction of powered capacity per year", low=0.0, high=10.0,
        doc="most construction that can start in a year (land, turbines, transformers, grid "
            "interconnection)",
        source=f"{CBRE_2024}: the 2024 record, about 5,000 MW started against ~5,200 MW of "
               "inventory at the start of the year",
        plausible=(0.5, 1.5),
        plausible_source="modelling assumption: half to 1.5x the 2024 record")
