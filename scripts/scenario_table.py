"""Print, for every built-in scenario, defaults, lender losses and failures, the largest
failure cascade, loans sold, hedge-fund margin calls, the price decline and Nvidia's
backstop payments over N seeds (median and range), as the Markdown table in the README.

    python scripts/scenario_table.py --seeds 10
"""

from __future__ import annotations

import argparse

import numpy as np

from neocloud_abm import load_scenario, simulate, summarize
from neocloud_abm.parameters.scenarios import list_scenarios

STATISTICS = (("defaults", "defaults", "{:.0f}"), ("default_rate", "default rate", "{:.0%}"),
              ("lender_loss_rate", "lender loss rate", "{:.1%}"),
              ("peak_to_trough", "peak-to-trough", "{:.0%}"),
              ("decline_24m", "decline within 24 months of peak", "{:.0%}"),
              ("max_debt_usd", "max debt ($bn)", "{:.0f}"),
              ("lender_failures", "lender failures", "{:.0f}"),
              ("max_cascade_size", "largest cascade", "{:.0f}"),
              ("loans_sold_usd", "loans sold ($bn)", "{:.1f}"),
              ("hedge_fund_margin_calls", "fund margin calls", "{:.0f}"),
              ("nvidia_backstop_called_usd", "Nvidia backstop called ($bn)", "{:.1f}"))
IN_BILLIONS = ("max_debt_usd", "loans_sold_usd", "nvidia_backstop_called_usd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    header = " | ".join(label for _, label, _ in STATISTICS)
    print(f"| scenario | {header} |")
    print("|---" * (len(STATISTICS) + 1) + "|")
    for name in list_scenarios():
        params = load_scenario(name)
        rows = [summarize(simulate(params, seed=seed)) for seed in range(1, args.seeds + 1)]
        cells = []
        for key, _, fmt in STATISTICS:
            values = np.array([row[key] for row in rows], dtype=float)
            if key in IN_BILLIONS:
                values = values / 1e9
            cells.append(f"{fmt.format(np.median(values))} ({fmt.format(values.min())}-"
                         f"{fmt.format(values.max())})")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
