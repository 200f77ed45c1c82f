"""How people use the model: the command line, figures and the EMA Workbench adapter (the
dashboard page is ``neocloud_abm.app``, as in Mesa's examples)."""
