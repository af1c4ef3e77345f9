"""MongoDB access shared by services: one client per process, index migrations, ping."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import MongoClient, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError
from pymongo.uri_parser import parse_uri

IndexSpec = tuple[str, list[tuple[str, int]], Mapping[str, Any]]  # (collection, keys, options)


def hosts(uri: str) -> str:
    """The servers a URI names, for a log line: never its credentials."""
    try:
        return ",".join(f"{host}:{port}" for host, port in parse_uri(uri, warn=True)["nodelist"])
    except (ValueError, TypeError):  # a malformed URI (InvalidURI is a ValueError) still gets a message
        return "(unparsable MONGO_URI)"


def connect(uri: str, db_name: str, *, app_name: str = "portal") -> Database[dict[str, Any]]:
    client: MongoClient[dict[str, Any]] = MongoClient(
        uri,
        appname=app_name,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=5_000,
        socketTimeoutMS=30_000,
        tz_aware=True,
    )
    return client[db_name]


def ping(db: Database[dict[str, Any]]) -> bool:
    try:
        db.command("ping")
        return True
    except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
        return False


def ensure_indexes(db: Database[dict[str, Any]], specs: Iterable[IndexSpec]) -> None:
    """Idempotent index migration, run at start-up (or by the chart's migration job)."""
    for collection, keys, options in specs:
        db[collection].create_index(keys, **options)


DUPLICATE_KEY = 11000


def find_by_id(
    collection: Collection[dict[str, Any]],
    document_id: Any,
    projection: Mapping[str, Any] | None = None,
    **expected: Any,
) -> dict[str, Any] | None:
    """The document with this `_id` whose fields equal `expected` (None stands for missing too).

    FerretDB answers a filter that is exactly one `_id` from the index, and any other filter by
    decoding the whole collection: so look up by `_id` alone and compare the rest here.
    """
    if any(isinstance(value, Mapping) for value in expected.values()):
        raise TypeError("find_by_id compares plain values, not query operators")
    if projection is not None and expected:
        projection = {**projection, **dict.fromkeys(expected, 1)}
    found = collection.find_one({"_id": document_id}, projection)
    if found is None or any(found.get(field) != value for field, value in expected.items()):
        return None
    return found


def insert_new(collection: Collection[dict[str, Any]], documents: list[dict[str, Any]]) -> set[Any]:
    """Insert in one round trip; the `_id`s actually inserted (those already present are skipped).

    The bulk form of "insert, and a duplicate key means someone already did it" (idempotency claims,
    entries keyed by event id). Any other write error is raised.
    """
    if not documents:
        return set()
    ids = [d["_id"] for d in documents]
    try:
        collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        skipped = {e["index"] for e in errors}
        return {i for n, i in enumerate(ids) if n not in skipped}
    return set(ids)


class LockTimeout(Exception):
    """A document lock could not be taken in time (another writer holds it)."""


class DocumentLocks:
    """Per-document mutual exclusion, for documents that several writers update.

    FerretDB 1.24 applies an update as "query, change in memory, write the whole document back"
    without isolation: two concurrent updates of one document can lose one, and a filter used as a
    compare-and-swap is not atomic. An insert into a unique `_id` index is atomic on FerretDB and
    MongoDB alike, so a lock is a document in `locks`; a crashed holder's lock expires after `lease_s`.
    """

    def __init__(self, db: Database[dict[str, Any]], *, collection: str = "locks", lease_s: float = 15.0) -> None:
        self.collection = db[collection]
        self.lease_s = lease_s

    @contextmanager
    def hold(self, key: str, timeout_s: float = 10.0) -> Iterator[None]:
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + timeout_s
        pause = 0.001
        while True:
            now = datetime.now(UTC)
            try:
                self.collection.insert_one(
                    {"_id": key, "owner": owner, "expires_at": now + timedelta(seconds=self.lease_s)}
                )
                break
            except DuplicateKeyError:
                self.collection.delete_one({"_id": key, "expires_at": {"$lt": now}})  # a crashed holder's lease
                if time.monotonic() > deadline:
                    raise LockTimeout(f"could not lock {key} within {timeout_s}s") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        try:
            yield
        finally:
            self.collection.delete_one({"_id": key, "owner": owner})


def lock_key(collection: str, document_id: object) -> str:
    return f"{collection}:{document_id}"


def update_locked(
    db: Database[dict[str, Any]],
    locks: DocumentLocks,
    collection: str,
    document_id: Any,
    update: dict[str, Any],
    conditions: dict[str, Any] | None = None,
    *,
    upsert: bool = False,
) -> dict[str, Any] | None:
    """Update one document under its lock; `conditions` (field equalities) then act as an atomic
    compare-and-swap: every writer holds the lock, so what is read here cannot change before the write.

    Returns the updated document, or None when it is missing or a condition no longer holds.
    """
    with locks.hold(lock_key(collection, document_id)):
        if conditions and find_by_id(db[collection], document_id, {"_id": 1}, **conditions) is None:
            return None
        return db[collection].find_one_and_update(
            {"_id": document_id}, update, upsert=upsert, return_document=ReturnDocument.AFTER
        )
