"""`python -m portal_identity [serve|migrate|purge|create-agent]`."""

from __future__ import annotations

import sys

from portal_identity.app import SERVICE


def main(argv: list[str] | None = None) -> int:
    return SERVICE.main(argv)


if __name__ == "__main__":
    sys.exit(main())
