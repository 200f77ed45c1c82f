"""In-house accelerator programs prompted by Nvidia's pricing power
(`environment.asic_markup_response`, off by default; docs/model.md#71-environment).

Measured 2026-12-07 (seeds 1-40, 72 months, response 1 against 0; Pythons 3.11 and 3.12),
on the model with the default waterfall: over 2025-26 Nvidia delivers a median 0.27 and
0.34 million H100e fewer (in 35 and 36 seeds; asserted: 0.1 million) and its longest lead
time is a median 0.20 and 0.24 months shorter (in 32 and 34; asserted: 0.1). Before it: the
ASIC share at the end of 2025 0.60 against 0.34 in the median seed, deliveries 1.29-1.39
million H100e against 1.68 million, the backlog 0.57-0.61 of it, the lead time 0.34-0.44
months shorter (in 36). The markups of the 2023 shortage, turned into ASIC
programs, take demand from the next generations and with it Nvidia's pricing power. The
lead times of 2025-26 are those of Blackwell's and Rubin's order books, which open nine
months before each ships.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_increase, paired, run
from conftest import window_statistic as window

from neocloud_abm import NeocloudMarket, load_scenario

MONTHS = 72
FORTY = tuple(range(1, 41))
PATH = ("baseline", {})
RESPONSIVE = ("baseline", {"environment.asic_markup_response": 1.0})


def _path_share(model: NeocloudMarket) -> float:
    env = model.p.environment
    years = (model.month - model.start) / 12.0
    return min(env.asic_share_start + env.asic_share_growth * years, env.asic_share_max)


def test_programs_deploy_after_their_lead_time_and_add_what_the_markups_imply():
    model = NeocloudMarket(load_scenario("baseline"), rng=1,
                           **{"environment.asic_markup_response": 1.0, "market.months": 48})
    lag = model.p.environment.asic_program_months
    for _ in range(48):
        model.step()
        markups = model.history["nvidia_markup"][:-1]   # what this month's step could see
        deployed = markups[: max(len(markups) - lag + 1, 0)]
        expected = min(_path_share(model) + sum(deployed) / 12.0,
                       model.p.environment.asic_share_max)
        assert model.env.asic_share == pytest.approx(expected, rel=1e-12)
        first_markup = next((i for i, m in enumerate(markups) if m > 0), None)
        if first_markup is None or len(markups) < first_markup + lag:
            assert model.env.asic_share == pytest.approx(_path_share(model), rel=1e-12)
    assert model.env.asic_share > _path_share(model) + 0.05


def test_without_a_response_the_share_follows_its_path():
    df = run("baseline", 1, 48)
    months = np.arange(len(df)) / 12.0
    env = load_scenario("baseline").environment
    path = np.minimum(env.asic_share_start + env.asic_share_growth * months, env.asic_share_max)
    assert np.allclose(df["asic_share"], path, rtol=1e-12)


@pytest.mark.slow
def test_asic_programs_take_demand_and_pricing_power_from_nvidias_next_generations():
    deliveries = paired(window("deliveries_h100e", "2025-01", "2026-12", "sum"),
                        RESPONSIVE, PATH, months=MONTHS, seeds=FORTY)
    assert_increase(deliveries / 1e3, 100.0,
                    "Nvidia's 2025-26 deliveries (thousand H100e), path - responsive ASICs")
    lead_time = paired(window("nvidia_lead_time_months", "2025-01", "2026-12", "max"),
                       RESPONSIVE, PATH, months=MONTHS, seeds=FORTY)
    assert_increase(lead_time, 0.1, "Nvidia's longest 2025-26 lead time (months), path - "
                                    "responsive ASICs")
