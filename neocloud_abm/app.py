"""Interactive dashboard (Mesa SolaraViz): sliders for the key beliefs and policies, live
plots of price, capacity, credit and defaults as the model steps.

Start it with ``neocloud-abm viz`` (or ``solara run neocloud_abm.app``). It needs the ``viz``
extra; Solara serves its front-end from the ``solara-assets`` package, so the page works
offline. SolaraViz builds models from keyword arguments, so :class:`DashboardModel` turns
slider values into a validated :class:`~neocloud_abm.parameters.params.Params`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from types import MappingProxyType

# Known-harmless warnings that would fill the server's log, silenced by message (before the
# import that raises the first): Solara's hook linter on Mesa's own SolaraViz component, and
# Solara's note that a plain-http page on a host other than 'localhost' gets a SameSite=Lax
# session cookie, which is what a local dashboard wants.
warnings.filterwarnings("ignore", category=UserWarning,
                        message=r".*mesa[/\\]visualization[/\\]solara_viz\.py:\d+: \w+: "
                                r"`use_state` found despite early return")
warnings.filterwarnings("ignore", category=UserWarning,
                        message=r"Cookies with samesite=none require https")

import solara  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from mesa.visualization import SolaraViz, make_plot_component  # noqa: E402

from neocloud_abm.core.months import format_month  # noqa: E402
from neocloud_abm.interface.plots import COUNT, DOLLARS, PERCENT, PRICE  # noqa: E402
from neocloud_abm.model import NeocloudMarket  # noqa: E402
from neocloud_abm.parameters.registry import PARAMETERS, plausible_range  # noqa: E402
from neocloud_abm.parameters.scenarios import list_scenarios, load_scenario  # noqa: E402

# Slider name -> dotted parameter. Finance-layer parameters are offered only when the
# installed model has them.
OVERRIDES = MappingProxyType({
    "competition_neglect": "neoclouds.competition_neglect",
    "generation_interval_months": "nvidia.generation_interval_months",
    "price_elasticity": "startups.price_elasticity",
    "assumed_life_months": "neoclouds.assumed_life_months",
    "max_ltv": "lenders.max_ltv",
    "leverage_policy": "lenders.leverage_policy",
    "venture_funding": "venture.funding",
})


class DashboardModel(NeocloudMarket):
    """NeocloudMarket built from keyword slider values (it stops at the scenario's horizon,
    so Play does not run past the generation schedule)."""

    def __init__(self, scenario_name: str = "baseline", seed: int = 42,
                 competition_neglect: float | None = None,
                 generation_interval_months: int | None = None,
                 price_elasticity: float | None = None, assumed_life_months: int | None = None,
                 max_ltv: float | None = None, leverage_policy: str | None = None,
                 venture_funding: str | None = None) -> None:
        values = {"competition_neglect": competition_neglect,
                  "generation_interval_months": generation_interval_months,
                  "price_elasticity": price_elasticity, "assumed_life_months": assumed_life_months,
                  "max_ltv": max_ltv, "leverage_policy": leverage_policy,
                  "venture_funding": venture_funding}
        overrides = {OVERRIDES[k]: v for k, v in values.items()
                     if v is not None and OVERRIDES[k] in PARAMETERS}
        super().__init__(load_scenario(scenario_name).with_overrides(overrides), rng=int(seed))

    @property
    def date(self) -> str:
        """Calendar month of the last step (the start month before the first)."""
        return format_month(self.start + max(self.steps - 1, 0))


def _slider(name: str, label: str, step: float) -> dict:
    """A slider at the parameter's default over its plausible range from the registry (the
    range sweeps use too), widened if need be to reach the default."""
    dotted = OVERRIDES[name]
    spec = PARAMETERS[dotted]
    low, high = plausible_range(dotted)
    kind, number = ("SliderInt", int) if spec.kind == "int" else ("SliderFloat", float)
    return {"type": kind, "value": spec.default, "label": label,
            "min": number(min(low, spec.default)), "max": number(max(high, spec.default)), "step": step}


def model_params() -> dict[str, dict]:
    """SolaraViz inputs: scenario, seed, the belief parameters, the venture funding regime,
    and the lenders' LTV and leverage policy when the model has lenders."""
    params = {
        # Not "scenario": Mesa 3.5's SolaraViz passes its own `scenario` keyword on reset.
        "scenario_name": {"type": "Select", "value": "baseline", "label": "Scenario",
                     "values": sorted(list_scenarios())},
        "seed": {"type": "SliderInt", "value": 42, "label": "Seed", "min": 0, "max": 100, "step": 1},
        "competition_neglect": _slider("competition_neglect", "Competition neglect", 0.05),
        "generation_interval_months": _slider("generation_interval_months",
                                              "Generation cadence (months)", 1),
        "price_elasticity": _slider("price_elasticity", "Demand price elasticity", 0.05),
        "assumed_life_months": _slider("assumed_life_months", "Assumed GPU life (months)", 6),
    }
    funding = PARAMETERS[OVERRIDES["venture_funding"]]
    params["venture_funding"] = {"type": "Select", "value": funding.default,
                                 "label": "Venture funding", "values": list(funding.choices)}
    if OVERRIDES["max_ltv"] in PARAMETERS:
        params["max_ltv"] = _slider("max_ltv", "Lenders' max loan-to-value", 0.05)
    policy = PARAMETERS.get(OVERRIDES["leverage_policy"])
    if policy is not None:
        params["leverage_policy"] = {"type": "Select", "value": policy.default,
                                     "label": "Leverage policy", "values": list(policy.choices)}
    return params


