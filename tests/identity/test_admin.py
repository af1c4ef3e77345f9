"""Agents create family accounts; the mailer asks identity for the activation link (IssueLink)."""

import uuid
from datetime import UTC, datetime, timedelta

from tests.support.kafka import find_events


def test_agent_creates_a_family_which_activates_and_logs_in(svc):
    agent = svc.login(svc.new_account(role="agent", structure="struct-9"))["access_token"]
    login = f"nouvelle-{uuid.uuid4().hex[:6]}@example.fr"
    created = svc.call(
        "POST",
        "/v1/admin/accounts",
        agent,
        json={"login": login, "display_name": "Famille Durand", "contact_email": "Parent@Example.fr"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "pending_activation"
    assert body["structure_id"] == "struct-9"
    [event] = find_events(svc.topic, lambda e: e.type == "account.created" and e.account_id == body["account_id"])
    assert event.account_created.contact_email == "parent@example.fr"
    secret = svc.issue_link(event.event_id)
    assert secret not in created.text  # the secret only travels to the activation email
    assert (
        svc.call("POST", "/v1/auth/activate", json={"token": secret, "password": "my first passphrase"}).status_code
        == 204
    )
    assert (
        svc.call("POST", "/v1/auth/activate", json={"token": secret, "password": "my first passphrase"}).status_code
        == 400
    )
    login_response = svc.call("POST", "/v1/auth/login", json={"login": login, "password": "my first passphrase"})
    assert login_response.status_code == 200
    fetched = svc.call("GET", f"/v1/admin/accounts/{body['account_id']}", agent).json()
    assert fetched["status"] == "active"


def test_same_login_twice_is_a_conflict(svc):
    agent = svc.login(svc.new_account(role="agent"))["access_token"]
    login = f"twice-{uuid.uuid4().hex[:6]}@example.fr"
    assert svc.call("POST", "/v1/admin/accounts", agent, json={"login": login, "display_name": "A"}).status_code == 201
    again = svc.call("POST", "/v1/admin/accounts", agent, json={"login": login.upper(), "display_name": "B"})
    assert again.status_code == 409


def test_families_cannot_create_accounts(svc):
    family = svc.login(svc.new_account())["access_token"]
    response = svc.call("POST", "/v1/admin/accounts", family, json={"login": "x@example.fr", "display_name": "X"})
    assert response.status_code == 403


def test_agents_of_another_structure_do_not_see_the_family(svc):
    family = svc.new_account(structure="struct-1")
    outsider = svc.login(svc.new_account(role="agent", structure="struct-2"))["access_token"]
    assert svc.call("GET", f"/v1/admin/accounts/{family['account_id']}", outsider).status_code == 404


def test_invalid_emails_are_refused(svc):
    agent = svc.login(svc.new_account(role="agent"))["access_token"]
    for login in (
        "not-an-email",
        "a@b",
        "spaces in@example.fr",
        "x" * 250 + "@example.fr",
        "nul\x00byte@example.fr",
        "escape\x1b@example.fr",
        "del\x7f@example.fr",
    ):
        response = svc.call("POST", "/v1/admin/accounts", agent, json={"login": login, "display_name": "X"})
        assert response.status_code == 422, login


def test_an_expired_activation_link_is_refused_and_the_account_stays_pending(svc):
    agent = svc.login(svc.new_account(role="agent", structure="struct-9"))["access_token"]
    login = f"tardive-{uuid.uuid4().hex[:6]}@example.fr"
    created = svc.call("POST", "/v1/admin/accounts", agent, json={"login": login, "display_name": "Famille Martin"})
    account_id = created.json()["account_id"]
    [event] = find_events(svc.topic, lambda e: e.type == "account.created" and e.account_id == account_id)
    secret = svc.issue_link(event.event_id)
    # The link's 7 days elapse: move the stored deadline into the past.
    svc.set_stored("accounts", account_id, activation_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    late = svc.call("POST", "/v1/auth/activate", json={"token": secret, "password": "my passphrase"})
    assert late.status_code == 400
    assert late.headers["Content-Type"] == "application/problem+json"
    assert "expiré" in late.json()["detail"]
    assert svc.call("GET", f"/v1/admin/accounts/{account_id}", agent).json()["status"] == "pending_activation"
    refused = svc.call("POST", "/v1/auth/login", json={"login": login, "password": "my passphrase"})
    assert refused.status_code == 401


def test_display_names_must_be_visible_text(svc):
    agent = svc.login(svc.new_account(role="agent"))["access_token"]
    for name in ("   ", "Famille\x00Durand", "Famille\x1b[31mDurand"):
        login = f"nom-{uuid.uuid4().hex[:6]}@example.fr"
        response = svc.call("POST", "/v1/admin/accounts", agent, json={"login": login, "display_name": name})
        assert response.status_code == 422, repr(name)
        assert response.json()["fields"] == ["display_name"]
        assert "caractères de contrôle" in response.json()["detail"]
    login = f"nom-{uuid.uuid4().hex[:6]}@example.fr"
    kept = svc.call("POST", "/v1/admin/accounts", agent, json={"login": login, "display_name": "  Famille N'Diaye  "})
    assert kept.status_code == 201
    assert kept.json()["display_name"] == "Famille N'Diaye"
