"""The consumer against real Kafka and FerretDB: duplicates, poison records, retries, crashes."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from deploy.local import kafka_security
from portal_common import events
from portal_common.consumer import EventConsumer
from portal_common.kafka_client import create_producer
from tests.support.env import KAFKA, LAYOUT, MONGO_URI
from tests.support.kafka import create_event_topics, create_topics, read_all, unique_topic
from tests.support.wait import wait_for


@pytest.fixture
def topics():
    topic = unique_topic("events")
    dlq = f"{topic}.dlq"
    create_event_topics(topic, partitions=2)
    create_topics(dlq)
    return topic, dlq


@pytest.fixture
def producer():
    producer = create_producer(KAFKA, "test-producer")
    yield producer
    producer.close()


def send(producer, topic, value: bytes, key: bytes = b"acc-1", headers=None) -> None:
    """On the reservation service's topic of base `topic`, as its events are (make_event)."""
    producer.send(events.topic_of(topic, "reservation"), key=key, value=value, headers=headers or []).get(10)


def make_event(account: str = "acc-1", event_type: str = "reservation.created") -> events.AccountEvent:
    return events.new_event(event_type, account_id=account, structure_id="s1")


def consumer_for(topics, mongo_db, handler, **kwargs) -> EventConsumer:
    topic, dlq = topics
    return EventConsumer(
        access=KAFKA,
        group_id=f"g-{uuid.uuid4().hex[:8]}",
        handler=handler,
        db=mongo_db,
        topic=topic,
        dlq_topic=dlq,
        dlq_producer_factory=lambda: create_producer(KAFKA, "dlq"),
        **kwargs,
    )


def consume(consumer: EventConsumer, until, timeout: float = 30):
    try:
        wait_for(lambda: (consumer.poll_once(timeout_ms=300), until())[1], timeout=timeout, interval=0)
    finally:
        consumer.close()


def test_the_same_event_twice_is_processed_once(topics, mongo_db, producer):
    handled = []
    event, other = make_event(), make_event()
    for e in (event, event, other):
        send(producer, topics[0], e.SerializeToString())
    consumer = consumer_for(topics, mongo_db, lambda e: handled.append(e.event_id))
    consume(consumer, lambda: len(handled) == 2 and consumer.processed.seen(other.event_id))
    assert sorted(handled) == sorted([event.event_id, other.event_id])


def test_redelivery_after_a_crash_before_commit_is_not_processed_again(topics, mongo_db, producer):
    event = make_event()
    send(producer, topics[0], event.SerializeToString())
    handled = []
    first = consumer_for(topics, mongo_db, lambda e: handled.append(e.event_id))
    # Handle without committing, as if the process died right after processing.
    kafka = first._consumer_instance()
    records = wait_for(lambda: [r for rs in kafka.poll(timeout_ms=300).values() for r in rs], what="the record")
    first.handle_record(records[0])
    kafka.close(autocommit=False)
    assert handled == [event.event_id]

    second = EventConsumer(
        access=KAFKA,
        group_id=first.group_id,
        handler=lambda e: handled.append(e.event_id),
        db=mongo_db,
        topic=topics[0],
        dlq_topic=topics[1],
        dlq_producer_factory=lambda: create_producer(KAFKA, "dlq"),
    )
    redelivered = []
    original = second.processed.seen
    second.processed.seen = lambda event_id: (redelivered.append(event_id), original(event_id))[1]
    consume(second, lambda: redelivered == [event.event_id])
    assert handled == [event.event_id]  # handler not run again


