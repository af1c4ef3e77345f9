"""A real document store per module; families and agents get tokens from a test JWKS, and the
accounts it knows come from account events published on its topic, as identity would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from portal_common.config import Env
from portal_common.runtime import ServiceRuntime
from portal_document_store.app import SERVICE
from portal_document_store.config import DocumentsConfig
from portal_document_store.context import Context
from tests.support.env import service_environment
from tests.support.kafka import create_event_topics, publish, unique_topic
from tests.support.tokens import JwksServer, SigningKey
from tests.support.wait import wait_for

MAX_UPLOAD = 256 * 1024
PDF = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 200 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@dataclass
class DocumentStoreUnderTest:
    service: Context
    runtime: ServiceRuntime
    topic: str
    key: SigningKey

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.http_port}"

    @property
    def db(self):
        return self.service.db

    def publish(self, event_type: str, account_id: str, structure_id: str, **payload: Any) -> None:
        publish(self.topic, event_type, account_id, structure_id, **payload)

    def family(self, structure: str = "struct-1") -> dict[str, str]:
        account_id = f"fam-{uuid.uuid4().hex[:8]}"
        self.publish("account.created", account_id, structure, role="family")
        wait_for(lambda: self.db.accounts.find_one({"_id": account_id}), what="account in the projection")
        return {
            "account_id": account_id,
            "structure": structure,
            "token": self.key.mint(sub=account_id, sid=uuid.uuid4().hex, role="family", structure_id=structure),
        }

    def agent(self, structure: str = "struct-1") -> dict[str, str]:
        account_id = f"agent-{uuid.uuid4().hex[:8]}"
        return {
            "account_id": account_id,
            "structure": structure,
            "token": self.key.mint(sub=account_id, sid=uuid.uuid4().hex, role="agent", structure_id=structure),
        }

    def call(self, method: str, path: str, who: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if who:
            headers["Authorization"] = f"Bearer {who['token']}"
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def send_to_family(self, agent, family, content: bytes = PDF, filename: str = "facture.pdf", **fields: str):
        data = {"title": "Attestation", "category": "Attestations", **fields}
        return self.call(
            "POST",
            f"/v1/admin/families/{family['account_id']}/documents",
            agent,
            files={"file": (filename, content, "application/octet-stream")},
            data=data,
        )

    def send_to_structure(self, family, content: bytes = PNG, filename: str = "justificatif.png", **fields: str):
        data = {"title": "Justificatif de domicile", **fields}
        return self.call(
            "POST", "/v1/dossier/documents", family, files={"file": (filename, content, "image/png")}, data=data
        )

    def chunk_count(self) -> int:
        return self.db["files.chunks"].count_documents({})


def environ(topic: str, jwks_url: str, **overrides: str) -> dict[str, str]:
    settings = {"JWKS_URL": jwks_url, "MAX_UPLOAD_BYTES": str(MAX_UPLOAD)}
    return service_environment("document-store", topic, **(settings | overrides))


@pytest.fixture(scope="module")
def docs():
    key = SigningKey("docs-k1")
    jwks = JwksServer(key)
    topic = unique_topic("documents-events")
    create_event_topics(topic, partitions=3)
    service = Context.build(DocumentsConfig.from_env(Env(environ(topic, jwks.url))))
    runtime = SERVICE.runtime(service)
    runtime.start()
    yield DocumentStoreUnderTest(service, runtime, topic, key)
    runtime.stop()
    service.db.client.drop_database(service.db.name)
    jwks.close()
