"""Push targets a family registers (ntfy topic, Gotify token, a browser's Web Push subscription,
the phone app's FCM registration token); never echoed back in full."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from pymongo.database import Database

from portal_common.mongo import find_by_id, insert_new
from portal_common.problems import Problem
from portal_notification.fcm import Fcm
from portal_notification.webpush import WebPush

DEVICES = "devices"
KINDS = ("ntfy", "gotify", "webpush", "fcm")
SENT_ONE_BY_ONE = ("webpush", "fcm")  # gone for good when their push service says so
TARGET = re.compile(r"^[A-Za-z0-9_.~-]{6,200}$")
MAX_DEVICES = 10


@dataclass(frozen=True)
class Offer:
    """The push services this portal offers: ntfy and Gotify servers, Web Push with a VAPID key, FCM
    with a service account."""

    servers: dict[str, str]  # kind -> server URL
    web_push: WebPush | None
    fcm: Fcm | None = None

    def offers(self, kind: str) -> bool:
        if kind == "webpush":
            return self.web_push is not None
        if kind == "fcm":
            return self.fcm is not None
        return bool(self.servers.get(kind))


def register(
    db: Database,
    account_id: str,
    kind: str,
    offer: Offer,
    *,
    target: str | None = None,
    subscription: Any = None,
    label: str = "",
) -> tuple[dict[str, Any], bool]:
    """The device, and whether it is new (False: this target was already registered)."""
    if kind not in KINDS:
        raise Problem(422, f"kind doit valoir {' ou '.join(KINDS)}.", fields=["kind"])
    if not offer.offers(kind):
        raise Problem(422, f"Les notifications {kind} ne sont pas proposées par ce portail.", fields=["kind"])
    device: dict[str, Any] = {"account_id": account_id, "kind": kind}
    if kind == "webpush":
        if subscription is None:
            raise Problem(422, "subscription est obligatoire pour Web Push.", fields=["subscription"])
        device["subscription"] = offer.web_push.subscription(subscription)  # type: ignore[union-attr]
        device["target"] = device["subscription"]["endpoint"]
    elif kind == "fcm":
        device["target"] = Fcm.token(target)
    else:
        if not isinstance(target, str) or not TARGET.match(target):
            raise Problem(
                422,
                "Identifiant de réception invalide (6 à 200 caractères : lettres, chiffres, . _ ~ -).",
                fields=["target"],
            )
        device["target"] = target
    # One device per (family, kind, target): an app registering its token again at every start,
    # or two registrations racing, leave one device, so each message reaches the phone once.
    device["_id"] = device_id(account_id, kind, device["target"])
    if (known := find_by_id(db[DEVICES], device["_id"], account_id=account_id)) is not None:
        if kind == "webpush" and known["subscription"] != device["subscription"]:  # the browser's new keys
            db[DEVICES].update_one({"_id": known["_id"]}, {"$set": {"subscription": device["subscription"]}})
        return known, False
    if db[DEVICES].count_documents({"account_id": account_id}) >= MAX_DEVICES:
        raise Problem(409, f"Au plus {MAX_DEVICES} appareils par compte.", slug="too-many-devices")
    device |= {"label": label.strip()[:100], "created_at": datetime.now(UTC)}
    if not insert_new(db[DEVICES], [device]):
        return find_by_id(db[DEVICES], device["_id"]) or device, False
    return device, True


def device_id(account_id: str, kind: str, target: str) -> str:
    """32 hex characters, like the ids of devices registered before ids were derived."""
    return hashlib.sha256(f"{account_id}\0{kind}\0{target}".encode()).hexdigest()[:32]


def view(device: dict[str, Any]) -> dict[str, Any]:
    target = device["target"]
    return {
        "device_id": device["_id"],
        "kind": device["kind"],
        "label": device["label"],
        "target_hint": "…" + target[-4:],
        "created_at": device["created_at"].isoformat(),
    }


def of_account(db: Database, account_id: str) -> list[dict[str, Any]]:
    """A family's devices, newest first."""
    return list(db[DEVICES].find({"account_id": account_id}).sort("created_at", -1))


def accounts_with_devices(db: Database, account_ids: list[str]) -> set[str]:
    return {d["account_id"] for d in db[DEVICES].find({"account_id": {"$in": account_ids}}, {"account_id": 1})}


def remove(db: Database, account_id: str, device_id: str) -> None:
    # A device never changes hands: checking its owner, then deleting by _id, is safe.
    if find_by_id(db[DEVICES], device_id, {"_id": 1}, account_id=account_id) is None:
        raise Problem(404, "Cet appareil n'existe pas.", slug="device-not-found")
    db[DEVICES].delete_one({"_id": device_id})


def apprise_url(device: dict[str, Any], servers: dict[str, str], timeout_s: float) -> str | None:
    """ntfy and Gotify targets as apprise URLs (Web Push goes through `apprise_process.WebPushJob`)."""
    server = servers.get(device["kind"])
    if not server:
        return None
    parts = urlsplit(server)
    scheme = {
        ("ntfy", "http"): "ntfy",
        ("ntfy", "https"): "ntfys",
        ("gotify", "http"): "gotify",
        ("gotify", "https"): "gotifys",
    }[(device["kind"], parts.scheme)]
    # image=no: apprise would otherwise send its own icon's GitHub URL, which the phone then fetches.
    query = f"cto={timeout_s}&rto={timeout_s}" + ("&image=no" if device["kind"] == "ntfy" else "")
    return f"{scheme}://{parts.netloc}/{quote(device['target'], safe='')}?{query}"
