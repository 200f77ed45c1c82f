"""Every bad input is a one-line error naming the field and what is allowed, before any
simulation starts: on the command line (exit status 2), in scenario and sweep files, and in
the Python API. Never a traceback from deep inside, never silently wrong output."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from neocloud_abm import NeocloudError, NeocloudMarket, Params, load_scenario, simulate, summarize
from neocloud_abm.core.errors import ScenarioWarning
from neocloud_abm.experiments import load_spec, run_table
from neocloud_abm.interface.cli import main

# --- command line -------------------------------------------------------------------------

CLI_CASES = [
    (["run", "--seed", "-1"], "--seed '-1' is not allowed: expected an integer >= 0"),
    (["run", "--seed", "abc"], "--seed 'abc' is not allowed"),
    (["run", "--months", "0"], "--months 0 is out of range: allowed 1..600"),
    (["run", "--months", "many"], "--months 'many' is not a whole number"),
    (["run", "--months", "72", "--set", "market.months=24"], "disagree"),
    (["run", "--set", "neoclouds.competition_neglet=0.5"],
     "did you mean 'neoclouds.competition_neglect'"),
    (["run", "--set", "neoclouds.competition_neglect=7"], "[0.0, 1.0]"),
    (["run", "--set", "startups.initial_count=many"], "an integer"),
    (["run", "--set", "hedge_funds.target_leverage=5"],
     "hedge_funds.target_leverage <= hedge_funds.max_leverage"),
    (["run", "--set", "market.start=1900-01"], "not before the first chip release"),
    (["run", "--set", "lenders.max_ltv"], "expected NAME=VALUE"),
    (["run", "--scenario", "no_such_scenario"], "unknown scenario 'no_such_scenario'"),
    (["run", "--scenario", "baselin"], "did you mean 'baseline'"),
    (["run", "--scenario", "missing/file.toml"], "file not found"),
    (["params", "--group", "nvdia"], "did you mean 'nvidia'"),
    (["params", "--format", "markdown", "--scenario", "baseline"], "leave out --scenario"),
    (["validate", "--seeds", "0"], "--seeds 0 is out of range: allowed 1..1000"),
    (["validate", "--seeds", "abc"], "--seeds 'abc' is not a whole number"),
    (["plot", "nowhere-at-all"], "does not exist"),
    (["sweep", "no-such-spec.toml"], "file not found"),
]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit status and stderr of the command, whether argparse or the command rejects it."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("argv, fragment", CLI_CASES, ids=[" ".join(a) for a, _ in CLI_CASES])
def test_command_line_rejects_bad_input_with_one_line(argv, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = run_cli(argv, capsys)
    assert code == 2, err
    assert fragment in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists(), "nothing is written for a rejected command"


def test_out_pointing_at_a_file_is_refused_before_simulating(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    code, err = run_cli(["run", "--out", str(target)], capsys)
    assert code == 2 and f"--out {target} is a file" in err
    assert target.read_text() == "not a folder"


def test_out_below_a_file_cannot_be_written(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code, err = run_cli(["run", "--out", str(tmp_path / "file" / "run")], capsys)
    assert code == 2 and "cannot be written" in err


# --- scenario files -------------------------------------------------------------------------

SCENARIO_CASES = {
    "escaping_name": ('name = "../../../somewhere/ESCAPED"\nextends = "baseline"\n', "name = "),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not a text (UTF-8) TOML file"),
    "malformed": ("name = 'x'\n[parameters.market\n", "malformed TOML"),
    "empty": ("", "the scenario sets nothing"),
    "shocks_not_tables": ('extends = "baseline"\nshocks = 3\n', "shocks are an array of tables"),
    "unknown_key": ('extends = "baseline"\ncolour = "red"\n', "unknown top-level key(s) ['colour']"),
    "start_before_chips": ('extends = "baseline"\n[parameters.market]\nstart = "1900-01"\n',
                           "not before the first chip release"),
    "terms_reversed": ('extends = "baseline"\n[parameters.startups]\nmin_term_months = 60\n'
                       'max_term_months = 12\n', "startups.min_term_months <= startups.max_term_months"),
    "shock_before_start": ('extends = "baseline"\n[[shocks]]\ndate = "1990-01"\nsentiment = -1\n',
                           "dated before market.start = 2022-01"),
    "shock_sets_setup_parameter": ('extends = "baseline"\n[[shocks]]\ndate = "2024-01"\n'
                                   'set = { "hedge_funds.count" = 0 }\n',
                                   "hedge_funds.count is read only when the model is built"),
    "shock_breaks_a_rule": ('extends = "baseline"\n[[shocks]]\ndate = "2024-01"\n'
                            'set = { "hedge_funds.target_leverage" = 4.0 }\n',
                            "shock of 2024-01: hedge_funds.target_leverage = 4.0"),
    "shock_value_out_of_range": ('extends = "baseline"\n[[shocks]]\ndate = "2024-01"\nsentiment = 99\n',
                                 "shocks[0].sentiment = 99 is not allowed"),
    "bad_parameters_table": ('extends = "baseline"\nparameters = 3\n', "[parameters] must be a table"),
    "typo_in_extends": ('extends = "baselin"\n', "did you mean 'baseline'"),
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_scenario_files_are_checked(case, tmp_path):
    text, fragment = SCENARIO_CASES[case]
    path = tmp_path / f"{case}.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(NeocloudError) as info:
        load_scenario(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value), "the message names the file"


def test_extends_cycles_are_reported_with_the_chain(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    (tmp_path / "self.toml").write_text('extends = "self.toml"\n')
    with pytest.raises(NeocloudError, match=r"cycle: .*a\.toml -> .*b\.toml -> .*a\.toml"):
        load_scenario(tmp_path / "a.toml")
    with pytest.raises(NeocloudError, match=r"cycle: .*self\.toml -> .*self\.toml"):
        load_scenario(tmp_path / "self.toml")


def test_extends_resolves_beside_the_file_not_the_working_directory(tmp_path, monkeypatch):
    near, elsewhere = tmp_path / "scenarios", tmp_path / "elsewhere"
    near.mkdir()
    elsewhere.mkdir()
    (near / "parent.toml").write_text('extends = "baseline"\n[parameters.lenders]\nmax_ltv = 0.5\n')
    (near / "child.toml").write_text('extends = "parent.toml"\n')
    # a decoy of the same name in the working directory must not be picked up
    (elsewhere / "parent.toml").write_text('extends = "baseline"\n[parameters.lenders]\nmax_ltv = 0.9\n')
    monkeypatch.chdir(elsewhere)
    assert load_scenario(near / "child.toml").lenders.max_ltv == 0.5


def test_a_shock_after_the_horizon_is_a_warning_with_its_date(tmp_path):
    path = tmp_path / "late.toml"
    path.write_text('extends = "baseline"\n[[shocks]]\ndate = "2099-01"\nlabel = "far"\nsentiment = -1\n')
    with pytest.warns(ScenarioWarning, match="shock of 2099-01 .* after the last simulated month 2031-12"):
        NeocloudMarket(load_scenario(path), rng=1)


def test_a_short_run_of_a_shocked_scenario_warns_that_the_shock_will_not_act(capsys):
    with pytest.warns(ScenarioWarning, match="2025-06"):
        NeocloudMarket(load_scenario("ai_winter").with_overrides({"market.months": 12}), rng=1)


# --- sweep specs ----------------------------------------------------------------------------

SPEC_HEAD = 'name = "bad"\nscenario = "baseline"\nseed = 1\nmonths = 6\n'
SPEC_CASES = {
    "huge_lhs": ('[design]\nkind = "lhs"\nsamples = 1000000000\n[design.parameters]\n'
                 '"lenders.max_ltv" = { low = 0.4, high = 0.8 }\n',
                 "1,000,000,000 runs, more than the limit"),
    "huge_replications": ('replications = 100000000\n', "100,000,000 runs, more than the limit"),
    "huge_grid": ('[design]\nkind = "grid"\n[design.parameters]\n'
                  + "".join(f'"lenders.{p}" = [{", ".join(str(0.01 * i) for i in range(1, 41))}]\n'
                            for p in ("max_ltv", "ltv_cushion", "spot_revenue_haircut",
                                      "waiver_probability")),
                  "2,560,000 runs, more than the limit"),
    "normal_distribution": ('[design]\nkind = "lhs"\nsamples = 4\n[design.parameters]\n'
                            '"neoclouds.competition_neglect" = { dist = "normal", mu = 0.5, sigma = 0.1 }\n',
                            "only uniform ranges are supported"),
    "rule_broken_by_a_point": ('[design]\nkind = "lhs"\nsamples = 8\n[design.parameters]\n'
                               '"hedge_funds.target_leverage" = { low = 1.0, high = 5.0 }\n',
                               "hedge_funds.target_leverage <= hedge_funds.max_leverage"),
    "two_horizons": ('[design]\nkind = "grid"\n[design.parameters]\n"market.months" = [12, 24]\n',
                     "both set the horizon"),
    "escaping_name": (None, "name = "),
    "output_of_an_unknown_generation": ('outputs = ["gpu_value_a1000"]\n',
                                        "did you mean 'gpu_value_a100'"),
    "output_of_a_generation_after_the_horizon": ('outputs = ["spot_price_rubin"]\n',
                                                 "unknown column 'spot_price_rubin'"),
}


@pytest.mark.parametrize("case", sorted(SPEC_CASES))
def test_sweep_specs_are_checked_before_anything_runs(case, tmp_path):
    body, fragment = SPEC_CASES[case]
    text = (SPEC_HEAD + body) if body is not None else SPEC_HEAD.replace('"bad"', '"../../x"')
    path = tmp_path / "spec.toml"
    path.write_text(text)
    with pytest.raises(NeocloudError) as info:
        run_table(load_spec(path))
    assert fragment in str(info.value)


def test_the_size_limit_can_be_raised(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC_HEAD + "replications = 2000\n")
    with pytest.raises(NeocloudError, match="2,000 runs, more than the limit of 1,000"):
        load_spec(path, max_runs=1000)
    assert load_spec(path, max_runs=5000).replications == 2000


# --- Python API -------------------------------------------------------------------------------

API_CASES: list[tuple[str, Callable[[], object], str]] = [
    ("params as a string", lambda: NeocloudMarket(params="baseline"), "params must be a Params"),
    ("negative seed", lambda: NeocloudMarket(rng=-1), "seed = -1 is not allowed"),
    ("text seed", lambda: NeocloudMarket(rng="abc"), "seed = 'abc' is not allowed"),
    ("unknown keyword", lambda: NeocloudMarket(rng=1, colour="red"), "unknown parameter 'colour'"),
    ("empty scenario name", lambda: load_scenario(""), "scenario name is empty"),
    ("scenario of the wrong type", lambda: load_scenario(3), "scenario must be a name or a path"),
    ("zero months", lambda: simulate(months=0), "market.months = 0 is not allowed"),
    ("too many months", lambda: simulate(months=601), "market.months = 601 is not allowed"),
    ("summary of nothing", lambda: summarize(pd.DataFrame()), "at least one month"),
    ("overrides as a list", lambda: Params().with_overrides([("lenders.max_ltv", 0.5)]),
     "overrides must be a mapping"),
    ("running past the horizon", lambda: NeocloudMarket(rng=1, **{"market.months": 2}).run(3),
     "expected an integer in [1, 2]"),
    ("a rule broken in the API", lambda: Params({"startups.min_term_months": 60,
                                                 "startups.max_term_months": 12}), "min_term_months"),
]


@pytest.mark.parametrize("case, call, fragment", API_CASES, ids=[c for c, _, _ in API_CASES])
def test_api_rejects_bad_input_like_the_command_line(case, call, fragment):
    with pytest.raises(NeocloudError) as info:
        call()
    assert fragment in str(info.value)


def test_stepping_past_the_horizon_is_an_error_not_a_silent_change():
    model = NeocloudMarket(rng=1, **{"market.months": 2})
    model.run()
    with pytest.raises(NeocloudError, match="built for 2 months"):
        model.step()


def test_numpy_numbers_are_accepted_where_python_numbers_are():
    params = Params().with_overrides({"lenders.max_ltv": np.float32(0.5),
                                      "startups.initial_count": np.int64(300),
                                      "nvidia.circular_financing": np.bool_(True)})
    assert params.lenders.max_ltv == pytest.approx(0.5)
    assert type(params.startups.initial_count) is int and params.nvidia.circular_financing is True
    assert len(simulate(params, seed=np.int64(3), months=np.int64(2))) == 2


def test_the_bad_input_lists_are_long_enough():
    """The issue asks for at least 30 bad inputs across the four entry points."""
    total = len(CLI_CASES) + len(SCENARIO_CASES) + len(SPEC_CASES) + len(API_CASES)
    assert total >= 30 and min(map(len, (CLI_CASES, SCENARIO_CASES, SPEC_CASES, API_CASES))) >= 5


def test_no_warning_for_a_scenario_run_over_its_own_horizon():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)
        NeocloudMarket(load_scenario("ai_winter"), rng=1)

