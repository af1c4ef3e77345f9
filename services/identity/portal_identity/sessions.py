"""Login, refresh-token rotation, logout and the session list ("where am I signed in")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prometheus_client import Counter

from portal_common.auth import InvalidToken, Principal
from portal_common.problems import Problem
from portal_identity import passwords, store, throttle
from portal_identity.context import Context
from portal_identity.tokens import digest, new_secret, same_digest, split_refresh_token

# What a security team watches: a rise in refused logins (guessing) or in reused refresh tokens (theft).
LOGINS = Counter("portal_identity_logins_total", "Password logins by outcome", ["outcome"])
REFRESHES = Counter("portal_identity_refreshes_total", "Refresh-token uses by outcome", ["outcome"])
for _outcome in ("succeeded", "bad_credentials", "throttled"):
    LOGINS.labels(_outcome)  # exported at 0 from the start, so rates and alerts have a series
for _outcome in ("rotated", "refused", "reuse_detected"):
    REFRESHES.labels(_outcome)

BAD_CREDENTIALS = Problem(
    401,
    "Identifiant ou mot de passe incorrect.",
    slug="invalid-credentials",
    title="Connexion impossible",
)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    session_id: str

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "session_id": self.session_id,
        }


def _issue(ctx: Context, account: dict[str, Any], session_id: str, refresh_secret: str) -> Tokens:
    access = ctx.tokens.access_token(
        account_id=account["_id"], session_id=session_id, role=account["role"], structure_id=account["structure_id"]
    )
    return Tokens(access.token, access.expires_in, f"{session_id}.{refresh_secret}", session_id)


def login(ctx: Context, login_id: str, password: str, *, ip: str, user_agent: str) -> Tokens:
    normalized = store.normalize_login(login_id)
    login_key, ip_key = throttle.login_key(normalized), throttle.ip_key(ip)
    try:
        ctx.throttle.check(ip_key)
        ctx.throttle.reserve(login_key, ctx.throttle.login_policy)  # before the hash: parallel guesses all count
    except Problem:
        LOGINS.labels("throttled").inc()
        raise
    account = store.find_by_login(ctx.db, normalized)
    usable = account is not None and account["status"] == "active"
    # Always verify (a dummy hash when there is no usable account): same answer, same time.
    valid = passwords.verify_password(
        account.get("password_hash") if account is not None and usable else None, password
    )
    if not valid:
        ctx.throttle.failure(ip_key, ctx.throttle.ip_policy)
        if account is not None:
            reason = "bad_password" if usable else f"account_{account['status']}"
            ctx.outbox.emit(
                ctx.event("account.login_failed", account, {"ip": ip, "user_agent": user_agent, "reason": reason})
            )
        LOGINS.labels("bad_credentials").inc()
        raise BAD_CREDENTIALS
    assert account is not None  # a verified password means a usable account
    ctx.throttle.success(login_key)  # the login's failures (this attempt's reservation included) are forgotten
    if passwords.needs_rehash(account["password_hash"]):  # parameters changed since it was hashed
        ctx.outbox.update(
            store.ACCOUNTS,
            account["_id"],
            {"$set": {"password_hash": passwords.hash_password(password)}},
            password_hash=account["password_hash"],
        )
    tokens = open_session(ctx, account, ip=ip, user_agent=user_agent)
    LOGINS.labels("succeeded").inc()
    return tokens


def open_session(ctx: Context, account: dict[str, Any], *, ip: str, user_agent: str) -> Tokens:
    now = ctx.now()
    session_id = uuid.uuid4().hex
    secret = new_secret()
    session = {
        "_id": session_id,
        "account_id": account["_id"],
        "structure_id": account["structure_id"],
        "created_at": now,
        "last_used_at": now,
        "ip": ip,
        "user_agent": user_agent[:300],
        "refresh_digest": digest(secret),
        "refresh_expires_at": now + timedelta(seconds=ctx.config.refresh_token_ttl_seconds),
        "revoked_at": None,
    }
    event = ctx.event(
        "account.login_succeeded", account, {"session_id": session_id, "ip": ip, "user_agent": user_agent[:300]}
    )
    # The event goes first, in a document of its own: it records that the password was verified. Should
    # the session write then fail, the family got an error and its history still shows the login; the
    # other order could leave a working session that the history never shows. A session written without
    # an event is also one the relay never locks, rereads and rewrites: two round trips fewer per login.
    ctx.outbox.emit(event)
    ctx.db[store.SESSIONS].insert_one(session)
    return _issue(ctx, account, session_id, secret)


def refresh(ctx: Context, refresh_token: str, *, ip: str) -> Tokens:
    """Rotate the session's refresh token. Any other token presented for a live session ends it.

    Only the current token's digest is kept. A token that names a live session but is not its current
    one was rotated out (or made up by someone who knows the session id, which only its holders and
    the services see): either way the session is compromised, and RFC 9700 (4.14.2) says to end it.
    Keeping a list of old digests instead would stop detecting an old token once the list has rolled
    over: a thief could refresh past it and then keep the session while its owner is signed out.
    """
    parts = split_refresh_token(refresh_token)
    invalid = Problem(401, "Le jeton de renouvellement est invalide ou expiré.", slug="invalid-refresh-token")
    if parts is None:
        REFRESHES.labels("refused").inc()
        raise invalid
    session_id, secret = parts
    now = ctx.now()
    new = new_secret()
    # Under the session's lock, of two concurrent uses of one refresh token exactly one wins.
    with ctx.outbox.lock(store.SESSIONS, session_id):
        session = store.find_session(ctx.db, session_id)
        account = store.find_account(ctx.db, session["account_id"]) if session is not None else None
        if session is None or account is None or not store.session_is_live(account, session, now):
            REFRESHES.labels("refused").inc()
            raise invalid
        current = same_digest(secret, session["refresh_digest"])
        if current:
            changes = {"refresh_digest": digest(new), "last_used_at": now, "ip": ip}
            ctx.db[store.SESSIONS].update_one({"_id": session_id}, {"$set": changes})
    if not current:
        revoke_session(ctx, account, session_id, reason="refresh_token_reuse")
        REFRESHES.labels("reuse_detected").inc()
        raise invalid
    REFRESHES.labels("rotated").inc()
    return _issue(ctx, account, session_id, new)


def revoke_session(ctx: Context, account: dict[str, Any], session_id: str, *, reason: str) -> bool:
    """End one session; its revocation and the event are one write. False if already ended."""
    if reason == "logout":
        event = ctx.event("account.logged_out", account, {"session_ids": [session_id]})
    else:
        event = ctx.event("account.session_revoked", account, {"session_ids": [session_id], "reason": reason})
    revoked = ctx.outbox.update(
        store.SESSIONS,
        session_id,
        {"$set": {"revoked_at": ctx.now(), "revoked_reason": reason}},
        event,
        account_id=account["_id"],
        revoked_at=None,
    )
    return revoked is not None


def live_sessions(ctx: Context, account: dict[str, Any]) -> list[dict[str, Any]]:
    now = ctx.now()
    found = ctx.db[store.SESSIONS].find({"account_id": account["_id"], "revoked_at": None}).sort("created_at", -1)
    return [s for s in found if store.session_is_live(account, s, now)]


def session_view(session: dict[str, Any], current_session_id: str) -> dict[str, Any]:
    return {
        "session_id": session["_id"],
        "current": session["_id"] == current_session_id,
        "user_agent": session.get("user_agent"),
        "ip": session.get("ip"),
        "created_at": session["created_at"].isoformat(),
        "last_used_at": session["last_used_at"].isoformat(),
    }


def end_other_sessions(ctx: Context, account: dict[str, Any], current_session_id: str) -> int:
    ended = 0
    for session in live_sessions(ctx, account):
        if session["_id"] != current_session_id:
            ended += revoke_session(ctx, account, session["_id"], reason="ended_by_user")
    return ended


def authenticate(ctx: Context, token: str) -> tuple[Principal, dict[str, Any]]:
    """Identity owns the sessions, so beyond the signature it checks the session is still live."""
    principal = ctx.verifier.verify(token)
    account = store.find_account(ctx.db, principal.account_id)
    session = store.find_session(ctx.db, principal.session_id)
    if session is None or session["account_id"] != principal.account_id:
        raise InvalidToken("unknown session")
    if not store.session_is_live(account, session, ctx.now()):
        raise InvalidToken("session ended")
    return principal, account  # type: ignore[return-value]


def last_login_at(ctx: Context, account_id: str) -> Any:
    """When the account last signed in: the newest session (no account write on every login)."""
    newest = ctx.db[store.SESSIONS].find_one({"account_id": account_id}, sort=[("created_at", -1)])
    return newest["created_at"] if newest else None
