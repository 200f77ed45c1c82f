"""Nvidia's capacity as a decision: expansion ordered when the lead time runs above target,
on line a lag later, never undone (docs/model.md 7.5.1)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SEEDS, assert_increase, paired, run

from neocloud_abm import NeocloudMarket, load_scenario

FIXED = ("baseline", {"nvidia.capacity_response": 0.0})
BASELINE = ("baseline", {})


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_expansion_follows_a_long_lead_time_after_the_lag_and_is_never_undone(seed):
    df = run("baseline", seed)
    expansion = df["nvidia_capacity_expansion"].to_numpy()
    assert expansion[0] == 1.0 and (np.diff(expansion) >= 0).all()
    assert expansion.max() > 1.05                 # the 2023 shortage adds capacity
    lag = load_scenario("baseline").nvidia.capacity_lag_months
    long_lead = df["nvidia_lead_time_months"].to_numpy() > 6.0
    first_order, first_growth = np.argmax(long_lead), np.argmax(expansion > 1.0)
    assert long_lead.any() and first_growth >= first_order + lag


def test_without_a_response_capacity_is_the_roadmaps():
    df = run("baseline", 1, 60, nvidia__capacity_response=0.0)
    assert (df["nvidia_capacity_expansion"] == 1.0).all()
    assert (df["nvidia_capacity_expansion_ordered"] == 0.0).all()


def test_reported_capacity_is_the_generations_output_in_h100e():
    model = NeocloudMarket(load_scenario("baseline").with_overrides({"market.months": 40}), rng=2)
    model.run()
    nvidia = model.nvidia
    expected = sum(nvidia.capacity(g) * g.perf for g in nvidia.on_sale())
    assert model.outputs["nvidia_capacity_h100e"] == pytest.approx(expected)
    h100 = next(g for g in model.gens if g.name == "h100")
    assert nvidia.capacity(h100) == pytest.approx(h100.peak_capacity * nvidia.expansion)


@pytest.mark.slow
def test_capacity_that_responds_to_the_backlog_shortens_the_queue():
    """Against the roadmap's fixed capacity, expansion shortens the lead times of 2024-25, when
    what was ordered in the 2023 shortage is on line (measured over twenty seeds under Pythons
    3.11 and 3.12: the longest of 2024-25 by 6.2 months in the median, the mean by 3.0-3.1,
    both in 20 of 20 seeds; over the suite's ten paired seeds, asserted below with margins
    of 2 and 1 months: 5.8 and 2.7). The queue of 2023 itself is the H100's ramp, which
    expansion ordered in 2023 comes too late to shorten (the mean from 2023-07 to 2024-12 by
    0.08 months under Python 3.11)."""
    def window(df, first, last):
        return df[(df["date"] >= first) & (df["date"] <= last)]["nvidia_lead_time_months"]

    def longest_queue(df):
        return float(window(df, "2024-01", "2025-12").max())

    def mean_queue(df):
        return float(window(df, "2024-01", "2025-12").mean())

    assert_increase(paired(longest_queue, BASELINE, FIXED), 2.0, "longest lead time 2024-25, months")
    assert_increase(paired(mean_queue, BASELINE, FIXED), 1.0, "mean lead time 2024-25, months")


def test_by_the_end_of_2025_the_shortage_has_added_over_half_the_roadmaps_capacity():
    """The README's level: about 70% more than the roadmap by 2025-12 in the median over
    seeds 1-10 (measured 69-70% under Pythons 3.11 and 3.12, 59-97% across seeds), and in every seed
    less than CoWoS's doubling a year in 2024-25 (four times the end-2023 capacity by
    end-2025, i.e. 300% more), part of which the roadmap's own ramps already carry."""
    added = [float(run("baseline", seed).set_index("date").loc["2025-12",
                                                                 "nvidia_capacity_expansion"]) - 1
             for seed in SEEDS]
    assert 0.4 <= np.median(added) <= 0.9 and min(added) > 0.2 and max(added) < 3.0, (
        np.round(added, 3))
