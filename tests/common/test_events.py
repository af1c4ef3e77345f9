import json
import os
import subprocess
import sys

import pytest

from deploy.local.topology import kafka_environment
from portal_common import events
from portal_common.kafka_client import create_producer
from tests.support.env import KAFKA
from tests.support.kafka import create_event_topics, read_all, unique_topic

DESIGN_TYPES = [
    "account.created",
    "account.login_succeeded",
    "account.login_failed",
    "account.logged_out",
    "account.password_changed",
    "account.deleted",
    "account.restored",
    "account.purged",
    "dossier.review_completed",
    "dossier.document_requested",
    "dossier.quotient_updated",
    "dossier.child_school_updated",
    "dossier.updated",
    "reservation.created",
    "reservation.cancelled",
    "invoice.issued",
    "invoice.payment_status_changed",
    "invoice.direct_debit_refused",
    "invoice.unpaid_reminder",
    "invoice.online_payment_blocked",
    "statement.generated",
    "document.shared",
    "document.uploaded",
    "notification.preferences_changed",
]


def test_every_type_of_the_design_is_in_the_contract():
    assert set(DESIGN_TYPES) <= set(events.event_types())


@pytest.mark.parametrize("event_type", events.event_types())
def test_round_trip_for_every_type(event_type):
    event = events.new_event(event_type, account_id="a1", structure_id="s1")
    decoded = events.decode(events.encode(event).value)
    assert decoded == event
    assert decoded.WhichOneof("payload") == event_type.replace(".", "_")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "empty"),
        (b"\xff\xff\xff not protobuf", "not a protobuf"),
        (
            events.AccountEvent(event_id="e", type="account.exploded", account_id="a").SerializeToString(),
            "unknown event type",
        ),
        (events.AccountEvent(type="account.purged", account_id="a").SerializeToString(), "missing event_id"),
    ],
)
def test_malformed_values_are_explained(value, reason):
    with pytest.raises(events.MalformedEvent, match=reason):
        events.decode(value)


def test_payload_must_match_the_type():
    event = events.new_event("account.purged", account_id="a", structure_id="s")
    event.type = "account.restored"
    with pytest.raises(events.MalformedEvent, match="does not match"):
        events.decode(event.SerializeToString())


def test_a_type_is_accepted_only_on_its_publishers_topic():
    """ADR 7: the broker lets only identity write `account-events.identity`; the consumer accepts `account.*`
    only from there, whatever the envelope claims."""
    event = events.new_event("account.deleted", account_id="a", structure_id="s")
    value = event.SerializeToString()
    assert events.decode(value, "account-events.identity").event_id == event.event_id
    with pytest.raises(events.MalformedEvent, match="on 'dossier''s topic"):
        events.decode(value, "account-events.dossier")
    assert events.topics("base") == [f"base.{p}" for p in sorted(set(events.OWNERS.values()))]
    with pytest.raises(ValueError, match="unknown publisher"):
        events.topic_of("base", "recipe")


def test_records_on_kafka_carry_cloudevents_binary_headers():
    topic = unique_topic("ce")
    create_event_topics(topic)
    event = events.new_event(
        "invoice.issued",
        account_id="fam-7",
        structure_id="s1",
        source="billing-statement",
        payload={"invoice_id": "i1", "amount_cents": 1250},
    )
    record = events.encode(event)
    producer = create_producer(KAFKA, "test")
    producer.send(
        events.topic_of(topic, "billing-statement"), key=record.key, value=record.value, headers=record.headers
    ).get(10)
    producer.close()
    [received] = read_all(topic, expected=1)
    headers = dict(received.headers)
    assert received.key == b"fam-7"
    assert headers["ce_id"] == event.event_id.encode()
    assert headers["ce_type"] == b"invoice.issued"
    assert headers["ce_source"] == b"/portal/billing-statement"
    assert headers["ce_subject"] == b"fam-7"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["content-type"] == b"application/protobuf"
    assert headers["ce_time"].endswith(b"Z")
    assert events.decode(received.value).invoice_issued.amount_cents == 1250


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "portal_common.events_cli", "--bootstrap", KAFKA.bootstrap, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | kafka_environment(KAFKA),
    )


def test_cli_publishes_any_event_and_tails_it_back():
    topic = unique_topic("cli")
    create_event_topics(topic)
    published = cli(
        "--topic",
        topic,
        "publish",
        "dossier.document_requested",
        "--account",
        "fam-1",
        "--structure",
        "s1",
        "--set",
        "document_label=Justificatif de domicile",
        "--set",
        "dossier_id=d9",
    )
    assert published.returncode == 0, published.stderr
    event_id = json.loads(published.stdout)["event_id"]
    tailed = cli("--topic", topic, "tail", "--from-beginning", "--max", "1", "--idle-timeout", "15")
    assert tailed.returncode == 0, tailed.stderr
    line = json.loads(tailed.stdout.strip())
    assert line["event_id"] == event_id
    assert line["type"] == "dossier.document_requested"
    assert line["payload"]["document_label"] == "Justificatif de domicile"


def test_cli_refuses_unknown_fields_and_types():
    assert (
        cli(
            "publish", "dossier.review_completed", "--account", "a", "--structure", "s", "--set", "colour=red"
        ).returncode
        != 0
    )
    assert cli("publish", "account.exploded", "--account", "a", "--structure", "s").returncode != 0


def test_the_schema_has_no_place_for_a_link_secret():
    """#20 finding 1: the reset and activation secrets left the events (identity's IssueLink gives them)."""
    for event_type, field in (
        ("account.password_reset_requested", "reset_token"),
        ("account.created", "activation_token"),
    ):
        refused = cli("publish", event_type, "--account", "a", "--structure", "s", "--set", f"{field}=SECRET")
        assert refused.returncode != 0
        assert field in refused.stderr
        assert "Traceback" not in refused.stderr


def test_cli_hides_secrets_in_free_text_when_tailing():
    topic = unique_topic("cli")
    create_event_topics(topic)
    cli(
        "--topic",
        topic,
        "publish",
        "account.login_failed",
        "--account",
        "a",
        "--structure",
        "s",
        "--set",
        "user_agent=curl Authorization: Bearer SECRET-BEARER-TOKEN",
    )
    tailed = cli("--topic", topic, "tail", "--from-beginning", "--max", "1", "--idle-timeout", "15")
    assert "SECRET-BEARER-TOKEN" not in tailed.stdout
    assert "[redacted]" in tailed.stdout
