import base64
import json
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from portal_common import events
from portal_common.auth import InvalidToken, JwksCache, TokenVerifier
from portal_common.kafka_client import create_producer
from portal_common.revocations import RevocationCache, RevocationListener
from tests.support.env import KAFKA
from tests.support.http_standin import QuietHandler, serve, stop
from tests.support.kafka import create_event_topics, unique_topic
from tests.support.tokens import AUDIENCE, ISSUER, JwksServer, SigningKey
from tests.support.wait import wait_for


@pytest.fixture(scope="module")
def key():
    return SigningKey("k1")


@pytest.fixture
def jwks(key):
    server = JwksServer(key)
    yield server
    server.close()


@pytest.fixture
def verifier(jwks):
    return TokenVerifier(JwksCache(jwks.url, min_refresh_interval_s=0.0), issuer=ISSUER, audience=AUDIENCE)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_valid_token_gives_the_principal(verifier, key):
    principal = verifier.verify(key.mint(sub="acc-9", sid="s-9", role="agent", structure_id="st-2"))
    assert (principal.account_id, principal.session_id, principal.role, principal.structure_id) == (
        "acc-9",
        "s-9",
        "agent",
        "st-2",
    )


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 60},
        {"aud": "another-api"},
        {"iss": "http://evil.test"},
        {"sid": None},
        {"jti": None},
        {"role": "admin"},
        {"structure_id": None},
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "no-session", "no-jti", "unknown-role", "no-structure"],
)
def test_tokens_with_bad_claims_are_rejected(verifier, key, claims):
    with pytest.raises(InvalidToken):
        verifier.verify(key.mint(**claims))


def test_alg_none_is_rejected(verifier):
    token = b64({"alg": "none", "kid": "k1"}) + "." + b64({"sub": "acc-1", "aud": AUDIENCE, "iss": ISSUER}) + "."
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(token)


def test_hs256_signed_with_the_public_key_is_rejected(verifier, key):
    public_pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {
        "sub": "acc-1",
        "sid": "s",
        "jti": "j",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "role": "agent",
        "structure_id": "x",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    header = b64({"alg": "HS256", "kid": "k1", "typ": "JWT"})
    payload = b64(claims)
    import hashlib
    import hmac

    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}." + base64.urlsafe_b64encode(signature).decode().rstrip("=")
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(token)


def test_token_signed_by_an_unknown_key_is_rejected(verifier):
    with pytest.raises(InvalidToken, match="unknown signing key"):
        verifier.verify(SigningKey("rogue").mint())


def test_forged_signature_with_a_known_kid_is_rejected(verifier):
    forged = SigningKey("k1").mint()  # same kid, different private key
    with pytest.raises(InvalidToken):
        verifier.verify(forged)


def test_garbage_is_rejected(verifier):
    nested = base64.urlsafe_b64encode(b"[" * 100_000).decode().rstrip("=")
    for token in ("", "abc", "a.b.c", "\x00\x01", "W10.e30.c2ln", "é.e30.c2ln", f"{nested}.e30.c2ln"):
        with pytest.raises(InvalidToken):
            verifier.verify(token)


def test_the_header_is_read_leniently_but_the_whole_token_is_checked_strictly(verifier, key):
    """The key is picked from a quick read of the header; jwt.decode then checks every segment."""
    header, payload, signature = key.mint().split(".")
    assert verifier.verify(f"{header}.{payload}.{signature}")
    for tampered in (f"{header}!.{payload}.{signature}", f"{header}==.{payload}.{signature}"):
        with pytest.raises(InvalidToken):
            verifier.verify(tampered)


def test_key_rotation_is_accepted_without_restart(verifier, jwks, key):
    assert verifier.verify(key.mint()).account_id == "acc-1"
    new_key = SigningKey("k2")
    jwks.keys.append(new_key)  # identity publishes the next key next to the old one
    assert verifier.verify(new_key.mint(sub="acc-2")).account_id == "acc-2"
    assert verifier.verify(key.mint()).account_id == "acc-1"  # old key still valid during rotation


def test_unknown_kid_refreshes_are_rate_limited(jwks):
    verifier = TokenVerifier(JwksCache(jwks.url, min_refresh_interval_s=60), issuer=ISSUER, audience=AUDIENCE)
    for i in range(20):
        with pytest.raises(InvalidToken):
            verifier.verify(SigningKey(f"r{i}").mint())
    assert jwks.fetches == 1


