"""`python -m portal_document_store [serve|migrate]`."""

from __future__ import annotations

import sys

from portal_document_store.app import SERVICE


def main(argv: list[str] | None = None) -> int:
    return SERVICE.main(argv)


if __name__ == "__main__":
    sys.exit(main())
