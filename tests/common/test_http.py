"""The Flask base app through real HTTP (waitress): every error path is problem+json in French."""

import pytest
import requests
from flask import request

from portal_common.auth import JwksCache, TokenVerifier
from portal_common.bodies import accepts, body, obj, string
from portal_common.http import create_base_app, principal, require_auth
from portal_common.problems import PROBLEM_CONTENT_TYPE, Problem
from tests.support.servers import base_url, running
from tests.support.tokens import AUDIENCE, ISSUER, JwksServer, SigningKey

KEY = SigningKey("http-k1")
READY = {"database": True}


@pytest.fixture(scope="module")
def url():
    jwks = JwksServer(KEY)
    verifier = TokenVerifier(JwksCache(jwks.url), issuer=ISSUER, audience=AUDIENCE)
    app = create_base_app(
        "sample", max_request_bytes=2048, readiness={"database": lambda: READY["database"]}, verifier=verifier
    )

    @app.post("/v1/things")
    @accepts(obj({"name": string(1, 20)}, {"note": string(0, 20), "count": {"type": "integer", "minimum": 0}}))
    def create_thing():
        return {"name": body()["name"]}, 201

    @app.get("/v1/boom")
    def boom():
        raise RuntimeError("password=hunter2 exploded")

    @app.get("/v1/conflict")
    def conflict():
        raise Problem(409, "Déjà fait.", slug="already-done")

    @app.get("/v1/mine")
    @require_auth("family")
    def mine():
        return {"account": principal().account_id, "echo": request.args.get("x")}

    with running(app) as runtime:
        yield base_url(runtime)
    jwks.close()


