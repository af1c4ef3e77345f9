"""The `account-events` consumer of the notification service (group `notification-delivery`).

Keeps a projection of each account's contact email and status (no call to identity per message),
evaluates preferences when the event is handled, writes the feed and hands messages to the
Dispatcher per channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database

from portal_common import events
from portal_notification import catalog, devices, feed, unsubscribe
from portal_notification.catalog import SECURITY
from portal_notification.config import NotificationConfig
from portal_notification.delivery import Dispatcher
from portal_notification.preferences import Preferences

CONTACTS = "contacts"
STATUS = {"account.created": "active", "account.deleted": "deleted", "account.restored": "active"}
NO_FEED = {"account.created", "account.deleted", "account.password_reset_requested"}


class NotificationHandler:
    def __init__(self, db: Database, config: NotificationConfig, preferences: Preferences, dispatcher: Dispatcher):
        self.db = db
        self.config = config
        self.preferences = preferences
        self.dispatcher = dispatcher

    def __call__(self, event: events.AccountEvent) -> None:
        payload = events.payload_dict(event)
        if event.type == "account.purged":
            self._erase(event.account_id)
            return
        self._project(event, payload)
        kind = catalog.CATALOG.get(event.type)
        if kind is None:
            return
        contact = self.db[CONTACTS].find_one({"_id": event.account_id}) or {}
        fields = {**payload, **self._links(payload)}
        if "restorable_until" in fields:
            fields["restorable_until"] = str(fields["restorable_until"])[:10]
        subject, body = catalog.render(kind, fields)
        at = events.occurred_at(event)
        if kind.category == SECURITY:
            # Not optional, by email whatever the settings (the deletion confirmation included).
            address = payload.get("contact_email") or contact.get("email")
            if event.type not in NO_FEED:
                self._feed(event, kind.category, subject, body, at)
            if address:
                self._email(event, address, subject, body, headers={})
            return
        if contact.get("status", "active") != "active":
            return  # a deleted account receives nothing until restored
        # The feed is the history of alerts: everything lands there. Preferences decide what is *sent*.
        self._feed(event, kind.category, subject, body, at)
        prefs = self.preferences.get(event.account_id)
        category = prefs.get(kind.category, {})
        if category and (not category["enabled"] or (kind.preference and not category[kind.preference])):
            return  # category or kind switched off: nothing sent
        if prefs["email_enabled"] and category.get("email", True) and contact.get("email"):
            headers: dict[str, str] = {}
            if category:  # a category with its own email switch: RFC 8058 one-click unsubscribe
                token = unsubscribe.sign(self.config.unsubscribe_secret, event.account_id, kind.category)
                link = f"{self.config.public_url}/v1/unsubscribe?token={token}"
                headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
                body += f"\n\nSe désabonner de ces e-mails : {link}"
            self._email(event, contact["email"], subject, body, headers)
        if prefs["push_enabled"] and self.db[devices.DEVICES].find_one({"account_id": event.account_id}, {"_id": 1}):
            self.dispatcher.submit(self._message(event, "push", subject, body))

    # ------------------------------------------------------------------ pieces

    def _project(self, event: events.AccountEvent, payload: dict[str, Any]) -> None:
        changes: dict[str, Any] = {"structure_id": event.structure_id}
        if payload.get("contact_email"):
            changes["email"] = payload["contact_email"]
        if event.type in STATUS:
            changes["status"] = STATUS[event.type]
        if event.type.startswith("account.") and (len(changes) > 1 or event.type == "account.created"):
            self.db[CONTACTS].update_one({"_id": event.account_id}, {"$set": changes}, upsert=True)
        if event.type == "account.created" and payload.get("role", "family") == "family":
            self.preferences.ensure_defaults(event.account_id, event.structure_id)

    def _links(self, payload: dict[str, Any]) -> dict[str, str]:
        base = self.config.public_url
        links = {}
        if payload.get("activation_token"):
            links["activation_link"] = f"{base}/activation?token={payload['activation_token']}"
        if payload.get("reset_token"):
            links["reset_link"] = f"{base}/mot-de-passe/nouveau?token={payload['reset_token']}"
        return links

    def _feed(self, event: events.AccountEvent, category: str, subject: str, body: str, at: datetime) -> None:
        feed.add(
            self.db,
            entry_id=event.event_id,
            account_id=event.account_id,
            category=category,
            event_type=event.type,
            title=subject,
            body=body,
            at=at,
        )

    def _message(self, event: events.AccountEvent, channel: str, subject: str, body: str) -> dict[str, Any]:
        return {
            "_id": f"{event.event_id}:{channel}",
            "account_id": event.account_id,
            "channel": channel,
            "event_type": event.type,
            "subject": subject,
            "body": body,
        }

    def _email(
        self, event: events.AccountEvent, address: str, subject: str, body: str, headers: dict[str, str]
    ) -> None:
        self.dispatcher.submit({**self._message(event, "email", subject, body), "to": address, "headers": headers})

    def _erase(self, account_id: str) -> None:
        feed.erase(self.db, account_id)
        self.db[devices.DEVICES].delete_many({"account_id": account_id})
        self.db[CONTACTS].delete_one({"_id": account_id})
        self.preferences.erase(account_id)  # last: no preferences means the purge is complete
