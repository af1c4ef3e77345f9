"""Historique: every action on the account, newest first, filtered by area and paged."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from portal_api_client.api.account import my_activity
from portal_api_client.models import MyActivityTypeItem
from portal_api_client.types import UNSET

from portal_web import browser
from portal_web.api import IDENTITY
from portal_web.browser import signed_in

bp = Blueprint("history", __name__, url_prefix="/mon-compte/historique")
PAGE_SIZE = 25
# Areas a parent filters on, as identity's activity types (the public API's `type` values).
AREAS: dict[str, tuple[LazyString, list[str]]] = {
    "securite": (
        _l("Connexions et sécurité"),
        [
            "account.login_succeeded",
            "account.login_failed",
            "account.logged_out",
            "account.session_revoked",
            "account.password_changed",
            "account.password_reset_requested",
        ],
    ),
    "compte": (
        _l("Mon compte"),
        [
            "account.created",
            "account.activation_resent",
            "account.activated",
            "account.deleted",
            "account.restored",
            "account.disabled",
            "account.contact_email_change_requested",
            "account.contact_email_changed",
            "account.contact_email_change_undone",
            "notification.preferences_changed",
        ],
    ),
    "dossier": (
        _l("Dossier et réservations"),
        [
            "dossier.review_completed",
            "dossier.document_requested",
            "dossier.quotient_updated",
            "dossier.child_school_updated",
            "dossier.updated",
            "reservation.created",
            "reservation.cancelled",
        ],
    ),
    "factures": (
        _l("Factures et relevés"),
        [
            "invoice.issued",
            "invoice.payment_status_changed",
            "invoice.direct_debit_refused",
            "invoice.unpaid_reminder",
            "invoice.online_payment_blocked",
            "statement.generated",
            "statement.certificate_available",
        ],
    ),
    "documents": (_l("Documents"), ["document.shared", "document.uploaded"]),
}


@bp.get("")
@signed_in()
def index() -> Any:
    chosen = [area for area in request.args.getlist("domaine") if area in AREAS]
    paging = browser.page_params(PAGE_SIZE)
    types = [MyActivityTypeItem(kind) for area in chosen for kind in AREAS[area][1]]
    page = browser.user_api().run(IDENTITY, my_activity.sync_detailed, **paging, type_=types or UNSET)
    return render_template(
        "account/history.html",
        title=_("Historique de mon compte"),
        entries=page.items,
        next_cursor=page.next_cursor,
        areas=AREAS,
        chosen=chosen,
        first_page="cursor" not in paging,
    )
