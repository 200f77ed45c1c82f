"""Reading a results folder into pandas (or through a pyarrow dataset, for DuckDB); replication
bands; Sobol' and Morris indices (SALib) and the share of a statistic's spread that is seed
noise.

Parameter columns are the dotted names (``nvidia.generation_interval_months``), which no
statistic or output column has, so helpers find them without being told.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.experiments.compaction import compacted, listed_runs, unified_schema
from neocloud_abm.experiments.design import MORRIS_LEVELS, SOBOL_SECOND_ORDER, problem
from neocloud_abm.experiments.store import (
    DESIGN_FILE,
    RUNS,
    SPEC_FILE,
    SUMMARY_FILE,
    require,
    run_name,
)

Bounds = dict[str, tuple[float, float]]
SERIES_KEYS = ("point", "replication", "date")


def load_summary(folder: str | Path) -> pd.DataFrame:
    """One row per finished run: key, parameters, ``summarize`` statistics, status, error."""
    return pd.read_parquet(require(Path(folder) / SUMMARY_FILE))


def timeseries_dataset(folder: str | Path) -> ds.Dataset:
    """The successful runs' time series (point, replication, date, outputs) as a pyarrow
    dataset, to query without loading it: ``dataset.to_table(columns=..., filter=...)``, or
    ``duckdb.sql("select ... from dataset")``, which reads only the columns and row groups the
    query needs. It is the compacted ``timeseries/`` while that is current, else the run files
    (warning if a stale ``timeseries/`` is there); either way a column a run lacks is null in
    its rows. Join ``design.parquet`` on (point, replication) for seeds and parameters."""
    return _dataset(Path(folder))


def _dataset(folder: Path, runs: pd.DataFrame | None = None) -> ds.Dataset:
    """:func:`timeseries_dataset`; with ``runs`` (rows of the design), only the files that
    may hold them, which may hold other runs too."""
    listed = listed_runs(folder)
    manifest = compacted(folder, listed)
    if manifest is not None:
        points = None if runs is None else set(runs["point"])
        return ds.dataset(manifest.paths(folder, points), format="parquet")
    if runs is not None:
        listed = listed.keys() & {f"{RUNS}/{run_name(point, replication)}.parquet"
                                  for point, replication in zip(runs["point"], runs["replication"],
                                                                strict=True)}
    paths = [folder / rel for rel in sorted(listed)]
    return ds.dataset(paths, format="parquet",
                      schema=unified_schema(pq.read_schema(path) for path in paths))


def load_timeseries(folder: str | Path, columns: Sequence[str] | None = None,
                    points: Collection[int] | None = None,
                    filter: ds.Expression | None = None) -> pd.DataFrame:
    """Successful runs' time series in long format (point, replication, date, variable,
    value), joined to the design table's seed and parameters, read through
    :func:`timeseries_dataset`: only the variables in ``columns``, the design points in
    ``points`` and the rows that match ``filter`` (a pyarrow expression on the time-series
    columns, e.g. ``pyarrow.dataset.field("date") >= "2025-01"``) are read. A variable a run
    lacks (a per-generation column), or has no value of, is absent for that run."""
    folder = Path(folder)
    design = pd.read_parquet(require(folder / DESIGN_FILE))
    dataset = _dataset(folder, None if points is None else design[design["point"].isin(points)])
    keys = list(SERIES_KEYS)
    variables = [name for name in dataset.schema.names
                 if name not in keys and (columns is None or name in columns)]
    if points is not None:
        selected = ds.field("point").isin(list(points))
        filter = selected if filter is None else selected & filter
    wide = (dataset.to_table(columns=[*keys, *variables], filter=filter) if variables
            else pa.table({}))
    if wide.num_rows == 0:
        return pd.DataFrame(columns=[*design.columns, "date", "variable", "value"])
    wide = wide.sort_by([("point", "ascending"), ("replication", "ascending")])
    long = wide.to_pandas().melt(id_vars=keys, var_name="variable", value_name="value")
    present = long["value"].notna().groupby([long["point"], long["replication"],
                                             long["variable"]]).transform("any")
    # Sorting by key, stably, puts each run's rows together: variable by variable, in date order.
    long = long[present].sort_values(["point", "replication"], kind="stable", ignore_index=True)
    return long.merge(design, on=["point", "replication"])


def load_bounds(folder: str | Path) -> Bounds:
    """Parameter ranges of an LHS, Sobol' or Morris sweep, from its resolved spec."""
    spec = json.loads(require(Path(folder) / SPEC_FILE).read_text())
    return {name: (axis["low"], axis["high"])
            for name, axis in spec["design"]["parameters"].items() if isinstance(axis, dict)}


def _label(q: float) -> str:
    return f"p{100 * q:02g}"


