"""At-least-once consumption of `account-events`, made effectively-once by event id.

- offsets are committed only after every record of a batch was handled (or dead-lettered);
- an event id already handled by this consumer group is skipped (ids kept in the group's own
  MongoDB collection), so a redelivery after a crash changes nothing;
- a failing handler is retried with exponential backoff, then the record goes to the DLQ;
- a record that is not a valid AccountEvent goes straight to the DLQ with the reason in headers.
Handlers should still make their own writes idempotent by event id (a crash can fall between the
handler's write and the processed-id write). A handler whose only effect is already idempotent (an
insert keyed by event id) can pass `dedupe=False` and save two database calls per event.

Such a handler may also take a whole poll's events at once (`batch_handler`), to read and write in
bulk. If the batch fails, its events are handled again one by one through `handler`, with the
retries and the DLQ above: one poison event never blocks the others.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import OffsetAndMetadata
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from portal_common import events
from portal_common.kafka_client import KafkaAccess, create_consumer
from portal_common.metrics import KAFKA_CONSUMER_DELAY, KAFKA_CONSUMER_LAG, KAFKA_MESSAGES

log = logging.getLogger(__name__)

Handler = Callable[[events.AccountEvent], None]
BatchHandler = Callable[[list[events.AccountEvent]], None]


class ProcessedEvents:
    """Event ids a consumer group has finished, in that group's own database."""

    def __init__(self, db: Database[dict[str, Any]], group_id: str) -> None:
        self.collection = db["processed_events"]
        self.group_id = group_id

    def _id(self, event_id: str) -> str:
        return f"{self.group_id}:{event_id}"

    def seen(self, event_id: str) -> bool:
        return self.collection.find_one({"_id": self._id(event_id)}, {"_id": 1}) is not None

    def mark(self, event_id: str) -> None:
        with contextlib.suppress(DuplicateKeyError):
            self.collection.insert_one({"_id": self._id(event_id), "at": datetime.now(UTC)})


