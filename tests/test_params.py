"""Parameter tree, scenarios and their validation."""

from __future__ import annotations

import pickle

import pytest

from neocloud_abm import NeocloudError, ParameterError, Params, load_scenario
from neocloud_abm.parameters.params import parse_assignment
from neocloud_abm.parameters.registry import PARAMETERS
from neocloud_abm.parameters.scenarios import list_scenarios
from neocloud_abm.parameters.spec import coerce

CONTRACT_NAMES = (
    "neoclouds.competition_neglect", "neoclouds.assumed_life_months", "neoclouds.extrapolation",
    "nvidia.generation_interval_months", "nvidia.deployment_lag_months",
    "startups.price_elasticity", "startups.initial_count", "market.start", "market.months",
)


def test_contract_names_exist_with_documented_meaning():
    for name in CONTRACT_NAMES:
        spec = PARAMETERS[name]
        assert spec.unit and spec.source and spec.doc
    assert PARAMETERS["neoclouds.competition_neglect"].low == 0.0
    assert PARAMETERS["neoclouds.competition_neglect"].high == 1.0


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_every_default_is_valid_and_sourced(name):
    spec = PARAMETERS[name]
    assert coerce(name, spec, spec.default) == spec.default
    assert spec.unit.strip() and spec.source.strip() and spec.doc.strip()


def test_groups_read_as_attributes_and_items():
    params = Params()
    assert params.neoclouds.competition_neglect == params["neoclouds.competition_neglect"]
    assert params.market.start == "2022-01"


def test_override_replaces_only_that_value():
    base = Params()
    changed = base.with_overrides({"neoclouds.competition_neglect": 1})
    assert changed.neoclouds.competition_neglect == 1.0
    assert isinstance(changed.neoclouds.competition_neglect, float)
    assert changed.startups.initial_count == base.startups.initial_count
    assert base.neoclouds.competition_neglect != 1.0


def test_typo_suggests_the_nearest_name():
    with pytest.raises(ParameterError, match=r"did you mean 'neoclouds\.competition_neglect'"):
        Params().with_overrides({"neoclouds.competition_neglet": 0.5})


@pytest.mark.parametrize("name, value, fragment", [
    ("neoclouds.competition_neglect", 1.5, r"\[0.0, 1.0\]"),
    ("neoclouds.competition_neglect", "high", "a number"),
    ("neoclouds.competition_neglect", True, "a number"),
    ("startups.initial_count", 2.5, "an integer"),
    ("startups.initial_count", 0, r"\[1, 100000\]"),
    ("market.start", "2022-13", "YYYY-MM"),
    ("market.months", float("nan"), "an integer"),
    ("environment.base_rate_path", [["2023-01", 0.05], ["2022-01", 0.01]], "date order"),
])
def test_bad_values_name_field_value_and_allowed_range(name, value, fragment):
    with pytest.raises(ParameterError, match=fragment) as info:
        Params().with_overrides({name: value})
    assert name in str(info.value)


def test_parse_assignment_reads_toml_values():
    assert parse_assignment("neoclouds.competition_neglect=1") == ("neoclouds.competition_neglect", 1.0)
    assert parse_assignment("market.start=2023-01") == ("market.start", "2023-01")
    assert parse_assignment("market.start='2023-01'") == ("market.start", "2023-01")
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        parse_assignment("market.start")


def test_builtin_scenarios_load_and_describe_themselves():
    scenarios = list_scenarios()
    for name in ("baseline", "blackwell_shock", "ai_winter", "hyperscaler_asics"):
        assert scenarios[name]
        assert load_scenario(name).name == name
    assert load_scenario("baseline").shocks == ()


def test_scenario_extends_baseline_and_carries_shocks():
    winter = load_scenario("ai_winter")
    assert winter.market.months == load_scenario("baseline").market.months
    (shock,) = winter.shocks
    assert shock.date == "2025-06" and shock.sentiment < 0
    assert dict(shock.set)["startups.funding_success"] == 0.1


def test_scenario_file_errors_are_clear(tmp_path):
    with pytest.raises(NeocloudError, match="file not found"):
        load_scenario(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[parameters\nx = 1")
    with pytest.raises(NeocloudError, match="malformed TOML"):
        load_scenario(broken)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[parameters.neoclouds]\ncompetition_neglect = 3.0\n")
    with pytest.raises(ParameterError, match=r"competition_neglect = 3.0 .*\[0.0, 1.0\]"):
        load_scenario(unknown)
    shock = tmp_path / "shock.toml"
    shock.write_text('[[shocks]]\ndate = "2024-01"\nsentimnt = -1\n')
    with pytest.raises(ParameterError, match="unknown shock field"):
        load_scenario(shock)
    with pytest.raises(NeocloudError, match="unknown scenario 'nope'"):
        load_scenario("nope")


def test_params_survive_pickling_for_process_pools():
    params = load_scenario("ai_winter").with_overrides({"neoclouds.extrapolation": 0.9})
    copy = pickle.loads(pickle.dumps(params))
    assert copy == params and copy.shocks == params.shocks
    assert copy.neoclouds.extrapolation == 0.9
