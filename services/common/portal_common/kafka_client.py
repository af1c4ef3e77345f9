"""Kafka clients built the way the platform needs them: authenticated (`KafkaAccess`), durable producers,
topics created on purpose."""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from portal_common import events
from portal_common.kafka_selector import KafkaSelector

if TYPE_CHECKING:
    from portal_common.config import Env

log = logging.getLogger(__name__)

PROTOCOLS = ("SASL_SSL", "PLAINTEXT")
MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaAccess:
    """Where Kafka is and who we are to it: SASL_SSL with SCRAM-SHA-512 and the platform's CA by default;
    PLAINTEXT only when a setting asks for it. Every client of the project is built from one of these."""

    bootstrap: str
    security_protocol: str = "SASL_SSL"
    username: str = ""
    # Read when a client is built, never kept in settings: a rotated Secret is picked up by the next client.
    password_file: str = ""
    ca_file: str = ""  # empty: the system's trusted CAs

    @classmethod
    def from_env(cls, env: Env, default_username: str) -> KafkaAccess:
        bootstrap = env.str("KAFKA_BOOTSTRAP_SERVERS")
        access = cls(
            bootstrap=bootstrap,
            security_protocol=env.str("KAFKA_SECURITY_PROTOCOL", "SASL_SSL").upper(),
            username=env.str("KAFKA_SASL_USERNAME", default_username),
            password_file=env.str("KAFKA_SASL_PASSWORD_FILE", ""),
            ca_file=env.str("KAFKA_CA_FILE", ""),
        )
        for problem in access.problems():
            env.problem(problem)
        return access

    def problems(self) -> list[str]:
        if self.security_protocol not in PROTOCOLS:
            return [f"KAFKA_SECURITY_PROTOCOL={self.security_protocol!r} is not one of {', '.join(PROTOCOLS)}"]
        if self.security_protocol == "SASL_SSL" and not self.password_file:
            return ["KAFKA_SASL_PASSWORD_FILE is required with SASL_SSL (a file holding the SCRAM password)"]
        return []

    def as_user(self, username: str, password_file: str) -> KafkaAccess:
        """The same Kafka as another principal (tests, operator commands)."""
        return KafkaAccess(self.bootstrap, self.security_protocol, username, password_file, self.ca_file)

    def client_settings(self) -> dict[str, Any]:
        """kafka-python settings shared by producers, consumers and admin clients."""
        settings: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
            "selector": KafkaSelector,  # kafka-python's own spins on a socket error epoll reports (kafka_selector.py)
        }
        if self.security_protocol == "SASL_SSL":
            settings |= {
                "sasl_mechanism": MECHANISM,
                "sasl_plain_username": self.username,
                "sasl_plain_password": Path(self.password_file).read_text().strip(),
                "ssl_check_hostname": True,
            }
            if self.ca_file:
                settings["ssl_cafile"] = self.ca_file
        return settings


def create_consumer(access: KafkaAccess, *topics: str, **settings: Any) -> KafkaConsumer:
    return KafkaConsumer(*topics, **access.client_settings(), **settings)


def create_admin(access: KafkaAccess, client_id: str, **settings: Any) -> KafkaAdminClient:
    return KafkaAdminClient(**access.client_settings(), client_id=client_id, **settings)


def create_producer(access: KafkaAccess, client_id: str, **overrides: object) -> KafkaProducer:
    """acks=all and idempotence: a record acknowledged is on every in-sync replica, never twice."""
    settings: dict[str, object] = {
        **access.client_settings(),
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


def event_topics(base: str, partitions: int, dlq: str) -> dict[str, int]:
    """Every publisher's topic of `base` with `partitions` each, and the DLQ with one: what ensure_topics makes."""
    return {**dict.fromkeys(events.topics(base), partitions), dlq: 1}


def ensure_topics(
    access: KafkaAccess,
    topics: dict[str, int] | None = None,
    replication_factor: int = 1,
    timeout_s: float = 60.0,
    configs: dict[str, str] | None = None,
) -> list[str]:
    """Create every publisher's events topic and the DLQ when missing (broker auto-creation stays off). `configs`
    are topic settings such as min.insync.replicas; existing topics are left as they are."""
    topics = topics or event_topics(events.TOPIC, 3, events.DLQ_TOPIC)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = create_admin(access, "portal-topics")
            break
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.info("waiting for Kafka at %s: %s", access.bootstrap, exc)
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
