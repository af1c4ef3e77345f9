"""The pages the security emails link to, for a browser without JavaScript, in French or English (the language
chosen on the portal, else the browser's): activation and reset (a form that chooses the password), confirming or
undoing a new contact email (one button: opening the link does nothing by itself, so a mail scanner that follows
links changes nothing). They use the same functions as the JSON API (`/v1/auth/activate`,
`/v1/auth/password-reset/confirm`, `/v1/auth/contact-email/confirm` and `/undo`); how long a link works is said
from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, Response, request

from portal_common import pages
from portal_common.openapi import html_page
from portal_common.problems import Problem
from portal_common.service import current
from portal_identity import accounts, contact_email
from portal_identity.api import link_attempt  # the API's throttle of link guesses, shared
from portal_identity.config import IdentityConfig
from portal_identity.context import Context
from portal_identity.passwords import MAX_LENGTH, MIN_LENGTH

link_pages = Blueprint("link_pages", __name__)
TEMPLATES = pages.templates(__file__)


@dataclass(frozen=True)
class Texts:
    """A page's words in one language; `{valid}` in `again` is how long such a link lasts (from the settings)."""

    title: str
    intro: str
    button: str
    done: str
    again: str  # what to do when the link no longer works


@dataclass(frozen=True)
class LinkPage:
    path: str
    texts: dict[str, Texts]  # per language
    valid_for: Callable[[IdentityConfig], int]  # seconds a link of this kind works
    use: Callable[..., Any]  # (ctx, token, password) or, without a password, (ctx, token)
    with_password: bool = True


