"""`python -m c4forge ...` is the `c4forge` command."""

import sys

from c4forge.cli.main import main

sys.exit(main())
