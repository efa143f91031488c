"""python -m planner: the capacity planner's command line (planner/cli/main.py)."""

import sys

from planner.cli.main import main

sys.exit(main())
