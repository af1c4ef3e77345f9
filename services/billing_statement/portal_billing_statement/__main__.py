"""`python -m portal_billing_statement [serve|migrate]`."""

from __future__ import annotations

import sys

from portal_billing_statement.app import SERVICE


def main(argv: list[str] | None = None) -> int:
    return SERVICE.main(argv)


if __name__ == "__main__":
    sys.exit(main())
