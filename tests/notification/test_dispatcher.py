"""The delivery schedule on the real FerretDB: finished messages leave the pending set in bulk, and
neither a compaction nor a restart ever sends a message twice."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY

from portal_notification import deliveries, delivery
from tests.support.wait import wait_for


class RecordingSender:
    """Stands in for apprise (pure bookkeeping under test): records each send, fails on demand."""

    def __init__(self, failing: set[str] = frozenset()) -> None:
        self.sent: list[str] = []
        self.failing = set(failing)
        self.lock = threading.Lock()

    def __call__(self, message: dict[str, Any]) -> tuple[bool, str]:
        with self.lock:
            if message["_id"] in self.failing:
                return False, "refused by the test"
            self.sent.append(message["_id"])
            return True, ""


def dispatcher(db, sender: RecordingSender, **overrides: Any) -> delivery.Dispatcher:
    settings = {"workers": 2, "max_attempts": 3, "retry_base_s": 60, "attempt_timeout_s": 1} | overrides
    return delivery.Dispatcher(db, sender, **settings)


def consumer_behind() -> threading.Event:
    """Set: the event consumer runs behind (what the dispatcher's `behind` reads)."""
    behind = threading.Event()
    behind.set()
    return behind


def message(number: int) -> dict[str, Any]:
    return {
        "_id": f"event-{number}:email",
        "account_id": "family-1",
        "channel": "email",
        "to": "famille@example.test",
        "subject": "Objet",
        "body": "Corps",
    }


def test_compaction_drops_finished_messages_and_a_restart_sends_nothing_again(mongo_db):
    sender = RecordingSender(failing={"event-3:email"})
    first = dispatcher(mongo_db, sender)
    assert first.submit_many([message(n) for n in range(4)]) == 4
    wait_for(lambda: len(sender.sent) == 3, what="three sent")
    wait_for(lambda: mongo_db[deliveries.LOG].count_documents({"result": "retry"}) == 1, what="one retry")
    wait_for(lambda: deliveries.unfinished(mongo_db, {}) == 1, what="only the failed one pending")
    assert mongo_db[deliveries.PENDING].count_documents({}) == 4  # a send never deletes: inserts only

    assert first.records.compact() == 3
    assert [p["_id"] for p in mongo_db[deliveries.PENDING].find()] == ["event-3:email"]
    assert mongo_db[deliveries.FINISHED].count_documents({}) == 0
    assert mongo_db[deliveries.DELIVERIES].count_documents({}) == 4  # the idempotency claims stay

    # A new process (crash or restart) takes over the pending set: the failed message, nothing else.
    sender.failing.clear()
    second = dispatcher(mongo_db, sender)
    mongo_db[deliveries.PENDING].update_one({"_id": "event-3:email"}, {"$set": {"next_at": datetime.now(UTC)}})
    assert second.recover(everything=True) == 1
    wait_for(lambda: "event-3:email" in sender.sent, what="the retry")
    assert sorted(sender.sent) == [f"event-{n}:email" for n in range(4)]  # each message exactly once
    assert second.submit_many([message(1)]) == 0  # a redelivered event finds its claim


def test_a_compaction_cut_short_is_finished_by_the_next_one(mongo_db):
    sender = RecordingSender()
    first = dispatcher(mongo_db, sender)
    first.submit_many([message(n) for n in range(3)])
    wait_for(lambda: deliveries.unfinished(mongo_db, {}) == 0, what="all sent")
    mongo_db[deliveries.PENDING].delete_many({})  # a crash between the two deletes of a compaction
    assert first.records.compact() == 3
    assert mongo_db[deliveries.FINISHED].count_documents({}) == 0
    assert dispatcher(mongo_db, sender).recover(everything=True) == 0
    assert len(sender.sent) == 3


def test_sends_wait_while_the_event_consumer_is_behind_and_go_once_it_catches_up(mongo_db):
    sender, behind = RecordingSender(), consumer_behind()
    held = dispatcher(mongo_db, sender, workers=2, behind=behind.is_set, max_hold_s=30)
    held_before = REGISTRY.get_sample_value("portal_notification_send_hold_seconds_total") or 0.0
    assert held.submit_many([message(n) for n in range(3)]) == 3
    time.sleep(1.0)
    assert sender.sent == []  # stored, waiting
    assert deliveries.unfinished(mongo_db, {}) == 3
    behind.clear()
    wait_for(lambda: len(sender.sent) == 3, what="all three sent once the consumer caught up")
    # Ops see the time held: two workers held about a second each.
    assert REGISTRY.get_sample_value("portal_notification_send_hold_seconds_total") - held_before >= 1.5


def test_a_lasting_backlog_holds_each_send_for_a_bounded_time(mongo_db):
    sender = RecordingSender()
    held = dispatcher(mongo_db, sender, workers=1, behind=lambda: True, max_hold_s=0.2)
    held.submit_many([message(n) for n in range(3)])
    wait_for(lambda: len(sender.sent) == 3, what="sends trickling out despite the backlog")


def test_an_urgent_message_is_neither_held_nor_queued_behind_a_backlog(mongo_db):
    """A password reset link during an invoicing flood: it goes out at once, before the backlog."""
    sender, behind = RecordingSender(), consumer_behind()
    held = dispatcher(mongo_db, sender, workers=1, behind=behind.is_set, max_hold_s=30)
    held.submit_many([message(n) for n in range(3)])  # the one worker holds the first, two queued
    time.sleep(0.5)
    reset = {**message(9), "urgent": True}
    held.submit_many([reset])
    wait_for(lambda: sender.sent == [reset["_id"]], timeout=5, what="the urgent message alone, at once")
    behind.clear()
    wait_for(lambda: len(sender.sent) == 4, what="then the backlog")
    assert sorted(sender.sent[1:]) == [message(n)["_id"] for n in range(3)]


def test_urgent_messages_wait_in_memory_even_when_the_queue_is_full(mongo_db):
    sender, behind = RecordingSender(), consumer_behind()
    held = dispatcher(mongo_db, sender, workers=1, behind=behind.is_set, max_hold_s=30, max_waiting=2)
    held.submit_many([message(n) for n in range(4)])  # one held, two queued, one left to the scan
    held.submit_many([{**message(8), "urgent": True}, {**message(9), "urgent": True}])
    wait_for(lambda: len(sender.sent) == 2, timeout=5, what="both urgent messages")
    assert sender.sent == [message(8)["_id"], message(9)["_id"]]
    behind.clear()
    wait_for(lambda: len(sender.sent) == 5, what="the held and the queued ones")
    time.sleep(0.3)
    assert message(3)["_id"] not in sender.sent  # beyond the memory bound: left to the recovery scan
    assert deliveries.unfinished(mongo_db, {}) == 1
