"""The validated parameter tree, scenarios (TOML) with dated shocks, and dotted overrides.

Every parameter is declared once in :mod:`neocloud_abm.defaults` with its default, unit,
bounds and source. Everything that reaches the model passes through :func:`coerce`, so a
bad value is rejected where it enters (a TOML file, ``--set``, ``with_overrides``) with a
message that names the field, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from neocloud_abm.months import format_month, parse_month


class NeocloudError(Exception):
    """An error caused by the user's input; the CLI prints it without a traceback."""


class ParameterError(NeocloudError, ValueError):
    """A parameter name or value that the model cannot accept."""


class ScenarioWarning(UserWarning):
    """A dated input that falls outside the simulated months and so will not act."""


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
    label: str = ""  # short name for figures and tables ("max LTV"); derived from the name if ""
    plausible: tuple[float, float] | None = None  # range sweeps and sliders use by default
    plausible_source: str = ""
    setup_only: bool = False  # read only when the model is built: a dated shock cannot set it

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


def parameter_label(name: str) -> str:
    """Short human name of a parameter for figures and tables: its registry ``label``, else
    the leaf of its dotted name in words ('neoclouds.competition_neglect' -> 'competition
    neglect')."""
    spec = _registry().get(name)
    if spec is not None and spec.label:
        return spec.label
    return name.rpartition(".")[2].replace("_", " ")


def plausible_range(name: str) -> tuple[float, float]:
    """The range sweeps, calibration priors and the dashboard use by default: the registry's
    plausible range, else the hard validity bounds."""
    spec = _check_name(name)
    if spec.kind not in ("float", "int"):
        raise ParameterError(f"{name} is a {spec.kind} parameter; it has no numeric range")
    if spec.plausible is not None:
        return spec.plausible
    return (spec.low, spec.high)


def _fail(name: str, value: Any, spec: Spec) -> ParameterError:
    return ParameterError(f"{name} = {value!r} is not allowed: expected {spec.allowed()}")


def _in_bounds(value: float, spec: Spec) -> bool:
    return (spec.low is None or value >= spec.low) and (spec.high is None or value <= spec.high)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def _is_number(value: Any) -> bool:
    """Python and NumPy numbers alike (``np.int64(3)``, ``np.float32(0.5)``), never booleans."""
    return isinstance(value, numbers.Real) and not _is_bool(value)


def coerce(name: str, spec: Spec, value: Any) -> Any:
    """Return ``value`` converted to the parameter's type, or raise :class:`ParameterError`."""
    kind = spec.kind
    if kind == "bool":
        if _is_bool(value):
            return bool(value)
        raise _fail(name, value, spec)
    if kind == "str":
        if isinstance(value, str) and value in spec.choices:
            return str(value)
        raise _fail(name, value, spec)
    if kind == "month":
        try:
            return format_month(parse_month(value))
        except (ValueError, TypeError):
            raise _fail(name, value, spec) from None
    if kind == "path":
        return _coerce_path(name, spec, value)
    if not _is_number(value) or not math.isfinite(float(value)):
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
        knots = [(format_month(parse_month(d)), float(v)) for d, v in value
                 if _is_number(v)]
    except (TypeError, ValueError):
        raise _fail(name, value, spec) from None
    if len(knots) != len(value):
        raise _fail(name, value, spec)
    months = [parse_month(d) for d, _ in knots]
    ok = knots and months == sorted(set(months))
    if not ok or not all(math.isfinite(v) and _in_bounds(v, spec) for _, v in knots):
        raise _fail(name, value, spec)
    return tuple(knots)


def _registry() -> dict[str, Spec]:
    from neocloud_abm.defaults import PARAMETERS

    return PARAMETERS


def _constraints() -> tuple[Constraint, ...]:
    from neocloud_abm.defaults import CONSTRAINTS

    return CONSTRAINTS


