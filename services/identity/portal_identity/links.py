"""Activation, password-reset and contact-email links.

Identity records a request with the id of the event that announces it (`account.created`,
`account.password_reset_requested`); the secret is minted only when the service that mails the link
asks for it over gRPC (`IssueLink`), and only its SHA-256 is kept. So no usable secret travels on
Kafka or rests in another service's database: the mailer puts it in the email and keeps a text
without it. Each issue replaces the previous secret of that request (a retried email carries the
only working link); the deadline stays the one set at the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal_common.problems import Problem
from portal_identity import store
from portal_identity.context import Context
from portal_identity.tokens import digest, new_secret

# purpose -> the account status a link of that purpose is good for
PURPOSES = {
    "activation": "pending_activation",
    "reset": "active",
    "email_change": "active",  # the confirmation link, mailed to the new contact address (contact_email.py)
    "email_undo": "active",  # the undo link, mailed to the previous one
}
GONE = Problem(404, "Ce lien n'est plus valable (utilisé, remplacé ou expiré).", slug="link-gone")


@dataclass(frozen=True)
class Link:
    purpose: str
    token: str
    expires_at: datetime


def issue(ctx: Context, event_id: str) -> Link:
    """A fresh secret for the request announced by `event_id`; 404 when it is used, replaced or expired."""
    if not event_id:
        raise GONE
    for purpose, status in PURPOSES.items():
        account = ctx.db[store.ACCOUNTS].find_one({f"{purpose}_event_id": event_id})
        if account is None:
            continue
        if account["status"] != status or account[f"{purpose}_expires_at"] <= ctx.now():
            raise GONE
        secret = new_secret()
        # Compare-and-swap: a newer request or a use since the read, and nothing is issued.
        unchanged: dict[str, Any] = {"status": status, f"{purpose}_event_id": event_id}
        updated = ctx.outbox.update(
            store.ACCOUNTS, account["_id"], {"$set": {f"{purpose}_digest": digest(secret)}}, **unchanged
        )
        if updated is None:
            raise GONE
        return Link(purpose, secret, account[f"{purpose}_expires_at"])
    raise GONE
