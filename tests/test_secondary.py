"""The used-GPU market's marks (docs/model.md#79-secondary-market): appraisals that move with
the economics — a new generation, a glut, a fire sale — not with one month's fill."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from conftest import SEEDS, assert_increase, paired, run

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.outputs.reporters import generation_table
from neocloud_abm.parameters.scenarios import list_scenarios

JUMP = 0.25     # a mark that moves by more than this in a month has jumped
FORCED = 0.01   # ... unless forced sales that month exceeded this share of installed GPUs
SMOOTH = 0.99   # share of generation-months without a jump, all scenarios and seeds pooled
UNAPPRAISED = {"market.appraisal_gain": 1.0, "market.replacement_appraisal_gain": 1.0}


@cache
def _generations(scenario: str) -> tuple:
    return tuple(NeocloudMarket(load_scenario(scenario), rng=1).gens)


def valued_months(df: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Each generation-month with a value in this month and the one before: the ratio of
    the two marks, and whether forced sales that month exceeded FORCED of the generation's
    GPUs installed the month before."""
    table = generation_table(df, _generations(scenario))
    wide = table.pivot_table(index=["generation", "date"], columns="variable", values="value")
    parts = []
    for _, gen in wide.groupby(level="generation"):
        value, installed = gen["value"].to_numpy(), gen["installed"].to_numpy()
        valued = (value[1:] > 0) & (value[:-1] > 0)
        heavy = gen["forced_sales"].to_numpy()[1:] > FORCED * np.maximum(installed[:-1], 1.0)
        parts.append(pd.DataFrame({"ratio": value[1:][valued] / value[:-1][valued],
                                   "heavy_sales": heavy[valued]}))
    return pd.concat(parts, ignore_index=True)


def mark_moves(df: pd.DataFrame, scenario: str) -> tuple[int, int]:
    """(generation-months whose mark moved by at most JUMP, generation-months counted): a
    generation counts from its second valued month, except months of heavy forced sales."""
    months = valued_months(df, scenario)
    kept = months.loc[~months["heavy_sales"], "ratio"]
    return int((np.abs(kept - 1.0) <= JUMP).sum()), len(kept)


def smooth_share(df: pd.DataFrame, scenario: str = "baseline") -> float:
    smooth, counted = mark_moves(df, scenario)
    return smooth / counted


def test_marks_move_smoothly_in_every_scenario():
    """Pooled over all scenarios and ten seeds, at least SMOOTH of generation-months move by at
    most 25% (the month's own fill, capitalised, gave 79%: a fresh, unrented cohort halved a
    generation's value for a month); in every scenario at least 95%. The lowest is
    `power_crunch` (96.7% and 97.4% under Pythons 3.11 and 3.12; 96.5% and 96.4% on seeds
    11-20): colocation rents of $300 per kW-month leave older generations thin margins, so a
    small move in their rent is a large move in their value, the leverage of a thin margin
    rather than appraisal noise; every other scenario 99.1% or more (98.9% or more on seeds
    11-20). Pooled: 99.2% and 99.3%, but 99.0% on seeds 11-20, so the bound holds narrowly
    (the bar set for the marks, 99%, is not a margin chosen for this test)."""
    totals = np.zeros(2)
    shares = {}
    for scenario in list_scenarios():
        moves = np.array([mark_moves(run(scenario, seed), scenario) for seed in SEEDS]).sum(0)
        shares[scenario] = moves[0] / moves[1]
        totals += moves
    assert totals[0] / totals[1] >= SMOOTH, f"pooled {totals[0] / totals[1]:.4f}; {shares}"
    assert min(shares.values()) >= 0.95, shares


@pytest.mark.slow
def test_appraising_rents_and_replacement_cost_removes_the_jumps():
    """Paired over ten seeds: capitalising each month's own rent, utilization and new-chip
    price (gains of 1) makes marks jump far more often than the appraisal."""
    differences = paired(smooth_share, ("baseline", UNAPPRAISED), ("baseline", {}))
    assert_increase(differences, 0.05, "share of smooth generation-months, appraised vs not")


def test_forced_sales_are_reported_and_depress_the_mark():
    """A credit crunch forces sales; months with forced sales above FORCED of a generation's
    installed GPUs show a lower mark change on average than the months without."""
    months = pd.concat([valued_months(run("credit_crunch", seed), "credit_crunch")
                        for seed in SEEDS], ignore_index=True)
    change = np.log(months["ratio"])
    with_sales, without = change[months["heavy_sales"]], change[~months["heavy_sales"]]
    assert len(with_sales) >= 10, "the credit crunch forces sales"
    assert np.mean(with_sales) < np.mean(without) - 0.01, (np.mean(with_sales), np.mean(without))
