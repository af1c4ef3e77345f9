"""Access-token verification for every service: JWKS cache, RS256 tokens, and a revocation cache.

Identity signs RFC 9068 access tokens and publishes its public keys at /.well-known/jwks.json.
Other services verify locally and refuse what their `revocations.RevocationCache` holds (fed from Kafka by
`revocations.RevocationListener`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from portal_common import b64url

if TYPE_CHECKING:
    from portal_common.revocations import RevocationCache

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256"]  # fixed list: "none" and HS256 key-confusion tokens are refused by design
ROLES = {"family", "agent"}


class InvalidToken(Exception):
    """The token is missing, malformed, expired, forged, for someone else, or revoked."""


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read before the signature check only to pick the key and refuse algorithms.

    PyJWT's `get_unverified_header` decodes and checks every segment of the token character by
    character, which `jwt.decode` then does again: half the cost of a verification. Only the header
    is read here; `jwt.decode` still checks the whole token strictly, header included.
    """
    segment, dot, _ = token.partition(".")
    try:
        header = json.loads(b64url.decode(segment)) if dot else None
    except (ValueError, RecursionError):  # bad base64 (binascii.Error), UTF-8 or JSON; absurd nesting
        header = None
    if not isinstance(header, dict):
        raise InvalidToken("malformed token header")
    return header


@dataclass(frozen=True)
class Principal:
    account_id: str
    session_id: str
    role: str
    structure_id: str
    token_id: str
    issued_at: int
    expires_at: int

    @property
    def is_agent(self) -> bool:
        return self.role == "agent"

    @property
    def is_family(self) -> bool:
        return self.role == "family"


class JwksCache:
    """Public keys fetched from a JWKS URL, refreshed when they age or a token names an unknown `kid`.

    Refreshes on unknown kids are rate-limited so a flood of forged kids cannot hammer identity. While
    identity does not answer, the cache keeps serving the keys it has: one request at a time tries again,
    after a pause that doubles with each failure (up to `max_backoff_s`), and a request whose key is
    known never waits for that attempt.
    """

    def __init__(
        self,
        url: str,
        *,
        max_age_s: float = 300.0,
        min_refresh_interval_s: float = 2.0,
        timeout_s: float = 5.0,
        max_backoff_s: float = 10.0,  # a restarted identity is seen again within seconds
    ):
        self.url = url
        self.max_age_s = max_age_s
        self.min_refresh_interval_s = min_refresh_interval_s
        self.timeout_s = timeout_s
        self.max_backoff_s = max_backoff_s
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._retry_at = float("-inf")  # after a failed fetch: no new attempt before this
        self._failures = 0
        self._lock = threading.Lock()  # one fetch at a time

    def _fetch(self) -> None:
        with urllib.request.urlopen(self.url, timeout=self.timeout_s) as response:  # noqa: S310 - configured URL
            document = json.load(response)
        keys = {}
        for jwk in document.get("keys", []):
            if jwk.get("kid") and jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig":
                keys[jwk["kid"]] = jwt.PyJWK.from_dict(jwk, algorithm="RS256").key
        self._keys = keys
        self._fetched_at = time.monotonic()

    def _due(self, kid: str) -> bool:
        now = time.monotonic()
        if now < self._retry_at:
            return False
        stale = now - self._fetched_at > self.max_age_s
        unknown = kid not in self._keys and now - self._fetched_at > self.min_refresh_interval_s
        return stale or unknown

    def _refresh(self) -> None:
        try:
            self._fetch()
            self._failures = 0
        except Exception as exc:  # noqa: BLE001 - keep serving cached keys during an identity outage
            self._failures += 1
            pause = min(self.min_refresh_interval_s * 2 ** (self._failures - 1), self.max_backoff_s)
            self._retry_at = time.monotonic() + pause
            log.warning("could not refresh JWKS from %s (next try in %.0f s): %s", self.url, pause, exc)

    def key(self, kid: str) -> Any:
        # A known key is served at once: whoever gets the lock refreshes, nobody queues behind it. An unknown
        # one waits for the refresh in progress, since that may bring it.
        if self._due(kid) and self._lock.acquire(blocking=kid not in self._keys):
            try:
                if self._due(kid):  # another thread may have refreshed while this one waited
                    self._refresh()
            finally:
                self._lock.release()
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken("unknown signing key") from None


class TokenVerifier:
    def __init__(
        self,
        jwks: JwksCache,
        *,
        issuer: str,
        audience: str,
        revocations: RevocationCache | None = None,
        leeway_s: int = 5,
    ):
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.revocations = revocations
        self.leeway_s = leeway_s

    def verify(self, token: str) -> Principal:
        header = unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"algorithm {header.get('alg')!r} not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token has no key id")
        key = self.jwks.key(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "jti", "sid"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        role = claims.get("role")
        if role not in ROLES or not isinstance(claims.get("structure_id"), str):
            raise InvalidToken("token lacks a valid role or structure")
        principal = Principal(
            account_id=claims["sub"],
            session_id=claims["sid"],
            role=role,
            structure_id=claims["structure_id"],
            token_id=claims["jti"],
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
        )
        if self.revocations is not None and self.revocations.is_revoked(principal):
            raise InvalidToken("session revoked")
        return principal
