"""Browser sessions kept on the server. The cookie holds one random value; the database holds its SHA-256 and
the user's tokens encrypted with a key derived from that value, so a copy of the database opens no account.
A session starts anonymous (a visitor's form needs its CSRF token) and gets a new id when someone signs in,
so a cookie planted before sign-in is worth nothing after it (session fixation)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pymongo.database import Database

from portal_common.mongo import IndexSpec

COLLECTION = "browser_sessions"
INDEXES: list[IndexSpec] = [(COLLECTION, [("expires_at", 1)], {})]
_TOUCH_EVERY = timedelta(seconds=60)  # last use is written at most once a minute, not on every page


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: datetime


@dataclass
class BrowserSession:
    cookie: str  # never stored: the database keys on its hash
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    account: dict[str, Any] | None = None  # what GET /v1/account said at sign-in (role, structure, names)
    tokens: Tokens | None = None
    flashes: list[str] = field(default_factory=list)  # one-time messages for the next page

    @property
    def signed_in(self) -> bool:
        return self.account is not None and self.tokens is not None

    @property
    def role(self) -> str | None:
        return self.account["role"] if self.account else None


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def _key(cookie: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal-web session tokens").derive(
        cookie.encode()
    )


def _seal(cookie: str, tokens: Tokens) -> bytes:
    nonce = secrets.token_bytes(12)
    plain = json.dumps(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "access_expires_at": tokens.access_expires_at.isoformat(),
        }
    ).encode()
    return nonce + AESGCM(_key(cookie)).encrypt(nonce, plain, _hash(cookie).encode())


def _open(cookie: str, sealed: bytes) -> Tokens:
    plain = json.loads(AESGCM(_key(cookie)).decrypt(sealed[:12], sealed[12:], _hash(cookie).encode()))
    return Tokens(plain["access_token"], plain["refresh_token"], datetime.fromisoformat(plain["access_expires_at"]))


class SessionStore:
    def __init__(
        self,
        db: Database[dict[str, Any]],
        *,
        idle: timedelta,
        max_age: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.collection = db[COLLECTION]
        self.idle, self.max_age, self.now = idle, max_age, clock

    def new(self) -> BrowserSession:
        now = self.now()
        session = BrowserSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now)
        self.save(session)
        return session

    def load(self, cookie: str) -> BrowserSession | None:
        """The live session of this cookie, or None (unknown, idle too long, or too old)."""
        if not cookie or len(cookie) > 100:
            return None
        found = self.collection.find_one({"_id": _hash(cookie)})
        now = self.now()
        if found is None or found["expires_at"] <= now:
            return None
        session = BrowserSession(
            cookie=cookie,
            csrf_token=found["csrf_token"],
            created_at=found["created_at"],
            last_seen_at=found["last_seen_at"],
            account=found.get("account"),
            tokens=_open(cookie, found["tokens"]) if found.get("tokens") else None,
            flashes=found.get("flashes", []),
        )
        if now - session.last_seen_at >= _TOUCH_EVERY:
            session.last_seen_at = now
            self.collection.update_one(
                {"_id": _hash(cookie)}, {"$set": {"last_seen_at": now, "expires_at": self._expiry(session)}}
            )
        return session

    def save(self, session: BrowserSession) -> None:
        self.collection.replace_one(
            {"_id": _hash(session.cookie)},
            {
                "csrf_token": session.csrf_token,
                "created_at": session.created_at,
                "last_seen_at": session.last_seen_at,
                "expires_at": self._expiry(session),
                "account": session.account,
                "tokens": _seal(session.cookie, session.tokens) if session.tokens else None,
                "flashes": session.flashes,
            },
            upsert=True,
        )

    def renew(self, old: BrowserSession | None) -> BrowserSession:
        """A fresh id (and CSRF token) for whoever just signed in; the old id stops working."""
        if old is not None:
            self.delete(old)
        return self.new()

    def delete(self, session: BrowserSession) -> None:
        self.collection.delete_one({"_id": _hash(session.cookie)})

    def purge_expired(self) -> int:
        return self.collection.delete_many({"expires_at": {"$lte": self.now()}}).deleted_count

    def _expiry(self, session: BrowserSession) -> datetime:
        return min(session.last_seen_at + self.idle, session.created_at + self.max_age)
