"""``python -m kiosk`` is the ``kiosk`` command."""

import sys

from kiosk.shell.cli import main

sys.exit(main())
