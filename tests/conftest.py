"""Shared runs for the test suite.

Each distinct simulation (scenario, seed, months, overrides) runs once per test session,
with every invariant of the model checked after every month, and is then shared by all the
tests that read it. Under pytest-xdist the workers share them through a session folder, so
ten-seed comparisons cost each run once whichever worker asks first.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.outputs.invariants import violations

# Economics tests compare outcomes over these seeds (paired: both arms use the same seeds).
SEEDS = tuple(range(1, 11))


SHARED_RUNS = "NEOCLOUD_ABM_TEST_RUNS"  # environment variable naming the session's folder
_OWNED_FOLDER = pytest.StashKey[str]()


def _shared_folder() -> Path | None:
    """The session's folder of finished runs, shared by xdist workers; None without xdist."""
    folder = os.environ.get(SHARED_RUNS)
    return Path(folder) if folder else None


def checked_run(scenario: str, seed: int, months: int, overrides: dict) -> pd.DataFrame:
    """Simulate with the invariants checked after every month; a violation fails the test
    that asked for the run, naming the month."""
    params = load_scenario(scenario).with_overrides({**overrides, "market.months": months})
    model = NeocloudMarket(params, rng=seed)
    for _ in range(params.market.months):
        model.step()
        found = violations(model)
        assert not found, f"{scenario} seed {seed} {overrides}, month {model.month}: {found[:3]}"
    return model.results()


def run(scenario: str = "baseline", seed: int = 1, months: int | None = None,
        **overrides: object) -> pd.DataFrame:
    """One simulation, memoised on its arguments (dotted names passed with '__' for '.');
    ``months`` defaults to the scenario's horizon."""
    dotted = tuple(sorted((k.replace("__", "."), v) for k, v in overrides.items()))
    if months is None:
        months = load_scenario(scenario).market.months
    return _memoised_run(scenario, seed, months, dotted)


@cache
def _memoised_run(scenario: str, seed: int, months: int, overrides: tuple) -> pd.DataFrame:
    folder = _shared_folder()
    if folder is None:
        return checked_run(scenario, seed, months, dict(overrides))
    key = json.dumps([scenario, seed, months, overrides], default=str)
    path = folder / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    df = checked_run(scenario, seed, months, dict(overrides))
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return df


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-reference", action="store_true",
                     help="write this environment's reference series (tests/test_reference.py)")


def pytest_configure(config: pytest.Config) -> None:
    """The controller of a distributed session names the shared folder before it starts its
    workers (they inherit the environment); it is the one process that outlives them all, so
    it owns the folder and removes it at the end."""
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        folder = tempfile.mkdtemp(prefix="neocloud-abm-test-runs-")
        config.stash[_OWNED_FOLDER] = os.environ[SHARED_RUNS] = folder


def pytest_sessionfinish(session: pytest.Session) -> None:
    folder = session.config.stash.get(_OWNED_FOLDER, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(SHARED_RUNS, None)


Arm = tuple[str, dict]  # (scenario, overrides with dotted names)


def paired(statistic, first: Arm, second: Arm, months: int | None = None,
           seeds: tuple[int, ...] = SEEDS) -> np.ndarray:
    """``statistic(second arm's run) - statistic(first arm's run)`` seed by seed: a paired
    design on common seeds, so each difference holds the seed's own shocks fixed."""
    def values(arm: Arm) -> np.ndarray:
        scenario, overrides = arm
        keyed = {k.replace(".", "__"): v for k, v in overrides.items()}
        return np.array([statistic(run(scenario, seed, months, **keyed)) for seed in seeds], float)
    return values(second) - values(first)


def window_statistic(column: str, first: str, last: str, how: str = "mean"):
    """A statistic for :func:`paired`: ``how`` (mean, sum, max...) of ``column`` over the
    months ``first``..``last`` (YYYY-MM, inclusive)."""
    def statistic(df: pd.DataFrame) -> float:
        return float(getattr(df.loc[df["date"].between(first, last), column], how)())
    return statistic


def assert_increase(differences: np.ndarray, margin: float, what: str) -> None:
    """The paired differences are positive beyond ``margin`` in the median, and a one-sided
    Wilcoxon signed-rank test rejects 'no increase' at 5%: a statement about the
    distribution over seeds that holds on any machine, not about one seed."""
    median = float(np.median(differences))
    p_value = _increase_p_value(differences)
    assert median > margin and p_value < 0.05, (
        f"{what}: median paired difference {median:.4g} (margin {margin:.4g}), Wilcoxon p = "
        f"{p_value:.3g}; differences {np.round(differences, 4).tolist()}")


def assert_more_often(differences: np.ndarray, ratio: float, what: str,
                      alpha: float = 0.01) -> None:
    """Paired counts that rise by one or two against a noise of several (defaults): the seeds
    where the count rises outnumber those where it falls at least ``ratio`` to one, and a
    one-sided Wilcoxon signed-rank test rejects 'no increase' at ``alpha``. Their median
    sits on an integer, 0 or 1 by the turn of a few seeds, so it is no statement that holds
    in every environment (docs/model.md, section 6.4)."""
    more, fewer = int((differences > 0).sum()), int((differences < 0).sum())
    p_value = _increase_p_value(differences)
    assert more >= ratio * fewer and p_value < alpha, (
        f"{what}: higher in {more} seeds, lower in {fewer} (ratio at least {ratio}), Wilcoxon "
        f"p = {p_value:.3g} (below {alpha}); differences {np.round(differences, 4).tolist()}")


def _increase_p_value(differences: np.ndarray) -> float:
    """One-sided Wilcoxon signed-rank p-value against 'no increase' (ties at zero split)."""
    return float(stats.wilcoxon(differences, alternative="greater", zero_method="zsplit").pvalue)


def concentrate(model: NeocloudMarket, leverage: float = 2.0):
    """A momentum fund's book replaced by one long at ``leverage`` x its capital in the
    largest tradable firm; returns the fund and that firm's listing."""
    from neocloud_abm.agents.hedge_fund import funds
    market = model.equity
    fund = next(f for f in funds(model) if f.strategy == "momentum")
    for uid, shares in list(fund.positions.items()):
        market.trade(fund, uid, -shares)
    listing = max(market.tradable(), key=lambda lst: lst.shares * lst.price)
    market.trade(fund, listing.firm.unique_id, leverage * fund.capital() / listing.price)
    return fund, listing


@pytest.fixture(scope="session")
def baseline_runs() -> list[pd.DataFrame]:
    return [run("baseline", seed) for seed in SEEDS]
