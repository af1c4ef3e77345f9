"""HTTP API of the notification service (families, behind the gateway)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from portal_common import pages
from portal_common.bodies import NO_CONTROL_CHARACTERS, accepts, accepts_query, body, obj, query, string
from portal_common.http import principal, require_auth
from portal_common.openapi import html_page
from portal_common.pagination import QUERY_PARAMETERS
from portal_common.problems import Problem
from portal_common.responses import (
    BOOLEAN,
    INSTANT,
    INTEGER,
    TEXT,
    closed,
    empty,
    file_body,
    json_body,
    nullable,
    page_of,
    responds,
)
from portal_common.service import current
from portal_notification import devices, feed, store, unsubscribe
from portal_notification.context import Context
from portal_notification.preferences import flatten, patch_schema, view_schema

api = Blueprint("notification", __name__, url_prefix="/v1")


def ctx() -> Context:
    return current(Context)


# ---------------------------------------------------------------------------------------------- answers

PREFERENCES = json_body(200, view_schema())
DEVICE = closed(
    "PushDevice",
    device_id=TEXT,
    kind={"enum": list(devices.KINDS)},
    label={**TEXT, "description": "Nom du support, affiché à la famille"},
    target_hint={**TEXT, "description": "Les 4 derniers caractères de la cible"},
    created_at=INSTANT,
)
FEED_ITEM = closed(
    "Notification",
    notification_id=TEXT,
    type=TEXT,
    category=TEXT,
    title={**TEXT, "description": "En français, à afficher"},
    body=TEXT,
    created_at=INSTANT,
    target=nullable(closed("NotificationTarget", kind={"enum": ["statement", "document"]}, id=TEXT)),
    read=BOOLEAN,
)
FEED = page_of(FEED_ITEM, "NotificationPage", unread_count=INTEGER)
UNSUBSCRIBED = closed("Unsubscribed", status=TEXT, category=TEXT)


@api.get("/notification-preferences")
@responds(PREFERENCES)
@require_auth("family")
def get_preferences() -> Any:
    return ctx().preferences.get(principal().account_id)


@api.patch("/notification-preferences")
@responds(PREFERENCES)
@require_auth("family")
@accepts(patch_schema())
def patch_preferences() -> Any:
    me = principal()
    patch = flatten(body())
    return ctx().preferences.change(me.account_id, me.structure_id, patch, actor="family")


@api.get("/push-devices")
@responds(json_body(200, closed("PushDevices", items={"type": "array", "items": DEVICE})))
@require_auth("family")
def list_devices() -> Any:
    return {"items": [devices.view(d) for d in devices.of_account(ctx().db, principal().account_id)]}


# What a browser's PushSubscription.toJSON() gives (Web Push).
SUBSCRIPTION = obj(
    {
        "endpoint": string(1, 1000, description="URL https du service de notification du navigateur"),
        "keys": obj({"p256dh": string(1, 200), "auth": string(1, 100)}),
    },
    {"expirationTime": {"type": ["number", "null"]}},
)


@api.post("/push-devices")
@responds(
    json_body(201, DEVICE, "Support enregistré"),
    json_body(200, DEVICE, "Support déjà enregistré"),
    errors={409: "Trop de supports pour ce compte"},
)
@require_auth("family")
@accepts(
    obj(
        {"kind": {"type": "string", "enum": list(devices.KINDS)}},
        {
            "target": string(
                0,
                4096,
                description="ntfy : le sujet ; gotify : le jeton d'application ; fcm : le jeton d'enregistrement FCM",
            ),
            "subscription": SUBSCRIPTION,
            "label": string(0, 100, pattern=NO_CONTROL_CHARACTERS, description="Nom du support, affiché à la famille"),
        },
    )
)
def register_device() -> Any:
    data = body()
    device, created = devices.register(
        ctx().db,
        principal().account_id,
        data["kind"],
        ctx().push_offer,
        target=data.get("target"),
        subscription=data.get("subscription"),
        label=data.get("label", ""),
    )
    return devices.view(device), 201 if created else 200


@api.get("/push-devices/webpush-key")
@responds(
    json_body(200, closed("WebPushKey", public_key=TEXT)), errors={404: "Web Push n'est pas proposé par ce portail"}
)
@require_auth("family")
def webpush_key() -> Any:
    """The portal's VAPID public key: the `applicationServerKey` a browser subscribes with."""
    offer: devices.Offer = ctx().push_offer
    if offer.web_push is None:
        raise Problem(404, "Les notifications Web Push ne sont pas proposées par ce portail.", slug="webpush-off")
    return {"public_key": offer.web_push.public_key()}


@api.delete("/push-devices/<hexid:device_id>")
@responds(empty("Support retiré"))
@require_auth("family")
def remove_device(device_id: str) -> Response:
    devices.remove(ctx().db, principal().account_id, device_id)
    return Response(status=204)


@api.get("/notifications")
@responds(json_body(200, FEED))
@require_auth("family")
@accepts_query(QUERY_PARAMETERS)
def list_notifications() -> Any:
    return feed.page(
        ctx().db,
        principal().account_id,
        limit=query()["limit"],
        cursor=query()["cursor"],
    )


