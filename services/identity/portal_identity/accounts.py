"""Account life cycle: creation by an agent, activation, password change and reset, deletion by the
family, restore by the structure during the grace period, and the purge after it."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from portal_common.bodies import check_text
from portal_common.pagination import keyset_page
from portal_common.problems import Problem
from portal_identity import passwords, store, throttle
from portal_identity.context import Context
from portal_identity.sessions import live_sessions
from portal_identity.tokens import digest

# Deliberately loose (internationalised addresses are fine), but no spaces or control characters.
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,189}\.[^@\s\x00-\x1f\x7f]{1,63}$")
ROLES = ("family", "agent")
# A contact email change awaiting confirmation, and the undo the previous address holds (contact_email.py).
EMAIL_CHANGE_FIELDS = ("email_change_new", "email_change_event_id", "email_change_expires_at", "email_change_digest")
EMAIL_UNDO_FIELDS = ("email_undo_previous", "email_undo_event_id", "email_undo_expires_at", "email_undo_digest")
# Every pending link, and the addresses they hold: gone when the account is disabled or purged.
LINK_FIELDS = (
    "reset_digest",
    "reset_event_id",
    "activation_digest",
    "activation_event_id",
    *EMAIL_CHANGE_FIELDS,
    *EMAIL_UNDO_FIELDS,
)
NOT_FOUND = Problem(404, "Ce compte n'existe pas.", slug="account-not-found", title="Compte introuvable")


def valid_email(value: str, field: str) -> str:
    value = store.normalize_login(value)
    if len(value) > 254 or not EMAIL.match(value):
        raise Problem(422, f"{field} doit être une adresse e-mail valide.", fields=[field])
    return value


def create_account(
    ctx: Context,
    *,
    structure_id: str,
    login: str,
    contact_email: str | None,
    display_name: str,
    role: str,
    created_by: str,
    password: str | None = None,
) -> dict[str, Any]:
    """Create a pending account; its activation link is minted when the email is sent (`links.issue`).

    With `password` (the ops command's `--password-stdin`, for an account a deployment signs in with), the
    account is active at once and has no activation link."""
    if role not in ROLES:
        raise Problem(422, "role doit valoir family ou agent.", fields=["role"])
    normalized = valid_email(login, "login")
    contact = valid_email(contact_email, "contact_email") if contact_email else normalized
    if not structure_id:
        raise Problem(422, "Le champ structure_id est obligatoire.", fields=["structure_id"])
    display_name = check_text(display_name, "display_name", max_length=200, required=True)
    if password is not None:
        passwords.check_policy(password, login=normalized, field="password")
    now = ctx.now()
    expires = now + timedelta(seconds=ctx.config.activation_token_ttl_seconds)
    account = {
        "_id": uuid.uuid4().hex,
        "login": normalized,
        "contact_email": contact,
        "display_name": display_name,
        "role": role,
        "structure_id": structure_id,
        "status": "pending_activation",
        "password_hash": None,
        "created_at": now,
        "created_by": created_by,
        "activation_expires_at": expires,
    }
    event = ctx.event(
        "account.created",
        account,
        {
            "login": normalized,
            "contact_email": contact,
            "role": role,
            "display_name": account["display_name"],
            "created_by": created_by,
            "activation_expires_at": expires.isoformat(),
        },
    )
    if password is None:
        account["activation_event_id"] = event.event_id  # what the mailer names to get the link
    else:  # active already: the mailer's IssueLink finds no request and sends nothing
        account |= {"status": "active", "password_hash": passwords.hash_password(password), "password_changed_at": now}
        del account["activation_expires_at"]
    try:
        ctx.outbox.insert(store.ACCOUNTS, account, event)
    except DuplicateKeyError:
        raise Problem(409, "Un compte existe déjà avec cet identifiant.", slug="login-taken") from None
    return account


def activate(ctx: Context, secret: str, new_password: str) -> dict[str, Any]:
    now = ctx.now()
    account = ctx.db[store.ACCOUNTS].find_one({"activation_digest": digest(secret), "status": "pending_activation"})
    if account is None or account["activation_expires_at"] <= now:
        raise Problem(400, "Ce lien d'activation est invalide ou a expiré.", slug="invalid-activation-token")
    passwords.check_policy(new_password, login=account["login"], field="password")
    event = ctx.event("account.activated", account)
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account["_id"],
        {
            "$set": {
                "status": "active",
                "password_hash": passwords.hash_password(new_password),
                "password_changed_at": now,
            },
            "$unset": {"activation_digest": "", "activation_expires_at": "", "activation_event_id": ""},
        },
        event,
        status="pending_activation",
        activation_digest=account["activation_digest"],
    )
    if updated is None:
        raise Problem(400, "Ce lien d'activation est invalide ou a expiré.", slug="invalid-activation-token")
    return updated


def require_current_password(ctx: Context, account: dict[str, Any], password: str, *, field: str = "password") -> None:
    """Re-authentication for sensitive changes (the body's `field`); failures count against the login's throttle."""
    key = throttle.login_key(account["login"])
    ctx.throttle.reserve(key, ctx.throttle.login_policy)  # counted before the hash, as at login
    if not passwords.verify_password(account.get("password_hash"), password):
        raise Problem(
            403,
            "Le mot de passe actuel est incorrect.",
            slug="wrong-password",
            title="Mot de passe incorrect",
            fields=[field],
        )
    ctx.throttle.success(key)


def change_password(
    ctx: Context, account: dict[str, Any], session_id: str, current: str, new: str, *, sign_out_others: bool
) -> list[str]:
    """Return the ids of the sessions this change ended."""
    require_current_password(ctx, account, current, field="current_password")
    passwords.check_policy(new, login=account["login"], field="new_password")
    now = ctx.now()
    ended = [s["_id"] for s in live_sessions(ctx, account) if sign_out_others and s["_id"] != session_id]
    changes: dict[str, Any] = {"password_hash": passwords.hash_password(new), "password_changed_at": now}
    if sign_out_others:
        changes |= {"sessions_revoked_before": now, "kept_session_id": session_id}
    event = ctx.event(
        "account.password_changed",
        account,
        {"revoked_session_ids": ended, "via_reset": False, "contact_email": account.get("contact_email", "")},
    )
    # Compare-and-swap on the old hash: of two concurrent changes, the second is refused.
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account["_id"],
        {"$set": changes, "$unset": {"reset_digest": "", "reset_event_id": ""}},  # a pending reset link dies
        event,
        password_hash=account["password_hash"],
        status="active",
    )
    if updated is None:
        raise Problem(409, "Le mot de passe vient d'être modifié par ailleurs ; réessayez.", slug="concurrent-change")
    return ended


def request_reset(ctx: Context, login: str) -> None:
    """Always the same answer; a reset link is mailed (via an event) only to active accounts.

    The request replaces any earlier one: its link stops working. The secret is minted when the email
    is sent (`links.issue`)."""
    account = store.find_by_login(ctx.db, login)
    if account is None or account["status"] != "active":
        return
    request_reset_for(ctx, account)


def request_reset_for(ctx: Context, account: dict[str, Any]) -> None:
    """Mail `account` a new reset link (at most one per interval: the one mailed a moment ago still works)."""
    now = ctx.now()
    last = account.get("reset_requested_at")
    if last is not None and last > now - timedelta(seconds=ctx.config.reset_min_interval_seconds):
        return  # one email per interval: the link mailed a moment ago still works
    expires = now + timedelta(seconds=ctx.config.reset_token_ttl_seconds)
    event = ctx.event(
        "account.password_reset_requested",
        account,
        {"expires_at": expires.isoformat(), "contact_email": account.get("contact_email", "")},
    )
    ctx.outbox.update(
        store.ACCOUNTS,
        account["_id"],
        {
            "$set": {"reset_event_id": event.event_id, "reset_expires_at": expires, "reset_requested_at": now},
            "$unset": {"reset_digest": ""},
        },
        event,
    )


def confirm_reset(ctx: Context, secret: str, new_password: str) -> None:
    now = ctx.now()
    account = ctx.db[store.ACCOUNTS].find_one({"reset_digest": digest(secret), "status": "active"})
    if account is None or account["reset_expires_at"] <= now:
        raise Problem(400, "Ce lien de réinitialisation est invalide ou a expiré.", slug="invalid-reset-token")
    passwords.check_policy(new_password, login=account["login"], field="new_password")
    event = ctx.event(
        "account.password_changed",
        account,
        {
            # every session ends: other services must refuse their tokens now, not at expiry
            "revoked_session_ids": [s["_id"] for s in live_sessions(ctx, account)],
            "via_reset": True,
            "contact_email": account.get("contact_email", ""),
        },
    )
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account["_id"],
        {
            "$set": {
                "password_hash": passwords.hash_password(new_password),
                "password_changed_at": now,
                "sessions_revoked_before": now,
                "kept_session_id": None,
            },
            "$unset": {"reset_digest": "", "reset_expires_at": "", "reset_event_id": ""},
        },
        event,
        reset_digest=account["reset_digest"],  # single use
    )
    if updated is None:
        raise Problem(400, "Ce lien de réinitialisation est invalide ou a expiré.", slug="invalid-reset-token")
    ctx.throttle.success(throttle.login_key(account["login"]))


def delete_account(ctx: Context, account: dict[str, Any], password: str) -> dict[str, Any]:
    """The family deletes its account: disabled at once, every session dies, restorable by the structure."""
    require_current_password(ctx, account, password)
    now = ctx.now()
    restorable_until = now + timedelta(days=ctx.config.deletion_grace_days)
    event = ctx.event(
        "account.deleted",
        account,
        {
            "restorable_until": restorable_until.isoformat(),
            "contact_email": account.get("contact_email", ""),
            "revoked_session_ids": [s["_id"] for s in live_sessions(ctx, account)],
        },
    )
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account["_id"],
        {
            "$set": {
                "status": "deleted",
                "deleted_at": now,
                "restorable_until": restorable_until,
                "sessions_revoked_before": now,
                "kept_session_id": None,
            }
        },
        event,
        status="active",
    )
    if updated is None:
        raise Problem(409, "Ce compte n'est plus actif.", slug="account-not-active")
    return updated


def get_for_structure(ctx: Context, account_id: str, structure_id: str, role: str | None = None) -> dict[str, Any]:
    """An account as seen by a structure: another structure's accounts (and, with `role`, accounts of
    another role) do not exist (404)."""
    account = store.find_account(ctx.db, account_id)
    if account is None or account["structure_id"] != structure_id or account["status"] == "purged":
        raise NOT_FOUND
    if role is not None and account["role"] != role:
        raise NOT_FOUND
    return account


FAMILY_STATUSES = ("pending_activation", "active", "deleted")


def search_families(
    ctx: Context, structure_id: str, *, text: str, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A structure's family accounts, newest first: those whose login, name or contact email contains `text`
    (any case), of one status if asked. Another structure's families are never searched."""
    query: dict[str, Any] = {"structure_id": structure_id, "role": "family", "status": {"$in": list(FAMILY_STATUSES)}}
    if status:
        query["status"] = status
    if text.strip():
        pattern = {"$regex": re.escape(text.strip()), "$options": "i"}
        query["$and"] = [{"$or": [{"login": pattern}, {"display_name": pattern}, {"contact_email": pattern}]}]
    return keyset_page(ctx.db[store.ACCOUNTS], query, time_field="created_at", limit=limit, cursor=cursor)


def agents_of(
    ctx: Context, structure_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A structure's agents, newest first, whatever their status (a disabled one is still listed, as such)."""
    query = {"structure_id": structure_id, "role": "agent"}
    return keyset_page(ctx.db[store.ACCOUNTS], query, time_field="created_at", limit=limit, cursor=cursor)


def reset_for_family(ctx: Context, account_id: str, *, structure_id: str) -> dict[str, Any]:
    """An agent sends one of its families the forgotten-password email (the family asked at the desk)."""
    account = get_for_structure(ctx, account_id, structure_id, role="family")
    if account["status"] != "active":
        raise Problem(
            409,
            "Ce compte n'est pas actif : un e-mail de nouveau mot de passe ne peut être envoyé qu'à un compte activé.",
            slug="account-not-active",
        )
    request_reset_for(ctx, account)
    return account


def resend_activation(ctx: Context, account_id: str, *, structure_id: str, resent_by: str) -> dict[str, Any]:
    """An agent mails one of its pending families a new activation link, valid for the full period again; the
    earlier link stops working. At most one email per interval (the one sent a moment ago carries a working link)."""
    account = get_for_structure(ctx, account_id, structure_id, role="family")
    if account["status"] != "pending_activation":
        raise Problem(
            409,
            "Ce compte est déjà activé (ou supprimé) : il n'y a pas de lien d'activation à renvoyer.",
            slug="account-not-pending",
        )
    now = ctx.now()
    last = account.get("activation_resent_at")
    if last is not None and last > now - timedelta(seconds=ctx.config.reset_min_interval_seconds):
        return account
    expires = now + timedelta(seconds=ctx.config.activation_token_ttl_seconds)
    contact = account.get("contact_email") or account["login"]
    event = ctx.event(
        "account.activation_resent",
        account,
        {"contact_email": contact, "activation_expires_at": expires.isoformat(), "resent_by": resent_by},
    )
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account_id,
        {
            "$set": {
                "activation_event_id": event.event_id,
                "activation_expires_at": expires,
                "activation_resent_at": now,
            },
            "$unset": {"activation_digest": ""},  # the earlier link dies
        },
        event,
        status="pending_activation",
    )
    if updated is None:
        raise Problem(409, "Ce compte vient de changer d'état ; réessayez.", slug="concurrent-change")
    return updated


def disable_agent(ctx: Context, account_id: str, *, structure_id: str, disabled_by: str) -> dict[str, Any]:
    """An agent leaves the structure: disabled at once, every session ends (revoked everywhere, like a
    deletion), and the history says who did it. Not restorable by `restore_account` (that is for families)."""
    account = get_for_structure(ctx, account_id, structure_id, role="agent")
    if account_id == disabled_by:
        raise Problem(409, "Vous ne pouvez pas désactiver votre propre compte.", slug="cannot-disable-self")
    if account["status"] not in ("active", "pending_activation"):
        raise Problem(409, "Ce compte est déjà désactivé.", slug="account-not-active")
    now = ctx.now()
    event = ctx.event(
        "account.disabled",
        account,
        {"disabled_by": disabled_by, "revoked_session_ids": [s["_id"] for s in live_sessions(ctx, account)]},
    )
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account_id,
        {
            "$set": {
                "status": "disabled",
                "disabled_at": now,
                "disabled_by": disabled_by,
                "sessions_revoked_before": now,
            },
            "$unset": dict.fromkeys(LINK_FIELDS, ""),  # a pending activation link dies too
        },
        event,
        status=account["status"],
    )
    if updated is None:
        raise Problem(409, "Ce compte vient de changer d'état ; réessayez.", slug="concurrent-change")
    return updated


