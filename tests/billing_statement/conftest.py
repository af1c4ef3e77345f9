"""A real billing-statement service per module: ledger over gRPC, statements over HTTP, real wkhtmltopdf."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_billing_statement.app import SERVICE
from portal_billing_statement.config import BillingConfig
from portal_billing_statement.context import Context
from portal_common.config import Env
from portal_common.grpc_tls import INVOICING
from portal_common.runtime import ServiceRuntime
from tests.support.env import grpc_channel, service_environment
from tests.support.kafka import create_event_topics, publish, unique_topic
from tests.support.tokens import JwksServer, SigningKey
from tests.support.wait import wait_for


@dataclass
class BillingUnderTest:
    billing: Context
    runtime: ServiceRuntime
    topic: str
    key: SigningKey
    stub: billing_pb2_grpc.BillingServiceStub

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.http_port}"

    @property
    def db(self):
        return self.billing.db

    def publish(self, event_type: str, account_id: str, structure_id: str, **payload: Any) -> None:
        publish(self.topic, event_type, account_id, structure_id, **payload)

    def family(self, structure: str = "mairie-1", name: str = "Famille Martin") -> dict[str, str]:
        account_id = f"fam-{uuid.uuid4().hex[:8]}"
        self.publish("account.created", account_id, structure, role="family", display_name=name)
        wait_for(lambda: self.db.accounts.find_one({"_id": account_id}), what="family known to billing")
        return {
            "account_id": account_id,
            "structure": structure,
            "token": self.key.mint(sub=account_id, sid=uuid.uuid4().hex, role="family", structure_id=structure),
        }

    def agent(self, structure: str = "mairie-1") -> dict[str, str]:
        return {"token": self.key.mint(sub=f"agent-{uuid.uuid4().hex[:6]}", role="agent", structure_id=structure)}

    def call(self, method: str, path: str, who: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if who:
            headers["Authorization"] = f"Bearer {who['token']}"
        return requests.request(method, self.url + path, headers=headers, timeout=60, **kwargs)

    def invoice(
        self,
        family: dict[str, str],
        number: str,
        issue_date: str,
        lines: list[billing_pb2.InvoiceLine],
        external_id: str | None = None,
        currency: str = "EUR",
    ) -> billing_pb2.Invoice:
        return self.stub.RecordInvoice(
            billing_pb2.RecordInvoiceRequest(
                external_id=external_id or f"ext-{number}",
                structure_id=family["structure"],
                account_id=family["account_id"],
                number=number,
                issue_date=issue_date,
                due_date=issue_date,
                currency=currency,
                lines=lines,
            ),
            timeout=10,
        )

    def pay(
        self,
        family: dict[str, str],
        invoice_number: str,
        paid_on: str,
        amount: int,
        method: int = billing_pb2.PAYMENT_METHOD_CARD,
    ) -> billing_pb2.Payment:
        return self.stub.RecordPayment(
            billing_pb2.RecordPaymentRequest(
                external_id=f"pay-{uuid.uuid4().hex[:8]}",
                structure_id=family["structure"],
                invoice_external_id=f"ext-{invoice_number}",
                paid_on=paid_on,
                amount_cents=amount,
                method=method,
            ),
            timeout=10,
        )


def line(
    child: str,
    birth: str,
    activity: str,
    cents: int,
    *,
    kind: int = billing_pb2.LINE_KIND_CHILDCARE,
    mode: int = billing_pb2.BILLING_MODE_PERIOD,
    start: str = "2026-01-05",
    end: str = "2026-01-30",
    quantity: int = 1,
) -> billing_pb2.InvoiceLine:
    return billing_pb2.InvoiceLine(
        child=billing_pb2.Child(name=child, birth_date=birth),
        activity=activity,
        billing_mode=mode,
        service_start=start,
        service_end=end,
        quantity=quantity,
        unit_price_cents=cents // quantity,
        amount_cents=cents,
        kind=kind,
    )


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode()


@contextmanager
def billing_service(**overrides: str) -> Iterator[BillingUnderTest]:
    key = SigningKey("billing-k1")
    jwks = JwksServer(key)
    topic = unique_topic("billing-events")
    create_event_topics(topic, partitions=3)
    settings = {
        "JWKS_URL": jwks.url,
        "STRUCTURE_DISPLAY_NAME": "Mairie de Saint-Exemple",
        "STATEMENT_RENDERS_PER_HOUR": "1000",  # tested on their own
        "STATEMENTS_KEPT_PER_FAMILY": "1000",
    }
    settings = service_environment("billing-statement", topic, **(settings | overrides))
    service = Context.build(BillingConfig.from_env(Env(settings)))
    runtime = SERVICE.runtime(service)
    runtime.start()
    channel = grpc_channel(f"127.0.0.1:{runtime.grpc.port}", "billing-statement", caller=INVOICING)
    try:
        yield BillingUnderTest(service, runtime, topic, key, billing_pb2_grpc.BillingServiceStub(channel))
    finally:
        channel.close()
        runtime.stop()
        service.db.client.drop_database(service.db.name)
        jwks.close()


@pytest.fixture(scope="module")
def billing():
    with billing_service() as under_test:
        yield under_test
