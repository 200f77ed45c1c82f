"""End customers' adoption of AI: a Bass (1969) diffusion with a bounded market potential
(docs/model.md#716-adoption).

Adoption is what AI startups sell into: revenue per unit of compute rises with the share of
potential customers that use AI, so demand for compute grows while adoption spreads and
stops growing when it saturates. ChatGPT is a surprise in this process, not a scripted
sentiment level: it raises the market potential (generative AI reveals a far larger set of
uses than the machine learning of 2022), and the adopted share then follows an S-curve
toward the new potential, led by innovators and then by imitation (Norton and Bass 1987 for
a new generation of a technology). Before the surprise, adoption has reached its potential.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from neocloud_abm.core.months import parse_month

if TYPE_CHECKING:
    from neocloud_abm.model import NeocloudMarket


def bass_increment(share: float, potential: float, innovation: float, imitation: float) -> float:
    """Monthly new adopters as a share of all potential customers: innovators (``innovation``
    per year) and imitators of those who already use AI (``imitation`` per year) among the
    customers who could adopt but have not."""
    if potential <= share:
        return 0.0
    return (innovation + imitation * share / potential) * (potential - share) / 12.0


class Adoption:
    """The adopted share ``F`` of potential customers and the potential ``m`` (both fractions
    of the economy's customers), stepped once a month by the environment."""

    columns = ("adoption_share", "adoption_potential", "expected_adoption_growth")

    def __init__(self, model: NeocloudMarket) -> None:
        self.model = model
        env = model.p.environment
        self.share = env.adoption_initial
        self.potential = env.adoption_initial
        self.expected_growth = self.forecast_growth()

    def step(self, month: int) -> None:
        env = self.model.p.environment
        if month == parse_month(env.chatgpt_date):
            self.potential = min(self.potential + env.chatgpt_shock, 1.0)
        noise = self.model.rng.normal(0.0, env.adoption_noise)
        increment = bass_increment(self.share, self.potential, env.adoption_innovation,
                                   env.adoption_imitation)
        self.share = min(self.share + increment * math.exp(noise - env.adoption_noise ** 2 / 2),
                         self.potential)
        self.expected_growth = self.forecast_growth()

    def forecast_growth(self, months: int = 12) -> float:
        """Log growth of adoption over the next ``months`` that the Bass curve implies from
        today's share and potential: what an observer who knows the diffusion expects."""
        env = self.model.p.environment
        share = self.share
        for _ in range(months):
            share += bass_increment(share, self.potential, env.adoption_innovation,
                                    env.adoption_imitation)
        return math.log(share / self.share)

    @property
    def productivity(self) -> float:
        """Revenue per unit of compute relative to the start: proportional to the adopted
        share (the customers a startup's product can reach)."""
        return self.share / self.model.p.environment.adoption_initial

    def report(self) -> dict[str, float]:
        return {"adoption_share": self.share, "adoption_potential": self.potential,
                "expected_adoption_growth": self.expected_growth}
