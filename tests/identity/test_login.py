"""Login, "Mon compte", refresh rotation and logout through real HTTP."""

import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from portal_common.auth import JwksCache, TokenVerifier
from tests.identity.conftest import ISSUER, PASSWORD, outcome_counts
from tests.support.kafka import find_events


def test_login_gives_tokens_and_mon_compte_shows_the_read_only_login(svc):
    account = svc.new_account()
    tokens = svc.login(account)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600
    me = svc.call("GET", "/v1/account", tokens["access_token"]).json()
    assert me["login"] == account["login"]
    assert me["login_modifiable"] is False
    assert me["structure_id"] == "struct-1"
    assert me["role"] == "family"
    assert me["last_login_at"]
    assert "password_hash" not in str(me)


def test_the_login_identifier_cannot_be_changed_by_anyone(svc):
    account = svc.new_account()
    token = svc.login(account)["access_token"]
    for method, path, body in [
        ("PUT", "/v1/account", {"login": "new@example.fr"}),
        ("PATCH", "/v1/account", {"login": "new@example.fr"}),
        ("PUT", "/v1/account/login", {"login": "new@example.fr"}),
    ]:
        assert svc.call(method, path, token, json=body).status_code in (404, 405)
    assert svc.call("GET", "/v1/account", token).json()["login"] == account["login"]


def test_access_token_has_rfc9068_claims_and_verifies_against_the_published_jwks(svc):
    account = svc.new_account()
    token = svc.login(account)["access_token"]
    verifier = TokenVerifier(JwksCache(svc.url + "/.well-known/jwks.json"), issuer=ISSUER, audience="portal")
    principal = verifier.verify(token)
    assert principal.account_id == account["account_id"]
    assert principal.role == "family"
    assert principal.structure_id == "struct-1"
    import jwt

    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "sid", "role", "structure_id"} <= set(claims)


def test_login_ignores_case_and_surrounding_spaces(svc):
    account = svc.new_account(login=f"Famille.{uuid.uuid4().hex[:6]}@Example.FR")
    response = svc.call(
        "POST", "/v1/auth/login", json={"login": f"  {account['login'].upper()}  ", "password": PASSWORD}
    )
    assert response.status_code == 200


def test_unknown_login_and_wrong_password_answer_the_same_in_the_same_time(svc):
    account = svc.new_account()
    wrong, unknown = [], []
    for i in range(4):
        for bucket, login in ((wrong, account["login"]), (unknown, f"nobody-{i}-{uuid.uuid4().hex[:4]}@example.fr")):
            started = time.perf_counter()
            response = svc.call("POST", "/v1/auth/login", json={"login": login, "password": "not the password!!"})
            bucket.append((time.perf_counter() - started, response.status_code, response.json()))
    assert {status for _, status, _ in wrong + unknown} == {401}
    assert {body["detail"] for _, _, body in wrong} == {body["detail"] for _, _, body in unknown}
    ratio = statistics.median(t for t, _, _ in wrong) / statistics.median(t for t, _, _ in unknown)
    assert 0.5 < ratio < 2.0  # both paths pay one Argon2id verification


def test_refresh_rotates_and_reuse_of_an_old_refresh_token_kills_the_session(svc):
    account = svc.new_account()
    first = svc.login(account)
    second = svc.call("POST", "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["session_id"] == first["session_id"]
    assert svc.call("GET", "/v1/account", second["access_token"]).status_code == 200

    replay = svc.call("POST", "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    # The whole session died: the legitimate newest refresh token and the access token too.
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 401
    assert svc.call("GET", "/v1/account", second["access_token"]).status_code == 401
    [event] = find_events(
        svc.topic, lambda e: e.type == "account.session_revoked" and e.account_id == account["account_id"]
    )
    assert event.account_session_revoked.reason == "refresh_token_reuse"
    assert list(event.account_session_revoked.session_ids) == [first["session_id"]]


def test_an_old_refresh_token_still_kills_the_session_after_many_rotations(svc):
    """A thief who refreshes a stolen token over and over must not outrun the reuse detection."""
    account = svc.new_account()
    stolen = svc.login(account)
    tokens = stolen
    for _ in range(15):
        tokens = svc.call("POST", "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]}).status_code == 401
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert svc.call("GET", "/v1/account", tokens["access_token"]).status_code == 401
    session = svc.db["sessions"].find_one({"_id": stolen["session_id"]})
    assert session["revoked_reason"] == "refresh_token_reuse"
    assert "previous_refresh_digests" not in session  # only the current digest is kept, whatever the count


def test_one_refresh_token_used_concurrently_is_rotated_once_and_the_session_ends(svc):
    account = svc.new_account()
    tokens = svc.login(account)
    start = threading.Barrier(6)

    def use_it(_: int) -> requests.Response:
        start.wait()
        return svc.call("POST", "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(use_it, range(6)))
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401, 401, 401]
    [winner] = [a.json() for a in answers if a.status_code == 200]
    # The losers presented a token that had just been rotated out: a replay, so the session ended.
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]}).status_code == 401
    assert svc.db["sessions"].find_one({"_id": tokens["session_id"]})["revoked_reason"] == "refresh_token_reuse"


