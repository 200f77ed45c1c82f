"""Moments: statistics computed the same way from the observed data and from the model's
month table, each with the data's standard error, and the distance between the two
(docs/model.md#67-moments).

A moment is a level in a window (the median of the observations dated in it against the
model's median month there), a peak, a growth rate between two years or a ratio. Its
standard error comes from the spread of the observations where there are at least three
(the asymptotic standard error of a median, 1.2533 s / sqrt(n)), else from a stated relative
uncertainty: 2% for sums of filed accounts, 25% for a single press-reported figure. The fit
of a run set is the simulated-method-of-moments distance with a diagonal weight: the sum
over moments of ((simulated median - observed) / sigma)^2, where sigma^2 is the data's
variance plus the simulated median's (the seeds' variance over their number).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from neocloud_abm.model import NeocloudMarket
from neocloud_abm.outputs.observations import in_months
from neocloud_abm.parameters.params import Params
from neocloud_abm.parameters.scenarios import load_scenario

# The month-table columns the moments read (a sweep to calibrate on must keep them).
MOMENT_COLUMNS = ("spot_price_h100", "nvidia_lead_time_months", "nvidia_revenue_usd",
                  "hyperscaler_capex_usd", "neocloud_revenue_usd", "debt_outstanding_usd",
                  "top_neocloud_top_customer_share")
FILED = 0.02      # relative standard error of a sum of filed quarterly accounts
PRESS = 0.25      # relative standard error of a single press-reported figure
MEDIAN_SE = 1.2533  # standard error of a median, in standard deviations over sqrt(n)


@dataclass(frozen=True)
class Estimate:
    """A moment measured on the data: its value and standard error, with how that error
    was set."""

    value: float
    se: float
    basis: str


@dataclass(frozen=True)
class Moment:
    key: str
    description: str
    unit: str
    data: Callable[[pd.DataFrame], Estimate]
    model: Callable[[pd.DataFrame], float]
    through: str   # the last month of data it reads: in sample for an estimate up to then


# --- the data side ---------------------------------------------------------------------------
def _rows(observed: pd.DataFrame, series: Sequence[str], first: str, last: str) -> pd.DataFrame:
    rows = observed[observed["series"].isin(series) & observed["date"].between(first, last)]
    if rows.empty:
        raise ValueError(f"no observations of {', '.join(series)} in {first}..{last}")
    return rows


def median_of(series: Sequence[str], first: str, last: str) -> Callable[[pd.DataFrame], Estimate]:
    """The median of the observations dated in the window (weeks read as months); its
    standard error from their spread, or a press figure's if there are fewer than three."""
    def measure(observed: pd.DataFrame) -> Estimate:
        values = in_months(_rows(observed, series, first, last))
        median = float(np.median(values))
        if len(values) >= 3:
            se = MEDIAN_SE * float(np.std(values, ddof=1)) / math.sqrt(len(values))
            return Estimate(median, se, f"spread of {len(values)} observations")
        return Estimate(median, PRESS * median, f"{len(values)} press-reported figure(s), 25%")
    return measure


def peak_of(series: str, first: str, last: str) -> Callable[[pd.DataFrame], Estimate]:
    """The highest observation in the window, as reported (25%)."""
    def measure(observed: pd.DataFrame) -> Estimate:
        peak = float(_rows(observed, (series,), first, last)["value"].max())
        return Estimate(peak, PRESS * peak, "highest press-reported figure, 25%")
    return measure


def filed_growth(series: Sequence[str], before: tuple[str, str],
                 after: tuple[str, str]) -> Callable[[pd.DataFrame], Estimate]:
    """Log growth of a filed flow summed over two windows (each series must have the same
    number of observations in both, so a missing quarter cannot pass for a fall)."""
    def measure(observed: pd.DataFrame) -> Estimate:
        sums = []
        for first, last in (before, after):
            rows = _rows(observed, series, first, last)
            sums.append((float(rows["value"].sum()), rows.groupby("series").size().to_dict()))
        if sums[0][1] != sums[1][1]:
            raise ValueError(f"{', '.join(series)}: observations per series differ between "
                             f"{before} and {after} ({sums[0][1]} against {sums[1][1]})")
        return Estimate(math.log(sums[1][0] / sums[0][0]), math.sqrt(2) * FILED,
                        "sums of filed accounts, 2% each")
    return measure


def ratio_of(numerator: tuple[str, str], denominator: tuple[str, str]) -> Callable[[pd.DataFrame], Estimate]:
    """One observation (series, month) over another, as reported (25%)."""
    def measure(observed: pd.DataFrame) -> Estimate:
        top = float(_rows(observed, (numerator[0],), numerator[1], numerator[1])["value"].iloc[0])
        bottom = float(_rows(observed, (denominator[0],), denominator[1], denominator[1])["value"].iloc[0])
        return Estimate(top / bottom, PRESS * top / bottom, "press-reported facility over filed revenue, 25%")
    return measure


