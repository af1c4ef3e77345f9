"""The structure's back office: an agent finds a family (login, name or email; by status), sees its account and
history, and restores a deleted account while it still can be."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from portal_api_client.api.admin import (
    family_activity,
    get_family_account,
    received_by_structure,
    resend_family_activation,
    restore_account,
    search_family_accounts,
    send_family_reset,
    send_to_family,
    sent_to_family,
)
from portal_api_client.api.statements import generate as generate_statement
from portal_api_client.api.statements import statement_pdf
from portal_api_client.models import Account, GenerateBody, SearchFamilyAccountsStatus, SendToFamilyBody

from portal_web import browser
from portal_web.api import BILLING, DOCUMENTS, IDENTITY, ApiError, Operation, relayed
from portal_web.browser import signed_in
from portal_web.forms import FormErrors
from portal_web.views.documents import ACCEPT, forward_upload, limit_text
from portal_web.views.statements import pdf_filename, years

T = TypeVar("T")
bp = Blueprint("families", __name__, url_prefix="/structure/familles")
PAGE_SIZE = 20
STATUSES = {
    "": _l("Tous"),
    "active": _l("Actif"),
    "pending_activation": _l("En attente d'activation"),
    "deleted": _l("Supprimé (restaurable)"),
}


def days_left(until: datetime | None) -> int | None:
    """Whole days before a deleted account can no longer be restored (0 on its last day)."""
    if not until:
        return None
    return max(0, (until - datetime.now(UTC)).days)


@bp.get("")
@signed_in("agent")
def search() -> Any:
    text = request.args.get("q", "")[:200]
    status = request.args.get("statut", "")
    params: dict[str, Any] = {**browser.page_params(PAGE_SIZE), "q": text}
    if status in STATUSES and status:
        params["status"] = SearchFamilyAccountsStatus(status)
    page = browser.user_api().run(IDENTITY, search_family_accounts.sync_detailed, **params)
    return render_template(
        "families/search.html",
        title=_("Familles de la structure"),
        page=page,
        text=text,
        status=status,
        statuses=STATUSES,
        days_left=days_left,
    )


@bp.get("/<hexid:account_id>")
@signed_in("agent")
def family(account_id: str) -> Any:
    api = browser.user_api()
    account = api.run(IDENTITY, get_family_account.sync_detailed, account_id=account_id)
    history = api.run(IDENTITY, family_activity.sync_detailed, account_id=account_id, limit=25)
    try:
        documents = api.run(DOCUMENTS, sent_to_family.sync_detailed, account_id=account_id, limit=20).items
    except ApiError:  # a deleted family's documents are out of reach until it is restored
        documents = None
    return render_template(
        "families/family.html",
        title=account.display_name or account.login,
        family=account,
        history=history.items,
        documents=documents,
        years=years(),
        statuses=STATUSES,
        days_left=days_left(account.restorable_until),
    )


def on_family(account_id: str, action: Operation[T], outcome: Callable[[T], str]) -> Any:
    """One of identity's actions on the family, then its page with what happened (or identity's refusal)."""
    return browser.act(
        lambda: browser.user_api().run(IDENTITY, action, account_id=account_id),
        outcome,
        url_for("families.family", account_id=account_id),
    )


@bp.post("/<hexid:account_id>/restauration")
@signed_in("agent")
def restore(account_id: str) -> Any:
    return on_family(
        account_id,
        restore_account.sync_detailed,
        lambda answer: _("Le compte est rétabli : la famille peut se reconnecter avec son mot de passe habituel."),
    )


@bp.post("/<hexid:account_id>/nouveau-mot-de-passe")
@signed_in("agent")
def send_reset(account_id: str) -> Any:
    return on_family(
        account_id,
        send_family_reset.sync_detailed,
        lambda sent: _(
            "Un e-mail pour choisir un nouveau mot de passe est envoyé à %(to)s. Le lien qu'il contient est valable "
            "pour une durée limitée.",
            to=sent.sent_to,
        ),
    )


@bp.post("/<hexid:account_id>/activation")
@signed_in("agent")
def resend_activation(account_id: str) -> Any:
    return on_family(
        account_id,
        resend_family_activation.sync_detailed,
        lambda sent: _(
            "Un nouveau lien d'activation est envoyé à %(to)s. Le lien envoyé auparavant ne fonctionne plus.",
            to=sent.sent_to,
        ),
    )


def send_page(account: Account, form: dict[str, str], errors: FormErrors, status: int = 200) -> Any:
    name = account.display_name or account.login
    html = render_template(
        "families/send.html",
        title=_("Envoyer un document à %(name)s", name=name),
        family=account,
        form=form,
        errors=errors,
        limit=limit_text(),
        accept=ACCEPT,
    )
    return html, status


@bp.get("/<hexid:account_id>/envoyer")
@signed_in("agent")
def send_document(account_id: str) -> Any:
    account = browser.user_api().run(IDENTITY, get_family_account.sync_detailed, account_id=account_id)
    return send_page(account, {}, FormErrors())


@bp.post("/<hexid:account_id>/envoyer")
@signed_in("agent")
def send_document_post(account_id: str) -> Any:
    api = browser.user_api()
    account = api.run(IDENTITY, get_family_account.sync_detailed, account_id=account_id)
    form = {name: request.form.get(name, "") for name in ("title", "message")}
    errors = forward_upload(
        lambda file, fields: api.run(
            DOCUMENTS,
            send_to_family.sync_detailed,
            account_id=account_id,
            body=SendToFamilyBody(file=file, **fields),
        ),
        form,
    )
    if errors is None:
        browser.flash(
            _(
                "Le document « %(title)s » est envoyé : la famille le trouvera dans Vos documents.",
                title=form["title"].strip(),
            )
        )
        return redirect(url_for("families.family", account_id=account_id), code=303)
    return send_page(account, form, errors, 422)


@bp.get("/documents-recus")
@signed_in("agent")
def received() -> Any:
    params = browser.page_params(PAGE_SIZE)
    page = browser.user_api().run(DOCUMENTS, received_by_structure.sync_detailed, **params)
    return render_template("families/received.html", title=_("Documents envoyés par les familles"), page=page)


@bp.post("/<hexid:account_id>/releve")
@signed_in("agent")
def statement(account_id: str) -> Any:
    """A family's statement for a year, as the family would get it (asked at the desk): the PDF, downloaded."""
    year = request.form.get("year", "")
    if not year.isdigit():
        browser.flash(_("Choisissez une année."))
        return redirect(url_for("families.family", account_id=account_id), code=303)
    api = browser.user_api()
    try:
        made = api.run(
            BILLING, generate_statement.sync_detailed, body=GenerateBody(year=int(year), account_id=account_id)
        )
        answer = api.stream(BILLING, statement_pdf, statement_id=made.statement_id)
    except ApiError as error:  # the prepaid case, a year to come: said on the family's page
        browser.flash(error.message)
        return redirect(url_for("families.family", account_id=account_id), code=303)
    return relayed(answer, "application/pdf", f'attachment; filename="{pdf_filename(answer)}"')
