"""Experiment specs (docs/model.md#64-experiments-and-seeds): loading and validation before any run starts.

A spec is checked as strictly as a scenario: an unknown key, an unknown parameter, a value
outside a parameter's bounds or an impossible range is a :class:`ParameterError` that names
the field and what is allowed, so a sweep of thousands of runs never fails on run 1,437.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neocloud_abm.core.chips import run_schedule
from neocloud_abm.core.errors import NeocloudError, ParameterError, ScenarioWarning
from neocloud_abm.outputs.reporters import COLUMNS, PER_GENERATION
from neocloud_abm.parameters.params import Params, horizon_warnings
from neocloud_abm.parameters.registry import PARAMETERS, check_name, plausible_range
from neocloud_abm.parameters.scenarios import check_name_text, load_scenario, read_toml
from neocloud_abm.parameters.spec import coerce

KINDS = ("grid", "lhs", "sobol", "morris")
TOP_KEYS = ("name", "scenario", "months", "replications", "seed", "outputs", "design")
DESIGN_KEYS = ("kind", "samples", "parameters")
DEFAULT_MAX_RUNS = 1_000_000  # a sweep bigger than this is refused unless the limit is raised
SCALAR_KINDS = ("float", "int", "bool", "str", "month")


@dataclass(frozen=True)
class Range:
    """A ``{low, high}`` interval sampled by LHS, Sobol and Morris; integer parameters are
    sampled on the interval and rounded to the nearest integer."""

    low: float
    high: float
    integer: bool = False


Values = tuple[Any, ...]


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment: which scenario, how long, how many replications, which design."""

    name: str
    scenario: str
    base: Params = field(repr=False)
    seed: int
    months: int
    replications: int = 1
    outputs: tuple[str, ...] | None = None
    kind: str = "grid"
    samples: int | None = None
    parameters: Mapping[str, Values | Range] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The spec in its TOML shape (``months`` resolved), for ``spec.json``."""
        params = {name: {"low": v.low, "high": v.high} if isinstance(v, Range) else list(v)
                  for name, v in self.parameters.items()}
        design: dict[str, Any] = {"kind": self.kind, "parameters": params}
        if self.samples is not None:
            design["samples"] = self.samples
        raw: dict[str, Any] = {"name": self.name, "scenario": self.scenario, "months": self.months,
                               "replications": self.replications, "seed": self.seed}
        if self.outputs is not None:
            raw["outputs"] = list(self.outputs)
        return {**raw, "design": design}

    def resolved(self) -> dict[str, Any]:
        """The spec plus the scenario's resolved parameters and shocks: what a results folder
        was made from, so a changed scenario file is noticed as well as a changed spec."""
        shocks = [dataclasses.asdict(shock) for shock in self.base.shocks]
        return {**self.to_dict(), "scenario_parameters": self.base.to_dict(),
                "scenario_shocks": shocks}


def load_spec(path: str | Path, *, max_runs: int | None = None) -> ExperimentSpec:
    """Read and validate an experiment spec TOML; errors are prefixed with the file name.
    A design with more than ``max_runs`` runs (default :data:`DEFAULT_MAX_RUNS`) is refused
    before anything is sampled or allocated."""
    path = Path(path)
    return parse_spec(read_toml(path), where=str(path), base_dir=path.parent, max_runs=max_runs)


def parse_spec(raw: Mapping[str, Any], where: str = "spec", base_dir: Path | None = None, *,
               max_runs: int | None = None) -> ExperimentSpec:
    """Validate a spec table (as read from TOML); relative scenario paths resolve against
    ``base_dir`` (the spec's folder) first, then the working directory."""
    try:
        spec = _parse(raw, base_dir or Path.cwd())
        _check_size(spec, DEFAULT_MAX_RUNS if max_runs is None else max_runs)
    except NeocloudError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    for message in horizon_warnings(spec.base):
        warnings.warn(f"{where}: {message}", ScenarioWarning, stacklevel=2)
    return spec


def design_size(spec: ExperimentSpec) -> int:
    """Runs the spec's design makes, computed without sampling anything."""
    dimensions = len(spec.parameters)
    if spec.kind == "grid":
        points = math.prod(len(values) for values in spec.parameters.values())
    elif spec.kind == "sobol":
        points = spec.samples * (dimensions + 2)
    elif spec.kind == "morris":
        points = spec.samples * (dimensions + 1)
    else:
        points = spec.samples
    return points * spec.replications


def _check_size(spec: ExperimentSpec, max_runs: int) -> None:
    size = design_size(spec)
    if size > max_runs:
        raise ParameterError(f"the design has {size:,} runs, more than the limit of {max_runs:,}; "
                             "reduce samples, grid values or replications, or raise the limit "
                             "(neocloud-abm sweep --max-runs N)")


def _parse(raw: Mapping[str, Any], base_dir: Path) -> ExperimentSpec:
    _check_keys(raw, TOP_KEYS, "top-level")
    for key in ("name", "scenario", "seed"):
        if key not in raw:
            raise ParameterError(f"{key} is required")
    name = check_name_text(raw["name"], "name")
    scenario = raw["scenario"]
    if not isinstance(scenario, str):
        raise ParameterError(f"scenario = {scenario!r}: expected a built-in name or a path")
    try:
        base = load_scenario(_locate(scenario, base_dir))
    except NeocloudError as exc:
        raise type(exc)(f"scenario: {exc}") from None
    horizon = check_name("market.months")
    months = _integer(raw, "months", base["market.months"], horizon.low, horizon.high)
    base = base.with_overrides({"market.months": months})  # one source of truth for the horizon
    design = raw.get("design", {})
    if not isinstance(design, Mapping):
        raise ParameterError("[design] must be a table with kind, samples and parameters")
    kind, samples, parameters = _parse_design(design)
    if "market.months" in parameters and "months" in raw:
        raise ParameterError("months and design.parameters.'market.months' both set the horizon; "
                             "give one")
    longest = max(_horizons(parameters, months))
    outputs = (_parse_outputs(raw["outputs"], _generations(base, longest))
               if "outputs" in raw else None)
    return ExperimentSpec(
        name=name, scenario=scenario, base=base, months=months,
        seed=_integer(raw, "seed", None, 0, None),
        replications=_integer(raw, "replications", 1, 1, None),
        outputs=outputs, kind=kind, samples=samples, parameters=parameters)


def _horizons(parameters: Mapping[str, Values | Range], months: int) -> list[int]:
    """The run lengths a design can have: its market.months axis, else the spec's months."""
    axis = parameters.get("market.months")
    if axis is None:
        return [months]
    return [int(axis.high)] if isinstance(axis, Range) else [int(v) for v in axis]


def _generations(base: Params, months: int) -> list[str]:
    """Names of the chip generations a run of ``months`` knows (``run_schedule``)."""
    return [gen.name for gen in run_schedule(base, months)]


def _locate(scenario: str, base_dir: Path) -> str:
    beside_spec = base_dir / scenario
    return str(beside_spec) if scenario.endswith(".toml") and beside_spec.exists() else scenario


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [key for key in table if key not in allowed]
    if unknown:
        raise ParameterError(f"unknown {where} key(s) {unknown}; allowed: {', '.join(allowed)}")


def _integer(raw: Mapping[str, Any], key: str, default: int | None, low: float | None,
             high: float | None) -> int:
    value = raw.get(key, default)
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok or (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low:g}" if high is None else f"in [{low:g}, {high:g}]"
        raise ParameterError(f"{key} = {value!r} is not allowed: expected an integer {bounds}")
    return value


def _parse_outputs(outputs: Any, generations: list[str]) -> tuple[str, ...]:
    """Output columns of the month table: the contract columns, and per-generation columns
    of the generations the runs can have (``gpu_value_b200``, not ``gpu_value_b2000``)."""
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        raise ParameterError(f"outputs = {outputs!r}: expected a non-empty list of column names")
    known = [*COLUMNS, *(f"{prefix}_{gen}" for prefix in PER_GENERATION for gen in generations)]
    for column in outputs:
        if column != "date" and column not in known:
            close = difflib.get_close_matches(column, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ParameterError(f"outputs: unknown column {column!r}; {hint}columns are "
                                 f"{', '.join(COLUMNS)} and per generation "
                                 f"{', '.join(k + '_<generation>' for k in PER_GENERATION)} for "
                                 f"the generations of this run: {', '.join(generations)}")
    return tuple(dict.fromkeys(o for o in outputs if o != "date"))


def _parse_design(design: Mapping[str, Any]) -> tuple[str, int | None, dict[str, Values | Range]]:
    _check_keys(design, DESIGN_KEYS, "[design]")
    kind = design.get("kind", "grid")
    if kind not in KINDS:
        raise ParameterError(f"design.kind = {kind!r} is not allowed: expected one of "
                             + ", ".join(repr(k) for k in KINDS))
    table = design.get("parameters", {})
    if not isinstance(table, Mapping):
        raise ParameterError("[design.parameters] must be a table of dotted parameter names")
    parameters = {name: _parse_axis(kind, name, value) for name, value in _flatten(table)}
    if kind == "grid":
        if "samples" in design:
            raise ParameterError("design.samples is only for lhs, sobol and morris; a grid "
                                 "runs every combination of the listed values")
        return kind, None, parameters
    if not parameters:
        raise ParameterError(f"design.parameters: a {kind} design needs at least one "
                             "{ low = ..., high = ... } range")
    smallest = 2 if kind == "morris" else 1
    if "samples" not in design:
        raise ParameterError(f"design.samples is required for kind = {kind!r}: an integer "
                             f">= {smallest}" + (" (a power of 2)" if kind == "sobol" else ""))
    samples = _integer(design, "samples", None, smallest, None)
    if kind == "sobol" and samples & (samples - 1):
        raise ParameterError(f"design.samples = {samples} is not allowed for sobol: expected a "
                             "power of 2 (Sobol' sequences lose their balance otherwise)")
    return kind, samples, parameters


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Quoted dotted keys and nested tables both give dotted names; a table holding ``low`` or
    ``high`` is a range, not a group."""
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and name not in PARAMETERS and not {"low", "high"} & set(value):
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def _parse_axis(kind: str, name: str, value: Any) -> Values | Range:
    spec = check_name(name)
    where = f"design.parameters.{name!r}"
    if spec.kind not in SCALAR_KINDS:
        raise ParameterError(f"{where}: {name} is a {spec.kind} parameter; only scalars "
                             f"({', '.join(SCALAR_KINDS)}) can be swept")
    if kind == "grid":
        if not isinstance(value, list) or not value:
            raise ParameterError(f"{where} = {value!r}: a grid axis is a non-empty list of values")
        values = tuple(coerce(name, spec, v) for v in value)
        if len(set(values)) < len(values):
            raise ParameterError(f"{where} = {value!r}: values repeat")
        return values
    if spec.kind not in ("float", "int"):
        raise ParameterError(f"{where}: {name} is a {spec.kind} parameter; {kind} samples "
                             "numeric ranges, so sweep it with kind = 'grid'")
    if value == "plausible":
        low, high = plausible_range(name)
        return Range(low, high, integer=spec.kind == "int")
    if not isinstance(value, Mapping) or set(value) != {"low", "high"}:
        extra = (f" (only uniform ranges are supported, so {sorted(set(value) - {'low', 'high'})} "
                 "cannot be used)" if isinstance(value, Mapping) else "")
        raise ParameterError(f"{where} = {value!r}: a {kind} axis is {{ low = ..., high = ... }} "
                             f"or \"plausible\" (the registry's plausible range){extra}")
    low, high = coerce(name, spec, value["low"]), coerce(name, spec, value["high"])
    if not low < high:
        raise ParameterError(f"{where}: low = {low!r} must be below high = {high!r}")
    return Range(low, high, integer=spec.kind == "int")
