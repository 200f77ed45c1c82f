"""Observed data the model's outputs are compared with (docs/model.md#66-observed-data).

``neocloud_abm/data/observations.csv`` holds one row per published number: the series, the
month it applies to, the value and its unit, the source (publisher, title, address, date)
and a note on what exactly was counted and which model output it compares with. A number
without a source does not go in, so the loader refuses a row without an address.
"""

from __future__ import annotations

import csv
import math
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from neocloud_abm.core.errors import NeocloudError
from neocloud_abm.core.months import parse_month

COLUMNS = ("series", "date", "value", "unit", "source", "note")
UNITS = frozenset({
    "usd_per_gpu_hour", "usd_per_gpu", "usd", "usd_per_quarter", "usd_per_year", "fraction",
    "gpus", "months", "weeks",
})
WEEKS_PER_MONTH = 365.25 / 7 / 12
_SERIES = re.compile(r"^[a-z][a-z0-9_]*$")
_ADDRESS = re.compile(r"https?://\S+")


class ObservationError(NeocloudError, ValueError):
    """A row of an observations file that cannot be used, named by line and field."""


def observations_path() -> Path:
    """The observations file shipped with the package."""
    return Path(str(resources.files("neocloud_abm") / "data" / "observations.csv"))


def load_observations(path: str | Path | None = None) -> pd.DataFrame:
    """The observations as a DataFrame (columns :data:`COLUMNS`, ``value`` a float), in
    file order. Every row is checked; the first bad one raises :class:`ObservationError`
    naming its line, its field and what is allowed."""
    path = Path(path) if path is not None else observations_path()
    if not path.is_file():
        raise ObservationError(f"observations file {str(path)!r} not found")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != COLUMNS:
            raise ObservationError(f"{path}: the header must be exactly {','.join(COLUMNS)} "
                                   f"(found {','.join(header or []) or 'nothing'})")
        rows = [_checked(path, number, fields) for number, fields in enumerate(reader, start=2)
                if any(field.strip() for field in fields)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["value"] = frame["value"].astype(float)
    return frame


def _checked(path: Path, line: int, fields: list[str]) -> list:
    where = f"{path.name} line {line}"
    if len(fields) != len(COLUMNS):
        raise ObservationError(f"{where}: {len(fields)} fields, expected {len(COLUMNS)} "
                               f"({','.join(COLUMNS)}); quote a field that contains commas")
    series, date, value, unit, source, note = (field.strip() for field in fields)
    if not _SERIES.match(series):
        raise ObservationError(f"{where}: series {series!r} must be a snake_case name")
    try:
        parse_month(date)
    except ValueError:
        raise ObservationError(f"{where}: date {date!r} must be a month, YYYY-MM") from None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ObservationError(f"{where}: value {value!r} must be a finite number")
    if unit not in UNITS:
        raise ObservationError(f"{where}: unit {unit!r} is not one of {', '.join(sorted(UNITS))}")
    if not _ADDRESS.search(source):
        raise ObservationError(f"{where}: source {source!r} must name where the number was "
                               "published, with its address (http...)")
    if not note:
        raise ObservationError(f"{where}: note is empty; say what was counted and which model "
                               "output it compares with")
    return [series, date, number, unit, source, note]


def in_months(rows: pd.DataFrame) -> np.ndarray:
    """The rows' values with durations reported in weeks read as months."""
    return np.where(rows["unit"] == "weeks", rows["value"] / WEEKS_PER_MONTH, rows["value"])


def series_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per series: its unit(s), how many observations, the first and last month,
    and how many distinct sources back it."""
    grouped = frame.groupby("series", sort=True)
    return pd.DataFrame({
        "unit": grouped["unit"].agg(lambda units: ", ".join(sorted(set(units)))),
        "observations": grouped.size(),
        "first": grouped["date"].min(),
        "last": grouped["date"].max(),
        "sources": grouped["source"].nunique(),
    }).reset_index()
