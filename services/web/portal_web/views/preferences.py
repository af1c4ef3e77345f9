"""Mes notifications: which channels (push, e-mail) and which news, per category; the devices that get push."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from portal_web import browser
from portal_web.api import NOTIFICATION, ApiError
from portal_web.browser import signed_in

bp = Blueprint("preferences", __name__, url_prefix="/mon-compte/notifications")
TITLE = "Mes notifications"
CHANNELS = {
    "push_enabled": "Notifications push (sur votre téléphone ou ce navigateur)",
    "email_enabled": "E-mails",
}
CATEGORIES = {"dossier": "Mon dossier", "invoices": "Mes factures"}
CHOICES = {
    "enabled": "Me prévenir des nouvelles de cette rubrique",
    "email": "Aussi par e-mail",
    "review_completed": "La vérification de mon dossier est terminée",
    "document_requested": "Une pièce justificative m'est demandée",
    "quotient_updated": "Mon quotient familial a changé",
    "child_school_updated": "La scolarité d'un enfant a changé",
    "issued": "Une nouvelle facture est disponible",
    "payment_status_changed": "Le paiement d'une facture est enregistré ou modifié",
    "direct_debit_refused": "Un prélèvement a été refusé",
    "unpaid_reminder": "Une facture reste à payer (relance)",
    "online_payment_blocked": "Le paiement en ligne d'une facture est bloqué",
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


def page(preferences: dict[str, Any], status: int = 200) -> Any:
    devices = browser.user_api().json(NOTIFICATION, "GET", "/v1/push-devices")["items"]
    html = render_template(
        "preferences/index.html",
        title=TITLE,
        prefs=preferences,
        channels=CHANNELS,
        categories=CATEGORIES,
        choices=CHOICES,
        devices=devices,
    )
    return html, status


@bp.get("")
@signed_in("family")
def index() -> Any:
    return page(browser.user_api().json(NOTIFICATION, "GET", "/v1/notification-preferences"))


@bp.post("")
@signed_in("family")
def save() -> Any:
    api = browser.user_api()
    current = shown(api.json(NOTIFICATION, "GET", "/v1/notification-preferences"))
    # A checkbox left unticked is not sent at all: every choice the page showed is set, ticked or not.
    wanted = {path: request.form.get(path) == "on" for path in current}
    try:
        saved = api.json(NOTIFICATION, "PATCH", "/v1/notification-preferences", json=as_patch(wanted))
    except ApiError as error:
        browser.flash(error.message)
        return redirect(url_for("preferences.index"), code=303)
    if not saved["push_enabled"] and not saved["email_enabled"]:
        browser.flash(
            "Vos choix sont enregistrés. Vous ne recevrez plus ni e-mail ni notification push : les nouvelles "
            "restent affichées sur la page d'accueil du portail, et les messages de sécurité (mot de passe, "
            "suppression du compte) vous sont toujours envoyés par e-mail."
        )
    else:
        browser.flash("Vos choix de notification sont enregistrés.")
    return redirect(url_for("preferences.index"), code=303)


@bp.post("/appareils/<hexid:device_id>/retrait")
@signed_in("family")
def remove_device(device_id: str) -> Any:
    try:
        browser.user_api().call(NOTIFICATION, "DELETE", f"/v1/push-devices/{device_id}")
        browser.flash("Cet appareil ne recevra plus de notifications push.")
    except ApiError as error:
        browser.flash(error.message)
    return redirect(url_for("preferences.index"), code=303)
