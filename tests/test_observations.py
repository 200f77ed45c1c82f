"""The observed data shipped with the package: every number with its source and unit, a
loader that refuses what it cannot use with a message naming the line and field, and a
command that lists it."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from neocloud_abm.interface.cli import main
from neocloud_abm.outputs.observations import (
    COLUMNS,
    WEEKS_PER_MONTH,
    ObservationError,
    load_observations,
    observations_path,
    series_summary,
)

GOOD = ('h100_rental_price,2024-06,2.0,usd_per_gpu_hour,"Example, https://example.org/a (2024-06)",'
        'on-demand price\n')


@pytest.fixture(scope="module")
def observed() -> pd.DataFrame:
    return load_observations()


def test_the_shipped_observations_load_with_a_source_for_every_number(observed):
    assert tuple(observed.columns) == COLUMNS
    assert len(observed) >= 60
    assert observed["source"].str.contains("http").all()
    assert observed["note"].str.len().gt(0).all()
    assert observed["value"].notna().all()
    assert observed["date"].between("2020-01", "2026-12").all()
    assert observations_path().is_file()
    assert observations_path().parent.parent.name == "neocloud_abm"   # ships with the package


def test_the_series_the_model_is_compared_with_are_covered(observed):
    summary = series_summary(observed).set_index("series")
    for series, at_least in {"h100_rental_price": 10, "nvidia_datacenter_revenue": 8,
                             "coreweave_revenue": 3, "gpu_backed_financing": 3}.items():
        assert summary.loc[series, "observations"] >= at_least, series
    assert (summary["unit"].str.contains(",") == False).all(), "one unit per series"  # noqa: E712


def test_a_bad_row_is_refused_naming_its_line_and_field(tmp_path):
    header = ",".join(COLUMNS) + "\n"
    bad_rows = {
        "date": GOOD.replace("2024-06", "June 2024"),
        "value": GOOD.replace(",2.0,", ",two,"),
        "unit": GOOD.replace("usd_per_gpu_hour", "dollars"),
        "source": GOOD.replace("https://example.org/a ", ""),
        "note": GOOD.replace("on-demand price", ""),
        "series": GOOD.replace("h100_rental_price", "H100 price"),
        "fields": GOOD.replace(",on-demand price", ",on-demand, spot"),
    }
    for field, row in bad_rows.items():
        path = tmp_path / f"{field}.csv"
        path.write_text(header + GOOD + row)
        with pytest.raises(ObservationError, match=f"line 3: .*{field}"):
            load_observations(path)
    nan = tmp_path / "nan.csv"
    nan.write_text(header + GOOD.replace(",2.0,", ",nan,"))
    with pytest.raises(ObservationError, match="line 2: value 'nan' must be a finite number"):
        load_observations(nan)


def test_a_bad_header_or_a_missing_file_is_named(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("series,date,value,unit,source\n")
    with pytest.raises(ObservationError, match="header must be exactly series,date,value,unit,source,note"):
        load_observations(path)
    with pytest.raises(ObservationError, match="not found"):
        load_observations(tmp_path / "missing.csv")
    good = tmp_path / "good.csv"
    good.write_text(",".join(COLUMNS) + "\n" + GOOD + "\n")
    assert load_observations(good)["value"].tolist() == [2.0]


def test_the_command_lists_series_and_one_series_with_its_sources(capsys, observed):
    assert main(["observations"]) == 0
    listing = capsys.readouterr().out
    assert "h100_rental_price" in listing and "nvidia_datacenter_revenue" in listing
    assert main(["observations", "--series", "h100_rental_price", "--format", "csv"]) == 0
    rows = capsys.readouterr().out
    assert rows.count("\n") == 1 + (observed["series"] == "h100_rental_price").sum()
    assert main(["observations", "--series", "h100_rental_prices"]) == 2
    assert "did you mean 'h100_rental_price'" in capsys.readouterr().err


def test_the_validation_bands_hold_for_what_was_observed(observed):
    """Each fact that the observations measure directly passes its own band on the observed
    numbers (so a band is the data's range, not one drawn to fit the model)."""
    from neocloud_abm.outputs.validation import FACTS

    facts = {fact.key: fact for fact in FACTS}

    def values(series: tuple[str, ...], first: str, last: str) -> pd.Series:
        rows = observed[observed["series"].isin(series) & observed["date"].between(first, last)]
        assert len(rows), (series, first, last)
        return rows["value"]

    peak_2023 = values(("h100_rental_price",), "2023-01", "2024-06").max()
    late_2025 = values(("h100_rental_price", "h100_contract_price"), "2025-07", "2025-12").mean()
    lead_2023 = values(("nvidia_lead_time_weeks",), "2023-01", "2023-12").max() / WEEKS_PER_MONTH
    lent_ahead = (values(("gpu_backed_financing",), "2023-08", "2023-08").max()
                  / values(("coreweave_revenue",), "2023-12", "2023-12").iloc[0])
    for key, observed_value in {"S8a": peak_2023, "S8c": late_2025, "lead": lead_2023,
                                "S6": lent_ahead}.items():
        assert facts[key].holds(observed_value), (key, observed_value)


def test_the_figure_puts_every_observation_in_its_window_over_the_models_spread(observed):
    from neocloud_abm.interface.plots import OBSERVED_PANELS, observed_figure
    from neocloud_abm.model import simulate

    frames = [simulate({"market.months": 60}, seed=seed) for seed in (1, 2)]
    fig = observed_figure(frames, observed)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [(ax.get_title("left") or ax.get_title())[:3] for ax in axes] == ["(a)", "(b)", "(c)", "(d)"]
    for ax, panel in zip(axes, OBSERVED_PANELS, strict=True):
        series = [name for name, _, _ in panel.observed]
        expected = observed["series"].isin(series) & observed["date"].between("2022-01", "2026-12")
        drawn = sum(len(points.get_offsets()) for points in ax.collections
                    if isinstance(points, PathCollection))
        assert drawn == expected.sum(), panel.title
        median = ax.lines[0].get_ydata()
        assert len(median) and (median > 0).all(), panel.title   # no price before a chip exists


def test_validate_writes_the_figure_and_exits_one_on_a_miss(tmp_path, capsys):
    code = main(["validate", "--seeds", "1", "--figure", str(tmp_path / "fig" / "observed")])
    out = capsys.readouterr().out
    assert (tmp_path / "fig" / "observed.png").stat().st_size > 10_000
    assert (tmp_path / "fig" / "observed.svg").exists()
    assert code == (0 if "MISS" not in out else 1)
