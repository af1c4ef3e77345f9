"""HTTP API of the document store (families and agents, behind the gateway)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from flask import Blueprint, Flask, Request, Response, g, request

from portal_common.bodies import NO_CONTROL_CHARACTERS, NOT_BLANK, accepts_query, describes_body, query, string
from portal_common.http import principal, require_auth
from portal_common.pagination import QUERY_PARAMETERS
from portal_common.problems import Problem
from portal_common.responses import (
    BOOLEAN,
    INSTANT,
    INTEGER,
    TEXT,
    closed,
    file_body,
    json_body,
    nullable,
    page_of,
    responds,
)
from portal_common.service import current
from portal_document_store import documents
from portal_document_store.content import content_disposition
from portal_document_store.context import Context
from portal_document_store.documents import TO_FAMILY, TO_STRUCTURE, NewDocument
from portal_document_store.files import UploadStream, read_chunks

family_api = Blueprint("documents", __name__)
admin_api = Blueprint("admin_documents", __name__, url_prefix="/v1/admin")
FAMILY_FIELDS = {
    "title": string(1, 200, pattern=NOT_BLANK, description="Titre affiché"),
    "comment": string(0, 2000, pattern=NO_CONTROL_CHARACTERS, description="Mot pour la structure"),
}
AGENT_FIELDS = {
    "title": string(1, 200, pattern=NOT_BLANK, description="Titre affiché"),
    "category": string(0, 100, pattern=NO_CONTROL_CHARACTERS),
    "message": string(0, 2000, pattern=NO_CONTROL_CHARACTERS, description="Mot pour la famille"),
}


def upload_body(fields: dict[str, Any]) -> Callable[[Any], Any]:
    """Documents a multipart upload: one file (field `file`) and these text fields."""
    schema = {
        "type": "object",
        "required": ["file", "title"],
        "properties": {"file": {"type": "string", "format": "binary", "description": "PDF, PNG ou JPEG"}, **fields},
        "additionalProperties": False,
    }
    return describes_body({"required": True, "content": {"multipart/form-data": {"schema": schema}}})


PAGINATED = accepts_query(QUERY_PARAMETERS)

# ---------------------------------------------------------------------------------------------- answers

DOCUMENT = closed(
    "Document",
    document_id=TEXT,
    account_id=TEXT,
    direction={"enum": [TO_FAMILY, TO_STRUCTURE]},
    title=TEXT,
    category=TEXT,
    message=TEXT,
    filename=TEXT,
    content_type={"enum": ["application/pdf", "image/png", "image/jpeg"]},
    size={**INTEGER, "description": "Octets"},
    sha256=TEXT,
    created_at=INSTANT,
    unread={**BOOLEAN, "description": "Reçu par la famille et jamais ouvert"},
    read_at=nullable(INSTANT),
)
DOCUMENTS = json_body(200, page_of(DOCUMENT, "DocumentPage"))
UPLOAD_REFUSED = {
    400: "Corps multipart incomplet ou mal formé",
    413: "Fichier trop volumineux",
    415: "Pas un envoi multipart, ou un type de fichier refusé (PDF, PNG, JPEG : d'après son contenu)",
    422: "Champs manquants, inconnus ou répétés, fichier vide (les champs en cause dans `fields`)",
}


class StreamingUploadRequest(Request):
    """File parts of a multipart body go straight into GridFS instead of a temporary file."""

    def _get_file_stream(
        self, total_content_length: Any, content_type: Any, filename: Any = None, content_length: Any = None
    ) -> Any:
        stream = ctx().new_upload()
        g.setdefault("uploads", []).append(stream)
        return stream


def configure_app(app: Flask) -> None:
    """Uploads stream into GridFS; an upload no document refers to is discarded after the request."""
    app.request_class = StreamingUploadRequest

    @app.teardown_request
    def discard_unused_uploads(_: BaseException | None) -> None:
        for upload in g.pop("uploads", []):
            upload.abort()  # no-op for a file a document now refers to


def ctx() -> Context:
    return current(Context)


def received_upload(fields: dict[str, Any]) -> tuple[UploadStream, str | None, dict[str, str]]:
    """The one file of a multipart/form-data body (field `file`) and the text fields named in `fields`."""
    if request.mimetype != "multipart/form-data":
        raise Problem(415, "Le document s'envoie en multipart/form-data (champ « file »).")
    try:
        uploaded = request.files
        form = request.form
    except ValueError as exc:  # body cut or malformed
        raise Problem(
            400, f"Le corps multipart est incomplet ou mal formé : {exc}", slug="malformed-multipart"
        ) from None
    if g.get("uploads") and not uploaded:  # werkzeug drops a file part whose body never ended
        raise Problem(
            400, "Le corps multipart est incomplet : le fichier n'a pas été reçu en entier.", slug="malformed-multipart"
        )
    if list(uploaded.keys()) != ["file"] or len(uploaded.getlist("file")) != 1:
        raise Problem(422, "Envoyez exactement un fichier, dans le champ « file ».", fields=["file"])
    unknown = sorted(set(form.keys()) - set(fields))
    if unknown:
        raise Problem(422, f"Champs inconnus : {', '.join(unknown)}.", slug="unknown-fields", fields=unknown)
    repeated = sorted(name for name in fields if len(form.getlist(name)) > 1)
    if repeated:  # which one was meant is anyone's guess: refuse rather than keep the first
        raise Problem(422, f"Champs envoyés plusieurs fois : {', '.join(repeated)}.", fields=repeated)
    file = uploaded["file"]
    stream = cast(UploadStream, file.stream)  # what StreamingUploadRequest made it
    return stream, file.filename, {k: form.get(k, "") for k in fields}


def listing(selector: dict[str, Any]) -> Any:
    items, next_cursor = documents.page(ctx().db, selector, limit=query()["limit"], cursor=query()["cursor"])
    return {"items": items, "next_cursor": next_cursor}


# ---------------------------------------------------------------------------------------------- families


@family_api.get("/v1/documents")
@responds(DOCUMENTS)
@require_auth("family")
@PAGINATED
def my_documents() -> Any:
    return listing({"account_id": principal().account_id, "direction": TO_FAMILY})


@family_api.get("/v1/documents/<document_id>")
@responds(json_body(200, DOCUMENT, "Le document (marqué lu pour la famille)"))
@require_auth()
def document_metadata(document_id: str) -> Any:
    document = documents.visible(ctx().db, principal(), document_id)
    documents.mark_read(ctx().db, principal(), document)
    return documents.view(document, documents.read_at(ctx().db, document_id))


@family_api.get("/v1/documents/<document_id>/content")
@responds(file_body(200, "application/pdf", "image/png", "image/jpeg", description="Le fichier"))
@require_auth()
def document_content(document_id: str) -> Response:
    document = documents.visible(ctx().db, principal(), document_id)
    documents.mark_read(ctx().db, principal(), document)
    response = Response(
        read_chunks(ctx().db, document["file_id"]), mimetype=document["content_type"], direct_passthrough=True
    )
    response.headers["Content-Length"] = str(document["size"])
    response.headers["Content-Disposition"] = content_disposition(document["filename"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["ETag"] = f'"{document["sha256"]}"'
    return response


@family_api.post("/v1/dossier/documents")
@responds(json_body(201, DOCUMENT, "Document reçu par la structure"), errors=UPLOAD_REFUSED)
@upload_body(FAMILY_FIELDS)
@require_auth("family")
def send_to_structure() -> Any:
    me = principal()
    upload, filename, form = received_upload(FAMILY_FIELDS)
    document = documents.store_document(
        ctx().outbox,
        NewDocument(
            account_id=me.account_id,
            structure_id=me.structure_id,
            direction=TO_STRUCTURE,
            title=form["title"],
            category="",
            message=form["comment"],
            filename=filename,
            sent_by=me.account_id,
        ),
        upload,
    )
    return documents.view(document), 201


@family_api.get("/v1/dossier/documents")
@responds(DOCUMENTS)
@require_auth("family")
@PAGINATED
def sent_by_me() -> Any:
    return listing({"account_id": principal().account_id, "direction": TO_STRUCTURE})


# ---------------------------------------------------------------------------------------------- agents


@admin_api.post("/families/<account_id>/documents")
@responds(json_body(201, DOCUMENT, "Document envoyé à la famille"), errors=UPLOAD_REFUSED)
@upload_body(AGENT_FIELDS)
@require_auth("agent")
def send_to_family(account_id: str) -> Any:
    agent = principal()
    documents.family_account(ctx().db, account_id, agent.structure_id)
    upload, filename, form = received_upload(AGENT_FIELDS)
    document = documents.store_document(
        ctx().outbox,
        NewDocument(
            account_id=account_id,
            structure_id=agent.structure_id,
            direction=TO_FAMILY,
            title=form["title"],
            category=form["category"],
            message=form["message"],
            filename=filename,
            sent_by=agent.account_id,
        ),
        upload,
    )
    return documents.view(document), 201


@admin_api.get("/dossier/documents")
@responds(DOCUMENTS)
@require_auth("agent")
@PAGINATED
def received_by_structure() -> Any:
    return listing({"structure_id": principal().structure_id, "direction": TO_STRUCTURE})


@admin_api.get("/families/<account_id>/documents")
@responds(DOCUMENTS)
@require_auth("agent")
@PAGINATED
def sent_to_family(account_id: str) -> Any:
    documents.family_account(ctx().db, account_id, principal().structure_id)
    return listing({"account_id": account_id, "structure_id": principal().structure_id, "direction": TO_FAMILY})
