"""The market for neocloud shares: price dynamics, fundamental value, issuance and borrow limits.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import param


@dataclass(frozen=True)
class EquityParams:
    """The ``equity`` group of parameters."""

    mean_reversion: float = param(
        0.1, "per month", low=0.0, high=1.0,
        doc="share of the log gap to fundamental value closed each month",
        source="price-to-value gaps half-life ~6 months (Poterba & Summers 1988); modelling assumption",
        plausible=(0.05, 0.2),
        plausible_source="Poterba & Summers (1988): half-lives of months to years; modelling assumption")
    price_impact: float = param(
        1.0, "log price per share of stock traded", low=0.0, high=20.0,
        doc="price move per unit of net order flow / market cap",
        source="linear impact (Kyle 1985); ~1% per 1% of shares outstanding; modelling assumption",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption around Kyle (1985) linear impact")
    noise: float = param(
        0.08, "log s.d. per month", low=0.0, high=1.0,
        doc="monthly noise in share prices",
        source="small-cap tech idiosyncratic volatility ~30-60%/yr; modelling assumption",
        plausible=(0.05, 0.15),
        plausible_source="modelling assumption")
    earnings_multiple: float = param(
        12.0, "x annual earnings", low=0.0, high=100.0,
        doc="multiple on trailing earnings at zero sentiment and zero growth",
        source="long-run S&P 500 P/E ~15; modelling assumption",
        plausible=(8.0, 20.0),
        plausible_source="S&P 500 P/E ~10-25 over 1990-2024")
    multiple_sentiment: float = param(
        0.4, "log multiple per sentiment point", low=0.0, high=5.0,
        doc="how the earnings multiple rises with sentiment",
        source="CoreWeave $2B->$19B in 18 months (S2); modelling assumption",
        plausible=(0.2, 0.6),
        plausible_source="modelling assumption")
    multiple_growth: float = param(
        0.5, "log multiple per log revenue growth", low=0.0, high=5.0,
        doc="how the earnings multiple rises with year-on-year revenue growth",
        source="PEG-style pricing of growth; modelling assumption",
        plausible=(0.25, 1.0),
        plausible_source="modelling assumption")
    max_multiple: float = param(
        60.0, "x annual earnings", low=1.0, high=500.0,
        doc="ceiling on the earnings multiple",
        source="2021/2024 high-growth tech P/E peaks; modelling assumption",
        plausible=(30.0, 100.0),
        plausible_source="modelling assumption")
    smoothing: float = param(
        0.15, "weight per month", low=0.01, high=1.0,
        doc="weight of the latest month in the trailing earnings and revenue the market values (monthly "
            "rents are noisy)",
        source="modelling assumption",
        plausible=(0.08, 0.3),
        plausible_source="modelling assumption")
    issue_discount: float = param(
        0.04, "fraction of price", low=0.0, high=0.9,
        doc="discount of new shares at zero sentiment and no shorts",
        source="seasoned-offering discounts ~3% (Corwin 2003; Altinkilic & Hansen 2003)",
        plausible=(0.02, 0.08),
        plausible_source="Corwin (2003): seasoned-offering discounts ~2-4%, more for small firms")
    discount_short_interest: float = param(
        0.5, "discount per unit short interest", low=0.0, high=5.0,
        doc="extra discount per unit of short interest",
        source="Henry & Koski 2010 (shorting before offerings widens discounts); modelling assumption",
        plausible=(0.25, 1.0),
        plausible_source="modelling assumption")
    discount_sentiment: float = param(
        0.02, "discount per sentiment point", low=0.0, high=1.0,
        doc="discount falls as sentiment rises",
        source="modelling assumption",
        plausible=(0.01, 0.04),
        plausible_source="modelling assumption")
    max_discount: float = param(
        0.5, "fraction of price", low=0.0, high=0.95,
        doc="largest issue discount",
        source="modelling assumption",
        plausible=(0.3, 0.7),
        plausible_source="modelling assumption")
    max_issue_share: float = param(
        0.15, "fraction of market cap per issue", low=0.0, high=2.0,
        doc="most a firm can raise in one issue with no short interest",
        source="modelling assumption",
        plausible=(0.05, 0.3),
        plausible_source="modelling assumption")
    issue_short_sensitivity: float = param(
        5.0, "log cap per unit short interest", low=0.0, high=100.0,
        doc="how short interest shrinks what can be raised",
        source="modelling assumption",
        plausible=(2.5, 10.0),
        plausible_source="modelling assumption")
    max_short_interest: float = param(
        0.3, "fraction of shares", low=0.0, high=1.0,
        doc="shares funds can borrow and sell short",
        source="borrow availability: heavily shorted US stocks ~20-30% of float (S3 Partners); modelling "
               "assumption",
        plausible=(0.15, 0.4),
        plausible_source="heavily shorted US stocks ~20-30% of float (S3 Partners)")
    max_fund_ownership: float = param(
        0.3, "fraction of shares", low=0.0, high=1.0,
        doc="most of a firm's shares the hedge funds may hold long together",
        source="modelling assumption",
        plausible=(0.15, 0.4),
        plausible_source="modelling assumption")
