"""NeocloudMarket: wiring of agents and markets, the order of events in a month, outputs."""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from neocloud_abm.agents import hedge_fund, startup
from neocloud_abm.agents.lender import KINDS, Lender
from neocloud_abm.agents.neocloud import Beliefs, Neocloud, npv_margin
from neocloud_abm.agents.nvidia import Nvidia
from neocloud_abm.core.chips import build_schedule, installed_price
from neocloud_abm.core.errors import ModelDivergence, NeocloudError, ParameterError, ScenarioWarning
from neocloud_abm.core.fleet import Cohort
from neocloud_abm.core.ledger import Ledger
from neocloud_abm.core.months import format_month, parse_month
from neocloud_abm.core.units import HOURS_PER_MONTH
from neocloud_abm.environment import Environment
from neocloud_abm.markets import credit, rental
from neocloud_abm.markets.equity import EquityMarket
from neocloud_abm.markets.rental import ContractBook
from neocloud_abm.markets.secondary import SecondaryMarket
from neocloud_abm.outputs import reporters
from neocloud_abm.parameters.params import Params, Shock, horizon_warnings


class NeocloudMarket(mesa.Model):
    """The market for rented AI compute. One step is one month; the order of events is in
    docs/model.md (process overview and scheduling).

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
        self._loan_ids = itertools.count()
        self.start = parse_month(self.p.market.start)
        self.month = self.start
        self.gens = build_schedule(self.p, self.start + self.p.market.months)
        self.perf = np.array([g.perf for g in self.gens])
        self.ledger = Ledger()
        self.clearing_account = self.ledger.open("spot clearing")
        self.contracts = ContractBook()
        self.startups = startup.StartupTable()
        self.month_stats: dict[str, float] = defaultdict(float)
        self.history: dict[str, list[float]] = defaultdict(list)
        self.gpu_account = {kind: np.zeros(len(self.gens))
                            for kind in ("retired", "sold", "lender_held")}
        self.price_index = self.p.market.initial_price_h100e
        self.contract_price = self.price_index * (1.0 - self.p.market.contract_discount)
        self.gen_price: dict[int, float] = {}
        self.gen_utilization: dict[int, float] = {}
        self.secondary = SecondaryMarket(self)
        self.installed_snapshot = np.zeros(len(self.gens))
        self.nvidia = Nvidia(self)
        for i in range(self.p.lenders.count):
            Lender(self, KINDS[i % len(KINDS)], self.p.lenders.initial_capital)
        self.equity = EquityMarket(self)
        self.env = Environment(self)
        self._create_initial_neoclouds()
        self.initial_capacity_h100e = self.installed_h100e
        self._create_initial_startups()
        hedge_fund.create_hedge_funds(self)
        self.demand_h100e = self.installed_h100e * self.p.startups.initial_demand_ratio
        self.datacollector = mesa.DataCollector(model_reporters=reporters.reporters(self))

    # --- set-up ---------------------------------------------------------------------------
    def _beliefs(self) -> Beliefs:
        n = self.p.neoclouds
        spread = n.belief_dispersion
        return Beliefs(
            competition_neglect=float(np.clip(n.competition_neglect
                                              + self.rng.normal(0, spread), 0.0, 1.0)),
            extrapolation=float(max(n.extrapolation * (1 + self.rng.normal(0, spread)), 0.0)),
            appetite=float(np.exp(self.rng.normal(0.0, 0.3))))

    def _create_initial_neoclouds(self) -> None:
        """Firms of lognormal size sharing the 2022 fleet of the oldest generation; the
        largest is an ex-crypto-miner (CoreWeave-like); the largest few are Nvidia partners."""
        n, oldest = self.p.neoclouds, self.gens[0]
        sizes = np.sort(self.rng.lognormal(0.0, 1.0, n.initial_count))[::-1]
        shares = sizes / sizes.sum()
        for i, share in enumerate(shares):
            count = n.initial_fleet_gpus * share
            monthly = count * HOURS_PER_MONTH * n.target_utilization * oldest.perf * self.price_index
            crypto = i == 0 or bool(self.rng.random() < n.crypto_origin_share)
            cloud = Neocloud(self, n.initial_cash_months * monthly, self._beliefs(), crypto,
                             partner=i < self.p.nvidia.partner_count)
            if count > 0:
                acquired = int(self.rng.integers(oldest.release, self.start + 1))
                cloud.fleet.add(Cohort(oldest.index, count, acquired,
                                       installed_price(oldest, 0.0, self.p)))
                self.nvidia.shipped[oldest.index] += count
                cloud.prices[oldest.index] = self.price_index * oldest.perf

    def _create_initial_startups(self) -> None:
        """Needs scaled so that demand at the initial price is the calibrated share of
        installed capacity."""
        s, m = self.p.startups, self.p.market
        demand_hours = s.initial_demand_ratio * self.installed_h100e * HOURS_PER_MONTH
        total_need = demand_hours * (self.price_index / m.reference_price_h100e) ** s.price_elasticity
        needs = startup.draw_needs(self, s.initial_count, 1.0)
        startup.enter(self, needs * total_need / needs.sum(), self.price_index)
        rows = self.startups.live_rows()
        self.startups.spend[rows] = startup.compute_spend_estimate(
            self.startups.need[rows], self.price_index, self.p)

    # --- state read by agents ---------------------------------------------------------------
    def neoclouds(self) -> list[Neocloud]:
        return list(self.agents_by_type.get(Neocloud, []))

    def lenders(self) -> list[Lender]:
        return list(self.agents_by_type.get(Lender, []))

    def recent_default_rate(self) -> float:
        """Neocloud defaults over the last twelve months per active neocloud."""
        defaults = sum(self.history["neocloud_defaults"][-12:])
        return defaults / max(len(self.neoclouds()), 1)

    @property
    def installed_h100e(self) -> float:
        return sum(c.installed_h100e() for c in self.neoclouds())

    def installed_by_gen(self) -> np.ndarray:
        return sum((cloud.fleet.counts() for cloud in self.neoclouds()), np.zeros(len(self.gens)))

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
        return float(np.clip(math.log(max(revenue[-1], 1e-9) / revenue[-13]), -2.0, 2.0))

    def revenue_gap_share(self) -> float:
        """Last month's revenue gap as a share of the revenue the build-out requires."""
        gap, required = self.history["revenue_gap_usd"], self.history["required_revenue_usd"]
        if not gap or required[-1] <= 0:
            return 0.0
        return float(np.clip(gap[-1] / required[-1], -1.0, 1.0))

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
    def new_loan_id(self) -> int:
        """Loan ids are per model, so two models in one process number their loans alike."""
        return next(self._loan_ids)

    def step(self) -> None:
        if self.steps > self.horizon:  # Mesa has counted this step already
            raise NeocloudError(
                f"the model was built for {self.horizon} months (market.months) and has run them; "
                "build it with a longer market.months to simulate further (the chip roadmap and "
                "every dated input are laid out for that horizon)")
        self.month = self.start + self.steps - 1
        self.month_stats = defaultdict(float)
        self._apply_parameter_shocks()
        self.env.update()                                   # 1
        startup.plan_month(self)                            # 2
        self.agents_by_type[Neocloud].do("post_prices")     # 3
        rental.run_month(self)                              # 4
        startup.settle_month(self)                          # 5
        self.nvidia.deliver()                               # 6
        self.supply_view = (self.installed_h100e, self.nvidia.backlog_h100e())
        self.installed_snapshot = self.installed_by_gen()
        self.agents_by_type[Neocloud].shuffle_do("operate")  # 7
        self._neocloud_entry()
        credit.monitor_month(self)                          # 8
        self.secondary.update()                             # 9
        hedge_fund.trade_month(self)                        # 10
        self.demand_h100e = self.month_stats["demand_h100e_hours"] / HOURS_PER_MONTH
        reporters.record_month(self)                          # 11
        self._check_finite()
        for key, value in self.month_stats.items():
            self.history[key].append(value)
        self.datacollector.collect(self)

    def _check_finite(self) -> None:
        """Stop at once, with the month and the output, rather than write NaN or inf."""
        bad = [key for key, value in self.month_stats.items() if not math.isfinite(value)]
        if bad:
            raise ModelDivergence(
                f"the run diverged in {format_month(self.month)}: {', '.join(sorted(bad)[:5])} "
                f"{'is' if len(bad) == 1 else 'are'} not finite; the parameters drive the model "
                "outside its domain (see `neocloud-abm params` for plausible ranges)")

    def _apply_parameter_shocks(self) -> None:
        for shock in self.shocks_now():
            if shock.set:
                self.p = self.p.with_overrides(dict(shock.set))

    def _neocloud_entry(self) -> None:
        """Entry rises with how far the spot price is above a new GPU's break-even."""
        n = self.p.neoclouds
        newest = max(self.nvidia.on_sale(), key=lambda g: g.release, default=None)
        if newest is None:
            return
        breakeven = self.breakeven_price(newest)
        attraction = np.clip((self.price_index / breakeven - 1.0) / n.entry_margin, 0.0, 1.0)
        entrants = int(self.rng.poisson(n.entry_rate * attraction))
        for _ in range(entrants):
            crypto = bool(self.rng.random() < n.crypto_origin_share)
            equity = n.entry_capital * float(np.exp(self.rng.normal(0.0, 0.5)))
            Neocloud(self, equity, self._beliefs(), crypto, partner=False)
        self.month_stats["neocloud_entries"] = entrants

    def breakeven_price(self, gen) -> float:
        """Flat perf-adjusted price at which a new GPU earns its cost of capital at target
        utilization (the NPV margin is linear in the price)."""
        n = self.p.neoclouds
        lead = float(self.p.nvidia.deployment_lag_months)
        args = (n.target_utilization, lead, n.assumed_life_months,
                self.nvidia.markups[gen.index], self.p)
        at_one, at_two = npv_margin(gen, 1.0, *args), npv_margin(gen, 2.0, *args)
        slope = at_two - at_one
        return max(1.0 - at_one / slope, 1e-6) if slope > 0 else math.inf

    def run(self, months: int | None = None) -> NeocloudMarket:
        """Simulate ``months`` more months (default: the rest of the horizon)."""
        left = self.horizon - self.steps
        if months is None:
            months = left
        elif not isinstance(months, numbers.Integral) or isinstance(months, bool) or not 1 <= months <= left:
            raise ParameterError(f"months = {months!r} is not allowed: expected an integer in [1, {left}] "
                                 f"(the model was built for market.months = {self.horizon} and has run "
                                 f"{self.steps})")
        for _ in range(int(months)):
            self.step()
        return self

    # --- outputs ---------------------------------------------------------------------------
    def results(self) -> pd.DataFrame:
        """One row per simulated month (columns: docs/model.md#712-outputs-and-the-revenue-gap)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "date", [format_month(self.start + i) for i in range(len(df))])
        return df

    def gpu_balance(self) -> np.ndarray:
        """Shipped minus (installed + held by lenders + retired + sold on): zero per
        generation if GPUs are conserved."""
        return (self.nvidia.shipped - self.installed_by_gen() - sum(self.gpu_account.values()))


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
