"""The platform as one: the four services as real processes and the nginx gateway, started by the same
scripts as `make up` (deploy/local/platform.sh) on test ports, over the test stack."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pymongo
import pytest
import requests
from pymongo.database import Database

from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_common.grpc_tls import INVOICING, GrpcClient, GrpcTls
from portal_common.kafka_client import KafkaAccess
from tests.support.env import KAFKA, LAYOUT, MAILDIR, ROOT
from tests.support.pki import make_pki
from tests.support.sinks import PushSink, SmtpSink, part_of
from tests.support.wait import wait_for
from tests.support.webpush import PushService


def ok(response: requests.Response, status: int) -> requests.Response:
    """The response, if it has the status a set-up step expects; otherwise the test fails with what came back."""
    assert response.status_code == status, f"{response.status_code} {response.text[:300]}"
    return response


class Platform:
    def __init__(self, run_dir: Path, push: PushSink, web_push: PushService | None = None) -> None:
        self.run_dir = run_dir
        self.push = push
        self.web_push = web_push  # what a browser vendor's push service would receive
        self.gateway = LAYOUT.gateway_url
        self.billing_grpc = LAYOUT.grpc_target("billing-statement")  # where the invoicing system calls
        self.kafka_bootstrap = KAFKA.bootstrap  # where the dossier and reservation services publish
        self.kafka = KAFKA
        self.events_topic = "account-events"
        self.env = {
            **os.environ,
            "PORTAL_LAYOUT": LAYOUT.name,
            "PORTAL_RUN_DIR": str(run_dir),
            "PORTAL_KAFKA_DIR": str(LAYOUT.kafka_dir),  # the test stack's Kafka: its CA and principals
            "NTFY_URL": push.url,
            "PORTAL_PUBLIC_URL": self.gateway,
            "PORTAL_MAILDIR": str(MAILDIR),  # the test stack's SMTP sink (the seed reads activation mail there)
        }
        if web_push is not None:  # browsers subscribe with it; its CA trusted as a deployment trusts public CAs
            self.env |= {"WEBPUSH_ALLOWED_ORIGINS": web_push.origin, "REQUESTS_CA_BUNDLE": str(web_push.ca_file)}

    def kafka_as(self, principal: str) -> KafkaAccess:
        """Kafka as one of its principals (a publisher such as `dossier`): what that service's process holds."""
        return LAYOUT.kafka_access(principal)

    def script(self, command: str) -> None:
        subprocess.run(
            ["bash", str(ROOT / "deploy" / "local" / "platform.sh"), command], env=self.env, check=True, timeout=300
        )

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.gateway + path, headers=headers, timeout=60, **kwargs)

    @staticmethod
    def demo_accounts() -> dict[str, dict[str, str]]:
        """The demo agent and family `make up` seeds (deploy/local/seed.py), as login bodies."""
        spec = importlib.util.spec_from_file_location("seed", ROOT / "deploy" / "local" / "seed.py")
        assert spec is not None
        assert spec.loader is not None
        seed = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(seed)
        return {
            "family": {"login": seed.FAMILY, "password": seed.FAMILY_PASSWORD},
            "agent": {"login": seed.AGENT, "password": seed.AGENT_PASSWORD},
        }

    def new_family(self, smtp: SmtpSink, agent_token: str, login: str, password: str) -> tuple[str, str]:
        """A family created by an agent and activated from its email: its account id and an access token."""
        new = {"login": login, "display_name": "Famille K"}
        created = ok(self.call("POST", "/v1/admin/accounts", agent_token, json=new), 201)
        [mail] = wait_for(lambda: smtp.messages(to=login), timeout=60, what="activation email")
        secret = re.search(r"token=([A-Za-z0-9_-]+)", part_of(mail)).group(1)
        ok(self.call("POST", "/v1/auth/activate", json={"token": secret, "password": password}), 204)
        session = ok(self.call("POST", "/v1/auth/login", json={"login": login, "password": password}), 200)
        return created.json()["account_id"], session.json()["access_token"]

    def signing_key(self) -> tuple[str, bytes]:
        """Identity's current signing key (kid, PEM), to mint tokens the platform accepts (expired ones)."""
        key = max((self.run_dir / "identity-keys").glob("*.pem"))
        return key.stem, key.read_bytes()

    def invoicing_channel(self) -> grpc.Channel:
        """A channel to billing as the structure's invoicing system (its certificate from the run's gRPC CA)."""
        return GrpcClient(self.billing_grpc, "billing-statement", self.grpc_identity(INVOICING)).channel()

    def grpc_identity(self, name: str) -> GrpcTls:
        return LAYOUT.grpc_identity(name)

    def record_invoice(
        self,
        structure: str,
        account_id: str,
        *,
        external_id: str,
        number: str,
        child: str,
        issue_date: str,
        amount_cents: int,
    ) -> None:
        """The invoicing system records a one-line childcare invoice over gRPC, once billing knows the family
        (which it learns from account events, a moment after the account is created)."""
        line = billing_pb2.InvoiceLine(
            child=billing_pb2.Child(name=child, birth_date="2022-01-01"),
            activity="Crèche",
            billing_mode=billing_pb2.BILLING_MODE_PERIOD,
            service_start=issue_date[:8] + "01",
            service_end=issue_date,
            quantity=1,
            unit_price_cents=amount_cents,
            amount_cents=amount_cents,
            kind=billing_pb2.LINE_KIND_CHILDCARE,
        )
        request = billing_pb2.RecordInvoiceRequest(
            external_id=external_id,
            structure_id=structure,
            account_id=account_id,
            number=number,
            issue_date=issue_date,
            due_date=issue_date,
            currency="EUR",
            lines=[line],
        )
        with self.invoicing_channel() as channel:
            stub = billing_pb2_grpc.BillingServiceStub(channel)

            def recorded() -> bool:
                try:
                    stub.RecordInvoice(request, timeout=10)
                    return True
                except grpc.RpcError as error:
                    if error.code() == grpc.StatusCode.NOT_FOUND:
                        return False
                    raise

            wait_for(recorded, timeout=30, what="billing knows the family")

    def service_env(self, service: str) -> dict[str, str]:
        return dict(line.split("=", 1) for line in (self.run_dir / "services" / f"{service}.env").read_text().split())

    @contextlib.contextmanager
    def database(self, service: str) -> Iterator[Database]:
        """A service's own database, for a test that must move time (a link's deadline) the platform cannot."""
        environ = self.service_env(service)
        with pymongo.MongoClient(environ["MONGO_URI"]) as client:
            yield client[environ["MONGO_DB"]]

    def command(self, service: str, *args: str) -> str:
        """`python -m portal_<service> ARGS` as ops run it (here: with the service's own environment); stdout."""
        environ = self.service_env(service)
        result = subprocess.run(
            [sys.executable, "-m", f"portal_{service.replace('-', '_')}", *args],
            env={**os.environ, **environ},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout

    def create_agent(self, structure: str, login: str) -> str:
        """A structure's first agent, made by the ops command; the secret of the link its activation email carries."""
        out = self.command(
            "identity", "create-agent", "--structure", structure, "--login", login, "--display-name", "Agent"
        )
        assert json.loads(out.strip().splitlines()[-1])["activation_email_to"] == login
        [mail] = wait_for(lambda: SmtpSink(MAILDIR).messages(to=login), timeout=60, what="the agent's activation email")
        return re.search(r"token=([A-Za-z0-9_-]+)", part_of(mail)).group(1)


@pytest.fixture(scope="package")
def platform(tmp_path_factory):
    push = PushSink()
    pki = make_pki(tmp_path_factory.mktemp("webpush-pki"))
    web_push = PushService(pki)
    platform = Platform(tmp_path_factory.mktemp("platform"), push, web_push)
    try:
        platform.script("up")  # also seeds the demo data, as `make up` does
        yield platform
    finally:
        platform.script("down")  # even when start-up failed half-way: no process outlives the tests
        push.close()
        web_push.close()
