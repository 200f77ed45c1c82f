"""Shared runs: simulations are cached per session so several tests can read one run."""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

from neocloud_abm import load_scenario, simulate

SEEDS = (1, 2, 3, 4)


@cache
def run(scenario: str = "baseline", seed: int = 1, months: int | None = None,
        **overrides: object) -> pd.DataFrame:
    """One simulation, memoised on its arguments (dotted names passed with '__' for '.')."""
    params = load_scenario(scenario).with_overrides(
        {k.replace("__", "."): v for k, v in overrides.items()})
    return simulate(params, seed=seed, months=months)


@pytest.fixture(scope="session")
def baseline_runs() -> list[pd.DataFrame]:
    return [run("baseline", seed) for seed in SEEDS]
