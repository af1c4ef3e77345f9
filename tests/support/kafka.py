"""Real Kafka helpers: unique topics with the platform's ACLs, reading what landed on a topic.

The tests speak to Kafka as the stack's admin (`KAFKA`) unless they say otherwise; the services they start
speak as themselves, with the ACLs `create_event_topics` grants. A name without a dot is a topic *base*:
reading it reads every publisher's topic of that base (events.topics).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from kafka import KafkaConsumer
from kafka.admin import NewTopic

from deploy.local import kafka_security
from portal_common import events
from portal_common.kafka_client import KafkaAccess, create_admin, create_consumer
from tests.support.env import KAFKA, LAYOUT


def create_topics(*names: str, partitions: int = 1, access: KafkaAccess = KAFKA) -> None:
    admin = create_admin(access, "tests")
    try:
        admin.create_topics([NewTopic(name, partitions, 1) for name in names])
    finally:
        admin.close()


def create_event_topics(base: str, partitions: int = 1, access: KafkaAccess = KAFKA) -> None:
    """Every publisher's topic of `base`, with the ACLs that let each service publish and consume there."""
    create_topics(*events.topics(base), partitions=partitions, access=access)
    if access.security_protocol == "PLAINTEXT":
        return  # a benchmark's plaintext baseline: no ACLs to grant
    directory = LAYOUT.kafka_dir if access.bootstrap == KAFKA.bootstrap else Path(access.ca_file).parents[1]
    kafka_security.grant(directory, access.bootstrap, base, events.DLQ_TOPIC)


def unique_topic(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def as_topics(topic: str) -> list[str]:
    return events.topics(topic) if "." not in topic else [topic]


def from_beginning(topic: str, timeout_s: float, access: KafkaAccess) -> KafkaConsumer:
    """A group-less consumer reading `topic` (or every publisher's topic of a base) from its start, giving up
    after `timeout_s` idle."""
    return create_consumer(
        access,
        *as_topics(topic),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=int(timeout_s * 1000),
    )


def read_all(topic: str, *, expected: int, timeout_s: float = 20.0, access: KafkaAccess = KAFKA) -> list:
    """Every record of `topic` from the beginning, stopping once `expected` arrived or after a quiet period."""
    consumer = from_beginning(topic, timeout_s, access)
    records = []
    try:
        for record in consumer:
            records.append(record)
            if len(records) >= expected:
                break
    finally:
        consumer.close()
    return records


def find_events(topic: str, predicate, *, count: int = 1, timeout_s: float = 20.0, access: KafkaAccess = KAFKA):
    """Decoded AccountEvents of `topic` matching `predicate`, once `count` of them arrived."""
    consumer = from_beginning(topic, timeout_s, access)
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
    access: KafkaAccess = KAFKA,
    **payload,
):
    """Publish one AccountEvent as its producer would (CloudEvents headers, keyed by account, on its publisher's
    topic of base `topic`); return it."""
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
    producer = create_producer(access, "tests")
    try:
        producer.send(
            events.topic_of(topic, event.source), key=record.key, value=record.value, headers=record.headers
        ).get(10)
    finally:
        producer.close()
    return event
