"""Units shared by every part of the model (docs/model.md, section 2.1)."""

HOURS_PER_MONTH = 730.0  # one simulated month, in hours (8,760 / 12)
