"""`python -m portal_document_store [serve|migrate]`."""

from __future__ import annotations

import sys

from portal_common.service import main as service_main
from portal_document_store.app import DocumentStore, create_runtime
from portal_document_store.config import DocumentsConfig


def main(argv: list[str] | None = None) -> int:
    return service_main(
        argv,
        name="document-store",
        load_config=DocumentsConfig.from_env,
        build=DocumentStore.build,
        create_runtime=create_runtime,
    )


if __name__ == "__main__":
    sys.exit(main())
