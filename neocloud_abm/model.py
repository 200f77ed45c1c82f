"""NeocloudMarket: the market for rented AI compute as a Mesa model. It builds the agents
and markets, runs the month's schedule (docs/model.md#3-process-overview-and-scheduling)
and records the month table and the per-generation table."""

from __future__ import annotations

import math
import numbers
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from neocloud_abm.agents.hedge_fund import FundIndustry
from neocloud_abm.agents.hyperscaler import Hyperscalers
from neocloud_abm.agents.lender import KINDS, Lender, open_warehouse_lines
from neocloud_abm.agents.neocloud import Neocloud, NeocloudIndustry
from neocloud_abm.agents.nvidia import Nvidia
from neocloud_abm.agents.startup import Startups
from neocloud_abm.core.chips import run_schedule
from neocloud_abm.core.errors import ModelDivergence, NeocloudError, ParameterError, ScenarioWarning
from neocloud_abm.core.fleet import GpuAccounts
from neocloud_abm.core.learning import launch_evidence
from neocloud_abm.core.ledger import Ledger
from neocloud_abm.core.months import format_month, parse_month
from neocloud_abm.core.scalars import clamp
from neocloud_abm.core.units import HOURS_PER_MONTH
from neocloud_abm.environment import Environment
from neocloud_abm.markets.base import Market
from neocloud_abm.markets.credit import CreditMarket
from neocloud_abm.markets.equity import EquityMarket
from neocloud_abm.markets.power import PowerMarket
from neocloud_abm.markets.rental import RentalMarket
from neocloud_abm.markets.secondary import SecondaryMarket
from neocloud_abm.markets.venture import VentureMarket
from neocloud_abm.outputs import reporters
from neocloud_abm.parameters.params import Params, Shock, horizon_warnings


@dataclass(frozen=True)
class Phase:
    """One event of the month that is not a market's own step: an agent population acting."""

    label: str
    run: Callable[[int], None]


class Roster:
    """The neoclouds in the market, in order of entry (Mesa's own order for them), and their
    ledger accounts: asked for thousands of times a run (every used-GPU sale looks for the
    richest buyer), which Mesa's weakly referenced agent sets make slow."""

    def __init__(self) -> None:
        self._members: dict[Neocloud, None] = {}
        self._cache: tuple[tuple[Neocloud, ...], np.ndarray, dict[int, int]] | None = None

    def enter(self, cloud: Neocloud) -> None:
        self._members[cloud] = None
        self._cache = None

    def exit(self, cloud: Neocloud) -> None:
        del self._members[cloud]
        self._cache = None

    def _current(self) -> tuple[tuple[Neocloud, ...], np.ndarray, dict[int, int]]:
        if self._cache is None:
            members = tuple(self._members)
            self._cache = (members, np.array([cloud.account for cloud in members], dtype=int),
                           {cloud.account: i for i, cloud in enumerate(members)})
        return self._cache

    def members(self) -> tuple[Neocloud, ...]:
        return self._current()[0]

    def accounts(self) -> np.ndarray:
        """Ledger accounts of :meth:`members`, in the same order."""
        return self._current()[1]

    def position(self, account: int) -> int | None:
        """Where the member with this ledger account stands in :meth:`members` (None: the
        account is not a neocloud's)."""
        return self._current()[2].get(account)


