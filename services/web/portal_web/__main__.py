"""`python -m portal_web [serve|migrate]`."""

from __future__ import annotations

import sys

from portal_web.app import main

if __name__ == "__main__":
    sys.exit(main())
