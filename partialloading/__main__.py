"""``python -m partialloading``: the command line."""

import sys

from partialloading.cli import main

sys.exit(main())
