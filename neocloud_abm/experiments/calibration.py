"""Calibration by simulated moments and approximate Bayesian computation
(docs/model.md#68-calibration).

An experiment spec whose design samples parameter ranges (Latin hypercube or Sobol') is the
prior: uniform over each range. The sweep runs it like any other (in parallel, on Dask,
resumable); each design point's replications give the simulated moments of
:mod:`neocloud_abm.outputs.moments` and their distance ``J`` to the observed ones. The
points with the smallest distances, a fraction ``accept`` of them, are a sample of the
approximate posterior (ABC rejection, Pritchard et al. 1999; Beaumont, Zhang and Balding
2002): their medians are the estimates, their 5-95% ranges the uncertainty. The folder gets
``calibration.parquet`` (every point: parameters, distance, moments, accepted),
``posterior.csv`` and ``calibrated.toml``, a scenario that extends the spec's scenario with
the estimates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.experiments.analysis import load_bounds, timeseries_dataset
from neocloud_abm.experiments.runner import run_sweep
from neocloud_abm.experiments.spec import ExperimentSpec, parse_spec
from neocloud_abm.experiments.store import DESIGN_FILE, SPEC_FILE, atomic_write, require
from neocloud_abm.outputs.moments import (
    FIRM_LEVEL,
    MOMENT_COLUMNS,
    MOMENTS,
    Moment,
    distance,
    moment_table,
    pseudo_observations,
    simulate_runs,
)
from neocloud_abm.parameters.registry import PARAMETERS
from neocloud_abm.parameters.scenarios import load_scenario

CALIBRATION_FILE, POSTERIOR_FILE = "calibration.parquet", "posterior.csv"
SCENARIO_FILE = "calibrated.toml"


@dataclass(frozen=True)
class Calibration:
    points: pd.DataFrame      # one row per design point: parameters, distance, moments, accepted
    posterior: pd.DataFrame   # one row per parameter: prior range, estimate, 5-95% range, best
    best_fit: pd.DataFrame    # the moment table of the point with the smallest distance


def check_calibration_spec(spec: ExperimentSpec) -> None:
    """A spec can be calibrated if it samples ranges and keeps the columns the moments read."""
    if spec.kind not in ("lhs", "sobol"):
        raise NeocloudError(f"calibration needs a design that samples ranges (kind = \"lhs\" or "
                            f"\"sobol\"), not {spec.kind!r}: the ranges are the prior")
    missing = sorted(set(MOMENT_COLUMNS) - set(spec.outputs)) if spec.outputs is not None else []
    if missing:
        raise NeocloudError(f"the spec's outputs leave out what the moments read: add "
                            f"{', '.join(missing)} (or drop 'outputs' to keep every column)")


def calibrate_folder(folder: str | Path, observed: pd.DataFrame, accept: float = 0.1,
                     moments: Sequence[Moment] = MOMENTS, until: str | None = None) -> Calibration:
    """Distances of every design point of a finished sweep over ``moments``, the accepted
    points' posterior, and the files that record them (written atomically into ``folder``).
    With ``until`` (a month), only the moments whose data end by then are fitted; the others
    are out of sample, reported in the nearest point's fit (column ``sample``)."""
    if not 0.0 < accept <= 1.0:
        raise NeocloudError(f"accept = {accept}: the fraction of points kept must be in (0, 1]")
    folder = Path(folder)
    fitted = [m.key for m in moments if until is None or m.through <= until]
    if not fitted:
        raise NeocloudError(f"no moment's data end by {until}: nothing to estimate on")
    design = pd.read_parquet(require(folder / DESIGN_FILE))
    bounds = load_bounds(folder)
    parameters = list(bounds)
    series = (timeseries_dataset(folder)
              .to_table(columns=["point", "replication", "date", *MOMENT_COLUMNS]).to_pandas())
    rows, tables = [], {}
    for point, runs in series.groupby("point", sort=True):
        table = moment_table([run for _, run in runs.groupby("replication", sort=True)], observed,
                             moments)
        tables[point] = table
        rows.append({"point": point, "distance": distance(table[table["moment"].isin(fitted)]),
                     "replications": runs["replication"].nunique(),
                     **dict(zip(table["moment"], table["simulated"], strict=True))})
    if not rows:
        raise NeocloudError(f"{folder} holds no successful runs to calibrate on")
    points = (design.drop_duplicates("point").set_index("point")[parameters]
              .join(pd.DataFrame(rows).set_index("point"), how="inner").reset_index())
    points = points.sort_values("distance", kind="stable", ignore_index=True)
    kept = max(1, math.ceil(accept * len(points)))
    points["accepted"] = np.arange(len(points)) < kept
    posterior = _posterior(points, bounds)
    best_fit = tables[int(points["point"].iloc[0])]
    best_fit = best_fit.assign(sample=np.where(best_fit["moment"].isin(fitted), "in", "out"))
    atomic_write(folder / CALIBRATION_FILE, lambda h: points.to_parquet(h, index=False))
    atomic_write(folder / POSTERIOR_FILE, lambda h: h.write(posterior.to_csv(index=False).encode()))
    text = scenario_text(posterior, _scenario_of(folder), int(points["accepted"].sum()),
                         len(points), float(points["distance"].iloc[0]))
    atomic_write(folder / SCENARIO_FILE, lambda h: h.write(text.encode()))
    return Calibration(points, posterior, best_fit)


