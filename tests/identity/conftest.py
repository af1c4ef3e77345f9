"""A real identity service (HTTP through waitress, gRPC, outbox relay, activity consumer) per module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal_common.config import Env
from portal_common.mongo import DocumentLocks, update_locked
from portal_common.runtime import ServiceRuntime
from portal_identity import accounts
from portal_identity.app import SERVICE
from portal_identity.config import IdentityConfig
from portal_identity.context import Context
from tests.support.env import grpc_channel, service_environment
from tests.support.kafka import create_event_topics, unique_topic
from tests.support.wait import wait_for

PASSWORD = "correct horse battery staple"
ISSUER = "http://identity.test"


@dataclass
class IdentityUnderTest:
    identity: Context
    runtime: ServiceRuntime
    topic: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.runtime.grpc.port}"

    @property
    def db(self):
        return self.identity.db

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, timeout=15, **kwargs)

    def issue_link(self, event_id: str) -> str:
        """The link secret of a request, asked over gRPC as the mailer (notification) asks for it."""
        with grpc_channel(self.grpc_target, "identity", caller="notification") as channel:
            stub = identity_pb2_grpc.IdentityServiceStub(channel)
            return stub.IssueLink(identity_pb2.IssueLinkRequest(event_id=event_id), timeout=10).token

    def reset_link(self, login: str) -> str:
        """Ask for a password reset over HTTP, then the secret its email would carry."""
        before = (self.db.accounts.find_one({"login": login}) or {}).get("reset_event_id")
        assert self.call("POST", "/v1/auth/password-reset", json={"login": login}).status_code == 202

        def requested() -> str | None:  # the request is handled after the answer (reset_requests)
            event_id = self.db.accounts.find_one({"login": login}).get("reset_event_id")
            return event_id if event_id != before else None

        return self.issue_link(wait_for(requested, timeout=10, what="the reset request handled"))

    def new_account(
        self, *, structure: str = "struct-1", role: str = "family", password: str = PASSWORD, login: str | None = None
    ) -> dict[str, Any]:
        """Create through the domain (as an agent would), activate through HTTP."""
        login = login or f"user-{uuid.uuid4().hex[:8]}@example.fr"
        account = accounts.create_account(
            self.identity,
            structure_id=structure,
            login=login,
            contact_email=None,
            display_name="Famille Test",
            role=role,
            created_by="test",
        )
        secret = self.issue_link(account["activation_event_id"])
        response = self.call("POST", "/v1/auth/activate", json={"token": secret, "password": password})
        assert response.status_code == 204, response.text
        return {"account_id": account["_id"], "login": login, "password": password, "structure": structure}

    def set_stored(self, collection: str, document_id: str, **fields: Any) -> None:
        """Change stored fields (a deadline moved into the past, an old hash) under the document's lock,
        like every writer of accounts and sessions: FerretDB updates are not isolated."""
        update_locked(self.db, DocumentLocks(self.db), collection, document_id, {"$set": fields})

    def login(self, account: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        response = self.call(
            "POST", "/v1/auth/login", json={"login": account["login"], "password": account["password"]}, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()


def outcome_counts(svc: IdentityUnderTest) -> dict[tuple[str, str], float]:
    """The identity process's login and refresh counters, read from its /metrics over HTTP."""
    text = requests.get(svc.url + "/metrics", timeout=10).text
    watched = ("portal_identity_logins_total", "portal_identity_refreshes_total")
    return {
        (sample.name, sample.labels["outcome"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in watched
    }


def identity_environ(tmp_path, topic: str, **overrides: str) -> dict[str, str]:
    settings = {
        "TOKEN_ISSUER": ISSUER,
        "IDENTITY_KEYS_DIR": str(tmp_path / "keys"),
        "IDENTITY_KEY_RELOAD_SECONDS": "1",
        # Every test calls from 127.0.0.1: keep the per-IP throttle out of the way except where tested.
        "THROTTLE_IP_FREE_FAILURES": "100000",
        "THROTTLE_IP_HOURLY_CAP": "1000000",
        "THROTTLE_LINK_IP_FREE_REQUESTS": "100000",
        "THROTTLE_LINK_IP_HOURLY_CAP": "1000000",
        "PASSWORD_RESET_MIN_INTERVAL_SECONDS": "0",  # tested on its own
    }
    return service_environment("identity", topic, **(settings | overrides))


@contextmanager
def identity_service(tmp_path, **overrides: str) -> Iterator[IdentityUnderTest]:
    topic = unique_topic("identity-events")
    create_event_topics(topic, partitions=3)
    config = IdentityConfig.from_env(Env(identity_environ(tmp_path, topic, **overrides)))
    identity = Context.build(config)
    runtime = SERVICE.runtime(identity)
    runtime.start()
    try:
        yield IdentityUnderTest(identity, runtime, topic)
    finally:
        runtime.stop()
        identity.db.client.drop_database(identity.db.name)


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    with identity_service(tmp_path_factory.mktemp("identity")) as under_test:
        yield under_test
