"""The validated parameter tree, scenarios (TOML) with dated shocks, and dotted overrides.

Every parameter is declared once in :mod:`neocloud_abm.defaults` with its default, unit,
bounds and source. Everything that reaches the model passes through :func:`coerce`, so a
bad value is rejected where it enters (a TOML file, ``--set``, ``with_overrides``) with a
message that names the field, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from neocloud_abm.months import format_month, parse_month


class NeocloudError(Exception):
    """An error caused by the user's input; the CLI prints it without a traceback."""


class ParameterError(NeocloudError, ValueError):
    """A parameter name or value that the model cannot accept."""


@dataclass(frozen=True)
class Spec:
    """Declaration of one parameter: its default and what may replace it."""

    default: Any
    unit: str
    source: str
    doc: str
    low: float | None = None
    high: float | None = None
    kind: str = "float"  # float | int | bool | str | month | path
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        """Human-readable description of the accepted values."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "month":
            return "a month 'YYYY-MM'"
        if self.kind == "path":
            return f"a list of ['YYYY-MM', value] pairs in date order, values in [{self.low}, {self.high}]"
        noun = "an integer" if self.kind == "int" else "a number"
        return f"{noun} in [{self.low}, {self.high}]"


def _fail(name: str, value: Any, spec: Spec) -> ParameterError:
    return ParameterError(f"{name} = {value!r} is not allowed: expected {spec.allowed()}")


def _in_bounds(value: float, spec: Spec) -> bool:
    return (spec.low is None or value >= spec.low) and (spec.high is None or value <= spec.high)


def coerce(name: str, spec: Spec, value: Any) -> Any:
    """Return ``value`` converted to the parameter's type, or raise :class:`ParameterError`."""
    kind = spec.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise _fail(name, value, spec)
    if kind == "str":
        if isinstance(value, str) and value in spec.choices:
            return value
        raise _fail(name, value, spec)
    if kind == "month":
        try:
            return format_month(parse_month(value))
        except (ValueError, TypeError):
            raise _fail(name, value, spec) from None
    if kind == "path":
        return _coerce_path(name, spec, value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(name, value, spec)
    if kind == "int":
        if float(value) != int(value):
            raise _fail(name, value, spec)
        value = int(value)
    else:
        value = float(value)
    if not _in_bounds(value, spec):
        raise _fail(name, value, spec)
    return value


def _coerce_path(name: str, spec: Spec, value: Any) -> tuple[tuple[str, float], ...]:
    try:
        knots = [(format_month(parse_month(d)), float(v)) for d, v in value]
    except (TypeError, ValueError):
        raise _fail(name, value, spec) from None
    months = [parse_month(d) for d, _ in knots]
    ok = knots and months == sorted(set(months))
    if not ok or not all(math.isfinite(v) and _in_bounds(v, spec) for _, v in knots):
        raise _fail(name, value, spec)
    return tuple(knots)


def _registry() -> dict[str, Spec]:
    from neocloud_abm.defaults import PARAMETERS

    return PARAMETERS


def _check_name(name: str) -> Spec:
    registry = _registry()
    if name in registry:
        return registry[name]
    close = difflib.get_close_matches(name, registry, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "; `neocloud-abm params` lists them"
    raise ParameterError(f"unknown parameter {name!r}{hint}")


SHOCK_FIELDS = {
    "sentiment": "added to market sentiment that month (index points)",
    "base_rate": "added to the base-rate path from that month on (fraction per year)",
    "compute_need": "multiplies every startup's compute need that month (factor > 0)",
    "set": "table of dotted parameters that take new values from that month on",
}


@dataclass(frozen=True)
class Shock:
    """A dated event imposed by a scenario on top of the endogenous dynamics."""

    date: str
    label: str = ""
    sentiment: float = 0.0
    base_rate: float = 0.0
    compute_need: float = 1.0
    set: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    @property
    def month(self) -> int:
        return parse_month(self.date)


def _parse_shock(raw: Any, where: str) -> Shock:
    if not isinstance(raw, Mapping) or "date" not in raw:
        raise ParameterError(f"{where}: a shock is a table with at least a 'date' = 'YYYY-MM'")
    unknown = set(raw) - set(SHOCK_FIELDS) - {"date", "label"}
    if unknown:
        allowed = ", ".join(["date", "label", *SHOCK_FIELDS])
        raise ParameterError(f"{where}: unknown shock field(s) {sorted(unknown)}; allowed: {allowed}")
    try:
        date = format_month(parse_month(raw["date"]))
    except (ValueError, TypeError):
        raise ParameterError(f"{where}.date = {raw['date']!r} is not a month 'YYYY-MM'") from None
    numbers = {}
    for key, low, high in (("sentiment", -5.0, 5.0), ("base_rate", -0.1, 0.2),
                           ("compute_need", 0.01, 100.0)):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ParameterError(f"{where}.{key} = {value!r} is not allowed: expected a number "
                                     f"in [{low}, {high}] ({SHOCK_FIELDS[key]})")
            numbers[key] = float(value)
    overrides = raw.get("set", {})
    if not isinstance(overrides, Mapping):
        raise ParameterError(f"{where}.set must be a table of dotted parameter names")
    checked = tuple((name, coerce(name, _check_name(name), v)) for name, v in _flatten(overrides))
    return Shock(date=date, label=str(raw.get("label", "")), set=checked, **numbers)


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Nested TOML tables and dotted keys both become dotted names."""
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, name + ".")
        else:
            yield name, value


class Params:
    """An immutable, validated set of parameter values plus the scenario's shocks.

    Read a value as ``params.neoclouds.competition_neglect`` or
    ``params["neoclouds.competition_neglect"]``.
    """

    def __init__(self, values: Mapping[str, Any] | None = None, shocks: Iterable[Shock] = (),
                 name: str = "default", description: str = "") -> None:
        registry = _registry()
        resolved = {key: spec.default for key, spec in registry.items()}
        for key, value in (values or {}).items():
            resolved[key] = coerce(key, _check_name(key), value)
        self._values = resolved
        self.shocks = tuple(sorted(shocks, key=lambda s: s.month))
        self.name = name
        self.description = description
        groups: dict[str, dict[str, Any]] = {}
        for key, value in resolved.items():
            group, leaf = key.split(".", 1)
            groups.setdefault(group, {})[leaf] = value
        self._groups = {g: SimpleNamespace(**v) for g, v in groups.items()}

    def __getattr__(self, group: str) -> SimpleNamespace:
        if group.startswith("_"):
            raise AttributeError(group)
        try:
            return self._groups[group]
        except KeyError:
            raise AttributeError(f"no parameter group {group!r}") from None

    def __getitem__(self, name: str) -> Any:
        _check_name(name)
        return self._values[name]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Params) and self._values == other._values
                and self.shocks == other.shocks)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self._values.items())), self.shocks))

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != _registry()[k].default}
        return f"Params(name={self.name!r}, changed={changed}, shocks={len(self.shocks)})"

    def __getstate__(self) -> dict[str, Any]:
        return {"values": self._values, "shocks": self.shocks, "name": self.name,
                "description": self.description}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["values"], state["shocks"], state["name"], state["description"])

    def with_overrides(self, overrides: Mapping[str, Any]) -> Params:
        """A copy with some values replaced; unknown names and bad values raise."""
        merged = dict(self._values)
        for key, value in overrides.items():
            merged[key] = coerce(key, _check_name(key), value)
        return Params(merged, self.shocks, self.name, self.description)

    def to_dict(self) -> dict[str, Any]:
        """Flat mapping of dotted name to value (paths as lists, for TOML/JSON)."""
        return {k: [list(kn) for kn in v] if isinstance(v, tuple) else v
                for k, v in self._values.items()}


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse a command-line ``name=value``; the value is read as TOML, else as a string."""
    if "=" not in text:
        raise ParameterError(f"--set {text!r}: expected NAME=VALUE, e.g. lenders.max_ltv=0.7")
    name, raw = (part.strip() for part in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    spec = _check_name(name)
    return name, coerce(name, spec, value)


def _scenario_dir() -> Path:
    return Path(str(resources.files("neocloud_abm") / "scenarios"))


def list_scenarios() -> dict[str, str]:
    """Built-in scenario names and their one-line descriptions."""
    found = {}
    for path in sorted(_scenario_dir().glob("*.toml")):
        with path.open("rb") as handle:
            found[path.stem] = tomllib.load(handle).get("description", "").strip().split("\n")[0]
    return found


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning I/O and syntax problems into a NeocloudError."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise NeocloudError(f"file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise NeocloudError(f"{path}: malformed TOML: {exc}") from None


SCENARIO_KEYS = {"name", "description", "extends", "parameters", "shocks"}


def load_scenario(name_or_path: str | Path = "baseline") -> Params:
    """Load a built-in scenario by name, or a scenario TOML file by path."""
    text = str(name_or_path)
    builtin = _scenario_dir() / f"{text}.toml"
    if builtin.exists():
        path = builtin
    elif text.endswith(".toml") or Path(text).exists():
        path = Path(text)
    else:
        known = ", ".join(list_scenarios())
        raise NeocloudError(f"unknown scenario {text!r}: use a built-in name ({known}) "
                            "or a path to a .toml file")
    raw = read_toml(path)
    unknown = set(raw) - SCENARIO_KEYS
    if unknown:
        raise ParameterError(f"{path}: unknown top-level key(s) {sorted(unknown)}; "
                             f"allowed: {sorted(SCENARIO_KEYS)}")
    base = load_scenario(raw["extends"]) if "extends" in raw else Params()
    parameters = raw.get("parameters", {})
    if not isinstance(parameters, Mapping):
        raise ParameterError(f"{path}: [parameters] must be a table")
    try:
        params = base.with_overrides(dict(_flatten(parameters)))
        shocks = [_parse_shock(s, f"shocks[{i}]") for i, s in enumerate(raw.get("shocks", []))]
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None
    return Params(params.to_dict(), (*base.shocks, *shocks),
                  name=str(raw.get("name", path.stem)), description=str(raw.get("description", "")))
