"""`neocloud-abm validate`: every fact is measured against its own band; the structural
ones hold; a miss is reported and fails the command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import run

from neocloud_abm.interface.cli import main
from neocloud_abm.outputs.summary import summarize
from neocloud_abm.outputs.validation import FACTS, SCENARIOS, breakeven_h100, validate


def test_validate_measures_every_fact_and_the_structural_ones_hold(capsys):
    table = validate(seeds=1)
    assert list(table["fact"]) == [f.key for f in FACTS] + ["cost"]
    assert table[["median", "low", "high"]].notna().all().all()
    holds = dict(zip(table["fact"], table["holds"], strict=True))
    for key in ("S8a", "S4", "S9", "cost"):  # S12 needs several seeds: see test_credit.py
        assert holds[key], table.set_index("fact").loc[key].to_dict()


def test_validate_command_prints_targets_and_verdicts(capsys):
    code = main(["validate", "--seeds", "1"])
    printed = capsys.readouterr().out
    assert "target $5-11 per GPU-hour" in printed
    met, total = (int(x) for x in printed.split("facts met")[0].split()[-3::2])
    misses = printed.count("[MISS]")
    assert met + misses == total
    assert code == (0 if misses == 0 else 1), "a miss makes the command fail"


def test_pass_bands_are_the_targets_own_ranges():
    bands = {fact.key: fact.holds for fact in FACTS}
    assert bands["lead"](8.0) and bands["lead"](12.0) and not bands["lead"](12.5)
    assert not bands["lead"](7.9)
    assert bands["S6"](5.0) and not bands["S6"](1.02)
    assert not bands["S8c"](3.1) and not bands["S8c"](1.1)


def test_s6_is_the_most_financed_firms_ratio_not_the_industrys():
    """S6 is CoreWeave's facility over its revenue in August 2023, so it reads the
    most-financed neocloud's drawn and committed debt over its annualised revenue then,
    whatever the industry's debt and revenue are, and more than its debt drawn alone."""
    from neocloud_abm.model import simulate

    df = simulate({"market.months": 24}, seed=1)
    s6 = next(fact for fact in FACTS if fact.key == "S6")
    august = df[df["date"] == "2023-08"].iloc[0]
    industry = august["debt_outstanding_usd"] / (12.0 * august["neocloud_revenue_usd"])
    measured = s6.measure({"baseline": df})
    assert measured == august["top_neocloud_financing_to_revenue"]
    assert measured != industry
    assert measured > august["top_neocloud_debt_to_revenue"]


def _readme_verdicts() -> list[bool]:
    """The verdict column of the README's validation table, in its row order (FACTS, then
    the break-even cost): True for ok, False for a miss."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    table = readme[readme.index("| fact | target (= pass band) |"):]
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    rows = rows[:len(FACTS) + 1]
    verdicts = [row.rstrip(" |").rsplit("|", 1)[1].strip() for row in rows]
    assert set(verdicts) <= {"ok", "**miss**"}, verdicts
    return [verdict == "ok" for verdict in verdicts]


@pytest.mark.slow
def test_the_readmes_validation_verdicts_are_the_models():
    """Each fact's verdict in the README's table (met or missed by the median of seeds 1-20)
    is what the model gives, the misses included: the table cannot drift from the model.
    Every median sits well inside or outside its band (README: the closest are the 2023 lead
    time, 10.9 months against 12, and S8c, $2.34 against $3.00), so the verdicts hold on
    either Python."""
    values: dict[str, list[float]] = {fact.key: [] for fact in FACTS}
    for seed in range(1, 21):
        runs = {name: run(name, seed) for name in SCENARIOS}
        for fact in FACTS:
            values[fact.key].append(fact.measure(runs))
    verdicts = [fact.holds(float(np.median(values[fact.key]))) for fact in FACTS]
    cost = breakeven_h100(1)
    verdicts.append(1.65 <= cost <= 2.85)
    assert verdicts == _readme_verdicts(), dict(zip([f.key for f in FACTS] + ["cost"],
                                                     verdicts, strict=True))


@pytest.mark.slow
def test_the_readmes_account_of_the_baseline_holds():
    """The README's summary of the baseline run, over seeds 1-60: nearly two fifths of the
    neoclouds that ever operate default in the median run (a third to a half), lenders
    lose a few per cent of what they lent (1-6%), the price falls by about 70% within two
    years of its peak (65-85%) and debt reaches tens of billions of dollars (largest
    outstanding at least $10bn). Measured medians under Pythons 3.11 and 3.12: default rate
    0.39 and 0.37, loss rate 2.3% and 2.0%, fall 73% and 73%, largest debt $29bn and $29bn
    (a third, 0.31 and 0.29, while deliveries could draw on loans already called).
    Twenty seeds were too few for a statement that held everywhere in earlier versions
    (medians over 0.28-0.43 and 2.5-7.6% in eight arithmetic environments)."""
    stats = [summarize(run("baseline", seed)) for seed in range(1, 61)]

    def median(key: str) -> float:
        return float(np.median([s[key] for s in stats]))

    assert 0.30 <= median("default_rate") <= 0.50, median("default_rate")
    assert 0.01 <= median("lender_loss_rate") <= 0.06, median("lender_loss_rate")
    assert 0.65 <= median("decline_24m") <= 0.85, median("decline_24m")
    assert median("max_debt_usd") >= 10e9, median("max_debt_usd")
