"""Notification's database: the contacts projection, the indexes, and which collections carry events.

Each collection's name lives with the module that writes it (feed, devices, delivery, preferences);
this module gathers what the service declares about all of them.
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from portal_common.mongo import IndexSpec
from portal_notification import deliveries, devices, feed
from portal_notification.preferences import PREFERENCES

# Each account's contact email, status and structure, projected from `account-events`.
CONTACTS = "contacts"

INDEXES: list[IndexSpec] = [
    (feed.FEED, [("account_id", 1), ("created_at", -1)], {"name": "feed"}),
    (feed.FEED, [("created_at", 1)], {"name": "retention"}),
    *((name, [("at", 1)], {"name": "retention"}) for name in deliveries.COLLECTIONS if name != deliveries.PENDING),
    (deliveries.PENDING, [("created_at", 1)], {"name": "retention"}),
    (devices.DEVICES, [("account_id", 1)], {"name": "by_account"}),
    (deliveries.PENDING, [("next_at", 1)], {"name": "due"}),
    (deliveries.DELIVERIES, [("account_id", 1)], {"name": "by_account"}),
    (deliveries.LOG, [("account_id", 1)], {"name": "by_account"}),
    (deliveries.ATTEMPTS, [("account_id", 1)], {"name": "by_account"}),
    (deliveries.FINISHED, [("account_id", 1)], {"name": "by_account"}),
]
OUTBOX_COLLECTIONS = [PREFERENCES]


def contact(db: Database, account_id: str) -> dict[str, Any] | None:
    return db[CONTACTS].find_one({"_id": account_id}) if account_id else None


def contacts(db: Database, account_ids: list[str]) -> dict[str, dict[str, Any]]:
    return {c["_id"]: c for c in db[CONTACTS].find({"_id": {"$in": account_ids}})}
