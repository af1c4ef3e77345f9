"""HTTP API of billing-statement (families and agents, behind the gateway)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from portal_billing_statement import render, statements, structures
from portal_billing_statement.context import Context
from portal_common.bodies import accepts, accepts_query, body, obj, query, string
from portal_common.http import principal, require_auth
from portal_common.problems import Problem
from portal_common.responses import DAY, INSTANT, INTEGER, TEXT, closed, extend, file_body, json_body, responds
from portal_common.service import current

api = Blueprint("billing", __name__, url_prefix="/v1")
DATE = string(10, 10, format="date", description="AAAA-MM-JJ")
ACCOUNT_ID = string(1, 64, description="Famille concernée (agents seulement ; une famille voit la sienne)")
FAMILY_QUERY = [{"name": "account_id", "schema": ACCOUNT_ID}]
STATEMENT_REQUEST = obj(
    optional={
        "year": {"type": "integer", "minimum": 2000, "description": "Année civile (préréglage)"},
        "period_start": DATE,
        "period_end": DATE,
        "account_id": ACCOUNT_ID,
    }
)


def ctx() -> Context:
    return current(Context)


CONTACT = ("address", "postal_code", "city", "email", "phone")

# ---------------------------------------------------------------------------------------------- answers

STRUCTURE = closed("Structure", name=TEXT, **dict.fromkeys(CONTACT, TEXT))
CENTS = {**INTEGER, "description": "Montant en centimes d'euro"}
TOTALS = closed("StatementTotals", invoiced_cents=CENTS, paid_cents=CENTS)
STATEMENT_SUMMARY = closed(
    "StatementSummary",
    statement_id=TEXT,
    number=TEXT,
    period_start=DAY,
    period_end=DAY,
    issued_on=DAY,
    created_at=INSTANT,
    totals=TOTALS,
)
OBJECTS = {"type": "array", "items": {"type": "object"}}
STATEMENT = extend(
    STATEMENT_SUMMARY,
    "Statement",
    children={**OBJECTS, "description": "Enfants et activités facturées à la période"},
    invoices={**OBJECTS, "description": "Factures de la période et leurs paiements"},
    tax={**OBJECTS, "description": "Par année civile : ce que la famille a payé pour la garde"},
    structure_name=TEXT,
    structure={"type": "object", "required": ["name"], "properties": {"name": TEXT}},
    family_name=TEXT,
)
INVOICE = closed(
    "Invoice",
    invoice_id=TEXT,
    number=TEXT,
    issue_date=DAY,
    due_date=DAY,
    currency={"const": "EUR"},
    amount_cents=CENTS,
    paid_cents=CENTS,
    payment_status={"enum": ["unpaid", "partially_paid", "paid"]},
    lines=OBJECTS,
)
NO_FAMILY = {
    404: "Famille introuvable (agents : account_id d'une autre structure)",
    422: "Agents : account_id manquant",
}
PDF = file_body(200, "application/pdf", description="Le relevé en PDF (pièce jointe)")


@api.get("/structure")
@responds(json_body(200, STRUCTURE))
@require_auth()
def my_structure() -> Any:
    """The caller's structure as its invoicing system described it: who a family contacts (to restore a
    deleted account, about an invoice). Before the first description, the deployment's name only."""
    found = structures.find(ctx().db, principal().structure_id)
    if found is None:
        return {"name": ctx().statements.structure_name, **dict.fromkeys(CONTACT, "")}
    return {"name": found["name"], **{key: found.get(key, "") for key in CONTACT}}


@api.get("/invoices")
@responds(json_body(200, closed("Invoices", items={"type": "array", "items": INVOICE})), errors=NO_FAMILY)
@require_auth()
@accepts_query(FAMILY_QUERY)
def list_invoices() -> Any:
    account = ctx().statements.family_for(principal(), query()["account_id"])
    return {"items": statements.invoices_of(ctx().db, account["_id"])}


@api.get("/statements")
@responds(json_body(200, closed("Statements", items={"type": "array", "items": STATEMENT_SUMMARY})), errors=NO_FAMILY)
@require_auth()
@accepts_query(FAMILY_QUERY)
def list_statements() -> Any:
    account = ctx().statements.family_for(principal(), query()["account_id"])
    return {"items": ctx().statements.list(account["_id"])}


@api.post("/statements")
@responds(
    json_body(201, STATEMENT, "Relevé créé", Location="Adresse du relevé"),
    file_body(201, "application/pdf", description="Relevé créé, directement en PDF (Accept: application/pdf)"),
    errors={
        **NO_FAMILY,
        429: "Trop de relevés cette heure-ci : réessayer après Retry-After secondes",
        503: "Mise en page trop longue ou interrompue (rien n'est enregistré) : réessayer après Retry-After secondes",
    },
)
@require_auth()
@accepts(STATEMENT_REQUEST)
def generate() -> Any:
    data = body()
    if "year" in data:
        year = data["year"]
        if year > datetime.now(UTC).year:
            raise Problem(422, "year doit être une année civile passée ou en cours.", fields=["year"])
        start = f"{year}-01-01"
        end = min(f"{year}-12-31", datetime.now(UTC).date().isoformat())
        if {"period_start", "period_end"} & set(data):
            raise Problem(422, "Donnez soit year, soit period_start et period_end.", fields=["year"])
    elif {"period_start", "period_end"} <= set(data):
        start, end = data["period_start"], data["period_end"]
    else:
        raise Problem(422, "Choisissez une période : year, ou period_start et period_end.", slug="missing-fields")
    account = ctx().statements.family_for(principal(), data.get("account_id"))
    statement = ctx().statements.generate(account, start, end)
    # Accept: application/pdf goes straight from the period to the PDF, in one round trip.
    wants_pdf = request.accept_mimetypes.best_match(["application/json", "application/pdf"]) == "application/pdf"
    response = pdf_response(statement) if wants_pdf else current_app.json.response(statements.detail(statement))
    response.status_code = 201
    response.headers["Location"] = url_for("billing.get_statement", statement_id=statement["_id"])
    return response


@api.get("/statements/<statement_id>")
@responds(json_body(200, STATEMENT))
@require_auth()
def get_statement(statement_id: str) -> Any:
    return statements.detail(ctx().statements.visible(principal(), statement_id))


@api.get("/statements/<statement_id>/pdf")
@responds(PDF)
@require_auth()
def statement_pdf(statement_id: str) -> Response:
    return pdf_response(ctx().statements.visible(principal(), statement_id))


def pdf_response(statement: dict[str, Any]) -> Response:
    response = Response(ctx().statements.pdf(statement), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{statement["number"]}.pdf"'
    return response


@api.get("/statements/<statement_id>/html")
@responds(file_body(200, "text/html", description="Le relevé en page imprimable"))
@require_auth()
def statement_html(statement_id: str) -> Response:
    statement = ctx().statements.visible(principal(), statement_id)
    response = Response(render.html(statement["view"]), mimetype="text/html")
    # A printable page made only of our own markup: no scripts, no outside resources.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
