"""The hyperscalers as agents: how many there are, how their AI capacity is shared, the
utilization they plan for, their in-house need and how long their own builds take, and the
anchor contracts they sign with neoclouds.

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
    in_house_share: float = param(
        0.0, "x initial neocloud capacity", low=0.0, high=100.0, setup_only=True,
        doc="H100e the hyperscalers' own AI services and partner labs use before ChatGPT, "
            "relative to the neoclouds' capacity at the start (0: none, the default); it grows "
            "with adoption as startups' need does",
        source="modelling assumption (Microsoft's Azure AI supercomputer for OpenAI, announced "
               "May 2020 with 10,000 GPUs, and GPT-4, trained on about 25,000 A100s (about 8,000 "
               "H100e) in 2022 per SemiAnalysis, July 2023, against the neoclouds' tens of "
               "thousands of GPUs then; only what may meet the neoclouds counts: Google's TPUs "
               "do not)",
        plausible=(0.0, 0.3),
        plausible_source="modelling assumption: 0 (off) is the default, since with the "
                         "neocloud segment as calibrated 0.3 lifts the late-2025 H100 rent "
                         "out of its observed band (docs/model.md#717-hyperscalers-and-anchor-contracts)")
    in_house_build_months: int = param(
        24, "months", low=1, high=120,
        doc="months from a hyperscaler's decision to build in-house capacity (data centre, "
            "power and GPUs) to its use; a neocloud's capacity built to suit comes sooner, "
            "which is why hyperscalers lease",
        source="modelling assumption within the 2-4 years of grid connection and construction "
               "the powered-space lead time cites (power.lead_time_months)",
        plausible=(12, 48),
        plausible_source="modelling assumption")
