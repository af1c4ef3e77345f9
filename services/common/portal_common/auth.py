"""Access-token verification for every service: JWKS cache, RS256 tokens, and a revocation cache.

Identity signs RFC 9068 access tokens and publishes its public keys at /.well-known/jwks.json.
Other services verify locally; revocations (logout, password change, deleted account) arrive as
account events and are applied by `RevocationListener`, so a revoked session stops working within
the time it takes an event to cross Kafka rather than at token expiry.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from kafka import KafkaConsumer, TopicPartition

from portal_common import b64url, events

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
    """Public keys fetched from a JWKS URL, refreshed when a token names an unknown `kid`.

    Refreshes on unknown kids are rate-limited so a flood of forged kids cannot hammer identity.
    """

    def __init__(
        self, url: str, *, max_age_s: float = 300.0, min_refresh_interval_s: float = 2.0, timeout_s: float = 5.0
    ):
        self.url = url
        self.max_age_s = max_age_s
        self.min_refresh_interval_s = min_refresh_interval_s
        self.timeout_s = timeout_s
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def _fetch(self) -> None:
        with urllib.request.urlopen(self.url, timeout=self.timeout_s) as response:  # noqa: S310 - configured URL
            document = json.load(response)
        keys = {}
        for jwk in document.get("keys", []):
            if jwk.get("kid") and jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig":
                keys[jwk["kid"]] = jwt.PyJWK.from_dict(jwk, algorithm="RS256").key
        self._keys = keys
        self._fetched_at = time.monotonic()

    def key(self, kid: str) -> Any:
        now = time.monotonic()
        with self._lock:
            stale = now - self._fetched_at > self.max_age_s
            unknown = kid not in self._keys and now - self._fetched_at > self.min_refresh_interval_s
            if stale or unknown:
                try:
                    self._fetch()
                except Exception as exc:  # noqa: BLE001 - keep serving cached keys during an identity outage
                    log.warning("could not refresh JWKS from %s: %s", self.url, exc)
            try:
                return self._keys[kid]
            except KeyError:
                raise InvalidToken("unknown signing key") from None


class RevocationCache:
    """Sessions and accounts whose already-issued tokens must be refused.

    Entries only need to outlive the longest access token, so they expire after `ttl_s`.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._sessions: dict[str, float] = {}
        self._accounts: dict[str, tuple[int, float]] = {}  # account -> (tokens issued before: dead, expiry)
        self._lock = threading.Lock()

    def revoke_sessions(self, session_ids: Iterable[str]) -> None:
        expiry = time.monotonic() + self.ttl_s
        with self._lock:
            for sid in session_ids:
                self._sessions[sid] = expiry

    def revoke_account_tokens(self, account_id: str, issued_before: int) -> None:
        """Tokens of `account_id` issued in a second before `issued_before` die (iat has 1 s precision)."""
        with self._lock:
            previous = self._accounts.get(account_id, (0, 0.0))[0]
            self._accounts[account_id] = (max(previous, issued_before), time.monotonic() + self.ttl_s)

    def is_revoked(self, principal: Principal) -> bool:
        now = time.monotonic()
        with self._lock:
            expiry = self._sessions.get(principal.session_id)
            if expiry is not None and expiry > now:
                return True
            account = self._accounts.get(principal.account_id)
            return account is not None and account[1] > now and principal.issued_at < account[0]

    def prune(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if v > now}
            self._accounts = {k: v for k, v in self._accounts.items() if v[1] > now}

    def apply(self, event: events.AccountEvent) -> None:
        """Learn revocations from an account event; other types are ignored."""
        payload = events.payload_of(event)
        if event.type == "account.logged_out" or event.type == "account.session_revoked":
            self.revoke_sessions(payload.session_ids)
        elif event.type == "account.password_changed":
            self.revoke_sessions(payload.revoked_session_ids)
        elif event.type in ("account.deleted", "account.purged"):
            # The sessions live at deletion die by id; any token from an earlier second dies too. Tokens of
            # sessions opened after a restore (even within the same second) live.
            if event.type == "account.deleted":
                self.revoke_sessions(payload.revoked_session_ids)
            self.revoke_account_tokens(event.account_id, int(events.occurred_at(event).timestamp()))


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


class RevocationListener:
    """Feeds a RevocationCache from every partition of the events topic (no consumer group).

    Every replica must see every revocation, so it does not share partitions with other replicas.
    On start it rewinds by one token lifetime, which rebuilds the cache after a restart.
    """

    def __init__(self, bootstrap: str, cache: RevocationCache, *, topic: str = events.TOPIC):
        self.bootstrap = bootstrap
        self.cache = cache
        self.topic = topic
        self.caught_up = threading.Event()

    def _start(self) -> KafkaConsumer:
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
        partitions = consumer.partitions_for_topic(self.topic) or set()
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        if not tps:
            consumer.close()
            raise RuntimeError(f"topic {self.topic} has no partitions yet")
        consumer.assign(tps)
        since_ms = int((time.time() - self.cache.ttl_s) * 1000)
        offsets = consumer.offsets_for_times({tp: since_ms for tp in tps})
        ends = consumer.end_offsets(tps)
        for tp in tps:
            found = offsets.get(tp)
            consumer.seek(tp, found.offset if found is not None else ends[tp])
        self._targets = ends
        return consumer

    def run(self, stop: threading.Event) -> None:
        consumer = None
        while not stop.is_set():
            try:
                if consumer is None:
                    consumer = self._start()
                for records in consumer.poll(timeout_ms=300).values():
                    for record in records:
                        try:
                            self.cache.apply(events.decode(record.value))
                        except events.MalformedEvent:
                            continue  # the group consumers dead-letter it; here it carries no revocation
                if not self.caught_up.is_set() and all(
                    consumer.position(tp) >= end for tp, end in self._targets.items()
                ):
                    self.caught_up.set()
            except Exception as exc:  # noqa: BLE001 - broker outage: retry with a fresh consumer
                log.warning("revocation listener failed, restarting: %r", exc)
                if consumer is not None:
                    consumer.close()
                    consumer = None
                stop.wait(1.0)
        if consumer is not None:
            consumer.close()
