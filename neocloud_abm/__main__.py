"""``python -m neocloud_abm``: the command line, as the ``neocloud-abm`` console script."""

from neocloud_abm.interface.cli import entry

entry()
