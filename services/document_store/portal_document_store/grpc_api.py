"""gRPC `portal.documents.v1.DocumentService`: streaming upload and download for other services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from portal.documents.v1 import documents_pb2, documents_pb2_grpc
from portal_common.grpc_server import problem_status, translate_problems
from portal_common.grpc_tls import BACK_OFFICE
from portal_common.problems import Problem
from portal_document_store import documents
from portal_document_store.context import Context
from portal_document_store.documents import NOT_FOUND, TO_FAMILY, TO_STRUCTURE, NewDocument
from portal_document_store.files import read_chunks

DIRECTIONS = {documents_pb2.DIRECTION_TO_FAMILY: TO_FAMILY, documents_pb2.DIRECTION_TO_STRUCTURE: TO_STRUCTURE}
DIRECTION_ENUMS = {value: key for key, value in DIRECTIONS.items()}


def to_message(document: dict[str, Any]) -> documents_pb2.Document:
    message = documents_pb2.Document(
        document_id=document["_id"],
        account_id=document["account_id"],
        structure_id=document["structure_id"],
        direction=DIRECTION_ENUMS[document["direction"]],
        title=document["title"],
        category=document["category"],
        message=document["message"],
        filename=document["filename"],
        content_type=document["content_type"],
        size=document["size"],
        sha256=document["sha256"],
    )
    message.created_at.FromDatetime(document["created_at"])
    return message


# The structure's back office sends and fetches documents (caller: its certificate's name).
CALLERS = {"UploadDocument": [BACK_OFFICE], "DownloadDocument": [BACK_OFFICE], "GetDocument": [BACK_OFFICE]}


class DocumentServicer(documents_pb2_grpc.DocumentServiceServicer):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db

    def UploadDocument(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Any:
        upload = self.ctx.new_upload()
        try:
            first = next(request_iterator, None)
            if first is None or first.WhichOneof("part") != "metadata":
                raise Problem(400, "Le premier message doit porter les métadonnées du document.")
            meta = first.metadata
            direction = DIRECTIONS.get(meta.direction)
            if direction is None:
                raise Problem(400, "direction doit valoir TO_FAMILY ou TO_STRUCTURE.")
            documents.family_account(self.db, meta.account_id, meta.structure_id)
            for part in request_iterator:
                if part.WhichOneof("part") != "chunk":
                    raise Problem(400, "Après les métadonnées, seuls des morceaux de fichier sont attendus.")
                upload.write(part.chunk)
            document = documents.store_document(
                self.ctx.outbox,
                NewDocument(
                    account_id=meta.account_id,
                    structure_id=meta.structure_id,
                    direction=direction,
                    title=meta.title,
                    category=meta.category,
                    message=meta.message,
                    filename=meta.filename,
                    sent_by=meta.sent_by or "service",
                ),
                upload,
            )
            return to_message(document)
        except Problem as problem:
            context.abort(problem_status(problem), f"{problem.title} : {problem.detail}")
        finally:
            upload.abort()  # no-op once a document refers to the file

    def _document(self, document_id: str, structure_id: str) -> dict[str, Any]:
        document = self.db[documents.DOCUMENTS].find_one({"_id": document_id})
        if document is None or document["structure_id"] != structure_id:
            raise NOT_FOUND
        return document

    @translate_problems
    def GetDocument(self, request: Any, context: grpc.ServicerContext) -> Any:
        return to_message(self._document(request.document_id, request.structure_id))

    def DownloadDocument(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            document = self._document(request.document_id, request.structure_id)
        except Problem as problem:
            context.abort(problem_status(problem), f"{problem.title} : {problem.detail}")
        yield documents_pb2.DownloadDocumentResponse(document=to_message(document))
        for chunk in read_chunks(self.db, document["file_id"]):
            yield documents_pb2.DownloadDocumentResponse(chunk=chunk)
