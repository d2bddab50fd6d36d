"""``python -m srkit``: the command line (see :mod:`srkit.cli`)."""

import sys

from srkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
