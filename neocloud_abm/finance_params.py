"""Parameters of the neocloud equity market and the hedge funds that trade it.

Merged into :data:`neocloud_abm.defaults.PARAMETERS`; declared here so that the equity layer
keeps its calibration in one place. Units follow the model's conventions (USD, months).
"""

from __future__ import annotations

from neocloud_abm.params import Spec

# Same text as defaults.ASSUMPTION; not imported, because defaults imports this module.
ASSUMPTION = "modelling assumption"

EQUITY_PARAMETERS: dict[str, Spec] = {
    # --- hedge funds (DESIGN 3 "Hedge funds") --------------------------------------------
    "hedge_funds.count": Spec(6, "funds", "DESIGN 3 (4-10 funds)", "hedge funds at the start",
                              0, 100, kind="int"),
    "hedge_funds.short_share": Spec(0.5, "fraction of funds", ASSUMPTION, "share of funds that "
                                    "are fundamental short sellers (the rest chase momentum)",
                                    0.0, 1.0),
    "hedge_funds.initial_capital": Spec(2e8, "$ per fund", "specialist TMT long/short funds "
                                        "manage $0.1-1B; " + ASSUMPTION,
                                        "starting capital of each fund", 0.0, 1e12),
    "hedge_funds.target_leverage": Spec(1.5, "gross exposure / capital", "equity long/short "
                                        "gross leverage ~1.5-2.5x (Ang, Gorovyy & van Inwegen "
                                        "2011)", "gross exposure a fund runs when fully invested",
                                        0.0, 20.0),
    "hedge_funds.max_leverage": Spec(3.0, "gross exposure / capital", "prime-broker limits for "
                                     "equity L/S ~3-6x (Ang et al. 2011); lambda_max of Thurner, "
                                     "Farmer & Geanakoplos 2012", "leverage above which the "
                                     "prime broker forces sales (margin call)", 1.0, 20.0),
    "hedge_funds.dispersion": Spec(0.3, "log s.d.", ASSUMPTION, "spread of each fund's "
                                   "signal threshold, lookback and target leverage around "
                                   "the values here", 0.0, 2.0),
    "hedge_funds.min_capital": Spec(2e7, "$", ASSUMPTION + " (10% of starting capital)",
                                    "a fund below this capital is wound up", 0.0, 1e12),
    "hedge_funds.flow_sensitivity": Spec(0.5, "flow share per unit excess return",
                                         "Thurner, Farmer & Geanakoplos 2012 (b); annual flows "
                                         "~ half the annual excess return (Chevalier & Ellison "
                                         "1997); " + ASSUMPTION,
                                         "investor flows per month per unit of smoothed "
                                         "monthly excess return", 0.0, 10.0),
    "hedge_funds.flow_memory": Spec(0.1, "weight per month", "Thurner, Farmer & Geanakoplos "
                                    "2012 (a = 0.1)", "weight of the latest return in the "
                                    "performance investors react to", 0.0, 1.0),
    "hedge_funds.short_margin": Spec(0.2, "log(price / fundamental)", ASSUMPTION + " (the "
                                     "article's Koppikar: short what is priced beyond its "
                                     "earnings)", "overvaluation at which short sellers start "
                                     "to short", 0.0, 5.0),
    "hedge_funds.momentum_lookback": Spec(6, "months", "Jegadeesh & Titman 1993 (3-12 month "
                                          "formation)", "window of the past return momentum "
                                          "funds chase", 1, 60, kind="int"),
    "hedge_funds.signal_scale": Spec(0.3, "log points", ASSUMPTION, "summed signal at which a "
                                     "fund is fully invested", 0.01, 10.0),
    "hedge_funds.trade_speed": Spec(0.5, "fraction of gap per month", ASSUMPTION,
                                    "share of the gap to its target portfolio a fund trades "
                                    "each month", 0.0, 1.0),
    # --- equity market (markets/equity.py) ----------------------------------------------
    "equity.mean_reversion": Spec(0.1, "per month", "price-to-value gaps half-life ~6 months "
                                  "(Poterba & Summers 1988); " + ASSUMPTION,
                                  "share of the log gap to fundamental value closed each month",
                                  0.0, 1.0),
    "equity.price_impact": Spec(1.0, "log price per share of stock traded", "linear impact "
                                "(Kyle 1985); ~1% per 1% of shares outstanding; " + ASSUMPTION,
                                "price move per unit of net order flow / market cap", 0.0, 20.0),
    "equity.noise": Spec(0.08, "log s.d. per month", "small-cap tech idiosyncratic volatility "
                         "~30-60%/yr; " + ASSUMPTION, "monthly noise in share prices", 0.0, 1.0),
    "equity.earnings_multiple": Spec(12.0, "x annual earnings", "long-run S&P 500 P/E ~15; "
                                     + ASSUMPTION, "multiple on trailing earnings at zero "
                                     "sentiment and zero growth", 0.0, 100.0),
    "equity.multiple_sentiment": Spec(0.4, "log multiple per sentiment point", "CoreWeave "
                                      "$2B->$19B in 18 months (S2); " + ASSUMPTION,
                                      "how the earnings multiple rises with sentiment", 0.0, 5.0),
    "equity.multiple_growth": Spec(0.5, "log multiple per log revenue growth", "PEG-style "
                                   "pricing of growth; " + ASSUMPTION, "how the earnings "
                                   "multiple rises with year-on-year revenue growth", 0.0, 5.0),
    "equity.max_multiple": Spec(60.0, "x annual earnings", "2021/2024 high-growth tech P/E "
                                "peaks; " + ASSUMPTION, "ceiling on the earnings multiple",
                                1.0, 500.0),
    "equity.smoothing": Spec(0.15, "weight per month", ASSUMPTION, "weight of the latest "
                             "month in the trailing earnings and revenue the market values "
                             "(monthly rents are noisy)", 0.01, 1.0),
    "equity.issue_discount": Spec(0.04, "fraction of price", "seasoned-offering discounts ~3% "
                                  "(Corwin 2003; Altinkilic & Hansen 2003)",
                                  "discount of new shares at zero sentiment and no shorts",
                                  0.0, 0.9),
    "equity.discount_short_interest": Spec(0.5, "discount per unit short interest", "Henry & "
                                           "Koski 2010 (shorting before offerings widens "
                                           "discounts); " + ASSUMPTION, "extra discount per "
                                           "unit of short interest", 0.0, 5.0),
    "equity.discount_sentiment": Spec(0.02, "discount per sentiment point", ASSUMPTION,
                                      "discount falls as sentiment rises", 0.0, 1.0),
    "equity.max_discount": Spec(0.5, "fraction of price", ASSUMPTION, "largest issue discount",
                                0.0, 0.95),
    "equity.max_issue_share": Spec(0.15, "fraction of market cap per month", ASSUMPTION + " (as "
                                   "neoclouds.equity_raise_share)", "most a firm can raise in a "
                                   "month with no short interest", 0.0, 2.0),
    "equity.issue_short_sensitivity": Spec(5.0, "log cap per unit short interest", ASSUMPTION,
                                           "how short interest shrinks what can be raised",
                                           0.0, 100.0),
    "equity.max_short_interest": Spec(0.3, "fraction of shares", "borrow availability: heavily "
                                      "shorted US stocks ~20-30% of float (S3 Partners); "
                                      + ASSUMPTION, "shares funds can borrow and sell short",
                                      0.0, 1.0),
    "equity.max_fund_ownership": Spec(0.3, "fraction of shares", ASSUMPTION, "most of a firm's "
                                      "shares the hedge funds may hold long together", 0.0, 1.0),
}