# --- the model side --------------------------------------------------------------------------
def _window(df: pd.DataFrame, column: str, first: str, last: str) -> pd.Series:
    values = df.loc[(df["date"] >= first) & (df["date"] <= last), column]
    if values.empty:
        raise ValueError(f"the run does not cover {first}..{last}")
    return values


def model_median(column: str, first: str, last: str) -> Callable[[pd.DataFrame], float]:
    return lambda df: float(_window(df, column, first, last).median())


def model_mean(column: str, first: str, last: str) -> Callable[[pd.DataFrame], float]:
    return lambda df: float(_window(df, column, first, last).mean())


def model_peak(column: str, first: str, last: str) -> Callable[[pd.DataFrame], float]:
    return lambda df: float(_window(df, column, first, last).max())


def model_growth(column: str, before: tuple[str, str],
                 after: tuple[str, str]) -> Callable[[pd.DataFrame], float]:
    def measure(df: pd.DataFrame) -> float:
        first, second = (float(_window(df, column, *span).sum()) for span in (before, after))
        return math.log(second / first) if first > 0 and second > 0 else math.nan
    return measure


def model_debt_to_revenue(month: str) -> Callable[[pd.DataFrame], float]:
    def measure(df: pd.DataFrame) -> float:
        debt = float(_window(df, "debt_outstanding_usd", month, month).iloc[0])
        revenue = 12.0 * float(_window(df, "neocloud_revenue_usd", month, month).iloc[0])
        return debt / revenue if revenue > 0 else math.nan
    return measure


NVIDIA_FY2024, NVIDIA_FY2025 = ("2023-02", "2024-01"), ("2024-02", "2025-01")
RENTS = ("h100_rental_price", "h100_contract_price")
LEAD_TIMES = ("nvidia_lead_time_weeks", "nvidia_lead_time")
MODEL_OUTPUT = MappingProxyType({RENTS: ("spot_price_h100", "$/GPU-h"),
                                 RENTS[:1]: ("spot_price_h100", "$/GPU-h"),
                                 LEAD_TIMES: ("nvidia_lead_time_months", "months")})


def level(key: str, description: str, series: tuple[str, ...], first: str, last: str) -> Moment:
    """The median of the observed series in a window against the model's median month there."""
    column, unit = MODEL_OUTPUT[series]
    return Moment(key, description, unit, median_of(series, first, last),
                  model_median(column, first, last), last)


MOMENTS = (
    Moment("h100_rent_2023_peak", "highest H100 rent in 2023", "$/GPU-h",
           peak_of("h100_rental_price", "2023-01", "2023-12"),
           model_peak("spot_price_h100", "2023-01", "2023-12"), "2023-12"),
    level("h100_rent_2024", "H100 rent in 2024 (median)", RENTS[:1], "2024-01", "2024-12"),
    level("h100_rent_2025h2", "H100 rent, second half of 2025 (median)", RENTS, "2025-07", "2025-12"),
    level("h100_rent_2026h1", "H100 rent, first half of 2026 (median)", RENTS, "2026-01", "2026-06"),
    level("lead_time_2023q4", "Nvidia lead time, last quarter of 2023 (median)", LEAD_TIMES,
          "2023-10", "2023-12"),
    level("lead_time_2024h1", "Nvidia lead time, first half of 2024 (median)", LEAD_TIMES,
          "2024-01", "2024-06"),
    Moment("nvidia_revenue_growth", "growth of Nvidia's data-centre revenue, fiscal 2024 to 2025",
           "log", filed_growth(("nvidia_datacenter_revenue",), ("2023-04", "2024-01"),
                               ("2024-04", "2025-01")),
           model_growth("nvidia_revenue_usd", NVIDIA_FY2024, NVIDIA_FY2025), "2025-01"),
    Moment("hyperscaler_capex_growth", "growth of hyperscaler capex, 2024 to 2025 (Microsoft, Meta)",
           "log", filed_growth(("hyperscaler_capex_microsoft", "hyperscaler_capex_meta"),
                               ("2024-01", "2024-12"), ("2025-01", "2025-12")),
           model_growth("hyperscaler_capex_usd", ("2024-01", "2024-12"), ("2025-01", "2025-12")),
           "2025-12"),
    Moment("neocloud_revenue_growth", "growth of neocloud revenue, 2023 to 2024 (CoreWeave)",
           "log", filed_growth(("coreweave_revenue",), ("2023-12", "2023-12"), ("2024-12", "2024-12")),
           model_growth("neocloud_revenue_usd", ("2023-01", "2023-12"), ("2024-01", "2024-12")),
           "2024-12"),
    Moment("debt_to_revenue_2023", "neocloud debt over annual revenue, 2023 (CoreWeave)", "x",
           ratio_of(("gpu_backed_financing", "2023-08"), ("coreweave_revenue", "2023-12")),
           model_debt_to_revenue("2023-12"), "2023-12"),
    Moment("top_customer_share_2024", "the largest neocloud's largest customer's share of its "
           "revenue, 2024 (CoreWeave's Microsoft)", "share",
           median_of(("coreweave_top_customer_share",), "2024-12", "2024-12"),
           model_mean("top_neocloud_top_customer_share", "2024-01", "2024-12"), "2024-12"),
)
# Moments whose data are one firm's filings or ratios, which pseudo-observations (whole-segment
# outputs) do not reproduce: left out of an identification test.
FIRM_LEVEL = ("debt_to_revenue_2023", "top_customer_share_2024")


