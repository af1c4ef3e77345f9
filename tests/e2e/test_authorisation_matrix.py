"""Authorisation matrix over the services' routes, through the gateway: who gets what.

Principals: nobody, an expired token, the owner family, another family of the same structure, an agent of
the same structure, an agent of another structure, the token of a deleted account. Every cell's status is
written below; and no answer to anyone but the owner and its structure's agents contains the owner's data.
"""

import re
import time
import uuid

import jwt
import pytest

from tests.support.env import MAILDIR
from tests.support.sinks import SmtpSink, part_of
from tests.support.wait import wait_for

RUN = uuid.uuid4().hex[:6]
STRUCTURE, OTHER_STRUCTURE = f"ville-{RUN}", f"autre-{RUN}"
PASSWORD = "matrice des autorisations"
CHILD = f"Enfant-{RUN}"
PRINCIPALS = ["nobody", "expired", "owner", "other_family", "agent", "other_agent", "deleted"]
pytestmark = pytest.mark.slow


def login(platform, who: str) -> str:
    response = platform.call("POST", "/v1/auth/login", json={"login": who, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def new_family(platform, agent: str, login_name: str) -> str:
    created = platform.call("POST", "/v1/admin/accounts", agent, json={"login": login_name, "display_name": "F"})
    assert created.status_code == 201, created.text
    message = wait_for(lambda: SmtpSink(MAILDIR).messages(to=login_name), timeout=20, what="activation email")[0]
    secret = re.search(r"token=([A-Za-z0-9_-]+)", part_of(message)).group(1)
    assert platform.call("POST", "/v1/auth/activate", json={"token": secret, "password": PASSWORD}).status_code == 204
    return created.json()["account_id"]


@pytest.fixture(scope="module")
def world(platform):
    tokens: dict[str, str | None] = {"nobody": None}
    agent_login, other_agent_login = f"agent.{RUN}@ville.fr", f"agent.{RUN}@autre.fr"
    for structure, who in ((STRUCTURE, agent_login), (OTHER_STRUCTURE, other_agent_login)):
        secret = platform.create_agent(structure, who)
        assert (
            platform.call("POST", "/v1/auth/activate", json={"token": secret, "password": PASSWORD}).status_code == 204
        )
    tokens["agent"], tokens["other_agent"] = login(platform, agent_login), login(platform, other_agent_login)
    owner_login, other_login, deleted_login = (f"{n}.{RUN}@example.fr" for n in ("owner", "other", "deleted"))
    owner_id = new_family(platform, tokens["agent"], owner_login)
    new_family(platform, tokens["agent"], other_login)
    new_family(platform, tokens["agent"], deleted_login)
    tokens["owner"], tokens["other_family"], tokens["deleted"] = (
        login(platform, w) for w in (owner_login, other_login, deleted_login)
    )
    kid, pem = platform.signing_key()
    claims = jwt.decode(tokens["owner"], options={"verify_signature": False})
    tokens["expired"] = jwt.encode(
        {**claims, "exp": int(time.time()) - 60}, pem, algorithm="RS256", headers={"kid": kid}
    )

    # The owner's data: an invoice, a statement, a document, a feed entry, a push device.
    platform.record_invoice(
        STRUCTURE,
        owner_id,
        external_id=f"m-{RUN}",
        number=f"M-{RUN}",
        child=CHILD,
        issue_date="2026-03-31",
        amount_cents=10_000,
    )
    statement = platform.call(
        "POST", "/v1/statements", tokens["owner"], json={"period_start": "2026-01-01", "period_end": "2026-06-30"}
    ).json()
    document = wait_for(
        lambda: (lambda r: r.json() if r.status_code == 201 else None)(
            platform.call(
                "POST",
                f"/v1/admin/families/{owner_id}/documents",
                tokens["agent"],
                files={"file": ("a.pdf", b"%PDF-1.4\n" + CHILD.encode() + b"\n%%EOF\n")},
                data={"title": f"Doc {CHILD}"},
            )
        ),
        timeout=20,
        what="document sent",
    )
    wait_for(
        lambda: platform.call("GET", "/v1/notification-preferences", tokens["owner"]).status_code == 200,
        what="notification knows the owner",
    )
    device = platform.call(
        "POST", "/v1/push-devices", tokens["owner"], json={"kind": "ntfy", "target": f"owner-{RUN}-topic"}
    ).json()
    feed = wait_for(
        lambda: platform.call("GET", "/v1/notifications", tokens["owner"]).json()["items"],
        timeout=20,
        what="owner's feed entry",
    )
    sessions = platform.call("GET", "/v1/account/sessions", tokens["owner"]).json()["items"]

    deleted = platform.call("DELETE", "/v1/account", tokens["deleted"], json={"password": PASSWORD})
    assert deleted.status_code == 200
    wait_for(
        lambda: platform.call("GET", "/v1/documents", tokens["deleted"]).status_code == 401,
        timeout=5,
        what="deleted account refused",
    )
    return {
        "tokens": tokens,
        "owner_id": owner_id,
        "owner_login": owner_login,
        "statement": statement["statement_id"],
        "document": document["document_id"],
        "device": device["device_id"],
        "feed": feed[0]["notification_id"],
        "session": next(s["session_id"] for s in sessions if s["current"]),
    }


NOBODY, EXPIRED, OWNER, OTHER, AGENT, OUTSIDER, DELETED = PRINCIPALS
# Not exercised for the owner (it would end its own session or device; the service tests cover it).
SKIP = "skip"
# (method, path, {principal: status}); statuses not listed default to these: nobody/expired/deleted 401.
MATRIX = [
    ("GET", "/v1/account", {OWNER: 200, OTHER: 200, AGENT: 200, OUTSIDER: 200}),
    ("GET", "/v1/account/sessions", {OWNER: 200, OTHER: 200, AGENT: 200, OUTSIDER: 200}),
    ("GET", "/v1/account/activity", {OWNER: 200, OTHER: 200, AGENT: 200, OUTSIDER: 200}),
    ("GET", "/v1/admin/accounts?q={owner_login}", {OWNER: 403, OTHER: 403, AGENT: 200, OUTSIDER: 200}),
    ("GET", "/v1/admin/accounts/{owner_id}", {OWNER: 403, OTHER: 403, AGENT: 200, OUTSIDER: 404}),
    ("GET", "/v1/admin/accounts/{owner_id}/activity", {OWNER: 403, OTHER: 403, AGENT: 200, OUTSIDER: 404}),
    ("POST", "/v1/admin/accounts/{owner_id}/password-reset", {OWNER: 403, OTHER: 403, AGENT: 202, OUTSIDER: 404}),
    ("GET", "/v1/admin/agents", {OWNER: 403, OTHER: 403, AGENT: 200, OUTSIDER: 200}),
    ("POST", "/v1/admin/accounts/{owner_id}/activation", {OWNER: 403, OTHER: 403, AGENT: 409, OUTSIDER: 404}),
    ("POST", "/v1/admin/accounts/{owner_id}/restore", {OWNER: 403, OTHER: 403, AGENT: 409, OUTSIDER: 404}),
    ("DELETE", "/v1/account/sessions/{session}", {OWNER: SKIP, OTHER: 404, AGENT: 404, OUTSIDER: 404}),
    ("GET", "/v1/structure", {OWNER: 200, OTHER: 200, AGENT: 200, OUTSIDER: 200}),  # its own, whoever asks
    ("GET", "/v1/invoices", {OWNER: 200, OTHER: 200, AGENT: 422, OUTSIDER: 422}),
    ("GET", "/v1/invoices?account_id={owner_id}", {OWNER: 200, OTHER: 200, AGENT: 200, OUTSIDER: 404}),
    ("GET", "/v1/statements", {OWNER: 200, OTHER: 200, AGENT: 422, OUTSIDER: 422}),
    ("GET", "/v1/statements/{statement}", {OWNER: 200, OTHER: 404, AGENT: 200, OUTSIDER: 404}),
    ("GET", "/v1/statements/{statement}/pdf", {OWNER: 200, OTHER: 404, AGENT: 200, OUTSIDER: 404}),
    ("GET", "/v1/statements/{statement}/html", {OWNER: 200, OTHER: 404, AGENT: 200, OUTSIDER: 404}),
    ("GET", "/v1/documents", {OWNER: 200, OTHER: 200, AGENT: 403, OUTSIDER: 403}),
    ("GET", "/v1/documents/{document}", {OWNER: 200, OTHER: 404, AGENT: 200, OUTSIDER: 404}),
    ("GET", "/v1/documents/{document}/content", {OWNER: 200, OTHER: 404, AGENT: 200, OUTSIDER: 404}),
    ("GET", "/v1/dossier/documents", {OWNER: 200, OTHER: 200, AGENT: 403, OUTSIDER: 403}),
    ("GET", "/v1/admin/dossier/documents", {OWNER: 403, OTHER: 403, AGENT: 200, OUTSIDER: 200}),
    ("GET", "/v1/admin/families/{owner_id}/documents", {OWNER: 403, OTHER: 403, AGENT: 200, OUTSIDER: 404}),
    ("GET", "/v1/notification-preferences", {OWNER: 200, OTHER: 200, AGENT: 403, OUTSIDER: 403}),
    ("GET", "/v1/push-devices", {OWNER: 200, OTHER: 200, AGENT: 403, OUTSIDER: 403}),
    ("DELETE", "/v1/push-devices/{device}", {OWNER: SKIP, OTHER: 404, AGENT: 403, OUTSIDER: 403}),
    ("GET", "/v1/notifications", {OWNER: 200, OTHER: 200, AGENT: 403, OUTSIDER: 403}),
    ("POST", "/v1/notifications/{feed}/read", {OWNER: 204, OTHER: 404, AGENT: 403, OUTSIDER: 403}),
]
# Principals that may see the owner's data in a successful answer.
MAY_SEE_OWNER = {OWNER, AGENT}


@pytest.mark.parametrize(("method", "template", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_matrix(platform, world, method, template, expected):
    path = template.format(**world)
    # An id the caller itself put in the path may come back (problem+json `instance`): it reveals nothing.
    secrets = [s for s in (world["owner_id"], world["owner_login"], CHILD) if s not in path]
    for principal in PRINCIPALS:
        want = expected.get(principal, 401 if principal in (NOBODY, EXPIRED, DELETED) else None)
        assert want is not None, f"no expectation for {principal}"
        if want == SKIP:
            continue
        response = platform.call(method, path, world["tokens"][principal])
        assert response.status_code == want, (
            f"{principal}: {method} {path} -> {response.status_code} {response.text[:200]}"
        )
        if principal not in MAY_SEE_OWNER:
            leaked = [s for s in secrets if s in response.text]
            assert not leaked, f"{principal} saw the owner's data on {method} {path}: {leaked}"
