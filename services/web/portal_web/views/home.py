"""The home page: the family's feed, newest first, with what is still unread."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, url_for
from flask_babel import gettext as _

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
    feed = browser.user_api().json(NOTIFICATION, "GET", "/v1/notifications", params=params)
    return render_template("home.html", title=_("Accueil"), feed=feed, first_page="cursor" not in params)


@bp.post("/notifications/<notification_id>/lue")
@signed_in("family")
def read_one(notification_id: str) -> Any:
    browser.user_api().call(NOTIFICATION, "POST", f"/v1/notifications/{notification_id}/read")
    return redirect(url_for("home.home", _anchor=f"n-{notification_id}"), code=303)


@bp.post("/notifications/tout-lu")
@signed_in("family")
def read_all() -> Any:
    browser.user_api().call(NOTIFICATION, "POST", "/v1/notifications/read-all")
    browser.flash(_("Toutes les notifications sont marquées comme lues."))
    return redirect(url_for("home.home"), code=303)