class NeocloudMarket(mesa.Model):
    """The market for rented AI compute. One step is one month.

    ``params`` is a :class:`Params` (or a mapping of dotted names to values); further
    parameter overrides may be given as keywords, dotted (``**{"lenders.max_ltv": 0.6}``)
    or with ``__`` for the dot (``lenders__max_ltv=0.6``), so that Mesa's ``batch_run``
    and SolaraViz can vary them. ``rng`` (or Mesa's older ``seed``) seeds every random draw.
    """

    def __init__(self, params: Params | Mapping[str, Any] | None = None,
                 rng: int | np.random.Generator | np.random.SeedSequence | None = None,
                 **overrides: Any) -> None:
        super().__init__(rng=checked_seed(overrides.pop("seed", None) if rng is None else rng))
        self.p = model_params(params, overrides)
        for message in horizon_warnings(self.p):
            warnings.warn(message, ScenarioWarning, stacklevel=2)
        self.horizon = self.p.market.months
        self.start = parse_month(self.p.market.start)
        self.month = self.start
        self.gens = run_schedule(self.p)
        self.perf = np.array([g.perf for g in self.gens])
        # What each launch month reveals about the fall in price per H100e, worked out once.
        self.launches = {g.release: launch_evidence(self.gens, g.release) for g in self.gens}
        self.ledger = Ledger()
        self.roster = Roster()
        self.rental = RentalMarket(self)
        self.startups = Startups(self)
        self.venture = VentureMarket(self)
        self.history: dict[str, list[float]] = defaultdict(list)
        self.outputs: dict[str, float] = {}   # the latest month's row of the month table
        self.gpu_accounts = GpuAccounts(len(self.gens))
        self.secondary = SecondaryMarket(self)
        self.nvidia = Nvidia(self)
        for i in range(self.p.lenders.count):
            kind = KINDS[i % len(KINDS)]
            hybrid = kind == "private_credit" and i // len(KINDS) < self.p.lenders.hybrid_count
            Lender(self, kind, self.p.lenders.initial_capital, hybrid=hybrid)
        open_warehouse_lines(self.lenders())
        self.credit = CreditMarket(self)
        self.equity = EquityMarket(self)
        self.env = Environment(self)
        self.power = PowerMarket(self)
        self.industry = NeocloudIndustry(self)
        self.industry.create_initial()
        self.power.open()
        self.initial_capacity_h100e = self.industry.installed_h100e()
        self.hyperscalers = Hyperscalers(self)
        self.startups.create_initial(self.initial_capacity_h100e, self.price_index)
        self.venture.open()
        self.funds = FundIndustry(self)
        self.funds.create_initial()
        self.demand_h100e = self.industry.installed_h100e() * self.p.startups.initial_demand_ratio
        self.schedule = tuple(self.build_schedule())
        self.reporters = (self.startups, self.nvidia, self.industry, self.funds, self.hyperscalers,
                          *(item for item in self.schedule if isinstance(item, Market)))
        self.datacollector = mesa.DataCollector(
            model_reporters=reporters.collectors(self, self.reporters))

    def build_schedule(self) -> list[Market | Phase]:
        """The order of events in a month: markets step, agent populations act. A new market
        is one more entry here (its outputs join the month table)."""
        return [
            self.env,                                                         # 1 environment
            Phase("startups plan", self.startups.plan),                       # 2
            Phase("neoclouds post prices", self._post_prices),                # 3
            self.rental,                                                      # 4 rental market
            Phase("hyperscalers lease", self.hyperscalers.lease),             #   anchor leases
            Phase("startups settle", self.startups.settle),                   # 5
            self.venture,                                                     #   venture funds
            Phase("Nvidia delivers", self._deliver),                          # 6
            self.power,                                                       #   powered space
            Phase("neoclouds operate and invest", self._operate),             # 7
            self.credit,                                                      # 8 credit market
            self.secondary,                                                   # 9 used GPUs
            Phase("hedge funds place orders", self.funds.before_close),       # 10
            self.equity,                                                      #    equity close
            Phase("hedge funds after the close", self.funds.after_close),
        ]

    def _post_prices(self, month: int) -> None:
        self.agents_by_type[Neocloud].do("post_prices")

    def _deliver(self, month: int) -> None:
        """Nvidia delivers; firms then plan against the installed base and backlog it left,
        and the used-GPU market measures its depth against it."""
        self.nvidia.deliver()
        self.industry.observe_supply()
        self.secondary.observe_installed()

    def _operate(self, month: int) -> None:
        """Every neocloud, in random order, pays its way and invests (or defaults); then
        new firms enter."""
        self.agents_by_type[Neocloud].shuffle_do("operate")
        self.industry.enter()

    # --- state read by agents ---------------------------------------------------------------
    @property
    def price_index(self) -> float:
        """The spot index, $ per H100e-hour (owned by the rental market)."""
        return self.rental.price_index

    def neoclouds(self) -> list[Neocloud]:
        """The neoclouds in the market, in order of entry (Mesa's own order for them)."""
        return list(self.roster.members())

    def lenders(self) -> list[Lender]:
        return list(self.agents_by_type.get(Lender, []))

    def recent_default_rate(self) -> float:
        """Neocloud defaults over the last twelve months per active neocloud."""
        defaults = sum(self.history["neocloud_defaults"][-12:])
        return defaults / max(len(self.roster.members()), 1)

    @property
    def price_trend(self) -> float:
        """Log change of the spot index per month over the last six months."""
        return _log_trend(self.history["spot_price_h100e"], 6)

    @property
    def demand_trend(self) -> float:
        return _log_trend(self.history["demand_h100e_hours"], 6)

    def revenue_growth_yoy(self) -> float:
        revenue = self.history["startup_revenue_usd"]
        if len(revenue) < 13 or revenue[-13] <= 0:
            return 0.0
        return float(clamp(math.log(max(revenue[-1], 1e-9) / revenue[-13]), -2.0, 2.0))

    def revenue_gap_share(self) -> float:
        """Last month's revenue gap of the neocloud segment as a share of the revenue its
        build-out requires."""
        gap = self.history["revenue_gap_neocloud_usd"]
        required = self.history["required_revenue_neocloud_usd"]
        if not gap or required[-1] <= 0:
            return 0.0
        return float(clamp(gap[-1] / required[-1], -1.0, 1.0))

    def recent_failure_rate(self) -> float:
        """Monthly failures per firm over the last three months, startups and neoclouds."""
        failures = self.history["startup_failures"][-3:]
        active = self.history["startups_active"][-3:]
        defaults = self.history["neocloud_defaults"][-3:]
        clouds = self.history["neoclouds_active"][-3:]
        if not failures:
            return 0.0
        rate = sum(failures) / max(sum(active), 1.0) + sum(defaults) / max(sum(clouds), 1.0)
        return rate / len(failures)

    def shocks_now(self) -> list[Shock]:
        return [s for s in self.p.shocks if s.month == self.month]

    # --- the month -------------------------------------------------------------------------
    def step(self) -> None:
        if self.steps > self.horizon:  # Mesa has counted this step already
            raise NeocloudError(
                f"the model was built for {self.horizon} months (market.months) and has run them; "
                "build it with a longer market.months to simulate further (the chip roadmap and "
                "every dated input are laid out for that horizon)")
        self.month = self.start + self.steps - 1
        for owner in (self.startups, self.venture, self.nvidia, self.industry, self.credit):
            owner.begin_month()
        self._apply_parameter_shocks()
        for event in self.schedule:
            if isinstance(event, Phase):
                event.run(self.month)
            else:
                event.step(self.month)
        self._record()

    def _record(self) -> None:
        """Event 11: the month's row, from every market and population's report."""
        row = reporters.month_row(self)
        bad = [key for key, value in row.items() if not math.isfinite(value)]
        if bad:
            raise ModelDivergence(
                f"the run diverged in {format_month(self.month)}: {', '.join(sorted(bad)[:5])} "
                f"{'is' if len(bad) == 1 else 'are'} not finite; the parameters drive the model "
                "outside its domain (see `neocloud-abm params` for plausible ranges)")
        self.demand_h100e = row["demand_h100e_hours"] / HOURS_PER_MONTH
        self.outputs = row
        for key, value in row.items():
            self.history[key].append(value)
        self.datacollector.collect(self)
        if self.steps >= self.horizon:
            self.running = False   # Mesa's convention: batch_run and SolaraViz stop here

    def _apply_parameter_shocks(self) -> None:
        for shock in self.shocks_now():
            if shock.set:
                self.p = self.p.with_overrides(dict(shock.set))

    def run(self, months: int | None = None) -> NeocloudMarket:
        """Simulate ``months`` more months (default: the rest of the horizon)."""
        left = self.horizon - self.steps
        if months is None:
            months = left
        elif (not isinstance(months, numbers.Integral) or isinstance(months, bool)
              or not 1 <= months <= left):
            raise ParameterError(f"months = {months!r} is not allowed: expected an integer in "
                                 f"[1, {left}] (the model was built for market.months = "
                                 f"{self.horizon} and has run {self.steps})")
        for _ in range(int(months)):
            self.step()
        return self

    # --- outputs ---------------------------------------------------------------------------
    def results(self) -> pd.DataFrame:
        """One row per simulated month (columns: docs/model.md#712-outputs-and-the-revenue-gap)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "date", [format_month(self.start + i) for i in range(len(df))])
        return df

    def generation_results(self) -> pd.DataFrame:
        """The per-generation series as data: one row per (date, generation, variable) with
        its value (docs/model.md#712-outputs-and-the-revenue-gap)."""
        return reporters.generation_table(self.results(), self.gens)

    def gpu_balance(self) -> np.ndarray:
        """Shipped minus (installed + held by lenders + retired + sold on): zero per
        generation if GPUs are conserved."""
        return self.nvidia.shipped - self.industry.installed_by_gen() - self.gpu_accounts.total()


def _log_trend(series: list[float], window: int) -> float:
    if len(series) <= window or series[-1 - window] <= 0 or series[-1] <= 0:
        return 0.0
    return math.log(series[-1] / series[-1 - window]) / window


def model_params(params: Params | Mapping[str, Any] | None, overrides: Mapping[str, Any]) -> Params:
    """Validated parameters from a Params or a mapping, plus keyword overrides (``__`` may
    stand for the dot, since keywords cannot contain one)."""
    if params is None:
        params = Params()
    elif isinstance(params, Mapping):
        params = Params(params)
    elif not isinstance(params, Params):
        raise ParameterError(f"params must be a Params (from load_scenario or Params(...)) or a "
                             f"mapping of dotted names, not {type(params).__name__}")
    dotted = {name.replace("__", "."): value for name, value in overrides.items()}
    return params.with_overrides(dotted) if dotted else params


def checked_seed(rng: Any) -> Any:
    """A seed Mesa and NumPy accept: a non-negative integer (NumPy integers too), a NumPy
    Generator or SeedSequence, or None; anything else is a one-line ParameterError."""
    if rng is None or isinstance(rng, np.random.Generator | np.random.SeedSequence):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool | np.bool_) and rng >= 0:
        return int(rng)
    raise ParameterError(f"seed = {rng!r} is not allowed: expected a non-negative integer "
                         "(or a numpy Generator or SeedSequence)")


def simulate(params: Params | Mapping[str, Any] | None = None, seed: int | None = None,
             months: int | None = None) -> pd.DataFrame:
    """Build a model, run it, return its results. ``months`` is the run's horizon: the same
    thing as ``market.months`` (it sets it), so the chip roadmap and dated inputs are laid
    out for the months actually simulated."""
    params = model_params(params, {})
    if months is not None:
        params = params.with_overrides({"market.months": months})
    return NeocloudMarket(params=params, rng=seed).run().results()
