"""Experiments: replications, parameter sweeps and sensitivity analysis
(docs/model.md#64-experiments-and-seeds).

Load a spec, run it on any :class:`concurrent.futures.Executor` into ``results/<name>/``,
then analyse the results folder with pandas (or DuckDB, through :func:`timeseries_dataset`;
``compact`` makes a big sweep's series read fast)::

    from neocloud_abm.experiments import aggregate, load_spec, load_summary, process_pool, run_sweep

    if __name__ == "__main__":  # worker processes re-import the main script
        with process_pool(4) as pool:
            report = run_sweep(load_spec("experiments/baseline_mc.toml"), "results", pool)
        bands = aggregate(load_summary(report.folder))
"""

from neocloud_abm.experiments.analysis import (
    aggregate,
    load_bounds,
    load_summary,
    load_timeseries,
    morris_indices,
    noise_shares,
    sobol_indices,
    timeseries_dataset,
)
from neocloud_abm.experiments.compaction import compact
from neocloud_abm.experiments.design import run_table, sample_points
from neocloud_abm.experiments.runner import (
    SerialExecutor,
    Sweep,
    SweepAborted,
    SweepReport,
    process_pool,
    run_sweep,
)
from neocloud_abm.experiments.seeds import run_seed
from neocloud_abm.experiments.spec import ExperimentSpec, Range, load_spec, parse_spec
from neocloud_abm.experiments.store import FolderInUse

__all__ = [
    "ExperimentSpec",
    "FolderInUse",
    "Range",
    "SerialExecutor",
    "Sweep",
    "SweepAborted",
    "SweepReport",
    "aggregate",
    "compact",
    "load_bounds",
    "load_spec",
    "load_summary",
    "load_timeseries",
    "morris_indices",
    "noise_shares",
    "parse_spec",
    "process_pool",
    "run_seed",
    "run_sweep",
    "run_table",
    "sample_points",
    "sobol_indices",
    "timeseries_dataset",
]
