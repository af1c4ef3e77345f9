"""Web Push end to end: a browser subscription registered over HTTP, a notification encrypted for it
(RFC 8291) and signed with the portal's VAPID key (RFC 8292), POSTed over TLS to a local push
service; the test decrypts it with the browser's keys, as the browser would."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from portal_notification import deliveries
from tests.notification.conftest import start_service
from tests.support.pki import make_pki
from tests.support.wait import wait_for
from tests.support.webpush import BrowserKeys, PushService, point, unb64url


@pytest.fixture(scope="module")
def web_push(tmp_path_factory):
    root = tmp_path_factory.mktemp("webpush")
    pki = make_pki(root)
    vapid = ec.generate_private_key(ec.SECP256R1())
    key_file = root / "vapid.pem"
    key_file.write_bytes(
        vapid.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    push = PushService(pki)
    # The sending processes trust the test CA the way a deployment trusts public CAs.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REQUESTS_CA_BUNDLE", str(pki / "ca.pem"))
        under_test, stop = start_service(
            root,
            WEBPUSH_VAPID_KEY_FILE=str(key_file),
            WEBPUSH_ALLOWED_ORIGINS=push.origin,
            WEBPUSH_SUBSCRIBER="dpo@mairie.example",
        )
        yield under_test, push, vapid
        stop()
    push.close()


def test_a_notification_reaches_the_browser_encrypted_and_signed(web_push):
    notif, push, vapid = web_push
    family = notif.family()
    browser = BrowserKeys(f"{push.origin}/wpush/v2/{family['account_id']}")
    key = notif.call("GET", "/v1/push-devices/webpush-key", family).json()["public_key"]
    assert unb64url(key) == point(vapid.public_key())  # what the browser subscribes with

    registered = notif.call("POST", "/v1/push-devices", family, json={"kind": "webpush", "label": "Firefox",
                            "subscription": browser.subscription()})  # fmt: skip
    assert registered.status_code == 201, registered.text
    listed = notif.call("GET", "/v1/push-devices", family).json()["items"]
    assert listed[0]["kind"] == "webpush"
    assert browser.endpoint not in str(listed)  # never echoed back in full

    notif.publish("invoice.issued", family["account_id"], number="F-WP-1", due_date="2026-12-20")
    wait_for(lambda: any(r["path"].endswith(family["account_id"]) for r in push.received), what="the push")
    [request] = [r for r in push.received if r["path"].endswith(family["account_id"])]
    assert request["headers"]["Content-Encoding"] == "aes128gcm"
    scheme, _, credentials = request["headers"]["Authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in credentials.split(","))
    assert fields["k"] == key
    claims = jwt.decode(fields["t"], vapid.public_key(), algorithms=["ES256"], audience=push.origin)
    assert claims["sub"] == "mailto:dpo@mairie.example"
    text = browser.decrypt(request["body"])
    assert "F-WP-1" in text  # only the browser's keys can read it


def test_an_expired_subscription_is_forgotten_and_the_others_still_get_the_message(web_push):
    notif, push, _ = web_push
    family = notif.family()
    expired = BrowserKeys(f"{push.origin}/expired/{family['account_id']}")
    current = BrowserKeys(f"{push.origin}/current/{family['account_id']}")
    for browser in (expired, current):
        body = {"kind": "webpush", "subscription": browser.subscription()}
        assert notif.call("POST", "/v1/push-devices", family, json=body).status_code == 201

    notif.publish("invoice.issued", family["account_id"], number="F-WP-2", due_date="2026-12-20")

    def devices() -> list[dict[str, Any]]:
        return notif.call("GET", "/v1/push-devices", family).json()["items"]

    wait_for(lambda: len(devices()) == 1, what="the expired device forgotten")
    wait_for(lambda: deliveries.unfinished(notif.db, {"account_id": family["account_id"]}) == 0, what="push finished")
    push_log = [
        e["result"] for e in notif.db.delivery_log.find({"account_id": family["account_id"], "channel": "push"})
    ]
    assert push_log == ["sent"]  # one attempt: a gone subscription is no failure to retry
    # Sent once to the live browser (a gone one is no failure, so no retry resends it).
    [to_current] = [r for r in push.received if r["path"] == f"/current/{family['account_id']}"]
    assert "F-WP-2" in current.decrypt(to_current["body"])


@pytest.mark.parametrize(
    ("subscription", "slug"),
    [
        ({"endpoint": "http://localhost/wpush", "keys": "valid"}, "validation-error"),  # not https
        ({"endpoint": "https://169.254.169.254/latest/meta-data", "keys": "valid"}, "push-service-not-allowed"),
        ({"endpoint": "https://user:pw@localhost/wpush", "keys": "valid"}, "validation-error"),
        (
            {"endpoint": "PUSH/x", "keys": {"p256dh": "not-a-point", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
            "validation-error",
        ),
        ({"endpoint": "PUSH/x", "keys": {"p256dh": "valid", "auth": "c2hvcnQ"}}, "validation-error"),  # 5 bytes
        ({"endpoint": "PUSH/x"}, "missing-fields"),  # no keys
    ],
)
def test_bad_subscriptions_are_refused(web_push, subscription, slug):
    notif, push, _ = web_push
    family = notif.family()
    valid = BrowserKeys(f"{push.origin}/x").subscription()["keys"]
    subscription = {**subscription, "endpoint": subscription["endpoint"].replace("PUSH", push.origin)}
    if subscription.get("keys") == "valid":
        subscription["keys"] = valid
    elif isinstance(subscription.get("keys"), dict) and subscription["keys"].get("p256dh") == "valid":
        subscription["keys"] = {**subscription["keys"], "p256dh": valid["p256dh"]}
    response = notif.call("POST", "/v1/push-devices", family, json={"kind": "webpush", "subscription": subscription})
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith(slug)
    assert notif.call("GET", "/v1/push-devices", family).json()["items"] == []


def test_web_push_needs_a_subscription_and_a_key(web_push, notif):
    with_key, _, _ = web_push
    family = with_key.family()
    missing = with_key.call("POST", "/v1/push-devices", family, json={"kind": "webpush", "target": "abcdefgh"})
    assert missing.status_code == 422
    # A portal without a VAPID key offers no Web Push at all.
    other = notif.family()
    assert notif.call("GET", "/v1/push-devices/webpush-key", other).status_code == 404
    refused = notif.call("POST", "/v1/push-devices", other, json={"kind": "webpush", "subscription": {}})
    assert refused.status_code == 422
