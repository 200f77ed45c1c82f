"""Parameter declarations, one module per group of the model; :mod:`neocloud_abm.defaults`
assembles them into the registry and declares the rules between them."""
