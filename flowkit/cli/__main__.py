"""Run the flowkit command line: ``python -m flowkit.cli``."""

import sys

from flowkit.cli import main

sys.exit(main())
