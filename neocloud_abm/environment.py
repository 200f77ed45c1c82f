"""The model's environment (event 1): AI adoption, sentiment, the base rate, substitutes,
scenario shocks.

Sentiment is a model-level state, an output of what investors observe. It has two parts:
news about adoption, priced at once (the adoption growth the diffusion implies for the next
year), and a mood that moves slowly, with noise, toward what year-on-year startup revenue
growth, the revenue gap and recent failures justify. The ChatGPT surprise acts on adoption
(:mod:`neocloud_abm.adoption`), and sentiment follows from it.

The hyperscalers' on-demand price is the customers' outside option: it follows the
neocloud price index with a markup, stickily, but never rises above the hyperscalers' list
price, which falls with the perf-adjusted cost of the newest generation (AWS lists an
H100-hour at the same price however scarce GPUs are, and cuts it when a new generation
makes compute cheaper). No neocloud posts above it, so prices are bounded by construction.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from neocloud_abm.adoption import Adoption
from neocloud_abm.core.chips import installed_price
from neocloud_abm.core.months import parse_month
from neocloud_abm.core.scalars import clamp

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket


def path_value(knots: tuple[tuple[str, float], ...], month: int) -> float:
    """Linear interpolation between dated knots, flat outside them."""
    months = [parse_month(d) for d, _ in knots]
    return float(np.interp(month, months, [v for _, v in knots]))


class Environment:
    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        env = model.p.environment
        self.adoption = Adoption(model)
        self.mood = env.initial_sentiment
        self.sentiment = self.mood + self.adoption_news()
        self.base_rate_shift = 0.0
        self.base_rate = path_value(env.base_rate_path, model.month)
        self.asic_share = env.asic_share_start
        self.need_shock = 1.0
        self.monetisation = model.p.startups.revenue_per_compute
        self.hyperscaler_price = model.price_index * env.hyperscaler_markup
        self.hyperscaler_capacity = 0.0
        self.hyperscaler_capex = 0.0

    columns = ("sentiment", "base_rate", "asic_share", "hyperscaler_price_h100e",
               *Adoption.columns)

    def step(self, month: int) -> None:
        """Event 1: adoption, shocks of the month, sentiment, the base rate, the ASIC share,
        the hyperscalers' price and capacity."""
        model = self.model
        p = model.p
        env = p.environment
        self.adoption.step(month)
        self.need_shock = 1.0
        shock_sentiment = 0.0
        for shock in model.shocks_now():
            shock_sentiment += shock.sentiment
            self.base_rate_shift += shock.base_rate
            self.need_shock *= shock.compute_need
        target = (env.sentiment_revenue_weight * math.tanh(model.revenue_growth_yoy())
                  - env.sentiment_gap_weight * max(model.revenue_gap_share(), 0.0)
                  - env.sentiment_failure_weight * model.recent_failure_rate())
        self.mood += (env.sentiment_reversion * (target - self.mood)
                      + model.rng.normal(0.0, env.sentiment_noise) + shock_sentiment)
        self.mood = float(clamp(self.mood, -5.0, 5.0))
        self.sentiment = float(clamp(self.mood + self.adoption_news(), -5.0, 5.0))

        self.base_rate = path_value(env.base_rate_path, month) + self.base_rate_shift
        years = (month - model.start) / 12.0
        self.asic_share = min(env.asic_share_start + env.asic_share_growth * years
                              + self.asic_programs(), env.asic_share_max)
        self.monetisation = p.startups.revenue_per_compute * self.adoption.productivity
        stick = env.hyperscaler_price_stickiness
        self.hyperscaler_price = min(stick * self.hyperscaler_price
                                     + (1 - stick) * env.hyperscaler_markup * model.price_index,
                                     self.list_price())
        before = self.hyperscaler_capacity
        self.hyperscaler_capacity = self.hyperscaler_capacity_at(month)
        self.hyperscaler_capex = (max(self.hyperscaler_capacity - before, 0.0)
                                  * (model.nvidia.installed_cost_h100e() or 0.0)
                                  if before > 0 else 0.0)

    def report(self) -> dict[str, float]:
        return {"sentiment": self.sentiment, "base_rate": self.base_rate,
                "asic_share": self.asic_share, "hyperscaler_price_h100e": self.hyperscaler_price,
                **self.adoption.report()}

    def hyperscaler_capacity_at(self, month: float) -> float:
        """H100e the hyperscalers' own fleets offer to startups in ``month`` (their build
        plan: known to them ahead, taken as given here)."""
        model, env = self.model, self.model.p.environment
        years = (month - model.start) / 12.0
        return (env.hyperscaler_capacity_share * model.initial_capacity_h100e
                * math.exp(env.hyperscaler_capacity_growth * years))

    def asic_programs(self) -> float:
        """ASIC share added by in-house programs that Nvidia's scarcity markups prompted and
        that are deployed by now: programs decided in month s deploy in s + L."""
        env = self.model.p.environment
        if not env.asic_markup_response:
            return 0.0
        markups = self.model.history["nvidia_markup"]
        deployed = markups[: max(len(markups) - env.asic_program_months + 1, 0)]
        return env.asic_markup_response * sum(deployed) / 12.0

    def adoption_news(self) -> float:
        """The part of sentiment that adoption news sets at once: the adoption growth
        expected over the next year, in index points."""
        return (self.model.p.environment.sentiment_adoption_weight
                * math.tanh(self.adoption.expected_growth))

    def list_price(self) -> float:
        """Hyperscalers' on-demand list price, $ per H100e-hour: the H100's list price scaled
        by the perf-adjusted installed cost of the newest generation on sale against the
        H100's."""
        model = self.model
        newest = model.nvidia.newest_on_sale()
        reference = next((g for g in model.gens if g.name == "h100"), None)
        list_h100 = model.p.environment.hyperscaler_list_price_h100e
        if newest is None or reference is None:
            return list_h100
        cost = installed_price(newest, 0.0, model.p) / newest.perf
        return list_h100 * cost / installed_price(reference, 0.0, model.p)

    @property
    def nvidia_share(self) -> float:
        """Share of AI compute demand that runs on rented Nvidia GPUs rather than ASICs,
        relative to the start (so initial demand is what the calibration says)."""
        start = self.model.p.environment.asic_share_start
        return (1.0 - self.asic_share) / (1.0 - start)
