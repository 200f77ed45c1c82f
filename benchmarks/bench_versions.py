"""Speed of this checkout against another (e.g. the commit before a change), side by side.

Each round runs one baseline simulation in a fresh interpreter for each checkout, in
alternating order, so both see the same machine load; the table gives the median and range
of the run times (model built and run; imports excluded) and their ratio. Used to show that
a refactor did not slow the model down:

    git worktree add /tmp/before HEAD~1
    python benchmarks/bench_versions.py /tmp/before --rounds 7
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
TIMED = """
import time, warnings
warnings.simplefilter("ignore")
from neocloud_abm import load_scenario, simulate
params = load_scenario("{scenario}")
start = time.perf_counter()
simulate(params, seed={seed}, months={months})
print(time.perf_counter() - start)
"""


def run_once(checkout: Path, scenario: str, seed: int, months: int) -> float:
    code = TIMED.format(scenario=scenario, seed=seed, months=months)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"})
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("other", type=Path, help="the checkout to compare with (a git worktree)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--months", type=int, default=120)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"this checkout": [], str(args.other): []}
    for round_ in range(args.rounds):
        order = [(HERE, "this checkout"), (args.other, str(args.other))]
        for checkout, label in order if round_ % 2 == 0 else reversed(order):
            times[label].append(run_once(checkout, args.scenario, args.seed, args.months))
    print(f"{args.scenario}, seed {args.seed}, {args.months} months, {args.rounds} rounds\n")
    print("| checkout | median (s) | min (s) | max (s) |\n|---|---:|---:|---:|")
    for label, values in times.items():
        print(f"| {label} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")
    this, other = (statistics.median(v) for v in times.values())
    print(f"\nthis checkout / other: {this / other:.2f}x")


if __name__ == "__main__":
    main()
