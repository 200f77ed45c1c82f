"""The model's parameters: one typed, frozen group per module (``market``, ``lenders``, ...),
each field declaring its default, unit, bounds, plausible range and sources; the registry
(:mod:`~neocloud_abm.parameters.registry`) with the rules between parameters; the validated
parameter set (:mod:`~neocloud_abm.parameters.params`) and scenario files
(:mod:`~neocloud_abm.parameters.scenarios`)."""
