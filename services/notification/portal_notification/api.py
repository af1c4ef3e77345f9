"""HTTP API of the notification service (families, behind the gateway)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from portal_common.http import json_body, principal, require_auth, string_field
from portal_common.pagination import parse_limit
from portal_common.problems import Problem
from portal_notification import devices, feed, unsubscribe
from portal_notification.preferences import SCHEMA, Preferences, flatten

api = Blueprint("notification", __name__, url_prefix="/v1")


def ext(name: str) -> Any:
    return current_app.extensions[f"notification.{name}"]


@api.get("/notification-preferences")
@require_auth("family")
def get_preferences() -> Any:
    return ext("preferences").get(principal().account_id)


@api.patch("/notification-preferences")
@require_auth("family")
def patch_preferences() -> Any:
    me = principal()
    patch = flatten(json_body(optional=set(SCHEMA)))
    preferences: Preferences = ext("preferences")
    return preferences.change(me.account_id, me.structure_id, patch, actor="family")


@api.get("/push-devices")
@require_auth("family")
def list_devices() -> Any:
    found = ext("db")[devices.DEVICES].find({"account_id": principal().account_id}).sort("created_at", -1)
    return {"items": [devices.view(d) for d in found]}


@api.post("/push-devices")
@require_auth("family")
def register_device() -> Any:
    data = json_body(required={"kind", "target"}, optional={"label"})
    device = devices.register(
        ext("db"),
        principal().account_id,
        string_field(data, "kind", max_length=20),
        string_field(data, "target", max_length=200),
        string_field(data, "label", max_length=100) if "label" in data else "",
        ext("push_servers"),
    )
    return devices.view(device), 201


@api.delete("/push-devices/<device_id>")
@require_auth("family")
def remove_device(device_id: str) -> Response:
    devices.remove(ext("db"), principal().account_id, device_id)
    return Response(status=204)


@api.get("/notifications")
@require_auth("family")
def list_notifications() -> Any:
    return feed.page(
        ext("db"),
        principal().account_id,
        limit=parse_limit(request.args.get("limit")),
        cursor=request.args.get("cursor"),
    )


@api.post("/notifications/<notification_id>/read")
@require_auth("family")
def read_one(notification_id: str) -> Response:
    feed.mark_read(ext("db"), principal().account_id, notification_id)
    return Response(status=204)


@api.post("/notifications/read-all")
@require_auth("family")
def read_all() -> Response:
    feed.mark_all_read(ext("db"), principal().account_id)
    return Response(status=204)


@api.post("/unsubscribe")
def one_click_unsubscribe() -> Any:
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` to the signed link; no login."""
    verified = unsubscribe.verify(ext("unsubscribe_secret"), request.args.get("token", ""))
    if verified is None:
        raise Problem(400, "Ce lien de désabonnement est invalide.", slug="invalid-unsubscribe-token")
    account_id, category = verified
    contact = ext("db")["contacts"].find_one({"_id": account_id}) or {}
    ext("preferences").change(
        account_id, contact.get("structure_id", ""), {f"{category}.email": False}, actor="unsubscribe"
    )
    return {"status": "Vous ne recevrez plus ces e-mails.", "category": category}
