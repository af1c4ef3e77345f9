"""Push targets a family registers (ntfy topic, Gotify token, FCM token); never echoed back in full."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from pymongo.database import Database

from portal_common.mongo import find_by_id
from portal_common.problems import Problem

DEVICES = "devices"
KINDS = ("ntfy", "gotify")
TARGET = re.compile(r"^[A-Za-z0-9_.~-]{6,200}$")
MAX_DEVICES = 10


def register(
    db: Database, account_id: str, kind: str, target: str, label: str, servers: dict[str, str]
) -> dict[str, Any]:
    if kind not in KINDS:
        raise Problem(422, f"kind doit valoir {' ou '.join(KINDS)}.", fields=["kind"])
    if not servers.get(kind):
        raise Problem(422, f"Les notifications {kind} ne sont pas proposées par ce portail.", fields=["kind"])
    if not TARGET.match(target):
        raise Problem(
            422,
            "Identifiant de réception invalide (6 à 200 caractères : lettres, chiffres, . _ ~ -).",
            fields=["target"],
        )
    if db[DEVICES].count_documents({"account_id": account_id}) >= MAX_DEVICES:
        raise Problem(409, f"Au plus {MAX_DEVICES} appareils par compte.", slug="too-many-devices")
    device = {
        "_id": uuid.uuid4().hex,
        "account_id": account_id,
        "kind": kind,
        "target": target,
        "label": label.strip()[:100],
        "created_at": datetime.now(UTC),
    }
    db[DEVICES].insert_one(device)
    return device


def view(device: dict[str, Any]) -> dict[str, Any]:
    target = device["target"]
    return {
        "device_id": device["_id"],
        "kind": device["kind"],
        "label": device["label"],
        "target_hint": "…" + target[-4:],
        "created_at": device["created_at"].isoformat(),
    }


def remove(db: Database, account_id: str, device_id: str) -> None:
    # A device never changes hands: checking its owner, then deleting by _id, is safe.
    if find_by_id(db[DEVICES], device_id, {"_id": 1}, account_id=account_id) is None:
        raise Problem(404, "Cet appareil n'existe pas.", slug="device-not-found")
    db[DEVICES].delete_one({"_id": device_id})


def apprise_url(device: dict[str, Any], servers: dict[str, str], timeout_s: float) -> str | None:
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
    return f"{scheme}://{parts.netloc}/{quote(device['target'], safe='')}?cto={timeout_s}&rto={timeout_s}"
