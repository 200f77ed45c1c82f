"""Run summary statistics (docs/model.md#713-summary-statistics): peak and trough, cycles,
defaults, losses, gluts, return statistics, as plain numbers and strings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from neocloud_abm.core.arithmetic import dot
from neocloud_abm.core.errors import ParameterError


def summarize(df: pd.DataFrame) -> dict[str, float | int | str]:
    """Run statistics (docs/model.md, observation) as plain numbers and strings."""
    if not isinstance(df, pd.DataFrame) or len(df) == 0:
        raise ParameterError("summarize needs a run's results with at least one month "
                             "(model.results() or simulate(...))")
    missing = [c for c in SUMMARY_INPUTS if c not in df.columns]
    if missing:
        raise ParameterError(f"summarize needs the columns {', '.join(missing)}; is this a "
                             "model.results() table?")
    price = df["spot_price_h100e"].to_numpy(float)
    dates = df["date"].astype(str).tolist()
    peak = int(np.argmax(price))
    trough = peak + int(np.argmin(price[peak:]))
    peaks = turning_points(price_cycle(price))
    defaults = int(df["neocloud_defaults_cum"].iloc[-1])
    ever = int(df["neoclouds_active"].iloc[0] + df["neocloud_entries"].iloc[1:].sum()
               + df["neocloud_defaults"].iloc[0])
    returns = np.diff(np.log(price))
    demand = df["demand_h100e_hours"].to_numpy(float)
    glut = df["available_h100e_hours"].to_numpy(float) / np.maximum(demand, 1e-9)
    first = df.index[df["neocloud_defaults_cum"] > 0]
    stats: dict[str, float | int | str] = {
        "peak_price": float(price[peak]),
        "peak_date": dates[peak],
        "trough_price": float(price[trough]),
        "trough_date": dates[trough],
        "peak_to_trough": float(1.0 - price[trough] / price[peak]),
        "months_peak_to_trough": trough - peak,
        "decline_24m": float(1.0 - price[peak: peak + 25].min() / price[peak]),
        "cycles": len(peaks),
        "cycle_period_months": float(np.mean(np.diff(peaks))) if len(peaks) > 1 else math.nan,
        "defaults": defaults,
        "default_rate": defaults / max(ever, 1),
        "first_default_date": dates[first[0]] if len(first) else "",
        "max_glut": float(np.max(glut)),
        "return_kurtosis": excess_kurtosis(returns),
        "abs_return_acf1": autocorrelation(np.abs(returns)),
        "max_revenue_gap_usd": float(df["revenue_gap_usd"].max()),
        "max_installed_h100e": float(df["installed_h100e"].max()),
    }
    if "lender_losses_cum_usd" in df:
        lent = float(df["new_lending_usd"].sum())
        stats["lender_loss_rate"] = float(df["lender_losses_cum_usd"].iloc[-1]) / lent if lent > 0 else 0.0
        stats["max_aggregate_ltv"] = float(df["aggregate_ltv"].max())
        stats["max_debt_usd"] = float(df["debt_outstanding_usd"].max())
    if "loans_sold_usd" in df:
        stats["lender_failures"] = int(df["lender_failures"].sum())
        stats["loans_sold_usd"] = float(df["loans_sold_usd"].sum())
        stats["fund_redemptions_usd"] = float(df["fund_redemptions_usd"].sum())
        stats["max_provisions_usd"] = float(df["provisions_usd"].max())
        events = df["neocloud_defaults"].to_numpy(float) + df["lender_failures"].to_numpy(float)
        stats["max_cascade_size"] = max_cascade(events)
    if "warehouse_called_usd" in df:
        stats["warehouse_called_usd"] = float(df["warehouse_called_usd"].sum())
    if "warehouse_deficiency_usd" in df:
        stats["max_warehouse_deficiency_usd"] = float(df["warehouse_deficiency_usd"].max())
    if "nvidia_exposure_usd" in df:
        stats["max_nvidia_exposure_usd"] = float(df["nvidia_exposure_usd"].max())
        stats["nvidia_backstop_called_usd"] = float(df["nvidia_backstop_usd"].sum())
    if "neocloud_equity_index" in df:
        index = df["neocloud_equity_index"].to_numpy(float)
        peak = np.maximum.accumulate(index)
        stats["equity_max_drawdown"] = float(np.max(1.0 - index / np.where(peak > 0, peak, 1.0)))
    if "hedge_fund_forced_sales_usd" in df:
        stats["hedge_fund_margin_calls"] = int(df["hedge_fund_margin_calls"].sum())
        stats["hedge_fund_forced_sales_usd"] = float(df["hedge_fund_forced_sales_usd"].sum())
    return stats


# The numeric statistics summarize() reports (the others are dates), e.g. for outcomes of
# EMA experiments or sweep plots.
NUMERIC_STATISTICS = ("peak_price", "trough_price", "peak_to_trough", "months_peak_to_trough",
                      "decline_24m", "cycles", "cycle_period_months", "defaults", "default_rate",
                      "max_glut", "return_kurtosis", "abs_return_acf1", "max_revenue_gap_usd",
                      "max_installed_h100e", "lender_loss_rate", "max_aggregate_ltv",
                      "max_debt_usd", "lender_failures", "loans_sold_usd", "fund_redemptions_usd",
                      "max_provisions_usd", "max_cascade_size", "max_nvidia_exposure_usd",
                      "nvidia_backstop_called_usd", "warehouse_called_usd",
                      "max_warehouse_deficiency_usd",
                      "equity_max_drawdown", "hedge_fund_margin_calls",
                      "hedge_fund_forced_sales_usd")
SUMMARY_INPUTS = ("date", "spot_price_h100e", "neocloud_defaults_cum", "neoclouds_active",
                  "neocloud_entries", "neocloud_defaults", "demand_h100e_hours",
                  "available_h100e_hours", "revenue_gap_usd", "installed_h100e")


CASCADE_GAP_MONTHS = 3  # a quarter: the reporting cycle of covenants, marks and redemptions


def max_cascade(events: np.ndarray, gap: int = CASCADE_GAP_MONTHS) -> int:
    """The most failures (neocloud defaults and lender failures) in one cascade: a chain of
    months with failures that starts with an initial one and goes on while each next
    failure comes within ``gap`` months of the last (0 in a run without failures)."""
    months = np.flatnonzero(np.asarray(events) > 0)
    if len(months) == 0:
        return 0
    breaks = np.flatnonzero(np.diff(months) > gap) + 1
    counts = np.asarray(events)[months]
    return int(max(chain.sum() for chain in np.split(counts, breaks)))


HP_LAMBDA = 129_600.0   # Ravn & Uhlig (2002): 1,600 x 4^4 for monthly data
CYCLE_AMPLITUDE = 0.3    # log points a detrended price must fall (or rise) to turn


def hp_trend(y: np.ndarray, smoothing: float = HP_LAMBDA) -> np.ndarray:
    """Hodrick-Prescott trend of ``y``: the series minimising squared deviations plus
    ``smoothing`` times its squared second differences, i.e. the solution of
    (I + smoothing D'D) trend = y with D the second-difference matrix. That matrix is
    symmetric, positive definite and pentadiagonal, so it is solved by its LDL' factors in
    plain arithmetic: no LAPACK, whose kernel (chosen per CPU model) would change the last
    bits of the summary from one machine to the next."""
    n = len(y)
    if n < 3:
        return np.asarray(y, float).copy()
    # D'D's three diagonals: each row of D adds (1, -2, 1)'(1, -2, 1) at columns i..i+2
    main, first, second = np.zeros(n), np.zeros(n - 1), np.zeros(n - 2)
    main[:-2] += 1.0
    main[1:-1] += 4.0
    main[2:] += 1.0
    first[:-1] -= 2.0
    first[1:] -= 2.0
    second += 1.0
    return np.array(_solve_pentadiagonal((1.0 + smoothing * main).tolist(),
                                         (smoothing * first).tolist(),
                                         (smoothing * second).tolist(),
                                         np.asarray(y, float).tolist()))


def _solve_pentadiagonal(main: list[float], first: list[float], second: list[float],
                         y: list[float]) -> list[float]:
    """Solve A x = y for a symmetric positive definite A given by its main diagonal and
    first and second superdiagonals, through A = L D L' (L unit lower triangular with two
    subdiagonals). Row i of the factors sits at index i + 2, and the lists are padded with
    zeros at both ends, so the first and last rows need no special case."""
    n = len(y)
    below1, below2 = [0.0] * 3 + first, [0.0] * 4 + second  # A[i, i-1], A[i, i-2]
    d = [1.0, 1.0] + [0.0] * n
    l1, l2 = [0.0] * (n + 4), [0.0] * (n + 4)  # L[i, i-1], L[i, i-2]
    z = [0.0] * (n + 2)  # L z = y
    for k in range(2, n + 2):
        l2[k] = below2[k] / d[k - 2]
        l1[k] = (below1[k] - l2[k] * l1[k - 1] * d[k - 2]) / d[k - 1]
        d[k] = main[k - 2] - l1[k] * l1[k] * d[k - 1] - l2[k] * l2[k] * d[k - 2]
        z[k] = y[k - 2] - l1[k] * z[k - 1] - l2[k] * z[k - 2]
    x = [0.0] * (n + 2)  # D L' x = z
    for i in reversed(range(n)):
        x[i] = z[i + 2] / d[i + 2] - l1[i + 3] * x[i + 1] - l2[i + 4] * x[i + 2]
    return x[:n]


def price_cycle(price: np.ndarray) -> np.ndarray:
    """The cyclical part of the log spot price: its deviation from the HP trend, so that the
    steady fall of compute prices from one chip generation to the next is not a cycle."""
    log_price = np.log(price)
    return log_price - hp_trend(log_price)


def turning_points(series: np.ndarray, amplitude: float = CYCLE_AMPLITUDE) -> list[int]:
    """Indices of boom peaks of a (log or detrended log) series: a peak counts when the
    series then falls by ``amplitude`` before exceeding it again (a complete boom and bust);
    the standard amplitude filter for dating cycles."""
    peaks, candidate, rising = [], 0, True
    for i in range(1, len(series)):
        if rising:
            if series[i] > series[candidate]:
                candidate = i
            elif series[candidate] - series[i] >= amplitude:
                peaks.append(candidate)
                candidate, rising = i, False
        elif series[i] < series[candidate]:
            candidate = i
        elif series[i] - series[candidate] >= amplitude:
            candidate, rising = i, True
    return peaks


def excess_kurtosis(x: np.ndarray) -> float:
    x = x - x.mean() if len(x) else x
    variance = float(np.mean(x**2)) if len(x) else 0.0
    return float(np.mean(x**4) / variance**2 - 3.0) if variance > 0 else math.nan


def autocorrelation(x: np.ndarray) -> float:
    if len(x) < 3 or np.std(x[1:]) == 0 or np.std(x[:-1]) == 0:
        return math.nan
    lagged, leading = x[:-1] - np.mean(x[:-1]), x[1:] - np.mean(x[1:])
    return dot(lagged, leading) / math.sqrt(dot(lagged, lagged) * dot(leading, leading))


