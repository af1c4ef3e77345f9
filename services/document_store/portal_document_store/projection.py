"""Accounts as this service knows them, from `account-events` (no synchronous call to identity).

Also applies what a deletion and a purge mean for documents.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.database import Database

from portal_common import events
from portal_document_store import files
from portal_document_store.store import ACCOUNTS, DOCUMENTS, READS

log = logging.getLogger(__name__)
STATUS_BY_EVENT = {
    "account.created": "active",
    "account.activated": "active",
    "account.deleted": "deleted",
    "account.restored": "active",
    "account.purged": "purged",
}


class AccountsProjection:
    """Consumer handler (group `document-store-accounts`)."""

    def __init__(self, db: Database, *, delete_family_uploads_on_purge: bool) -> None:
        self.db = db
        self.delete_family_uploads_on_purge = delete_family_uploads_on_purge

    def __call__(self, event: events.AccountEvent) -> None:
        status = STATUS_BY_EVENT.get(event.type)
        if status is None:
            return
        # One consumer per account partition writes these documents: no concurrent writer to lock out.
        self.db[ACCOUNTS].update_one(
            {"_id": event.account_id},
            {"$set": {"structure_id": event.structure_id, "status": status}},
            upsert=True,
        )
        if event.type == "account.purged":
            self._purge(event.account_id)

    def _purge(self, account_id: str) -> None:
        directions = ["to_family", "to_structure"] if self.delete_family_uploads_on_purge else ["to_family"]
        bucket = files.bucket(self.db)
        for document in self.db[DOCUMENTS].find({"account_id": account_id, "direction": {"$in": directions}}):
            self.db[DOCUMENTS].delete_one({"_id": document["_id"]})
            self.db[READS].delete_many({"_id": document["_id"]})
            try:
                bucket.delete(document["file_id"])
            except Exception as exc:  # noqa: BLE001 - the metadata is gone; a leftover file is only space
                log.warning("could not delete file of purged document %s: %r", document["_id"], exc)


def account(db: Database, account_id: str) -> dict[str, Any] | None:
    return db[ACCOUNTS].find_one({"_id": account_id})
