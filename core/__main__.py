"""`python -m core <command>`: see `python -m core --help`."""

import sys

from core.cli import main

sys.exit(main())
