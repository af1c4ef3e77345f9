"""Transactional outbox that needs no multi-document transaction (MongoDB and FerretDB alike).

An event is written in the *same single-document write* as the state change it describes: the
update that changes an account also pushes the encoded event onto that account document's `_outbox`
array (`with_events`), and a new document is inserted with its events inside (`new_document`).
Single-document writes are atomic, so the event exists exactly when the change does. Events that
are not tied to a state document (a failed login) get a document of their own in `outbox` (`emit`),
and so may an event that must exist even if its change then fails (a login, written before the
session it opens): such a document is written once and deleted once published, never locked.

Domain code writes through `Outbox`, which does all three things a writer must (take the document's
lock, attach the events, wake the relay), so no writer can forget one.

`OutboxRelay` publishes pending entries in the order they were written and pulls them off once
Kafka acknowledged them. While Kafka is down entries wait in MongoDB; nothing is lost. A crash
between the acknowledgement and the pull republishes an entry, which consumers drop by event id.
The relay pulls entries under the document's lock (`DocumentLocks`), and so must every other
writer of those documents: on FerretDB an unlocked concurrent update could undo the pull or the
state change.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from bson import Binary
from kafka import KafkaProducer
from pymongo.database import Database

from portal_common import events
from portal_common.metrics import OUTBOX_BACKLOG, OUTBOX_FAILURES, OUTBOX_OLDEST_AGE, OUTBOX_PUBLISHED
from portal_common.mongo import DocumentLocks, ensure_indexes, find_by_id, lock_key, update_locked

log = logging.getLogger(__name__)

FIELD = "_outbox"
# Set in the same write as the entries, cleared with the last one: an indexed equality filter, where
# "array not empty" would make FerretDB scan every document of the collection on each relay round.
PENDING = "_outbox_pending"
STANDALONE = "outbox"
_sequence = itertools.count()


def _entry(event: events.AccountEvent) -> dict[str, Any]:
    record = events.encode(event)  # validates: a malformed event never reaches the outbox
    return {
        "id": event.event_id,
        # microseconds, with a per-process counter breaking ties; fits in a BSON int64
        "seq": time.time_ns() // 1000 * 1000 + next(_sequence) % 1000,
        "key": record.key.decode(),
        "value": Binary(record.value),
    }


def with_events(update: dict[str, Any], *evts: events.AccountEvent) -> dict[str, Any]:
    """Return `update` (a MongoDB update document) extended to append `evts` to the outbox."""
    merged = dict(update)
    push = dict(merged.get("$push", {}))
    push[FIELD] = {"$each": [_entry(e) for e in evts]}
    merged["$push"] = push
    merged["$set"] = {**merged.get("$set", {}), PENDING: True}
    return merged


def new_document(document: dict[str, Any], *evts: events.AccountEvent) -> dict[str, Any]:
    """Return `document` carrying `evts` in its outbox, ready for insert_one."""
    return {**document, FIELD: [_entry(e) for e in evts], PENDING: True}


def emit(db: Database[dict[str, Any]], *evts: events.AccountEvent) -> None:
    """Store events that belong to no state document."""
    for event in evts:
        db[STANDALONE].insert_one({"_id": event.event_id, FIELD: [_entry(event)], PENDING: True})


class Outbox:
    """The one gateway for writing documents that carry events: each method holds the document's lock
    (the relay writes those documents too), attaches the events in the same single-document write and
    tells the relay which document to read. `relay` is None where nothing publishes (offline commands)."""

    def __init__(self, db: Database[dict[str, Any]], relay: OutboxRelay | None = None) -> None:
        self.db = db
        self.relay = relay
        self.locks = relay.locks if relay is not None else DocumentLocks(db)

    @contextmanager
    def lock(self, collection: str, document_id: Any) -> Iterator[None]:
        """Hold a document's lock across a read-then-write of several statements."""
        with self.locks.hold(lock_key(collection, document_id)):
            yield

    def update(
        self,
        collection: str,
        document_id: Any,
        update: dict[str, Any],
        *evts: events.AccountEvent,
        upsert: bool = False,
        **conditions: Any,
    ) -> dict[str, Any] | None:
        """Update one document under its lock, with `evts` in the same write; `conditions` (field
        equalities) make it a compare-and-swap. The updated document, or None when it is missing or a
        condition no longer holds (then no event was written)."""
        full = with_events(update, *evts) if evts else update
        updated = update_locked(self.db, self.locks, collection, document_id, full, conditions, upsert=upsert)
        if evts and updated is not None:
            self.wake(collection, document_id)
        return updated

    def insert(self, collection: str, document: dict[str, Any], *evts: events.AccountEvent) -> None:
        """Insert a new document carrying `evts` (a duplicate `_id` raises DuplicateKeyError, nothing written)."""
        self.db[collection].insert_one(new_document(document, *evts))
        self.wake(collection, document["_id"])

    def emit(self, *evts: events.AccountEvent) -> None:
        """Events that belong to no state document, each in an outbox document of its own."""
        emit(self.db, *evts)
        for event in evts:
            self.wake(STANDALONE, event.event_id)

    def wake(self, collection: str | None = None, document_id: Any = None) -> None:
        if self.relay is not None:
            self.relay.wake(collection, document_id)


