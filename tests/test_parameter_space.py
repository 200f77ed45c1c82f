"""The parameter space that sweeps, calibration and the dashboard use: every numeric
parameter's plausible range, with a source; and a Latin hypercube over all of them runs
clean, because the model is bounded by construction (prices capped by the customers'
outside option, the startup population capped, a run that leaves the model's domain stops
with an error instead of writing NaN)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from conftest import checked_run
from scipy.stats import qmc

from neocloud_abm.core.chips import installed_price, run_schedule
from neocloud_abm.parameters.params import Params
from neocloud_abm.parameters.registry import CONSTRAINTS, PARAMETERS, plausible_range

SWEPT = [name for name, spec in PARAMETERS.items()
         if spec.kind in ("float", "int") and name != "market.months"]
POINTS = 50
MONTHS = 120


def test_every_numeric_parameter_has_a_sourced_plausible_range_inside_its_bounds():
    for name, spec in PARAMETERS.items():
        if spec.kind not in ("float", "int"):
            continue
        assert spec.plausible is not None and spec.plausible_source.strip(), name
        low, high = spec.plausible
        assert spec.low <= low < high <= spec.high, name
        assert low <= spec.default <= high, f"{name}: the default lies in its plausible range"


def test_plausible_ranges_obey_the_rules_between_parameters():
    """Linked parameters have ranges that cannot break their rule, so any sampler that stays
    inside the plausible ranges produces valid points (checked at the worst corners)."""
    corners = {name: plausible_range(name) for name in SWEPT}
    for constraint in CONSTRAINTS:
        numeric = [n for n in constraint.names if n in corners]
        for corner in np.ndindex(*(2,) * len(numeric)):
            values = Params().to_dict() | {n: corners[n][side] for n, side in zip(numeric, corner,
                                                                                  strict=True)}
            assert constraint.violation(values) is None, (constraint.rule, values)


@cache
def _design() -> tuple[dict, ...]:
    unit = qmc.LatinHypercube(d=len(SWEPT), seed=20261129).random(POINTS)
    points = []
    for row in unit:
        point = {}
        for name, u in zip(SWEPT, row, strict=True):
            low, high = plausible_range(name)
            value = low + u * (high - low)
            point[name] = round(value) if PARAMETERS[name].kind == "int" else float(value)
        points.append(point)
    return tuple(points)


def stated_ceiling(params: Params) -> float:
    """The highest price any month may show, $ per H100e-hour: the hyperscalers' list price
    scaled to the dearest generation per unit of compute, or an old generation's power cost
    if that is higher (prices never fall below it)."""
    gens = run_schedule(params)
    reference = next(g for g in gens if g.name == "h100")
    dearest = max(installed_price(g, 0.0, params) / g.perf for g in gens)
    power = max(g.power_kw * params.market.power_price_kwh / g.perf for g in gens)
    return max(params.environment.hyperscaler_list_price_h100e * dearest
               / installed_price(reference, 0.0, params), power)


@pytest.mark.parametrize("point", range(POINTS))
def test_latin_hypercube_point_over_the_plausible_ranges_runs_clean(point):
    overrides = dict(_design()[point])
    df = checked_run("baseline", point + 1, MONTHS, overrides)  # invariants every month
    assert len(df) == MONTHS
    assert np.isfinite(df.drop(columns="date").to_numpy(float)).all()
    ceiling = stated_ceiling(Params().with_overrides(overrides))
    assert df["spot_price_h100e"].max() <= ceiling * (1 + 1e-9)
    assert df["startups_active"].max() <= overrides["startups.max_count"]