def test_malformed_records_go_to_the_dlq_with_their_reason_and_the_consumer_goes_on(topics, mongo_db, producer):
    unknown = events.AccountEvent(event_id="e-unknown", type="account.exploded", account_id="a").SerializeToString()
    no_id = make_event()
    no_id.event_id = ""
    for value in (b"definitely not protobuf \xff\xfe", unknown, no_id.SerializeToString()):
        send(producer, topics[0], value, key=b"acc-1")
    good = make_event()
    send(producer, topics[0], good.SerializeToString(), key=b"acc-1")
    handled = []
    consumer = consumer_for(topics, mongo_db, lambda e: handled.append(e.event_id))
    consume(consumer, lambda: handled == [good.event_id])

    dead = read_all(topics[1], expected=3)
    reasons = [dict(r.headers)["dlq_reason"].decode() for r in dead]
    assert len(reasons) == 3
    assert "not a protobuf" in reasons[0]
    assert "unknown event type 'account.exploded'" in reasons[1]
    assert "missing event_id" in reasons[2]
    assert all(dict(r.headers)["dlq_source"].decode().startswith(topics[0]) for r in dead)


def test_a_failing_handler_is_retried_then_dead_lettered(topics, mongo_db, producer):
    flaky, poison = make_event(), make_event(account="acc-2")
    attempts: dict[str, int] = {}

    def handler(event):
        attempts[event.event_id] = attempts.get(event.event_id, 0) + 1
        if event.event_id == poison.event_id or attempts[event.event_id] < 3:
            raise RuntimeError("downstream unavailable")

    send(producer, topics[0], flaky.SerializeToString(), key=b"acc-1")
    send(producer, topics[0], poison.SerializeToString(), key=b"acc-2")
    consumer = consumer_for(topics, mongo_db, handler, max_attempts=4, initial_backoff_s=0.01)
    consume(consumer, lambda: attempts.get(poison.event_id) == 4 and consumer.processed.seen(flaky.event_id))
    assert attempts[flaky.event_id] == 3
    [dead] = read_all(topics[1], expected=1)
    assert events.decode(dead.value).event_id == poison.event_id
    assert "handler failed after 4 attempts" in dict(dead.headers)["dlq_reason"].decode()


@pytest.mark.slow
def test_a_consumer_killed_mid_batch_loses_nothing_and_duplicates_nothing(topics, mongo_db, producer):
    topic = topics[0]
    sent = [make_event(account=f"acc-{i % 7}") for i in range(300)]
    for e in sent:
        producer.send(events.topic_of(topic, "reservation"), key=e.account_id.encode(), value=e.SerializeToString())
    producer.flush()
    group = f"crash-{uuid.uuid4().hex[:6]}"
    command = [
        sys.executable,
        "-m",
        "tests.support.consumer_process",
        topic,
        group,
        MONGO_URI,
        mongo_db.name,
    ]

    child = subprocess.Popen(command, env=os.environ)
    try:
        wait_for(lambda: mongo_db.effects.count_documents({}) >= 80, timeout=60, what="first consumer under way")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    done_before_restart = mongo_db.effects.count_documents({})
    assert done_before_restart < 300  # it really died mid-way

    child = subprocess.Popen(command, env=os.environ)
    try:
        wait_for(lambda: mongo_db.effects.count_documents({}) == 300, timeout=90, what="restarted consumer catching up")
    finally:
        child.terminate()
        child.wait(10)
    assert sorted(d["_id"] for d in mongo_db.effects.find()) == sorted(e.event_id for e in sent)
    invocations = sum(d["n"] for d in mongo_db.invocations.find())
    # Only the record being handled at the kill may run twice; the rest of the replayed batch is skipped by id.
    assert 300 <= invocations <= 301


