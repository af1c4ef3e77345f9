"""Bad input gets a clear problem+json answer and leaves the stored state correct."""

import time

import pytest

from tests.identity.conftest import PASSWORD
from tests.support.tokens import SigningKey


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{oops", {"Content-Type": "application/json"}, 400),
        (b'{"login": "a@b.fr", "password": "x", "remember": true}', {"Content-Type": "application/json"}, 422),
        (b'{"login": "a@b.fr"}', {"Content-Type": "application/json"}, 422),
        (b'{"login": 42, "password": "p"}', {"Content-Type": "application/json"}, 422),
        (b'{"login": "\xff\xfe", "password": "p"}', {"Content-Type": "application/json"}, 400),
        (b"login=a&password=b", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (b"null", {"Content-Type": "application/json"}, 422),
    ],
    ids=["malformed", "unknown-field", "missing-field", "wrong-type", "not-utf8", "form", "null"],
)
def test_login_body_errors(svc, body, headers, status):
    response = svc.call("POST", "/v1/auth/login", data=body, headers=headers)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["title"]


def test_a_1mb_password_is_refused_before_hashing(svc):
    account = svc.new_account()
    started = time.perf_counter()
    response = svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": "p" * 1_000_000})
    assert response.status_code == 413
    assert time.perf_counter() - started < 5
    long_but_small = svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": "p" * 200})
    assert long_but_small.status_code == 422


@pytest.mark.parametrize("kind", ["expired", "forged", "other-audience", "garbage"])
def test_bad_tokens_are_refused(svc, kind):
    account = svc.new_account()
    good = svc.login(account)
    import jwt

    claims = jwt.decode(good["access_token"], options={"verify_signature": False})
    if kind == "expired":
        key = svc.identity.keys.current()
        token = jwt.encode(
            {**claims, "exp": int(time.time()) - 60}, key.private_key, algorithm="RS256", headers={"kid": key.kid}
        )
    elif kind == "forged":
        token = SigningKey(svc.identity.keys.current().kid).mint(**claims)
    elif kind == "other-audience":
        key = svc.identity.keys.current()
        token = jwt.encode(
            {**claims, "aud": "billing-only"}, key.private_key, algorithm="RS256", headers={"kid": key.kid}
        )
    else:
        token = "not.a.token"
    response = svc.call("GET", "/v1/account", token)
    assert response.status_code == 401
    assert response.json()["type"].endswith("invalid-token")


def test_deleting_with_a_wrong_password_keeps_the_account(svc):
    account = svc.new_account()
    token = svc.login(account)["access_token"]
    assert svc.call("DELETE", "/v1/account", token, json={"password": "wrong one"}).status_code == 403
    assert svc.call("DELETE", "/v1/account", token, json={}).status_code == 422
    assert svc.db.accounts.find_one({"_id": account["account_id"]})["status"] == "active"
    assert svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": PASSWORD}).status_code == 200


def test_refresh_garbage(svc):
    for value in ("", "no-dot", "a.b", "." * 300):
        response = svc.call("POST", "/v1/auth/refresh", json={"refresh_token": value})
        assert response.status_code in (401, 422)


def test_unknown_routes_and_methods(svc):
    assert svc.call("GET", "/v1/nothing").status_code == 404
    assert svc.call("GET", "/v1/auth/login").status_code == 405
