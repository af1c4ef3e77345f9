"""Vos documents: what the structure sent this family (unread marked, opened or downloaded), and the free
documents the family sends from its Dossier."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO, cast

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from portal_api_client.api.documents import document_content, my_documents
from portal_api_client.api.dossier import send_to_structure, sent_by_me
from portal_api_client.models import SendToStructureBody
from portal_api_client.types import File
from werkzeug.exceptions import RequestEntityTooLarge

from portal_common.french import file_size
from portal_web import browser
from portal_web.api import DOCUMENTS, ApiError, relayed
from portal_web.browser import signed_in
from portal_web.context import ctx
from portal_web.forms import FormErrors

bp = Blueprint("documents", __name__, url_prefix="/mes-documents")
PAGE_SIZE = 20
FIELDS = {"title", "comment", "file"}
# What the file picker offers; document-store judges the bytes themselves (a .exe renamed .pdf is refused there).
ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
SEND_TITLE = _l("Envoyer un document à la structure")


def limit_text() -> str:
    return file_size(ctx().config.max_upload_bytes)


def too_large() -> str:
    return _("Le fichier dépasse la taille maximale de %(limit)s.", limit=limit_text())


@bp.get("")
@signed_in("family")
def index() -> Any:
    params = browser.page_params(PAGE_SIZE)
    api = browser.user_api()
    received = api.run(DOCUMENTS, my_documents.sync_detailed, **params)
    first_page = "cursor" not in params  # the family's own uploads are listed once, above the older documents
    sent = api.run(DOCUMENTS, sent_by_me.sync_detailed, limit=PAGE_SIZE) if first_page else None
    return render_template("documents/index.html", title=_("Vos documents"), received=received, sent=sent)


@bp.get("/<hexid:document_id>/fichier")
@signed_in()  # a family its own documents, an agent its structure's: document-store decides
def content(document_id: str) -> Response:
    """The file, streamed from document-store: shown by the browser, or downloaded. Opening it marks it read."""
    answer = browser.user_api().stream(DOCUMENTS, document_content, document_id=document_id)
    disposition = answer.headers.get("Content-Disposition", "attachment")
    if not request.args.get("telecharger"):
        disposition = disposition.replace("attachment", "inline", 1)
    response = relayed(answer, answer.headers.get("Content-Type", "application/octet-stream"), disposition)
    # A document is never a page of the portal: no script in it runs with the portal's rights.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def send_page(form: dict[str, str], errors: FormErrors, status: int = 200) -> Any:
    limit = limit_text()
    html = render_template(
        "documents/send.html",
        title=SEND_TITLE,
        form=form,
        errors=errors,
        limit=limit,
        max_bytes=ctx().config.max_upload_bytes,
        accept=ACCEPT,
    )
    return html, status


@bp.get("/envoyer")
@signed_in("family")
def send() -> Any:
    return send_page({}, FormErrors())


@bp.get("/envoyer/trop-volumineux")
@signed_in()
def send_too_large() -> Any:
    """Where the gateway sends a body beyond its own limit (its 413 page): the form, the message by the file."""
    if g.browser.role != "family":
        abort(413)  # an agent's upload: the error page says the same
    return too_large_page()


@bp.errorhandler(RequestEntityTooLarge)  # raised as soon as the form is read (the CSRF check, before the view)
def too_large_page(error: Exception | None = None) -> Any:
    errors = FormErrors()
    errors.add("file", too_large())
    return send_page({}, errors, 413)


def forward_upload(send: Callable[[File, dict[str, str]], object], fields: dict[str, str]) -> FormErrors | None:
    """The form's file and `fields` (a title among them) sent on to document-store by `send(file, fields)`: the
    errors to show next to the fields, or None once the document is stored."""
    errors = FormErrors()
    title = errors.require(fields, "title", _("Indiquez un titre pour ce document."))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors.add("file", _("Choisissez le fichier à envoyer."))
    if errors or upload is None:
        return errors
    try:
        file = File(payload=cast(BinaryIO, upload.stream), file_name=upload.filename, mime_type=upload.mimetype or None)
        send(file, {**fields, "title": title.strip()})
    except ApiError as error:
        return FormErrors.of(error, {*fields, "file"}, fallback="file")
    return None


@bp.post("/envoyer")
@signed_in("family")
def send_post() -> Any:
    form = {name: request.form.get(name, "") for name in ("title", "comment")}
    errors = forward_upload(
        lambda file, fields: browser.user_api().run(
            DOCUMENTS, send_to_structure.sync_detailed, body=SendToStructureBody(file=file, **fields)
        ),
        form,
    )
    if errors is None:
        browser.flash(_("Votre document « %(title)s » a été envoyé à la structure.", title=form["title"].strip()))
        return redirect(url_for("documents.index"), code=303)
    return send_page(form, errors, 422)
