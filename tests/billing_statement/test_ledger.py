"""The ledger over real gRPC: idempotency, refusals, and the events on the real topic."""

import grpc
import pytest

from portal.billing.v1 import billing_pb2
from tests.billing_statement.conftest import line
from tests.support.kafka import find_events

LEA = ("Léa Martin", "2021-03-10")


def test_invoice_is_recorded_once_and_published(billing):
    family = billing.family()
    first = billing.invoice(family, "F-100", "2026-02-28", [line(*LEA, "Garderie", 12_000)])
    again = billing.invoice(family, "F-100", "2026-02-28", [line(*LEA, "Garderie", 12_000)])
    assert first.invoice_id == again.invoice_id
    assert first.amount_cents == 12_000
    assert first.payment_status == "unpaid"
    issued = find_events(billing.topic, lambda e: e.type == "invoice.issued" and e.account_id == family["account_id"])
    assert [e.invoice_issued.number for e in issued] == ["F-100"]
    assert issued[0].invoice_issued.amount_cents == 12_000


def test_the_same_id_with_different_content_is_refused_not_overwritten(billing):
    family = billing.family()
    billing.invoice(family, "F-200", "2026-02-28", [line(*LEA, "Garderie", 12_000)])
    with pytest.raises(grpc.RpcError) as error:
        billing.invoice(family, "F-200", "2026-02-28", [line(*LEA, "Garderie", 99_000)])
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert billing.db.invoices.find_one({"_id": f"{family['structure']}:ext-F-200"})["amount_cents"] == 12_000


@pytest.mark.parametrize(
    ("make_lines", "currency", "issue_date"),
    [
        (lambda: [line(*LEA, "Garderie", -500)], "EUR", "2026-02-28"),  # negative amount
        (
            lambda: [
                billing_pb2.InvoiceLine(
                    child=billing_pb2.Child(name="X", birth_date="2021-01-01"),
                    activity="A",
                    billing_mode=billing_pb2.BILLING_MODE_PERIOD,
                    service_start="2026-01-01",
                    service_end="2026-01-31",
                    quantity=3,
                    unit_price_cents=333,
                    amount_cents=1000,
                    kind=billing_pb2.LINE_KIND_CHILDCARE,
                )
            ],
            "EUR",
            "2026-02-28",
        ),  # 3 x 3.33 is not 10.00: a fractional cent would be needed
        (lambda: [line(*LEA, "Garderie", 1000)], "CHF", "2026-02-28"),
        (lambda: [line(*LEA, "Garderie", 1000)], "EUR", "28/02/2026"),
        (lambda: [], "EUR", "2026-02-28"),
        (lambda: [line(*LEA, "Garderie", 1000, mode=billing_pb2.BILLING_MODE_UNSPECIFIED)], "EUR", "2026-02-28"),
        (lambda: [line(*LEA, "Garderie\x00\x1b[2J", 1000)], "EUR", "2026-02-28"),  # printed on the statement
        (lambda: [line("L" * 101, "2019-03-14", "Garderie", 1000)], "EUR", "2026-02-28"),
    ],
    ids=[
        "negative",
        "fractional-cent",
        "currency",
        "date",
        "no-lines",
        "no-billing-mode",
        "control-characters",
        "long-child-name",
    ],
)
def test_bad_invoices_are_refused(billing, make_lines, currency, issue_date):
    family = billing.family()
    with pytest.raises(grpc.RpcError) as error:
        billing.invoice(family, "F-BAD", issue_date, make_lines(), currency=currency)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.details()
    assert billing.db.invoices.count_documents({"account_id": family["account_id"]}) == 0


def test_unknown_family_and_unknown_invoice(billing):
    stranger = {"account_id": "nobody", "structure": "mairie-1"}
    with pytest.raises(grpc.RpcError) as error:
        billing.invoice(stranger, "F-X", "2026-02-28", [line(*LEA, "Garderie", 1000)])
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    family = billing.family()
    with pytest.raises(grpc.RpcError) as error:
        billing.pay(family, "does-not-exist", "2026-03-01", 1000)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    billing.invoice(family, "F-Z", "2026-02-28", [line(*LEA, "Garderie", 1000)])
    with pytest.raises(grpc.RpcError) as error:
        billing.pay(family, "F-Z", "2026-03-01", -1)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_payments_change_the_status_and_are_idempotent(billing):
    family = billing.family()
    billing.invoice(family, "F-300", "2026-02-28", [line(*LEA, "Garderie", 10_000)])
    request = billing_pb2.RecordPaymentRequest(
        external_id="pay-300-a",
        structure_id=family["structure"],
        invoice_external_id="ext-F-300",
        paid_on="2026-03-05",
        amount_cents=4_000,
        method=billing_pb2.PAYMENT_METHOD_CESU,
    )
    billing.stub.RecordPayment(request, timeout=10)
    billing.stub.RecordPayment(request, timeout=10)  # replay: nothing more
    billing.pay(family, "F-300", "2026-03-20", 6_000)
    stored = billing.db.invoices.find_one({"_id": f"{family['structure']}:ext-F-300"})
    assert (stored["paid_cents"], stored["payment_status"]) == (10_000, "paid")
    changes = find_events(
        billing.topic,
        lambda e: e.type == "invoice.payment_status_changed" and e.account_id == family["account_id"],
        count=2,
    )
    statuses = [(c.invoice_payment_status_changed.status, c.invoice_payment_status_changed.paid_cents) for c in changes]
    assert statuses == [("partially_paid", 4_000), ("paid", 10_000)]