ACTIVATION = LinkPage(
    "/activation",
    {
        "fr": Texts(
            "Activez votre compte",
            "Choisissez le mot de passe de votre compte du portail famille.",
            "Activer mon compte",
            "Votre compte est activé. Vous pouvez maintenant vous connecter au portail famille avec votre identifiant "
            "et ce mot de passe.",
            "Un lien d'activation ne sert qu'une fois et pendant {valid} : demandez-en un nouveau à votre structure.",
        ),
        "en": Texts(
            "Activate your account",
            "Choose the password of your family portal account.",
            "Activate my account",
            "Your account is active. You can now sign in to the family portal with your login and this password.",
            "An activation link works once and for {valid}: ask your structure for a new one.",
        ),
    },
    lambda config: config.activation_token_ttl_seconds,
    accounts.activate,
)
RESET = LinkPage(
    "/mot-de-passe/nouveau",
    {
        "fr": Texts(
            "Choisissez un nouveau mot de passe",
            "Choisissez le nouveau mot de passe de votre compte du portail famille.",
            "Enregistrer le mot de passe",
            "Votre mot de passe est modifié et vos autres connexions sont fermées. Vous pouvez vous connecter avec ce "
            "nouveau mot de passe.",
            "Un lien de réinitialisation ne sert qu'une fois et pendant {valid} : refaites une demande depuis « Mot "
            "de passe oublié » sur la page de connexion.",
        ),
        "en": Texts(
            "Choose a new password",
            "Choose the new password of your family portal account.",
            "Save the password",
            "Your password is changed and your other sessions are closed. You can sign in with this new password.",
            "A reset link works once and for {valid}: ask again from “Forgotten password” on the sign-in page.",
        ),
    },
    lambda config: config.reset_token_ttl_seconds,
    accounts.confirm_reset,
)
EMAIL_CONFIRM = LinkPage(
    "/adresse-email/confirmer",
    {
        "fr": Texts(
            "Confirmez votre nouvelle adresse e-mail",
            "Confirmez que cette adresse est la vôtre : le portail famille vous écrira désormais ici.",
            "Confirmer cette adresse",
            "Votre nouvelle adresse e-mail est enregistrée. Votre ancienne adresse a reçu un message qui permet "
            "d'annuler ce changement.",
            "Un lien de confirmation ne sert qu'une fois et pendant {valid} : refaites le changement depuis « Mon "
            "compte ».",
        ),
        "en": Texts(
            "Confirm your new email address",
            "Confirm that this address is yours: the family portal will write to you here from now on.",
            "Confirm this address",
            "Your new email address is saved. Your former address received a message that can undo this change.",
            "A confirmation link works once and for {valid}: make the change again from “My account”.",
        ),
    },
    lambda config: config.email_change_ttl_seconds,
    contact_email.confirm,
    with_password=False,
)
EMAIL_UNDO = LinkPage(
    "/adresse-email/annuler",
    {
        "fr": Texts(
            "Annulez le changement d'adresse e-mail",
            "Votre adresse e-mail de contact a été remplacée. Si vous n'êtes pas à l'origine de ce changement, "
            "rétablissez votre adresse : toutes les connexions à votre compte seront fermées.",
            "Rétablir mon adresse",
            "Votre adresse e-mail est rétablie et toutes les connexions à votre compte sont fermées. Si vous n'êtes "
            "pas à l'origine du changement, choisissez un nouveau mot de passe depuis « Mot de passe oublié » sur la "
            "page de connexion.",
            "Ce lien d'annulation ne sert qu'une fois et pendant {valid} : contactez votre structure.",
        ),
        "en": Texts(
            "Undo the change of email address",
            "Your contact email address was replaced. If you did not make this change, restore your address: every "
            "session of your account will be closed.",
            "Restore my address",
            "Your email address is restored and every session of your account is closed. If you did not make the "
            "change, choose a new password from “Forgotten password” on the sign-in page.",
            "This undo link works once and for {valid}: contact your structure.",
        ),
    },
    lambda config: config.email_undo_days * 86400,
    contact_email.undo,
    with_password=False,
)
# The words of the form and its refusals, per language (identity's own refusals, such as the password rules,
# stay in French, as the services speak it).
WORDS = {
    "fr": {
        "site": "Portail famille",
        "password": "Nouveau mot de passe",
        "hint": "Au moins {min} caractères ; une phrase facile à retenir convient très bien.",
        "confirmation": "Confirmez le mot de passe",
        "incomplete": "Ce lien est incomplet : ouvrez-le de nouveau depuis l'e-mail reçu.",
        "too_long": "Au plus {max} caractères.",
        "different": "Les deux mots de passe sont différents.",
    },
    "en": {
        "site": "Family portal",
        "password": "New password",
        "hint": "At least {min} characters; a sentence that is easy to remember works very well.",
        "confirmation": "Confirm the password",
        "incomplete": "This link is incomplete: open it again from the email you received.",
        "too_long": "At most {max} characters.",
        "different": "The two passwords differ.",
    },
}


def render(page: LinkPage, status: int = 200, **context: Any) -> Response:
    lang = pages.language()
    valid = pages.duration(page.valid_for(current(Context).config), lang)
    texts = page.texts[lang]
    html = TEMPLATES.get_template("link_page.html").render(
        page=page,
        lang=lang,
        texts=replace(texts, again=texts.again.format(valid=valid)),
        words=WORDS[lang],
        min_length=MIN_LENGTH,
        errors=context.pop("errors", {}),
        **context,
    )
    return pages.page(html, status)


def word(name: str, **values: Any) -> str:
    return WORDS[pages.language()][name].format(**values)


def show(page: LinkPage) -> Response:
    token = request.args.get("token", "")
    if not token or len(token) > 200:
        return render(page, 400, link_error=word("incomplete"))
    return render(page, token=token)


def submit(page: LinkPage) -> Response:
    token, password = request.form.get("token", ""), request.form.get("password", "")
    if not token or len(token) > 200:
        return render(page, 400, link_error=word("incomplete"))
    if not page.with_password:
        return _use(page, token)
    if len(password) > MAX_LENGTH:
        return render(page, 422, token=token, errors={"password": word("too_long", max=MAX_LENGTH)})
    if password != request.form.get("confirmation", ""):
        return render(page, 422, token=token, errors={"confirmation": word("different")})
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
