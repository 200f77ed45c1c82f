"""Hyperscalers as agents and their anchor contracts: leases of neocloud capacity built to
suit, served before any other contract, paid for every hour delivered, resold by the
hyperscalers; and what they do to the market (docs/model.md#717-hyperscalers-and-anchor-contracts)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_increase, paired, run
from conftest import window_statistic as window

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.core.months import parse_month
from neocloud_abm.core.units import HOURS_PER_MONTH
from neocloud_abm.outputs.invariants import violations

NO_BUILD_TO_SUIT = ("baseline", {"neoclouds.build_to_suit_min_h100e": 1e7})
BASELINE = ("baseline", {})
TWENTY = tuple(range(1, 21))


def test_shares_follow_the_largest_hyperscalers_share():
    model = NeocloudMarket(load_scenario("baseline"), rng=1,
                           **{"hyperscalers.count": 3, "hyperscalers.largest_share": 0.6})
    assert [h.share for h in model.hyperscalers.members] == pytest.approx([0.6, 0.2, 0.2])
    single = NeocloudMarket(load_scenario("baseline"), rng=1, **{"hyperscalers.count": 1})
    assert [h.share for h in single.hyperscalers.members] == [1.0]


def test_anchor_leases_are_paid_by_the_hyperscalers_and_resold_within_what_they_lease():
    model = NeocloudMarket(load_scenario("baseline"), rng=1)
    rent = leased = 0.0
    for _ in range(36):
        model.step()
        assert violations(model) == []   # anchor hours within hours sold, resales within leases
        rent += model.outputs["anchor_rent_usd"]
        leased += model.outputs["anchor_h100e_hours"]
    assert leased > 0, "seed 1's hyperscalers lease capacity that arrives within three years"
    assert model.ledger.flows["anchor_rent"] == pytest.approx(rent)
    book = model.rental.anchors
    # signed in the 2023 shortage, for capacity that arrives after it
    assert np.all(book.start[book.active] >= model.start + 12)
    assert model.outputs["anchor_contracted_h100e"] > 0


def test_a_neocloud_builds_to_suit_only_for_a_contract_that_repays_the_gpus():
    model = NeocloudMarket(load_scenario("baseline"), rng=2)
    model.run(14)   # 2023-02: the shortage
    cloud = max(model.neoclouds(), key=lambda c: c.installed_h100e())
    gen = model.nvidia.newest_on_sale()
    backlog = model.nvidia.backlog_h100e(cloud)
    assert cloud.build_to_suit(gen, 1000.0, 0.01 * HOURS_PER_MONTH, 60) == 0.0
    assert model.nvidia.backlog_h100e(cloud) == backlog
    rent = 8.0 * gen.perf * HOURS_PER_MONTH          # $8 an H100e-hour for five years
    ordered = cloud.build_to_suit(gen, 1000.0, rent, 60)
    assert 1.0 <= ordered <= 1000.0
    assert model.nvidia.backlog_h100e(cloud) == pytest.approx(backlog + ordered * gen.perf)


@pytest.mark.slow
def test_the_hyperscalers_lease_in_the_2023_shortage_and_seldom_again():
    """By default the hyperscalers see only the demand startups bring them, so their own
    build falls short mainly in the 2023 shortage: at least 17 of seeds 1-20 sign anchor
    leases in 2023, and at least 18 none after it to 2031 (measured under Pythons 3.11 and
    3.12: 19 in 2023 and none after, the other none at all)."""
    years = []
    for seed in TWENTY:
        df = run("baseline", seed)
        signed = df["anchor_contracted_h100e"].diff().fillna(df["anchor_contracted_h100e"]) > 0
        years.append(set(df.loc[signed, "date"].str[:4]))
    assert sum("2023" in y for y in years) >= 17, years
    assert sum(y <= {"2022", "2023"} for y in years) >= 18, years


@pytest.mark.slow
def test_anchor_orders_lengthen_nvidias_queue_in_the_shortage():
    """The GPUs ordered for anchors join Nvidia's queue: the longest lead time of 2023 is a
    fifth to a quarter of a month longer (seeds 1-20: a median 0.27 and 0.20 months, longer
    in 15 and 16 under Pythons 3.11 and 3.12), the queue now being the H100's preorders,
    which the anchors' orders join late. That the anchors raise the largest neocloud's
    largest customer's share of its 2024 revenue is not claimed: over seeds 1-180 a median
    1.1 and 1.3 points more, p = 0.06 and 0.03 (60 seeds: p = 0.04 and 0.07; 120: 0.007 and
    0.006), a small effect against the noise. That lenders' counting an anchor's rent in full
    lets the most-financed neocloud's financing run further ahead of its revenue in August
    2023 (fact S6) is not claimed: a median 0.16-0.18x more, p = 0.12 and 0.13."""
    lead = paired(window("nvidia_lead_time_months", "2023-01", "2023-12", "max"),
                  NO_BUILD_TO_SUIT, BASELINE, months=36, seeds=TWENTY)
    assert_increase(lead, 0.1, "longest Nvidia lead time in 2023, months")


IN_HOUSE = ("baseline", {"hyperscalers.in_house_share": 0.15})


def test_in_house_need_is_served_from_the_own_fleet_then_from_leases():
    """Before ChatGPT the in-house fleet matches the need it plans for and nothing is built;
    the surprise starts builds that complete one lead time later; meanwhile the shortfall is
    served from the hyperscalers' leases (never more than they lease) and the builds' capex
    is spread over their construction."""
    h = {"hyperscalers.in_house_share": 0.3, "hyperscalers.in_house_build_months": 18}
    model = NeocloudMarket(load_scenario("baseline"), rng=1, **h)
    members = model.hyperscalers.members
    util = model.p.hyperscalers.target_utilization
    for member in members:
        assert member.in_house_fleet == pytest.approx(member.in_house_need(1.0) / util)
    build = model.p.hyperscalers.in_house_build_months
    initial = [m.in_house_fleet for m in members]
    first_start = None
    in_house_capex = []
    for _ in range(48):
        model.step()
        assert violations(model) == []
        row = model.outputs
        assert row["in_house_leased_h100e_hours"] <= row["in_house_need_h100e"] * HOURS_PER_MONTH
        in_house_capex.append(sum(m.in_house_capex for m in members))
        assert row["hyperscaler_capex_usd"] == pytest.approx(model.env.hyperscaler_capex
                                                            + in_house_capex[-1])
        for member in members:
            assert all(model.month < done <= model.month + build for done in member.in_house_pipeline)
        if first_start is None and any(m.in_house_pipeline for m in members):
            first_start = model.month
        if first_start is None or model.month < first_start + build:
            assert [m.in_house_fleet for m in members] == initial
    assert first_start is not None
    assert first_start >= parse_month(model.p.environment.chatgpt_date)   # after the surprise
    assert sum(m.in_house_fleet for m in members) > 2 * sum(initial)
    assert model.results()["in_house_leased_h100e_hours"].max() > 0
    # the first build's capex is spent in each of its months of construction, none before
    building = slice(first_start + 1 - model.start, first_start + 1 + build - model.start)
    assert sum(in_house_capex[: first_start + 1 - model.start]) == 0.0
    assert all(spent > 0 for spent in in_house_capex[building])


@pytest.mark.slow
def test_in_house_demand_concentrates_the_largest_neoclouds_revenue_and_tightens_2023_24():
    """With in-house need (their own services and a partner lab) at 0.15 of the neoclouds'
    initial capacity, the hyperscalers lease for themselves while their own builds lag the
    surprise: over seeds 1-20 (36 months), anchors peak at a median 72-74 thousand H100e against
    27-28 thousand; the largest neocloud's largest customer pays a median 20% of its 2024
    revenue against 10% (higher in 17 of 20 under Pythons 3.11 and 3.12); and the leases join
    Nvidia's queue and take capacity off the spot market, so the longest lead time of 2023 is
    11.6 months against 10.9 (longer in 19 of 20) and the H100's 2024 rent $5.3 against
    $4.9 (higher in 17 and 18 of 20). The financing of the most-financed neocloud over its
    revenue in August 2023 (fact S6) is not higher (in 12 and 11 of 20), so it is not
    asserted."""
    def compare(statistic, margin: float, what: str) -> None:
        assert_increase(paired(statistic, BASELINE, IN_HOUSE, months=36, seeds=TWENTY),
                        margin, what)

    compare(window("top_neocloud_top_customer_share", "2024-01", "2024-12"), 0.05,
            "largest customer's share of the largest neocloud's 2024 revenue")
    compare(window("anchor_contracted_h100e", "2022-01", "2024-12", "max"), 20_000,
            "H100e under anchor contracts at the peak")
    compare(window("nvidia_lead_time_months", "2023-01", "2023-12", "max"), 0.3,
            "longest Nvidia lead time in 2023, months")
    compare(window("spot_price_h100", "2024-01", "2024-12"), 0.2, "H100 rent in 2024, $/hour")


@pytest.mark.slow
def test_in_house_need_large_enough_to_concentrate_revenue_lifts_late_2025_rents_out_of_band():
    """Why `hyperscalers.in_house_share` is off by default (docs/model.md 7.17): at 0.5 the
    median H100 rent of the second half of 2025 over seeds 1-20 leaves the validation band
    ($1.20-3.00; measured $3.69 and $3.51 under Pythons 3.11 and 3.12; $2.76 at 0.3 under
    3.11), at 0.15 it stays in it ($2.53 and $2.47), and at 0.15 the hyperscalers' capex
    falls from 2024 to 2025 (log -1.26 in the median under both, against +0.51 observed and
    -0.13 without in-house need), as adoption, which drives the need, saturates by 2025."""
    def late_2025_rent(share: float) -> float:
        return float(np.median([window("spot_price_h100", "2025-07", "2025-12")(
            run("baseline", seed, hyperscalers__in_house_share=share)) for seed in TWENTY]))

    def capex_growth(df) -> float:
        capex = df.set_index("date")["hyperscaler_capex_usd"]
        return float(np.log(capex.loc["2025-01":"2025-12"].sum() / capex.loc["2024-01":"2024-12"].sum()))

    growth = [capex_growth(run("baseline", seed, hyperscalers__in_house_share=0.15)) for seed in TWENTY]
    high, moderate = late_2025_rent(0.5), late_2025_rent(0.15)
    assert high > 3.00 and 1.20 <= moderate <= 3.00, (high, moderate)
    assert np.median(growth) < 0, np.round(growth, 2)
