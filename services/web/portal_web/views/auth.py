"""Signing in and out."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from portal_api_client.api.account import my_account
from portal_api_client.api.auth import login, logout, password_reset
from portal_api_client.models import LoginBody, PasswordResetBody

from portal_web import browser
from portal_web.api import IDENTITY, ApiError, SignedOut, UserApi
from portal_web.context import ctx
from portal_web.forms import FormErrors

bp = Blueprint("auth", __name__)


@bp.get("/connexion")
def sign_in() -> Any:
    session = g.get("browser")
    if session is not None and session.signed_in:
        return redirect(browser.local_path(request.args.get("suite")))
    browser.browser()  # the form's CSRF token
    return render_template("sign_in.html", title=_("Connexion"), errors=FormErrors(), form={})


@bp.post("/connexion")
def sign_in_post() -> Any:
    form = request.form.to_dict()
    errors = FormErrors()
    identifier = errors.require(form, "login", _("Indiquez votre identifiant."))
    password = errors.require(form, "password", _("Indiquez votre mot de passe."))
    if not errors:
        try:
            client = ctx().api
            issued = client.run(
                IDENTITY,
                login.sync_detailed,
                headers=client.headers(None, request.remote_addr, request.headers.get("User-Agent", "")),
                body=LoginBody(login=identifier.strip(), password=password),
            )
        except ApiError as error:
            errors = FormErrors.of(error, {"login", "password"}, fallback="password")
        else:
            session = ctx().store.renew(g.get("browser"))
            session.tokens = client.tokens(issued)
            browser.start_signed_in(session)
            session.account = (
                UserApi(client, ctx().store, session, client_ip=request.remote_addr or "", user_agent="")
                .run(IDENTITY, my_account.sync_detailed)
                .to_dict()
            )
            ctx().store.save(session)
            return redirect(browser.local_path(request.args.get("suite")), code=303)
    form.pop("password", None)  # never sent back to the browser
    return render_template("sign_in.html", title=_("Connexion"), errors=errors, form=form), 400


@bp.post("/deconnexion")
def sign_out() -> Any:
    session = g.get("browser")
    if session is not None and session.signed_in:
        with suppress(ApiError, SignedOut):  # already ended elsewhere: signing out here still forgets it
            browser.user_api().run(IDENTITY, logout.sync_detailed)
    browser.end()
    browser.flash(_("Vous êtes déconnecté."))
    return redirect(url_for("auth.sign_in"), code=303)


FORGOTTEN_SENT = _l(
    "Si un compte correspond à cet identifiant, un e-mail vient de lui être envoyé avec un lien pour choisir un "
    "nouveau mot de passe. Ce lien ne sert qu'une fois et pendant peu de temps. Pensez à regarder dans vos "
    "courriers indésirables."
)


@bp.get("/connexion/mot-de-passe-oublie")
def forgotten() -> Any:
    browser.browser()  # the form's CSRF token
    return render_template("forgotten.html", title=_("Mot de passe oublié"), errors=FormErrors(), form={})


@bp.post("/connexion/mot-de-passe-oublie")
def forgotten_post() -> Any:
    """The same answer whether the identifier exists or not (identity's too): nobody learns who has an account."""
    form = {"login": request.form.get("login", "").strip()}
    errors = FormErrors()
    identifier = errors.require(form, "login", _("Indiquez votre identifiant."))
    if not errors:
        try:
            api = ctx().api
            api.run(
                IDENTITY,
                password_reset.sync_detailed,
                headers=api.headers(client_ip=request.remote_addr),
                body=PasswordResetBody(login=identifier),
            )
            browser.flash(str(FORGOTTEN_SENT))
            return redirect(url_for("auth.sign_in"), code=303)
        except ApiError as error:  # not an address, or too many requests from here
            errors = FormErrors.of(error, {"login"}, fallback="login")
    return render_template("forgotten.html", title=_("Mot de passe oublié"), errors=errors, form=form), 400
