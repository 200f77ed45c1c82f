"""The validated, immutable parameter set a model is built from, with the scenario's dated
shocks.

Values are held twice: flat by dotted name (``params["lenders.max_ltv"]``, for files, sweeps
and hashing) and as one typed, frozen group object per group (``params.lenders.max_ltv`` is a
``float`` to a type checker, and a typo is an AttributeError). Every value is checked against
its bounds and every rule between parameters on the way in.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from neocloud_abm.core.errors import ParameterError
from neocloud_abm.core.months import format_month, parse_month
from neocloud_abm.parameters.chips import ChipParams
from neocloud_abm.parameters.environment import EnvironmentParams
from neocloud_abm.parameters.equity import EquityParams
from neocloud_abm.parameters.hedge_funds import HedgeFundParams
from neocloud_abm.parameters.hyperscalers import HyperscalerParams
from neocloud_abm.parameters.lenders import LenderParams
from neocloud_abm.parameters.market import MarketParams
from neocloud_abm.parameters.neoclouds import NeocloudParams
from neocloud_abm.parameters.nvidia import NvidiaParams
from neocloud_abm.parameters.power import PowerParams
from neocloud_abm.parameters.registry import GROUPS, PARAMETERS, check_constraints, check_name
from neocloud_abm.parameters.spec import coerce
from neocloud_abm.parameters.startups import StartupParams
from neocloud_abm.parameters.venture import VentureParams

SHOCK_FIELDS: Mapping[str, str] = MappingProxyType({
    "sentiment": "added to market sentiment that month (index points)",
    "base_rate": "added to the base-rate path from that month on (fraction per year)",
    "compute_need": "multiplies every startup's compute need that month (factor > 0)",
    "set": "table of dotted parameters that take new values from that month on",
})
SHOCK_BOUNDS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"sentiment": (-5.0, 5.0), "base_rate": (-0.1, 0.2), "compute_need": (0.01, 100.0)})


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


def check_shocks(values: Mapping[str, Any], shocks: tuple[Shock, ...]) -> None:
    """Shocks can only act where the model can feel them: not before the first month, and
    not on a parameter read only when the model is built; the values they leave behind obey
    the registry's rules like any others."""
    start = parse_month(values["market.start"])
    current = dict(values)
    for shock in shocks:
        where = f"shock of {shock.date}: "
        if shock.month < start:
            raise ParameterError(f"{where}dated before market.start = {values['market.start']}, "
                                 "so it would never act")
        for name, value in shock.set:
            spec = check_name(name)
            if spec.setup_only:
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


class Params:
    """An immutable, validated set of parameter values plus the scenario's shocks."""

    market: MarketParams
    environment: EnvironmentParams
    chips: ChipParams
    nvidia: NvidiaParams
    neoclouds: NeocloudParams
    startups: StartupParams
    venture: VentureParams
    hyperscalers: HyperscalerParams
    power: PowerParams
    lenders: LenderParams
    hedge_funds: HedgeFundParams
    equity: EquityParams

    def __init__(self, values: Mapping[str, Any] | None = None, shocks: Iterable[Shock] = (),
                 name: str = "default", description: str = "") -> None:
        if values is not None and not isinstance(values, Mapping):
            raise ParameterError(f"parameter values must be a mapping of dotted names to values, "
                                 f"not {type(values).__name__}")
        resolved = {key: spec.default for key, spec in PARAMETERS.items()}
        for key, value in (values or {}).items():
            resolved[key] = coerce(key, check_name(key), value)
        check_constraints(resolved)
        shocks = tuple(shocks)
        if not all(isinstance(shock, Shock) for shock in shocks):
            raise ParameterError("shocks must be Shock objects (scenario files declare them as "
                                 "[[shocks]] tables)")
        shocks = tuple(sorted(shocks, key=lambda s: s.month))
        check_shocks(resolved, shocks)
        grouped: dict[str, dict[str, Any]] = {group: {} for group in GROUPS}
        for key, value in resolved.items():
            group, leaf = key.split(".", 1)
            grouped[group][leaf] = value
        state = {"_values": resolved, "shocks": shocks, "name": name, "description": description,
                 **{group: cls(**grouped[group]) for group, cls in GROUPS.items()}}
        for attribute, value in state.items():
            object.__setattr__(self, attribute, value)

    def __setattr__(self, attribute: str, value: Any) -> None:
        raise AttributeError(f"Params are immutable; use with_overrides({{...{attribute!r}...}})")

    def __getitem__(self, name: str) -> Any:
        check_name(name)
        return self._values[name]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Params) and self._values == other._values
                and self.shocks == other.shocks)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self._values.items())), self.shocks))

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != PARAMETERS[k].default}
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
            merged[key] = coerce(key, check_name(key), value)
        return Params(merged, self.shocks, self.name, self.description)

    def with_shocks(self, *shocks: Shock) -> Params:
        """A copy with more dated shocks, e.g. a counterfactual that switches a channel off
        from the date a scenario's shock hits (checked like a scenario's own shocks)."""
        return Params(self._values, self.shocks + shocks, self.name, self.description)

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
    return name, coerce(name, check_name(name), value)