def test_revocation_events_from_kafka_kill_tokens(jwks, key):
    topic = unique_topic("revocations")
    create_event_topics(topic, partitions=2)
    cache = RevocationCache(ttl_s=600)
    verifier = TokenVerifier(JwksCache(jwks.url), issuer=ISSUER, audience=AUDIENCE, revocations=cache)
    listener = RevocationListener(KAFKA, cache, topic=events.topic_of(topic, "identity"))
    stop = threading.Event()
    thread = threading.Thread(target=listener.run, args=(stop,), daemon=True)
    thread.start()
    producer = create_producer(KAFKA, "test")
    try:
        assert listener.caught_up.wait(20)
        kept, logged_out = key.mint(sub="acc-1", sid="keep"), key.mint(sub="acc-1", sid="gone")
        other_account = key.mint(sub="acc-2", sid="x")
        record = events.encode(
            events.new_event(
                "account.logged_out",
                account_id="acc-1",
                structure_id="struct-1",
                source="identity",
                payload={"session_ids": ["gone"]},
            )
        )
        producer.send(
            events.topic_of(topic, "identity"), key=record.key, value=record.value, headers=record.headers
        ).get(10)
        wait_for(lambda: _rejected(verifier, logged_out), what="logged-out session refused")
        assert verifier.verify(kept).session_id == "keep"

        deleted = events.encode(
            events.new_event(
                "account.deleted",
                account_id="acc-2",
                structure_id="struct-1",
                source="identity",
                payload={"revoked_session_ids": ["x"]},
            )
        )
        producer.send(
            events.topic_of(topic, "identity"), key=deleted.key, value=deleted.value, headers=deleted.headers
        ).get(10)
        wait_for(lambda: _rejected(verifier, other_account), what="deleted account's session refused")
        with pytest.raises(InvalidToken):  # any token from an earlier second dies too
            verifier.verify(key.mint(sub="acc-2", sid="older", iat=int(time.time()) - 5))
        # A token issued after the deletion (i.e. after a restore) is accepted again.
        assert verifier.verify(key.mint(sub="acc-2", sid="y", iat=int(time.time()) + 2)).account_id == "acc-2"
    finally:
        producer.close()
        stop.set()
        thread.join(10)


def test_revocation_cache_is_rebuilt_after_restart(jwks, key):
    """A new listener rewinds one token lifetime, so a restarted service still refuses revoked sessions."""
    topic = unique_topic("revocations")
    create_event_topics(topic)
    producer = create_producer(KAFKA, "test")
    record = events.encode(
        events.new_event(
            "account.password_changed",
            account_id="acc-1",
            structure_id="s",
            source="identity",
            payload={"revoked_session_ids": ["old-session"]},
        )
    )
    producer.send(events.topic_of(topic, "identity"), key=record.key, value=record.value, headers=record.headers).get(
        10
    )
    producer.close()
    cache = RevocationCache(ttl_s=600)
    listener = RevocationListener(KAFKA, cache, topic=events.topic_of(topic, "identity"))
    stop = threading.Event()
    thread = threading.Thread(target=listener.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert listener.caught_up.wait(20)
        verifier = TokenVerifier(JwksCache(jwks.url), issuer=ISSUER, audience=AUDIENCE, revocations=cache)
        with pytest.raises(InvalidToken, match="revoked"):
            verifier.verify(key.mint(sid="old-session"))
    finally:
        stop.set()
        thread.join(10)


def _rejected(verifier: TokenVerifier, token: str) -> bool:
    try:
        verifier.verify(token)
    except InvalidToken:
        return True
    return False


def test_jwt_library_refuses_none_even_if_asked_directly(key):
    """Guard for the assumption the verifier relies on: an explicit algorithm list excludes none."""
    token = jwt.encode({"sub": "x"}, None, algorithm="none")
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, key.private.public_key(), algorithms=["RS256"])


def test_an_unreachable_jwks_backs_off_and_never_stalls_requests_with_a_known_key(key):
    """#20 item 6: identity stops answering while the cached keys age. Requests signed with a known key keep
    being served at once, and the cache tries identity again only after a growing pause: it does not fetch
    (and wait out the timeout) once per request, one request at a time behind its lock."""
    hanging = threading.Event()
    fetches = []

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            fetches.append(time.monotonic())
            if hanging.is_set():
                time.sleep(1.5)  # longer than the client's timeout: a silent identity
                return
            self.answer_json(200, {"keys": [key.jwk()]})

    server = serve(Handler)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
        cache = JwksCache(url, max_age_s=0.2, min_refresh_interval_s=0.5, timeout_s=1.0)
        verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE)
        token = key.mint()
        verifier.verify(token)  # the keys are cached
        hanging.set()
        time.sleep(0.3)  # and now stale
        durations: list[float] = []

        def call() -> None:
            started = time.monotonic()
            verifier.verify(token)
            durations.append(time.monotonic() - started)

        for _ in range(3):  # three waves of eight parallel requests over about two seconds
            threads = [threading.Thread(target=call) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            time.sleep(0.3)
        assert len(durations) == 24  # every request verified, with the cached key
        assert sum(d > 0.5 for d in durations) <= 2  # at most the request that tried identity waited
        assert len(fetches) <= 3  # the first fetch, then a retry at most every growing pause
    finally:
        stop(server)
