"""Powered data-centre space (docs/model.md#715-powered-data-centre-space): GPUs without space
are stranded and earn nothing, scarcity raises rents, developers' lead time makes gluts."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from conftest import SEEDS, assert_increase, paired, run, window_statistic

from neocloud_abm.agents.neocloud import npv_margin
from neocloud_abm.core.units import HOURS_PER_MONTH
from neocloud_abm.markets.power import OTHERS, powered_counts
from neocloud_abm.model import NeocloudMarket, simulate
from neocloud_abm.outputs.invariants import violations
from neocloud_abm.outputs.summary import summarize
from neocloud_abm.parameters.scenarios import load_scenario

# No new space and none to spare: every GPU delivered after the start is stranded unless an
# older one is unplugged for it.
STARVED = {"power.initial_vacancy": 0.0, "power.initial_pipeline_mw": 0.0,
           "power.base_start_rate": 0.0, "power.max_start_rate": 0.0,
           "power.other_demand_growth": 0.0, "power.other_rent_elasticity": 0.0}


def test_space_powers_the_most_compute_per_kw_first():
    counts = np.array([10.0, 10.0, 10.0])
    power_kw = np.array([0.6, 1.6, 2.1])
    perf = np.array([0.35, 1.0, 2.5])
    order = np.argsort(-perf / power_kw, kind="stable")
    powered = powered_counts(counts, power_kw, order, kw=30.0)
    assert powered[2] == 10.0                                  # 21 kW: all the newest
    assert powered[1] == pytest.approx(9.0 / 1.6)              # the other 9 kW
    assert powered[0] == 0.0
    assert powered_counts(counts, power_kw, order, kw=1e9).tolist() == counts.tolist()
    assert powered_counts(counts, power_kw, order, kw=0.0).sum() == 0.0


@pytest.fixture(scope="module")
def starved_model() -> NeocloudMarket:
    model = NeocloudMarket(STARVED, rng=3, **{"market.months": 48})
    for _ in range(48):
        model.step()
        assert violations(model) == []
    return model


def test_without_space_delivered_gpus_are_stranded_and_offer_no_hours(starved_model):
    df = starved_model.results()
    late = df.iloc[24:]
    assert (late["stranded_h100e"] > 0.2 * late["installed_h100e"]).all()
    # Hours offered are those of powered GPUs: the installed base less the stranded. In a
    # month with a default the firm's GPUs leave the month-end count after it offered hours.
    calm = late[late["neocloud_defaults"] == 0]
    powered_h100e = calm["available_h100e_hours"] / HOURS_PER_MONTH
    assert len(calm) >= 12 and (powered_h100e < 0.8 * calm["installed_h100e"]).all()
    assert (df["powered_capacity_mw"] == df["powered_capacity_mw"].iloc[0]).all()
    assert (late["neocloud_power_mw"] - late["stranded_mw"]).max() \
        <= df["powered_capacity_mw"].iloc[0] + 1e-6


def test_new_generations_take_the_space_and_older_gpus_are_unplugged(starved_model):
    model = starved_model
    a100, h100 = 0, 1
    unplugged = [c for c in model.neoclouds()
                 if model.power.powered(c)[a100] < c.fleet.counts()[a100] - 1e-6]
    assert unplugged, "space is short, so some firm must have unplugged A100s"
    for cloud in unplugged:   # an H100 is never stranded while an A100 holds space
        powered, counts = model.power.powered(cloud), cloud.fleet.counts()
        assert powered[h100] == pytest.approx(counts[h100]) or powered[a100] < 1e-6


def test_stranded_gpus_pay_no_rent(starved_model):
    for cloud in starved_model.neoclouds():
        lease = starved_model.power.lease_of(cloud)
        rent = cloud.operating_costs()["landlords"][1]
        assert rent == pytest.approx(lease.kw * lease.rent * (1 - cloud.colocation_discount))
        assert lease.kw <= starved_model.power.fleet_need(cloud) + 1e-6


def test_scarcity_raises_the_rent_and_a_glut_lowers_it(starved_model):
    scarce = starved_model.results()["colocation_rent_kw_month"]
    assert scarce.iloc[-1] > 1.5 * scarce.iloc[0]
    assert (np.diff(scarce.to_numpy()) >= -1e-9).all()
    glut = simulate({"power.initial_vacancy": 0.5, "power.other_demand_growth": 0.0},
                    seed=3, months=24)["colocation_rent_kw_month"]
    assert glut.iloc[-1] < 0.8 * glut.iloc[0]


def test_a_wait_for_space_lowers_the_value_of_a_new_gpu():
    model = NeocloudMarket(rng=1, **{"market.months": 24})
    h100 = model.gens[1]
    margins = [npv_margin(h100, 2.5, 0.8, 3.0, 72, 0.2, model.p, 0.2, 137.9, 0.0, wait)
               for wait in (0.0, 6.0, 12.0, 24.0)]
    assert all(a > b for a, b in pairwise(margins))


def test_the_invariant_catches_more_space_leased_than_built():
    model = NeocloudMarket(rng=1, **{"market.months": 12})
    model.step()
    assert violations(model) == []
    model.power.leases[OTHERS].kw += 2 * model.power.capacity_kw
    assert any("leased" in v for v in violations(model))


@pytest.mark.slow
def test_a_longer_construction_lead_time_gives_larger_gluts_of_empty_space():
    """Comparative statics over ten paired seeds of the baseline, 120 months: with developers
    building on the rent they expect, space started in a shortage arrives later into a market
    that has turned, so the peak share of empty space rises with the lead time (measured:
    medians 0.19 at 12 months, 0.36 and 0.34 at 36 under Pythons 3.11 and 3.12,
    higher in 10 of 10 seeds under both; margin 0.1 on the median difference and a signed-rank test)."""
    peak_vacancy = window_statistic("power_vacancy", "2022-01", "2031-12", "max")
    short, long = ("baseline", {"power.lead_time_months": 12}), \
        ("baseline", {"power.lead_time_months": 36})
    assert_increase(paired(peak_vacancy, short, long), 0.1,
                    "peak vacancy, 36 vs 12 months of construction")


def test_no_space_is_leased_for_gpus_that_would_lose_money_in_it():
    model = NeocloudMarket(rng=2, **{"market.months": 30})
    model.run(30)
    power = model.power
    assert power.worth_powering().all()          # at the market's rent every generation pays
    power.rent = 1e5                             # $100k per kW-month: none would
    assert not power.worth_powering().any()
    power.worth = power.worth_powering()
    for cloud in model.neoclouds():
        assert power.fleet_need(cloud) == 0.0 and power.powered(cloud).sum() == 0.0


def test_the_other_tenants_want_less_space_when_it_is_dear():
    model = NeocloudMarket(rng=2, **{"market.months": 12})
    power, month = model.power, model.start + 6
    normal = power.others_need(month)
    power.rent *= 4.0
    assert power.others_need(month) == pytest.approx(normal / 2.0)   # elasticity 0.5


def _crunch_stats(args: tuple[str, int]) -> tuple[float, float, float]:
    scenario, seed = args
    df = run(scenario, seed, 120)
    return (float((df["stranded_h100e"] / df["installed_h100e"]).mean()),
            float(df["colocation_rent_kw_month"].max()), float(summarize(df)["decline_24m"]))


@pytest.mark.slow
def test_in_a_power_crunch_gpus_wait_for_space_rents_soar_and_the_bust_is_milder():
    """`power_crunch` (four-year connections, half the construction ceiling) against the
    baseline, paired (measured under Pythons 3.11 and 3.12, ten seeds: mean stranded share
    0.3% -> 9.3% and 10.1%, peak rent $171 -> $394 and $391 per kW-month, in the median).
    The fall within 24 months of the peak is milder, by little against the seed noise, so
    over forty seeds: a median 0.049 and 0.042 less, milder in 33 and 31 (p = 2e-6 and 1e-4;
    ten seeds gave p = 0.08 under 3.12): capacity that cannot be powered does not reach the
    market."""
    forty = range(1, 41)
    base = [_crunch_stats(("baseline", s)) for s in forty]
    crunch = [_crunch_stats(("power_crunch", s)) for s in forty]

    def differences(i: int, first: list, second: list, seeds: int = len(SEEDS)) -> np.ndarray:
        return np.array([b[i] - a[i] for a, b in zip(first[:seeds], second[:seeds], strict=True)])

    assert_increase(differences(0, base, crunch), 0.02, "mean share of installed GPUs stranded")
    assert_increase(differences(1, base, crunch), 50.0, "peak colocation rent, $ per kW-month")
    assert_increase(differences(2, crunch, base, seeds=40), 0.02,
                    "fall within 24 months of the peak")
    base, crunch = base[:len(SEEDS)], crunch[:len(SEEDS)]
    # The README's levels: about a tenth of the installed GPUs wait for space (measured
    # medians 9.3% and 10.1% under Pythons 3.11 and 3.12) and the peak rent roughly doubles
    # (2.3x under both; 2.03x in the lowest seed).
    assert 0.04 <= np.median([c[0] for c in crunch]) <= 0.15
    assert np.median([c[1] / b[1] for b, c in zip(base, crunch, strict=True)]) >= 1.8


def _at(df, column: str, date: str) -> float:
    return float(df.loc[df["date"] == date, column].iloc[0])


def test_the_baselines_construction_wave_ends_in_a_glut_the_market_has_not_shown():
    """The README's known limits of the powered-space calibration, over seeds 1-10 (measured
    under Pythons 3.11 and 3.12): rents rise from CBRE's 2022 level and the pipeline swells, but
    less than in the market, and the 2023-24 construction wave completes into a glut, peak
    vacancy in 2026-28 a median 35% (32-38%) where CBRE reports under 2% through
    2025; at the end of 2024 the rent is below CBRE's $184 per kW-month in every seed
    ($166-172) and vacancy above its 1.9% (15-16%); the neoclouds' own need is small against
    the space built, so stranded GPUs are rare (mean share 0.2% in the median run,
    seeds 1-20) and a few GW by 2031 (medians 3.5 and 4.2 GW)."""
    runs = [run("baseline", seed) for seed in SEEDS]
    peak_vacancy = [float(df.loc[df["date"].between("2026-01", "2028-12"), "power_vacancy"].max())
                    for df in runs]
    assert 0.25 <= np.median(peak_vacancy) <= 0.45, peak_vacancy
    rents_2024 = [_at(df, "colocation_rent_kw_month", "2024-12") for df in runs]
    baseline = load_scenario("baseline")
    cbre_2024 = 184.06   # CBRE H2 2024 asking rent, $ per kW-month (the parameter's source)
    assert min(rents_2024) > baseline.market.colocation_kw_month and max(rents_2024) < cbre_2024
    pipeline = [df.loc[df["date"].between("2023-01", "2024-12"), "power_pipeline_mw"].max()
                for df in runs]
    assert min(pipeline) > baseline.power.initial_pipeline_mw, pipeline
    assert np.median([_at(df, "power_vacancy", "2024-12") for df in runs]) > 0.05
    stranded = [float((df["stranded_h100e"] / df["installed_h100e"]).mean()) for df in runs]
    assert np.median(stranded) < 0.01, stranded
    assert 1.0 <= np.median([_at(df, "neocloud_power_mw", "2031-12") / 1e3 for df in runs]) <= 10.0
