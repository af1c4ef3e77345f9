"""Revoked sessions and accounts, learnt from `account-events`, so that a revoked session stops working
within the time an event takes to cross Kafka rather than at token expiry.

`RevocationCache` holds what `auth.TokenVerifier` must refuse (logout, password change, deleted
account); `RevocationListener` feeds it from every partition of the topic.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from kafka import KafkaConsumer, TopicPartition

from portal_common import events
from portal_common.kafka_client import KafkaAccess, create_consumer

if TYPE_CHECKING:
    from portal_common.auth import Principal

log = logging.getLogger(__name__)


class RevocationCache:
    """Sessions and accounts whose already-issued tokens must be refused.

    Entries only need to outlive the longest access token, so they expire after `ttl_s`.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._sessions: dict[str, float] = {}
        self._accounts: dict[str, tuple[int, float]] = {}  # account -> (tokens issued before: dead, expiry)
        self._lock = threading.Lock()

    def revoke_sessions(self, session_ids: Iterable[str]) -> None:
        expiry = time.monotonic() + self.ttl_s
        with self._lock:
            for sid in session_ids:
                self._sessions[sid] = expiry

    def revoke_account_tokens(self, account_id: str, issued_before: int) -> None:
        """Tokens of `account_id` issued in a second before `issued_before` die (iat has 1 s precision)."""
        with self._lock:
            previous = self._accounts.get(account_id, (0, 0.0))[0]
            self._accounts[account_id] = (max(previous, issued_before), time.monotonic() + self.ttl_s)

    def is_revoked(self, principal: Principal) -> bool:
        now = time.monotonic()
        with self._lock:
            expiry = self._sessions.get(principal.session_id)
            if expiry is not None and expiry > now:
                return True
            account = self._accounts.get(principal.account_id)
            return account is not None and account[1] > now and principal.issued_at < account[0]

    def prune(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if v > now}
            self._accounts = {k: v for k, v in self._accounts.items() if v[1] > now}

    def apply(self, event: events.AccountEvent) -> None:
        """Learn revocations from an account event; other types are ignored."""
        payload = events.payload_of(event)
        if event.type == "account.logged_out" or event.type == "account.session_revoked":
            self.revoke_sessions(payload.session_ids)
        elif event.type in ("account.password_changed", "account.contact_email_change_undone"):
            self.revoke_sessions(payload.revoked_session_ids)
        elif event.type in ("account.deleted", "account.disabled", "account.purged"):
            # The sessions live at deletion die by id; any token from an earlier second dies too. Tokens of
            # sessions opened after a restore (even within the same second) live.
            if event.type != "account.purged":
                self.revoke_sessions(payload.revoked_session_ids)
            self.revoke_account_tokens(event.account_id, int(events.occurred_at(event).timestamp()))


class RevocationListener:
    """Feeds a RevocationCache from every partition of identity's events topic (no consumer group).

    Every replica must see every revocation, so it does not share partitions with other replicas.
    On start it rewinds by one token lifetime, which rebuilds the cache after a restart.
    """

    def __init__(self, access: KafkaAccess, cache: RevocationCache, *, topic: str) -> None:
        self.access = access
        self.cache = cache
        self.topic = topic
        self.caught_up = threading.Event()

    def _start(self) -> KafkaConsumer:
        consumer = create_consumer(self.access, group_id=None, enable_auto_commit=False)
        partitions = consumer.partitions_for_topic(self.topic) or set()
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        if not tps:
            consumer.close()
            raise RuntimeError(f"topic {self.topic} has no partitions yet")
        consumer.assign(tps)
        since_ms = int((time.time() - self.cache.ttl_s) * 1000)
        offsets = consumer.offsets_for_times({tp: since_ms for tp in tps})
        ends = consumer.end_offsets(tps)
        for tp in tps:
            found = offsets.get(tp)
            consumer.seek(tp, found.offset if found is not None else ends[tp])
        self._targets = ends
        return consumer

    def run(self, stop: threading.Event) -> None:
        consumer = None
        while not stop.is_set():
            try:
                if consumer is None:
                    consumer = self._start()
                for records in consumer.poll(timeout_ms=300).values():
                    for record in records:
                        try:
                            self.cache.apply(events.decode(record.value, record.topic))
                        except events.MalformedEvent:
                            continue  # the group consumers dead-letter it; here it carries no revocation
                if not self.caught_up.is_set() and all(
                    consumer.position(tp) >= end for tp, end in self._targets.items()
                ):
                    self.caught_up.set()
            except Exception as exc:  # noqa: BLE001 - broker outage: retry with a fresh consumer
                log.warning("revocation listener failed, restarting: %r", exc)
                if consumer is not None:
                    consumer.close()
                    consumer = None
                stop.wait(1.0)
        if consumer is not None:
            consumer.close()
