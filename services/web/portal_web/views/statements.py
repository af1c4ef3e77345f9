"""Mes relevés: a statement of period-billed activities for a year or a period, shown, printed and downloaded
as the PDF billing-statement made (for the tax declaration)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from portal_api_client.api.statements import generate as generate_statement
from portal_api_client.api.statements import get_statement, list_statements, statement_pdf
from portal_api_client.models import GenerateBody

from portal_web import browser
from portal_web.api import BILLING, ApiError, relayed
from portal_web.browser import signed_in
from portal_web.forms import FormErrors

bp = Blueprint("statements", __name__, url_prefix="/mes-releves")
TITLE = _l("Mes relevés")
FIELDS = {"year", "period_start", "period_end"}
YEARS_OFFERED = 6  # the current year and the five before: what a tax office may still ask about


def years() -> list[int]:
    this_year = date.today().year
    return list(range(this_year, this_year - YEARS_OFFERED, -1))


def statement_request(form: dict[str, str], errors: FormErrors) -> dict[str, Any]:
    """The form as billing-statement's request: a calendar year, or a period the family typed."""
    if form.get("choice", "year") == "year":
        year = form.get("year", "")
        if not year.isdigit():
            errors.add("year", _("Choisissez une année."))
            return {}
        return {"year": int(year)}
    start = errors.require(form, "period_start", _("Indiquez le premier jour de la période."))
    end = errors.require(form, "period_end", _("Indiquez le dernier jour de la période."))
    days = {}
    for name, typed in (("period_start", start), ("period_end", end)):
        try:
            days[name] = date.fromisoformat(typed.strip()) if typed.strip() else None
        except ValueError:  # the date field sends AAAA-MM-JJ; anything else was typed or forged
            errors.add(name, _("Cette date n'existe pas : indiquez le jour, le mois et l'année."))
    return days if not errors and all(days.values()) else {}


def page(form: dict[str, str], errors: FormErrors, status: int = 200) -> Any:
    earlier = browser.user_api().run(BILLING, list_statements.sync_detailed).items
    html = render_template(
        "statements/index.html", title=TITLE, form=form, errors=errors, years=years(), earlier=earlier
    )
    return html, status


@bp.get("")
@signed_in("family")
def index() -> Any:
    return page({"choice": "year", "year": str(date.today().year - 1)}, FormErrors())


@bp.post("")
@signed_in("family")
def generate() -> Any:
    form = request.form.to_dict()
    form.pop("csrf_token", None)
    errors = FormErrors()
    wanted = statement_request(form, errors)
    if not errors:
        try:
            statement = browser.user_api().run(BILLING, generate_statement.sync_detailed, body=GenerateBody(**wanted))
        except ApiError as error:
            # The service's words ("La période ne peut pas se terminer dans le futur.") next to the field.
            if error.slug == "no-period-billed-activity":  # the prepaid case: about the family, not a field
                errors.add(None, error.message)
            else:
                errors = FormErrors.of(error, FIELDS, fallback="year" if "year" in wanted else "period_end")
        else:
            return redirect(url_for("statements.show", statement_id=statement.statement_id), code=303)
    return page(form, errors, 422)


@bp.get("/<hexid:statement_id>")
@signed_in("family")
def show(statement_id: str) -> Any:
    statement = browser.user_api().run(BILLING, get_statement.sync_detailed, statement_id=statement_id)
    return render_template(
        "statements/show.html", title=_("Relevé n° %(number)s", number=statement.number), s=statement
    )


def pdf_filename(answer: httpx.Response) -> str:
    """billing names the file after the statement's number; only safe characters reach our header."""
    named = answer.headers.get("Content-Disposition", "").partition('filename="')[2].removesuffix('"')
    return "".join(c for c in named if c.isalnum() or c in "-_.") or "releve.pdf"


@bp.get("/<hexid:statement_id>/releve.pdf")
@signed_in("family")
def pdf(statement_id: str) -> Response:
    """The PDF, streamed from billing-statement: opened in the browser (to read or print) or downloaded."""
    answer = browser.user_api().stream(BILLING, statement_pdf, statement_id=statement_id)
    filename = pdf_filename(answer)
    how = "attachment" if request.args.get("telecharger") else "inline"
    return relayed(answer, "application/pdf", f'{how}; filename="{filename}"')