def test_a_made_up_secret_for_a_live_session_ends_it_and_an_unknown_session_changes_nothing(svc):
    account = svc.new_account()
    tokens = svc.login(account)
    other = svc.login(account)
    unknown = svc.call("POST", "/v1/auth/refresh", json={"refresh_token": f"{uuid.uuid4().hex}.made-up"})
    assert unknown.status_code == 401
    assert unknown.headers["Content-Type"] == "application/problem+json"
    assert svc.call("GET", "/v1/account", tokens["access_token"]).status_code == 200

    made_up = svc.call("POST", "/v1/auth/refresh", json={"refresh_token": f"{tokens['session_id']}.made-up"})
    assert made_up.status_code == 401
    assert svc.call("GET", "/v1/account", tokens["access_token"]).status_code == 401
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    # Only that session: the family's other device stays signed in.
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_logout_ends_the_session_everywhere(svc):
    account = svc.new_account()
    tokens = svc.login(account)
    assert svc.call("POST", "/v1/auth/logout", tokens["access_token"]).status_code == 204
    assert svc.call("GET", "/v1/account", tokens["access_token"]).status_code == 401
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    [event] = find_events(svc.topic, lambda e: e.type == "account.logged_out" and e.account_id == account["account_id"])
    assert list(event.account_logged_out.session_ids) == [tokens["session_id"]]


def test_sessions_are_listed_and_can_be_ended_one_by_one_or_all_others(svc):
    account = svc.new_account()
    phone = svc.login(account, headers={"User-Agent": "Phone/1.0"})
    laptop = svc.login(account, headers={"User-Agent": "Laptop/2.0"})
    tablet = svc.login(account, headers={"User-Agent": "Tablet/3.0"})
    listed = svc.call("GET", "/v1/account/sessions", phone["access_token"]).json()["items"]
    assert [s["user_agent"] for s in listed] == ["Tablet/3.0", "Laptop/2.0", "Phone/1.0"]
    assert [s["current"] for s in listed] == [False, False, True]
    assert all(s["ip"] == "127.0.0.1" and s["created_at"] and s["last_used_at"] for s in listed)

    assert svc.call("DELETE", f"/v1/account/sessions/{laptop['session_id']}", phone["access_token"]).status_code == 204
    assert svc.call("GET", "/v1/account", laptop["access_token"]).status_code == 401
    assert svc.call("DELETE", f"/v1/account/sessions/{laptop['session_id']}", phone["access_token"]).status_code == 404

    ended = svc.call("POST", "/v1/account/sessions/end-others", phone["access_token"]).json()
    assert ended == {"ended_sessions": 1}
    assert svc.call("GET", "/v1/account", tablet["access_token"]).status_code == 401
    assert svc.call("GET", "/v1/account", phone["access_token"]).status_code == 200


def test_a_family_cannot_end_another_familys_session(svc):
    mine, theirs = svc.new_account(), svc.new_account()
    my_tokens, their_tokens = svc.login(mine), svc.login(theirs)
    response = svc.call("DELETE", f"/v1/account/sessions/{their_tokens['session_id']}", my_tokens["access_token"])
    assert response.status_code == 404
    assert svc.call("GET", "/v1/account", their_tokens["access_token"]).status_code == 200


def test_pending_account_cannot_log_in(svc):
    from portal_identity import accounts

    account = accounts.create_account(
        svc.identity,
        structure_id="struct-1",
        login=f"p-{uuid.uuid4().hex[:6]}@ex.fr",
        contact_email=None,
        display_name="X",
        role="family",
        created_by="t",
    )
    response = svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": PASSWORD})
    assert response.status_code == 401


def test_metrics_count_logins_and_refreshes_by_outcome_for_the_security_dashboard(svc):
    before = outcome_counts(svc)
    account = svc.new_account()
    first = svc.login(account)
    wrong = svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": "not the password"})
    assert wrong.status_code == 401
    second = svc.call("POST", "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 401
    newest = second.json()["refresh_token"]
    assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": newest}).status_code == 401
    after = outcome_counts(svc)

    changes = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
    assert changes == {
        ("portal_identity_logins_total", "succeeded"): 1,
        ("portal_identity_logins_total", "bad_credentials"): 1,
        ("portal_identity_refreshes_total", "rotated"): 1,
        ("portal_identity_refreshes_total", "reuse_detected"): 1,  # the replay ends the session ...
        ("portal_identity_refreshes_total", "refused"): 1,  # ... so its newest token is refused
    }
    assert {outcome for name, outcome in after if name == "portal_identity_logins_total"} == {
        "succeeded",
        "bad_credentials",
        "throttled",
    }
