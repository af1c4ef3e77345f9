"""Command line for the `account-events` topic.

  portal-events types                          every event type and its payload fields
  portal-events publish TYPE --account ID --structure ID [--set field=value ...] [--payload JSON]
  portal-events tail [--from-beginning] [--max N] [--idle-timeout S] [--dlq]
  portal-events ensure-topics

Dossier and reservation events come from services outside this project; `publish` is how they are
produced for real in tests, demos and operations. Each type goes to its publisher's topic
(`<base>.<publisher>`), which only that publisher's Kafka principal may write.

Kafka access comes from the environment as for the services: KAFKA_SECURITY_PROTOCOL (SASL_SSL),
KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE, KAFKA_CA_FILE; --bootstrap or KAFKA_BOOTSTRAP_SERVERS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from google.protobuf import json_format

from portal_common import events
from portal_common.config import ConfigError, Env
from portal_common.kafka_client import KafkaAccess, create_consumer, create_producer, ensure_topics, event_topics


def _access(args: argparse.Namespace) -> KafkaAccess:
    environ = dict(os.environ)
    if args.bootstrap:
        environ["KAFKA_BOOTSTRAP_SERVERS"] = args.bootstrap
    env = Env(environ)
    access = KafkaAccess.from_env(env, default_username="portal-events")
    env.check()
    return access


def _payload_from_args(event_type: str, payload_json: str | None, assignments: list[str]) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(payload_json) if payload_json else {}
    fields = {f.name: f for f in events.payload_class(event_type).DESCRIPTOR.fields}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or name not in fields:
            raise SystemExit(f"--set {assignment!r}: {event_type} has fields {sorted(fields) or 'none'}")
        field = fields[name]
        if field.is_repeated:
            payload.setdefault(name, []).append(value)
        elif field.type in (field.TYPE_INT64, field.TYPE_INT32):
            payload[name] = int(value)
        elif field.type == field.TYPE_BOOL:
            payload[name] = value.lower() in ("1", "true", "yes")
        else:
            payload[name] = value
    return payload


def cmd_types(_: argparse.Namespace) -> int:
    for event_type in events.event_types():
        fields = [f.name for f in events.payload_class(event_type).DESCRIPTOR.fields]
        print(f"{event_type:40} {', '.join(fields)}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    try:
        payload = _payload_from_args(args.type, args.payload, args.set or [])
        event = events.new_event(
            args.type, account_id=args.account, structure_id=args.structure, source=args.source, payload=payload
        )
    except (events.MalformedEvent, json_format.ParseError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    record = events.encode(event)
    producer = create_producer(_access(args), "portal-events-cli")
    try:
        topic = events.topic_of(args.topic, event.source)
        metadata = producer.send(topic, key=record.key, value=record.value, headers=record.headers).get(timeout=30)
    finally:
        producer.close(timeout=10)
    print(
        json.dumps(
            {"event_id": event.event_id, "topic": topic, "partition": metadata.partition, "offset": metadata.offset}
        )
    )
    return 0


def cmd_tail(args: argparse.Namespace) -> int:
    topics = [args.dlq_topic] if args.dlq else events.topics(args.topic)
    consumer = create_consumer(
        _access(args),
        *topics,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if args.from_beginning else "latest",
        consumer_timeout_ms=int(args.idle_timeout * 1000) if args.idle_timeout else float("inf"),
    )
    shown = 0
    try:
        for record in consumer:
            headers = {k: v.decode(errors="replace") for k, v in record.headers or []}
            try:
                line: dict[str, Any] = events.to_readable(
                    events.decode(record.value, None if args.dlq else record.topic)
                )
            except events.MalformedEvent as exc:
                line = {"malformed": str(exc)}
            line["_kafka"] = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
            if "dlq_reason" in headers:
                line["_kafka"]["dlq_reason"] = headers["dlq_reason"]
            print(json.dumps(line, ensure_ascii=False), flush=True)
            shown += 1
            if args.max and shown >= args.max:
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 0


def cmd_ensure_topics(args: argparse.Namespace) -> int:
    started = time.monotonic()
    configs = {"min.insync.replicas": str(args.min_insync_replicas)}
    if args.retention_ms:
        configs["retention.ms"] = str(args.retention_ms)
    created = ensure_topics(
        _access(args),
        event_topics(args.topic, args.partitions, args.dlq_topic),
        replication_factor=args.replication_factor,
        configs=configs,
    )
    print(
        f"topics ready ({', '.join(created) or 'already present'}) in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portal-events", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)")
    parser.add_argument("--topic", default=events.TOPIC, help="the base of the publishers' topics")
    parser.add_argument("--dlq-topic", default=events.DLQ_TOPIC)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("types", help="list event types").set_defaults(func=cmd_types)
    publish = sub.add_parser("publish", help="publish one event")
    publish.add_argument("type", choices=events.event_types(), metavar="TYPE")
    publish.add_argument("--account", required=True)
    publish.add_argument("--structure", required=True)
    publish.add_argument("--source", help="the publishing service (default: the type's owner, e.g. dossier)")
    publish.add_argument("--payload", help="payload as a JSON object")
    publish.add_argument("--set", action="append", metavar="FIELD=VALUE", help="payload field (repeatable)")
    publish.set_defaults(func=cmd_publish)
    tail = sub.add_parser("tail", help="print events as JSON lines")
    tail.add_argument("--from-beginning", action="store_true")
    tail.add_argument("--max", type=int, default=0)
    tail.add_argument("--idle-timeout", type=float, default=0, help="stop after this many idle seconds")
    tail.add_argument("--dlq", action="store_true", help="tail the dead-letter topic")
    tail.set_defaults(func=cmd_tail)
    topics = sub.add_parser("ensure-topics", help="create every publisher's topic and the DLQ")
    topics.add_argument("--partitions", type=int, default=3)
    topics.add_argument("--replication-factor", type=int, default=1, help="3 on a production cluster")
    topics.add_argument("--min-insync-replicas", type=int, default=1, help="2 on a production cluster")
    topics.add_argument("--retention-ms", type=int, default=0, help="topic retention (0: the broker's default)")
    topics.set_defaults(func=cmd_ensure_topics)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"portal-events: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