class OutboxRelay:
    """Publishes outbox entries of the given collections to Kafka."""

    def __init__(
        self,
        db: Database[dict[str, Any]],
        collections: Iterable[str],
        producer_factory: Callable[[], KafkaProducer],
        *,
        topic: str,  # the service's own topic (events.topic_of): the only one its principal may write
        service: str = "portal",
        batch_size: int = 500,
        send_timeout_s: float = 15.0,
        full_scan_interval_s: float = 5.0,
    ) -> None:
        self.db = db
        self.collections = [STANDALONE, *[c for c in collections if c != STANDALONE]]
        self.producer_factory = producer_factory
        self.topic = topic
        self.service = service
        self.batch_size = batch_size
        self.send_timeout_s = send_timeout_s
        self._producer: KafkaProducer | None = None
        self._wake = threading.Event()
        # Writers may say which document they gave an event ("hints"): the next round then reads just
        # those by _id. A full scan, which reads every document of every outbox collection on FerretDB,
        # runs when a writer gave no hint, after a failure, and every `full_scan_interval_s` for what
        # other processes wrote.
        self._hints: set[tuple[str, Any]] = set()
        self._full_scan_due = True
        self._last_full_scan = 0.0
        self._hints_lock = threading.Lock()
        self.full_scan_interval_s = full_scan_interval_s
        self.locks = DocumentLocks(db)
        ensure_indexes(db, [(name, [(PENDING, 1)], {"name": "outbox_pending"}) for name in self.collections])

    def next_round(self) -> set[tuple[str, Any]] | None:
        """The hinted documents to read, or None for a full scan."""
        with self._hints_lock:
            hints, self._hints = self._hints, set()
            full = self._full_scan_due or time.monotonic() - self._last_full_scan >= self.full_scan_interval_s
            self._full_scan_due = False
            if full:
                self._last_full_scan = time.monotonic()
        return None if full else hints

    def _pending(self, hints: set[tuple[str, Any]] | None) -> list[tuple[int, str, Any, dict[str, Any]]]:
        pending = []
        if hints is None:
            found = [
                (name, doc)
                for name in self.collections
                for doc in self.db[name].find({PENDING: True}, {FIELD: 1}).limit(self.batch_size)
            ]
        else:
            found = [
                (name, doc)
                for name, doc_id in hints
                if name != STANDALONE
                and (doc := find_by_id(self.db[name], doc_id, {FIELD: 1}, **{PENDING: True})) is not None
            ]
            if standalone := [doc_id for name, doc_id in hints if name == STANDALONE]:
                # Events of their own are read, and removed once published, a round at a time with one `$in`
                # query: that collection only ever holds unpublished events, so even FerretDB's
                # whole-collection read of such a filter stays small.
                found += [
                    (STANDALONE, doc) for doc in self.db[STANDALONE].find({"_id": {"$in": standalone}}, {FIELD: 1})
                ]
        for name, doc in found:
            for entry in doc[FIELD]:
                pending.append((entry["seq"], name, doc["_id"], entry))
        pending.sort(key=lambda item: item[0])
        return pending[: self.batch_size]

    def _watch_backlog(self, pending: list[tuple[int, str, Any, dict[str, Any]]], hints: object) -> None:
        """Backlog gauges: what this round saw waiting (a hinted round sees only its hints, so an empty one
        says nothing about the rest and leaves the gauges alone)."""
        if not pending and hints is not None:
            return
        OUTBOX_BACKLOG.labels(self.service).set(len(pending))
        oldest = min((seq for seq, *_ in pending), default=None)
        OUTBOX_OLDEST_AGE.labels(self.service).set(0 if oldest is None else max(0.0, time.time() - oldest / 1e9))

    def publish_pending(self, hints: set[tuple[str, Any]] | None = None) -> int:
        """Publish one batch (of the hinted documents, or found by a full scan); return how many
        entries were published and removed."""
        pending = self._pending(hints)
        self._watch_backlog(pending, hints)
        if not pending:
            return 0
        if self._producer is None:
            self._producer = self.producer_factory()
        producer = self._producer
        futures = [
            producer.send(
                self.topic,
                key=entry["key"].encode(),
                value=bytes(entry["value"]),
                headers=events.cloudevents_headers(events.decode(bytes(entry["value"]))),
            )
            for _, _, _, entry in pending
        ]
        producer.flush(timeout=self.send_timeout_s)
        done: dict[tuple[str, Any], list[dict[str, Any]]] = {}
        for future, (_, name, doc_id, entry) in zip(futures, pending, strict=True):
            try:
                future.get(timeout=0)
            except Exception:  # noqa: BLE001 - any failure leaves the entry for the next round
                # Stop at the first failure so a later event of the same account never overtakes it.
                break
            done.setdefault((name, doc_id), []).append(entry)
        if standalone := [doc_id for name, doc_id in done if name == STANDALONE]:
            self.db[STANDALONE].delete_many({"_id": {"$in": standalone}})
        for (name, doc_id), entries in done.items():
            if name != STANDALONE:
                self._remove_published(name, doc_id, {entry["id"] for entry in entries})
        published = sum(len(entries) for entries in done.values())
        OUTBOX_PUBLISHED.labels(self.service).inc(published)
        self._watch_backlog(pending[published:], hints)
        if published < len(pending):
            self._full_scan_due = True  # what was not published is found again by a scan
            raise RuntimeError(f"published {published} of {len(pending)} outbox entries; will retry")
        return published

    def _remove_published(self, collection: str, doc_id: Any, published: set[str]) -> None:
        # Read-then-write is safe under the lock, which every writer of these documents holds.
        with self.locks.hold(lock_key(collection, doc_id)):
            doc = self.db[collection].find_one({"_id": doc_id}, {FIELD: 1})
            if doc is None:
                return
            remaining = [entry for entry in doc.get(FIELD, []) if entry["id"] not in published]
            self.db[collection].update_one({"_id": doc_id}, {"$set": {FIELD: remaining, PENDING: bool(remaining)}})

    def wake(self, collection: str | None = None, doc_id: Any = None) -> None:
        """Ask the relay to publish now; name the document that got an event when you can (cheaper)."""
        with self._hints_lock:
            if collection is None or len(self._hints) >= self.batch_size:
                self._full_scan_due = True
            else:
                self._hints.add((collection, doc_id))
        self._wake.set()

    def run(
        self,
        stop: threading.Event,
        poll_interval_s: float = 1.0,
        max_backoff_s: float = 10.0,
        min_round_interval_s: float = 0.1,
    ) -> None:
        """Publish until `stop`. Rounds are at least `min_round_interval_s` apart: each round scans the
        outbox collections (a full scan on FerretDB), so events written meanwhile go out together."""
        backoff = poll_interval_s
        while not stop.is_set():
            try:
                published = self.publish_pending(self.next_round())
                backoff = poll_interval_s
                if published >= self.batch_size:
                    continue  # a full batch: more are waiting
            except Exception as exc:  # noqa: BLE001 - Kafka or MongoDB outage: wait and retry
                OUTBOX_FAILURES.labels(self.service).inc()
                self._full_scan_due = True
                log.warning("outbox relay round failed, retrying in %.1fs: %s", backoff, exc)
                self._reset_producer()
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff_s)
                continue
            if stop.wait(min_round_interval_s):
                break
            self._wake.wait(poll_interval_s)
            self._wake.clear()
        self._reset_producer()

    def _reset_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=2)
            except Exception as exc:  # noqa: BLE001 - closing a broken producer may fail; it is discarded anyway
                log.debug("closing the outbox producer failed: %r", exc)
            self._producer = None
