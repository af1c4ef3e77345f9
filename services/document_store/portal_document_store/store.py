"""The document-store database: document metadata, read receipts, the accounts projection, GridFS."""

from __future__ import annotations

from portal_common.mongo import IndexSpec
from portal_document_store.files import BUCKET

DOCUMENTS = "documents"
READS = "reads"  # one insert per first read: no update of the document (see DocumentLocks)

INDEXES: list[IndexSpec] = [
    (DOCUMENTS, [("account_id", 1), ("direction", 1), ("created_at", -1)], {"name": "family_list"}),
    (DOCUMENTS, [("structure_id", 1), ("direction", 1), ("created_at", -1)], {"name": "structure_list"}),
    (f"{BUCKET}.chunks", [("files_id", 1), ("n", 1)], {"unique": True, "name": "files_id_1_n_1"}),
]

OUTBOX_COLLECTIONS = [DOCUMENTS]
