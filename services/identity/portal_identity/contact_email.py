"""The contact email, changed the safe way (the login identifier itself never changes).

1. `request_change`: with the current password, the family names a new address. Nothing changes yet: the
   mailer sends a confirmation link to that address (`account.contact_email_change_requested`); a newer
   request replaces the pending one.
2. `confirm`: whoever holds that link owns the address. The contact email changes (`account.contact_email_changed`),
   and the previous address gets a notice with a link that undoes the change for EMAIL_CHANGE_UNDO_DAYS.
3. `undo`: from that link, the previous address is back and every session ends
   (`account.contact_email_change_undone`): whoever made the change is signed out.

While an undo is possible no new change may start: a second change would take the undo away from the
address that owns it. The links are minted at send time like the activation and reset links (`links.issue`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal_common.french import long_date_in_france
from portal_common.problems import Problem
from portal_identity import accounts, store
from portal_identity.context import Context
from portal_identity.sessions import live_sessions
from portal_identity.tokens import digest

CHANGE_FIELDS, UNDO_FIELDS = accounts.EMAIL_CHANGE_FIELDS, accounts.EMAIL_UNDO_FIELDS


def pending(account: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The change awaiting confirmation, as the family sees it on "Mon compte"."""
    expires = account.get("email_change_expires_at")
    if not account.get("email_change_new") or expires is None or expires <= now:
        return None
    return {"contact_email": account["email_change_new"], "expires_at": expires.isoformat()}


def request_change(ctx: Context, account: dict[str, Any], new_email: str, password: str) -> dict[str, Any]:
    new = accounts.valid_email(new_email, "contact_email")  # a typo costs no password attempt
    if new == account.get("contact_email"):
        raise Problem(
            422, "C'est déjà votre adresse e-mail de contact.", fields=["contact_email"], slug="same-contact-email"
        )
    accounts.require_current_password(ctx, account, password)
    now = ctx.now()
    undo_until = account.get("email_undo_expires_at")
    if account.get("email_undo_event_id") and undo_until is not None and undo_until > now:
        raise Problem(
            409,
            "Votre adresse e-mail vient d'être modifiée et ce changement peut encore être annulé depuis l'ancienne "
            f"adresse jusqu'au {long_date_in_france(undo_until)}. Vous pourrez en choisir une autre après cette date.",
            slug="contact-email-undo-pending",
        )
    expires = now + timedelta(seconds=ctx.config.email_change_ttl_seconds)
    event = ctx.event(
        "account.contact_email_change_requested",
        account,
        {"new_contact_email": new, "expires_at": expires.isoformat()},
    )
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account["_id"],
        {
            "$set": {
                "email_change_new": new,
                "email_change_event_id": event.event_id,
                "email_change_expires_at": expires,
            },
            "$unset": {"email_change_digest": ""},  # the previous request's link dies
        },
        event,
        status="active",
    )
    if updated is None:
        raise Problem(409, "Ce compte n'est plus actif.", slug="account-not-active")
    return {"contact_email": new, "expires_at": expires.isoformat()}


GONE_CONFIRM = Problem(400, "Ce lien de confirmation est invalide ou a expiré.", slug="invalid-email-change-token")
GONE_UNDO = Problem(400, "Ce lien d'annulation est invalide ou a expiré.", slug="invalid-email-undo-token")


def confirm(ctx: Context, secret: str) -> dict[str, Any]:
    now = ctx.now()
    account = ctx.db[store.ACCOUNTS].find_one({"email_change_digest": digest(secret), "status": "active"})
    if account is None or account["email_change_expires_at"] <= now:
        raise GONE_CONFIRM
    previous, new = account["contact_email"], account["email_change_new"]
    undo_until = now + timedelta(days=ctx.config.email_undo_days)
    event = ctx.event(
        "account.contact_email_changed",
        account,
        {"contact_email": new, "previous_contact_email": previous, "undo_expires_at": undo_until.isoformat()},
    )
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account["_id"],
        {
            "$set": {
                "contact_email": new,
                "email_undo_previous": previous,
                "email_undo_event_id": event.event_id,  # what the mailer names to get the undo link
                "email_undo_expires_at": undo_until,
            },
            "$unset": dict.fromkeys((*CHANGE_FIELDS, "email_undo_digest"), ""),
        },
        event,
        status="active",
        email_change_digest=account["email_change_digest"],  # single use
    )
    if updated is None:
        raise GONE_CONFIRM
    return updated


def undo(ctx: Context, secret: str) -> dict[str, Any]:
    now = ctx.now()
    account = ctx.db[store.ACCOUNTS].find_one({"email_undo_digest": digest(secret), "status": "active"})
    if account is None or account["email_undo_expires_at"] <= now:
        raise GONE_UNDO
    restored = account["email_undo_previous"]
    event = ctx.event(
        "account.contact_email_change_undone",
        account,
        {"contact_email": restored, "revoked_session_ids": [s["_id"] for s in live_sessions(ctx, account)]},
    )
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account["_id"],
        {
            "$set": {"contact_email": restored, "sessions_revoked_before": now, "kept_session_id": None},
            "$unset": dict.fromkeys(
                (*CHANGE_FIELDS, *UNDO_FIELDS), ""
            ),  # a change pending from the other address dies too
        },
        event,
        status="active",
        email_undo_digest=account["email_undo_digest"],  # single use
    )
    if updated is None:
        raise GONE_UNDO
    return updated
