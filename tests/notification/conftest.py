"""A real notification service per module, with a real SMTP sink and a real HTTP push endpoint."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from portal_common import events
from portal_common.config import Env
from portal_common.kafka_client import create_producer
from portal_common.runtime import ServiceRuntime
from portal_notification.app import SERVICE
from portal_notification.config import NotificationConfig
from portal_notification.context import Context
from tests.support.env import KAFKA, service_environment
from tests.support.identity_standin import IdentityLinksStandIn
from tests.support.kafka import create_event_topics, publish, unique_topic
from tests.support.sinks import PushSink, SmtpSink
from tests.support.tokens import JwksServer, SigningKey
from tests.support.wait import wait_for

SECRET = "test-unsubscribe-secret"


@dataclass
class NotificationUnderTest:
    service: Context
    runtime: ServiceRuntime
    topic: str
    key: SigningKey
    smtp: SmtpSink
    push: PushSink
    identity: IdentityLinksStandIn

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.http_port}"

    @property
    def db(self):
        return self.service.db

    def publish(
        self,
        event_type: str,
        account_id: str,
        structure_id: str = "s1",
        *,
        raw: bytes | None = None,
        event_id: str | None = None,
        **payload: Any,
    ) -> events.AccountEvent | None:
        if raw is not None:
            producer = create_producer(KAFKA, "tests")
            try:  # bytes that are no event, as a broken external publisher would send them
                producer.send(events.topic_of(self.topic, "dossier"), key=account_id.encode(), value=raw).get(10)
            finally:
                producer.close()
            return None
        return publish(self.topic, event_type, account_id, structure_id, event_id=event_id, **payload)

    def family(self, structure: str = "s1") -> dict[str, str]:
        account_id = f"fam-{uuid.uuid4().hex[:8]}"
        email = f"{account_id}@example.fr"
        created = self.publish("account.created", account_id, structure, contact_email=email, role="family")
        wait_for(lambda: self.db.preferences.find_one({"_id": account_id}), what="defaults stored for the account")
        token = self.key.mint(sub=account_id, sid=uuid.uuid4().hex, role="family", structure_id=structure)
        return {
            "account_id": account_id,
            "email": email,
            "token": token,
            "structure": structure,
            "created_event_id": created.event_id,
        }

    def call(self, method: str, path: str, who: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if who:
            headers["Authorization"] = f"Bearer {who['token']}"
        return requests.request(method, self.url + path, headers=headers, timeout=15, **kwargs)

    def set_preferences(self, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        response = self.call("PATCH", "/v1/notification-preferences", who, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def add_device(self, who: dict[str, str]) -> str:
        topic = f"topic-{who['account_id']}"
        response = self.call("POST", "/v1/push-devices", who, json={"kind": "ntfy", "target": topic, "label": "Tél"})
        assert response.status_code == 201, response.text
        return topic

    def feed(self, who: dict[str, str], **params: Any) -> dict[str, Any]:
        return self.call("GET", "/v1/notifications", who, params=params).json()


def environ(
    topic: str, jwks_url: str, smtp_port: int, ntfy_url: str, identity_target: str, **overrides: str
) -> dict[str, str]:
    settings = {
        "JWKS_URL": jwks_url,
        "IDENTITY_GRPC_TARGET": identity_target,
        "SMTP_PORT": str(smtp_port),  # each test's own sink
        "NTFY_URL": ntfy_url,
        "UNSUBSCRIBE_SECRET": SECRET,
        "SEND_TIMEOUT_SECONDS": "2",
        "DELIVERY_RETRY_BASE_SECONDS": "0.3",
    }
    return service_environment("notification", topic, **(settings | overrides))


def start_service(tmp_path, **overrides: str):
    key = SigningKey("notif-k1")
    jwks = JwksServer(key)
    smtp = SmtpSink(tmp_path / "maildir")
    smtp.start()
    push = PushSink()
    identity = IdentityLinksStandIn()
    topic = unique_topic("notification-events")
    create_event_topics(topic, partitions=3)
    settings = environ(topic, jwks.url, smtp.port, push.url, identity.target, **overrides)
    service = Context.build(NotificationConfig.from_env(Env(settings)))
    runtime = SERVICE.runtime(service)
    runtime.start()
    under_test = NotificationUnderTest(service, runtime, topic, key, smtp, push, identity)

    def stop() -> None:
        under_test.runtime.stop()  # the one running now (a test may have restarted the service)
        service.db.client.drop_database(service.db.name)
        smtp.stop()
        push.close()
        jwks.close()
        identity.close()

    return under_test, stop


@pytest.fixture(scope="module")
def notif(tmp_path_factory):
    under_test, stop = start_service(tmp_path_factory.mktemp("notification"))
    yield under_test
    stop()
