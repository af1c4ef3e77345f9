"""Real Kafka helpers: unique topics, reading what landed on a topic."""

from __future__ import annotations

import uuid

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic

from tests.support.env import KAFKA_BOOTSTRAP


def create_topics(*names: str, partitions: int = 1, bootstrap: str = KAFKA_BOOTSTRAP) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tests")
    try:
        admin.create_topics([NewTopic(name, partitions, 1) for name in names])
    finally:
        admin.close()


def unique_topic(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def from_beginning(topic: str, timeout_s: float, bootstrap: str) -> KafkaConsumer:
    """A group-less consumer reading `topic` from its start, giving up after `timeout_s` idle."""
    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=int(timeout_s * 1000),
    )


def read_all(topic: str, *, expected: int, timeout_s: float = 20.0, bootstrap: str = KAFKA_BOOTSTRAP) -> list:
    """Every record of `topic` from the beginning, stopping once `expected` arrived or after a quiet period."""
    consumer = from_beginning(topic, timeout_s, bootstrap)
    records = []
    try:
        for record in consumer:
            records.append(record)
            if len(records) >= expected:
                break
    finally:
        consumer.close()
    return records


def find_events(topic: str, predicate, *, count: int = 1, timeout_s: float = 20.0, bootstrap: str = KAFKA_BOOTSTRAP):
    """Decoded AccountEvents of `topic` matching `predicate`, once `count` of them arrived."""
    from portal_common import events

    consumer = from_beginning(topic, timeout_s, bootstrap)
    found = []
    try:
        for record in consumer:
            event = events.decode(record.value)
            if predicate(event):
                found.append(event)
                if len(found) >= count:
                    break
    finally:
        consumer.close()
    assert len(found) >= count, f"expected {count} matching events on {topic}, got {len(found)}"
    return found


def publish(
    topic: str,
    event_type: str,
    account_id: str,
    structure_id: str,
    *,
    source: str | None = None,
    event_id: str | None = None,
    bootstrap: str = KAFKA_BOOTSTRAP,
    **payload,
):
    """Publish one AccountEvent as its producer would (CloudEvents headers, keyed by account); return it."""
    from portal_common import events
    from portal_common.kafka_client import create_producer

    event = events.new_event(
        event_type,
        account_id=account_id,
        structure_id=structure_id,
        source=source,
        payload=payload or None,
        event_id=event_id,
    )
    record = events.encode(event)
    producer = create_producer(bootstrap, "tests")
    try:
        producer.send(topic, key=record.key, value=record.value, headers=record.headers).get(10)
    finally:
        producer.close()
    return event
