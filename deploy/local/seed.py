"""Demo data for `make up`: a structure, an agent and a family with invoices, a payment and a document.

Everything goes through the public paths (ops command, HTTP through the gateway, gRPC, the activation
email in the local SMTP sink). Running it again on a seeded platform changes nothing.
"""

from __future__ import annotations

import json
import mailbox
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import grpc
import requests

from deploy.local.topology import LAYOUTS
from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_common.grpc_tls import INVOICING, GrpcClient

STRUCTURE = "demo"
AGENT, AGENT_PASSWORD = "agent@demo.example.fr", "agent de démonstration"
FAMILY, FAMILY_PASSWORD = "famille@demo.example.fr", "famille de démonstration"


def wait(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise SystemExit(f"seed: timed out waiting for {what}")


def activation_token(maildir: str, login: str) -> str | None:
    """The secret of the activation link mailed to `login`, from the SMTP sink's maildir."""
    for message in mailbox.Maildir(maildir, create=False):
        if login in message["To"]:
            text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
            found = re.search(r"token=([A-Za-z0-9_-]+)", text.get_payload(decode=True).decode())
            if found:
                return found.group(1)
    return None


def main() -> None:
    layout, run_dir, maildir = LAYOUTS[sys.argv[1]], Path(sys.argv[2]), sys.argv[3]
    gateway, billing_grpc = layout.gateway_url, layout.grpc_target("billing-statement")
    http = requests.Session()

    def post(path: str, token: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return http.post(gateway + path, headers=headers, timeout=30, **kwargs)

    if post("/v1/auth/login", json={"login": AGENT, "password": AGENT_PASSWORD}).status_code == 200:
        print(f"[seed] already seeded; agent {AGENT} / {AGENT_PASSWORD}, family {FAMILY} / {FAMILY_PASSWORD}")
        return
    environ = dict(line.split("=", 1) for line in (run_dir / "services" / "identity.env").read_text().split())
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "portal_identity",
            "create-agent",
            "--structure",
            STRUCTURE,
            "--login",
            AGENT,
            "--display-name",
            "Agent de démonstration",
        ],
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"[seed] {json.loads(created.stdout.strip().splitlines()[-1])}")
    token = wait(lambda: activation_token(maildir, AGENT), "the agent's activation email")
    post("/v1/auth/activate", json={"token": token, "password": AGENT_PASSWORD}).raise_for_status()
    agent = post("/v1/auth/login", json={"login": AGENT, "password": AGENT_PASSWORD}).json()["access_token"]
    family = post("/v1/admin/accounts", agent, json={"login": FAMILY, "display_name": "Famille Démo"})
    family.raise_for_status()
    family_id = family.json()["account_id"]

    secret = wait(lambda: activation_token(maildir, FAMILY), "the family's activation email")
    post("/v1/auth/activate", json={"token": secret, "password": FAMILY_PASSWORD}).raise_for_status()

    invoicing = layout.grpc_identity(INVOICING)  # the structure's invoicing system, on the run's gRPC CA
    with GrpcClient(billing_grpc, "billing-statement", invoicing).channel() as channel:
        stub = billing_pb2_grpc.BillingServiceStub(channel)
        for month, amount in ((9, 31_500), (10, 28_000)):
            line = billing_pb2.InvoiceLine(
                child=billing_pb2.Child(name="Camille Démo", birth_date="2022-03-14"),
                activity="Crèche",
                billing_mode=billing_pb2.BILLING_MODE_PERIOD,
                service_start=f"2026-{month:02d}-01",
                service_end=f"2026-{month:02d}-28",
                quantity=amount // 1750,
                unit_price_cents=1750,
                amount_cents=amount,
                kind=billing_pb2.LINE_KIND_CHILDCARE,
            )

            def record(month=month, line=line) -> bool:
                try:
                    stub.RecordInvoice(
                        billing_pb2.RecordInvoiceRequest(
                            external_id=f"demo-{month}",
                            structure_id=STRUCTURE,
                            account_id=family_id,
                            number=f"F-2026-{month:02d}",
                            issue_date=f"2026-{month:02d}-30",
                            due_date=f"2026-{month + 1:02d}-15",
                            currency="EUR",
                            lines=[line],
                        ),
                        timeout=10,
                    )
                    return True
                except grpc.RpcError as error:
                    if error.code() == grpc.StatusCode.NOT_FOUND:
                        return False
                    raise

            wait(record, "billing to know the family")
        stub.RecordPayment(
            billing_pb2.RecordPaymentRequest(
                external_id="demo-pay-9",
                structure_id=STRUCTURE,
                invoice_external_id="demo-9",
                paid_on="2026-10-05",
                amount_cents=31_500,
                method=billing_pb2.PAYMENT_METHOD_DIRECT_DEBIT,
            ),
            timeout=10,
        )

    pdf = b"%PDF-1.4\n% Attestation de presence (demonstration)\n%%EOF\n"
    wait(
        lambda: (
            post(
                f"/v1/admin/families/{family_id}/documents",
                agent,
                files={"file": ("attestation.pdf", pdf)},
                data={"title": "Attestation de présence", "category": "Attestations"},
            ).status_code
            == 201
        ),
        "the document store to know the family",
    )
    print(f"[seed] demo structure '{STRUCTURE}': agent {AGENT} / {AGENT_PASSWORD}; family {FAMILY} / {FAMILY_PASSWORD}")


if __name__ == "__main__":
    main()
