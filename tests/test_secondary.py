"""The used-GPU market's marks (docs/model.md#79-secondary-market): appraisals that move with
the economics — a new generation, a glut, a fire sale — not with one month's fill."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
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


def mark_moves(df: pd.DataFrame, scenario: str) -> tuple[int, int]:
    """(generation-months whose mark moved by at most JUMP, generation-months counted): a
    generation counts from its second valued month, except months with forced sales above
    FORCED of the GPUs of that generation installed the month before."""
    table = generation_table(df, _generations(scenario))
    wide = table.pivot_table(index=["generation", "date"], columns="variable", values="value")
    smooth = counted = 0
    for _, gen in wide.groupby(level="generation"):
        value = gen["value"].to_numpy()
        installed = gen["installed"].to_numpy()
        forced = gen["forced_sales"].to_numpy()
        valued = (value[1:] > 0) & (value[:-1] > 0)
        excused = forced[1:] > FORCED * np.maximum(installed[:-1], 1.0)
        keep = valued & ~excused
        ratio = value[1:][keep] / value[:-1][keep]
        smooth += int((np.abs(ratio - 1.0) <= JUMP).sum())
        counted += int(keep.sum())
    return smooth, counted


def smooth_share(df: pd.DataFrame, scenario: str = "baseline") -> float:
    smooth, counted = mark_moves(df, scenario)
    return smooth / counted


def test_marks_move_smoothly_in_every_scenario():
    """Pooled over all scenarios and ten seeds, at least SMOOTH of generation-months move by at
    most 25% (the month's own fill, capitalised, gave 79%: a fresh, unrented cohort halved a
    generation's value for a month)."""
    totals = np.zeros(2)
    shares = {}
    for scenario in list_scenarios():
        moves = np.array([mark_moves(run(scenario, seed), scenario) for seed in SEEDS]).sum(0)
        shares[scenario] = moves[0] / moves[1]
        totals += moves
    assert totals[0] / totals[1] >= SMOOTH, f"pooled {totals[0] / totals[1]:.4f}; {shares}"
    assert min(shares.values()) >= 0.98, shares


def test_appraising_rents_and_replacement_cost_removes_the_jumps():
    """Paired over ten seeds: capitalising each month's own rent, utilization and new-chip
    price (gains of 1) makes marks jump far more often than the appraisal."""
    differences = paired(smooth_share, ("baseline", UNAPPRAISED), ("baseline", {}))
    assert_increase(differences, 0.05, "share of smooth generation-months, appraised vs not")


def test_forced_sales_are_reported_and_depress_the_mark():
    """A credit crunch forces sales; months with forced sales above FORCED of a generation's
    installed GPUs show a lower mark change on average than the months without."""
    with_sales, without = [], []
    for seed in SEEDS:
        df = run("credit_crunch", seed)
        table = generation_table(df, _generations("credit_crunch"))
        wide = table.pivot_table(index=["generation", "date"], columns="variable", values="value")
        for _, gen in wide.groupby(level="generation"):
            value, forced = gen["value"].to_numpy(), gen["forced_sales"].to_numpy()
            installed = gen["installed"].to_numpy()
            valued = (value[1:] > 0) & (value[:-1] > 0)
            change = np.log(np.where(valued, value[1:], 1.0) / np.where(valued, value[:-1], 1.0))
            heavy = forced[1:] > FORCED * np.maximum(installed[:-1], 1.0)
            with_sales += change[valued & heavy].tolist()
            without += change[valued & ~heavy].tolist()
    assert len(with_sales) >= 10, "the credit crunch forces sales"
    assert np.mean(with_sales) < np.mean(without) - 0.01, (np.mean(with_sales), np.mean(without))
