"""JWKS and key rotation without restart; the gRPC API over a real channel."""

import time
import uuid
from pathlib import Path

import grpc
import jwt
import pytest

from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal_identity.keys import generate_key_file
from tests.support.env import grpc_channel
from tests.support.wait import wait_for


def test_key_rotation_without_restart(svc):
    account = svc.new_account()
    old_token = svc.login(account)["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    new_kid = time.strftime("%Y%m%d%H%M%S") + "z"  # sorts after the current key: becomes the signing key
    generate_key_file(Path(svc.identity.config.keys_dir), new_kid)
    try:
        jwks = wait_for(
            lambda: (lambda k: k if {old_kid, new_kid} <= {j["kid"] for j in k["keys"]} else None)(
                svc.call("GET", "/.well-known/jwks.json").json()
            ),
            timeout=10,
            what="both keys published",
        )
        assert all(k["kty"] == "RSA" and k["alg"] == "RS256" and "d" not in k for k in jwks["keys"])
        new_token = svc.login(account)["access_token"]
        assert jwt.get_unverified_header(new_token)["kid"] == new_kid
        assert svc.call("GET", "/v1/account", old_token).status_code == 200  # old key still verifies
        assert svc.call("GET", "/v1/account", new_token).status_code == 200
    finally:
        (Path(svc.identity.config.keys_dir) / f"{new_kid}.pem").unlink()
        svc.identity.keys.reload()


@pytest.fixture
def stub(svc):
    with grpc_channel(svc.grpc_target, "identity") as channel:
        yield identity_pb2_grpc.IdentityServiceStub(channel)


def test_grpc_create_get_and_structure_scoping(stub):
    login = f"grpc-{uuid.uuid4().hex[:6]}@example.fr"
    created = stub.CreateAccount(
        identity_pb2.CreateAccountRequest(
            structure_id="struct-g", login=login, display_name="Famille G", role="family", created_by="dossier"
        ),
        timeout=10,
    )
    account = created.account
    assert account.status == identity_pb2.ACCOUNT_STATUS_PENDING_ACTIVATION
    got = stub.GetAccount(
        identity_pb2.GetAccountRequest(account_id=account.account_id, structure_id="struct-g"), timeout=10
    )
    assert got.login == login
    with pytest.raises(grpc.RpcError) as error:
        stub.GetAccount(identity_pb2.GetAccountRequest(account_id=account.account_id, structure_id="other"), timeout=10)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as error:
        stub.CreateAccount(
            identity_pb2.CreateAccountRequest(structure_id="struct-g", login="bad", display_name="X"), timeout=10
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Données invalides" in error.value.details()
    # No JSON Schema on this path: the domain refuses what the HTTP schema would, and names the field.
    for display_name, structure in (("Famille\x00G", "struct-g"), ("   ", "struct-g"), ("Famille G", "")):
        with pytest.raises(grpc.RpcError) as error:
            stub.CreateAccount(
                identity_pb2.CreateAccountRequest(
                    structure_id=structure, login=f"g-{uuid.uuid4().hex[:6]}@example.fr", display_name=display_name
                ),
                timeout=10,
            )
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT, repr(display_name)
        assert ("structure_id" if not structure else "display_name") in error.value.details()


def test_grpc_never_creates_an_agent(stub):
    """#20 finding 3: any pod admitted at identity's gRPC port made an agent of any structure. Agents come from
    the ops command or from an agent of the same structure over HTTP."""
    login = f"intrus-{uuid.uuid4().hex[:6]}@example.fr"
    with pytest.raises(grpc.RpcError) as refused:
        stub.CreateAccount(
            identity_pb2.CreateAccountRequest(
                structure_id="struct-g", login=login, display_name="Intrus", role="agent", created_by="dossier"
            ),
            timeout=10,
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as absent:
        stub.GetAccount(identity_pb2.GetAccountRequest(account_id=login, structure_id="struct-g"), timeout=10)
    assert absent.value.code() == grpc.StatusCode.NOT_FOUND


def test_grpc_check_session_follows_logout(svc, stub):
    account = svc.new_account()
    tokens = svc.login(account)
    checked = stub.CheckSession(identity_pb2.CheckSessionRequest(access_token=tokens["access_token"]), timeout=10)
    assert checked.active
    assert checked.account_id == account["account_id"]
    svc.call("POST", "/v1/auth/logout", tokens["access_token"])
    assert not stub.CheckSession(
        identity_pb2.CheckSessionRequest(access_token=tokens["access_token"]), timeout=10
    ).active
    assert not stub.CheckSession(identity_pb2.CheckSessionRequest(access_token="garbage"), timeout=10).active


def test_grpc_restore_and_activity(svc, stub):
    account = svc.new_account(structure="struct-r")
    token = svc.login(account)["access_token"]
    svc.call("DELETE", "/v1/account", token, json={"password": account["password"]})
    restored = stub.RestoreAccount(
        identity_pb2.RestoreAccountRequest(
            account_id=account["account_id"], structure_id="struct-r", restored_by="agent-x"
        ),
        timeout=10,
    )
    assert restored.status == identity_pb2.ACCOUNT_STATUS_ACTIVE
    with pytest.raises(grpc.RpcError) as error:
        stub.RestoreAccount(
            identity_pb2.RestoreAccountRequest(account_id=account["account_id"], structure_id="struct-r"), timeout=10
        )
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    def activity_types():
        response = stub.ListActivity(
            identity_pb2.ListActivityRequest(account_id=account["account_id"], structure_id="struct-r", limit=50),
            timeout=10,
        )
        return {e.type for e in response.entries}

    wait_for(lambda: {"account.deleted", "account.restored"} <= activity_types(), timeout=30, what="activity over gRPC")
