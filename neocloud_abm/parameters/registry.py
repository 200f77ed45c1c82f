"""The parameter registry: every parameter of the model, read from the typed groups' field
declarations, and the rules between parameters.

"Modelling assumption" marks a choice with no direct empirical counterpart; those are the
first candidates for sensitivity analysis. Money is USD, time is months unless a unit says
otherwise, compute is in H100-equivalents (H100e).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from neocloud_abm.core.errors import ParameterError
from neocloud_abm.core.months import parse_month
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
from neocloud_abm.parameters.spec import Constraint, Spec
from neocloud_abm.parameters.startups import StartupParams
from neocloud_abm.parameters.venture import VentureParams

GROUPS: Mapping[str, type] = MappingProxyType({
    "market": MarketParams, "environment": EnvironmentParams, "chips": ChipParams,
    "nvidia": NvidiaParams, "neoclouds": NeocloudParams, "startups": StartupParams,
    "venture": VentureParams, "hyperscalers": HyperscalerParams,
    "power": PowerParams, "lenders": LenderParams, "hedge_funds": HedgeFundParams,
    "equity": EquityParams})

PARAMETERS: Mapping[str, Spec] = MappingProxyType({
    f"{group}.{field.name}": field.metadata["spec"]
    for group, cls in GROUPS.items() for field in dataclasses.fields(cls)})

RELEASES = tuple(f"chips.{name}_release" for name in ("a100", "h100", "b200", "rubin"))


def _not_before_first_release(start: str, *releases: str) -> bool:
    return parse_month(start) >= min(parse_month(r) for r in releases)


def _in_order(first: str, last: str) -> bool:
    return parse_month(first) <= parse_month(last)


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(("hedge_funds.target_leverage", "hedge_funds.max_leverage"),
               "hedge_funds.target_leverage <= hedge_funds.max_leverage",
               lambda target, limit: target <= limit),
    Constraint(("hedge_funds.count", "hedge_funds.min_capital", "hedge_funds.initial_capital"),
               "hedge_funds.min_capital < hedge_funds.initial_capital (when there are funds)",
               lambda count, floor, capital: count == 0 or floor < capital),
    Constraint(("startups.min_term_months", "startups.max_term_months"),
               "startups.min_term_months <= startups.max_term_months",
               lambda shortest, longest: shortest <= longest),
    Constraint(("startups.initial_count", "startups.max_count"),
               "startups.initial_count <= startups.max_count",
               lambda initial, most: initial <= most),
    Constraint(("environment.asic_share_start", "environment.asic_share_max"),
               "environment.asic_share_start <= environment.asic_share_max",
               lambda start, most: start <= most),
    Constraint(("market.start", *RELEASES),
               "market.start is not before the first chip release (the 2022 fleets are of the "
               "oldest generation, so it must exist)",
               _not_before_first_release),
    Constraint(("nvidia.backstop_start", "nvidia.backstop_end"),
               "nvidia.backstop_start <= nvidia.backstop_end", _in_order),
    Constraint(("lenders.bank_funded_share", "lenders.count"),
               "lenders.bank_funded_share > 0 needs a bank to lend the warehouse lines: "
               "lenders.count >= 3 (lenders cycle private credit, asset manager, bank)",
               lambda share, count: share == 0 or count >= 3),
    Constraint(("lenders.warehouse_impaired_advance_rate", "lenders.warehouse_advance_rate"),
               "lenders.warehouse_impaired_advance_rate <= lenders.warehouse_advance_rate "
               "(a loan whose credit risk has risen supports no more borrowing than a performing "
               "one)", lambda impaired, performing: impaired <= performing),
)


def check_name(name: str) -> Spec:
    """The registry entry of a dotted name, or a ParameterError suggesting the nearest."""
    if isinstance(name, str) and name in PARAMETERS:
        return PARAMETERS[name]
    close = difflib.get_close_matches(str(name), PARAMETERS, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "; `neocloud-abm params` lists them"
    raise ParameterError(f"unknown parameter {name!r}{hint}")


def check_constraints(values: Mapping[str, Any], where: str = "") -> None:
    """Raise :class:`ParameterError` naming the first registry rule ``values`` break."""
    for constraint in CONSTRAINTS:
        message = constraint.violation(values)
        if message:
            raise ParameterError(where + message)


def parameter_label(name: str) -> str:
    """Short human name of a parameter for figures and tables: its registry ``label``, else
    the leaf of its dotted name in words ('neoclouds.competition_neglect' -> 'competition
    neglect')."""
    spec = PARAMETERS.get(name)
    if spec is not None and spec.label:
        return spec.label
    return name.rpartition(".")[2].replace("_", " ")


def plausible_range(name: str) -> tuple[float, float]:
    """The range sweeps, calibration priors and the dashboard use by default: the registry's
    plausible range, else the hard validity bounds."""
    spec = check_name(name)
    if spec.kind not in ("float", "int"):
        raise ParameterError(f"{name} is a {spec.kind} parameter; it has no numeric range")
    if spec.plausible is not None:
        return spec.plausible
    return (spec.low, spec.high)
