"""What a statement says: period-billed activities of one family, what was paid for them, totals, and the
tax section of the childcare tax credit (its rules, one function each, are in `tax`).

A payment pays its invoice's lines pro rata to their amounts (`tax.payment_shares`): the statement counts
only the share of each payment that paid period-billed lines, so a mixed invoice (period-billed childcare and
a prepaid stay) never shows its prepaid part as paid, and paid never exceeds invoiced.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from pymongo.database import Database

from portal_billing_statement import tax
from portal_billing_statement.store import INVOICES, PAYMENTS
from portal_common.problems import Problem

MAX_PERIOD_DAYS = 3 * 366


def period(start: str, end: str, today: date) -> tuple[date, date]:
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except (TypeError, ValueError):
        raise Problem(
            422, "Les dates de la période doivent être au format AAAA-MM-JJ.", slug="invalid-period"
        ) from None
    if last < first:
        raise Problem(422, "La fin de la période précède son début.", slug="invalid-period")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise Problem(422, "Une période couvre au plus 3 ans.", slug="period-too-long")
    if last > today:
        raise Problem(422, "La période ne peut pas se terminer dans le futur.", slug="period-in-future")
    return first, last


def is_period_billed(line: dict[str, Any]) -> bool:
    return line["billing_mode"] == "PERIOD"


def period_share(payment: dict[str, Any], lines: list[dict[str, Any]]) -> int:
    """What one payment paid of its invoice's period-billed lines."""
    shares = tax.payment_shares(payment["amount_cents"], lines)
    return sum(share for line, share in zip(lines, shares, strict=True) if is_period_billed(line))


def compute(
    db: Database, account_id: str, first: date, last: date, alternating: frozenset[tuple[str, str]] = frozenset()
) -> dict[str, Any]:
    """The statement's content (no personal rendering yet). Raises 422 when nothing is period-billed.
    `alternating`: the (name, birth date) of the children in alternating residence."""
    every_invoice = list(db[INVOICES].find({"account_id": account_id}))
    invoices = [i for i in every_invoice if first.isoformat() <= i["issue_date"] <= last.isoformat()]
    invoices.sort(key=lambda i: (i["issue_date"], i["number"]))
    invoices = [i for i in invoices if any(is_period_billed(line) for line in i["lines"])]
    if not invoices:
        raise Problem(
            422,
            "Aucune activité facturée à la période sur cette période : les relevés ne sont pas disponibles pour "
            "les activités en prépaiement.",
            slug="no-period-billed-activity",
            title="Relevé indisponible",
        )
    payments_by_invoice: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for payment in db[PAYMENTS].find({"account_id": account_id}):
        payments_by_invoice[payment["invoice"]].append(payment)
    for payments in payments_by_invoice.values():
        payments.sort(key=lambda p: (p["paid_on"], p["_id"]))

    children: dict[tuple[str, str], dict[str, Any]] = {}
    for invoice in invoices:
        for line in filter(is_period_billed, invoice["lines"]):
            key = (line["child"]["name"], line["child"]["birth_date"])
            child = children.setdefault(key, {"name": key[0], "birth_date": key[1], "activities": {}})
            activity = child["activities"].setdefault(
                line["activity"], {"activity": line["activity"], "invoiced_cents": 0, "lines": []}
            )
            activity["invoiced_cents"] += line["amount_cents"]
            activity["lines"].append(
                {
                    "invoice": invoice["number"],
                    "service_start": line["service_start"],
                    "service_end": line["service_end"],
                    "kind": line["kind"],
                    "amount_cents": line["amount_cents"],
                }
            )

    period_invoices = []
    for invoice in invoices:
        payments = [
            {
                "paid_on": p["paid_on"],
                "amount_cents": p["amount_cents"],
                "method": p["method"],
                "period_billed_cents": period_share(p, invoice["lines"]),
            }
            for p in payments_by_invoice.get(invoice["_id"], [])
        ]
        period_invoices.append(
            {
                "number": invoice["number"],
                "issue_date": invoice["issue_date"],
                "due_date": invoice["due_date"],
                "period_billed_cents": sum(line["amount_cents"] for line in invoice["lines"] if is_period_billed(line)),
                "paid_cents": sum(p["period_billed_cents"] for p in payments),
                "payments": payments,
            }
        )

    # Tax: what the family itself paid in each calendar year for childcare, whichever year the invoice is
    # from (a December invoice paid in January counts the next year).
    paid: dict[tuple[tuple[str, str], int], int] = defaultdict(int)
    for invoice in every_invoice:
        for payment in filter(tax.paid_by_the_family, payments_by_invoice.get(invoice["_id"], [])):
            shares = tax.payment_shares(payment["amount_cents"], invoice["lines"])
            for line, share in zip(invoice["lines"], shares, strict=True):
                if tax.is_childcare(line):
                    key = (line["child"]["name"], line["child"]["birth_date"])
                    paid[(key, int(payment["paid_on"][:4]))] += share
                    children.setdefault(key, {"name": key[0], "birth_date": key[1], "activities": {}})

    ordered_children = sorted(children.values(), key=lambda c: (c["birth_date"], c["name"]))
    taxed = [
        tax.Child(c["name"], c["birth_date"], (c["name"], c["birth_date"]) in alternating) for c in ordered_children
    ]
    tax_years = []
    for year in range(first.year, last.year + 1):
        section = tax.year_section(year, taxed, {key: cents for (key, y), cents in paid.items() if y == year})
        if section:
            tax_years.append(section)
    return {
        "period_start": first.isoformat(),
        "period_end": last.isoformat(),
        "children": [{**c, "activities": list(c["activities"].values())} for c in ordered_children if c["activities"]],
        "invoices": period_invoices,
        "totals": {
            "invoiced_cents": sum(i["period_billed_cents"] for i in period_invoices),
            "paid_cents": sum(i["paid_cents"] for i in period_invoices),
        },
        "tax": tax_years,
    }