def _posterior(points: pd.DataFrame, bounds: dict[str, tuple[float, float]]) -> pd.DataFrame:
    accepted = points[points["accepted"]]
    rows = []
    for name, (low, high) in bounds.items():
        values = accepted[name].to_numpy(float)
        rows.append({"parameter": name, "prior_low": low, "prior_high": high,
                     "estimate": float(np.median(values)),
                     "low": float(np.quantile(values, 0.05)),
                     "high": float(np.quantile(values, 0.95)),
                     "best": float(points[name].iloc[0]), "accepted": len(values)})
    return pd.DataFrame(rows)


def _scenario_of(folder: Path) -> str:
    return str(json.loads(require(folder / SPEC_FILE).read_text())["scenario"])


def scenario_text(posterior: pd.DataFrame, extends: str, accepted: int, points: int,
                  best_distance: float) -> str:
    """A scenario file that sets each calibrated parameter to its estimate (integers
    rounded), extending the scenario the sweep ran."""
    groups: dict[str, list[str]] = {}
    for row in posterior.itertuples():
        group, leaf = row.parameter.split(".", 1)
        value = row.estimate
        shown = str(round(value)) if PARAMETERS[row.parameter].kind == "int" else f"{value:.6g}"
        groups.setdefault(group, []).append(
            f"{leaf} = {shown}   # 5-95%: {row.low:.4g} to {row.high:.4g}; prior {row.prior_low:g} "
            f"to {row.prior_high:g}")
    lines = ['name = "calibrated"',
             f'description = """Parameters estimated by simulated moments (ABC rejection: the '
             f"{accepted} of {points} design points nearest the observed moments; smallest "
             f'distance {best_distance:.3g}). Estimates are the accepted points\' medians."""',
             f'extends = "{extends}"']
    for group, entries in groups.items():
        lines += ["", f"[parameters.{group}]", *entries]
    return "\n".join(lines) + "\n"


IDENTIFICATION_PRIOR = MappingProxyType({"environment.hyperscaler_capacity_growth": (0.2, 1.2),
                                         "nvidia.capacity_response": (0.2, 3.0),
                                         "startups.valuation_sentiment": (0.15, 0.6),
                                         "neoclouds.competition_neglect": (0.2, 0.9)})
IDENTIFICATION_TRUTH = MappingProxyType({"environment.hyperscaler_capacity_growth": 0.7,
                                         "nvidia.capacity_response": 1.5,
                                         "startups.valuation_sentiment": 0.35,
                                         "neoclouds.competition_neglect": 0.5})
IDENTIFICATION_MONTHS = 54   # through 2026-06, the last month a moment reads


def identification(out: str | Path, executor: Executor, points: int = 80, replications: int = 2,
                   accept: float = 0.2, seed: int = 11,
                   prior: Mapping[str, tuple[float, float]] = IDENTIFICATION_PRIOR,
                   truth: Mapping[str, float] = IDENTIFICATION_TRUTH) -> pd.DataFrame:
    """Calibrate on data simulated at known parameters (two seeds the design does not use)
    over a Latin hypercube of the prior, on the moments whose data and model sides measure
    the same thing; one row per parameter: truth, estimate, 5-95% range, whether the range
    covers the truth and its width as a share of the prior's."""
    spec = parse_spec({"name": "identification", "scenario": "baseline",
                       "months": IDENTIFICATION_MONTHS, "replications": replications, "seed": seed,
                       "design": {"kind": "lhs", "samples": points, "parameters": {
                           name: {"low": low, "high": high} for name, (low, high) in prior.items()}}})
    known = load_scenario("baseline").with_overrides(
        {"market.months": IDENTIFICATION_MONTHS, **truth})
    observed = pseudo_observations(simulate_runs(known, 2))
    moments = [m for m in MOMENTS if m.key not in FIRM_LEVEL]   # their data sides differ
    report = run_sweep(spec, out, executor, max_in_flight=4)
    posterior = calibrate_folder(report.folder, observed, accept, moments).posterior
    posterior["truth"] = posterior["parameter"].map(truth)
    posterior["covered"] = posterior["truth"].between(posterior["low"], posterior["high"])
    posterior["width_share"] = ((posterior["high"] - posterior["low"])
                                / (posterior["prior_high"] - posterior["prior_low"]))
    return posterior
