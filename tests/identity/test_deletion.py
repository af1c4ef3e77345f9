"""Delete my account (irreversible for the family), restore by the structure, purge after the grace period."""

from datetime import UTC, datetime, timedelta

from portal_identity.housekeeping import run_purge
from tests.identity.conftest import PASSWORD
from tests.support.kafka import find_events
from tests.support.wait import wait_for


def agent_token(svc, structure):
    agent = svc.new_account(role="agent", structure=structure)
    return svc.login(agent)["access_token"]


def delete(svc, token, password=PASSWORD):
    return svc.call("DELETE", "/v1/account", token, json={"password": password})


def test_wrong_password_does_not_delete(svc):
    account = svc.new_account()
    token = svc.login(account)["access_token"]
    assert delete(svc, token, "not my password at all").status_code == 403
    assert svc.call("GET", "/v1/account", token).json()["status"] == "active"


def test_deletion_is_immediate_and_the_structure_can_restore(svc):
    account = svc.new_account()
    tokens, other_device = svc.login(account), svc.login(account)
    response = delete(svc, tokens["access_token"])
    assert response.status_code == 200
    for t in (tokens, other_device):
        assert svc.call("GET", "/v1/account", t["access_token"]).status_code == 401
        assert svc.call("POST", "/v1/auth/refresh", json={"refresh_token": t["refresh_token"]}).status_code == 401
    login = svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": PASSWORD})
    assert login.status_code == 401
    [event] = find_events(svc.topic, lambda e: e.type == "account.deleted" and e.account_id == account["account_id"])
    assert event.account_deleted.restorable_until
    assert set(event.account_deleted.revoked_session_ids) == {tokens["session_id"], other_device["session_id"]}

    agent = agent_token(svc, account["structure"])
    restored = svc.call("POST", f"/v1/admin/accounts/{account['account_id']}/restore", agent)
    assert restored.status_code == 200
    assert restored.json()["status"] == "active"
    assert svc.call("GET", "/v1/account", tokens["access_token"]).status_code == 401  # old tokens stay dead
    assert svc.login(account)["access_token"]
    find_events(svc.topic, lambda e: e.type == "account.restored" and e.account_id == account["account_id"])


def test_agents_cannot_delete_through_the_family_route_and_families_cannot_restore(svc):
    account = svc.new_account()
    family_token = svc.login(account)["access_token"]
    agent = agent_token(svc, account["structure"])
    assert svc.call("DELETE", "/v1/account", agent, json={"password": PASSWORD}).status_code == 403
    assert svc.call("POST", f"/v1/admin/accounts/{account['account_id']}/restore", family_token).status_code == 403


def test_restore_by_an_agent_of_another_structure_is_not_found(svc):
    account = svc.new_account(structure="struct-A")
    delete(svc, svc.login(account)["access_token"])
    outsider = agent_token(svc, "struct-B")
    assert svc.call("POST", f"/v1/admin/accounts/{account['account_id']}/restore", outsider).status_code == 404
    assert svc.db.accounts.find_one({"_id": account["account_id"]})["status"] == "deleted"


def test_restore_after_the_grace_period_is_refused_and_the_purge_pseudonymises(svc):
    account = svc.new_account(structure="struct-C")
    delete(svc, svc.login(account)["access_token"])
    # The grace period elapses (30 days by default): move the stored deadline into the past.
    svc.set_stored("accounts", account["account_id"], restorable_until=datetime.now(UTC) - timedelta(seconds=1))
    agent = agent_token(svc, "struct-C")
    late = svc.call("POST", f"/v1/admin/accounts/{account['account_id']}/restore", agent)
    assert late.status_code == 410
    assert late.json()["title"] == "Restauration impossible"

    assert run_purge(svc.identity)["accounts_purged"] >= 1
    # Events not yet published still carry the login inside the document's outbox; the relay removes them.
    wait_for(
        lambda: not svc.db.accounts.find_one({"_id": account["account_id"]}).get("_outbox_pending"),
        what="outbox of the purged account published",
    )
    stored = svc.db.accounts.find_one({"_id": account["account_id"]})
    assert stored["status"] == "purged"
    assert account["login"] not in str(stored)
    assert stored["password_hash"] is None
    find_events(svc.topic, lambda e: e.type == "account.purged" and e.account_id == account["account_id"])
    # The identifier is free again, and the purged account is gone for the structure.
    assert svc.new_account(structure="struct-C", login=account["login"])
    assert svc.call("GET", f"/v1/admin/accounts/{account['account_id']}", agent).status_code == 404


def test_restoring_an_active_account_is_a_conflict(svc):
    account = svc.new_account()
    agent = agent_token(svc, account["structure"])
    assert svc.call("POST", f"/v1/admin/accounts/{account['account_id']}/restore", agent).status_code == 409
