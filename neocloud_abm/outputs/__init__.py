"""What a run reports: the month table and the per-generation table, run summaries, the
invariants that must hold, validation against the article's facts, provenance."""
