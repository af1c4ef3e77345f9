"""The pages the security emails link to, for a browser without JavaScript: activation and reset (a French form
that chooses the password), confirming or undoing a new contact email (one button: opening the link does
nothing by itself, so a mail scanner that follows links changes nothing). They use the same functions as the
JSON API (`/v1/auth/activate`, `/v1/auth/password-reset/confirm`, `/v1/auth/contact-email/confirm` and `/undo`)
until the web front end takes them over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, request

from portal_common import pages
from portal_common.openapi import html_page
from portal_common.problems import Problem
from portal_common.service import current
from portal_identity import accounts, contact_email
from portal_identity.api import link_attempt  # the API's throttle of link guesses, shared
from portal_identity.context import Context
from portal_identity.passwords import MAX_LENGTH, MIN_LENGTH

link_pages = Blueprint("link_pages", __name__)
TEMPLATES = pages.templates(__file__)


@dataclass(frozen=True)
class LinkPage:
    path: str
    title: str
    intro: str
    button: str
    done: str
    again: str  # what to do when the link no longer works
    use: Callable[..., Any]  # (ctx, token, password) or, without a password, (ctx, token)
    with_password: bool = True


ACTIVATION = LinkPage(
    "/activation",
    "Activez votre compte",
    "Choisissez le mot de passe de votre compte du portail famille.",
    "Activer mon compte",
    "Votre compte est activé. Vous pouvez maintenant vous connecter au portail famille avec votre identifiant et "
    "ce mot de passe.",
    "Un lien d'activation ne sert qu'une fois et pendant 7 jours : demandez-en un nouveau à votre structure.",
    accounts.activate,
)
RESET = LinkPage(
    "/mot-de-passe/nouveau",
    "Choisissez un nouveau mot de passe",
    "Choisissez le nouveau mot de passe de votre compte du portail famille.",
    "Enregistrer le mot de passe",
    "Votre mot de passe est modifié et vos autres connexions sont fermées. Vous pouvez vous connecter avec ce "
    "nouveau mot de passe.",
    "Un lien de réinitialisation ne sert qu'une fois et peu de temps : refaites une demande depuis « Mot de passe "
    "oublié » sur la page de connexion.",
    accounts.confirm_reset,
)
EMAIL_CONFIRM = LinkPage(
    "/adresse-email/confirmer",
    "Confirmez votre nouvelle adresse e-mail",
    "Confirmez que cette adresse est la vôtre : le portail famille vous écrira désormais ici.",
    "Confirmer cette adresse",
    "Votre nouvelle adresse e-mail est enregistrée. Votre ancienne adresse a reçu un message qui permet d'annuler "
    "ce changement pendant 7 jours.",
    "Un lien de confirmation ne sert qu'une fois et pendant 24 heures : refaites le changement depuis « Mon compte ».",
    contact_email.confirm,
    with_password=False,
)
EMAIL_UNDO = LinkPage(
    "/adresse-email/annuler",
    "Annulez le changement d'adresse e-mail",
    "Votre adresse e-mail de contact a été remplacée. Si vous n'êtes pas à l'origine de ce changement, rétablissez "
    "votre adresse : toutes les connexions à votre compte seront fermées.",
    "Rétablir mon adresse",
    "Votre adresse e-mail est rétablie et toutes les connexions à votre compte sont fermées. Si vous n'êtes pas à "
    "l'origine du changement, choisissez un nouveau mot de passe depuis « Mot de passe oublié » sur la page de "
    "connexion.",
    "Ce lien d'annulation ne sert qu'une fois et pendant 7 jours : contactez votre structure.",
    contact_email.undo,
    with_password=False,
)


def render(page: LinkPage, status: int = 200, **context: Any) -> Response:
    html = TEMPLATES.get_template("link_page.html").render(
        page=page, min_length=MIN_LENGTH, errors=context.pop("errors", {}), **context
    )
    return pages.page(html, status)


def show(page: LinkPage) -> Response:
    token = request.args.get("token", "")
    if not token or len(token) > 200:
        return render(page, 400, link_error="Ce lien est incomplet : ouvrez-le de nouveau depuis l'e-mail reçu.")
    return render(page, token=token)


def submit(page: LinkPage) -> Response:
    token, password = request.form.get("token", ""), request.form.get("password", "")
    if not token or len(token) > 200:
        return render(page, 400, link_error="Ce lien est incomplet : ouvrez-le de nouveau depuis l'e-mail reçu.")
    if not page.with_password:
        return _use(page, token)
    if len(password) > MAX_LENGTH:
        return render(page, 422, token=token, errors={"password": f"Au plus {MAX_LENGTH} caractères."})
    if password != request.form.get("confirmation", ""):
        return render(page, 422, token=token, errors={"confirmation": "Les deux mots de passe sont différents."})
    return _use(page, token, password)


def _use(page: LinkPage, token: str, *password: str) -> Response:
    try:
        with link_attempt():
            page.use(current(Context), token, *password)
    except Problem as problem:
        if problem.status == 422:  # the password policy: said next to the field, the link still usable
            return render(page, 422, token=token, errors={"password": problem.detail})
        response = render(page, problem.status, link_error=problem.detail)
        response.headers.update(problem.headers)  # Retry-After when guesses from this address are throttled
        return response
    return render(page, done=True)


PAGES = {"activation": ACTIVATION, "reset": RESET, "email_confirm": EMAIL_CONFIRM, "email_undo": EMAIL_UNDO}
for name, link_page in PAGES.items():
    link_pages.add_url_rule(link_page.path, name, html_page(lambda p=link_page: show(p)), methods=["GET"])
    link_pages.add_url_rule(
        link_page.path, f"{name}_submit", html_page(lambda p=link_page: submit(p)), methods=["POST"]
    )