def _axes(title: str, unit: str, formatter) -> Callable[[Axes], None]:
    def post_process(ax: Axes) -> None:
        ax.set_title(title, loc="left", fontweight="bold")
        ax.set_ylabel(unit)
        ax.set_xlabel("Month of the run")
        ax.yaxis.set_major_formatter(formatter)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    return post_process


def plot_components(columns: set[str]) -> list:
    """Live plots for the series the model reports (credit only once lenders exist)."""
    charts = [
        ({"spot_price_h100e": "tab:blue", "contract_price_h100e": "tab:orange"},
         _axes("Price", "$ per H100e-hour", PRICE)),
        ({"installed_h100e": "tab:blue", "backlog_h100e": "tab:purple"},
         _axes("Capacity and Nvidia backlog", "H100e", COUNT)),
        ({"utilization": "tab:green"}, _axes("Utilization", "hours sold / available", PERCENT)),
        ({"adoption_share": "tab:blue", "adoption_potential": "tab:gray"},
         _axes("Adoption of AI by end customers", "share of customers", PERCENT)),
        ({"venture_asked_usd": "tab:gray", "venture_invested_usd": "tab:blue",
          "venture_commitments_usd": "tab:green", "venture_dry_powder_usd": "tab:orange"},
         _axes("Venture funding (this month) and the funds' dry powder", "$", DOLLARS)),
        ({"debt_outstanding_usd": "tab:blue", "collateral_value_usd": "tab:green",
          "lender_losses_cum_usd": "tab:red", "provisions_usd": "tab:orange"},
         _axes("Credit", "$", DOLLARS)),
        ({"loans_sold_usd": "tab:blue", "funding_withdrawn_usd": "tab:orange",
          "warehouse_called_usd": "tab:brown", "warehouse_deficiency_usd": "tab:pink",
          "fund_redemptions_usd": "tab:purple",
          "nvidia_exposure_usd": "tab:green"},
         _axes("Lenders under strain (this month) and Nvidia's exposure", "$", DOLLARS)),
        ({"lender_failures": "tab:red", "covenant_breaches": "tab:orange"},
         _axes("Lender failures and covenant breaches (this month)", "count", COUNT)),
        ({"hedge_fund_capital_usd": "tab:blue", "hedge_fund_forced_sales_usd": "tab:red"},
         _axes("Hedge funds: capital and forced sales", "$", DOLLARS)),
        ({"neocloud_defaults_cum": "tab:red", "neoclouds_active": "tab:blue"},
         _axes("Neoclouds: active and defaults", "count", COUNT)),
        ({"anchor_contracted_h100e": "tab:purple", "installed_h100e": "tab:blue",
          "in_house_fleet_h100e": "tab:gray"},
         _axes("Hyperscalers' anchor leases (started or on order) and in-house fleet; "
               "neoclouds' installed capacity", "H100e", COUNT)),
        ({"top_neocloud_top_customer_share": "tab:purple"},
         _axes("Largest neocloud's largest customer", "share of its revenue", PERCENT)),
        ({"expected_rent_decline": "tab:gray", "expected_rent_decline_neoclouds": "tab:orange"},
         _axes("Rent decline learnt from launches", "per year", PERCENT)),
        ({"powered_capacity_mw": "tab:blue", "power_pipeline_mw": "tab:purple",
          "neocloud_power_mw": "tab:orange", "stranded_mw": "tab:red"},
         _axes("Powered data-centre space", "MW of facility power", COUNT)),
        ({"colocation_rent_kw_month": "tab:brown"},
         _axes("Colocation rent", "$ per kW-month", PRICE)),
    ]
    components = []
    for measure, post in charts:
        present = {k: v for k, v in measure.items() if k in columns}
        if present:
            components.append(make_plot_component(present, post_process=post))
    return components


@solara.component
def Calendar(model: DashboardModel) -> None:
    """The month the model has reached, as a date: steps alone do not say when."""
    from mesa.visualization.utils import update_counter

    update_counter.get()
    solara.Markdown(f"**Month:** {model.date} (step {model.steps} of {model.p.market.months})")


def build_page(model: DashboardModel | None = None) -> solara.component:
    """The SolaraViz page for ``model`` (default: the baseline, seed 42)."""
    model = model if model is not None else DashboardModel()
    columns = set(model.datacollector.model_reporters)
    return SolaraViz(model, components=[Calendar, *plot_components(columns)],
                     model_params=model_params(), name="neocloud_abm: the market for rented AI compute")


page = build_page()