def test_invoice_actions_publish_their_events_once(billing):
    family = billing.family()
    billing.invoice(family, "F-400", "2026-02-28", [line(*LEA, "Garderie", 5_000)])
    base = {"structure_id": family["structure"], "invoice_external_id": "ext-F-400"}
    refused = billing_pb2.ReportDirectDebitRefusedRequest(**base, reason="Provision insuffisante", event_key="dd-1")
    billing.stub.ReportDirectDebitRefused(refused, timeout=10)
    billing.stub.ReportDirectDebitRefused(refused, timeout=10)
    billing.stub.SendUnpaidReminder(billing_pb2.SendUnpaidReminderRequest(**base, event_key="rem-1"), timeout=10)
    billing.stub.BlockOnlinePayment(
        billing_pb2.BlockOnlinePaymentRequest(**base, reason="Contentieux", event_key="blk-1"), timeout=10
    )
    types = [
        e.type
        for e in find_events(
            billing.topic,
            lambda e: (
                e.account_id == family["account_id"] and e.type.startswith("invoice.") and e.type != "invoice.issued"
            ),
            count=3,
        )
    ]
    assert sorted(types) == [
        "invoice.direct_debit_refused",
        "invoice.online_payment_blocked",
        "invoice.unpaid_reminder",
    ]


def test_a_replica_that_has_not_read_the_revocations_is_not_ready(billing):
    """#20 finding 6: until its listener has read one token lifetime of `account-events`, a replica would accept
    the tokens of sessions that ended; it stays out of the Service. A replica that caught up is ready."""
    import socket

    import requests as http

    from portal_billing_statement.app import SERVICE
    from portal_billing_statement.config import BillingConfig
    from portal_billing_statement.context import Context
    from portal_common.config import Env
    from tests.support.env import service_environment
    from tests.support.wait import wait_for

    ready = wait_for(lambda: http.get(billing.url + "/readyz", timeout=5).ok, what="the caught-up replica ready")
    assert ready

    with socket.socket() as closed:  # a port nobody listens on: Kafka away while this replica starts
        closed.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{closed.getsockname()[1]}"
    settings = service_environment("billing-statement", billing.topic, KAFKA_BOOTSTRAP_SERVERS=nowhere)
    settings["JWKS_URL"] = "http://127.0.0.1:9/.well-known/jwks.json"
    late = Context.build(BillingConfig.from_env(Env(settings)))
    runtime = SERVICE.runtime(late)
    runtime.start()
    try:
        answer = http.get(f"http://127.0.0.1:{runtime.http_port}/readyz", timeout=5)
        assert answer.status_code == 503
        assert answer.json()["checks"] == {"mongodb": True, "revocations": False}
    finally:
        runtime.stop()
        late.db.client.drop_database(late.db.name)


def test_an_account_event_from_another_source_lands_in_the_dlq_and_moves_nobody(billing):
    """#20 finding 2: a service publishing `account.created` to move a family to another structure (whose agents
    would then read its invoices). Only identity publishes `account.*`: the record goes to the DLQ with the
    reason and the family stays where it is."""
    from portal_common import events
    from portal_common.kafka_client import create_producer
    from tests.support.env import LAYOUT
    from tests.support.kafka import read_all
    from tests.support.wait import wait_for

    family = billing.family(structure="mairie-1")
    forged = events.new_event("account.created", account_id=family["account_id"], structure_id="autre-ville")
    forged.source = "document-store"  # a compromised service, honest about who it is
    # It may write its own topic only (ADR 7): that is where it puts the forgery.
    producer = create_producer(LAYOUT.kafka_access("document-store"), "forger")
    try:
        producer.send(
            events.topic_of(billing.topic, "document-store"),
            key=family["account_id"].encode(),
            value=forged.SerializeToString(),
        ).get(10)
    finally:
        producer.close()
    with pytest.raises(events.MalformedEvent, match="may not publish"):
        events.encode(forged)  # our own producers refuse it too

    def dead_letter():
        found = [
            r
            for r in read_all(events.DLQ_TOPIC, expected=100_000, timeout_s=2)
            if r.key == family["account_id"].encode()
        ]
        return found or None

    [dead] = wait_for(dead_letter, timeout=20, what="the forged record in the DLQ")
    assert b"'document-store' may not publish 'account.created'" in dict(dead.headers)["dlq_reason"]
    assert billing.db.accounts.find_one({"_id": family["account_id"]})["structure_id"] == "mairie-1"
