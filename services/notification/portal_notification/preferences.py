"""Per-family channel and category choices, stored explicitly (defaults written on account creation).

HTTP PATCH bodies, gRPC field masks and one-click unsubscribes all become one "patch": a dict of
dotted paths to booleans, validated against SCHEMA and applied under the document's lock together
with the `notification.preferences_changed` event.
"""

from __future__ import annotations

from typing import Any

from portal_common import events
from portal_common.outbox import Outbox
from portal_common.problems import Problem
from portal_common.responses import BOOLEAN, closed

PREFERENCES = "preferences"
SCHEMA: dict[str, Any] = {
    "push_enabled": bool,
    "email_enabled": bool,
    "dossier": {
        "enabled": bool,
        "review_completed": bool,
        "document_requested": bool,
        "quotient_updated": bool,
        "child_school_updated": bool,
        "email": bool,
    },
    "invoices": {
        "enabled": bool,
        "issued": bool,
        "payment_status_changed": bool,
        "direct_debit_refused": bool,
        "unpaid_reminder": bool,
        "online_payment_blocked": bool,
        "email": bool,
    },
}
PATHS = [p for key, spec in SCHEMA.items() for p in ([key] if spec is bool else [f"{key}.{sub}" for sub in spec])]


def patch_schema() -> dict[str, Any]:
    """SCHEMA as the JSON Schema of an HTTP PATCH body (every key optional, unknown keys refused)."""
    boolean = {"type": "boolean"}
    return {
        "type": "object",
        "properties": {
            key: boolean
            if spec is bool
            else {"type": "object", "properties": dict.fromkeys(spec, boolean), "additionalProperties": False}
            for key, spec in SCHEMA.items()
        },
        "additionalProperties": False,
    }


def view_schema() -> dict[str, Any]:
    """SCHEMA as the JSON Schema of the preferences the API answers (every key present)."""

    def described(title: str, keys: dict[str, Any]) -> dict[str, Any]:
        return closed(
            title,
            **{k: BOOLEAN if v is bool else described(f"{k.capitalize()}Preferences", v) for k, v in keys.items()},
        )

    return described("NotificationPreferences", SCHEMA)


def defaults() -> dict[str, Any]:
    """A new family gets everything on: email to its address, push once it registers a device."""
    return {key: True if spec is bool else dict.fromkeys(spec, True) for key, spec in SCHEMA.items()}


def view(document: dict[str, Any] | None) -> dict[str, Any]:
    base = defaults()
    for key, spec in SCHEMA.items():
        if document and key in document:
            base[key] = document[key] if spec is bool else {**base[key], **document[key]}
    return base


def flatten(body: Any, prefix: str = "", spec: Any = None) -> dict[str, bool]:
    """A nested JSON patch as dotted paths; unknown keys and non-booleans are refused (422)."""
    spec = SCHEMA if spec is None else spec
    if not isinstance(body, dict):
        where = prefix.rstrip(".")  # the category the value was given for, without the path's separator
        raise Problem(422, f"{where or 'Le corps'} doit être un objet JSON.", fields=[where] if where else [])
    paths: dict[str, bool] = {}
    for key, value in body.items():
        path = f"{prefix}{key}"
        if key not in spec:
            raise Problem(422, f"Préférence inconnue : {path}.", slug="unknown-fields", fields=[path])
        if spec[key] is bool:
            if not isinstance(value, bool):
                raise Problem(422, f"{path} doit être true ou false.", fields=[path])
            paths[path] = value
        else:
            paths |= flatten(value, f"{path}.", spec[key])
    return paths


class Preferences:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.db = outbox.db

    def get(self, account_id: str) -> dict[str, Any]:
        return view(self.db[PREFERENCES].find_one({"_id": account_id}))

    def get_many(self, account_ids: list[str]) -> dict[str, dict[str, Any]]:
        stored = {p["_id"]: p for p in self.db[PREFERENCES].find({"_id": {"$in": account_ids}})}
        return {account_id: view(stored.get(account_id)) for account_id in account_ids}

    def ensure_defaults(self, account_id: str, structure_id: str) -> None:
        """Write the defaults explicitly when an account appears (an existing choice is kept)."""
        self.db[PREFERENCES].update_one(
            {"_id": account_id}, {"$setOnInsert": {**defaults(), "structure_id": structure_id}}, upsert=True
        )

    def change(self, account_id: str, structure_id: str, patch: dict[str, bool], actor: str) -> dict[str, Any]:
        unknown = sorted(set(patch) - set(PATHS))
        if unknown:
            raise Problem(422, f"Préférences inconnues : {', '.join(unknown)}.", slug="unknown-fields", fields=unknown)
        if not patch:
            return self.get(account_id)
        event = events.new_event(
            "notification.preferences_changed",
            account_id=account_id,
            structure_id=structure_id,
            source="notification",
            payload={"changed_paths": sorted(patch), "actor": actor},
        )
        self.ensure_defaults(account_id, structure_id)
        updated = self.outbox.update(PREFERENCES, account_id, {"$set": dict(patch)}, event)
        return view(updated)

    def erase(self, account_id: str) -> None:
        with self.outbox.lock(PREFERENCES, account_id):
            self.db[PREFERENCES].delete_one({"_id": account_id})
