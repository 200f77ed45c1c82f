"""The hyperscalers as agents: how many there are, how their AI capacity is shared, the
utilization they plan for and the anchor contracts they sign with neoclouds.

Their own fleets' size and growth and their on-demand price are the ``environment`` group's
(the outside option every startup sees); this group is what each hyperscaler decides.
Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import param

OMDIA_2023 = ("Omdia via Tom's Hardware, 'Nvidia sold half a million H100 AI GPUs in Q3' "
              "(2023-11-28): 2023 H100 purchases of Microsoft 150,000; Google, Amazon and Oracle "
              "50,000 each")


@dataclass(frozen=True)
class HyperscalerParams:
    """The ``hyperscalers`` group of parameters."""

    count: int = param(
        4, "firms", low=1, high=20, setup_only=True,
        doc="hyperscalers that rent Nvidia GPUs to AI startups (Microsoft, Google, Amazon, "
            "Oracle-like)",
        source=f"{OMDIA_2023}; Meta and Tencent, also large buyers, do not rent to US startups",
        plausible=(3, 6),
        plausible_source="modelling assumption")
    largest_share: float = param(
        0.5, "fraction of hyperscalers' AI capacity", low=0.0, high=1.0, setup_only=True,
        doc="the largest hyperscaler's share of the hyperscalers' capacity and of the demand "
            "for it; the others share the rest equally",
        source=f"{OMDIA_2023}: Microsoft's 150,000 of the four's 300,000",
        plausible=(0.3, 0.6),
        plausible_source="modelling assumption around Omdia's 2023 estimate")
    target_utilization: float = param(
        0.85, "fraction of capacity", low=0.1, high=1.0,
        doc="utilization a hyperscaler plans its capacity (own and leased) for",
        source="modelling assumption (headroom for demand peaks; Microsoft reported being "
               "capacity-constrained through 2024)",
        plausible=(0.7, 0.95),
        plausible_source="modelling assumption")
    anchor_term_months: int = param(
        60, "months", low=6, high=120,
        doc="term of an anchor contract (take-or-pay lease of neocloud capacity built to suit)",
        source="OpenAI-CoreWeave contract of $11.9bn over five years (CoreWeave S-1 and press "
               "release, March 2025); CoreWeave S-1: largest contracts 4-6 years",
        plausible=(36, 72),
        plausible_source="CoreWeave S-1: committed contracts of 2-5 years")
