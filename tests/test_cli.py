"""The command line as a user meets it: outputs written, errors explained, no tracebacks."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neocloud_abm import NeocloudMarket, load_scenario
from neocloud_abm.core.chips import run_schedule
from neocloud_abm.interface.cli import main
from neocloud_abm.outputs.provenance import blas_kernel, cpu_features
from neocloud_abm.outputs.reporters import PER_GENERATION, generation_columns
from neocloud_abm.parameters.registry import PARAMETERS


def test_run_prints_a_summary_and_writes_series_and_figure(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "--months", "30", "--seed", "3", "--out", str(out),
                 "--set", "neoclouds.competition_neglect=0.9"])
    assert code == 0
    printed = capsys.readouterr().out
    for fragment in ("spot price peak", "trough after peak", "neocloud defaults", "revenue gap",
                     "installed capacity", "aggregate LTV", "lender losses", "max drawdown", "margin calls"):
        assert fragment in printed
    series = pd.read_parquet(out / "series.parquet")
    assert len(series) == 30 and series["date"].iloc[-1] == "2024-06"
    pd.testing.assert_frame_equal(series, pd.read_csv(out / "series.csv"), check_dtype=False)
    assert (out / "anatomy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert '"neoclouds.competition_neglect": 0.9' in (out / "run.json").read_text()
    assert "series.parquet, series.csv, generations.parquet, run.json, anatomy.png" in printed
    assert not list(out.glob(".*.tmp*"))
    # The run's arithmetic besides the versions: the CPU features that decide its last bits,
    # and the BLAS kernel for the record (tests/test_reference.py: runs do not depend on it).
    arithmetic = json.loads((out / "run.json").read_text())["provenance"]["arithmetic"]
    assert arithmetic == {"cpu_features": cpu_features(), "blas": blas_kernel()}
    assert "SSE2" in arithmetic["cpu_features"] or platform.machine() != "x86_64"


def test_run_writes_the_generation_table_of_the_month_table(tmp_path):
    """generations.parquet holds, for every generation of the run's chip schedule and every
    per-generation variable, exactly the month table's matching column, month by month."""
    out = tmp_path / "run"
    assert main(["run", "--months", "40", "--seed", "5", "--out", str(out)]) == 0
    series = pd.read_parquet(out / "series.parquet")
    table = pd.read_parquet(out / "generations.parquet")
    assert list(table.columns) == ["date", "generation", "variable", "value"]
    params = load_scenario("baseline").with_overrides({"market.months": 40})
    schedule = run_schedule(params)
    assert len({g.name for g in schedule}) >= 2
    expected = {(g.name, variable) for g in schedule for variable in PER_GENERATION.values()}
    groups = table.groupby(["generation", "variable"], sort=False)
    assert set(groups.groups) == expected and len(table) == len(expected) * len(series)
    prefixes = {variable: prefix for prefix, variable in PER_GENERATION.items()}
    for (generation, variable), rows in groups:
        assert rows["date"].tolist() == series["date"].tolist()
        np.testing.assert_array_equal(rows["value"].to_numpy(), series[f"{prefixes[variable]}_{generation}"],
                                      err_msg=f"{variable} of {generation}")


@pytest.mark.parametrize("argv, fragment", [
    (["run", "--set", "neoclouds.competition_neglet=0.5"], "did you mean"),
    (["run", "--set", "neoclouds.competition_neglect=7"], "[0.0, 1.0]"),
    (["run", "--set", "startups.initial_count=many"], "an integer"),
    (["run", "--scenario", "no_such_scenario"], "unknown scenario"),
    (["run", "--scenario", "missing/file.toml"], "file not found"),
])
def test_bad_input_is_a_clear_error_and_nonzero_exit(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_malformed_scenario_file(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("name = 'x'\n[parameters.market\n")
    assert main(["run", "--scenario", str(path)]) == 2
    assert "malformed TOML" in capsys.readouterr().err


def test_out_of_range_months_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--months", "0"])
    assert info.value.code == 2
    assert "allowed 1..600" in capsys.readouterr().err


def test_params_lists_every_parameter_with_unit_and_source(capsys):
    assert main(["params", "--format", "csv"]) == 0
    from io import StringIO

    table = pd.read_csv(StringIO(capsys.readouterr().out))
    assert set(table["name"]) == set(PARAMETERS)
    assert table["unit"].notna().all() and table["source"].notna().all()


def test_the_documented_parameter_registry_is_the_live_one(capsys):
    """docs/model.md's Appendix A is exactly `params --format markdown`: the documentation
    cannot drift from the code (regenerate the appendix with that command)."""
    assert main(["params", "--format", "markdown"]) == 0
    tables = capsys.readouterr().out
    doc = (Path(__file__).parents[1] / "docs" / "model.md").read_text(encoding="utf-8")
    appendix = doc[doc.index("**market**\n\n| parameter"):doc.index("## Appendix B")]
    assert appendix.strip() == tables.strip()
    assert all(f"`{name}`" in tables for name in PARAMETERS)


def test_every_output_column_is_documented():
    """Each column of the month table (per-generation columns by their prefix) is named in
    docs/model.md (section 7.12), so a new output cannot ship undocumented."""
    model = NeocloudMarket(load_scenario("baseline").with_overrides({"market.months": 30}), rng=1)
    doc = (Path(__file__).parents[1] / "docs" / "model.md").read_text(encoding="utf-8")
    per_generation = set(generation_columns(model.gens))
    names = [c for c in model.datacollector.model_reporters if c not in per_generation]
    names += [f"{prefix}_<gen>" for prefix in PER_GENERATION]
    assert len(names) > 50
    assert [name for name in names if f"`{name}`" not in doc] == []


def test_scenarios_lists_the_builtins(capsys):
    assert main(["scenarios"]) == 0
    printed = capsys.readouterr().out
    assert "baseline" in printed and "ai_winter" in printed


def test_console_script_is_installed():
    done = subprocess.run([sys.executable, "-m", "neocloud_abm", "run", "--set", "x.y=1"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "unknown parameter 'x.y'" in done.stderr
