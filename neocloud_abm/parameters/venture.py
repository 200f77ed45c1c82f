"""Venture capital, the startups' funding: unlimited (rounds paid as asked) or finite funds
whose investors commit according to the funds' realised returns.

Each field is one parameter: default, unit, hard bounds, meaning, source, and the
plausible range that sweeps, calibration priors and the dashboard use by default (with its
own source). ``setup_only`` marks what is read only when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

from neocloud_abm.parameters.spec import param

_PITCHBOOK = ("PitchBook-NVCA Venture Monitor via TechCrunch, 2022-07-14 (US VC capital "
              "overhang $290bn at mid-2022) against $194.9bn invested in the first three "
              "quarters of 2022 (PitchBook-NVCA Q3 2022): dry powder of about one year of deals")


@dataclass(frozen=True)
class VentureParams:
    """The ``venture`` group of parameters."""

    funding: str = param(
        "unlimited", "regime", choices=("unlimited", "finite_funds"), setup_only=True,
        doc="where startups' rounds and entrants' seed money come from: 'unlimited' (every "
            "round is paid as asked, the default) or 'finite_funds' (venture funds pay from dry "
            "powder that their investors commit according to the funds' realised returns, and "
            "ration rounds and new ventures when it runs short)",
        source="modelling assumption; finite funds follow Kaplan & Schoar (2005, Journal of "
               "Finance): investors commit more to funds that performed better, concavely",
        label="venture funding")
    dry_powder_months: float = param(
        12.0, "months of deal flow", low=0.0, high=120.0,
        doc="the dry powder the funds aim to hold, in months of the rounds and seeds asked of "
            "them over the last year (finite funds only); also their dry powder at the start, "
            "in months of what the startups then spend (before the boom, rounds replace the "
            "burn)",
        source=_PITCHBOOK,
        plausible=(6.0, 24.0),
        plausible_source="modelling assumption: half to twice a year of deals")
    deployment_months: float = param(
        12.0, "months", low=1.0, high=120.0,
        doc="the funds invest at most their dry powder divided by this each month (finite "
            "funds only); asks beyond it are rationed",
        source=_PITCHBOOK,
        plausible=(6.0, 36.0),
        plausible_source="modelling assumption: from half a year to a three-year investment "
                         "period")
    fundraising_months: float = param(
        6.0, "months", low=1.0, high=60.0,
        doc="the funds raise the gap between the dry powder they aim for and what they hold "
            "over this many months (finite funds only)",
        source="modelling assumption (a fund's first to final close takes months to a year)",
        plausible=(3.0, 18.0),
        plausible_source="modelling assumption")
    return_sensitivity: float = param(
        1.0, "log commitments per unit of tanh(excess return)", low=0.0, high=10.0,
        doc="how strongly investors' commitments (the successor funds, sized to what the funds "
            "invested over the last year) respond to the portfolio's realised return over that "
            "year above the hurdle (finite funds only); the response is concave (a tanh), as "
            "Kaplan & Schoar (2005) find",
        source="modelling assumption (sign and concavity: Kaplan & Schoar 2005; Gompers & "
               "Lerner 1998 on VC fundraising and past returns)",
        plausible=(0.5, 2.0),
        plausible_source="modelling assumption")
    hurdle_return: float = param(
        0.15, "fraction per year", low=-0.5, high=2.0,
        doc="the return investors expect of venture funds: at it, commitments replace what "
            "the funds invested (finite funds only)",
        source="modelling assumption (investors ask venture for a premium over public "
               "equity, whose returns venture funds roughly matched on average: Kaplan & "
               "Schoar 2005)",
        plausible=(0.08, 0.25),
        plausible_source="modelling assumption")
