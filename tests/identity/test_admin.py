"""Agents create family accounts; the mailer asks identity for the activation link (IssueLink)."""

import uuid
from datetime import UTC, datetime, timedelta

from tests.support.kafka import find_events
from tests.support.wait import wait_for


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


def test_an_agent_disables_another_agent_of_its_structure_and_every_session_ends(svc):
    """#20 finding 4: an agent who leaves is disabled by a colleague; its tokens die everywhere (the event
    revokes like a deletion), it cannot sign in, and the history says who did it."""
    structure = f"struct-{uuid.uuid4().hex[:6]}"
    colleague = svc.new_account(role="agent", structure=structure)
    leaving = svc.new_account(role="agent", structure=structure)
    boss = svc.login(colleague)["access_token"]
    session = svc.login(leaving)
    outsider = svc.login(svc.new_account(role="agent"))["access_token"]
    family = svc.new_account(structure=structure)

    assert svc.call("POST", f"/v1/admin/agents/{leaving['account_id']}/disable", outsider).status_code == 404
    assert svc.call("POST", f"/v1/admin/agents/{family['account_id']}/disable", boss).status_code == 404
    myself = svc.call("POST", f"/v1/admin/agents/{colleague['account_id']}/disable", boss)
    assert myself.status_code == 409
    assert myself.json()["detail"] == "Vous ne pouvez pas désactiver votre propre compte."

    disabled = svc.call("POST", f"/v1/admin/agents/{leaving['account_id']}/disable", boss)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["status"] == "disabled"
    assert svc.call("GET", "/v1/account", session["access_token"]).status_code == 401
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    signed_in = svc.call("POST", "/v1/auth/login", json={"login": leaving["login"], "password": leaving["password"]})
    assert signed_in.status_code == 401
    assert svc.call("POST", f"/v1/admin/agents/{leaving['account_id']}/disable", boss).status_code == 409
    [event] = find_events(svc.topic, lambda e: e.type == "account.disabled" and e.account_id == leaving["account_id"])
    assert event.account_disabled.disabled_by == colleague["account_id"]
    assert list(event.account_disabled.revoked_session_ids) == [session["session_id"]]
    history = wait_for(
        lambda: svc.db.activity.find_one({"account_id": leaving["account_id"], "type": "account.disabled"}),
        what="the history entry",
    )
    assert history["label"] == "Compte désactivé par la structure"
    assert history["details"] == {"disabled_by": colleague["account_id"]}
    # The colleagues page lists the structure's agents only, the disabled one as such; never to a family.
    listed = svc.call("GET", "/v1/admin/agents", boss)
    assert listed.status_code == 200, listed.text
    statuses = {a["account_id"]: a["status"] for a in listed.json()["items"]}
    assert statuses == {colleague["account_id"]: "active", leaving["account_id"]: "disabled"}
    assert svc.call("GET", "/v1/admin/agents", svc.login(family)["access_token"]).status_code == 403


def test_agents_see_families_without_their_addresses_and_never_other_agents(svc):
    structure = f"struct-{uuid.uuid4().hex[:6]}"
    agent = svc.login(svc.new_account(role="agent", structure=structure))["access_token"]
    other_agent = svc.new_account(role="agent", structure=structure)
    svc.login(other_agent)
    family = svc.new_account(structure=structure)
    mine = svc.login(family)["access_token"]
    for path in ("", "/activity"):
        assert svc.call("GET", f"/v1/admin/accounts/{other_agent['account_id']}{path}", agent).status_code == 404

    def login_entries(token: str, path: str) -> list[dict]:
        items = svc.call("GET", path, token).json()["items"]
        return [i for i in items if i["type"] == "account.login_succeeded"]

    own = wait_for(lambda: login_entries(mine, "/v1/account/activity"), what="the family's login in its history")
    assert own[0]["details"]["ip"] == "127.0.0.1"  # the family checks where it signed in from
    seen = login_entries(agent, f"/v1/admin/accounts/{family['account_id']}/activity")
    assert seen
    assert "ip" not in seen[0]["details"]
    assert "user_agent" not in seen[0]["details"]


