"""Scenarios: named parameter sets in TOML files with dated shocks, built-in (package data)
or the user's own. A file may ``extends`` another (a built-in name, or a path relative to the
file that names it), set ``[parameters.<group>]`` values and add ``[[shocks]]``. Everything
in a file is checked as it is read; errors name the file and the field.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from neocloud_abm.core.errors import NeocloudError, ParameterError
from neocloud_abm.core.months import format_month, parse_month
from neocloud_abm.parameters.params import SHOCK_BOUNDS, SHOCK_FIELDS, Params, Shock
from neocloud_abm.parameters.registry import check_name
from neocloud_abm.parameters.spec import coerce, is_number


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
            if not is_number(value) or not low <= value <= high:
                raise ParameterError(f"{where}.{key} = {value!r} is not allowed: expected a number "
                                     f"in [{low}, {high}] ({SHOCK_FIELDS[key]})")
            numbers_[key] = float(value)
    overrides = raw.get("set", {})
    if not isinstance(overrides, Mapping):
        raise ParameterError(f"{where}.set must be a table of dotted parameter names")
    checked = tuple((name, coerce(name, check_name(name), v)) for name, v in _flatten(overrides))
    return Shock(date=date, label=str(raw.get("label", "")), set=checked, **numbers_)


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Nested TOML tables and dotted keys both become dotted names."""
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, name + ".")
        else:
            yield name, value


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
