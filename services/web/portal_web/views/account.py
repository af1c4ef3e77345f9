"""Mon compte: the account itself, its password and where it is signed in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from portal_api_client.api.account import (
    change_password,
    delete_my_account,
    end_other_sessions,
    my_sessions,
)
from portal_api_client.api.account import (
    end_session as end_session_op,
)
from portal_api_client.api.account import (
    my_account as my_account_op,
)
from portal_api_client.api.structure import my_structure
from portal_api_client.models import ChangePasswordBody, DeleteMyAccountBody, Structure

from portal_web import browser
from portal_web.api import BILLING, IDENTITY, ApiError, ServiceUnavailable
from portal_web.browser import signed_in
from portal_web.cache import Expiring
from portal_web.forms import FormErrors

bp = Blueprint("account", __name__, url_prefix="/mon-compte")
PASSWORD_FIELDS = {"current_password", "new_password"}
STRUCTURES: Expiring[Structure] = Expiring(300)


def structure() -> Structure | None:
    """Who the family deals with, as its invoicing system described it; the page does without it if billing is
    away (nothing else on it depends on billing). Kept a few minutes per structure: it hardly ever changes."""
    try:
        return STRUCTURES.get(
            g.browser.account["structure_id"], lambda: browser.user_api().run(BILLING, my_structure.sync_detailed)
        )
    except ServiceUnavailable:
        return None


@bp.get("")
@signed_in()
def my_account() -> Any:
    account = browser.user_api().run(IDENTITY, my_account_op.sync_detailed)
    return render_template("account/index.html", title=_("Mon compte"), me=account, structure=structure())


@bp.get("/suppression")
@signed_in("family")
def delete() -> Any:
    return render_template(
        "account/delete.html", title=_("Supprimer mon compte"), errors=FormErrors(), structure=structure()
    )


@bp.post("/suppression")
@signed_in("family")
def delete_post() -> Any:
    errors = FormErrors()
    password = errors.require(request.form.to_dict(), "password", _("Indiquez votre mot de passe."))
    if not errors:
        try:
            browser.user_api().run(
                IDENTITY, delete_my_account.sync_detailed, body=DeleteMyAccountBody(password=password)
            )
        except ApiError as error:
            errors = FormErrors.of(error, {"password"}, fallback="password")
        else:
            browser.end()
            browser.flash(
                _(
                    "Votre compte a été supprimé et vous êtes déconnecté. Si vous changez d'avis, contactez votre "
                    "structure rapidement : elle peut le rétablir pendant une durée limitée."
                )
            )
            return redirect(url_for("auth.sign_in"), code=303)
    page = render_template("account/delete.html", title=_("Supprimer mon compte"), errors=errors, structure=structure())
    return page, 400


@bp.get("/mot-de-passe")
@signed_in()
def password() -> Any:
    return render_template("account/password.html", title=_("Changer mon mot de passe"), errors=FormErrors(), form={})


@bp.post("/mot-de-passe")
@signed_in()
def password_post() -> Any:
    form = request.form.to_dict()
    errors = FormErrors()
    current = errors.require(form, "current_password", _("Indiquez votre mot de passe actuel."))
    new = errors.require(form, "new_password", _("Indiquez le nouveau mot de passe."))
    if new and form.get("confirmation", "") != new:
        errors.add("confirmation", _("La confirmation ne correspond pas au nouveau mot de passe."))
    if not errors:
        sign_out_others = form.get("sign_out_other_sessions") == "on"
        try:
            answer = browser.user_api().run(
                IDENTITY,
                change_password.sync_detailed,
                body=ChangePasswordBody(
                    current_password=current, new_password=new, sign_out_other_sessions=sign_out_others
                ),
            )
        except ApiError as error:
            errors = FormErrors.of(error, PASSWORD_FIELDS, fallback="new_password")
        else:
            ended = answer.ended_sessions
            outcome = _("Votre mot de passe a été changé.")
            if ended:
                outcome += " " + ngettext(
                    "%(num)d autre session a été déconnectée : il faudra vous y reconnecter avec le nouveau mot de "
                    "passe.",
                    "%(num)d autres sessions ont été déconnectées : il faudra vous y reconnecter avec le nouveau mot "
                    "de passe.",
                    ended,
                )
            elif sign_out_others:
                outcome += " " + _("Vous n'étiez connecté nulle part ailleurs.")
            browser.flash(outcome)
            return redirect(url_for("account.my_account"), code=303)
    kept = {"sign_out_other_sessions": form.get("sign_out_other_sessions")}  # passwords are never sent back
    return render_template("account/password.html", title=_("Changer mon mot de passe"), errors=errors, form=kept), 400


@bp.get("/connexions")
@signed_in()
def where_signed_in() -> Any:
    live = browser.user_api().run(IDENTITY, my_sessions.sync_detailed)
    return render_template("account/sessions.html", title=_("Où je suis connecté"), sessions=live.items)


@bp.post("/connexions/<session_id>/fin")
@signed_in()
def end_session(session_id: str) -> Any:
    if len(session_id) != 32 or not all(c in "0123456789abcdef" for c in session_id):
        browser.flash(_("Cette connexion n'existe pas ou est déjà terminée."))
        return redirect(url_for("account.where_signed_in"), code=303)
    return browser.act(
        lambda: browser.user_api().run(IDENTITY, end_session_op.sync_detailed, session_id=session_id),
        lambda ended: _("Cette connexion est terminée."),
        url_for("account.where_signed_in"),
    )


@bp.post("/connexions/fin-des-autres")
@signed_in()
def end_others() -> Any:
    ended = browser.user_api().run(IDENTITY, end_other_sessions.sync_detailed).ended_sessions
    browser.flash(
        ngettext("%(num)d autre connexion terminée.", "%(num)d autres connexions terminées.", ended)
        if ended
        else _("Vous n'étiez connecté nulle part ailleurs.")
    )
    return redirect(url_for("account.where_signed_in"), code=303)