def restore_account(ctx: Context, account_id: str, *, structure_id: str, restored_by: str) -> dict[str, Any]:
    account = get_for_structure(ctx, account_id, structure_id, role="family")
    now = ctx.now()
    if account["status"] != "deleted":
        raise Problem(409, "Ce compte n'est pas supprimé.", slug="account-not-deleted")
    if account["restorable_until"] <= now:
        raise Problem(
            410,
            "Le délai de restauration de ce compte est dépassé.",
            slug="restore-period-over",
            title="Restauration impossible",
        )
    event = ctx.event("account.restored", account, {"restored_by": restored_by})
    updated = ctx.outbox.update(
        store.ACCOUNTS,
        account_id,
        {"$set": {"status": "active", "restored_at": now}, "$unset": {"restorable_until": ""}},
        event,
        status="deleted",  # while deleted, restorable_until (checked above) cannot change
    )
    if updated is None:
        raise Problem(409, "Ce compte vient de changer d'état ; réessayez.", slug="concurrent-change")
    return updated


def purge_expired(ctx: Context, now: datetime | None = None) -> int:
    """Pseudonymise accounts whose grace period is over (billing records elsewhere are kept)."""
    now = now or ctx.now()
    purged = 0
    for account in ctx.db[store.ACCOUNTS].find({"status": "deleted", "restorable_until": {"$lte": now}}):
        event = ctx.event("account.purged", account)
        result = ctx.outbox.update(
            store.ACCOUNTS,
            account["_id"],
            {
                "$set": {
                    "status": "purged",
                    "purged_at": now,
                    "login": f"purged-{account['_id']}@invalid",
                    "contact_email": None,
                    "display_name": None,
                    "password_hash": None,
                },
                "$unset": dict.fromkeys(LINK_FIELDS, ""),
            },
            event,
            status="deleted",
        )
        purged += result is not None
        ctx.db[store.SESSIONS].delete_many({"account_id": account["_id"]})
    return purged
