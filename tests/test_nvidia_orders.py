"""Nvidia's order book (docs/model.md 7.5.2-7.5.4): a generation takes orders before its
volume release, those orders wait for it rather than being cancelled, and the lead time a
buyer is quoted counts the output Nvidia has planned (the ramp), not this month's."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SEEDS, run

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.core.months import format_month


def _model(months: int = 48, seed: int = 1, **overrides: object) -> NeocloudMarket:
    """The baseline for ``months``, with overrides given by dotted name."""
    scenario = load_scenario("baseline").with_overrides({"market.months": months, **overrides})
    return NeocloudMarket(scenario, rng=seed)


def _step_to(model: NeocloudMarket, month: int) -> None:
    """Run the model until its month is ``month`` (that month simulated)."""
    while model.month < month:
        model.step()


def _gen(model: NeocloudMarket, name: str):
    return next(g for g in model.gens if g.name == name)


def test_a_generation_takes_orders_from_its_preorder_window_not_before():
    model = _model()
    h100 = _gen(model, "h100")
    window = model.p.nvidia.preorder_months
    _step_to(model, h100.release - window - 1)
    assert h100 not in model.nvidia.orderable()
    model.step()
    assert h100 in model.nvidia.orderable() and h100 not in model.nvidia.on_sale()
    _step_to(model, h100.release)
    assert h100 in model.nvidia.on_sale()


def test_without_a_preorder_window_nothing_is_ordered_before_release():
    model = _model(**{"nvidia.preorder_months": 0})
    h100 = _gen(model, "h100")
    _step_to(model, h100.release - 1)
    assert h100 not in model.nvidia.orderable()
    assert model.nvidia.backlog(h100) == 0.0


def test_preorders_wait_for_the_release_and_are_delivered_from_it():
    """The orders placed in the window are kept (not cancelled for want of output) until the
    generation ships, and it ships to them in its first month."""
    model = _model()
    h100 = _gen(model, "h100")
    _step_to(model, h100.release - 2)
    waiting = [(o, o.remaining) for o in model.nvidia.orders if o.gen == h100.index]
    assert waiting, "the ChatGPT rush preorders the H100"
    model.step()
    assert all(o in model.nvidia.orders and o.remaining == left for o, left in waiting)
    assert model.nvidia.shipped[h100.index] == 0.0
    _step_to(model, h100.release)
    assert model.nvidia.shipped[h100.index] > 0.0
    assert any(o.remaining < left for o, left in waiting)


def test_the_lead_time_counts_the_output_planned_for_the_ramp():
    """A queue of a year's peak output, early in the ramp: the quoted lead time is the months
    of planned (ramping) output that clear it, far shorter than the queue over this month's
    output."""
    model = _model(**{"nvidia.capacity_response": 0.0})
    nvidia, h100 = model.nvidia, _gen(model, "h100")
    _step_to(model, h100.release + 1)
    nvidia.orders = [o for o in nvidia.orders if o.gen != h100.index]
    nvidia._keep(nvidia.orders)
    queue = 12 * h100.peak_capacity
    nvidia.place_order(model.neoclouds()[0], h100, queue)
    ramp = model.p.nvidia.ramp_months
    planned = np.array([h100.peak_capacity * min(1.0, (t - h100.release + 1) / ramp)
                        for t in range(model.month + 1, model.month + 60)])
    done = np.cumsum(planned)
    full = int(np.searchsorted(done, queue))   # whole months before the last one
    expected = full + (queue - done[full - 1]) / planned[full]
    assert nvidia.lead_time(h100) == pytest.approx(expected)
    assert nvidia.lead_time(h100) < 0.5 * queue / nvidia.capacity(h100)


def test_a_preorders_lead_time_is_the_wait_for_the_release_and_then_the_queue():
    model = _model(60)
    nvidia, b200 = model.nvidia, _gen(model, "b200")
    _step_to(model, b200.release - model.p.nvidia.preorder_months)
    lag = model.p.nvidia.deployment_lag_months
    before_release = b200.release - (model.month + 1)   # this month's deliveries are done
    lead = nvidia.lead_time(b200)
    if nvidia.backlog(b200) == 0.0:
        assert lead == max(lag, b200.release - model.month)
    else:
        assert lead > before_release
    extra = nvidia.capacity(b200, b200.release)  # the first month's output more
    nvidia.place_order(model.neoclouds()[0], b200, extra)
    assert nvidia.lead_time(b200) > max(lead, before_release + 1.0)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_the_reported_lead_time_is_the_newest_generation_in_production(seed):
    """What the press reports as Nvidia's lead time: the H100's through 2023-24, however long
    the B200's order book is before the B200 ships."""
    model = _model(40, seed)
    for _ in range(40):
        model.step()
        newest = model.nvidia.newest_on_sale()
        assert model.outputs["nvidia_lead_time_months"] == model.nvidia.lead_time(newest), (
            format_month(model.month))


def test_the_2023_lead_time_is_the_h100_queue_of_36_to_52_weeks():
    """The validation's fact (8-12 months at its longest in 2023) in the median over the
    validation's twenty seeds, with the ChatGPT rush in the H100's order book rather than the
    A100's: without preorders the rush queues for the A100 at the end of its life. (Measured
    under Pythons 3.11 and 3.12: 10.9 months, most seeds within 10-12.)"""
    longest = [float(run("baseline", seed, 36).pipe(
        lambda df: df[df["date"].between("2023-01", "2023-12")])["nvidia_lead_time_months"].max())
        for seed in range(1, 21)]
    assert 8.0 <= np.median(longest) <= 12.0, np.round(longest, 2)
