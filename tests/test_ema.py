"""The EMA Workbench adapter: the model as an EMA model whose uncertainties are the
registry's plausible ranges; ten experiments run, stay in range and reproduce simulate()."""

from __future__ import annotations

import numpy as np
import pytest

from neocloud_abm import NeocloudError, load_scenario, simulate, summarize
from neocloud_abm.outputs.summary import NUMERIC_STATISTICS
from neocloud_abm.parameters.registry import plausible_range

ema = pytest.importorskip("ema_workbench", reason="the EMA adapter needs the 'ema' extra")

from neocloud_abm.interface.ema import ema_model, ema_name  # noqa: E402

PARAMETERS = ("neoclouds.competition_neglect", "lenders.max_ltv", "nvidia.deployment_lag_months")
OUTCOMES = ("decline_24m", "default_rate", "max_debt_usd")


def test_ten_experiments_over_the_plausible_ranges(tmp_path):
    model = ema_model(PARAMETERS, scenario=str(_short_scenario(tmp_path)), outcomes=OUTCOMES, seed=7)
    with ema.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=10)
    assert len(experiments) == 10 and set(OUTCOMES) <= set(outcomes)
    for name in PARAMETERS:
        low, high = plausible_range(name)
        assert experiments[ema_name(name)].between(low, high).all()
    assert (experiments["nvidia__deployment_lag_months"] % 1 == 0).all()
    assert all(np.isfinite(outcomes[o]).all() for o in OUTCOMES)
    first = experiments.iloc[0]
    values = {name: first[ema_name(name)] for name in PARAMETERS}
    values["nvidia.deployment_lag_months"] = int(values["nvidia.deployment_lag_months"])
    again = summarize(simulate(load_scenario(_short_scenario(tmp_path)).with_overrides(values), seed=7))
    assert outcomes["max_debt_usd"][0] == pytest.approx(again["max_debt_usd"])


def test_statistic_names_are_the_ones_summarize_reports():
    stats = summarize(simulate(seed=1, months=24))
    numeric = {k for k, v in stats.items() if isinstance(v, int | float)}
    assert numeric == set(NUMERIC_STATISTICS)


def test_bad_choices_are_one_line_errors():
    with pytest.raises(NeocloudError, match="unknown outcome"):
        ema_model(PARAMETERS, outcomes=("peak_priсe",))
    with pytest.raises(NeocloudError, match="is a str parameter"):
        ema_model(["lenders.leverage_policy"])
    with pytest.raises(NeocloudError, match="did you mean"):
        ema_model(["lenders.max_lvt"])


def _short_scenario(tmp_path):
    path = tmp_path / "short.toml"
    path.write_text('extends = "baseline"\n[parameters.market]\nmonths = 36\n')
    return path
