"""`python -m portal_document_store [serve|migrate]`."""

from __future__ import annotations

import argparse
import sys

from portal_common.config import ConfigError
from portal_common.logs import configure_logging
from portal_document_store.app import DocumentStore, create_runtime
from portal_document_store.config import DocumentsConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal-document-store")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    try:
        config = DocumentsConfig.from_env()
    except ConfigError as exc:
        print(f"document-store: {exc}", file=sys.stderr)
        return 2
    configure_logging("document-store", config.common.log_level)
    service = DocumentStore.build(config)
    if args.command == "serve":
        create_runtime(service).serve_forever()
    else:
        print("indexes ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
