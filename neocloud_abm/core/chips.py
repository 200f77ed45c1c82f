"""Nvidia's chip generations: the named roadmap, then a regular cadence after it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from neocloud_abm.core.months import parse_month
from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.parameters.params import Params

NAMED = ("a100", "h100", "b200", "rubin")


@dataclass(frozen=True)
class Generation:
    """One GPU generation. ``perf`` is in H100e; ``power_kw`` includes facility overhead."""

    index: int
    name: str
    release: int  # absolute month (see months.parse_month)
    perf: float
    price: float
    power_kw: float
    peak_capacity: float  # GPUs per month for the neocloud segment at full ramp


def build_schedule(params: Params, until: int) -> list[Generation]:
    """All generations released up to month ``until``, in release order."""
    chips, nvidia = params.chips, params.nvidia
    named = []
    for name in NAMED:
        perf = 1.0 if name == "h100" else getattr(chips, f"{name}_perf")
        named.append((name, parse_month(getattr(chips, f"{name}_release")), perf,
                      getattr(chips, f"{name}_price"), getattr(chips, f"{name}_power_kw"),
                      getattr(chips, f"{name}_capacity")))
    named.sort(key=lambda g: g[1])
    gens = [Generation(i, *g) for i, g in enumerate(named)]
    while True:
        last = gens[-1]
        release = last.release + nvidia.generation_interval_months
        if release > until:
            return [g for g in gens if g.release <= until] or gens[:1]
        gens.append(Generation(len(gens), f"gen{len(gens) + 1}", release,
                               last.perf * nvidia.perf_step, last.price * nvidia.price_step,
                               last.power_kw * nvidia.power_step,
                               last.peak_capacity * nvidia.capacity_growth))


def run_schedule(params: Params, months: int | None = None) -> list[Generation]:
    """The generations a run of ``params`` over ``months`` (default ``market.months``)
    knows: those released within its months and those already taking orders in them
    (announced ``nvidia.preorder_months`` ahead), so a run never depends on its horizon."""
    months = params.market.months if months is None else months
    until = parse_month(params.market.start) + months + params.nvidia.preorder_months
    return build_schedule(params, until)


def installed_price(gen: Generation, markup: float, params: Params) -> float:
    """Cost of one installed GPU: chip at the current markup plus servers and build-out."""
    return gen.price * (1.0 + markup) * params.market.install_multiplier


def power_cost_hour(gen: Generation, params: Params) -> float:
    """$ of electricity for one hour of one GPU of ``gen``: the floor under its rent."""
    return gen.power_kw * params.market.power_price_kwh


def operating_cost_month(gen: Generation, utilization: float, rent_kw_month: float,
                         params: Params, colocation_discount: float = 0.0) -> float:
    """$ per GPU-month: power on the hours used, colocation rent (``rent_kw_month``, $ per
    kW-month) on the GPU's facility power, overhead."""
    power = gen.power_kw * HOURS_PER_MONTH * utilization * params.market.power_price_kwh
    rent = gen.power_kw * rent_kw_month * (1.0 - colocation_discount)
    return power + rent + params.neoclouds.overhead_gpu_month
