"""Mes notifications: which channels (push, e-mail) and which news, per category; the devices that get push."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from portal_api_client.api.notification_preferences import get_preferences, patch_preferences
from portal_api_client.api.push_devices import (
    list_devices,
    register_device,
    remove_device,
)
from portal_api_client.api.push_devices import (
    webpush_key as webpush_key_op,
)
from portal_api_client.models import PatchPreferencesBody, RegisterDeviceBody

from portal_web import browser
from portal_web.api import NOTIFICATION, ApiError
from portal_web.browser import signed_in
from portal_web.cache import Expiring

bp = Blueprint("preferences", __name__, url_prefix="/mon-compte/notifications")
TITLE = _l("Mes notifications")
WEBPUSH_KEY: Expiring[str | None] = Expiring(300)
CHANNELS = {
    "push_enabled": _l("Notifications push (sur votre téléphone ou ce navigateur)"),
    "email_enabled": _l("E-mails"),
}
CATEGORIES = {"dossier": _l("Mon dossier"), "invoices": _l("Mes factures")}
CHOICES = {
    "enabled": _l("Me prévenir des nouvelles de cette rubrique"),
    "email": _l("Aussi par e-mail"),
    "review_completed": _l("La vérification de mon dossier est terminée"),
    "document_requested": _l("Une pièce justificative m'est demandée"),
    "quotient_updated": _l("Mon quotient familial a changé"),
    "child_school_updated": _l("La scolarité d'un enfant a changé"),
    "issued": _l("Une nouvelle facture est disponible"),
    "payment_status_changed": _l("Le paiement d'une facture est enregistré ou modifié"),
    "direct_debit_refused": _l("Un prélèvement a été refusé"),
    "unpaid_reminder": _l("Une facture reste à payer (relance)"),
    "online_payment_blocked": _l("Le paiement en ligne d'une facture est bloqué"),
}


def shown(preferences: dict[str, Any]) -> dict[str, bool]:
    """The choices the page knows words for, as dotted paths; one it cannot name is neither shown nor changed."""
    paths = {key: value for key, value in preferences.items() if key in CHANNELS and isinstance(value, bool)}
    for category, choices in preferences.items():
        if category in CATEGORIES and isinstance(choices, dict):
            paths |= {f"{category}.{k}": v for k, v in choices.items() if k in CHOICES and isinstance(v, bool)}
    return paths


def as_patch(paths: dict[str, bool]) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    for path, value in paths.items():
        category, _, choice = path.partition(".")
        if choice:
            patch.setdefault(category, {})[choice] = value
        else:
            patch[path] = value
    return patch


def webpush_key() -> str | None:
    """The portal's VAPID public key, which this browser subscribes with; None when the portal offers no Web Push.
    The same for every family and for the deployment's life: kept a few minutes."""

    def ask() -> str | None:
        try:
            return browser.user_api().run(NOTIFICATION, webpush_key_op.sync_detailed).public_key
        except ApiError:
            return None

    return WEBPUSH_KEY.get("key", ask)


def preferences() -> dict[str, Any]:
    return browser.user_api().run(NOTIFICATION, get_preferences.sync_detailed).to_dict()


def page(preferences: dict[str, Any], status: int = 200) -> Any:
    devices = browser.user_api().run(NOTIFICATION, list_devices.sync_detailed).items
    html = render_template(
        "preferences/index.html",
        title=TITLE,
        prefs=preferences,
        channels=CHANNELS,
        categories=CATEGORIES,
        choices=CHOICES,
        devices=devices,
        webpush_key=webpush_key(),
    )
    return html, status


@bp.get("")
@signed_in("family")
def index() -> Any:
    return page(preferences())


@bp.post("")
@signed_in("family")
def save() -> Any:
    current = shown(preferences())
    # A checkbox left unticked is not sent at all: every choice the page showed is set, ticked or not.
    wanted = {path: request.form.get(path) == "on" for path in current}
    try:
        saved = browser.user_api().run(
            NOTIFICATION, patch_preferences.sync_detailed, body=PatchPreferencesBody.from_dict(as_patch(wanted))
        )
    except ApiError as error:
        browser.flash(error.message)
        return redirect(url_for("preferences.index"), code=303)
    if not saved.push_enabled and not saved.email_enabled:
        browser.flash(
            _(
                "Vos choix sont enregistrés. Vous ne recevrez plus ni e-mail ni notification push : les nouvelles "
                "restent affichées sur la page d'accueil du portail, et les messages de sécurité (mot de passe, "
                "suppression du compte) vous sont toujours envoyés par e-mail."
            )
        )
    else:
        browser.flash(_("Vos choix de notification sont enregistrés."))
    return redirect(url_for("preferences.index"), code=303)


@bp.post("/appareils/<hexid:device_id>/retrait")
@signed_in("family")
def remove_this_device(device_id: str) -> Any:
    return browser.act(
        lambda: browser.user_api().run(NOTIFICATION, remove_device.sync_detailed, device_id=device_id),
        lambda removed: _("Cet appareil ne recevra plus de notifications push."),
        url_for("preferences.index"),
    )


@bp.post("/ce-navigateur")
@signed_in("family")
def add_this_browser() -> Any:
    """What static/push.js sends once the browser has subscribed: its PushSubscription, kept by notification.
    JSON in and out (a script calls it); the CSRF token comes in the X-CSRF-Token header."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("subscription"), dict):
        return {"detail": _("L'abonnement de ce navigateur est illisible.")}, 400
    device = {"kind": "webpush", "subscription": data["subscription"], "label": device_label(request.user_agent.string)}
    try:
        body = RegisterDeviceBody.from_dict(device)
    except (KeyError, TypeError, ValueError):  # not the shape of a PushSubscription
        return {"detail": _("L'abonnement de ce navigateur est illisible.")}, 400
    try:
        browser.user_api().run(NOTIFICATION, register_device.sync_detailed, body=body)
    except ApiError as error:
        return {"detail": error.message}, error.status
    browser.flash(_("Ce navigateur recevra vos notifications push."))
    return {"next": url_for("preferences.index")}, 201  # no #anchor: the page must load again, to list it


BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("SamsungBrowser/", "Samsung Internet"), ("Chrome/", "Chrome"),
            ("Safari/", "Safari"))  # fmt: skip
SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
           ("Mac OS X", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip


def device_label(user_agent: str) -> str:
    """How the family recognises this browser in its list of devices: "Firefox sur Android" (in the language of
    the page it was registered from: the name is kept as given)."""
    name = next((label for token, label in BROWSERS if token in user_agent), None) or _("Navigateur")
    system = next((label for token, label in SYSTEMS if token in user_agent), "")
    return _("%(browser)s sur %(system)s", browser=name, system=system) if system else name
