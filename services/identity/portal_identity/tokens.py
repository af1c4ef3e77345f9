"""Access tokens (RFC 9068 JWT, RS256) and opaque single-use secrets (refresh, reset, activation).

Opaque secrets are 256-bit random values; only their SHA-256 is stored, so a database leak does not
hand out working tokens. A refresh token is `<session id>.<secret>`: the session is found by id and
the secret compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from portal_identity.keys import KeyStore

CLIENT_ID = "portail-famille"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def split_refresh_token(token: str) -> tuple[str, str] | None:
    session_id, sep, secret = token.partition(".")
    if not sep or not session_id or not secret or len(token) > 200:
        return None
    return session_id, secret


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int
    token_id: str


class TokenIssuer:
    def __init__(self, keys: KeyStore, *, issuer: str, audience: str, ttl_seconds: int) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def access_token(self, *, account_id: str, session_id: str, role: str, structure_id: str) -> AccessToken:
        key = self.keys.current()
        now = int(time.time())
        token_id = uuid.uuid4().hex
        claims = {
            "iss": self.issuer,
            "sub": account_id,
            "aud": self.audience,
            "exp": now + self.ttl_seconds,
            "iat": now,
            "jti": token_id,
            "client_id": CLIENT_ID,
            "sid": session_id,
            "role": role,
            "structure_id": structure_id,
        }
        token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"})
        return AccessToken(token=token, expires_in=self.ttl_seconds, token_id=token_id)
