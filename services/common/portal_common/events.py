"""The `account-events` contract: building, encoding and decoding `portal.events.v1.AccountEvent`.

Event type strings map mechanically onto the envelope's `payload` oneof: "invoice.issued" is the
field `invoice_issued`. Records carry CloudEvents Kafka binding headers (binary mode).

Each publisher writes its own topic, `<base>.<publisher>` (`account-events.identity`), so that the
broker's ACLs decide who may publish what (ADR 7); consumers read every publisher's topic of the base
and refuse a record whose type belongs to another publisher than its topic's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from portal.events.v1 import events_pb2

AccountEvent = events_pb2.AccountEvent
TOPIC = "account-events"
DLQ_TOPIC = "account-events.dlq"
CONTENT_TYPE = "application/protobuf"
SPEC_VERSION = "1.0"
_PAYLOAD_ONEOF = AccountEvent.DESCRIPTOR.oneofs_by_name["payload"]


# Who publishes each area's events (the envelope's `source`, CloudEvents `ce_source`). A record of another
# source is refused like a malformed one: consumers put it in the DLQ with the reason and change nothing.
OWNERS = {
    "account": "identity",
    "invoice": "billing-statement",
    "statement": "billing-statement",
    "document": "document-store",
    "notification": "notification",
    "dossier": "dossier",  # services outside this project, publishing with `portal-events`
    "reservation": "reservation",
}


class MalformedEvent(ValueError):
    """A record that is not a valid AccountEvent. Consumers send it to the DLQ with this reason."""


PUBLISHERS = tuple(sorted(set(OWNERS.values())))


def owner(event_type: str) -> str:
    """The source allowed to publish `event_type`."""
    return OWNERS[event_type.partition(".")[0]]


def topic_of(base: str, publisher: str) -> str:
    """The topic `publisher` writes, the only one its Kafka principal may write."""
    if publisher not in PUBLISHERS:
        raise ValueError(f"unknown publisher {publisher!r}")
    return f"{base}.{publisher}"


def topics(base: str) -> list[str]:
    """Every publisher's topic of `base`: what a consumer group reads."""
    return [topic_of(base, publisher) for publisher in PUBLISHERS]


def publisher_of(topic: str) -> str:
    """The publisher whose topic this is (publisher names have no dot; bases may)."""
    return topic.rpartition(".")[2]


def field_for_type(event_type: str) -> str:
    return event_type.replace(".", "_")


def event_types() -> list[str]:
    """Every event type of the contract, e.g. ["account.created", ...]."""
    types = []
    for field in _PAYLOAD_ONEOF.fields:
        area, _, rest = field.name.partition("_")
        types.append(f"{area}.{rest}")
    return types


_TYPES = frozenset(event_types())


def payload_class(event_type: str) -> type[Message]:
    if event_type not in _TYPES:
        raise MalformedEvent(f"unknown event type {event_type!r}")
    message = AccountEvent.DESCRIPTOR.fields_by_name[field_for_type(event_type)].message_type
    assert message is not None  # every field of the payload oneof is a message
    cls: type[Message] = getattr(events_pb2, message.name)
    return cls


def new_event(
    event_type: str,
    *,
    account_id: str,
    structure_id: str,
    source: str | None = None,
    payload: Message | dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
) -> AccountEvent:
    """Build an envelope; `payload` is the typed message or a dict of its fields; `source` defaults to the
    type's owner."""
    cls = payload_class(event_type)
    if payload is None:
        payload = cls()
    elif isinstance(payload, dict):
        payload = json_format.ParseDict(payload, cls())
    elif not isinstance(payload, cls):
        raise TypeError(f"{event_type} takes a {cls.__name__} payload, not {type(payload).__name__}")
    event = AccountEvent(
        event_id=event_id or str(uuid.uuid4()),
        type=event_type,
        account_id=account_id,
        structure_id=structure_id,
        source=source or owner(event_type),
    )
    event.occurred_at.FromDatetime(occurred_at or datetime.now(UTC))
    getattr(event, field_for_type(event_type)).CopyFrom(payload)
    return event


def payload_of(event: AccountEvent) -> Any:
    """The event's payload message (its class depends on the type, hence Any)."""
    return getattr(event, field_for_type(event.type))


def payload_dict(event: AccountEvent) -> dict[str, Any]:
    return json_format.MessageToDict(payload_of(event), preserving_proto_field_name=True)


def occurred_at(event: AccountEvent) -> datetime:
    return event.occurred_at.ToDatetime(tzinfo=UTC)


def cloudevents_headers(event: AccountEvent) -> list[tuple[str, bytes]]:
    """CloudEvents Kafka protocol binding, binary content mode."""
    return [
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_id", event.event_id.encode()),
        ("ce_type", event.type.encode()),
        ("ce_source", f"/portal/{event.source}".encode()),
        ("ce_time", occurred_at(event).isoformat().replace("+00:00", "Z").encode()),
        ("ce_subject", event.account_id.encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]


@dataclass(frozen=True)
class Record:
    """What goes on the topic for one event."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def encode(event: AccountEvent) -> Record:
    validate(event)
    return Record(event.account_id.encode(), event.SerializeToString(), cloudevents_headers(event))


def validate(event: AccountEvent) -> None:
    if not event.event_id:
        raise MalformedEvent("missing event_id")
    if event.type not in _TYPES:
        raise MalformedEvent(f"unknown event type {event.type!r}")
    if event.WhichOneof("payload") != field_for_type(event.type):
        raise MalformedEvent(f"payload {event.WhichOneof('payload')!r} does not match type {event.type!r}")
    if event.source != (allowed := owner(event.type)):
        raise MalformedEvent(f"source {event.source!r} may not publish {event.type!r} (only {allowed!r} does)")
    if not event.account_id:
        raise MalformedEvent("missing account_id")
    if not event.HasField("occurred_at"):
        raise MalformedEvent("missing occurred_at")


def decode(value: bytes | None, topic: str | None = None) -> AccountEvent:
    """Parse and validate a record value, read from `topic` when given; raise MalformedEvent with a readable
    reason. On a publisher's topic only that publisher's types are accepted: the broker let only it write there,
    which is what makes the envelope's `source` believable."""
    if not value:
        raise MalformedEvent("empty record value")
    event = AccountEvent()
    try:
        event.ParseFromString(value)
    except DecodeError as exc:
        raise MalformedEvent(f"not a protobuf AccountEvent: {exc}") from exc
    validate(event)
    if topic is not None and (publisher := publisher_of(topic)) != event.source:
        raise MalformedEvent(f"{event.type!r} from {event.source!r} on {publisher!r}'s topic {topic!r}")
    return event


def to_readable(event: AccountEvent) -> dict[str, Any]:
    """A JSON-friendly view for the CLI and logs (no secret payload fields)."""
    from portal_common.logs import redact

    return {
        "event_id": event.event_id,
        "type": event.type,
        "account_id": event.account_id,
        "structure_id": event.structure_id,
        "occurred_at": occurred_at(event).isoformat(),
        "source": event.source,
        "payload": redact(payload_dict(event)),
    }