def _check_name(name: str) -> Spec:
    registry = _registry()
    if isinstance(name, str) and name in registry:
        return registry[name]
    close = difflib.get_close_matches(str(name), registry, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "; `neocloud-abm params` lists them"
    raise ParameterError(f"unknown parameter {name!r}{hint}")


@dataclass(frozen=True)
class Constraint:
    """A rule between parameters that their own bounds cannot express. Declared in the
    registry and checked wherever parameters are validated: scenario files, overrides,
    dated shocks and every point of a sweep design, before anything runs."""

    names: tuple[str, ...]
    rule: str                     # the rule as a reader would write it
    holds: Callable[..., bool]    # called with the values of ``names``, in order

    def violation(self, values: Mapping[str, Any]) -> str | None:
        """None if the rule holds for ``values``, else a message naming the values."""
        if self.holds(*(values[name] for name in self.names)):
            return None
        shown = ", ".join(f"{name} = {values[name]!r}" for name in self.names)
        return f"{shown} breaks the rule {self.rule}"


def check_constraints(values: Mapping[str, Any], where: str = "") -> None:
    """Raise :class:`ParameterError` naming the first registry rule ``values`` break."""
    for constraint in _constraints():
        message = constraint.violation(values)
        if message:
            raise ParameterError(where + message)


SHOCK_FIELDS = {
    "sentiment": "added to market sentiment that month (index points)",
    "base_rate": "added to the base-rate path from that month on (fraction per year)",
    "compute_need": "multiplies every startup's compute need that month (factor > 0)",
    "set": "table of dotted parameters that take new values from that month on",
}
SHOCK_BOUNDS = {"sentiment": (-5.0, 5.0), "base_rate": (-0.1, 0.2), "compute_need": (0.01, 100.0)}


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
    numbers_ = {}
    for key, (low, high) in SHOCK_BOUNDS.items():
        if key in raw:
            value = raw[key]
            if not _is_number(value) or not low <= value <= high:
                raise ParameterError(f"{where}.{key} = {value!r} is not allowed: expected a number "
                                     f"in [{low}, {high}] ({SHOCK_FIELDS[key]})")
            numbers_[key] = float(value)
    overrides = raw.get("set", {})
    if not isinstance(overrides, Mapping):
        raise ParameterError(f"{where}.set must be a table of dotted parameter names")
    checked = tuple((name, coerce(name, _check_name(name), v)) for name, v in _flatten(overrides))
    return Shock(date=date, label=str(raw.get("label", "")), set=checked, **numbers_)


def check_shocks(values: Mapping[str, Any], shocks: tuple[Shock, ...]) -> None:
    """Shocks can only act where the model can feel them: not before the first month, and
    not on a parameter read only when the model is built; the values they leave behind obey
    the registry's rules like any others."""
    registry = _registry()
    start = parse_month(values["market.start"])
    current = dict(values)
    for shock in shocks:
        where = f"shock of {shock.date}: "
        if shock.month < start:
            raise ParameterError(f"{where}dated before market.start = {values['market.start']}, "
                                 "so it would never act")
        for name, value in shock.set:
            spec = _check_name(name)
            if registry[name].setup_only:
                raise ParameterError(f"{where}{name} is read only when the model is built, so a "
                                     "dated shock cannot change it; set it in [parameters]")
            current[name] = coerce(name, spec, value)
        check_constraints(current, where)


def horizon_warnings(params: Params) -> list[str]:
    """Dated inputs that fall outside the simulated months (allowed, but they will not act:
    a scenario run for fewer months than it was written for, say)."""
    start, months = parse_month(params.market.start), params.market.months
    end = start + months
    last = format_month(end - 1)
    found = [f"shock of {shock.date} ({shock.label or 'unlabelled'}) is after the last simulated "
             f"month {last}; it will not act" for shock in params.shocks if shock.month >= end]
    chatgpt = params.environment.chatgpt_date
    if not start <= parse_month(chatgpt) < end and params.environment.chatgpt_shock:
        found.append(f"environment.chatgpt_date = {chatgpt} is outside the simulated months "
                     f"{params.market.start}..{last}; the ChatGPT shock will not act")
    return found


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
    ``params["neoclouds.competition_neglect"]``. Every value is checked against its bounds
    and every registry rule between parameters (:class:`Constraint`) on the way in.
    """

    def __init__(self, values: Mapping[str, Any] | None = None, shocks: Iterable[Shock] = (),
                 name: str = "default", description: str = "") -> None:
        if values is not None and not isinstance(values, Mapping):
            raise ParameterError(f"parameter values must be a mapping of dotted names to values, "
                                 f"not {type(values).__name__}")
        registry = _registry()
        resolved = {key: spec.default for key, spec in registry.items()}
        for key, value in (values or {}).items():
            resolved[key] = coerce(key, _check_name(key), value)
        check_constraints(resolved)
        shocks = tuple(shocks)
        if not all(isinstance(shock, Shock) for shock in shocks):
            raise ParameterError("shocks must be Shock objects (scenario files declare them as "
                                 "[[shocks]] tables)")
        self.shocks = tuple(sorted(shocks, key=lambda s: s.month))
        check_shocks(resolved, self.shocks)
        self._values = resolved
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
        """A copy with some values replaced; unknown names, bad values and broken rules raise."""
        if not isinstance(overrides, Mapping):
            raise ParameterError("overrides must be a mapping of dotted names to values, e.g. "
                                 "{'lenders.max_ltv': 0.6}")
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
    """Built-in scenario names and their descriptions (whitespace folded to one line)."""
    found = {}
    for path in sorted(_scenario_dir().glob("*.toml")):
        with path.open("rb") as handle:
            found[path.stem] = " ".join(tomllib.load(handle).get("description", "").split())
    return found


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning I/O, encoding and syntax problems into a NeocloudError."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise NeocloudError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise NeocloudError(f"{path} is a folder, not a TOML file") from None
    except OSError as exc:
        raise NeocloudError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise NeocloudError(f"{path} is not a text (UTF-8) TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise NeocloudError(f"{path}: malformed TOML: {exc}") from None


# Names end up in file and folder names (runs/<name>-seed42/, results/<name>/), so they are
# restricted to characters that cannot climb out of a folder.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
SCENARIO_KEYS = ("name", "description", "extends", "parameters", "shocks")


def check_name_text(value: Any, field_name: str) -> str:
    """A name that is safe as a file or folder name, or a ParameterError naming the field."""
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value) or ".." in value:
        raise ParameterError(f"{field_name} = {value!r} is not allowed: expected 1-100 letters, "
                             "digits, '_', '.' or '-', starting with a letter or digit (it names "
                             "output folders)")
    return value


def load_scenario(name_or_path: str | Path = "baseline") -> Params:
    """Load a built-in scenario by name, or a scenario TOML file by path. ``extends`` inside
    a file resolves against that file's folder (built-in names first)."""
    return _load_scenario(name_or_path, Path.cwd(), ())


def _locate_scenario(name_or_path: str | Path, base_dir: Path) -> Path:
    if not isinstance(name_or_path, str | Path):
        raise NeocloudError(f"scenario must be a name or a path, not {type(name_or_path).__name__}")
    text = str(name_or_path).strip()
    if not text:
        raise NeocloudError("scenario name is empty: use a built-in name ("
                            + ", ".join(list_scenarios()) + ") or a path to a .toml file")
    if NAME_PATTERN.fullmatch(text) and (_scenario_dir() / f"{text}.toml").is_file():
        return _scenario_dir() / f"{text}.toml"
    path = Path(text).expanduser()
    path = path if path.is_absolute() else base_dir / path
    if path.exists() or text.endswith(".toml") or "/" in text or "\\" in text:
        return path
    known = list(list_scenarios())
    close = difflib.get_close_matches(text, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise NeocloudError(f"unknown scenario {text!r}: {hint}use a built-in name ({', '.join(known)}) "
                        "or a path to a .toml file")


def _load_scenario(name_or_path: str | Path, base_dir: Path, chain: tuple[Path, ...]) -> Params:
    path = _locate_scenario(name_or_path, base_dir)
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in (*chain, resolved))
        raise NeocloudError(f"scenarios extend each other in a cycle: {cycle}")
    raw = read_toml(path)
    try:
        return _scenario_from_table(raw, path, (*chain, resolved))
    except NeocloudError as exc:
        message = str(exc)
        raise type(exc)(message if message.startswith(str(path)) else f"{path}: {message}") from None


def _scenario_from_table(raw: Mapping[str, Any], path: Path, chain: tuple[Path, ...]) -> Params:
    unknown = sorted(set(raw) - set(SCENARIO_KEYS))
    if unknown:
        raise ParameterError(f"unknown top-level key(s) {unknown}; allowed: {', '.join(SCENARIO_KEYS)}")
    if not {"extends", "parameters", "shocks"} & set(raw):
        raise ParameterError("the scenario sets nothing: give it `extends = \"baseline\"`, a "
                             "[parameters] table or [[shocks]]")
    name = check_name_text(raw.get("name", path.stem), "name")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ParameterError(f"description = {description!r}: expected a string")
    base = Params()
    if "extends" in raw:
        extends = raw["extends"]
        if not isinstance(extends, str):
            raise ParameterError(f"extends = {extends!r}: expected a scenario name or a path")
        try:
            base = _load_scenario(extends, path.parent, chain)
        except NeocloudError as exc:
            raise type(exc)(f"extends = {extends!r}: {exc}") from None
    parameters = raw.get("parameters", {})
    if not isinstance(parameters, Mapping):
        raise ParameterError("[parameters] must be a table of groups, e.g. [parameters.lenders]")
    raw_shocks = raw.get("shocks", [])
    if not isinstance(raw_shocks, list):
        raise ParameterError(f"shocks = {raw_shocks!r}: shocks are an array of tables, each "
                             "written [[shocks]] with date = 'YYYY-MM'")
    values = base.with_overrides(dict(_flatten(parameters))).to_dict()
    shocks = [_parse_shock(s, f"shocks[{i}]") for i, s in enumerate(raw_shocks)]
    return Params(values, (*base.shocks, *shocks), name=name, description=description)
