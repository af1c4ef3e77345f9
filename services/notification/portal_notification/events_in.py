"""What the notification service consumes from `account-events` (group `notification-delivery`).

Keeps a projection of each account's contact email and status (no call to identity per message),
evaluates preferences when the event is handled, writes the feed and hands messages to the
Dispatcher per channel.
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from portal_common import events
from portal_common.accounts import STATUS_BY_EVENT
from portal_notification import catalog, deliveries, devices, feed, links, unsubscribe, wording
from portal_notification.catalog import SECURITY
from portal_notification.config import NotificationConfig
from portal_notification.context import Context
from portal_notification.delivery import Dispatcher
from portal_notification.preferences import Preferences
from portal_notification.store import CONTACTS, contacts

# Messages for an address rather than for the family's home page (a link to open, or an account it can no longer open).
NO_FEED = {
    "account.created",
    "account.activation_resent",
    "account.deleted",
    "account.password_reset_requested",
    "account.contact_email_change_requested",
    "account.contact_email_changed",
}

STATEMENT_PAGE = "/mes-releves/"  # the web service's statement page, under the portal's public address
TARGETS = (("statement_id", "statement"), ("document_id", "document"))  # payload field -> what a feed entry opens


def feed_target(payload: dict[str, Any]) -> dict[str, str] | None:
    """The statement or document an event is about, so the feed can link to it (invoices have no page here)."""
    for field, kind in TARGETS:
        if payload.get(field):
            return {"kind": kind, "id": str(payload[field])}
    return None


class NotificationHandler:
    def __init__(self, db: Database, config: NotificationConfig, preferences: Preferences, dispatcher: Dispatcher):
        self.db = db
        self.config = config
        self.preferences = preferences
        self.dispatcher = dispatcher

    def __call__(self, event: events.AccountEvent) -> None:
        self.handle_batch([event])

    def handle_batch(self, batch: list[events.AccountEvent]) -> None:
        """Events in their order; the notifications of consecutive events are read and written in bulk.

        An account event changes the projection that later events read, so what comes before it is
        delivered first.
        """
        waiting: list[events.AccountEvent] = []
        for event in batch:
            if event.type.startswith("account."):
                self._deliver(waiting)
                waiting = []
                if event.type == "account.purged":
                    self._erase(event.account_id)
                    continue
                self._project(event, events.payload_dict(event))
            if event.type in catalog.CATALOG:
                waiting.append(event)
        self._deliver(waiting)

    def _deliver(self, batch: list[events.AccountEvent]) -> None:
        if not batch:
            return
        accounts = sorted({event.account_id for event in batch})
        known = contacts(self.db, accounts)
        preferences = self.preferences.get_many(accounts)
        with_devices = devices.accounts_with_devices(self.db, accounts)
        entries: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        for event in batch:
            entry, sends = self._plan(
                event,
                known.get(event.account_id, {}),
                preferences[event.account_id],
                has_device=event.account_id in with_devices,
            )
            entries.extend([entry] if entry else [])
            messages.extend(sends)
        feed.add_many(self.db, entries)
        self.dispatcher.submit_many(messages)

    def _plan(
        self, event: events.AccountEvent, contact: dict[str, Any], prefs: dict[str, Any], *, has_device: bool
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The feed entry and the messages one event gives, under the account's current choices."""
        kind = catalog.CATALOG[event.type]
        payload = events.payload_dict(event)
        fields = {**wording.present(payload), "link": links.PLACEHOLDER}  # the link itself exists only in the email
        target = feed_target(payload)
        if target and target["kind"] == "statement":  # the email's link to the statement's page in the portal
            fields["statement_url"] = f"{self.config.public_url}{STATEMENT_PAGE}{target['id']}"
        subject, body = catalog.render(kind, fields)
        entry = feed.entry(
            entry_id=event.event_id,
            account_id=event.account_id,
            category=kind.category,
            event_type=event.type,
            title=subject,
            body=body,
            at=events.occurred_at(event),
            target=target,
        )
        if kind.category == SECURITY:
            # Not optional, by email whatever the settings (the deletion confirmation included).
            address = payload.get(kind.to) or (contact.get("email") if kind.to == "contact_email" else None)
            # Urgent: never held back for the feed, ahead of any queue (a reset link is awaited).
            if not address:
                return (None if event.type in NO_FEED else entry), []
            email = {**self._email(event, address, subject, body, headers={}), "urgent": True}
            if kind.link_path:  # identity issues the link when the email goes out (links.IdentityLinks)
                email |= {"link_event_id": event.event_id, "link_path": kind.link_path}
            return (None if event.type in NO_FEED else entry), [email]
        if contact.get("status", "active") != "active":
            return None, []  # a deleted account receives nothing until restored
        # The feed is the history of alerts: everything lands there. Preferences decide what is *sent*.
        category = prefs.get(kind.category, {})
        if category and (not category["enabled"] or (kind.preference and not category[kind.preference])):
            return entry, []  # category or kind switched off: nothing sent
        sends = []
        if prefs["email_enabled"] and category.get("email", True) and contact.get("email"):
            headers: dict[str, str] = {}
            email_body = body
            if category:  # a category with its own email switch: RFC 8058 one-click unsubscribe
                token = unsubscribe.sign(self.config.unsubscribe_secret, event.account_id, kind.category)
                link = f"{self.config.public_url}/v1/unsubscribe?token={token}"
                headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
                email_body += f"\n\nSe désabonner de ces e-mails : {link}"
            sends.append(self._email(event, contact["email"], subject, email_body, headers))
        if prefs["push_enabled"] and has_device:
            sends.append(self._message(event, "push", subject, body))
        return entry, sends

    # ------------------------------------------------------------------ pieces

    def _project(self, event: events.AccountEvent, payload: dict[str, Any]) -> None:
        changes: dict[str, Any] = {"structure_id": event.structure_id}
        if payload.get("contact_email"):
            changes["email"] = payload["contact_email"]
        if event.type in STATUS_BY_EVENT:  # the one status map every service projects
            changes["status"] = STATUS_BY_EVENT[event.type]
        if event.type.startswith("account.") and (len(changes) > 1 or event.type == "account.created"):
            self.db[CONTACTS].update_one({"_id": event.account_id}, {"$set": changes}, upsert=True)
        if event.type == "account.created" and payload.get("role", "family") == "family":
            self.preferences.ensure_defaults(event.account_id, event.structure_id)

    def _message(self, event: events.AccountEvent, channel: str, subject: str, body: str) -> dict[str, Any]:
        return {
            "_id": f"{event.event_id}:{channel}",
            "account_id": event.account_id,
            "structure_id": event.structure_id,  # named at the top of the email
            "channel": channel,
            "event_type": event.type,
            "subject": subject,
            "body": body,
        }

    def _email(
        self, event: events.AccountEvent, address: str, subject: str, body: str, headers: dict[str, str]
    ) -> dict[str, Any]:
        return {**self._message(event, "email", subject, body), "to": address, "headers": headers}

    def _erase(self, account_id: str) -> None:
        feed.erase(self.db, account_id)
        self.db[devices.DEVICES].delete_many({"account_id": account_id})
        for collection in deliveries.COLLECTIONS:
            self.db[collection].delete_many({"account_id": account_id})  # messages hold the address and text
        self.db[CONTACTS].delete_one({"_id": account_id})
        self.preferences.erase(account_id)  # last: no preferences means the purge is complete


def delivery_handler(ctx: Context) -> NotificationHandler:
    # Every effect is keyed by the event id (feed entry, per-channel delivery claim): a redelivery is a no-op.
    return NotificationHandler(ctx.db, ctx.config, ctx.preferences, ctx.dispatcher)
