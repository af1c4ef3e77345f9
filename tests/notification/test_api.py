"""Preferences, push devices and the feed through real HTTP; preferences through real gRPC."""

import grpc
import pytest
from google.protobuf import field_mask_pb2

from portal.notification.v1 import notification_pb2, notification_pb2_grpc
from tests.support.env import grpc_channel
from tests.support.kafka import find_events
from tests.support.wait import wait_for


def test_defaults_are_stored_explicitly_and_patch_validates(notif):
    family = notif.family()
    prefs = notif.call("GET", "/v1/notification-preferences", family).json()
    assert prefs["email_enabled"] is True
    assert prefs["invoices"] == {
        "enabled": True,
        "issued": True,
        "payment_status_changed": True,
        "direct_debit_refused": True,
        "unpaid_reminder": True,
        "online_payment_blocked": True,
        "email": True,
    }
    changed = notif.set_preferences(family, {"push_enabled": False, "dossier": {"quotient_updated": False}})
    assert changed["push_enabled"] is False
    assert changed["dossier"]["quotient_updated"] is False
    assert changed["dossier"]["review_completed"] is True
    for bad in ({"sms_enabled": True}, {"email_enabled": "yes"}, {"dossier": {"colour": True}}, {"dossier": True}):
        response = notif.call("PATCH", "/v1/notification-preferences", family, json=bad)
        assert response.status_code == 422, bad
    event = find_events(
        notif.topic, lambda e: e.type == "notification.preferences_changed" and e.account_id == family["account_id"]
    )[0]
    assert sorted(event.notification_preferences_changed.changed_paths) == ["dossier.quotient_updated", "push_enabled"]


def test_push_devices_are_masked_and_owned(notif):
    family, other = notif.family(), notif.family()
    created = notif.call("POST", "/v1/push-devices", family, json={"kind": "ntfy", "target": "secret-topic-123456"})
    assert created.status_code == 201
    body = created.json()
    assert "secret-topic-123456" not in created.text
    assert body["target_hint"] == "…3456"
    assert [d["device_id"] for d in notif.call("GET", "/v1/push-devices", family).json()["items"]] == [
        body["device_id"]
    ]
    assert notif.call("DELETE", f"/v1/push-devices/{body['device_id']}", other).status_code == 404
    assert notif.call("DELETE", f"/v1/push-devices/{body['device_id']}", family).status_code == 204
    for bad in (
        {"kind": "sms", "target": "abcdefgh"},
        {"kind": "ntfy", "target": "a b/../c"},
        {"kind": "gotify", "target": "abcdefgh"},
        {"kind": "ntfy"},
        {"kind": "ntfy", "target": "secret-topic-123456", "label": "Tél\x00\x1b[2J"},
    ):
        assert notif.call("POST", "/v1/push-devices", family, json=bad).status_code == 422, bad


def test_feed_newest_first_unread_count_mark_one_and_all(notif):
    family, other = notif.family(), notif.family()
    for label in ("un", "deux", "trois"):
        notif.publish("dossier.document_requested", family["account_id"], dossier_id="d", document_label=label)
    wait_for(lambda: len(notif.feed(family)["items"]) == 3, what="three entries")
    page = notif.feed(family, limit=2)
    assert page["unread_count"] == 3
    assert page["items"][0]["body"] == "La structure vous demande : trois."
    rest = notif.feed(family, limit=2, cursor=page["next_cursor"])
    assert len(rest["items"]) == 1
    first = page["items"][0]["notification_id"]
    assert notif.call("POST", f"/v1/notifications/{first}/read", other).status_code == 404
    assert notif.call("POST", f"/v1/notifications/{first}/read", family).status_code == 204
    assert notif.feed(family)["unread_count"] == 2
    assert notif.call("POST", "/v1/notifications/read-all", family).status_code == 204
    assert notif.feed(family)["unread_count"] == 0
    assert all(i["read"] for i in notif.feed(family)["items"])
    assert notif.feed(other)["items"] == []  # never another family's feed


def test_routes_need_a_family_token(notif):
    agent = {"token": notif.key.mint(role="agent")}
    assert notif.call("GET", "/v1/notifications").status_code == 401
    assert notif.call("GET", "/v1/notifications", agent).status_code == 403


@pytest.fixture
def stub(notif):
    with grpc_channel(f"127.0.0.1:{notif.runtime.grpc.port}", "notification") as channel:
        yield notification_pb2_grpc.NotificationServiceStub(channel)


def test_grpc_update_with_a_field_mask_takes_effect_for_the_next_event(notif, stub):
    family = notif.family()
    request = notification_pb2.UpdatePreferencesRequest(
        preferences=notification_pb2.Preferences(
            account_id=family["account_id"], invoices=notification_pb2.InvoiceCategory(issued=False)
        ),
        update_mask=field_mask_pb2.FieldMask(paths=["invoices.issued"]),
        actor="billing-statement",
    )
    updated = stub.UpdatePreferences(request, timeout=10)
    assert updated.invoices.issued is False
    assert updated.invoices.unpaid_reminder is True  # untouched by the mask
    assert updated.email_enabled is True
    assert (
        stub.GetPreferences(
            notification_pb2.GetPreferencesRequest(account_id=family["account_id"]), timeout=10
        ).invoices.issued
        is False
    )
    notif.publish("invoice.issued", family["account_id"], number="F-9")
    notif.publish("invoice.unpaid_reminder", family["account_id"], number="F-9", due_date="2026-12-01")
    wait_for(lambda: len(notif.feed(family)["items"]) == 2, what="both in the feed")
    wait_for(lambda: notif.smtp.messages(to=family["email"], subject="Rappel : facture impayée"), what="reminder sent")
    assert notif.smtp.messages(to=family["email"], subject="Nouvelle facture disponible") == []  # switched off
    with pytest.raises(grpc.RpcError) as error:
        stub.UpdatePreferences(
            notification_pb2.UpdatePreferencesRequest(
                preferences=notification_pb2.Preferences(account_id=family["account_id"]),
                update_mask=field_mask_pb2.FieldMask(paths=["colour"]),
            ),
            timeout=10,
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as error:
        stub.GetPreferences(notification_pb2.GetPreferencesRequest(account_id="nobody"), timeout=10)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
