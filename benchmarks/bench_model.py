"""Model speed: one baseline run and one with 10x the startups, each beside Mesa's own
Boltzmann wealth model at the same mean agent count.

An agent-step is one agent present in one month (``len(model.agents)`` summed after each
``model.step()``). Dividing time by agent-steps gives a cost per agent-step that compares
across models and sizes; the ratio to Boltzmann, the lightest Mesa model there is, is the
overhead of this model's economics over Mesa's own bookkeeping. Times include building the
model; the best of ``--repeats`` runs is kept (the least disturbed by the machine).

    python benchmarks/bench_model.py                 # 120 months, best of 3: under a minute
    python benchmarks/bench_model.py --months 60 --repeats 3

Prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import mesa
from mesa.examples import BoltzmannWealth

from neocloud_abm import NeocloudMarket, load_scenario


@dataclass(frozen=True)
class Timing:
    label: str
    months: int
    seconds: float
    agent_steps: int
    final_agents: int

    @property
    def mean_agents(self) -> float:
        return self.agent_steps / self.months

    @property
    def us_per_agent_step(self) -> float:
        return 1e6 * self.seconds / self.agent_steps


def timed_run(label: str, build: Callable[[], mesa.Model], months: int) -> Timing:
    start = time.perf_counter()
    model = build()
    agent_steps = 0
    for _ in range(months):
        model.step()
        agent_steps += len(model.agents)
    return Timing(label, months, time.perf_counter() - start, agent_steps, len(model.agents))


def best_of(repeats: int, run: Callable[[], Timing]) -> Timing:
    return min((run() for _ in range(repeats)), key=lambda t: t.seconds)


def neocloud(startups: int, months: int, seed: int, repeats: int) -> Timing:
    params = load_scenario("baseline").with_overrides({"startups.initial_count": startups})
    return best_of(repeats, lambda: timed_run(
        f"neocloud_abm baseline, {startups} startups",
        lambda: NeocloudMarket(params=params, rng=seed), months))


def boltzmann(agents: int, months: int, seed: int, repeats: int) -> Timing:
    """Mesa's example as shipped (grid moves, data collection every step), on a grid sized
    for one agent per cell as in its default 100 agents on 10x10, so cell crowding, and
    with it the cost per agent, does not grow with the agent count."""
    side = math.ceil(math.sqrt(agents))
    return best_of(repeats, lambda: timed_run(
        f"Mesa BoltzmannWealth, {agents} agents",
        lambda: BoltzmannWealth(n=agents, width=side, height=side, seed=seed), months))


def table(pairs: list[tuple[Timing, Timing]]) -> str:
    rows = ["| model | run (s) | agent-steps | mean agents | final agents | agent-steps/s "
            "| µs per agent-step | vs Boltzmann |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for ours, reference in pairs:
        for timing in (ours, reference):
            ratio = timing.us_per_agent_step / reference.us_per_agent_step
            rows.append(f"| {timing.label} | {timing.seconds:.2f} | {timing.agent_steps:,} "
                        f"| {timing.mean_agents:,.0f} | {timing.final_agents:,} "
                        f"| {timing.agent_steps / timing.seconds:,.0f} "
                        f"| {timing.us_per_agent_step:.1f} | {ratio:.2f}x |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=120, help="months per run (120)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case; best kept (3)")
    parser.add_argument("--scale", type=int, default=10, help="startup multiplier (10)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    base = load_scenario("baseline")["startups.initial_count"]
    pairs = []
    for startups in (base, base * args.scale):
        ours = neocloud(startups, args.months, args.seed, args.repeats)
        reference = boltzmann(round(ours.mean_agents), args.months, args.seed, args.repeats)
        pairs.append((ours, reference))
        print(f"done: {ours.label} in {ours.seconds:.1f} s", file=sys.stderr, flush=True)

    (small, _), (large, _) = pairs
    print(f"{date.today()}, {os.cpu_count()} cores ({platform.processor() or platform.machine()})"
          f", Python {platform.python_version()}, Mesa {mesa.__version__}, "
          f"{args.months} months, best of {args.repeats}\n")
    print(table(pairs))
    print(f"\n{args.scale}x startups: {large.seconds / small.seconds:.1f}x the time for "
          f"{large.agent_steps / small.agent_steps:.1f}x the agent-steps.")


if __name__ == "__main__":
    main()
