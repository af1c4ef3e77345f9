"""Activation and reset secrets never leave identity in clear (#20, finding 1).

The attack: whoever reads `account-events` (any consumer group, any replica) takes every string of
an agent's `account.created` and a family's `account.password_reset_requested` and tries each one as
an activation or a reset token. Only the link identity mints at send time, for the one caller that
mails it, may work.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.json_format import MessageToDict

from portal_identity import accounts
from tests.identity.conftest import PASSWORD
from tests.support.kafka import read_all

NEW = "a brand new passphrase"


def strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def raw_tokens(record_value: bytes) -> set[str]:
    """Every token-shaped run of bytes in the raw record, whatever the schema says."""
    return {match.decode() for match in re.findall(rb"[A-Za-z0-9_-]{20,}", record_value)}


def test_nothing_on_the_topic_activates_or_resets_an_account(svc):
    agent_login = f"agent-{uuid.uuid4().hex[:8]}@mairie.fr"
    agent = accounts.create_account(
        svc.identity,
        structure_id="struct-x",
        login=agent_login,
        contact_email=None,
        display_name="Agent",
        role="agent",
        created_by="ops",
    )
    family = svc.new_account()
    assert svc.call("POST", "/v1/auth/password-reset", json={"login": family["login"]}).status_code == 202

    from portal_common import events

    records = read_all(svc.topic, expected=10_000, timeout_s=5)
    ours = [r for r in records if events.decode(r.value).account_id in (agent["_id"], family["account_id"])]
    types = {events.decode(r.value).type for r in ours}
    assert {"account.created", "account.password_reset_requested"} <= types
    candidates = set()
    for record in ours:
        event = events.decode(record.value)
        candidates |= set(strings(MessageToDict(event))) | raw_tokens(record.value)
    assert candidates
    for candidate in candidates:
        activate = svc.call("POST", "/v1/auth/activate", json={"token": candidate, "password": NEW})
        assert activate.status_code == 400, f"{candidate!r} from the topic activates the agent"
        reset = svc.call("POST", "/v1/auth/password-reset/confirm", json={"token": candidate, "new_password": NEW})
        assert reset.status_code == 400, f"{candidate!r} from the topic resets the family's password"
    assert svc.login(family)["access_token"]  # the family's password is still its own
    assert family["password"] == PASSWORD


def confirm(svc, secret: str, password: str = NEW) -> int:
    return svc.call(
        "POST", "/v1/auth/password-reset/confirm", json={"token": secret, "new_password": password}
    ).status_code


def reset_event_id(svc, account) -> str:
    return svc.db.accounts.find_one({"_id": account["account_id"]})["reset_event_id"]


def test_each_issue_replaces_the_previous_secret_of_the_request(svc):
    """A retried email carries the only working link: the secret of a failed attempt dies."""
    account = svc.new_account()
    first = svc.reset_link(account["login"])
    second = svc.issue_link(reset_event_id(svc, account))
    assert first != second
    assert confirm(svc, first) == 400
    event_id = reset_event_id(svc, account)
    assert confirm(svc, second) == 204
    with pytest.raises(grpc.RpcError) as used:  # used: nothing left to mail
        svc.issue_link(event_id)
    assert used.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_newer_request_and_a_password_change_end_a_pending_reset_link(svc):
    account = svc.new_account()
    svc.reset_link(account["login"])
    older_event = reset_event_id(svc, account)
    older = svc.issue_link(older_event)
    newest = svc.reset_link(account["login"])
    assert confirm(svc, older) == 400
    with pytest.raises(grpc.RpcError) as replaced:
        svc.issue_link(older_event)
    assert replaced.value.code() == grpc.StatusCode.NOT_FOUND

    session = svc.login(account)
    changed = svc.call(
        "PUT",
        "/v1/account/password",
        session["access_token"],
        json={"current_password": account["password"], "new_password": NEW},
    )
    assert changed.status_code == 200, changed.text
    assert confirm(svc, newest, "yet another passphrase") == 400  # the link mailed before the change is dead


def test_an_unknown_or_expired_request_gets_no_link(svc):
    for event_id in ("", "0" * 32, uuid.uuid4().hex):
        with pytest.raises(grpc.RpcError) as unknown:
            svc.issue_link(event_id)
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    account = svc.new_account()
    svc.reset_link(account["login"])
    svc.set_stored("accounts", account["account_id"], reset_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(grpc.RpcError) as expired:
        svc.issue_link(reset_event_id(svc, account))
    assert expired.value.code() == grpc.StatusCode.NOT_FOUND
