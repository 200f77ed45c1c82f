"""Design points (grid, Latin hypercube, Sobol', Morris) and the run table built from them.

Space-filling and sensitivity designs come from SALib, so the sample a sweep runs is exactly
the one SALib's estimators expect back in :mod:`neocloud_abm.experiments.analysis`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from neocloud_abm.core.errors import ParameterError
from neocloud_abm.experiments.seeds import design_seed, run_seed
from neocloud_abm.experiments.spec import ExperimentSpec, Range, Values
from neocloud_abm.parameters.params import check_shocks
from neocloud_abm.parameters.registry import PARAMETERS, check_constraints
from neocloud_abm.parameters.spec import coerce

# Sobol' designs estimate first and total order indices (N x (D + 2) points); second-order
# indices would double the cost and are rarely read for 4-8 parameters.
SOBOL_SECOND_ORDER = False
MORRIS_LEVELS = 4
KEYS = ("point", "replication", "seed")


def problem(bounds: Mapping[str, tuple[float, float]]) -> dict:
    """SALib's problem definition for named ``(low, high)`` bounds, in the given order."""
    return {"num_vars": len(bounds), "names": list(bounds), "bounds": [list(b) for b in bounds.values()]}


def sample_points(kind: str, parameters: Mapping[str, Values | Range], samples: int | None,
                  seed: int) -> pd.DataFrame:
    """One row per design point (index = point number), one column per parameter.

    Grid: every combination, first parameter varying slowest. LHS: ``samples`` points.
    Sobol': ``samples x (D + 2)`` points (Saltelli's scheme). Morris: ``samples`` trajectories
    of ``D + 1`` points on a 4-level grid.
    """
    names = list(parameters)
    if kind == "grid":
        rows = list(itertools.product(*parameters.values()))
        return pd.DataFrame(rows, columns=names) if names else pd.DataFrame(index=range(1))
    from SALib.sample import latin, morris, sobol  # SALib imports SciPy: ~1 s, only when needed

    spec = problem({name: (r.low, r.high) for name, r in parameters.items()})
    if kind == "lhs":
        matrix = latin.sample(spec, samples, seed=seed)
    elif kind == "sobol":
        matrix = sobol.sample(spec, samples, calc_second_order=SOBOL_SECOND_ORDER, seed=seed)
    elif kind == "morris":
        matrix = morris.sample(spec, samples, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        raise ValueError(f"unknown design kind {kind!r}")
    frame = pd.DataFrame(matrix, columns=names)
    for name, axis in parameters.items():
        if axis.integer:
            frame[name] = np.rint(frame[name]).astype(int)
    return frame


def check_points(spec: ExperimentSpec, points: pd.DataFrame) -> None:
    """Refuse a design any of whose points breaks a rule between parameters (the registry's
    constraints, shocks that could not act), naming the point and the rule, before any run:
    the samplers draw each parameter in its own range and know nothing of the rules."""
    base = spec.base.to_dict()
    for number, row in enumerate(points.to_dict("records")):
        values = {**base, **{name: coerce(name, PARAMETERS[name], v) for name, v in row.items()}}
        try:
            check_constraints(values)
            check_shocks(values, spec.base.shocks)
        except ParameterError as exc:
            shown = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v!r}"
                              for k, v in row.items())
            raise ParameterError(f"design point {number} ({shown}): {exc}; narrow the ranges so "
                                 "that every point obeys the rule") from None


def run_table(spec: ExperimentSpec) -> pd.DataFrame:
    """The design table: one row per run with ``point``, ``replication``, ``seed`` and the
    point's parameter values (dotted names as columns). Every point is checked against the
    rules between parameters first."""
    points = sample_points(spec.kind, spec.parameters, spec.samples, design_seed(spec.seed))
    check_points(spec, points)
    point = np.repeat(np.arange(len(points)), spec.replications)
    replication = np.tile(np.arange(spec.replications), len(points))
    keys = pd.DataFrame({
        "point": point, "replication": replication,
        "seed": [run_seed(spec.seed, int(p), int(r)) for p, r in zip(point, replication, strict=True)],
    })
    return pd.concat([keys, points.iloc[point].reset_index(drop=True)], axis=1)
