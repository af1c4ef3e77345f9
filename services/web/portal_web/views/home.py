"""The home page: the family's feed, newest first, with what is still unread."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for
from flask_babel import gettext as _
from portal_api_client.api.notifications import list_notifications, read_all, read_one

from portal_web import browser
from portal_web.api import NOTIFICATION
from portal_web.browser import signed_in

bp = Blueprint("home", __name__)
PAGE_SIZE = 20


@bp.get("/")
@signed_in()
def home() -> Any:
    if g.browser.role == "agent":  # an agent's work starts with the structure's families
        return redirect(url_for("families.search"))
    params = browser.page_params(PAGE_SIZE)
    feed = browser.user_api().run(NOTIFICATION, list_notifications.sync_detailed, **params)
    return render_template("home.html", title=_("Accueil"), feed=feed, first_page="cursor" not in params)


@bp.post("/notifications/<notification_id>/lue")
@signed_in("family")
def mark_read(notification_id: str) -> Any:
    browser.user_api().run(NOTIFICATION, read_one.sync_detailed, notification_id=notification_id)
    return redirect(url_for("home.home", _anchor=f"n-{notification_id}"), code=303)


@bp.post("/notifications/tout-lu")
@signed_in("family")
def mark_all_read() -> Any:
    browser.user_api().run(NOTIFICATION, read_all.sync_detailed)
    browser.flash(_("Toutes les notifications sont marquées comme lues."))
    return redirect(url_for("home.home"), code=303)
