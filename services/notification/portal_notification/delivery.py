"""Delivery of rendered messages by channel through apprise, at most once per (event, channel).

- `deliveries`: one insert per (event id, channel), the idempotency claim: a redelivered event
  finds its claim and sends nothing;
- `pending_deliveries`: what is in flight or waiting for a retry (small), written before the first
  attempt so a crash mid-send is retried after restart; removed on success or after the last attempt;
- `delivery_log`: one insert per attempt with its result; `dead_deliveries`: given-up messages.

Sends run on a bounded worker pool with connect/read timeouts: a slow or silent SMTP server
occupies workers, never the consumer; when every worker is busy the message simply waits in
`pending_deliveries` for the retry loop.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter
from pymongo.database import Database

from portal_common.mongo import insert_new

log = logging.getLogger(__name__)

DELIVERIES = "deliveries"
PENDING = "pending_deliveries"
LOG = "delivery_log"
DEAD = "dead_deliveries"
DELIVERED = Counter(
    "portal_notification_deliveries_total", "Delivery attempts by channel and result", ["channel", "result"]
)

Sender = Callable[[dict[str, Any]], tuple[bool, str]]  # message -> (sent, error)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        send: Sender,
        *,
        workers: int,
        max_attempts: int,
        retry_base_s: float,
        attempt_timeout_s: float,
    ) -> None:
        self.db = db
        self.send = send
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.lease = timedelta(seconds=attempt_timeout_s * 3 + 5)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delivery")
        self.slots = threading.BoundedSemaphore(workers)

    def submit_many(self, messages: list[dict[str, Any]]) -> int:
        """Claim and start sending; how many were new (an (event, channel) already claimed is skipped)."""
        now = datetime.now(UTC)
        claims = [
            {"_id": m["_id"], "account_id": m["account_id"], "channel": m["channel"], "at": now} for m in messages
        ]
        claimed = insert_new(self.db[DELIVERIES], claims)
        pending = [{**m, "attempts": 0, "next_at": now + self.lease, "created_at": now} for m in messages]
        pending = [p for p in pending if p["_id"] in claimed]
        started = []
        for message in pending:
            if self.slots.acquire(blocking=False):
                started.append(message)
            else:  # every worker busy: the retry loop picks it up as soon as one frees
                message["next_at"] = now
        if pending:
            # Written before the first attempt: a crash mid-send is retried after restart.
            self.db[PENDING].insert_many([dict(p) for p in pending])
        for message in started:
            self.pool.submit(self._attempt, message)
        return len(pending)

    def _attempt(self, pending: dict[str, Any]) -> None:
        try:
            try:
                sent, error = self.send(pending)
            except Exception as exc:  # noqa: BLE001 - a plugin failure is a failed attempt, not a crash
                sent, error = False, repr(exc)
        finally:
            self.slots.release()
        attempts = pending["attempts"] + 1
        now = datetime.now(UTC)
        result = "sent" if sent else ("dead" if attempts >= self.max_attempts else "retry")
        DELIVERED.labels(pending["channel"], result).inc()
        self.db[LOG].insert_one(
            {
                "_id": f"{pending['_id']}:{attempts}",
                "account_id": pending["account_id"],
                "channel": pending["channel"],
                "result": result,
                "error": error[:500],
                "at": now,
            }
        )
        if sent:
            self.db[PENDING].delete_one({"_id": pending["_id"]})
        elif result == "dead":
            log.warning("giving up delivery %s after %d attempts: %s", pending["_id"], attempts, error)
            self.db[DEAD].insert_one(
                {
                    "_id": pending["_id"],
                    "account_id": pending["account_id"],
                    "channel": pending["channel"],
                    "error": error[:500],
                    "at": now,
                }
            )
            self.db[PENDING].delete_one({"_id": pending["_id"]})
        else:
            delay = self.retry_base_s * 2 ** (attempts - 1) * (0.5 + random.random())
            self.db[PENDING].update_one(
                {"_id": pending["_id"]}, {"$set": {"attempts": attempts, "next_at": now + timedelta(seconds=delay)}}
            )

    def retry_due(self) -> int:
        """Start every pending message whose time has come (also those a crash left in flight)."""
        started = 0
        now = datetime.now(UTC)
        for pending in self.db[PENDING].find({"next_at": {"$lte": now}}).sort("next_at", 1).limit(500):
            if not self.slots.acquire(timeout=1):
                break
            self.db[PENDING].update_one({"_id": pending["_id"]}, {"$set": {"next_at": now + self.lease}})
            self.pool.submit(self._attempt, pending)
            started += 1
        return started

    def run_retries(self, stop: threading.Event, interval_s: float = 1.0) -> None:
        while not stop.wait(interval_s):
            try:
                self.retry_due()
            except Exception as exc:  # noqa: BLE001 - database outage: next round
                log.warning("retry round failed: %r", exc)
        self.pool.shutdown(wait=True, cancel_futures=False)
        close = getattr(self.send, "close", None)
        if close is not None:
            close()
