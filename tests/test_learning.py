"""The rent decline learnt from chip launches (docs/model.md#777-learnt-rent-decline)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SEEDS, run

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.agents.neocloud import npv_margin
from neocloud_abm.core.learning import DeclineBelief, launch_evidence
from neocloud_abm.core.months import format_month, parse_month


def test_a_launch_reveals_the_yearly_fall_in_list_price_per_h100e():
    gens = NeocloudMarket(load_scenario("baseline"), rng=1).gens
    a100, h100 = gens[0], gens[1]
    (decline, months), = launch_evidence(gens, h100.release)
    assert months == h100.release - a100.release == 33
    per_h100e = (h100.price / h100.perf) / (a100.price / a100.perf)   # $30k vs $15k / 0.35
    assert decline == pytest.approx(1.0 - per_h100e ** (12 / 33))
    assert launch_evidence(gens, h100.release + 1) == []


def test_the_belief_is_the_time_weighted_mean_of_prior_and_launches():
    belief = DeclineBelief(0.2, 36.0)
    belief.observe([(0.12, 33)])
    assert belief.decline == pytest.approx((36 * 0.2 + 33 * 0.12) / 69)
    belief.observe([(0.3, 22)])
    assert belief.decline == pytest.approx((36 * 0.2 + 33 * 0.12 + 22 * 0.3) / 91)
    assert belief.weight == 91


def test_buyers_and_lenders_learn_each_launch_in_its_month():
    """The market's belief moves exactly at launches, by the rule above; before the H100 it
    is the prior."""
    params = load_scenario("baseline")
    model = NeocloudMarket(params, rng=1)
    df = run("baseline", 1)
    gens = model.gens
    belief = DeclineBelief(params.market.expected_price_decline, params.market.decline_prior_months)
    for month, row in zip(range(model.start, model.start + len(df)), df.itertuples(), strict=True):
        belief.observe(launch_evidence(gens, month))
        assert row.expected_rent_decline == pytest.approx(belief.decline, abs=1e-12)
    assert df["expected_rent_decline"].iloc[0] == params.market.expected_price_decline
    changes = df.loc[df["expected_rent_decline"].diff().abs() > 0, "date"].tolist()
    assert changes == [format_month(g.release) for g in gens[1:]
                       if model.start <= g.release < model.start + len(df)]


def test_a_faster_cadence_is_learnt_and_firms_hold_their_own_beliefs():
    """Blackwell early and a generation every year at 3x: after its first launch buyers and
    lenders expect rents to fall faster than in the baseline, and by 2028 neoclouds do too
    (at least 5 points); each firm's belief differs with its confidence in the prior."""
    first_launch = parse_month("2024-12") - parse_month("2022-01")   # after the early B200 only
    base, fast = run("baseline", 1), run("blackwell_shock", 1)
    assert (fast["expected_rent_decline"].iloc[first_launch]
            > base["expected_rent_decline"].iloc[first_launch] + 0.05), "priced in at one launch"
    month = parse_month("2028-01") - parse_month("2022-01")
    for seed in SEEDS:
        fast, base = run("blackwell_shock", seed), run("baseline", seed)
        assert fast["expected_rent_decline"].iloc[month] > base["expected_rent_decline"].iloc[month] + 0.05
        assert fast["expected_rent_decline_neoclouds"].iloc[month] > (
            base["expected_rent_decline_neoclouds"].iloc[month] + 0.05)
    model = NeocloudMarket(load_scenario("blackwell_shock"), rng=1)
    model.run()
    beliefs = [cloud.decline.decline for cloud in model.neoclouds()]
    assert len(beliefs) > 1 and np.std(beliefs) > 0.001


def test_a_steeper_expected_decline_lowers_a_new_gpus_npv_margin():
    model = NeocloudMarket(load_scenario("baseline"), rng=1)
    h100 = model.gens[1]
    rent = model.p.market.colocation_kw_month
    margins = [npv_margin(h100, 2.5, 0.8, 3.0, 72, 0.2, model.p, decline, rent)
               for decline in (0.0, 0.2, 0.4)]
    assert margins[0] > margins[1] > margins[2]
