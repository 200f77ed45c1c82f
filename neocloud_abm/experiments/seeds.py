"""Seeds derived from one root seed, so a run is reproducible from (spec, point, replication).

A run's seed depends only on its key, never on which worker ran it or in which order, which
is what makes serial, process-pool and Dask sweeps produce identical results.
"""

from __future__ import annotations

import numpy as np


def run_seed(root: int, point: int, replication: int) -> int:
    """Seed of run (point, replication): the ``spawn`` child ``[point][replication]`` of the root.

    ``SeedSequence(root, spawn_key=(p, r))`` is exactly what ``SeedSequence(root).spawn(...)``
    yields for child ``p`` and grandchild ``r``, without spawning every earlier child first.
    The top bit is dropped so the seed fits a signed 64-bit Parquet column.
    """
    state = np.random.SeedSequence(root, spawn_key=(point, replication)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def design_seed(root: int) -> int:
    """Seed for sampling the design (LHS, Sobol, Morris): the root's own stream, which no run
    uses, since every run draws from a spawned child."""
    return int(np.random.SeedSequence(root).generate_state(1)[0])
