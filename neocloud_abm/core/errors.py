"""Errors and warnings a user of the model can meet, each a one-line message."""


class NeocloudError(Exception):
    """An error caused by the user's input; the CLI prints it without a traceback."""


class ParameterError(NeocloudError, ValueError):
    """A parameter name or value that the model cannot accept."""


class ScenarioWarning(UserWarning):
    """A dated input that falls outside the simulated months and so will not act."""


class ModelDivergence(NeocloudError):
    """An output became NaN or infinite: the parameters drive the model out of its domain."""
