"""Brute-force throttling with growing delays, shared by every replica through MongoDB.

Keys are per login identifier (normalised, whether or not an account exists, so throttling does not
reveal which logins exist) and per client IP. After a few free failures each new failure doubles the
wait (answered 429 with Retry-After); at most `hourly_cap` failures per key per hour. Nothing locks
an owner out for longer than the hour window: the counter restarts with the window.

An attempt on a login is counted as a failure *before* the password is verified (`reserve`), under
the key's lock: guesses sent in parallel each see the ones before them, so N guesses count as N and
at most the free failures get a verdict; a success then forgets the login's failures. The address's
budget is checked before and counted on failure (a burst across many logins is bounded by each
login's own free failures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from portal_common.mongo import DocumentLocks, lock_key
from portal_common.problems import Problem
from portal_identity.store import THROTTLE

WINDOW = timedelta(hours=1)
MAX_DELAY_SECONDS = 15 * 60


@dataclass(frozen=True)
class Policy:
    free_failures: int
    hourly_cap: int


class Throttle:
    def __init__(self, db: Database, *, login_policy: Policy, ip_policy: Policy, link_ip_policy: Policy) -> None:
        self.collection = db[THROTTLE]
        self.login_policy = login_policy
        self.ip_policy = ip_policy
        self.link_ip_policy = link_ip_policy  # reset requests and uses of activation or reset links, per IP
        self.locks = DocumentLocks(db)

    def check(self, *keys: str, now: datetime | None = None) -> set[str]:
        """Raise 429 if any key must still wait; else the keys that have failures on record."""
        now = now or datetime.now(UTC)
        waits, recorded = [], set()
        for key in keys:  # one _id lookup each: an $in filter reads the whole collection on FerretDB
            doc = self.collection.find_one({"_id": key}, {"blocked_until": 1})
            if doc is None:
                continue
            recorded.add(key)
            blocked_until = doc.get("blocked_until")
            if blocked_until is not None and blocked_until > now:
                waits.append((blocked_until - now).total_seconds())
        if waits:
            raise too_many(max(waits))
        return recorded

    def reserve(self, key: str, policy: Policy, now: datetime | None = None) -> None:
        """Count this attempt as a failure before it is verified, or raise 429 (counting nothing) while the
        key must wait. Under the key's lock, so attempts in parallel each see the ones before them."""
        now = now or datetime.now(UTC)
        try:  # nothing on record, the common case: the first count is one atomic insert, no lock
            self.collection.insert_one({"_id": key, "failures": 1, "window_start": now})
            return
        except DuplicateKeyError:
            pass  # failures on record (or a parallel attempt's insert): count under the lock
        with self.locks.hold(lock_key(THROTTLE, key)):
            self._count_failure(key, policy, now, refuse_while_blocked=True)

    def release(self, key: str, policy: Policy) -> None:
        """Give back a reservation (the attempt succeeded); lift a delay it alone caused."""
        with self.locks.hold(lock_key(THROTTLE, key)):
            doc = self.collection.find_one_and_update(
                {"_id": key}, {"$inc": {"failures": -1}}, return_document=ReturnDocument.AFTER
            )
            if doc is not None and doc["failures"] <= policy.free_failures and doc.get("blocked_until"):
                self.collection.update_one({"_id": key}, {"$set": {"blocked_until": None}})

    def failure(self, key: str, policy: Policy, now: datetime | None = None) -> None:
        with self.locks.hold(lock_key(THROTTLE, key)):  # concurrent failures must all count
            self._count_failure(key, policy, now or datetime.now(UTC))

    def _count_failure(self, key: str, policy: Policy, now: datetime, *, refuse_while_blocked: bool = False) -> None:
        """One write in the common case (under the key's lock): the count, read back as it was before."""
        before = self.collection.find_one_and_update(
            {"_id": key},
            {"$inc": {"failures": 1}, "$setOnInsert": {"window_start": now}},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        before = before or {"failures": 0, "window_start": now}
        blocked = before.get("blocked_until")
        if refuse_while_blocked and blocked is not None and blocked > now:
            self.collection.update_one({"_id": key}, {"$inc": {"failures": -1}})  # refused: not an attempt
            raise too_many((blocked - now).total_seconds())
        failures, window_start = before["failures"] + 1, before["window_start"]
        if window_start + WINDOW <= now:  # a new hour: start counting again (nobody else holds the lock)
            failures, window_start = 1, now
            self.collection.update_one(
                {"_id": key}, {"$set": {"failures": 1, "window_start": now, "blocked_until": None}}
            )
        if failures >= policy.hourly_cap:
            blocked_until = window_start + WINDOW
        elif failures > policy.free_failures:
            blocked_until = now + timedelta(seconds=min(2 ** (failures - policy.free_failures), MAX_DELAY_SECONDS))
        else:
            return
        self.collection.update_one({"_id": key}, {"$set": {"blocked_until": blocked_until}})

    def purge_stale(self, now: datetime | None = None) -> int:
        """Forget counters whose hour is over and which block nobody: they hold logins and IP addresses, kept no
        longer than they serve. A failure racing the deletion starts a new window, as it would have anyway."""
        now = now or datetime.now(UTC)
        stale = {
            "window_start": {"$lt": now - WINDOW},
            "$or": [{"blocked_until": None}, {"blocked_until": {"$lt": now}}],
        }
        return self.collection.delete_many(stale).deleted_count

    def success(self, key: str) -> None:
        """Forget the key's failures (callers that just checked it skip this when it had none)."""
        self.collection.delete_one({"_id": key})


def too_many(wait_s: float) -> Problem:
    retry_after = max(1, math.ceil(wait_s))
    return Problem(
        429,
        f"Trop de tentatives. Réessayez dans {retry_after} secondes.",
        headers={"Retry-After": str(retry_after)},
        retry_after=retry_after,
    )


def login_key(normalized_login: str) -> str:
    return f"login:{normalized_login}"


def ip_key(ip: str) -> str:
    return f"ip:{ip}"


def link_ip_key(ip: str) -> str:
    return f"links-ip:{ip}"
