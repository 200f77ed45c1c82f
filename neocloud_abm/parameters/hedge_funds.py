"""Hedge funds trading neocloud shares: strategies, leverage, investor flows and wind-up.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import param


@dataclass(frozen=True)
class HedgeFundParams:
    """The ``hedge_funds`` group of parameters."""

    count: int = param(
        6, "funds", low=0, high=100, setup_only=True,
        doc="hedge funds at the start",
        source="modelling assumption (a handful of funds active in neocloud names)",
        plausible=(4, 10),
        plausible_source="modelling assumption")
    short_share: float = param(
        0.5, "fraction of funds", low=0.0, high=1.0, setup_only=True,
        doc="share of funds that are fundamental short sellers (the rest chase momentum)",
        source="modelling assumption",
        plausible=(0.3, 0.7),
        plausible_source="modelling assumption")
    initial_capital: float = param(
        2e8, "$ per fund", low=0.0, high=1e12, setup_only=True,
        doc="starting capital of each fund",
        source="specialist TMT long/short funds manage $0.1-1B; modelling assumption",
        plausible=(1e8, 1e9),
        plausible_source="specialist TMT long/short funds manage $0.1-1B")
    target_leverage: float = param(
        1.5, "gross exposure / capital", low=0.0, high=20.0,
        doc="gross exposure a fund runs when fully invested",
        source="equity long/short gross leverage ~1.5-2.5x (Ang, Gorovyy & van Inwegen 2011)",
        plausible=(1.0, 2.5),
        plausible_source="equity long/short gross leverage ~1.5-2.5x (Ang, Gorovyy & van Inwegen 2011)",
        label="target fund leverage")
    max_leverage: float = param(
        3.0, "gross exposure / capital", low=1.0, high=20.0,
        doc="the prime broker's leverage limit in calm markets (its lowest margin is 1 / this); "
            "a fund whose margin requirement exceeds its capital is forced to sell (margin call)",
        source="prime-broker limits for equity L/S ~3-6x (Ang et al. 2011); lambda_max of Thurner, Farmer &"
               " Geanakoplos 2012",
        plausible=(3.0, 6.0),
        plausible_source="prime-broker limits for equity long/short ~3-6x (Ang et al. 2011)",
        label="max fund leverage")
    margin_var_multiple: float = param(
        2.33, "s.d. of monthly return", low=0.0, high=10.0,
        doc="prime brokers' margin per $ of a position: this many of the stock's measured monthly "
            "volatilities (at least 1 / max_leverage, at most 1); 0 gives the fixed limit",
        source="margins set to cover value at risk (Brunnermeier & Pedersen 2009); 2.33 = one-month "
               "99% normal quantile, the confidence of risk-based (portfolio) margin models",
        plausible=(1.65, 3.0),
        plausible_source="95%-99% one-month value at risk")
    margin_spread: float = param(
        0.005, "fraction per year", low=0.0, high=0.1,
        doc="spread prime brokers (the banks) charge on margin debt over their own funding rate",
        source="modelling assumption (prime-broker financing at a benchmark rate plus a spread)",
        plausible=(0.0025, 0.015),
        plausible_source="modelling assumption")
    volatility_decay: float = param(
        0.97, "weight per month", low=0.0, high=0.999,
        doc="decay of the exponentially weighted volatility prime brokers measure from monthly closes",
        source="RiskMetrics Technical Document (J.P. Morgan/Reuters 1996): decay 0.97 for monthly data",
        plausible=(0.9, 0.99),
        plausible_source="RiskMetrics (1996): 0.94 daily, 0.97 monthly")
    dispersion: float = param(
        0.3, "log s.d.", low=0.0, high=2.0, setup_only=True,
        doc="spread of each fund's signal threshold, lookback and target leverage around the values here",
        source="modelling assumption",
        plausible=(0.1, 0.5),
        plausible_source="modelling assumption")
    min_capital: float = param(
        2e7, "$", low=0.0, high=1e12,
        doc="a fund below this capital is wound up",
        source="modelling assumption (10% of starting capital)",
        plausible=(1e7, 5e7),
        plausible_source="modelling assumption")
    flow_sensitivity: float = param(
        0.5, "flow share per unit excess return", low=0.0, high=10.0,
        doc="investor flows per month per unit of smoothed monthly excess return",
        source="Thurner, Farmer & Geanakoplos 2012 (b); annual flows ~ half the annual excess return "
               "(Chevalier & Ellison 1997); modelling assumption",
        plausible=(0.2, 1.0),
        plausible_source="modelling assumption around Chevalier & Ellison (1997)")
    flow_memory: float = param(
        0.1, "weight per month", low=0.0, high=1.0,
        doc="weight of the latest return in the performance investors react to",
        source="Thurner, Farmer & Geanakoplos 2012 (a = 0.1)",
        plausible=(0.05, 0.2),
        plausible_source="modelling assumption around Thurner, Farmer & Geanakoplos (2012)")
    short_margin: float = param(
        0.2, "log(price / fundamental)", low=0.0, high=5.0,
        doc="overvaluation at which short sellers start to short",
        source="modelling assumption (the article's Koppikar: short what is priced beyond its earnings)",
        plausible=(0.1, 0.4),
        plausible_source="modelling assumption")
    momentum_lookback: int = param(
        6, "months", low=1, high=60,
        doc="window of the past return momentum funds chase",
        source="Jegadeesh & Titman 1993 (3-12 month formation)",
        plausible=(3, 12),
        plausible_source="Jegadeesh & Titman (1993): 3-12-month formation periods")
    signal_scale: float = param(
        0.3, "log points", low=0.01, high=10.0,
        doc="summed signal at which a fund is fully invested",
        source="modelling assumption",
        plausible=(0.15, 0.6),
        plausible_source="modelling assumption")
    trade_speed: float = param(
        0.5, "fraction of gap per month", low=0.0, high=1.0,
        doc="share of the gap to its target portfolio a fund trades each month",
        source="modelling assumption",
        plausible=(0.25, 0.75),
        plausible_source="modelling assumption")
