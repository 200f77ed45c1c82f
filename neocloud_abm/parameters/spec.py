"""How a parameter is declared and checked: its :class:`Spec` (default, unit, bounds,
meaning, source, plausible range), the rules between parameters (:class:`Constraint`), and
:func:`coerce`, through which every value passes on its way into the model, so a bad value
is rejected where it enters with a message naming the field, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from neocloud_abm.core.errors import ParameterError
from neocloud_abm.core.months import format_month, parse_month

RatePath = tuple[tuple[str, float], ...]  # dated knots ('YYYY-MM', value), linear between them


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


# Said of a default that the calibration on the observed moments also estimates: the
# estimate is published with the calibration, and the default is not moved to it.
ESTIMATED = ("the calibration on the observed moments estimates it "
             "(experiments/calibrate_moments.toml, docs/validation.md)")


def param(default: Any, unit: str, *, doc: str, source: str, low: float | None = None,
          high: float | None = None, kind: str | None = None, choices: tuple[str, ...] = (),
          label: str = "", plausible: tuple[float, float] | None = None,
          plausible_source: str = "", setup_only: bool = False) -> Any:
    """A dataclass field declaring one parameter: the field's default is the parameter's, and
    its :class:`Spec` rides in the field's metadata, from which the registry is built. The
    kind follows the default's type unless given (``"month"`` must be)."""
    if kind is None:
        kind = {bool: "bool", int: "int", float: "float", str: "str", tuple: "path"}[type(default)]
    spec = Spec(default, unit, source, doc, low, high, kind, choices, label, plausible,
                plausible_source, setup_only)
    return dataclasses.field(default=default, metadata={"spec": spec})


def _fail(name: str, value: Any, spec: Spec) -> ParameterError:
    return ParameterError(f"{name} = {value!r} is not allowed: expected {spec.allowed()}")


def _in_bounds(value: float, spec: Spec) -> bool:
    return (spec.low is None or value >= spec.low) and (spec.high is None or value <= spec.high)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def is_number(value: Any) -> bool:
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
    if not is_number(value) or not math.isfinite(float(value)):
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
                 if is_number(v)]
    except (TypeError, ValueError):
        raise _fail(name, value, spec) from None
    if len(knots) != len(value):
        raise _fail(name, value, spec)
    months = [parse_month(d) for d, _ in knots]
    ok = knots and months == sorted(set(months))
    if not ok or not all(math.isfinite(v) and _in_bounds(v, spec) for _, v in knots):
        raise _fail(name, value, spec)
    return tuple(knots)


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


