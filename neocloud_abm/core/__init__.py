"""The model's vocabulary, free of any behaviour: errors, calendar months, units, the
ledger of money, fleets of GPU cohorts and the chip roadmap. Nothing here imports the rest
of the package."""
