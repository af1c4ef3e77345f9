"""Native-app push through FCM's HTTP v1 API, end to end: a phone app's registration token registered
over HTTP, the OAuth exchange with the portal's service account, the message POSTed to FCM.

apprise calls Google's own host names, so the test stands in for Google the way a cluster's egress
proxy would sit in front of it: the service reaches `fcm.googleapis.com` and `oauth2.googleapis.com`
through an HTTPS proxy (`HTTPS_PROXY`, honoured by requests), and the stand-in answers over TLS with
certificates from a test CA the service trusts. No code path of the service is test-only.
"""

from __future__ import annotations

import json
import re
import ssl
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from portal_common.config import ConfigError, Env
from portal_notification import config, deliveries
from tests.notification.conftest import start_service
from tests.support.http_standin import QuietHandler, serve, stop
from tests.support.pki import make_pki
from tests.support.wait import wait_for

PROJECT = "portail-famille-test"
CLIENT_EMAIL = f"portal-push@{PROJECT}.iam.gserviceaccount.com"
TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_HOSTS = ("oauth2.googleapis.com", "fcm.googleapis.com")


def phone_token(name: str) -> str:
    """Shaped like a real registration token: an instance id, a colon, a long opaque part."""
    return f"{name}:APA91b" + "x7Rq_z-" * 20


