"""The delivery records: six collections, written almost only by inserts, that make each message go out
at most once per (event, channel) and survive a crash.

- `deliveries`: one insert per (event id, channel), the idempotency claim, holding the message
  itself: a redelivered event finds its claim and sends nothing;
- `pending_deliveries`: a small document per message, written before the first attempt so a crash
  mid-send is retried after restart; it holds the retry schedule (attempts, next attempt);
- `delivery_attempts`: one insert per attempt before the send, the claim of that attempt: whoever
  else picks the same message skips it; `delivery_log`: the result of each attempt;
- `finished_deliveries`: one insert when a message is sent or given up (`dead_deliveries` keeps
  the given-up ones); a message is pending while it has a pending document and no finished one.

A send writes only inserts, the cheapest write on both engines (upstream FerretDB even reads the
whole collection for an update or delete by _id: removing each sent message from a backlog of
thousands cost more than the send). Finished messages leave `pending_deliveries` in bulk, when the
recovery scan compacts them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from portal_common.mongo import insert_new

DELIVERIES = "deliveries"
PENDING = "pending_deliveries"
ATTEMPTS = "delivery_attempts"
LOG = "delivery_log"
FINISHED = "finished_deliveries"
DEAD = "dead_deliveries"
COLLECTIONS = (DELIVERIES, PENDING, ATTEMPTS, LOG, FINISHED, DEAD)  # everything an account.purged erases
COMPACTION_CHUNK = 1000


class DeliveryRecords:
    """Reads and writes of the six collections; `lease` is how long an attempt may take before a claim
    of it counts as its process having died."""

    def __init__(self, db: Database, lease: timedelta) -> None:
        self.db = db
        self.lease = lease

    def claim(self, messages: list[dict[str, Any]], now: datetime) -> set[str]:
        """The ids of the messages claimed now (an (event, channel) already claimed is skipped)."""
        return insert_new(self.db[DELIVERIES], [{**m, "at": now} for m in messages])

    def add_pending(self, scheduled: list[tuple[dict[str, Any], datetime]]) -> None:
        """Written before the first attempt: a crash mid-send is retried after restart."""
        if scheduled:
            self.db[PENDING].insert_many([pending(m, next_at) for m, next_at in scheduled])

    def claim_attempt(self, message: dict[str, Any], attempt: int) -> bool:
        """Attempt number `attempt` of this message is ours (a unique insert), or someone else's."""
        attempt_id = f"{message['_id']}:{attempt}"
        now = datetime.now(UTC)
        try:
            self.db[ATTEMPTS].insert_one({"_id": attempt_id, "account_id": message["account_id"], "at": now})
            return True
        except DuplicateKeyError:
            claimed = self.db[ATTEMPTS].find_one({"_id": attempt_id}) or {"at": now}
            if claimed["at"] < now - self.lease and self.db[LOG].find_one({"_id": attempt_id}) is None:
                # Its process died mid-send: that attempt counts, the next recovery makes the next one.
                self.log(message, attempt, "interrupted", "", now)
                self.reschedule(message, attempt, now)
            return False

    def log(self, message: dict[str, Any], attempt: int, result: str, error: str, now: datetime) -> None:
        entry = {"account_id": message["account_id"], "channel": message["channel"], "result": result}
        insert_new(self.db[LOG], [{"_id": f"{message['_id']}:{attempt}", **entry, "error": error[:500], "at": now}])

    def finish(self, message: dict[str, Any], result: str, error: str, now: datetime) -> None:
        """Sent, or given up (`dead`)."""
        if result == "dead":
            owner = {"account_id": message["account_id"], "channel": message["channel"]}
            insert_new(self.db[DEAD], [{"_id": message["_id"], **owner, "error": error[:500], "at": now}])
        owner = {"account_id": message["account_id"], "result": result}
        insert_new(self.db[FINISHED], [{"_id": message["_id"], **owner, "at": now}])

    def reschedule(self, message: dict[str, Any], attempts: int, due: datetime) -> None:
        self.db[PENDING].update_one({"_id": message["_id"]}, {"$set": {"attempts": attempts, "next_at": due}})

    def unfinished_pending(self, *, due_before: datetime | None, limit: int) -> list[dict[str, Any]]:
        """Pending documents (all, or those due) of messages not finished, soonest first."""
        query = {} if due_before is None else {"next_at": {"$lte": due_before}}
        found = self.db[PENDING].find(query, {"attempts": 1, "next_at": 1}).sort("next_at", 1)
        candidates = list(found.limit(limit))
        finished = finished_among(self.db, [p["_id"] for p in candidates])  # finished since the compaction
        return [p for p in candidates if p["_id"] not in finished]

    def message(self, message_id: str) -> dict[str, Any] | None:
        """The claimed message; None (and its pending document dropped) if a version kept no message."""
        found = self.db[DELIVERIES].find_one({"_id": message_id})
        if found is None:
            self.db[PENDING].delete_one({"_id": message_id})
        return found

    def compact(self) -> int:
        """Drop the pending documents of finished messages, a chunk per delete: two scans per
        thousand messages instead of one per message. Pending first: a crash in between leaves
        finished entries with no pending twin, which the next compaction drops."""
        done = [f["_id"] for f in self.db[FINISHED].find({}, {"_id": 1})]
        for start in range(0, len(done), COMPACTION_CHUNK):
            chunk = done[start : start + COMPACTION_CHUNK]
            self.db[PENDING].delete_many({"_id": {"$in": chunk}})
            self.db[FINISHED].delete_many({"_id": {"$in": chunk}})
        return len(done)


def expire(db: Database, before: datetime) -> int:
    """Drop the records of messages older than `before` (claims, attempts, results): they hold addresses and
    texts. A claim must outlive any redelivery of its event: keep the retention above the topic's."""
    dropped = 0
    for collection in (DELIVERIES, ATTEMPTS, LOG, FINISHED, DEAD):
        dropped += db[collection].delete_many({"at": {"$lt": before}}).deleted_count
    return dropped + db[PENDING].delete_many({"created_at": {"$lt": before}}).deleted_count


def pending(message: dict[str, Any], next_at: datetime) -> dict[str, Any]:
    return {
        "_id": message["_id"],
        "account_id": message["account_id"],
        "channel": message["channel"],
        "attempts": 0,
        "next_at": next_at,
        "created_at": datetime.now(UTC),
    }


def finished_among(db: Database, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    return {f["_id"] for f in db[FINISHED].find({"_id": {"$in": ids}}, {"_id": 1})}


def unfinished(db: Database, query: dict[str, Any]) -> int:
    """How many messages whose pending document matches `query` are neither sent nor given up."""
    ids = [p["_id"] for p in db[PENDING].find(query, {"_id": 1})]
    return len(ids) - len(finished_among(db, ids))