def test_an_agent_adds_a_colleague_to_its_own_structure_and_a_family_cannot(svc):
    structure = f"struct-{uuid.uuid4().hex[:6]}"
    agent = svc.login(svc.new_account(role="agent", structure=structure))["access_token"]
    family = svc.login(svc.new_account(structure=structure))["access_token"]
    login = f"collegue-{uuid.uuid4().hex[:6]}@mairie.fr"
    body = {"login": login, "display_name": "Agent Deux", "structure_id": "another"}
    assert svc.call("POST", "/v1/admin/agents", agent, json=body).status_code == 422  # no structure to choose
    del body["structure_id"]
    assert svc.call("POST", "/v1/admin/agents", family, json=body).status_code == 403
    created = svc.call("POST", "/v1/admin/agents", agent, json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["role"], created.json()["structure_id"]) == ("agent", structure)
    [event] = find_events(
        svc.topic, lambda e: e.type == "account.created" and e.account_id == created.json()["account_id"]
    )
    assert event.account_created.role == "agent"
    secret = svc.issue_link(event.event_id)  # the activation email's link
    assert (
        svc.call("POST", "/v1/auth/activate", json={"token": secret, "password": "phrase de passe agent"}).status_code
        == 204
    )


def test_an_agent_finds_its_structures_families_by_login_name_or_email_and_by_status(svc):
    structure = f"struct-search-{uuid.uuid4().hex[:6]}"
    agent = svc.login(svc.new_account(role="agent", structure=structure))["access_token"]
    created = []
    for name, email in (("Famille Lefèvre", "maman.lefevre@example.fr"), ("Famille Nguyen (a+b)", None)):
        answer = svc.call(
            "POST",
            "/v1/admin/accounts",
            agent,
            json={
                "login": f"{uuid.uuid4().hex[:6]}@example.fr",
                "display_name": name,
                **({"contact_email": email} if email else {}),
            },
        )
        assert answer.status_code == 201, answer.text
        created.append(answer.json())
    active = svc.new_account(structure=structure)
    svc.new_account(structure="struct-elsewhere", login=f"lefevre-{uuid.uuid4().hex[:6]}@example.fr")

    def found(**params: str) -> list[str]:
        answer = svc.call("GET", "/v1/admin/accounts", agent, params=params)
        assert answer.status_code == 200, answer.text
        return [a["account_id"] for a in answer.json()["items"]]

    lefevre, nguyen = (a["account_id"] for a in created)
    assert found() == [active["account_id"], nguyen, lefevre]  # newest first, families only, no other structure
    assert found(q="LEFÈVRE") == [lefevre]  # any case
    assert found(q="MAMAN.lefevre@") == [lefevre]  # the contact email
    assert found(q=active["login"]) == [active["account_id"]]
    assert found(q="(a+b)") == [nguyen]  # text, not a pattern
    assert found(q=".*") == []
    assert found(status="active") == [active["account_id"]]
    assert found(status="pending_activation") == [nguyen, lefevre]

    first = svc.call("GET", "/v1/admin/accounts", agent, params={"limit": 2}).json()
    rest = svc.call("GET", "/v1/admin/accounts", agent, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [a["account_id"] for a in first["items"] + rest["items"]] == [active["account_id"], nguyen, lefevre]
    assert rest["next_cursor"] is None

    refused = svc.call("GET", "/v1/admin/accounts", agent, params={"status": "purged"})
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    family = svc.login(active)["access_token"]
    assert svc.call("GET", "/v1/admin/accounts", family).status_code == 403


def test_an_agent_sends_its_family_the_forgotten_password_email_and_only_its_own(svc):
    structure = f"struct-reset-{uuid.uuid4().hex[:6]}"
    agent = svc.login(svc.new_account(role="agent", structure=structure))["access_token"]
    family = svc.new_account(structure=structure)
    sent = svc.call("POST", f"/v1/admin/accounts/{family['account_id']}/password-reset", agent)
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"sent_to": family["login"]}
    event_id = svc.db.accounts.find_one({"_id": family["account_id"]})["reset_event_id"]
    secret = svc.issue_link(event_id)  # what the email carries
    new_password = "chosen at the desk with help"
    confirmed = svc.call(
        "POST", "/v1/auth/password-reset/confirm", json={"token": secret, "new_password": new_password}
    )
    assert confirmed.status_code == 204, confirmed.text
    svc.login({**family, "password": new_password})

    outsider = svc.login(svc.new_account(role="agent", structure="struct-other-reset"))["access_token"]
    assert svc.call("POST", f"/v1/admin/accounts/{family['account_id']}/password-reset", outsider).status_code == 404
    own = svc.login({**family, "password": new_password})["access_token"]
    assert svc.call("POST", f"/v1/admin/accounts/{family['account_id']}/password-reset", own).status_code == 403
    pending = svc.call(
        "POST", "/v1/admin/accounts", agent, json={"login": f"p-{uuid.uuid4().hex[:6]}@ex.fr", "display_name": "P"}
    )
    refused = svc.call("POST", f"/v1/admin/accounts/{pending.json()['account_id']}/password-reset", agent)
    assert refused.status_code == 409
    assert "pas actif" in refused.json()["detail"]


