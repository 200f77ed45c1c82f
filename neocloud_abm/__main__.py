"""``python -m neocloud_abm``: the command line, as the ``neocloud-abm`` console script."""

import sys

from neocloud_abm.interface.cli import main

sys.exit(main())
