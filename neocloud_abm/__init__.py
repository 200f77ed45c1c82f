"""neocloud_abm: an agent-based model of the debt-financed market for rented AI compute."""

from neocloud_abm.core.errors import NeocloudError, ParameterError
from neocloud_abm.model import NeocloudMarket, simulate
from neocloud_abm.outputs.summary import summarize
from neocloud_abm.parameters.params import Params, Shock
from neocloud_abm.parameters.scenarios import load_scenario

__all__ = ["NeocloudError", "NeocloudMarket", "ParameterError", "Params", "Shock",
           "load_scenario", "simulate", "summarize"]
__version__ = "0.1.0"