class EventConsumer:
    """One consumer-group member running `handler` for every event of the topic."""

    def __init__(
        self,
        *,
        access: KafkaAccess,
        group_id: str,
        handler: Handler,
        db: Database[dict[str, Any]],
        dlq_producer_factory: Callable[[], KafkaProducer],
        topic: str = events.TOPIC,  # the base: every publisher's topic of it is read
        dlq_topic: str = events.DLQ_TOPIC,
        max_attempts: int = 5,
        initial_backoff_s: float = 0.2,
        max_backoff_s: float = 5.0,
        max_poll_records: int = 200,
        dedupe: bool = True,
        batch_handler: BatchHandler | None = None,
        consumer_overrides: dict[str, Any] | None = None,
    ) -> None:
        if batch_handler is not None and dedupe:
            raise ValueError("a batch handler must be idempotent by itself (dedupe=False)")
        self.group_id = group_id
        self.handler = handler
        self.batch_handler = batch_handler
        self.processed = ProcessedEvents(db, group_id)
        self.dedupe = dedupe
        self.topic = topic
        self.dlq_topic = dlq_topic
        self.max_attempts = max_attempts
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self._dlq_producer_factory = dlq_producer_factory
        self._dlq_producer: KafkaProducer | None = None
        self.access = access
        settings: dict[str, Any] = {
            "group_id": group_id,
            "client_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_poll_records": max_poll_records,
            "session_timeout_ms": 10_000,
            "heartbeat_interval_ms": 2_000,
            # A topic refused at the first look (ACLs granted while the pod starts) or partitions added later
            # are only seen at the next metadata refresh; kafka-python's default waits 5 minutes for it.
            "metadata_max_age_ms": 10_000,
        }
        settings.update(consumer_overrides or {})
        self._settings = settings
        self._consumer: KafkaConsumer | None = None
        # How far behind this member runs: the age of the oldest record of its last poll (producer
        # time, CreateTime), 0 when a poll found nothing. Work that can wait may yield to it.
        self.delay_s = 0.0

    # ------------------------------------------------------------------ one record

    def _dead_letter(self, record: Any, reason: str) -> None:
        if self._dlq_producer is None:
            self._dlq_producer = self._dlq_producer_factory()
        headers = [
            *list(record.headers or []),
            ("dlq_reason", reason.encode()[:1000]),
            ("dlq_group", self.group_id.encode()),
            ("dlq_source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        # Blocking on purpose: the offset must not be committed before the DLQ has the record.
        self._dlq_producer.send(self.dlq_topic, key=record.key, value=record.value, headers=headers).get(timeout=30)
        KAFKA_MESSAGES.labels(self.group_id, "dead_lettered").inc()
        log.warning(
            "record %s/%s/%s sent to %s: %s", record.topic, record.partition, record.offset, self.dlq_topic, reason
        )

    def handle_record(self, record: Any, stop: threading.Event | None = None) -> None:
        try:
            event = events.decode(record.value, record.topic)
        except events.MalformedEvent as exc:
            self._dead_letter(record, f"malformed: {exc}")
            return
        if self.dedupe and self.processed.seen(event.event_id):
            KAFKA_MESSAGES.labels(self.group_id, "duplicate").inc()
            return
        error = self._run_handler(event, stop or threading.Event())
        if error is None:
            KAFKA_MESSAGES.labels(self.group_id, "processed").inc()
        else:
            self._dead_letter(record, f"handler failed after {self.max_attempts} attempts: {error!r}")
        if self.dedupe:
            # Dead-lettered events count as done too: a redelivery must not dead-letter them twice.
            self.processed.mark(event.event_id)

    def _run_handler(self, event: events.AccountEvent, stop: threading.Event) -> Exception | None:
        """Run the handler with exponential backoff and jitter; the last error once every attempt failed."""
        backoff = self.initial_backoff_s
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.handler(event)
                return None
            except Exception as exc:  # any handler failure is retried, then dead-lettered
                log.info("handler failed for %s (attempt %d): %r", event.event_id, attempt, exc)
                if attempt == self.max_attempts:
                    return exc
                KAFKA_MESSAGES.labels(self.group_id, "retried").inc()
                if stop.wait(min(backoff, self.max_backoff_s) * (0.5 + random.random())):
                    raise InterruptedError("stopping during retry") from exc
                backoff *= 2
        raise AssertionError("unreachable: the last attempt returns")

    # ------------------------------------------------------------------ loop

    def _consumer_instance(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = create_consumer(self.access, **self._settings)
            self._consumer.subscribe(events.topics(self.topic))
        return self._consumer

    def poll_once(self, timeout_ms: int = 500, stop: threading.Event | None = None) -> int:
        """Handle one batch and commit it; return the number of records handled.

        If handling stops half-way (outage, shutdown), the unhandled records' partitions are
        rewound so that the next poll delivers them again: nothing is skipped.
        """
        consumer = self._consumer_instance()
        batches = consumer.poll(timeout_ms=timeout_ms)
        self._note_delay(batches)
        handled = 0
        next_offsets = {tp: records[0].offset for tp, records in batches.items()}
        if self.batch_handler is not None and batches and self._handle_batch(batches):
            consumer.commit({tp: OffsetAndMetadata(records[-1].offset + 1, "", -1) for tp, records in batches.items()})
            self._report_lag(consumer)
            return sum(len(records) for records in batches.values())
        try:
            for tp, records in batches.items():
                for record in records:
                    self.handle_record(record, stop)
                    next_offsets[tp] = record.offset + 1
                    handled += 1
        finally:
            done = {
                tp: OffsetAndMetadata(offset, "", -1)
                for tp, offset in next_offsets.items()
                if offset > batches[tp][0].offset
            }
            for tp, offset in next_offsets.items():
                if offset <= batches[tp][-1].offset:
                    consumer.seek(tp, offset)
            if done:
                consumer.commit(done)
        self._report_lag(consumer)
        return handled

    def _handle_batch(self, batches: dict[Any, list[Any]]) -> bool:
        """The whole poll through the batch handler; False (nothing lost) sends it the slow way."""
        decoded: list[events.AccountEvent] = []
        try:
            for records in batches.values():  # partition by partition: each account's order is kept
                decoded.extend(events.decode(record.value, record.topic) for record in records)
        except events.MalformedEvent:
            return False  # the one-by-one path dead-letters it
        try:
            self.batch_handler(decoded)  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - retried one by one, with backoff and the DLQ
            log.info("batch of %d failed, handling it event by event: %r", len(decoded), exc)
            return False
        KAFKA_MESSAGES.labels(self.group_id, "processed").inc(len(decoded))
        return True

    def _note_delay(self, batches: dict[Any, list[Any]]) -> None:
        stamps = [records[0].timestamp for records in batches.values() if records[0].timestamp >= 0]
        self.delay_s = max(0.0, time.time() - min(stamps) / 1000) if stamps else 0.0
        KAFKA_CONSUMER_DELAY.labels(self.group_id).set(self.delay_s)

    def _report_lag(self, consumer: KafkaConsumer) -> None:
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if end is None:
                continue
            try:
                position = consumer.position(tp)
            except Exception as exc:  # noqa: BLE001 - position unknown during a rebalance
                log.debug("no position for %s yet: %r", tp, exc)
                continue
            KAFKA_CONSUMER_LAG.labels(self.group_id, tp.topic, str(tp.partition)).set(max(end - position, 0))

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, then leave the group cleanly."""
        while not stop.is_set():
            try:
                self.poll_once(stop=stop)
            except InterruptedError:
                break
            except Exception as exc:  # noqa: BLE001 - broker or database outage: back off and go on
                log.warning("consumer %s round failed: %r", self.group_id, exc)
                stop.wait(1.0)
        self.close()

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
            self._consumer = None
        if self._dlq_producer is not None:
            self._dlq_producer.close(timeout=5)
            self._dlq_producer = None