class Google:
    """FCM and Google's OAuth token endpoint behind an HTTPS proxy: CONNECT, then TLS as the host."""

    def __init__(self, pki: Path, service_account: rsa.RSAPrivateKey) -> None:
        self.tunnels: list[str] = []
        self.token_requests: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.uninstalled: set[str] = set()  # registration tokens FCM answers 404 UNREGISTERED for
        self.access_tokens: set[str] = set()
        public_key = service_account.public_key()
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(pki / "server.pem", pki / "server.key")
        owner = self

        class GoogleApi(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/token":
                    self.token(parse_qs(body.decode()))
                elif m := re.fullmatch(r"/v1/projects/([a-z0-9-]+)/messages:send", self.path):
                    self.send_message(m.group(1), json.loads(body))
                else:
                    self.answer_json(404, {"error": {"code": 404, "status": "NOT_FOUND"}})

            def token(self, form: dict[str, list[str]]) -> None:
                assertion = jwt.decode(form["assertion"][0], public_key, algorithms=["RS256"], audience=TOKEN_URI)
                owner.token_requests.append({"grant_type": form["grant_type"][0], **assertion})
                access_token = f"ya29.test-{len(owner.token_requests)}"
                owner.access_tokens.add(access_token)
                self.answer_json(200, {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"})

            def send_message(self, project: str, body: dict[str, Any]) -> None:
                authorization = self.headers.get("Authorization", "")
                if project != PROJECT or authorization.removeprefix("Bearer ") not in owner.access_tokens:
                    self.answer_json(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
                    return
                message = body["message"]
                if message.get("token") in owner.uninstalled:
                    error = {"code": 404, "status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}
                    self.answer_json(404, {"error": error})
                    return
                owner.messages.append(message)
                self.answer_json(200, {"name": f"projects/{project}/messages/{len(owner.messages)}"})

        class Proxy(QuietHandler):
            def do_CONNECT(self) -> None:
                owner.tunnels.append(self.path)
                if self.path.rpartition(":")[0] not in GOOGLE_HOSTS:
                    self.send_error(403)
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                GoogleApi(tls.wrap_socket(self.connection, server_side=True), self.client_address, self.server)
                self.close_connection = True

        self.server = serve(Proxy)
        self.proxy_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def received_by(self, token: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["token"] == token]

    def close(self) -> None:
        stop(self.server)


def write_service_account(path: Path, key: rsa.RSAPrivateKey) -> None:
    """A key file as the Firebase console gives it."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": PROJECT,
                "private_key_id": "0123456789abcdef",
                "private_key": pem.decode(),
                "client_email": CLIENT_EMAIL,
                "client_id": "1234567890",
                "token_uri": TOKEN_URI,
            }
        )
    )


@pytest.fixture(scope="module")
def fcm(tmp_path_factory):
    root = tmp_path_factory.mktemp("fcm")
    pki = make_pki(root, hosts=GOOGLE_HOSTS)
    service_account = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = root / "service-account.json"
    write_service_account(key_file, service_account)
    google = Google(pki, service_account)
    with pytest.MonkeyPatch.context() as env:
        # The deployment's egress: Google only through the proxy, everything local directly.
        env.setenv("HTTPS_PROXY", google.proxy_url)
        env.setenv("NO_PROXY", "127.0.0.1,localhost")
        env.setenv("REQUESTS_CA_BUNDLE", str(pki / "ca.pem"))
        under_test, stop = start_service(root, FCM_SERVICE_ACCOUNT_FILE=str(key_file))
        yield under_test, google
        stop()
    google.close()


def register_phone(notif, family: dict[str, str], token: str) -> dict[str, Any]:
    response = notif.call(
        "POST", "/v1/push-devices", family, json={"kind": "fcm", "target": token, "label": "Téléphone"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_notification_reaches_the_phone_app_through_fcm(fcm):
    notif, google = fcm
    family = notif.family()
    token = phone_token(family["account_id"])
    device = register_phone(notif, family, token)
    assert device["kind"] == "fcm"
    assert device["target_hint"] == "…" + token[-4:]
    assert token not in notif.call("GET", "/v1/push-devices", family).text  # never echoed back in full

    notif.publish("invoice.issued", family["account_id"], number="F-FCM-1", due_date="2026-12-20")
    wait_for(lambda: google.received_by(token), what="the FCM message")
    [message] = google.received_by(token)
    assert "F-FCM-1" in message["notification"]["title"] + message["notification"]["body"]
    assert "fcm.googleapis.com:443" in google.tunnels  # the real host name, over TLS through the proxy

    # The portal authenticated as its service account (the signature was checked by the stand-in).
    grant = google.token_requests[0]
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert grant["iss"] == CLIENT_EMAIL
    assert "https://www.googleapis.com/auth/firebase.messaging" in grant["scope"].split()

    notif.publish("invoice.issued", family["account_id"], number="F-FCM-2", due_date="2026-12-21")
    wait_for(lambda: len(google.received_by(token)) == 2, what="the second FCM message")


def test_an_uninstalled_app_is_forgotten_and_the_other_phone_still_gets_the_message(fcm):
    notif, google = fcm
    family = notif.family()
    uninstalled, current = phone_token("old-" + family["account_id"]), phone_token("new-" + family["account_id"])
    google.uninstalled.add(uninstalled)
    for token in (uninstalled, current):
        register_phone(notif, family, token)

    notif.publish("invoice.issued", family["account_id"], number="F-FCM-3", due_date="2026-12-20")
    wait_for(lambda: len(notif.call("GET", "/v1/push-devices", family).json()["items"]) == 1, what="device forgotten")
    wait_for(lambda: deliveries.unfinished(notif.db, {"account_id": family["account_id"]}) == 0, what="push finished")
    log = [e["result"] for e in notif.db.delivery_log.find({"account_id": family["account_id"], "channel": "push"})]
    assert log == ["sent"]  # an uninstalled app is no failure to retry
    assert len(google.received_by(current)) == 1  # so the other phone got it exactly once
    [left] = notif.call("GET", "/v1/push-devices", family).json()["items"]
    assert left["target_hint"] == "…" + current[-4:]


def test_an_app_registering_its_token_again_keeps_one_device_and_gets_each_message_once(fcm):
    notif, google = fcm
    family = notif.family()
    token = phone_token("again-" + family["account_id"])
    first = register_phone(notif, family, token)  # 201
    again = notif.call("POST", "/v1/push-devices", family, json={"kind": "fcm", "target": token})
    assert again.status_code == 200  # already registered: the same device
    assert again.json()["device_id"] == first["device_id"]
    # Two starts of the app racing each other still leave one device.
    other = phone_token("race-" + family["account_id"])
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: notif.call("POST", "/v1/push-devices", family, json={"kind": "fcm", "target": other}),
                range(4),
            )
        )
    assert {a.status_code for a in answers} <= {200, 201}
    assert len({a.json()["device_id"] for a in answers}) == 1
    assert len(notif.call("GET", "/v1/push-devices", family).json()["items"]) == 2

    notif.publish("invoice.issued", family["account_id"], number="F-FCM-4", due_date="2026-12-20")
    wait_for(lambda: google.received_by(token) and google.received_by(other), what="both phones reached")
    wait_for(lambda: deliveries.unfinished(notif.db, {"account_id": family["account_id"]}) == 0, what="push finished")
    assert len(google.received_by(token)) == 1
    assert len(google.received_by(other)) == 1


@pytest.mark.parametrize(
    "target",
    [
        "too-short:APA91b",
        phone_token("a") + " spaces",
        phone_token("a") + "/../../v1/projects/other/messages:send",  # would change the URL apprise posts to
        phone_token("a") + "?keyfile=/etc/passwd",
        "x" * 4097,
        12345,
        None,
    ],
)
def test_bad_fcm_tokens_are_refused(fcm, target):
    notif, _ = fcm
    family = notif.family()
    response = notif.call("POST", "/v1/push-devices", family, json={"kind": "fcm", "target": target})
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert notif.call("GET", "/v1/push-devices", family).json()["items"] == []


def test_fcm_is_offered_only_with_a_service_account(notif):
    family = notif.family()
    response = notif.call("POST", "/v1/push-devices", family, json={"kind": "fcm", "target": phone_token("a")})
    assert response.status_code == 422
    assert "pas proposées" in response.json()["detail"]


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"type": "authorized_user", "project_id": PROJECT}),
        json.dumps({"type": "service_account", "project_id": PROJECT, "client_email": CLIENT_EMAIL}),
        json.dumps(
            {
                "type": "service_account",
                "project_id": PROJECT,
                "client_email": CLIENT_EMAIL,
                "private_key_id": "k",
                "private_key": "-----BEGIN PRIVATE KEY-----\nnope\n",
            }
        ),
    ],
)
def test_an_unusable_service_account_stops_the_start(tmp_path, content):
    key_file = tmp_path / "service-account.json"
    key_file.write_text(content)
    with pytest.raises(ConfigError, match="FCM_SERVICE_ACCOUNT_FILE"):
        config.fcm(Env({"FCM_SERVICE_ACCOUNT_FILE": str(key_file)}))
    with pytest.raises(ConfigError, match="FCM_SERVICE_ACCOUNT_FILE"):
        config.fcm(Env({"FCM_SERVICE_ACCOUNT_FILE": str(tmp_path / "missing.json")}))
