"""Nvidia's named chip roadmap: release, performance (H100e), list price, facility power and
neocloud-segment capacity per generation. Read only when the model is built.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import param


@dataclass(frozen=True)
class ChipParams:
    """The ``chips`` group of parameters."""

    a100_release: str = param(
        "2020-06", "YYYY-MM", kind="month", setup_only=True,
        doc="A100 release",
        source="Nvidia GTC 2020")
    a100_perf: float = param(
        0.35, "H100e", low=0.01, high=1.0, setup_only=True,
        doc="A100 performance",
        source="MLPerf training v3.0 (H100 ~3x A100)",
        plausible=(0.3, 0.4),
        plausible_source="MLPerf training v3.0 (H100 2.5-3.3x A100)")
    a100_price: float = param(
        15000.0, "$ per GPU", low=100.0, high=1e6, setup_only=True,
        doc="A100 list",
        source="modelling assumption (A100 street prices $10-20k, 2020-22)",
        plausible=(10000.0, 20000.0),
        plausible_source="modelling assumption (A100 street prices $10-20k, 2020-22)")
    a100_power_kw: float = param(
        0.6, "kW per GPU incl. facility", low=0.05, high=20.0, setup_only=True,
        doc="A100 power",
        source="modelling assumption (400 W TDP (Nvidia A100 datasheet) with server share and PUE)",
        plausible=(0.5, 0.8),
        plausible_source="modelling assumption (400 W TDP, server share and PUE)")
    a100_capacity: float = param(
        6000.0, "GPUs per month", low=0.0, high=1e7, setup_only=True,
        doc="peak neocloud-segment output of the A100",
        source="A100 allocations to GPU clouds 2021-22 (assumption)",
        plausible=(3000.0, 10000.0),
        plausible_source="modelling assumption: half to 1.7x the default")
    h100_release: str = param(
        "2023-03", "YYYY-MM", kind="month", setup_only=True,
        doc="H100 release",
        source="Nvidia GTC 2023 (volume shipments)")
    h100_price: float = param(
        30000.0, "$ per GPU", low=100.0, high=1e6, setup_only=True,
        doc="H100 list",
        source="H100 ~$25-30k list, $35-40k street in 2023 (press reports)",
        plausible=(25000.0, 40000.0),
        plausible_source="H100 ~$25-30k list, $35-40k street in 2023 (press reports)")
    h100_power_kw: float = param(
        1.6, "kW per GPU incl. facility", low=0.05, high=20.0, setup_only=True,
        doc="H100 power",
        source="modelling assumption (700 W TDP (Nvidia H100 SXM datasheet) with server share and PUE ~1.3)",
        plausible=(1.3, 1.9),
        plausible_source="modelling assumption (700 W TDP, server share and PUE 1.2-1.4)")
    h100_capacity: float = param(
        35000.0, "GPUs per month", low=0.0, high=1e7, setup_only=True,
        doc="peak neocloud-segment output of the H100",
        source="Omdia: ~2M H100 shipped in 2024, ~20% to neoclouds (~400k a year)",
        plausible=(20000.0, 50000.0),
        plausible_source="Omdia 2024 H100 shipments ~2M, neocloud share 10-25%")
    b200_release: str = param(
        "2025-01", "YYYY-MM", kind="month", setup_only=True,
        doc="B200 release",
        source="Nvidia Computex 2024 roadmap")
    b200_perf: float = param(
        2.5, "H100e", low=0.1, high=100.0, setup_only=True,
        doc="B200 performance",
        source="Nvidia GTC 2024 (2.5x H100 training)",
        plausible=(2.0, 4.0),
        plausible_source="Nvidia GTC 2024 (2.5x H100 training, up to 4x at FP4-friendly workloads)")
    b200_price: float = param(
        40000.0, "$ per GPU", low=100.0, high=1e6, setup_only=True,
        doc="B200 list",
        source="Jensen Huang (CNBC, March 2024): $30-40k",
        plausible=(30000.0, 50000.0),
        plausible_source="Jensen Huang (CNBC, March 2024): $30-40k; modelling assumption")
    b200_power_kw: float = param(
        2.1, "kW per GPU incl. facility", low=0.05, high=20.0, setup_only=True,
        doc="B200 power",
        source="modelling assumption (1,000 W TDP (Nvidia HGX B200) with server share and PUE)",
        plausible=(1.8, 2.6),
        plausible_source="modelling assumption (1,000 W TDP, server share and PUE)")
    b200_capacity: float = param(
        32000.0, "GPUs per month", low=0.0, high=1e7, setup_only=True,
        doc="peak neocloud-segment output of the B200",
        source="Blackwell ramp 2025 (Nvidia 10-K FY2026; assumption)",
        plausible=(20000.0, 50000.0),
        plausible_source="modelling assumption: as the H100's range")
    rubin_release: str = param(
        "2026-09", "YYYY-MM", kind="month", setup_only=True,
        doc="Rubin release",
        source="Nvidia GTC 2025 roadmap")
    rubin_perf: float = param(
        5.0, "H100e", low=0.1, high=1000.0, setup_only=True,
        doc="Rubin performance",
        source="Nvidia GTC 2025 roadmap (a ~2x step over Blackwell); modelling assumption",
        plausible=(3.5, 7.0),
        plausible_source="modelling assumption (a 1.5-3x step over the B200)")
    rubin_price: float = param(
        55000.0, "$ per GPU", low=100.0, high=1e6, setup_only=True,
        doc="Rubin list",
        source="modelling assumption (list prices step ~1.3-1.4x per generation)",
        plausible=(45000.0, 70000.0),
        plausible_source="modelling assumption (list price step 1.1-1.75x)")
    rubin_power_kw: float = param(
        2.8, "kW per GPU incl. facility", low=0.05, high=20.0, setup_only=True,
        doc="Rubin power",
        source="modelling assumption (power steps ~1.3x per generation)",
        plausible=(2.3, 3.5),
        plausible_source="modelling assumption (power step 1.1-1.7x)")
    rubin_capacity: float = param(
        40000.0, "GPUs per month", low=0.0, high=1e7, setup_only=True,
        doc="peak neocloud-segment output of the RUBIN",
        source="CoWoS-L growth (TSMC); assumption",
        plausible=(25000.0, 60000.0),
        plausible_source="modelling assumption")
