"""``python -m bot`` is the same as the ``copbot`` command."""

import sys

from bot.cli import main

sys.exit(main())
