"""Changing the contact email (#21): nothing changes until the new address confirms; the previous address may
undo it for 7 days, which signs everybody out; links serve once, die when replaced or late, and never leave
identity except through IssueLink. The login identifier never changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal_common import events
from tests.identity.conftest import PASSWORD
from tests.support.kafka import read_all


def ask(svc, token: str, address: str, password: str = PASSWORD):
    return svc.call("PUT", "/v1/account/contact-email", token, json={"contact_email": address, "password": password})


def stored(svc, account) -> dict:
    return svc.db.accounts.find_one({"_id": account["account_id"]})


def confirm_link(svc, account) -> str:
    return svc.issue_link(stored(svc, account)["email_change_event_id"])


def undo_link(svc, account) -> str:
    return svc.issue_link(stored(svc, account)["email_undo_event_id"])


def use(svc, what: str, secret: str) -> int:
    return svc.call("POST", f"/v1/auth/contact-email/{what}", json={"token": secret}).status_code


@pytest.fixture
def family(svc):
    account = svc.new_account()
    account["token"] = svc.login(account)["access_token"]
    return account


def test_the_address_changes_only_when_the_new_one_confirms(svc, family):
    asked = ask(svc, family["token"], "  Nouvelle@Example.ORG ")
    assert asked.status_code == 202, asked.text
    assert asked.json()["pending_contact_email"]["contact_email"] == "nouvelle@example.org"
    assert stored(svc, family)["contact_email"] == family["login"]
    secret = confirm_link(svc, family)
    assert use(svc, "confirm", secret) == 204
    assert use(svc, "confirm", secret) == 400  # once
    me = svc.call("GET", "/v1/account", family["token"]).json()
    assert (me["login"], me["contact_email"], me["pending_contact_email"]) == (
        family["login"],
        "nouvelle@example.org",
        None,
    )


def test_the_events_say_where_to_write_and_carry_no_secret(svc, family):
    assert ask(svc, family["token"], "autre@example.org").status_code == 202
    secret = confirm_link(svc, family)
    assert use(svc, "confirm", secret) == 204
    records = read_all(svc.topic, expected=10_000, timeout_s=5)
    ours = [events.decode(r.value) for r in records if events.decode(r.value).account_id == family["account_id"]]
    requested = next(e for e in ours if e.type == "account.contact_email_change_requested")
    changed = next(e for e in ours if e.type == "account.contact_email_changed")
    assert events.payload_dict(requested)["new_contact_email"] == "autre@example.org"
    assert events.payload_dict(changed) | {"undo_expires_at": "x"} == {
        "contact_email": "autre@example.org",
        "previous_contact_email": family["login"],
        "undo_expires_at": "x",
    }
    assert all(secret.encode() not in r.value for r in records)


@pytest.mark.parametrize(
    ("address", "password", "status", "detail"),
    [
        ("nouvelle@example.org", "pas le bon", 403, "Le mot de passe actuel est incorrect."),
        ("pas-une-adresse", PASSWORD, 422, "contact_email doit être une adresse e-mail valide."),
        ("a b@example.org", PASSWORD, 422, "contact_email doit être une adresse e-mail valide."),
        (
            "x@example.org\r\nBcc: pirate@example.org",
            PASSWORD,
            422,
            "contact_email doit être une adresse e-mail valide.",
        ),
    ],
)
def test_refused_requests_change_nothing(svc, family, address, password, status, detail):
    refused = ask(svc, family["token"], address, password)
    assert refused.status_code == status
    assert refused.json()["detail"] == detail
    assert "email_change_event_id" not in stored(svc, family)


def test_the_current_address_is_not_a_change(svc, family):
    same = ask(svc, family["token"], family["login"].upper())
    assert (same.status_code, same.json()["fields"]) == (422, ["contact_email"])


def test_a_newer_request_kills_the_earlier_link_and_a_late_link_is_refused(svc, family):
    assert ask(svc, family["token"], "premiere@example.org").status_code == 202
    first = confirm_link(svc, family)
    assert ask(svc, family["token"], "seconde@example.org").status_code == 202
    assert use(svc, "confirm", first) == 400
    late = confirm_link(svc, family)
    svc.set_stored("accounts", family["account_id"], email_change_expires_at=svc.identity.now() - timedelta(seconds=1))
    assert use(svc, "confirm", late) == 400
    assert stored(svc, family)["contact_email"] == family["login"]


def test_the_previous_address_undoes_the_change_and_everybody_is_signed_out(svc, family):
    other = svc.login(family)["access_token"]
    assert ask(svc, family["token"], "pirate@example.org").status_code == 202
    assert use(svc, "confirm", confirm_link(svc, family)) == 204
    # While the undo is possible, no further change takes it away from the previous address.
    blocked = ask(svc, family["token"], "encore@example.org")
    assert blocked.status_code == 409
    assert "jusqu'au" in blocked.json()["detail"]
    secret = undo_link(svc, family)
    assert use(svc, "undo", secret) == 204
    assert use(svc, "undo", secret) == 400  # once
    assert stored(svc, family)["contact_email"] == family["login"]
    for token in (family["token"], other):
        assert svc.call("GET", "/v1/account", token).status_code == 401
    fresh = svc.login(family)["access_token"]
    assert ask(svc, fresh, "nouvelle@example.org").status_code == 202  # no undo pending any more


def test_the_undo_link_dies_after_its_days(svc, family):
    assert ask(svc, family["token"], "apres@example.org").status_code == 202
    assert use(svc, "confirm", confirm_link(svc, family)) == 204
    secret = undo_link(svc, family)
    svc.set_stored("accounts", family["account_id"], email_undo_expires_at=svc.identity.now() - timedelta(seconds=1))
    assert use(svc, "undo", secret) == 400
    assert stored(svc, family)["contact_email"] == "apres@example.org"
    assert ask(svc, family["token"], "encore@example.org").status_code == 202  # a new change may start
