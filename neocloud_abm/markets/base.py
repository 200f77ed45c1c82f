"""The interface every market implements (docs/model.md#3-process-overview-and-scheduling).

A market owns its state (prices, contracts, loans, listings) and is the only writer of it:
agents and other markets read it through the market's attributes and methods and act on it
by calling the market. Once a month the model calls :meth:`Market.step` at the market's place
in the schedule, and :meth:`Market.report` when it records the month: the values of the
output columns the market declares in ``columns``. Adding a market to the model is writing
one module with a class like this and adding one entry to
:meth:`neocloud_abm.model.NeocloudMarket.build_schedule`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Market(Protocol):
    """A market: one step a month, and the month's outputs."""

    @property
    def columns(self) -> Sequence[str]:
        """The output columns this market reports, in order."""
        ...

    def step(self, month: int) -> None:
        """The market's event of the month (``month`` counts months since year 0)."""
        ...

    def report(self) -> dict[str, float]:
        """This month's value of every column in ``columns`` (called once a month, after all
        events)."""
        ...
