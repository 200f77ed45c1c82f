"""Nvidia's named chip roadmap: release, performance (H100e), list price, facility power and
neocloud-segment capacity per generation. Read only when the model is built.

Each entry: default, unit, hard bounds, meaning, source, and the plausible range that sweeps,
calibration priors and the dashboard use by default (with its own source).
"""

from __future__ import annotations

from neocloud_abm.params import Spec

CHIPS: dict[str, Spec] = {
    "chips.a100_release": Spec(
        default="2020-06", unit="YYYY-MM", kind="month",
        doc="A100 release",
        source="Nvidia GTC 2020",
        setup_only=True),
    "chips.a100_perf": Spec(
        default=0.35, unit="H100e", low=0.01, high=1.0,
        doc="A100 performance",
        source="MLPerf training v3.0 (H100 ~3x A100)",
        plausible=(0.3, 0.4),
        plausible_source="MLPerf training v3.0 (H100 2.5-3.3x A100)",
        setup_only=True),
    "chips.a100_price": Spec(
        default=15000.0, unit="$ per GPU", low=100.0, high=1e6,
        doc="A100 list",
        source="modelling assumption (A100 street prices $10-20k, 2020-22)",
        plausible=(10000.0, 20000.0),
        plausible_source="modelling assumption (A100 street prices $10-20k, 2020-22)",
        setup_only=True),
    "chips.a100_power_kw": Spec(
        default=0.6, unit="kW per GPU incl. facility", low=0.05, high=20.0,
        doc="A100 power",
        source="modelling assumption (400 W TDP (Nvidia A100 datasheet) with server share and PUE)",
        plausible=(0.5, 0.8),
        plausible_source="modelling assumption (400 W TDP, server share and PUE)",
        setup_only=True),
    "chips.a100_capacity": Spec(
        default=6000.0, unit="GPUs per month", low=0.0, high=1e7,
        doc="peak neocloud-segment output of the A100",
        source="A100 allocations to GPU clouds 2021-22 (assumption)",
        plausible=(3000.0, 10000.0),
        plausible_source="modelling assumption: half to 1.7x the default",
        setup_only=True),
    "chips.h100_release": Spec(
        default="2023-03", unit="YYYY-MM", kind="month",
        doc="H100 release",
        source="Nvidia GTC 2023 (volume shipments)",
        setup_only=True),
    "chips.h100_price": Spec(
        default=30000.0, unit="$ per GPU", low=100.0, high=1e6,
        doc="H100 list",
        source="H100 ~$25-30k list, $35-40k street in 2023 (press reports)",
        plausible=(25000.0, 40000.0),
        plausible_source="H100 ~$25-30k list, $35-40k street in 2023 (press reports)",
        setup_only=True),
    "chips.h100_power_kw": Spec(
        default=1.6, unit="kW per GPU incl. facility", low=0.05, high=20.0,
        doc="H100 power",
        source="modelling assumption (700 W TDP (Nvidia H100 SXM datasheet) with server share and PUE ~1.3)",
        plausible=(1.3, 1.9),
        plausible_source="modelling assumption (700 W TDP, server share and PUE 1.2-1.4)",
        setup_only=True),
    "chips.h100_capacity": Spec(
        default=35000.0, unit="GPUs per month", low=0.0, high=1e7,
        doc="peak neocloud-segment output of the H100",
        source="Omdia: ~2M H100 shipped in 2024, ~20% to neoclouds (~400k a year)",
        plausible=(20000.0, 50000.0),
        plausible_source="Omdia 2024 H100 shipments ~2M, neocloud share 10-25%",
        setup_only=True),
    "chips.b200_release": Spec(
        default="2025-01", unit="YYYY-MM", kind="month",
        doc="B200 release",
        source="Nvidia Computex 2024 roadmap",
        setup_only=True),
    "chips.b200_perf": Spec(
        default=2.5, unit="H100e", low=0.1, high=100.0,
        doc="B200 performance",
        source="Nvidia GTC 2024 (2.5x H100 training)",
        plausible=(2.0, 4.0),
        plausible_source="Nvidia GTC 2024 (2.5x H100 training, up to 4x at FP4-friendly workloads)",
        setup_only=True),
    "chips.b200_price": Spec(
        default=40000.0, unit="$ per GPU", low=100.0, high=1e6,
        doc="B200 list",
        source="Jensen Huang (CNBC, March 2024): $30-40k",
        plausible=(30000.0, 50000.0),
        plausible_source="Jensen Huang (CNBC, March 2024): $30-40k; modelling assumption",
        setup_only=True),
    "chips.b200_power_kw": Spec(
        default=2.1, unit="kW per GPU incl. facility", low=0.05, high=20.0,
        doc="B200 power",
        source="modelling assumption (1,000 W TDP (Nvidia HGX B200) with server share and PUE)",
        plausible=(1.8, 2.6),
        plausible_source="modelling assumption (1,000 W TDP, server share and PUE)",
        setup_only=True),
    "chips.b200_capacity": Spec(
        default=32000.0, unit="GPUs per month", low=0.0, high=1e7,
        doc="peak neocloud-segment output of the B200",
        source="Blackwell ramp 2025 (Nvidia 10-K FY2026; assumption)",
        plausible=(20000.0, 50000.0),
        plausible_source="modelling assumption: as the H100's range",
        setup_only=True),
    "chips.rubin_release": Spec(
        default="2026-09", unit="YYYY-MM", kind="month",
        doc="Rubin release",
        source="Nvidia GTC 2025 roadmap",
        setup_only=True),
    "chips.rubin_perf": Spec(
        default=5.0, unit="H100e", low=0.1, high=1000.0,
        doc="Rubin performance",
        source="Nvidia GTC 2025 roadmap (a ~2x step over Blackwell); modelling assumption",
        plausible=(3.5, 7.0),
        plausible_source="modelling assumption (a 1.5-3x step over the B200)",
        setup_only=True),
    "chips.rubin_price": Spec(
        default=55000.0, unit="$ per GPU", low=100.0, high=1e6,
        doc="Rubin list",
        source="modelling assumption (list prices step ~1.3-1.4x per generation)",
        plausible=(45000.0, 70000.0),
        plausible_source="modelling assumption (list price step 1.1-1.75x)",
        setup_only=True),
    "chips.rubin_power_kw": Spec(
        default=2.8, unit="kW per GPU incl. facility", low=0.05, high=20.0,
        doc="Rubin power",
        source="modelling assumption (power steps ~1.3x per generation)",
        plausible=(2.3, 3.5),
        plausible_source="modelling assumption (power step 1.1-1.7x)",
        setup_only=True),
    "chips.rubin_capacity": Spec(
        default=40000.0, unit="GPUs per month", low=0.0, high=1e7,
        doc="peak neocloud-segment output of the RUBIN",
        source="CoWoS-L growth (TSMC); assumption",
        plausible=(25000.0, 60000.0),
        plausible_source="modelling assumption",
        setup_only=True),
}
