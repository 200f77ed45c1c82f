"""neocloud_abm: an agent-based model of the debt-financed market for rented AI compute."""

from neocloud_abm.metrics import summarize
from neocloud_abm.model import NeocloudMarket, simulate
from neocloud_abm.params import NeocloudError, ParameterError, Params, load_scenario

__all__ = ["NeocloudError", "NeocloudMarket", "ParameterError", "Params", "load_scenario",
           "simulate", "summarize"]
__version__ = "0.1.0"