def test_a_batch_handler_takes_a_whole_poll_and_a_failed_batch_is_retried_event_by_event(topics, mongo_db, producer):
    good = [make_event(account=f"acc-{i}") for i in range(6)]
    poison = make_event(account="acc-poison")
    for event in (*good[:3], poison, *good[3:]):
        send(producer, topics[0], event.SerializeToString(), key=event.account_id.encode())
    batches: list[list[str]] = []
    one_by_one: list[str] = []

    def batch_handler(batch):
        batches.append([e.event_id for e in batch])
        if any(e.event_id == poison.event_id for e in batch):
            raise RuntimeError("one bad event in the batch")

    def handler(event):
        one_by_one.append(event.event_id)
        if event.event_id == poison.event_id:
            raise RuntimeError("still bad")

    consumer = consumer_for(
        topics, mongo_db, handler, batch_handler=batch_handler, dedupe=False, max_attempts=2, initial_backoff_s=0.01
    )
    consume(consumer, lambda: one_by_one.count(poison.event_id) == 2 and len(one_by_one) == len(good) + 2)
    # The batch failed as a whole, so each of its events went through the handler, the poison one to the DLQ.
    assert sorted(set(one_by_one) - {poison.event_id}) == sorted(e.event_id for e in good)
    assert any(poison.event_id in batch for batch in batches)
    [dead] = read_all(topics[1], expected=1)
    assert events.decode(dead.value).event_id == poison.event_id


def test_a_batch_handler_without_failures_sees_every_event_once_in_partition_order(topics, mongo_db, producer):
    sent = [make_event(account="acc-1") for _ in range(20)]
    for event in sent:
        send(producer, topics[0], event.SerializeToString(), key=b"acc-1")
    seen: list[str] = []

    def fail_one_by_one(event):
        raise AssertionError("the one-by-one path is for failed batches only")

    consumer = consumer_for(
        topics, mongo_db, fail_one_by_one, batch_handler=lambda b: seen.extend(e.event_id for e in b), dedupe=False
    )
    consume(consumer, lambda: len(seen) == len(sent))
    assert seen == [e.event_id for e in sent]


def test_a_batch_handler_must_be_idempotent_itself(topics, mongo_db):
    with pytest.raises(ValueError, match="dedupe=False"):
        consumer_for(topics, mongo_db, lambda e: None, batch_handler=lambda b: None)


def test_the_consumer_tells_how_far_behind_it_runs(topics, mongo_db, producer):
    """The age of the oldest record of its last poll; 0 once a poll finds nothing left."""
    old = make_event()
    send(producer, topics[0], old.SerializeToString())
    seen: list[str] = []
    consumer = consumer_for(topics, mongo_db, lambda e: seen.append(e.event_id))
    time.sleep(1.0)  # the record waits a second in Kafka before anyone reads it
    try:
        wait_for(lambda: (consumer.poll_once(timeout_ms=300), seen)[1], timeout=30, interval=0)
        assert consumer.delay_s >= 1.0
        consumer.poll_once(timeout_ms=300)
        assert consumer.delay_s == 0.0
    finally:
        consumer.close()


def test_a_service_started_before_its_acls_consumes_once_they_are_granted(mongo_db, producer):
    """Production grants a service's ACLs (Strimzi KafkaUser) while its pods may already be starting; locally
    the grant may reach the broker's authorizer after the service subscribed. The first metadata then says
    "not authorized": the member must look again soon, not after kafka-python's 5-minute metadata age."""
    topic, dlq = unique_topic("events"), unique_topic("dlq")
    create_topics(*events.topics(topic), dlq)  # no ACLs for this base yet
    handled: list[str] = []
    consumer = EventConsumer(
        access=kafka_security.access(LAYOUT.kafka_dir, KAFKA.bootstrap, "notification"),
        group_id=f"notification-{uuid.uuid4().hex[:8]}",
        handler=lambda e: handled.append(e.event_id),
        db=mongo_db,
        topic=topic,
        dlq_topic=dlq,
        dlq_producer_factory=lambda: create_producer(KAFKA, "dlq"),
    )
    stop = threading.Event()
    worker = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    worker.start()
    try:
        time.sleep(3)  # subscribed and refused: the group is joined with no partition
        kafka_security.grant(LAYOUT.kafka_dir, KAFKA.bootstrap, topic, dlq)
        event = make_event()
        send(producer, topic, event.SerializeToString())
        wait_for(lambda: handled, timeout=30, what="the event handled once the ACLs exist")
        assert handled == [event.event_id]
    finally:
        stop.set()
        worker.join(timeout=15)
