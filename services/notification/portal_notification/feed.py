"""The home-page feed: every notification, whatever the channel and category choices (those decide what is sent)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from portal_common.mongo import find_by_id, insert_new
from portal_common.pagination import keyset_page
from portal_common.problems import Problem

FEED = "feed"
READS = "feed_reads"  # one insert per read entry (no update of the entry itself)
READ_ALL = "feed_read_all"  # per account: everything up to this instant is read


def entry(
    *,
    entry_id: str,
    account_id: str,
    category: str,
    event_type: str,
    title: str,
    body: str,
    at: datetime,
    target: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "_id": entry_id,  # the event id: a redelivered event is already in the feed
        "account_id": account_id,
        "category": category,
        "type": event_type,
        "title": title,
        "body": body,
        "created_at": at,  # when the event happened: the feed's order
        "target": target,  # what the entry is about, for a client's deep link: {"kind", "id"} or None
    }


def add_many(db: Database, entries: list[dict[str, Any]]) -> None:
    stored_at = datetime.now(UTC)  # when it reached the feed: publish-to-feed latency
    insert_new(db[FEED], [{**e, "stored_at": stored_at} for e in entries])


def _read_all_before(db: Database, account_id: str) -> datetime | None:
    marker = db[READ_ALL].find_one({"_id": account_id})
    return marker["before"] if marker else None


def page(db: Database, account_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]:
    entries, next_cursor = keyset_page(
        db[FEED], {"account_id": account_id}, time_field="created_at", limit=limit, cursor=cursor
    )
    before = _read_all_before(db, account_id)
    read_ids = {r["_id"] for r in db[READS].find({"_id": {"$in": [e["_id"] for e in entries]}})}
    items = [
        {
            "notification_id": e["_id"],
            "type": e["type"],
            "category": e["category"],
            "title": e["title"],
            "body": e["body"],
            "created_at": e["created_at"].isoformat(),
            "target": e.get("target"),
            "read": e["_id"] in read_ids or (before is not None and e["created_at"] <= before),
        }
        for e in entries
    ]
    return {"items": items, "next_cursor": next_cursor, "unread_count": unread_count(db, account_id)}


def unread_count(db: Database, account_id: str) -> int:
    before = _read_all_before(db, account_id)
    query: dict[str, Any] = {"account_id": account_id}
    if before is not None:
        query["created_at"] = {"$gt": before}
    unread_ids = [e["_id"] for e in db[FEED].find(query, {"_id": 1})]
    return len(unread_ids) - db[READS].count_documents({"_id": {"$in": unread_ids}}) if unread_ids else 0


def mark_read(db: Database, account_id: str, entry_id: str) -> None:
    if find_by_id(db[FEED], entry_id, {"_id": 1}, account_id=account_id) is None:
        raise Problem(404, "Cette notification n'existe pas.", slug="notification-not-found")
    with contextlib.suppress(DuplicateKeyError):
        db[READS].insert_one({"_id": entry_id, "account_id": account_id})


def mark_all_read(db: Database, account_id: str) -> None:
    db[READ_ALL].update_one({"_id": account_id}, {"$set": {"before": datetime.now(UTC)}}, upsert=True)


def expire(db: Database, before: datetime, chunk: int = 1000) -> int:
    """Drop the entries that happened before `before`, with their read marks, a chunk at a time."""
    dropped = 0
    while ids := [e["_id"] for e in db[FEED].find({"created_at": {"$lt": before}}, {"_id": 1}).limit(chunk)]:
        db[READS].delete_many({"_id": {"$in": ids}})
        dropped += db[FEED].delete_many({"_id": {"$in": ids}}).deleted_count
    return dropped


def erase(db: Database, account_id: str) -> None:
    for collection in (FEED, READS):
        db[collection].delete_many({"account_id": account_id})
    db[READ_ALL].delete_one({"_id": account_id})
