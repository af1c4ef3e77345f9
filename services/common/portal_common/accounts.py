"""Accounts as a service other than identity knows them: a projection of `account-events`.

Each service keeps it in its own database (no synchronous call to identity per request). One
consumer group per service writes it, partitioned by account, so there is one writer per account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.database import Database

from portal_common import events

ACCOUNTS = "accounts"
STATUS_BY_EVENT = {
    "account.created": "active",
    "account.activated": "active",
    "account.deleted": "deleted",
    "account.restored": "active",
    "account.purged": "purged",
    "account.disabled": "disabled",
}


class AccountsProjection:
    """Consumer handler; `on_purged(account_id)` lets the service apply what a purge means for its data."""

    def __init__(self, db: Database[dict[str, Any]], on_purged: Callable[[str], None] | None = None) -> None:
        self.db = db
        self.on_purged = on_purged

    def __call__(self, event: events.AccountEvent) -> None:
        status = STATUS_BY_EVENT.get(event.type)
        if status is None:
            return
        changes: dict[str, Any] = {"structure_id": event.structure_id, "status": status}
        if event.type == "account.created":
            created = event.account_created
            changes |= {"display_name": created.display_name, "role": created.role or "family"}
        if event.type == "account.purged":
            changes["display_name"] = None
        self.db[ACCOUNTS].update_one({"_id": event.account_id}, {"$set": changes}, upsert=True)
        if event.type == "account.purged" and self.on_purged is not None:
            self.on_purged(event.account_id)


def find(db: Database[dict[str, Any]], account_id: str) -> dict[str, Any] | None:
    return db[ACCOUNTS].find_one({"_id": account_id})
