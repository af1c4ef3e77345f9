"""Documents between a structure and one family: who may send, see and download what."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from portal_common import accounts, events
from portal_common.auth import Principal
from portal_common.bodies import check_text
from portal_common.outbox import Outbox
from portal_common.pagination import keyset_page
from portal_common.problems import Problem
from portal_document_store.content import safe_filename
from portal_document_store.files import UploadStream
from portal_document_store.store import DOCUMENTS, READS

TO_FAMILY = "to_family"  # "Vos documents": the structure sent it to this family
TO_STRUCTURE = "to_structure"  # "Document libre": the family sent it from its Dossier tab
NOT_FOUND = Problem(404, "Ce document n'existe pas.", slug="document-not-found", title="Document introuvable")
SOURCE = "document-store"


@dataclass(frozen=True)
class NewDocument:
    account_id: str
    structure_id: str
    direction: str
    title: str
    category: str
    message: str
    filename: str | None
    sent_by: str


def family_account(db: Database, account_id: str, structure_id: str) -> dict[str, Any]:
    """The family an agent (or a service) of `structure_id` addresses; another structure's is not found."""
    account = accounts.find(db, account_id)
    if account is None or account["structure_id"] != structure_id or account["status"] != "active":
        raise Problem(404, "Cette famille est introuvable.", slug="family-not-found", title="Famille introuvable")
    return account


def store_document(outbox: Outbox, new: NewDocument, upload: UploadStream) -> dict[str, Any]:
    """Record the metadata of a completely received file, with its event, in one insert."""
    title = check_text(new.title, "title", max_length=200, required=True)
    category = check_text(new.category, "category", max_length=100, required=False)
    message = check_text(new.message, "message", max_length=2000, required=False)
    upload.finish()
    document = {
        "_id": uuid.uuid4().hex,
        "account_id": new.account_id,
        "structure_id": new.structure_id,
        "direction": new.direction,
        "title": title,
        "category": category,
        "message": message,
        "filename": safe_filename(new.filename, upload.content_type or ""),
        "content_type": upload.content_type,
        "size": upload.size,
        "sha256": upload.sha256,
        "file_id": upload.file_id,
        "sent_by": new.sent_by,
        "created_at": now(),
    }
    event_type, payload = (
        ("document.shared", {"document_id": document["_id"], "title": title, "category": category})
        if new.direction == TO_FAMILY
        else ("document.uploaded", {"document_id": document["_id"], "title": title})
    )
    event = events.new_event(
        event_type, account_id=new.account_id, structure_id=new.structure_id, source=SOURCE, payload=payload
    )
    outbox.insert(DOCUMENTS, document, event)
    upload.kept = True
    return document


def now() -> datetime:
    value = datetime.now(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def visible(db: Database, principal: Principal, document_id: str) -> dict[str, Any]:
    """The document if this principal may see it; 404 otherwise (no existence leak)."""
    document = db[DOCUMENTS].find_one({"_id": document_id})
    if document is None:
        raise NOT_FOUND
    if principal.is_agent:
        if document["structure_id"] != principal.structure_id:
            raise NOT_FOUND
        return document
    if document["account_id"] != principal.account_id:
        raise NOT_FOUND
    account = accounts.find(db, principal.account_id)
    if account is not None and account["status"] != "active":
        raise NOT_FOUND
    return document


def mark_read(db: Database, principal: Principal, document: dict[str, Any]) -> None:
    """The family opened a document the structure sent it."""
    if principal.is_family and document["direction"] == TO_FAMILY:
        with contextlib.suppress(DuplicateKeyError):  # already read
            db[READS].insert_one({"_id": document["_id"], "read_at": now()})


def page(
    db: Database, query: dict[str, Any], *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    documents, next_cursor = keyset_page(db[DOCUMENTS], query, time_field="created_at", limit=limit, cursor=cursor)
    reads = {r["_id"]: r["read_at"] for r in db[READS].find({"_id": {"$in": [d["_id"] for d in documents]}})}
    return [view(d, reads.get(d["_id"])) for d in documents], next_cursor


def view(document: dict[str, Any], read_at: datetime | None = None) -> dict[str, Any]:
    return {
        "document_id": document["_id"],
        "account_id": document["account_id"],
        "direction": document["direction"],
        "title": document["title"],
        "category": document["category"],
        "message": document["message"],
        "filename": document["filename"],
        "content_type": document["content_type"],
        "size": document["size"],
        "sha256": document["sha256"],
        "created_at": document["created_at"].isoformat(),
        "unread": document["direction"] == TO_FAMILY and read_at is None,
        "read_at": read_at.isoformat() if read_at else None,
    }


def read_at(db: Database, document_id: str) -> datetime | None:
    found = db[READS].find_one({"_id": document_id})
    return found["read_at"] if found else None
