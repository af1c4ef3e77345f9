"""A family sees only its own documents; an agent only its structure's (others: 404, not 403)."""

import grpc
import jwt
import pytest

from portal.documents.v1 import documents_pb2, documents_pb2_grpc
from tests.document_store.conftest import PDF, PNG
from tests.support.env import grpc_channel
from tests.support.wait import wait_for


def test_another_family_and_another_structure_get_404(docs):
    agent, family = docs.agent("s-A"), docs.family("s-A")
    neighbour, outsider = docs.family("s-A"), docs.agent("s-B")
    document = docs.send_to_family(agent, family).json()["document_id"]
    for who in (neighbour, outsider):
        assert docs.call("GET", f"/v1/documents/{document}", who).status_code == 404
        assert docs.call("GET", f"/v1/documents/{document}/content", who).status_code == 404
    assert docs.call("GET", "/v1/documents/does-not-exist", family).status_code == 404
    assert docs.send_to_family(outsider, family).status_code == 404  # cannot send to another structure's family
    assert docs.call("GET", "/v1/documents", neighbour).json()["items"] == []


def test_roles(docs):
    agent, family = docs.agent(), docs.family()
    assert docs.call("GET", "/v1/documents", agent).status_code == 403
    assert docs.call("GET", "/v1/admin/dossier/documents", family).status_code == 403
    assert docs.send_to_family(family, family).status_code == 403
    assert docs.call("GET", "/v1/documents").status_code == 401


def test_deleted_account_loses_access_at_once_and_purge_deletes_what_the_structure_sent(docs):
    agent, family = docs.agent("s-P"), docs.family("s-P")
    shared = docs.send_to_family(agent, family).json()["document_id"]
    uploaded = docs.send_to_structure(family).json()["document_id"]
    # As identity does: the deletion names the sessions it ends.
    session = jwt.decode(family["token"], options={"verify_signature": False})["sid"]
    docs.publish("account.deleted", family["account_id"], "s-P", revoked_session_ids=[session])
    wait_for(
        lambda: docs.call("GET", "/v1/documents", family).status_code == 401,
        timeout=10,
        what="the deleted family's token refused",
    )
    # The agent-side refusal follows the accounts projection (a consumer), a moment after the token died.
    wait_for(
        lambda: docs.db.accounts.find_one({"_id": family["account_id"]})["status"] == "deleted",
        timeout=15,
        what="the projection knows the deletion",
    )
    assert docs.send_to_family(agent, family).status_code == 404  # no new documents for a deleted account

    docs.publish("account.purged", family["account_id"], "s-P")
    wait_for(lambda: docs.db.documents.find_one({"_id": shared}) is None, timeout=15, what="shared document purged")
    assert docs.call("GET", f"/v1/documents/{shared}/content", agent).status_code == 404
    assert docs.call("GET", f"/v1/documents/{uploaded}/content", agent).content == PNG  # kept by default


def test_grpc_streaming_upload_and_download(docs):
    family = docs.family("s-G")
    big = b"%PDF-" + bytes(range(256)) * 800  # about 200 KiB, several chunks

    def parts():
        yield documents_pb2.UploadDocumentRequest(
            metadata=documents_pb2.UploadMetadata(
                account_id=family["account_id"],
                structure_id="s-G",
                direction=documents_pb2.DIRECTION_TO_FAMILY,
                title="Pièce demandée",
                filename="piece.pdf",
                sent_by="dossier-service",
            )
        )
        for start in range(0, len(big), 32 * 1024):
            yield documents_pb2.UploadDocumentRequest(chunk=big[start : start + 32 * 1024])

    with grpc_channel(f"127.0.0.1:{docs.runtime.grpc.port}", "document-store") as channel:
        stub = documents_pb2_grpc.DocumentServiceStub(channel)
        document = stub.UploadDocument(parts(), timeout=30)
        assert document.size == len(big)
        responses = list(
            stub.DownloadDocument(
                documents_pb2.DownloadDocumentRequest(document_id=document.document_id, structure_id="s-G"), timeout=30
            )
        )
        assert responses[0].document.title == "Pièce demandée"
        assert b"".join(r.chunk for r in responses[1:]) == big
        with pytest.raises(grpc.RpcError) as error:
            stub.GetDocument(
                documents_pb2.GetDocumentRequest(document_id=document.document_id, structure_id="s-X"), timeout=10
            )
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        before = docs.chunk_count()
        with pytest.raises(grpc.RpcError) as error:
            stub.UploadDocument(
                iter(
                    [
                        documents_pb2.UploadDocumentRequest(
                            metadata=documents_pb2.UploadMetadata(
                                account_id=family["account_id"],
                                structure_id="s-G",
                                direction=documents_pb2.DIRECTION_TO_FAMILY,
                                title="HTML",
                                filename="x.pdf",
                            )
                        ),
                        documents_pb2.UploadDocumentRequest(chunk=b"<html>" + b"x" * 100_000),
                    ]
                ),
                timeout=30,
            )
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert docs.chunk_count() == before
    assert docs.call("GET", f"/v1/documents/{document.document_id}/content", family).content == big
    assert PDF  # the module's sample stays a valid PDF header for other tests
