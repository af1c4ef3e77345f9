"""Pure rules of identity and portal_common: password policy, refresh-token shape, cursors, event envelopes."""

from __future__ import annotations

import pytest

from portal_common import events, pages
from portal_common.pagination import MAX_LIMIT, decode_cursor, encode_cursor, parse_limit
from portal_common.problems import Problem
from portal_identity.passwords import MAX_LENGTH, MIN_LENGTH, check_policy
from portal_identity.store import normalize_login
from portal_identity.tokens import split_refresh_token


@pytest.mark.parametrize(
    ("password", "slug"),
    [
        ("x" * (MIN_LENGTH - 1), "password-length"),
        ("x" * (MAX_LENGTH + 1), "password-length"),
        ("famille.martin@example.fr", "password-is-login"),
        ("FAMILLE.MARTIN@elsewhere.org", "password-is-login"),
        ("012345678910", "password-too-common"),
    ],
)
def test_a_password_that_may_not_be_chosen_is_refused_with_its_reason(password: str, slug: str) -> None:
    with pytest.raises(Problem) as refused:
        check_policy(password, login="famille.martin@example.fr", field="new_password")
    assert refused.value.status == 422
    assert refused.value.slug == slug
    assert refused.value.extensions["fields"] == ["new_password"]  # a client shows it next to that field


def test_a_long_passphrase_without_composition_rules_is_accepted() -> None:
    check_policy("correct horse battery staple", login="famille.martin@example.fr", field="password")


def test_logins_compare_without_case_or_surrounding_spaces() -> None:
    assert normalize_login("  Famille.Martin@Example.FR ") == "famille.martin@example.fr"


@pytest.mark.parametrize(
    ("token", "parts"),
    [
        ("abc.def", ("abc", "def")),
        ("abc.def.ghi", ("abc", "def.ghi")),
        ("abcdef", None),
        (".def", None),
        ("abc.", None),
        ("a." + "x" * 200, None),
    ],
)
def test_a_refresh_token_is_a_session_id_and_a_secret(token: str, parts: tuple[str, str] | None) -> None:
    assert split_refresh_token(token) == parts


def test_cursors_round_trip_and_garbage_is_a_clear_400() -> None:
    values = {"created_at": "2026-11-30T10:00:00+00:00", "_id": "é"}
    assert decode_cursor(encode_cursor(values)) == values
    assert decode_cursor(None) is None
    for garbage in ["%%%", encode_cursor([1, 2]), "W1s" * 50]:  # type: ignore[list-item]
        with pytest.raises(Problem) as refused:
            decode_cursor(garbage)
        assert refused.value.slug == "invalid-cursor"


def test_page_sizes_are_bounded() -> None:
    assert parse_limit("5") == 5
    for raw in ["0", str(MAX_LIMIT + 1), "ten", "-1"]:
        with pytest.raises(Problem):
            parse_limit(raw)


def test_every_event_type_maps_onto_its_payload_and_survives_encoding() -> None:
    for event_type in events.event_types():
        event = events.new_event(event_type, account_id="acc-1", structure_id="s-1")
        decoded = events.decode(events.encode(event).value)
        assert decoded.type == event_type
        assert decoded.event_id == event.event_id
        assert type(events.payload_of(decoded)) is events.payload_class(event_type)


@pytest.mark.parametrize("event_type", ["account.deleted", "account.disabled"])
def test_a_disabled_agent_is_revoked_like_a_deleted_account(event_type):
    """Every service's verifier refuses the tokens of an agent disabled by its structure, as after a deletion."""
    import time
    from datetime import UTC, datetime, timedelta

    from portal_common.auth import Principal
    from portal_common.revocations import RevocationCache

    cache = RevocationCache(ttl_s=600)
    issued = int(time.time()) - 5
    live = Principal("agent-1", "s-live", "agent", "st", "t1", issued, issued + 600)
    other = Principal("agent-2", "s-other", "agent", "st", "t2", issued, issued + 600)
    payload = {"revoked_session_ids": ["s-live"]}
    cache.apply(
        events.new_event(
            event_type, account_id="agent-1", structure_id="st", payload=payload, occurred_at=datetime.now(UTC)
        )
    )
    assert cache.is_revoked(live)
    assert not cache.is_revoked(other)
    later = Principal("agent-1", "s-new", "agent", "st", "t3", issued + int(timedelta(minutes=1).total_seconds()), 0)
    assert not cache.is_revoked(later)  # a session opened after a restore lives


@pytest.mark.parametrize(
    ("seconds", "french", "english"),
    [
        (7 * 86400, "7 jours", "7 days"),
        (86400, "1 jour", "1 day"),
        (24 * 3600 + 3600, "25 heures", "25 hours"),
        (3600, "1 heure", "1 hour"),
        (5400, "90 minutes", "90 minutes"),
        (60, "1 minute", "1 minute"),
        (90, "2 minutes", "2 minutes"),
    ],
)
def test_how_long_a_link_lasts_is_said_in_the_largest_whole_unit(seconds, french, english):
    assert pages.duration(seconds, "fr") == french
    assert pages.duration(seconds, "en") == english
