"""The structure's agents (back office): who can work on the structure's families, a new colleague (its activation
link goes by email), and disabling one who leaves (every session ends at once)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from portal_api_client.api.admin import create_agent_account, disable_agent, list_agents
from portal_api_client.models import Account, CreateAgentAccountBody

from portal_web import browser
from portal_web.api import IDENTITY, ApiError
from portal_web.browser import signed_in
from portal_web.forms import FormErrors

bp = Blueprint("colleagues", __name__, url_prefix="/structure/agents")
PAGE_SIZE = 50
FIELDS = {"login", "display_name"}
STATUSES = {"active": _l("Actif"), "pending_activation": _l("En attente d'activation"), "disabled": _l("Désactivé")}


def page(form: dict[str, str], errors: FormErrors, status: int = 200) -> Any:
    agents = browser.user_api().run(IDENTITY, list_agents.sync_detailed, **browser.page_params(PAGE_SIZE))
    html = render_template(
        "colleagues/index.html",
        title=_("Agents de la structure"),
        agents=agents,
        me=g.browser.account["account_id"],
        statuses=STATUSES,
        form=form,
        errors=errors,
    )
    return html, status


@bp.get("")
@signed_in("agent")
def index() -> Any:
    return page({}, FormErrors())


@bp.post("")
@signed_in("agent")
def add() -> Any:
    form = {name: request.form.get(name, "").strip() for name in FIELDS}
    errors = FormErrors()
    errors.require(form, "login", _("Indiquez l'adresse e-mail de l'agent."))
    errors.require(form, "display_name", _("Indiquez le nom de l'agent."))
    if not errors:
        try:
            created = browser.user_api().run(
                IDENTITY, create_agent_account.sync_detailed, body=CreateAgentAccountBody.from_dict(form)
            )
            browser.flash(_("Un e-mail d'activation est envoyé à %(to)s.", to=created.login))
            return redirect(url_for("colleagues.index"), code=303)
        except ApiError as error:
            errors = FormErrors.of(error, FIELDS, fallback="login")
    return page(form, errors, 422)


@bp.post("/<hexid:account_id>/desactivation")
@signed_in("agent")
def disable(account_id: str) -> Any:
    def disabled(agent: Account) -> str:
        name = agent.display_name or agent.login
        return _("Le compte de %(name)s est désactivé : il ne peut plus se connecter.", name=name)

    return browser.act(
        lambda: browser.user_api().run(IDENTITY, disable_agent.sync_detailed, account_id=account_id),
        disabled,
        url_for("colleagues.index"),
    )
