"""Experiment specs, designs, seeds and sensitivity estimators (no model runs)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neocloud_abm import NeocloudError
from neocloud_abm.experiments import (
    Range,
    aggregate,
    load_spec,
    morris_indices,
    noise_shares,
    run_seed,
    run_table,
    sample_points,
    sobol_indices,
)

ROOT = Path(__file__).resolve().parents[1]
HEAD = 'name = "t"\nscenario = "baseline"\nmonths = 12\nseed = 1\n'
GRID = '[design]\nkind = "grid"\n[design.parameters]\n'


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_specs_are_valid(path: Path) -> None:
    spec = load_spec(path)
    runs = run_table(spec)
    assert spec.name == path.stem
    assert len(runs) == spec.replications * runs["point"].nunique()
    for name, axis in spec.parameters.items():
        low, high = (axis.low, axis.high) if isinstance(axis, Range) else (min(axis), max(axis))
        assert runs[name].between(low, high).all()


def test_shipped_specs_cover_the_issue() -> None:
    kinds = {load_spec(p).kind for p in (ROOT / "experiments").glob("*.toml")}
    assert {"grid", "sobol"} <= kinds
    sobol = load_spec(ROOT / "experiments" / "sobol_defaults_prices.toml")
    assert 4 <= len(sobol.parameters) <= 8


@pytest.mark.parametrize(("text", "message"), [
    (HEAD + "colour = 1\n", "unknown top-level key(s) ['colour']"),
    (HEAD.replace("seed = 1\n", ""), "seed is required"),
    (HEAD.replace('"t"', '"a/b"'), "name = 'a/b' is not allowed"),
    (HEAD.replace("baseline", "nowhere"), "unknown scenario 'nowhere'"),
    (HEAD.replace("months = 12", "months = 0"), "months = 0 is not allowed: expected an integer in [1, 600]"),
    (HEAD + "replications = 0\n", "replications = 0 is not allowed: expected an integer >= 1"),
    (HEAD + 'outputs = ["spot_price"]\n', "unknown column 'spot_price'; did you mean"),
    (HEAD + '[design]\nkind = "random"\n', "design.kind = 'random' is not allowed: expected one of 'grid'"),
    (HEAD + '[design]\nkind = "grid"\nsteps = 3\n', "unknown [design] key(s) ['steps']"),
    (HEAD + GRID + '"neoclouds.competiton_neglect" = [0.5]\n',
     "unknown parameter 'neoclouds.competiton_neglect'; did you mean 'neoclouds.competition_neglect'?"),
    (HEAD + GRID + '"neoclouds.competition_neglect" = [0.5, 1.5]\n',
     "neoclouds.competition_neglect = 1.5 is not allowed: expected a number in [0.0, 1.0]"),
    (HEAD + GRID + '"neoclouds.competition_neglect" = [0.5, 0.5]\n', "values repeat"),
    (HEAD + GRID + '"neoclouds.competition_neglect" = 0.5\n', "a grid axis is a non-empty list"),
    (HEAD + GRID + '"environment.base_rate_path" = [[["2022-01", 0.01]]]\n', "is a path parameter"),
    (HEAD + '[design]\nkind = "grid"\nsamples = 4\n', "design.samples is only for lhs, sobol and morris"),
    (HEAD + '[design]\nkind = "lhs"\n[design.parameters]\n'
     '"neoclouds.competition_neglect" = { low = 0.1, high = 0.9 }\n', "design.samples is required"),
    (HEAD + '[design]\nkind = "sobol"\nsamples = 100\n[design.parameters]\n'
     '"neoclouds.competition_neglect" = { low = 0.1, high = 0.9 }\n', "expected a power of 2"),
    (HEAD + '[design]\nkind = "lhs"\nsamples = 8\n', "a lhs design needs at least one"),
    (HEAD + '[design]\nkind = "lhs"\nsamples = 8\n[design.parameters]\n'
     '"neoclouds.competition_neglect" = { low = 0.9, high = 0.1 }\n', "low = 0.9 must be below high = 0.1"),
    (HEAD + '[design]\nkind = "lhs"\nsamples = 8\n[design.parameters]\n'
     '"neoclouds.competition_neglect" = { low = -1, high = 0.5 }\n',
     "neoclouds.competition_neglect = -1.0 is not allowed"),
    (HEAD + '[design]\nkind = "lhs"\nsamples = 8\n[design.parameters]\n'
     '"neoclouds.competition_neglect" = { low = 0.1, high = 0.9, step = 0.1 }\n',
     "a lhs axis is { low = ..., high = ... }"),
    (HEAD + '[design]\nkind = "morris"\nsamples = 4\n[design.parameters]\n'
     '"market.start" = { low = "2022-01", high = "2023-01" }\n', "sweep it with kind = 'grid'"),
])
def test_bad_specs_are_rejected_before_any_run(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(NeocloudError) as error:
        load_spec(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_malformed_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NeocloudError, match="malformed TOML"):
        load_spec(write(tmp_path, "name = "))
    with pytest.raises(NeocloudError, match="file not found"):
        load_spec(tmp_path / "absent.toml")


def test_nested_tables_and_scenario_beside_the_spec(tmp_path: Path) -> None:
    write(tmp_path, 'extends = "baseline"\n[parameters.neoclouds]\nentry_rate = 0.5\n', "mine.toml")
    text = HEAD.replace('"baseline"', '"mine.toml"') + GRID.replace(
        "[design.parameters]\n", "[design.parameters.neoclouds]\ncompetition_neglect = [0.2, 0.4]\n")
    spec = load_spec(write(tmp_path, text))
    assert spec.base["neoclouds.entry_rate"] == 0.5
    assert spec.parameters == {"neoclouds.competition_neglect": (0.2, 0.4)}
    assert spec.to_dict()["design"]["parameters"] == {"neoclouds.competition_neglect": [0.2, 0.4]}


def test_months_defaults_to_the_scenario_horizon(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, HEAD.replace("months = 12\n", "")))
    assert spec.months == spec.base["market.months"]
    assert len(run_table(spec)) == 1


UNIT = {"a": Range(0.0, 1.0), "b": Range(-2.0, 6.0), "c": Range(10.0, 20.0, integer=True)}


def test_grid_design_is_every_combination() -> None:
    points = sample_points("grid", {"a": (1, 2, 3), "b": ("x", "y")}, None, seed=0)
    assert points.to_dict("list") == {"a": [1, 1, 2, 2, 3, 3], "b": ["x", "y"] * 3}


@pytest.mark.parametrize(("kind", "samples", "size"), [
    ("lhs", 20, 20), ("sobol", 16, 16 * (3 + 2)), ("morris", 10, 10 * (3 + 1))])
def test_sampled_designs_have_expected_sizes_and_bounds(kind: str, samples: int, size: int) -> None:
    points = sample_points(kind, UNIT, samples, seed=3)
    assert points.shape == (size, 3)
    for name, axis in UNIT.items():
        assert points[name].between(axis.low, axis.high).all()
    assert points["c"].dtype.kind == "i"
    pd.testing.assert_frame_equal(points, sample_points(kind, UNIT, samples, seed=3))
    assert not points.equals(sample_points(kind, UNIT, samples, seed=4))


def test_lhs_puts_one_point_in_each_stratum() -> None:
    points = sample_points("lhs", UNIT, 25, seed=5)
    for name in ("a", "b"):
        axis = UNIT[name]
        strata = np.floor((points[name] - axis.low) / (axis.high - axis.low) * 25)
        assert sorted(strata) == list(range(25))


def test_morris_points_lie_on_the_four_level_grid() -> None:
    points = sample_points("morris", {"a": Range(0.0, 3.0)}, 6, seed=1)
    assert set(points["a"].round(12)) <= {0.0, 1.0, 2.0, 3.0}


def test_run_seeds_follow_seed_sequence_spawn_and_key_only() -> None:
    child = np.random.SeedSequence(42).spawn(3)[2].spawn(5)[4]
    expected = int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
    assert run_seed(42, 2, 4) == expected
    seeds = {run_seed(42, p, r) for p in range(20) for r in range(20)}
    assert len(seeds) == 400
    assert all(0 <= s < 2**63 for s in seeds)


def test_run_table_keys_seeds_and_parameters(tmp_path: Path) -> None:
    text = (HEAD + "replications = 2\n" + GRID + '"neoclouds.competition_neglect" = [0.2, 0.4]\n'
            + '"nvidia.generation_interval_months" = [12, 24]\n')
    runs = run_table(load_spec(write(tmp_path, text)))
    assert list(runs.columns) == ["point", "replication", "seed", "neoclouds.competition_neglect",
                                  "nvidia.generation_interval_months"]
    assert runs["point"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert runs["replication"].tolist() == [0, 1] * 4
    keys = zip(runs["point"], runs["replication"], strict=True)
    assert runs["seed"].tolist() == [run_seed(1, p, r) for p, r in keys]


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def as_summary(points: pd.DataFrame, y: np.ndarray, replications: int = 1) -> pd.DataFrame:
    """A summary-shaped frame: each point repeated, replications spread symmetrically around y."""
    frames = []
    for r in range(replications):
        offset = (r - (replications - 1) / 2) * 0.5
        frames.append(points.assign(point=points.index, replication=r, y=y + offset, status="ok"))
    return pd.concat(frames, ignore_index=True)


def test_sobol_indices_match_ishigami() -> None:
    bounds = {name: (-math.pi, math.pi) for name in ("x1", "x2", "x3")}
    points = sample_points("sobol", {n: Range(*b) for n, b in bounds.items()}, 2048, seed=11)
    indices = sobol_indices(as_summary(points, ishigami(points.to_numpy()), 2), "y", bounds)
    # Analytic values for a = 7, b = 0.1 (Ishigami & Homma 1990; Sobol' & Levitan 1999).
    np.testing.assert_allclose(indices["S1"], [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(indices["ST"], [0.5576, 0.4424, 0.2437], atol=0.02)


def test_sobol_confidence_intervals_are_reproducible_for_every_seed() -> None:
    """The bootstrap half-widths come from the given seed, 0 included (SALib alone would
    draw them from NumPy's global generator for a seed of 0)."""
    bounds = {name: (-math.pi, math.pi) for name in ("x1", "x2", "x3")}
    points = sample_points("sobol", {n: Range(*b) for n, b in bounds.items()}, 64, seed=11)
    summary = as_summary(points, ishigami(points.to_numpy()))
    first = sobol_indices(summary, "y", bounds)
    np.random.seed(99)   # the global generator must not matter
    pd.testing.assert_frame_equal(sobol_indices(summary, "y", bounds), first)
    assert not sobol_indices(summary, "y", bounds, seed=5).equals(first)


def test_noise_shares_separate_seed_noise_from_parameter_effects() -> None:
    """y = x + e, the parameter effect x of variance 1 and seed noise e of variance 1/4, two
    replications a point: a fifth of a single run's variance is noise (0.25 / 1.25), and a
    ninth of the point means' (0.125 / 1.125)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(4000)
    summary = pd.DataFrame({"point": np.repeat(np.arange(4000), 2), "status": "ok",
                            "y": np.repeat(x, 2) + rng.normal(0.0, 0.5, 8000)})
    shares = noise_shares(summary, "y")
    assert shares["replications"] == 2
    assert shares["runs"] == pytest.approx(0.2, rel=0.1)
    assert shares["means"] == pytest.approx(1 / 9, rel=0.1)
    assert noise_shares(summary.assign(y=1.0), "y")[["runs", "means"]].tolist() == [0.0, 0.0]
    with pytest.raises(NeocloudError, match="at least two successful replications"):
        noise_shares(summary[::2], "y")


def test_morris_indices_recover_linear_effects() -> None:
    bounds = {"x1": (0.0, 2.0), "x2": (-1.0, 1.0), "x3": (5.0, 6.0)}
    points = sample_points("morris", {n: Range(*b) for n, b in bounds.items()}, 12, seed=2)
    y = 3.0 * points["x1"] - 4.0 * points["x3"]
    indices = morris_indices(as_summary(points, y.to_numpy()), "y", bounds)
    # Effects are scaled to each parameter's range: 3 x 2, 0, -4 x 1.
    np.testing.assert_allclose(indices["mu"], [6.0, 0.0, -4.0], atol=1e-9)
    np.testing.assert_allclose(indices["sigma"], [0.0, 0.0, 0.0], atol=1e-9)


def test_indices_refuse_incomplete_designs() -> None:
    bounds = {"x1": (0.0, 1.0), "x2": (0.0, 1.0)}
    points = sample_points("sobol", {n: Range(*b) for n, b in bounds.items()}, 8, seed=0)
    summary = as_summary(points, points["x1"].to_numpy())
    summary.loc[3, "status"] = "failed"
    with pytest.raises(NeocloudError, match=r"missing .* at 1 points, e.g. \[3\]"):
        sobol_indices(summary, "y", bounds)
    with pytest.raises(NeocloudError, match="not a whole design"):
        sobol_indices(summary[summary.point < 10].assign(status="ok"), "y", bounds)
    with pytest.raises(NeocloudError, match="no statistic 'z'"):
        sobol_indices(summary, "z", bounds)


def test_aggregate_bands_skip_failed_runs() -> None:
    summary = pd.DataFrame({
        "point": [0, 0, 0, 0, 1, 1], "replication": [0, 1, 2, 3, 0, 1], "seed": range(6),
        "a.b": [1.0, 1.0, 1.0, 1.0, 2.0, 2.0], "peak_price": [1.0, 2.0, 3.0, 99.0, 5.0, 7.0],
        "peak_date": ["2024-01"] * 6, "status": ["ok", "ok", "ok", "failed", "ok", "ok"]})
    bands = aggregate(summary, quantiles=(0.5, 1.0))
    assert list(bands.columns) == ["point", "a.b", "runs", "failed", "peak_price_median",
                                   "peak_price_p50", "peak_price_p100"]
    assert bands["runs"].tolist() == [3, 2]
    assert bands["failed"].tolist() == [1, 0]
    assert bands["peak_price_median"].tolist() == [2.0, 6.0]
    assert bands["peak_price_p100"].tolist() == [3.0, 7.0]
