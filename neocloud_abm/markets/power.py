"""Powered data-centre space (docs/model.md#715-powered-data-centre-space).

A GPU earns nothing until it sits in powered, cooled space. Neoclouds lease that space by
the kW of facility power for the GPUs whose rent covers it, competing with other tenants
(hyperscalers and enterprises, whose need grows along a given path and shrinks when space
is dear); the market owns the capacity built, the construction pipeline and every lease.
Each month, after Nvidia's deliveries:

1. construction started ``power.lead_time_months`` ago completes;
2. leases shrink to what each tenant needs, and free space is granted to tenants who need
   more, pro rata to their shortfall; new kW are signed at the month's market
   rent (a lease keeps the rent it was signed at: multi-year colocation leases);
3. the market rent moves with occupancy (the whole need, stranded GPUs included, over
   capacity) against its normal level;
4. developers start new space at a rate that rises with the rent they expect at completion
   relative to the normal rent, up to a ceiling. They project occupancy at completion from
   the need's trend over the last year against capacity plus the part of the pipeline they
   do not neglect (Greenwood & Hanson 2015), and the rent from how rents move with
   occupancy. Space completes after the lead time, into the market of two years later: with
   the pipeline neglected, a cobweb.

A firm powers its most productive GPUs per kW first (the newest generation); the rest are
stranded: installed, paid for, earning nothing. Installed facility power never exceeds
powered capacity (an invariant).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from neocloud_abm.core.arithmetic import dot
from neocloud_abm.core.scalars import clamp
from neocloud_abm.core.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from neocloud_abm.agents.neocloud import Neocloud
    from neocloud_abm.model import NeocloudMarket

COLUMNS = ("powered_capacity_mw", "power_pipeline_mw", "power_starts_mw", "neocloud_power_mw",
           "other_tenants_mw", "stranded_mw", "stranded_h100e", "power_vacancy",
           "colocation_rent_kw_month", "power_wait_months")
OTHERS = -1   # the lease key of the other tenants, taken together


@dataclass
class Lease:
    """Powered space one firm holds: kW of facility power at an average signed rent."""

    kw: float = 0.0
    rent: float = 0.0   # $ per kW-month


def powered_counts(counts: np.ndarray, power_kw: np.ndarray, order: np.ndarray,
                   kw: float) -> np.ndarray:
    """GPUs of each generation that ``kw`` of leased space powers, filling generations in
    ``order`` (most compute per kW first)."""
    powered = np.zeros_like(counts)
    left = kw
    for g in order:
        if counts[g] <= 0.0 or left <= 0.0:
            continue
        powered[g] = min(counts[g], left / power_kw[g])
        left -= powered[g] * power_kw[g]
    return powered


class PowerMarket:
    """Powered capacity, its construction pipeline, the colocation rent and the leases."""

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        self.power_kw = np.array([g.power_kw for g in model.gens])
        self.order = np.argsort(-model.perf / self.power_kw, kind="stable")
        self.rent = model.p.market.colocation_kw_month
        self.capacity_kw = 0.0
        self.pipeline: dict[int, float] = {}    # completion month -> kW
        self.leases: dict[int, Lease] = {}      # by firm account
        self.starts_kw = 0.0
        self.need_kw = 0.0
        self.wait_months = 0.0
        self.initial_others_kw = 0.0
        self.worth = np.ones(len(model.gens))
        self.need_history: list[float] = []
        self._powered: dict[int, tuple[tuple, np.ndarray]] = {}

    columns = COLUMNS

    def open(self) -> None:
        """The space at the start: the 2022 neocloud fleets' own and the other tenants',
        leased at the normal rent; vacant space; and the pipeline (completing evenly over
        the lead time)."""
        model, power = self.model, self.model.p.power
        self.capacity_kw = power.initial_capacity_mw * 1e3
        for cloud in model.neoclouds():
            self.leases[cloud.account] = Lease(self.fleet_need(cloud), self.rent)
        occupied = self.capacity_kw * (1.0 - power.initial_vacancy)
        self.initial_others_kw = max(occupied - self.leased_kw(), 0.0)
        self.leases[OTHERS] = Lease(self.initial_others_kw, self.rent)
        self.need_kw = self.leased_kw()
        lead = power.lead_time_months
        for k in range(1, lead + 1):
            self.pipeline[model.start + k] = power.initial_pipeline_mw * 1e3 / lead

    # --- what firms read ---------------------------------------------------------------------
    def lease_of(self, cloud: Neocloud) -> Lease:
        return self.leases.get(cloud.account, Lease())

    def fleet_need(self, cloud: Neocloud) -> float:
        """kW of facility power the firm's GPUs worth powering need."""
        return dot(cloud.fleet.counts(), self.power_kw * self.worth)

    def powered(self, cloud: Neocloud) -> np.ndarray:
        """GPUs of each generation the firm's lease powers (only generations worth it).

        Read several times a month per firm (offers, contracts, outputs), so kept until the
        fleet, the lease or the generations worth powering change."""
        key = (cloud.fleet.version, self.lease_of(cloud).kw, self.worth.tobytes())
        cached = self._powered.get(cloud.account)
        if cached is None or cached[0] != key:
            cached = (key, powered_counts(cloud.fleet.counts() * self.worth, self.power_kw,
                                          self.order, key[1]))
            self._powered[cloud.account] = cached
        return cached[1]

    def worth_powering(self) -> np.ndarray:
        """Generations whose rent at target utilization covers the space and the energy of
        an hour: a firm leases no space for GPUs that would lose money in it (older ones
        first, when space is dear). Prices are this month's by generation, or the index's
        for a generation not yet rented."""
        model = self.model
        utilization = model.p.neoclouds.target_utilization
        price = np.array([model.rental.generation_price(g.index) for g in model.gens])
        cost = self.power_kw * (self.rent / HOURS_PER_MONTH
                                + model.p.market.power_price_kwh * utilization)
        return (price * utilization >= cost).astype(float)

    def others_need(self, month: int) -> float:
        """kW the other tenants want this month: their path, less when rents are dear."""
        power = self.model.p.power
        years = (month - self.model.start) / 12.0
        dearness = (self.rent / self.model.p.market.colocation_kw_month) ** -power.other_rent_elasticity
        return self.initial_others_kw * math.exp(power.other_demand_growth * years) * dearness

    def wait_after(self, lead: float) -> float:
        """Months a GPU delivered ``lead`` months from now is expected to wait for space."""
        return max(self.wait_months - lead, 0.0)

    def backlog_kw(self) -> float:
        """kW the GPUs on order at Nvidia will need when delivered."""
        return float(sum(o.remaining * self.power_kw[o.gen] for o in self.model.nvidia.orders))

    # --- the month -----------------------------------------------------------------------------
    def step(self, month: int) -> None:
        self.capacity_kw += self.pipeline.pop(month, 0.0)
        self.worth = self.worth_powering()
        need = self._lease_to_need(month)
        self.need_kw = float(sum(need.values()))
        self.need_history.append(self.need_kw)
        self._update_rent()
        self._start_construction(month)
        self.wait_months = self._wait(month)

    def release(self, cloud: Neocloud) -> None:
        """A firm that leaves the market gives up its space."""
        self.leases.pop(cloud.account, None)
        self._powered.pop(cloud.account, None)

    def _lease_to_need(self, month: int) -> dict[int, float]:
        """Shrink leases to need, then grant free space pro rata to shortfalls."""
        need = {OTHERS: self.others_need(month),
                **{c.account: self.fleet_need(c) for c in self.model.neoclouds()}}
        for account in list(self.leases):
            if account not in need:
                del self.leases[account]
        for account, wanted in need.items():
            lease = self.leases.setdefault(account, Lease(0.0, self.rent))
            lease.kw = min(lease.kw, wanted)
        short = {a: wanted - self.leases[a].kw for a, wanted in need.items()
                 if wanted > self.leases[a].kw}
        free = self.capacity_kw - sum(lease.kw for lease in self.leases.values())
        total_short = sum(short.values())
        if total_short > 0.0 and free > 0.0:
            share = min(1.0, free / total_short)
            for account, shortfall in short.items():
                lease, granted = self.leases[account], shortfall * share
                lease.rent = (lease.kw * lease.rent + granted * self.rent) / (lease.kw + granted)
                lease.kw += granted
        return need

    def _rent_step(self, need_kw: float, capacity_kw: float) -> float:
        """The monthly log move of the rent at this need and capacity: up when occupancy is
        above its normal level, down below it, at most ``power.max_rent_step``."""
        power = self.model.p.power
        excess = min(need_kw / max(capacity_kw, 1.0), 2.0) - (1.0 - power.normal_vacancy)
        return clamp(power.rent_adjustment / 12.0 * excess, -power.max_rent_step, power.max_rent_step)

    def _update_rent(self) -> None:
        self.rent *= math.exp(self._rent_step(self.need_kw, self.capacity_kw))

    def expected_rent(self) -> float:
        """The rent developers expect when space started now completes."""
        power = self.model.p.power
        lead = power.lead_time_months
        past = self.need_history[-13] if len(self.need_history) > 12 else self.need_history[0]
        trend = clamp(math.log(max(self.need_kw, 1.0) / max(past, 1.0)) / 12.0, -0.05, 0.1)
        need = self.need_kw * math.exp(trend * lead)
        supply = self.capacity_kw + (1.0 - power.pipeline_neglect) * sum(self.pipeline.values())
        return self.rent * math.exp(self._rent_step(need, supply) * lead)

    def _start_construction(self, month: int) -> None:
        power, normal = self.model.p.power, self.model.p.market.colocation_kw_month
        expected = self.expected_rent()
        rate = min(power.base_start_rate * (expected / normal) ** power.start_elasticity,
                   power.max_start_rate)
        self.starts_kw = self.capacity_kw * rate / 12.0
        done = month + power.lead_time_months
        self.pipeline[done] = self.pipeline.get(done, 0.0) + self.starts_kw

    def _wait(self, month: int) -> float:
        """Months until space completing is enough for the GPUs now stranded and those on
        order (the lead time if the pipeline never gets there)."""
        queue = (self.need_kw - self.leased_kw()) + self.backlog_kw() - self.vacant_kw()
        if queue <= 0.0:
            return 0.0
        for done in sorted(self.pipeline):
            queue -= self.pipeline[done]
            if queue <= 0.0:
                return float(done - month)
        return float(self.model.p.power.lead_time_months)

    # --- outputs ---------------------------------------------------------------------------------
    def leased_kw(self) -> float:
        return float(sum(lease.kw for lease in self.leases.values()))

    def vacant_kw(self) -> float:
        return max(self.capacity_kw - self.leased_kw(), 0.0)

    def report(self) -> dict[str, float]:
        model = self.model
        neocloud_kw = stranded_kw = stranded_h100e = 0.0
        for cloud in model.neoclouds():
            wanted, held = self.fleet_need(cloud), self.lease_of(cloud).kw
            neocloud_kw += wanted
            stranded_kw += max(wanted - held, 0.0)
            stranded_h100e += dot(cloud.fleet.counts() - self.powered(cloud), model.perf)
        return {"powered_capacity_mw": self.capacity_kw / 1e3,
                "power_pipeline_mw": sum(self.pipeline.values()) / 1e3,
                "power_starts_mw": self.starts_kw / 1e3,
                "neocloud_power_mw": neocloud_kw / 1e3,
                "other_tenants_mw": self.leases[OTHERS].kw / 1e3,
                "stranded_mw": stranded_kw / 1e3,
                "stranded_h100e": stranded_h100e,
                "power_vacancy": self.vacant_kw() / max(self.capacity_kw, 1.0),
                "colocation_rent_kw_month": self.rent,
                "power_wait_months": self.wait_months}
