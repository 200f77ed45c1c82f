"""The 2022 industry the model starts from: the initial fleet shared among firms of
lognormal size (docs/model.md, initialization step 7)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run
from conftest import window_statistic as window

from neocloud_abm import NeocloudMarket, load_scenario

SEEDS = range(1, 31)


def initial_fleets(dispersion: float, seed: int) -> np.ndarray:
    """Each initial firm's GPUs, largest first, before the first month."""
    params = load_scenario("baseline").with_overrides(
        {"neoclouds.initial_size_dispersion": dispersion})
    model = NeocloudMarket(params, rng=seed)
    return np.array([sum(cloud.gpus().values()) for cloud in model.neoclouds()])


def largest_share(dispersion: float, seed: int) -> float:
    """The largest initial firm's share of the 2022 fleet."""
    fleets = initial_fleets(dispersion, seed)
    return float(fleets[0] / fleets.sum())


def test_the_initial_fleet_is_shared_out_whole_largest_firm_first():
    params = load_scenario("baseline")
    fleets = initial_fleets(1.0, seed=1)
    assert len(fleets) == params.neoclouds.initial_count
    assert fleets.sum() == pytest.approx(params.neoclouds.initial_fleet_gpus, rel=1e-12)
    assert np.all(np.diff(fleets) <= 0)


def test_no_dispersion_gives_equal_firms():
    fleets = initial_fleets(0.0, seed=1)
    assert np.allclose(fleets, fleets[0], rtol=1e-12)


def test_the_largest_firms_share_rises_with_dispersion_as_the_registry_states():
    """The same draws, spread wider, give the largest firm more of the fleet in every seed;
    at the default the median share over 30 seeds lies in the registry's stated 10-90% range
    (18-43%, median 27%), and within 0.20-0.35."""
    share = {d: np.array([largest_share(d, s) for s in SEEDS]) for d in (0.5, 1.0, 2.0)}
    assert np.all(share[0.5] < share[1.0]) and np.all(share[1.0] < share[2.0])
    assert 0.20 <= np.median(share[1.0]) <= 0.35


@pytest.mark.slow
def test_unequal_initial_firms_do_not_close_the_s6_miss():
    """The README's reading of the S6 miss: the most-financed firm's financing arranged over
    its annualised revenue in August 2023 stays below 5x in the median however unequal the
    2022 firms (measured over seeds 1-10, 24 months: medians 2.1x at dispersion 0.5 and
    2.8-2.9x at 2.5 under Pythons 3.11 and 3.12, while the largest firm's share of the 2022
    fleet goes from a median 17% to 53%), because that firm starts with a rental business of
    hundreds of millions."""
    s6 = window("top_neocloud_financing_to_revenue", "2023-08", "2023-08")
    largest = {d: np.median([largest_share(d, seed) for seed in range(1, 11)]) for d in (0.5, 2.5)}
    assert largest[0.5] < 0.25 and largest[2.5] > 0.45, largest
    for dispersion in (0.5, 2.5):
        ratios = np.array([s6(run("baseline", seed, 24, neoclouds__initial_size_dispersion=dispersion))
                           for seed in range(1, 11)])
        assert 1.5 <= np.median(ratios) < 5.0, (dispersion, np.round(ratios, 2))