def moment_table(runs: Sequence[pd.DataFrame], observed: pd.DataFrame,
                 moments: Sequence[Moment] = MOMENTS) -> pd.DataFrame:
    """One row per moment: the observed value and standard error, the simulated median and
    5-95% range over ``runs``, the standardised distance ``z``, and the last month of data
    the moment reads (``through``)."""
    rows = []
    for moment in moments:
        data = moment.data(observed)
        simulated = np.array([moment.model(df) for df in runs], dtype=float)
        simulated = simulated[np.isfinite(simulated)]
        median = float(np.median(simulated)) if len(simulated) else math.nan
        spread = float(np.var(simulated, ddof=1)) / len(simulated) if len(simulated) > 1 else 0.0
        sigma = math.sqrt(data.se ** 2 + spread)
        rows.append({"moment": moment.key, "description": moment.description, "unit": moment.unit,
                     "observed": data.value, "se": data.se, "se_basis": data.basis,
                     "simulated": median,
                     "low": float(np.quantile(simulated, 0.05)) if len(simulated) else math.nan,
                     "high": float(np.quantile(simulated, 0.95)) if len(simulated) else math.nan,
                     "z": (median - data.value) / sigma if sigma > 0 else math.nan,
                     "through": moment.through})
    return pd.DataFrame(rows)


def distance(table: pd.DataFrame) -> float:
    """The simulated-method-of-moments distance: the sum of squared ``z``."""
    return float((table["z"] ** 2).sum())


def pseudo_observations(runs: Sequence[pd.DataFrame], label: str = "simulated") -> pd.DataFrame:
    """The observations a run would have left, in the observation file's series and units:
    monthly H100 rents and lead times, Nvidia's revenue by fiscal quarter (ending in
    January, April, July, October), capex by calendar quarter, neocloud revenue by year and
    debt at the end of each year. Moments of these data measure what the same moments of
    the model measure (the ``FIRM_LEVEL`` moments aside), so an estimator can be tried on data whose
    parameters are known (an identification test)."""
    rows: list[dict] = []

    def add(series: str, dates: pd.Series, values: pd.Series, unit: str, note: str) -> None:
        rows.extend({"series": series, "date": d, "value": float(v), "unit": unit,
                     "source": f"{label} (https://example.org/simulated)", "note": note}
                    for d, v in zip(dates, values, strict=True))

    for number, run in enumerate(runs):
        note = f"run {number}"
        months = pd.PeriodIndex(run["date"], freq="M")
        add("h100_rental_price", run["date"], run["spot_price_h100"], "usd_per_gpu_hour", note)
        add("nvidia_lead_time", run["date"], run["nvidia_lead_time_months"], "months", note)
        for series, column, freq, unit in (
                ("nvidia_datacenter_revenue", "nvidia_revenue_usd", "Q-JAN", "usd_per_quarter"),
                ("hyperscaler_capex_microsoft", "hyperscaler_capex_usd", "Q-DEC", "usd_per_quarter"),
                ("coreweave_revenue", "neocloud_revenue_usd", "Y-DEC", "usd_per_year")):
            sums = run[column].groupby(months.asfreq(freq)).agg(["sum", "size"])
            full = sums[sums["size"] == (12 if freq.startswith("Y") else 3)]
            ends = full.index.asfreq("M", how="end").strftime("%Y-%m")
            add(series, pd.Series(ends), full["sum"], unit, note)
    return pd.DataFrame(rows)


def simulate_runs(params: Params | str = "baseline", seeds: int = 20) -> list[pd.DataFrame]:
    """The month tables of seeds 1..``seeds`` of a scenario (a name, a path or Params)."""
    params = load_scenario(params) if isinstance(params, str) else params
    return [NeocloudMarket(params, rng=seed).run().results() for seed in range(1, seeds + 1)]
