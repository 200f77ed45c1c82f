"""The market for neocloud shares: price dynamics, fundamental value, issuance and borrow limits.

Each entry: default, unit, hard bounds, meaning, source, and the plausible range that sweeps,
calibration priors and the dashboard use by default (with its own source).
"""

from __future__ import annotations

from neocloud_abm.params import Spec

EQUITY: dict[str, Spec] = {
    "equity.mean_reversion": Spec(
        default=0.1, unit="per month", low=0.0, high=1.0,
        doc="share of the log gap to fundamental value closed each month",
        source="price-to-value gaps half-life ~6 months (Poterba & Summers 1988); modelling assumption",
        plausible=(0.05, 0.2),
        plausible_source="Poterba & Summers (1988): half-lives of months to years; modelling assumption"),
    "equity.price_impact": Spec(
        default=1.0, unit="log price per share of stock traded", low=0.0, high=20.0,
        doc="price move per unit of net order flow / market cap",
        source="linear impact (Kyle 1985); ~1% per 1% of shares outstanding; modelling assumption",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption around Kyle (1985) linear impact"),
    "equity.noise": Spec(
        default=0.08, unit="log s.d. per month", low=0.0, high=1.0,
        doc="monthly noise in share prices",
        source="small-cap tech idiosyncratic volatility ~30-60%/yr; modelling assumption",
        plausible=(0.05, 0.15),
        plausible_source="modelling assumption"),
    "equity.earnings_multiple": Spec(
        default=12.0, unit="x annual earnings", low=0.0, high=100.0,
        doc="multiple on trailing earnings at zero sentiment and zero growth",
        source="long-run S&P 500 P/E ~15; modelling assumption",
        plausible=(8.0, 20.0),
        plausible_source="S&P 500 P/E ~10-25 over 1990-2024"),
    "equity.multiple_sentiment": Spec(
        default=0.4, unit="log multiple per sentiment point", low=0.0, high=5.0,
        doc="how the earnings multiple rises with sentiment",
        source="CoreWeave $2B->$19B in 18 months (S2); modelling assumption",
        plausible=(0.2, 0.6),
        plausible_source="modelling assumption"),
    "equity.multiple_growth": Spec(
        default=0.5, unit="log multiple per log revenue growth", low=0.0, high=5.0,
        doc="how the earnings multiple rises with year-on-year revenue growth",
        source="PEG-style pricing of growth; modelling assumption",
        plausible=(0.25, 1.0),
        plausible_source="modelling assumption"),
    "equity.max_multiple": Spec(
        default=60.0, unit="x annual earnings", low=1.0, high=500.0,
        doc="ceiling on the earnings multiple",
        source="2021/2024 high-growth tech P/E peaks; modelling assumption",
        plausible=(30.0, 100.0),
        plausible_source="modelling assumption"),
    "equity.smoothing": Spec(
        default=0.15, unit="weight per month", low=0.01, high=1.0,
        doc="weight of the latest month in the trailing earnings and revenue the market values (monthly "
            "rents are noisy)",
        source="modelling assumption",
        plausible=(0.08, 0.3),
        plausible_source="modelling assumption"),
    "equity.issue_discount": Spec(
        default=0.04, unit="fraction of price", low=0.0, high=0.9,
        doc="discount of new shares at zero sentiment and no shorts",
        source="seasoned-offering discounts ~3% (Corwin 2003; Altinkilic & Hansen 2003)",
        plausible=(0.02, 0.08),
        plausible_source="Corwin (2003): seasoned-offering discounts ~2-4%, more for small firms"),
    "equity.discount_short_interest": Spec(
        default=0.5, unit="discount per unit short interest", low=0.0, high=5.0,
        doc="extra discount per unit of short interest",
        source="Henry & Koski 2010 (shorting before offerings widens discounts); modelling assumption",
        plausible=(0.25, 1.0),
        plausible_source="modelling assumption"),
    "equity.discount_sentiment": Spec(
        default=0.02, unit="discount per sentiment point", low=0.0, high=1.0,
        doc="discount falls as sentiment rises",
        source="modelling assumption",
        plausible=(0.01, 0.04),
        plausible_source="modelling assumption"),
    "equity.max_discount": Spec(
        default=0.5, unit="fraction of price", low=0.0, high=0.95,
        doc="largest issue discount",
        source="modelling assumption",
        plausible=(0.3, 0.7),
        plausible_source="modelling assumption"),
    "equity.max_issue_share": Spec(
        default=0.15, unit="fraction of market cap per month", low=0.0, high=2.0,
        doc="most a firm can raise in a month with no short interest",
        source="modelling assumption",
        plausible=(0.05, 0.3),
        plausible_source="modelling assumption"),
    "equity.issue_short_sensitivity": Spec(
        default=5.0, unit="log cap per unit short interest", low=0.0, high=100.0,
        doc="how short interest shrinks what can be raised",
        source="modelling assumption",
        plausible=(2.5, 10.0),
        plausible_source="modelling assumption"),
    "equity.max_short_interest": Spec(
        default=0.3, unit="fraction of shares", low=0.0, high=1.0,
        doc="shares funds can borrow and sell short",
        source="borrow availability: heavily shorted US stocks ~20-30% of float (S3 Partners); modelling "
               "assumption",
        plausible=(0.15, 0.4),
        plausible_source="heavily shorted US stocks ~20-30% of float (S3 Partners)"),
    "equity.max_fund_ownership": Spec(
        default=0.3, unit="fraction of shares", low=0.0, high=1.0,
        doc="most of a firm's shares the hedge funds may hold long together",
        source="modelling assumption",
        plausible=(0.15, 0.4),
        plausible_source="modelling assumption"),
}
