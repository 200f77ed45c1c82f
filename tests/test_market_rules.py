"""Rules of the markets that keep the model's accounting honest: hours sold never exceed
hours installed, prices never exceed the customers' outside option, populations are bounded,
and the counts the outputs report add up."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SEEDS, run

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.core.chips import power_cost_hour
from neocloud_abm.core.units import HOURS_PER_MONTH
from neocloud_abm.markets.rental import clear_spot, serve_in_order
from neocloud_abm.outputs.invariants import violations


def _clear(capacity: float, need: float):
    one = np.array([1.0])
    return clear_spot(one, np.array([capacity]), one, np.array([need]), np.array([0.0]),
                      np.array([1e12]), elasticity=0.0, reference=1.0)


def test_rationed_demand_is_what_the_last_offer_could_not_serve():
    assert _clear(capacity=60.0, need=100.0).unmet == pytest.approx(40.0)
    assert _clear(capacity=150.0, need=100.0).unmet == 0.0
    assert _clear(capacity=100.0, need=100.0).unmet == 0.0


def _model_with_contracts(seed: int = 2, months: int = 30) -> NeocloudMarket:
    """The baseline with space to spare, so that every GPU is powered and a provider's
    contracts are limited only by the GPUs it holds."""
    model = NeocloudMarket(load_scenario("baseline"), rng=seed, **{"power.initial_vacancy": 0.6})
    model.run(months)
    assert len(model.rental.contracts.live()), "the baseline signs contracts by then"
    return model


def test_contracts_are_served_only_from_installed_gpus_senior_first():
    model = _model_with_contracts()
    rental = model.rental
    book, live = rental.contracts, rental.contracts.live()
    full = rental.deliverable_hours(book, live, rental.powered_hours())
    np.testing.assert_allclose(full, book.gpu_hours[live])  # healthy providers serve in full
    provider = book.provider[live[0]]
    cloud = next(c for c in model.neoclouds() if c.account == provider)
    gen = int(book.gen[live[0]])
    mine = live[(book.provider[live] == provider) & (book.gen[live] == gen)]
    promised = book.gpu_hours[mine]
    # The provider loses GPUs until it has a quarter of what its contracts promise.
    keep = 0.25 * promised.sum() / HOURS_PER_MONTH
    for cohort in cloud.fleet:
        if cohort.gen == gen:
            cohort.count = min(cohort.count, keep)
            keep -= cohort.count
    cloud.fleet.changed()
    served = rental.deliverable_hours(book, live, rental.powered_hours())
    ours = np.isin(live, mine)
    assert served[ours].sum() == pytest.approx(0.25 * promised.sum())
    # In order of signing: each contract in full while the GPUs last, the rest unserved.
    ahead = np.cumsum(promised) - promised
    np.testing.assert_allclose(served[ours],
                               np.clip(0.25 * promised.sum() - ahead, 0.0, promised))
    np.testing.assert_allclose(served[~ours], full[~ours])


def test_serving_in_order_of_signing_shares_each_offers_capacity():
    keys = np.array([7, 3, 7, 7, 3])
    promised = np.array([10.0, 5.0, 10.0, 10.0, 5.0])
    served = serve_in_order(keys, promised, {7: 15.0, 3: 20.0})
    np.testing.assert_allclose(served, [10.0, 5.0, 5.0, 0.0, 5.0])
    assert serve_in_order(keys, promised, {}).sum() == 0.0


def test_no_posted_price_exceeds_the_outside_option_and_list_prices_fall_with_new_chips():
    df = run("baseline", 1)
    assert (df["spot_price_h100e"] <= df["hyperscaler_price_h100e"] * (1 + 1e-9)).all()
    model = NeocloudMarket(load_scenario("baseline"), rng=1)
    list_prices = {}
    for _ in range(40):
        model.step()
        list_prices[model.month] = model.env.list_price()
    b200 = next(g for g in model.gens if g.name == "b200")
    before, after = list_prices[b200.release - 1], list_prices[b200.release]
    # the B200's perf-adjusted installed cost is ~53% of the H100's
    assert after == pytest.approx(0.533 * before, rel=0.01)


def test_the_invariant_catches_a_posted_price_outside_the_floor_and_the_ceiling():
    """Every run the tests make checks both bounds every month (conftest.checked_run); here
    the check itself is shown to fire."""
    model = NeocloudMarket(load_scenario("baseline").with_overrides({"market.months": 12}), rng=1)
    model.step()
    assert violations(model) == []
    cloud = model.neoclouds()[0]
    gen = next(iter(cloud.prices))
    floor = power_cost_hour(model.gens[gen], model.p)
    cloud.prices[gen] = 0.5 * floor
    assert any("below its power cost" in v for v in violations(model))
    cloud.prices[gen] = 10 * model.env.hyperscaler_price * model.gens[gen].perf + floor
    assert any("above the outside option" in v for v in violations(model))


def test_utilization_never_exceeds_one_across_scenarios():
    for scenario in ("baseline", "blackwell_shock", "ai_winter", "credit_crunch"):
        for seed in SEEDS[:3]:
            df = run(scenario, seed)
            assert df["utilization"].max() <= 1.0 + 1e-9, (scenario, seed)
            assert (df["sold_h100e_hours"] <= df["available_h100e_hours"] * (1 + 1e-9)).all()


def test_the_startup_population_is_capped():
    model = NeocloudMarket(load_scenario("baseline").with_overrides(
        {"startups.initial_count": 300, "startups.max_count": 320, "startups.entry_rate": 0.2}), rng=3)
    for _ in range(36):
        model.step()
        assert len(model.startups.live_rows()) <= 320
    assert model.results()["startup_entries"].sum() > 20, "entry happens, up to the cap"


def test_dead_startups_are_dropped_and_contracts_follow_their_tenants():
    model = _model_with_contracts(seed=4, months=24)
    table = model.startups
    rows = table.live_rows()
    tenants = set(model.rental.contracts.tenant[model.rental.contracts.live()].tolist())
    doomed = [r for r in rows if r not in tenants][: int(0.8 * len(rows))]
    for row in doomed:
        table.agents[row].fail()
    survivors = {table.agents[r].unique_id for r in table.live_rows()}
    model.step()
    assert table.size == len(table.live_rows()) + model.outputs["startup_failures"]
    assert all(table.agents[agent.row] is agent for agent in table.agents)
    assert survivors <= {a.unique_id for a in table.agents}
    assert violations(model) == []


@pytest.mark.parametrize("scenario", ["baseline", "ai_winter"])
def test_startup_counts_add_up(scenario):
    """Active this month = active last month + entries - failures (every failure counted,
    including tenants that fail on their take-or-pay rent)."""
    for seed in SEEDS[:3]:
        df = run(scenario, seed)
        active = df["startups_active"].to_numpy()
        flow = df["startup_entries"].to_numpy()[1:] - df["startup_failures"].to_numpy()[1:]
        np.testing.assert_array_equal(np.diff(active), flow)


def test_a_loan_amortises_from_its_first_draw():
    """The amortisation clock runs only once a loan is drawn: at its first draw a loan still
    has the full term, however long its commitment waited for deliveries. (A loan swept down
    to zero while part of its commitment is undrawn keeps its clock where it was.)"""
    model = NeocloudMarket(load_scenario("baseline"), rng=1)
    term = model.p.lenders.term_months
    credit, draw = model.credit, model.credit.draw
    clocks_at_first_draw, drawn_before = [], set()

    def recorded_draw(loan, cost):
        if loan.id not in drawn_before:
            clocks_at_first_draw.append((loan.months_left, model.month - loan.originated))
        paid = draw(loan, cost)
        if paid > 0:
            drawn_before.add(loan.id)
        return paid

    credit.draw = recorded_draw
    for _ in range(30):
        model.step()
    assert clocks_at_first_draw and {clock for clock, _ in clocks_at_first_draw} == {term}
    assert max(waited for _, waited in clocks_at_first_draw) > 0, "some commitments wait"
