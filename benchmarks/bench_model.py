"""Model speed: the baseline beside Mesa's own Boltzmann wealth model, and how the cost
grows with months, neoclouds and startups, as ratios measured side by side.

Scaling table: each case (baseline 120 months; 240 months; 10x the initial neoclouds; 10x
the startups; Boltzmann with 1,000 agents for 120 steps) is timed ``--repeats`` times in
rounds that interleave the cases, so all see the same machine load; the table gives each
case's median, range, and its ratio to the baseline's median. Times include building the
model.

Agent-step table: an agent-step is one agent present in one month (``len(model.agents)``
summed after each ``model.step()``); time per agent-step compares across models and sizes,
and its ratio to Boltzmann at the same mean agent count is the overhead of this model's
economics over Mesa's own bookkeeping.

    python benchmarks/bench_model.py                 # about 2 minutes on 2 cores
    python benchmarks/bench_model.py --repeats 7

Prints Markdown tables for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import warnings
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


def neocloud(label: str, overrides: dict[str, float], months: int, seed: int) -> Timing:
    params = load_scenario("baseline").with_overrides({**overrides, "market.months": months})
    return timed_run(label, lambda: NeocloudMarket(params=params, rng=seed), months)


def boltzmann(agents: int, months: int, seed: int) -> Timing:
    """Mesa's example as shipped (grid moves, data collection every step), on a grid sized
    for one agent per cell as in its default 100 agents on 10x10, so cell crowding, and
    with it the cost per agent, does not grow with the agent count."""
    side = math.ceil(math.sqrt(agents))
    return timed_run(f"Mesa BoltzmannWealth, {agents} agents, {months} steps",
                     lambda: BoltzmannWealth(n=agents, width=side, height=side, seed=seed),
                     months)


def cases(months: int, scale: int, seed: int) -> dict[str, Callable[[], Timing]]:
    base = load_scenario("baseline")
    firms, startups = base["neoclouds.initial_count"], base["startups.initial_count"]
    return {
        "baseline": lambda: neocloud(f"baseline, {months} months", {}, months, seed),
        "longer": lambda: neocloud(f"baseline, {2 * months} months", {}, 2 * months, seed),
        "neoclouds": lambda: neocloud(
            f"{scale}x neoclouds ({firms * scale}), {months} months",
            {"neoclouds.initial_count": firms * scale}, months, seed),
        "startups": lambda: neocloud(
            f"{scale}x startups ({startups * scale}), {months} months",
            {"startups.initial_count": startups * scale}, months, seed),
        "boltzmann": lambda: boltzmann(1000, months, seed),
    }


def scaling_table(timings: dict[str, list[Timing]]) -> str:
    reference = statistics.median(t.seconds for t in timings["baseline"])
    rows = ["| case | median (s) | min (s) | max (s) | vs baseline |",
            "|---|---:|---:|---:|---:|"]
    for runs in timings.values():
        seconds = [t.seconds for t in runs]
        median = statistics.median(seconds)
        rows.append(f"| {runs[0].label} | {median:.2f} | {min(seconds):.2f} "
                    f"| {max(seconds):.2f} | {median / reference:.2f}x |")
    return "\n".join(rows)


def agent_step_table(pairs: list[tuple[Timing, Timing]]) -> str:
    rows = ["| model | run (s) | agent-steps | mean agents | µs per agent-step | vs Boltzmann |",
            "|---|---:|---:|---:|---:|---:|"]
    for ours, reference in pairs:
        for timing in (ours, reference):
            ratio = timing.us_per_agent_step / reference.us_per_agent_step
            rows.append(f"| {timing.label} | {timing.seconds:.2f} | {timing.agent_steps:,} "
                        f"| {timing.mean_agents:,.0f} | {timing.us_per_agent_step:.1f} "
                        f"| {ratio:.2f}x |")
    return "\n".join(rows)


def fastest(runs: list[Timing]) -> Timing:
    return min(runs, key=lambda t: t.seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=120, help="months per run (120)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds over all cases (5)")
    parser.add_argument("--scale", type=int, default=10, help="neocloud, startup multiplier (10)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")   # horizon warnings for 240 months: known, not timed

    todo = cases(args.months, args.scale, args.seed)
    timings: dict[str, list[Timing]] = {name: [] for name in todo}
    for round_ in range(args.repeats):
        order = list(todo) if round_ % 2 == 0 else list(reversed(todo))
        for name in order:
            timings[name].append(todo[name]())
        print(f"round {round_ + 1}/{args.repeats} done", file=sys.stderr, flush=True)

    pairs = []
    for name in ("baseline", "startups"):
        ours = fastest(timings[name])
        pairs.append((ours, boltzmann(round(ours.mean_agents), args.months, args.seed)))

    print(f"{date.today()}, {os.cpu_count()} cores ({platform.processor() or platform.machine()})"
          f", Python {platform.python_version()}, Mesa {mesa.__version__}, seed {args.seed}, "
          f"{args.repeats} rounds\n")
    print(scaling_table(timings))
    print("\nPer agent-step (fastest run of each case beside Boltzmann at its mean agent "
          "count):\n")
    print(agent_step_table(pairs))


if __name__ == "__main__":
    main()
