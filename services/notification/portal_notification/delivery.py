"""Sending rendered messages by channel through apprise: the in-memory schedule over the delivery records
(`deliveries.py`, which make each message go out at most once per (event, channel)).

Sends run on a bounded worker pool with connect/read timeouts: a slow or silent SMTP server
occupies workers, never the consumer. The feed comes first: while the event consumer runs behind
(`behind()`), each send waits, `max_hold_s` at most, so that a flood of emailed events (a monthly
invoicing run) does not take the CPU and database the consumer needs to keep the feed current; the
messages wait, stored, and go out as the flood ends. Urgent messages (security: activation,
password reset) are never held and jump the queue. The schedule lives in memory: a message waits
for a free worker in a queue and for its retry in a heap. Scanning `pending_deliveries` only recovers what a
stopped or crashed process left: at start and every `recovery_scan_s`. Whatever a scan picks twice
is sent once: each attempt is claimed first.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter, Gauge
from pymongo.database import Database

from portal_notification.deliveries import DeliveryRecords

log = logging.getLogger(__name__)

DELIVERED = Counter(
    "portal_notification_deliveries_total", "Delivery attempts by channel and result", ["channel", "result"]
)
HELD = Counter("portal_notification_send_hold_seconds_total", "Time sends waited for the event consumer to catch up")
WAITING = Gauge("portal_notification_deliveries_waiting", "Messages waiting in memory for a free delivery worker")

Sender = Callable[[dict[str, Any]], tuple[bool, str]]  # message -> (sent, error); raises GiveUp when pointless


class GiveUp(Exception):
    """Raised by a sender when no attempt can ever succeed (the link it needs is gone): dead at once."""


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
        max_waiting: int = 50_000,
        recovery_scan_s: float = 300.0,
        behind: Callable[[], bool] = lambda: False,
        max_hold_s: float = 1.0,
    ) -> None:
        self.records = DeliveryRecords(db, lease=timedelta(seconds=attempt_timeout_s * 3 + 5))
        self.send = send
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.max_waiting = max_waiting
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="delivery")
        self.workers = workers
        self.busy = 0
        self.waiting: deque[tuple[dict[str, Any], int]] = deque()  # (message, attempts so far)
        self.retries: list[tuple[float, int, dict[str, Any], int]] = []  # heap of (due, seq, message, attempts)
        self.sequence = itertools.count()
        self.recovery_scan_s = recovery_scan_s
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.behind = behind
        self.max_hold_s = max_hold_s

    # ------------------------------------------------------------------ new messages

    def submit_many(self, messages: list[dict[str, Any]]) -> int:
        """Claim and start sending; how many were new (an (event, channel) already claimed is skipped)."""
        now = datetime.now(UTC)
        claimed = self.records.claim(messages, now)
        fresh = sorted((m for m in messages if m["_id"] in claimed), key=lambda m: not m.get("urgent"))
        with self.lock:
            room = max(0, self.workers - self.busy)
            start, queue = fresh[:room], fresh[room:]
            # Memory bound: the scan finds the rest; urgent messages (few) always wait in memory.
            room_to_wait = max(sum(1 for m in queue if m.get("urgent")), self.max_waiting - len(self.waiting))
            queue, unqueued = queue[:room_to_wait], queue[room_to_wait:]
            self.busy += len(start)
        lease_end = now + self.records.lease
        self.records.add_pending([(m, lease_end) for m in start] + [(m, now) for m in (*queue, *unqueued)])
        with self.lock:
            self._queue([(m, 0) for m in queue])
        for message in start:
            self.pool.submit(self._work, message, 0)
        return len(fresh)

    def _queue(self, items: list[tuple[dict[str, Any], int]]) -> None:
        """Queue (message, attempts) for a free worker, urgent ones first (under `self.lock`)."""
        for item in items:
            if not item[0].get("urgent"):
                self.waiting.append(item)
        self.waiting.extendleft(reversed([item for item in items if item[0].get("urgent")]))
        WAITING.set(len(self.waiting))

    # ------------------------------------------------------------------ workers

    def _work(self, message: dict[str, Any], attempts: int) -> None:
        """Attempt this message, then whatever waits, until nothing does; then free the worker."""
        while True:
            if not message.get("urgent"):
                message, attempts = self._hold_while_behind(message, attempts)
            try:
                self._attempt(message, attempts)
            except Exception as exc:  # noqa: BLE001 - database outage: the scan retries it later
                log.warning("delivery bookkeeping failed for %s: %r", message["_id"], exc)
            with self.lock:
                if not self.waiting or self.stopping.is_set():  # stopping: the next process recovers the rest
                    self.busy -= 1
                    return
                message, attempts = self.waiting.popleft()
                WAITING.set(len(self.waiting))

    def _hold_while_behind(self, message: dict[str, Any], attempts: int) -> tuple[dict[str, Any], int]:
        """The feed first: wait while the consumer is behind, bounded so that sends still trickle
        out under a lasting flood. An urgent message queued meanwhile is taken instead, at once."""
        started = time.monotonic()
        try:
            while time.monotonic() - started < self.max_hold_s and self.behind():
                with self.lock:
                    if self.waiting and self.waiting[0][0].get("urgent"):
                        urgent = self.waiting.popleft()
                        self.waiting.appendleft((message, attempts))
                        return urgent
                if self.stopping.wait(0.02):
                    break
            return message, attempts
        finally:
            HELD.inc(time.monotonic() - started)

    def _attempt(self, message: dict[str, Any], attempts_before: int) -> None:
        attempts = attempts_before + 1
        if not self.records.claim_attempt(message, attempts):
            return  # picked twice (recovery scan, another replica): this attempt is made elsewhere
        final = False
        try:
            sent, error = self.send(message)
        except GiveUp as exc:
            sent, error, final = False, f"given up: {exc}", True
        except Exception as exc:  # noqa: BLE001 - a plugin failure is a failed attempt, not a crash
            sent, error = False, repr(exc)
        now = datetime.now(UTC)
        result = "sent" if sent else ("dead" if final or attempts >= self.max_attempts else "retry")
        DELIVERED.labels(message["channel"], result).inc()
        self.records.log(message, attempts, result, error, now)
        if result == "dead":
            log.warning("giving up delivery %s after %d attempts: %s", message["_id"], attempts, error)
        if result in ("sent", "dead"):
            self.records.finish(message, result, error, now)
            return
        delay = self.retry_base_s * 2 ** (attempts - 1) * (0.5 + random.random())
        self.records.reschedule(message, attempts, now + timedelta(seconds=delay))
        with self.lock:
            heapq.heappush(self.retries, (time.monotonic() + delay, next(self.sequence), message, attempts))

    # ------------------------------------------------------------------ retries and recovery

    def start_due_retries(self) -> int:
        """Start the retries whose time has come, as far as workers are free."""
        started = []
        with self.lock:
            while self.retries and self.retries[0][0] <= time.monotonic() and self.busy < self.workers:
                _, _, message, attempts = heapq.heappop(self.retries)
                self.busy += 1
                started.append((message, attempts))
        for message, attempts in started:
            self.pool.submit(self._work, message, attempts)
        return len(started)

    def recover(self, *, everything: bool = False) -> int:
        """Take over what a stopped or crashed process left in `pending_deliveries`.

        At start (`everything`), every pending message joins this process's schedule: due ones
        queue for a worker, later ones wait for their retry time. Afterwards, only due messages
        and only as far as workers are idle: what sits in memory here is not taken twice.
        """
        self.records.compact()
        now = datetime.now(UTC)
        candidates = self.records.unfinished_pending(
            due_before=None if everything else now, limit=self.max_waiting if everything else 500
        )
        taken = 0
        for pending in candidates:
            if not everything and self.busy >= self.workers:
                break
            message = self.records.message(pending["_id"])
            if message is None:  # claimed by a version that kept no message: nothing to send
                continue
            wait_s = (pending["next_at"] - now).total_seconds()
            with self.lock:
                if wait_s > 0:
                    heapq.heappush(
                        self.retries, (time.monotonic() + wait_s, next(self.sequence), message, pending["attempts"])
                    )
                    taken += 1
                    continue
                start = self.busy < self.workers
                if start:
                    self.busy += 1
                elif everything:
                    self._queue([(message, pending["attempts"])])
            if start:
                self.pool.submit(self._work, message, pending["attempts"])
            taken += 1
        return taken

    def run_retries(self, stop: threading.Event, interval_s: float = 0.2) -> None:
        next_scan, everything = time.monotonic(), True  # at start: all the previous process left
        while not stop.wait(interval_s):
            try:
                self.start_due_retries()
                if time.monotonic() >= next_scan:
                    self.recover(everything=everything)
                    next_scan, everything = time.monotonic() + self.recovery_scan_s, False
            except Exception as exc:  # noqa: BLE001 - database outage: next round
                log.warning("retry round failed: %r", exc)
        self.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=False)
        close = getattr(self.send, "close", None)
        if close is not None:
            close()
