"""The model as an EMA Workbench model (Kwakkel 2017), for exploratory modelling: scenario
discovery (PRIM), robustness analysis and many-objective search without glue code.

Uncertainties come from the parameter registry: each chosen parameter is sampled over its
plausible range (``neocloud-abm params`` shows them with their sources), integer parameters
as integers. EMA names must be Python identifiers, so a parameter is named with ``__`` for
the dot (``lenders__max_ltv``), as in the model's keyword overrides. Outcomes are run
statistics of :func:`neocloud_abm.summarize`. Each experiment
is one seeded run, so EMA's results are reproducible and match :func:`neocloud_abm.simulate`
with the same values and seed. Needs the ``ema`` extra: ``pip install 'neocloud_abm[ema]'``.

    from ema_workbench import SequentialEvaluator
    from neocloud_abm.interface.ema import ema_model

    model = ema_model(["neoclouds.competition_neglect", "lenders.max_ltv"])
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=100)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neocloud_abm.core.errors import NeocloudError, ParameterError
from neocloud_abm.model import simulate
from neocloud_abm.outputs.summary import NUMERIC_STATISTICS, summarize
from neocloud_abm.parameters.registry import check_name, plausible_range
from neocloud_abm.parameters.scenarios import load_scenario

OUTCOMES = ("peak_to_trough", "decline_24m", "default_rate", "lender_loss_rate", "max_glut",
            "max_debt_usd", "equity_max_drawdown")
SEED = "seed"   # the constant holding each experiment's seed


def _workbench() -> Any:
    try:
        import ema_workbench
    except ImportError:
        raise NeocloudError("the EMA Workbench adapter needs the 'ema' extra: "
                            "pip install 'neocloud_abm[ema]'") from None
    return ema_workbench


def ema_name(name: str) -> str:
    """The EMA name of a dotted parameter name (an identifier: ``__`` for the dot)."""
    return name.replace(".", "__")


def uncertainty(name: str) -> Any:
    """An EMA parameter over the registry's plausible range of ``name``."""
    ema = _workbench()
    spec = check_name(name)
    if spec.kind not in ("float", "int"):
        raise ParameterError(f"{name} is a {spec.kind} parameter; EMA uncertainties are numeric")
    low, high = plausible_range(name)
    if spec.kind == "int":
        return ema.IntegerParameter(ema_name(name), int(low), int(high))
    return ema.RealParameter(ema_name(name), float(low), float(high))


def ema_model(parameters: Sequence[str], scenario: str = "baseline",
              outcomes: Sequence[str] = OUTCOMES, seed: int = 0, name: str = "neocloud") -> Any:
    """An ``ema_workbench.Model`` whose uncertainties are ``parameters`` (dotted names) over
    their plausible ranges, run on ``scenario``, reporting ``outcomes`` (run statistics)."""
    ema = _workbench()
    base = load_scenario(scenario)
    unknown = [o for o in outcomes if o not in NUMERIC_STATISTICS]
    if unknown:
        raise ParameterError(f"unknown outcome(s) {unknown}; run statistics are "
                             + ", ".join(NUMERIC_STATISTICS))

    def run(**values: Any) -> dict[str, float]:
        seed_value = int(values.pop(SEED))
        dotted = {name.replace("__", "."): value for name, value in values.items()}
        stats = summarize(simulate(base.with_overrides(dotted), seed=seed_value))
        return {outcome: float(stats[outcome]) for outcome in outcomes}

    model = ema.Model(name, function=run)
    model.uncertainties = [uncertainty(p) for p in parameters]
    model.constants = [ema.Constant(SEED, seed)]
    model.outcomes = [ema.ScalarOutcome(outcome) for outcome in outcomes]
    return model
