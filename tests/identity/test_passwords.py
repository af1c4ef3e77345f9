"""Change password (current password required) and forgotten password."""

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from portal_identity import passwords
from tests.identity.conftest import PASSWORD
from tests.support.kafka import find_events

NEW = "a brand new long passphrase"


def change(svc, token, current, new, **extra):
    return svc.call(
        "PUT", "/v1/account/password", token, json={"current_password": current, "new_password": new, **extra}
    )


def test_change_requires_the_current_password(svc):
    account = svc.new_account()
    token = svc.login(account)["access_token"]
    response = change(svc, token, "wrong current password", NEW)
    assert response.status_code == 403
    assert response.json()["title"] == "Mot de passe incorrect"
    assert response.json()["fields"] == ["current_password"]  # where a form shows it
    assert svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize(
    ("new", "slug"),
    [
        ("short pass", "password-length"),
        ("x" * 129, "validation-error"),  # refused by the field's bound, before any hashing
        ("qwerty123456", "password-too-common"),
        ("1qaz2wsx3edc", "password-too-common"),
    ],
)
def test_weak_new_passwords_are_refused(svc, new, slug):
    account = svc.new_account()
    token = svc.login(account)["access_token"]
    response = change(svc, token, PASSWORD, new)
    assert response.status_code == 422
    assert response.json()["type"].endswith(slug)
    assert response.json()["fields"] == ["new_password"]


def test_the_login_is_not_a_password(svc):
    account = svc.new_account(login="famille.martin.2026@example.fr")
    token = svc.login(account)["access_token"]
    assert change(svc, token, PASSWORD, "famille.martin.2026@example.fr").json()["type"].endswith("password-is-login")


def test_no_composition_rules(svc):
    account = svc.new_account()
    token = svc.login(account)["access_token"]
    assert change(svc, token, PASSWORD, "toutes les lettres en minuscules").status_code == 200


def test_change_signs_out_other_sessions_by_default_and_tells_the_family(svc):
    account = svc.new_account()
    here, elsewhere = svc.login(account), svc.login(account)
    response = change(svc, here["access_token"], PASSWORD, NEW)
    assert response.json() == {"ended_sessions": 1}
    assert svc.call("GET", "/v1/account", elsewhere["access_token"]).status_code == 401
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}).status_code == 401
    assert svc.call("GET", "/v1/account", here["access_token"]).status_code == 200
    assert svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": PASSWORD}).status_code == 401
    assert svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": NEW}).status_code == 200
    [event] = find_events(
        svc.topic, lambda e: e.type == "account.password_changed" and e.account_id == account["account_id"]
    )
    assert list(event.account_password_changed.revoked_session_ids) == [elsewhere["session_id"]]
    assert event.account_password_changed.contact_email == account["login"]


def test_other_sessions_can_be_kept(svc):
    account = svc.new_account()
    here, elsewhere = svc.login(account), svc.login(account)
    assert change(svc, here["access_token"], PASSWORD, NEW, sign_out_other_sessions=False).json() == {
        "ended_sessions": 0
    }
    assert svc.call("GET", "/v1/account", elsewhere["access_token"]).status_code == 200


def test_concurrent_changes_leave_exactly_one_new_password(svc):
    account = svc.new_account()
    token = svc.login(account)["access_token"]
    candidates = ["first concurrent passphrase", "second concurrent passphrase"]
    results = {}

    def run(new):
        results[new] = change(svc, token, PASSWORD, new, sign_out_other_sessions=False).status_code

    threads = [threading.Thread(target=run, args=(c,)) for c in candidates]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values())[0] == 200
    assert sorted(results.values())[1] in (
        403,
        409,
    )  # refused: it raced or its "current" password was no longer current
    winner = next(c for c, status in results.items() if status == 200)
    stored = svc.db.accounts.find_one({"_id": account["account_id"]})["password_hash"]
    assert passwords.verify_password(stored, winner)
    assert not passwords.verify_password(stored, next(c for c in candidates if c != winner))


def test_forgotten_password_flow(svc):
    account = svc.new_account()
    tokens = svc.login(account)
    unknown = svc.call("POST", "/v1/auth/password-reset", json={"login": "nobody@example.fr"})
    known = svc.call("POST", "/v1/auth/password-reset", json={"login": account["login"]})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    [event] = find_events(
        svc.topic, lambda e: e.type == "account.password_reset_requested" and e.account_id == account["account_id"]
    )
    assert event.account_password_reset_requested.contact_email == account["login"]
    secret = svc.issue_link(event.event_id)  # as the mailer asks for it

    assert (
        svc.call("POST", "/v1/auth/password-reset/confirm", json={"token": secret, "new_password": "short"}).status_code
        == 422
    )
    assert (
        svc.call("POST", "/v1/auth/password-reset/confirm", json={"token": secret, "new_password": NEW}).status_code
        == 204
    )
    assert svc.call("GET", "/v1/account", tokens["access_token"]).status_code == 401  # every session ended
    again = svc.call(
        "POST", "/v1/auth/password-reset/confirm", json={"token": secret, "new_password": "yet another passphrase"}
    )
    assert again.status_code == 400  # single use
    assert svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": NEW}).status_code == 200
    [changed] = find_events(
        svc.topic, lambda e: e.type == "account.password_changed" and e.account_id == account["account_id"]
    )
    assert changed.account_password_changed.via_reset
    assert list(changed.account_password_changed.revoked_session_ids) == [tokens["session_id"]]


