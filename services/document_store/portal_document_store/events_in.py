"""What the document store consumes from `account-events`: the accounts projection, and what a purge means
for documents."""

from __future__ import annotations

import logging

from pymongo.database import Database

from portal_common.accounts import AccountsProjection
from portal_document_store import files
from portal_document_store.context import Context
from portal_document_store.store import DOCUMENTS, READS

log = logging.getLogger(__name__)


class DocumentsPurge:
    """What `account.purged` means here: what the structure sent the family is deleted; what the family
    sent is deleted only when the deployment says so (it is the structure's record otherwise)."""

    def __init__(self, db: Database, *, delete_family_uploads: bool) -> None:
        self.db = db
        self.delete_family_uploads = delete_family_uploads

    def __call__(self, account_id: str) -> None:
        directions = ["to_family", "to_structure"] if self.delete_family_uploads else ["to_family"]
        bucket = files.bucket(self.db)
        for document in self.db[DOCUMENTS].find({"account_id": account_id, "direction": {"$in": directions}}):
            self.db[DOCUMENTS].delete_one({"_id": document["_id"]})
            self.db[READS].delete_many({"_id": document["_id"]})
            try:
                bucket.delete(document["file_id"])
            except Exception as exc:  # noqa: BLE001 - the metadata is gone; a leftover file is only space
                log.warning("could not delete file of purged document %s: %r", document["_id"], exc)


def accounts(ctx: Context) -> AccountsProjection:
    purge = DocumentsPurge(ctx.db, delete_family_uploads=ctx.config.delete_family_uploads_on_purge)
    return AccountsProjection(ctx.db, on_purged=purge)
