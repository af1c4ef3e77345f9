"""Kafka producer/admin construction with the settings the platform relies on."""

from __future__ import annotations

import logging
import socket
import time

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from portal_common import events

log = logging.getLogger(__name__)


def create_producer(bootstrap: str, client_id: str, **overrides: object) -> KafkaProducer:
    """acks=all and idempotence: a record acknowledged is on every in-sync replica, never twice."""
    settings: dict[str, object] = {
        "bootstrap_servers": bootstrap,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "request_timeout_ms": 10_000,
        "max_block_ms": 10_000,
        "retry_backoff_ms": 200,
        # Come back quickly after a broker outage (library defaults back off up to 30 s).
        "reconnect_backoff_max_ms": 5_000,
        "bootstrap_timeout_ms": 10_000,
    }
    settings.update(overrides)
    return KafkaProducer(**settings)


def ensure_topics(
    bootstrap: str,
    topics: dict[str, int] | None = None,
    replication_factor: int = 1,
    timeout_s: float = 60.0,
    configs: dict[str, str] | None = None,
) -> list[str]:
    """Create the events topic and its DLQ when missing (broker auto-creation stays off). `configs` are topic
    settings such as min.insync.replicas; existing topics are left as they are."""
    topics = topics or {events.TOPIC: 3, events.DLQ_TOPIC: 1}
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="portal-topics")
            break
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for Kafka at %s: %s", bootstrap, exc)
            time.sleep(0.5)
    created = []
    try:
        existing = set(admin.list_topics())
        for name, partitions in topics.items():
            if name in existing:
                continue
            try:
                admin.create_topics([NewTopic(name, partitions, replication_factor, topic_configs=configs or {})])
                created.append(name)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()
    return created


def kafka_reachable(bootstrap: str) -> bool:
    """Readiness check: one bootstrap server accepts a TCP connection (cheap; no client built)."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except (OSError, ValueError):
            continue
    return False