def test_an_agent_resends_an_activation_link_which_replaces_the_expired_one(svc):
    structure = f"struct-resend-{uuid.uuid4().hex[:6]}"
    agent_account = svc.new_account(role="agent", structure=structure)
    agent = svc.login(agent_account)["access_token"]
    login = f"perdu-{uuid.uuid4().hex[:6]}@example.fr"
    created = svc.call("POST", "/v1/admin/accounts", agent, json={"login": login, "display_name": "Famille Petit"})
    account_id = created.json()["account_id"]
    [first] = find_events(svc.topic, lambda e: e.type == "account.created" and e.account_id == account_id)
    old_secret = svc.issue_link(first.event_id)
    svc.set_stored("accounts", account_id, activation_expires_at=datetime.now(UTC) - timedelta(seconds=1))

    sent = svc.call("POST", f"/v1/admin/accounts/{account_id}/activation", agent)
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"sent_to": login}
    [resent] = find_events(svc.topic, lambda e: e.type == "account.activation_resent" and e.account_id == account_id)
    assert resent.account_activation_resent.contact_email == login
    assert resent.account_activation_resent.resent_by == agent_account["account_id"]
    expires = resent.account_activation_resent.activation_expires_at.ToDatetime(tzinfo=UTC)
    assert expires > datetime.now(UTC) + timedelta(days=6)  # the full period again
    new_secret = svc.issue_link(resent.event_id)  # what the new email carries
    refused = svc.call("POST", "/v1/auth/activate", json={"token": old_secret, "password": "my first passphrase"})
    assert refused.status_code == 400  # the earlier link is dead
    activated = svc.call("POST", "/v1/auth/activate", json={"token": new_secret, "password": "my first passphrase"})
    assert activated.status_code == 204, activated.text
    late = svc.call("POST", f"/v1/admin/accounts/{account_id}/activation", agent)
    assert late.status_code == 409
    assert "déjà activé" in late.json()["detail"]

    outsider = svc.login(svc.new_account(role="agent", structure="struct-other-resend"))["access_token"]
    assert svc.call("POST", f"/v1/admin/accounts/{account_id}/activation", outsider).status_code == 404
    family = svc.login({"login": login, "password": "my first passphrase"})["access_token"]
    assert svc.call("POST", f"/v1/admin/accounts/{account_id}/activation", family).status_code == 403