def aggregate(frame: pd.DataFrame, by: Sequence[str] | None = None,
              quantiles: Sequence[float] = (0.05, 0.95)) -> pd.DataFrame:
    """Median and percentile bands over replications of every numeric column.

    ``by`` defaults to the point (with its parameters) and, for long time series, the
    variable and date. Failed runs are left out of the bands and counted in ``failed``;
    ``runs`` counts the runs behind each band. Columns are ``<name>_median``, ``<name>_p05``...
    """
    if by is None:
        by = ["point", *[c for c in frame.columns if "." in c],
              *[c for c in ("variable", "date") if c in frame.columns]]
    by = list(by)
    ok = frame["status"].eq("ok") if "status" in frame else pd.Series(True, index=frame.index)
    values = [c for c in frame.select_dtypes("number").columns
              if c not in by and c not in ("replication", "seed", "attempts")]
    keys = [frame[c] for c in by]
    groups = frame[values].where(ok, axis=0).groupby(keys, sort=True)
    parts = [ok.groupby(keys).sum().rename("runs")]
    if "status" in frame:
        parts.append((~ok).groupby(keys).sum().rename("failed"))
    bands = {"median": groups.median(), **{_label(q): groups.quantile(q) for q in quantiles}}
    parts += [bands[band][value].rename(f"{value}_{band}") for value in values for band in bands]
    table = pd.concat(parts, axis=1)
    return table.reset_index()


def _successful_runs(summary: pd.DataFrame, statistic: str) -> pd.DataFrame:
    """The runs that finished, after checking ``statistic`` is a numeric summary column."""
    if statistic not in summary:
        raise NeocloudError(f"no statistic {statistic!r}; the summary has "
                            + ", ".join(c for c in summary.columns if "." not in c))
    if not pd.api.types.is_numeric_dtype(summary[statistic]):
        raise NeocloudError(f"{statistic} is not a numeric statistic")
    return summary[summary["status"] == "ok"] if "status" in summary else summary


def _point_means(summary: pd.DataFrame, statistic: str, points_per_block: int) -> np.ndarray:
    """The statistic averaged over each point's successful replications, in point order;
    refuses gaps, since the estimators rely on the sample's exact structure."""
    means = _successful_runs(summary, statistic).groupby("point")[statistic].mean()
    expected = int(summary["point"].max()) + 1
    means = means.reindex(range(expected))
    missing = means.index[means.isna()].tolist()
    if missing:
        raise NeocloudError(f"{statistic} is missing (failed, NaN or not run) at {len(missing)} "
                            f"points, e.g. {missing[:5]}; the indices need every point")
    if expected % points_per_block:
        raise NeocloudError(f"{expected} points is not a whole design (blocks of "
                            f"{points_per_block}); is the sweep complete?")
    return means.to_numpy(float)


def sobol_indices(summary: pd.DataFrame, statistic: str, bounds: Bounds,
                  seed: int = 0) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol' indices of ``statistic`` with bootstrap
    confidence half-widths, from a Sobol' design's summary (replications averaged)."""
    from SALib.analyze import sobol  # SALib imports SciPy: ~1 s, only when needed

    y = _point_means(summary, statistic, len(bounds) + 2)
    # SALib bootstraps from NumPy's global generator when handed a falsy seed such as 0;
    # a Generator is always used as given, so the confidence intervals are reproducible.
    result = sobol.analyze(problem(bounds), y, calc_second_order=SOBOL_SECOND_ORDER,
                           seed=np.random.default_rng(seed))
    names = ["S1", "S1_conf", "ST", "ST_conf"]
    return pd.DataFrame({n: result[n] for n in names}, index=pd.Index(list(bounds), name="parameter"))


def noise_shares(summary: pd.DataFrame, statistic: str) -> pd.Series:
    """How much of a statistic's spread over a sweep is seed noise rather than parameters,
    from the replications at each point: ``runs``, the mean variance within a point over the
    variance of all runs (the share a single run's value owes to its seed); ``means``, that
    within-point variance over the number of replications, as a share of the variance of
    the point means the indices are estimated from (the noise left in them). Needs two or
    more successful replications at every point."""
    runs = _successful_runs(summary, statistic)
    groups = runs.groupby("point")[statistic]
    replications = groups.count()
    if replications.empty or replications.min() < 2:
        raise NeocloudError(f"separating seed noise from parameter effects in {statistic} needs "
                            "at least two successful replications at every point (set "
                            "replications >= 2 in the spec)")
    within = float(groups.var(ddof=1).mean())
    total = float(runs[statistic].var(ddof=1))
    between = float(groups.mean().var(ddof=1))
    noise_in_means = within / float(replications.mean())
    return pd.Series({"runs": within / total if total > 0 else 0.0,
                      "means": noise_in_means / between if between > 0 else 0.0,
                      "replications": float(replications.mean())}, name=statistic)


def morris_indices(summary: pd.DataFrame, statistic: str, bounds: Bounds,
                   seed: int = 0) -> pd.DataFrame:
    """Morris elementary-effect screening of ``statistic``: mu, mu_star (mean absolute
    effect, scaled to each parameter's full range), sigma, and mu_star's confidence."""
    from SALib.analyze import morris

    y = _point_means(summary, statistic, len(bounds) + 1)
    x = summary.groupby("point")[list(bounds)].first().to_numpy(float)
    result = morris.analyze(problem(bounds), x, y, num_levels=MORRIS_LEVELS, seed=seed)
    names = ["mu", "mu_star", "sigma", "mu_star_conf"]
    return pd.DataFrame({n: np.asarray(result[n], float) for n in names},
                        index=pd.Index(list(bounds), name="parameter"))
