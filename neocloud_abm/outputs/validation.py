"""The facts the model must reproduce (docs/model.md, patterns; the article's facts S1-S12):
each target next to what the model simulates, as a median over seeds, with a verdict. A
fact's pass band is the target's own range, never wider: a miss is reported as a miss."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from neocloud_abm.model import NeocloudMarket
from neocloud_abm.parameters.scenarios import load_scenario


@dataclass(frozen=True)
class Fact:
    key: str
    description: str
    target: str
    measure: Callable[[dict[str, pd.DataFrame]], float]
    holds: Callable[[float], bool]
    unit: str = ""


def _window(df: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    return df[(df["date"] >= first) & (df["date"] <= last)]


def _peak_2023(runs: dict[str, pd.DataFrame]) -> float:
    return float(_window(runs["baseline"], "2023-01", "2024-06")["spot_price_h100"].max())


def _decline_24m(runs: dict[str, pd.DataFrame]) -> float:
    price = runs["baseline"]["spot_price_h100e"].to_numpy()
    peak = int(np.argmax(price[:36]))
    return float(1.0 - price[peak: peak + 25].min() / price[peak])


def _late_2025_price(runs: dict[str, pd.DataFrame]) -> float:
    return float(_window(runs["baseline"], "2025-07", "2025-12")["spot_price_h100"].mean())


def _lead_time_2023(runs: dict[str, pd.DataFrame]) -> float:
    return float(_window(runs["baseline"], "2023-01", "2023-12")["nvidia_lead_time_months"].max())


def _lending_12m(runs: dict[str, pd.DataFrame]) -> float:
    lending = runs["baseline"]["new_lending_usd"].rolling(12).sum()
    return float(lending.max() / 1e9)


def _financing_to_revenue_boom(runs: dict[str, pd.DataFrame]) -> float:
    """The most-financed neocloud's financing arranged (debt drawn plus undrawn
    commitments) over its annualised rental revenue in August 2023: S6 is one firm's
    facility at one date (CoreWeave's $2.3B, August 2023, at $25M of revenue), which the
    industry's ratio would dilute with the firms that borrowed little."""
    df = _window(runs["baseline"], "2023-08", "2023-08")
    return float(df["top_neocloud_financing_to_revenue"].iloc[0])


def _revenue_gap(runs: dict[str, pd.DataFrame]) -> float:
    return float(_window(runs["baseline"], "2023-01", "2026-12")["revenue_gap_usd"].max() / 1e9)


def _h100_value_cut(runs: dict[str, pd.DataFrame]) -> float:
    df = runs["baseline"]
    release = df.index[df["date"] == "2025-01"][0]
    before, after = df["gpu_value_h100"].iloc[release - 1], df["gpu_value_h100"].iloc[release + 2]
    return float(1.0 - after / before)


def _stress_defaults(runs: dict[str, pd.DataFrame]) -> float:
    return float(runs["credit_crunch"]["neocloud_defaults_cum"].iloc[-1]
                 - runs["no_leverage"]["neocloud_defaults_cum"].iloc[-1])


FACTS = (
    Fact("S8a", "H100 spot price in the 2023 shortage (peak)", "$5-11 per GPU-hour (reports of ~$8)",
         _peak_2023, lambda v: 5.0 <= v <= 11.0, "$/h"),
    Fact("S8b", "fall of the spot index within 24 months of the peak", ">= 60%", _decline_24m,
         lambda v: v >= 0.6, "share"),
    Fact("S8c", "H100 spot price, second half of 2025", "$1.20-3.00 per GPU-hour (index trough "
         "~$1.70)", _late_2025_price, lambda v: 1.2 <= v <= 3.0, "$/h"),
    Fact("lead", "longest Nvidia lead time in 2023", "36-52 weeks (8-12 months)",
         _lead_time_2023, lambda v: 8.0 <= v <= 12.0, "months"),
    Fact("S1", "most lending to neoclouds in any 12 months", "> $11bn", _lending_12m,
         lambda v: v > 11.0, "$bn"),
    Fact("S6", "most-financed neocloud's financing arranged / annual rental revenue, Aug 2023",
         ">= 5x (CoreWeave: $2.3bn facility at $25m of revenue, Aug 2023)",
         _financing_to_revenue_boom,
         lambda v: v >= 5.0, "x"),
    Fact("S9", "largest revenue gap 2023-26 (whole market, Sequoia)", "> 0", _revenue_gap,
         lambda v: v > 0.0, "$bn/yr"),
    Fact("S4", "H100 secondary value cut by the B200 release (within 3 months)", ">= 10%",
         _h100_value_cut, lambda v: v >= 0.1, "share"),
    Fact("S12", "defaults: credit crunch minus all-equity control", "> 0", _stress_defaults,
         lambda v: v > 0.0, "firms"),
)
SCENARIOS = ("baseline", "credit_crunch", "no_leverage")


def breakeven_h100(seed: int) -> float:
    """$ per H100-hour at which a new H100 earns its cost of capital at list price, target
    utilization and a six-year life, with a flat rent as Latent Space assumed: the cost
    side's sanity check against their $1.65-2.85."""
    flat = load_scenario("baseline").with_overrides({"market.expected_price_decline": 0.0})
    model = NeocloudMarket(flat, rng=seed)
    return model.industry.breakeven_price(model.gens[1])


def validate(seeds: int = 20, baseline_runs: list[pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per fact: target, simulated median and range over seeds, and whether the
    median meets the target. ``baseline_runs``, if given, receives each seed's baseline
    month table (for a figure against the observations)."""
    values: dict[str, list[float]] = {fact.key: [] for fact in FACTS}
    for seed in range(1, seeds + 1):
        runs = {name: NeocloudMarket(load_scenario(name), rng=seed).run().results()
                for name in SCENARIOS}
        if baseline_runs is not None:
            baseline_runs.append(runs["baseline"])
        for fact in FACTS:
            values[fact.key].append(fact.measure(runs))
    rows = []
    for fact in FACTS:
        v = np.array(values[fact.key])
        rows.append({"fact": fact.key, "description": fact.description, "target": fact.target,
                     "median": float(np.median(v)), "low": float(v.min()), "high": float(v.max()),
                     "unit": fact.unit, "holds": bool(fact.holds(float(np.median(v))))})
    cost = breakeven_h100(1)
    rows.append({"fact": "cost", "description": "break-even rent of a new H100", "target":
                 "$1.65-2.85 per hour (Latent Space 2024)", "median": cost, "low": cost,
                 "high": cost, "unit": "$/h", "holds": 1.65 <= cost <= 2.85})
    return pd.DataFrame(rows)