@api.post("/notifications/<notification_id>/read")
@responds(empty("Marquée lue"))
@require_auth("family")
def read_one(notification_id: str) -> Response:
    feed.mark_read(ctx().db, principal().account_id, notification_id)
    return Response(status=204)


@api.post("/notifications/read-all")
@responds(empty("Toutes marquées lues"))
@require_auth("family")
def read_all() -> Response:
    feed.mark_all_read(ctx().db, principal().account_id)
    return Response(status=204)


PAGES = pages.templates(__file__)
# The unsubscribe page's words, in the language chosen on the portal (else the browser's).
CATEGORIES = {
    "fr": {"dossier": "Dossier", "invoices": "Factures", "documents": "Documents"},
    "en": {"dossier": "Family file", "invoices": "Invoices", "documents": "Documents"},
}
WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "site": "Portail famille",
        "title_ask": "Se désabonner des e-mails",
        "title_done": "Désabonnement enregistré",
        "title_invalid": "Lien non valide",
        "ask": "Vous ne recevrez plus par e-mail les notifications « {category} » du portail famille. Elles resteront "
        "dans le fil d'actualité de votre espace, et les messages de sécurité de votre compte vous seront toujours "
        "envoyés.",
        "button": "Me désabonner des e-mails « {category} »",
        "done": "C'est fait : vous ne recevrez plus par e-mail les notifications « {category} ». Elles restent dans le "
        "fil d'actualité de votre espace.",
        "again": "Pour les recevoir de nouveau : connectez-vous au portail famille, ouvrez « Mon compte », puis « Mes "
        "notifications : e-mail et push », et cochez « e-mail » pour « {category} ».",
        "invalid": "Ce lien de désabonnement n'est pas valide : il a peut-être été copié en partie. Vous pouvez aussi "
        "choisir les e-mails que vous recevez dans « Mon compte », « Mes notifications : e-mail et push », sur le "
        "portail famille.",
    },
    "en": {
        "site": "Family portal",
        "title_ask": "Unsubscribe from emails",
        "title_done": "Unsubscribed",
        "title_invalid": "Invalid link",
        "ask": "You will no longer receive the family portal's “{category}” notifications by email. They will stay in "
        "the news feed of your account, and your account's security messages will still be sent to you.",
        "button": "Unsubscribe from “{category}” emails",
        "done": "Done: you will no longer receive “{category}” notifications by email. They stay in the news feed of "
        "your account.",
        "again": "To receive them again: sign in to the family portal, open “My account”, then “My notifications: "
        "email and push”, and tick “email” for “{category}”.",
        "invalid": "This unsubscribe link is not valid: it may have been copied in part. You can also choose the "
        "emails you receive in “My account”, “My notifications: email and push”, on the family portal.",
    },
}


def page(state: str, category: str = "", status: int = 200) -> Response:
    lang = pages.language()
    name = CATEGORIES[lang].get(category, category)
    text = {key: value.format(category=name) for key, value in WORDS[lang].items()}
    html = PAGES.get_template("unsubscribe.html").render(
        lang=lang, state=state, title=text[f"title_{state}"], text=text
    )
    return pages.page(html, status)


@api.get("/unsubscribe")
@html_page
@accepts_query([{"name": "token", "required": True, "schema": string(1, 500)}])
def unsubscribe_page() -> Any:
    """The link in the email's body, opened in a browser: a confirmation page whose button POSTs. A GET changes
    nothing, so a mail scanner following the link unsubscribes nobody."""
    verified = unsubscribe.verify(ctx().config.unsubscribe_secret, query()["token"])
    if verified is None:
        return page("invalid", status=400)
    return page("ask", verified[1])


@api.post("/unsubscribe")
@responds(
    json_body(200, UNSUBSCRIBED, "Désabonné (RFC 8058)"),
    file_body(200, "text/html", description="Désabonné : la page qui le dit (confirmation=page)"),
    file_body(400, "text/html", description="Lien invalide : la page qui le dit (confirmation=page)"),
    errors={400: "Lien de désabonnement invalide (page ou RFC 9457)"},
)
@accepts_query([{"name": "token", "required": True, "schema": string(1, 500)}])
def one_click_unsubscribe() -> Any:
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` to the signed link; no login. The page's
    button posts `confirmation=page` and gets a page saying what was turned off and how to turn it back on."""
    from_page = request.form.get("confirmation") == "page"
    verified = unsubscribe.verify(ctx().config.unsubscribe_secret, query()["token"])
    if verified is None:
        if from_page:
            return page("invalid", status=400)
        raise Problem(400, "Ce lien de désabonnement est invalide.", slug="invalid-unsubscribe-token")
    account_id, category = verified
    contact = store.contact(ctx().db, account_id) or {}
    ctx().preferences.change(
        account_id, contact.get("structure_id", ""), {f"{category}.email": False}, actor="unsubscribe"
    )
    if from_page:
        return page("done", category)
    return {"status": "Vous ne recevrez plus ces e-mails.", "category": category}
