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
import neocloud_abm
from neocloud_abm import load_scenario, simulate
params = load_scenario("{scenario}")
start = time.perf_counter()
simulate(params, seed={seed}, months={months})
print(neocloud_abm.__file__)
print(time.perf_counter() - start)
"""


def run_once(checkout: Path, scenario: str, seed: int, months: int) -> float:
    """One timed run in a fresh interpreter that imports the package from ``checkout``: run
    from there, since ``python -c`` puts the working directory ahead of PYTHONPATH (and of
    an editable install), and checked, so a mix-up cannot compare a checkout with itself."""
    code = TIMED.format(scenario=scenario, seed=seed, months=months)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=checkout, env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"})
    imported, seconds = done.stdout.strip().splitlines()[-2:]
    if not Path(imported).resolve().is_relative_to(checkout.resolve()):
        sys.exit(f"{checkout}: the run imported {imported}, not this checkout's package")
    return float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("other", type=Path, help="the checkout to compare with (a git worktree)")
    parser.add_argument("--checkout", type=Path, default=HERE,
                        help="the checkout to time against it (default: this one)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--months", type=int, default=120)
    args = parser.parse_args()
    this = "this checkout" if args.checkout == HERE else str(args.checkout)
    times: dict[str, list[float]] = {this: [], str(args.other): []}
    for round_ in range(args.rounds):
        order = [(args.checkout, this), (args.other, str(args.other))]
        for checkout, label in order if round_ % 2 == 0 else reversed(order):
            times[label].append(run_once(checkout, args.scenario, args.seed, args.months))
    print(f"{args.scenario}, seed {args.seed}, {args.months} months, {args.rounds} rounds\n")
    print("| checkout | median (s) | min (s) | max (s) |\n|---|---:|---:|---:|")
    for label, values in times.items():
        print(f"| {label} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")
    first, second = (statistics.median(v) for v in times.values())
    print(f"\n{this} / other: {first / second:.2f}x")


if __name__ == "__main__":
    main()