def test_an_invented_reset_token_is_refused(svc):
    response = svc.call("POST", "/v1/auth/password-reset/confirm", json={"token": "made-up", "new_password": NEW})
    assert response.status_code == 400


def test_hashes_use_owasp_argon2id_parameters(svc):
    account = svc.new_account()
    stored = svc.db.accounts.find_one({"_id": account["account_id"]})["password_hash"]
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_old_parameters_are_rehashed_at_login(svc):
    from argon2 import PasswordHasher

    account = svc.new_account()
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    svc.set_stored("accounts", account["account_id"], password_hash=weak)
    svc.login(account)
    assert svc.db.accounts.find_one({"_id": account["account_id"]})["password_hash"].startswith(
        "$argon2id$v=19$m=19456,t=2"
    )


def test_no_more_hashes_run_at_once_than_there_are_cores(monkeypatch):
    """19 MiB each: a burst of logins on every HTTP thread must not multiply the memory."""
    cores = len(os.sched_getaffinity(0))
    real = passwords.HASHER
    running, peak, lock = [0], [0], threading.Lock()

    class CountingHasher:
        def verify(self, stored: str, password: str) -> bool:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                return real.verify(stored, password)
            finally:
                with lock:
                    running[0] -= 1

    stored = real.hash(PASSWORD)
    monkeypatch.setattr(passwords, "HASHER", CountingHasher())
    results: list[bool] = []
    burst = [
        threading.Thread(target=lambda: results.append(passwords.verify_password(stored, PASSWORD)))
        for _ in range(cores * 4)
    ]
    for thread in burst:
        thread.start()
    for thread in burst:
        thread.join()
    assert results == [True] * len(burst)
    assert peak[0] == cores


def test_an_expired_reset_link_is_refused_and_the_password_stays(svc):
    account = svc.new_account()
    assert svc.call("POST", "/v1/auth/password-reset", json={"login": account["login"]}).status_code == 202
    [event] = find_events(
        svc.topic, lambda e: e.type == "account.password_reset_requested" and e.account_id == account["account_id"]
    )
    secret = svc.issue_link(event.event_id)
    # The link's hour elapses: move the stored deadline into the past.
    svc.set_stored("accounts", account["account_id"], reset_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    late = svc.call("POST", "/v1/auth/password-reset/confirm", json={"token": secret, "new_password": NEW})
    assert late.status_code == 400
    assert late.headers["Content-Type"] == "application/problem+json"
    assert "expiré" in late.json()["detail"]
    assert svc.login(account)["access_token"]  # the old password still works
    refused = svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": NEW})
    assert refused.status_code == 401


def test_the_reset_page_speaks_the_readers_language_and_says_how_long_a_link_lasts(svc):
    """The emailed link's page follows the language chosen on the portal (the `langue` cookie), else the browser's;
    how long such a link works comes from the settings (PASSWORD_RESET_TTL_SECONDS, one hour here)."""
    token = svc.reset_link(svc.new_account()["login"])
    page = f"/mot-de-passe/nouveau?token={token}"
    french = svc.call("GET", page)
    assert '<html lang="fr">' in french.text
    assert "<title>Choisissez un nouveau mot de passe — Portail famille</title>" in french.text
    english = svc.call("GET", page, headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in english.text
    assert "<h1>Choose a new password</h1>" in english.text
    assert "New password" in english.text
    chosen = svc.call("GET", page, headers={"Accept-Language": "en"}, cookies={"langue": "fr"})
    assert '<html lang="fr">' in chosen.text  # the portal's choice wins over the browser's

    different = {"token": token, "password": "une phrase assez longue", "confirmation": "une autre phrase longue"}
    refused = svc.call("POST", "/mot-de-passe/nouveau", data=different, cookies={"langue": "en"})
    assert refused.status_code == 422
    assert "The two passwords differ." in refused.text
    unknown = {"token": "inconnu", "password": "une phrase assez longue", "confirmation": "une phrase assez longue"}
    gone = svc.call("POST", "/mot-de-passe/nouveau", data=unknown, cookies={"langue": "en"})
    assert gone.status_code == 400
    assert "A reset link works once and for 1 hour" in gone.text
    assert "pendant 1 heure" in svc.call("POST", "/mot-de-passe/nouveau", data=unknown).text