def assert_problem(response, status, slug=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"] is not None
    assert body["type"].startswith("https://")
    if slug:
        assert body["type"].endswith("/" + slug)
    return body


def test_success_path(url):
    response = requests.post(f"{url}/v1/things", json={"name": "a"}, timeout=5)
    assert response.status_code == 201
    assert response.json() == {"name": "a"}
    assert response.headers["X-Request-ID"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_404_405_problem(url):
    assert assert_problem(requests.get(f"{url}/v1/nope", timeout=5), 404)["title"] == "Ressource introuvable"
    response = requests.delete(f"{url}/v1/things", timeout=5)
    assert assert_problem(response, 405)["title"] == "Méthode non autorisée"
    assert "POST" in response.headers["Allow"]


def test_413_when_body_exceeds_the_limit(url):
    response = requests.post(
        f"{url}/v1/things",
        data=b'{"name": "' + b"a" * 5000 + b'"}',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert assert_problem(response, 413)["title"] == "Contenu trop volumineux"


def test_415_when_not_json(url):
    response = requests.post(f"{url}/v1/things", data="name=a", headers={"Content-Type": "text/plain"}, timeout=5)
    assert_problem(response, 415)


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        (b"{not json", 400, "malformed-json"),
        (b"[" * 1000 + b"]" * 1000, 400, "malformed-json"),
        (b"\xff\xfe\x00garbage", 400, "invalid-encoding"),
        (b"[1, 2]", 422, "validation-error"),
        (b'{"name": "a", "admin": true}', 422, "unknown-fields"),
        (b'{"note": "x"}', 422, "missing-fields"),
        (b'{"name": 7}', 422, "validation-error"),
        (b'{"name": ""}', 422, "validation-error"),
        (b'{"name": "a", "count": -1}', 422, "validation-error"),
        (b'{"name": "a", "count": true}', 422, "validation-error"),
    ],
    ids=[
        "malformed",
        "nested-deeper-than-the-parser-stack",
        "not-utf8",
        "not-an-object",
        "unknown-field",
        "missing-field",
        "wrong-type",
        "too-short",
        "below-minimum",
        "bool-for-integer",
    ],
)
def test_bad_json_bodies(url, body, status, slug):
    response = requests.post(f"{url}/v1/things", data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert_problem(response, status, slug)


def test_a_schema_error_names_the_field_in_french(url):
    response = requests.post(f"{url}/v1/things", json={"name": "a", "note": "x" * 21}, timeout=5)
    body = assert_problem(response, 422)
    assert body["fields"] == ["note"]
    assert body["detail"] == "Le champ note doit contenir entre 0 et 20 caractères."
    unknown = assert_problem(requests.post(f"{url}/v1/things", json={"name": "a", "x": 1, "y": 2}, timeout=5), 422)
    assert unknown["fields"] == ["x", "y"]


def test_openapi_publishes_the_schema_the_route_validates_with(url):
    operation = requests.get(f"{url}/openapi.json", timeout=5).json()["paths"]["/v1/things"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["name"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"name", "note", "count"}


def test_500_is_a_problem_without_internals(url):
    body = assert_problem(requests.get(f"{url}/v1/boom", timeout=5), 500)
    assert "hunter2" not in str(body)
    assert "RuntimeError" not in str(body)


def test_domain_problem_keeps_its_type(url):
    assert_problem(requests.get(f"{url}/v1/conflict", timeout=5), 409, "already-done")


def test_auth_required_and_role_checked(url):
    assert_problem(requests.get(f"{url}/v1/mine", timeout=5), 401)
    bad = requests.get(f"{url}/v1/mine", headers={"Authorization": "Bearer abc.def.ghi"}, timeout=5)
    assert_problem(bad, 401, "invalid-token")
    assert "invalid_token" in bad.headers["WWW-Authenticate"]
    agent = requests.get(f"{url}/v1/mine", headers={"Authorization": f"Bearer {KEY.mint(role='agent')}"}, timeout=5)
    assert_problem(agent, 403)
    ok = requests.get(f"{url}/v1/mine", headers={"Authorization": f"Bearer {KEY.mint()}"}, timeout=5)
    assert ok.json()["account"] == "acc-1"


def test_health_readiness_and_metrics(url):
    assert requests.get(f"{url}/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{url}/readyz", timeout=5).status_code == 200
    READY["database"] = False
    try:
        not_ready = requests.get(f"{url}/readyz", timeout=5)
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"] == {"database": False}
    finally:
        READY["database"] = True
    requests.post(f"{url}/v1/things", json={"name": "a"}, timeout=5)
    text = requests.get(f"{url}/metrics", timeout=5).text
    assert (
        'portal_http_request_duration_seconds_count{method="POST",route="/v1/things",service="sample",status="201"}'
        in text
    )


def test_incoming_request_id_is_echoed_and_unsafe_ones_replaced(url):
    assert (
        requests.get(f"{url}/healthz", headers={"X-Request-ID": "abc-123"}, timeout=5).headers["X-Request-ID"]
        == "abc-123"
    )
    replaced = requests.get(f"{url}/healthz", headers={"X-Request-ID": "bad id\twith spaces"}, timeout=5)
    assert replaced.headers["X-Request-ID"] != "bad id\twith spaces"


@pytest.mark.parametrize(("hops", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_the_client_address_comes_from_trusted_proxies_only(hops, seen):
    app = create_base_app("sample", max_request_bytes=2048, readiness={}, trusted_proxy_hops=hops)

    @app.get("/v1/whoami")
    def whoami():
        return {"ip": request.remote_addr}

    with running(app) as runtime:
        # The proxy appends the address it saw; anything the client put before it is not believed.
        headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
        assert requests.get(f"{base_url(runtime)}/v1/whoami", headers=headers, timeout=5).json() == {"ip": seen}


@pytest.mark.parametrize(("hops", "hsts"), [(0, False), (1, True)])
def test_hsts_goes_with_what_the_trusted_proxy_received_over_https(hops, hsts):
    """#20 finding 8: behind the Ingress (TLS by default), every answer tells browsers to stay on HTTPS for a
    year; a client cannot get it by claiming HTTPS itself when no proxy is trusted."""
    app = create_base_app("sample", max_request_bytes=2048, readiness={}, trusted_proxy_hops=hops)
    with running(app) as runtime:
        over_https = requests.get(f"{base_url(runtime)}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=5)
        plain = requests.get(f"{base_url(runtime)}/healthz", timeout=5)
    assert ("Strict-Transport-Security" in over_https.headers) is hsts
    if hsts:
        assert over_https.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in plain.headers
