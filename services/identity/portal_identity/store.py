"""The identity database: collections, indexes, and the small queries every flow shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database

from portal_common.mongo import IndexSpec

ACCOUNTS = "accounts"
SESSIONS = "sessions"
ACTIVITY = "activity"
THROTTLE = "throttle"
OUTBOX_COLLECTIONS = [ACCOUNTS, SESSIONS]

INDEXES: list[IndexSpec] = [
    (ACCOUNTS, [("login", 1)], {"unique": True, "name": "login_unique"}),
    (ACCOUNTS, [("activation_digest", 1)], {"name": "activation"}),
    (ACCOUNTS, [("reset_digest", 1)], {"name": "reset"}),
    (ACCOUNTS, [("activation_event_id", 1)], {"name": "activation_request"}),
    (ACCOUNTS, [("reset_event_id", 1)], {"name": "reset_request"}),
    (ACCOUNTS, [("email_change_digest", 1)], {"name": "email_change"}),
    (ACCOUNTS, [("email_undo_digest", 1)], {"name": "email_undo"}),
    (ACCOUNTS, [("email_change_event_id", 1)], {"name": "email_change_request"}),
    (ACCOUNTS, [("email_undo_event_id", 1)], {"name": "email_undo_request"}),
    (ACCOUNTS, [("status", 1), ("restorable_until", 1)], {"name": "purge_due"}),
    (ACCOUNTS, [("structure_id", 1), ("role", 1), ("created_at", -1)], {"name": "structure_directory"}),
    (SESSIONS, [("account_id", 1), ("created_at", -1)], {"name": "by_account"}),
    (ACTIVITY, [("account_id", 1), ("occurred_at", -1), ("_id", -1)], {"name": "history"}),
    (ACTIVITY, [("occurred_at", 1)], {"name": "retention"}),
]


def normalize_login(login: str) -> str:
    """Logins are e-mail addresses, compared without surrounding spaces and case."""
    return login.strip().lower()


def find_account(db: Database, account_id: str) -> dict[str, Any] | None:
    return db[ACCOUNTS].find_one({"_id": account_id})


def find_by_login(db: Database, login: str) -> dict[str, Any] | None:
    return db[ACCOUNTS].find_one({"login": normalize_login(login)})


def find_session(db: Database, session_id: str) -> dict[str, Any] | None:
    return db[SESSIONS].find_one({"_id": session_id})


def session_is_live(account: dict[str, Any] | None, session: dict[str, Any] | None, now: datetime) -> bool:
    """One rule for "this session may act", used by token checks, refresh and listings.

    A session dies when revoked on its own (logout, ended by the user), when its refresh token
    expires, when the account stops being active, or when a mass revocation (password change,
    reset, deletion) recorded `sessions_revoked_before` on the account after the session began
    (except the one session a password change chose to keep).
    """
    if account is None or session is None or account.get("status") != "active":
        return False
    if session.get("revoked_at") is not None or session["refresh_expires_at"] <= now:
        return False
    cutoff = account.get("sessions_revoked_before")
    return cutoff is None or session["created_at"] > cutoff or session["_id"] == account.get("kept_session_id")
