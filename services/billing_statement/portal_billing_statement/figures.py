"""What a statement says: period-billed activities of one family, payments, totals, and the tax
section of the childcare tax credit (CGI art. 200 quater B).

Tax rules applied: children under 6 on 1 January of the year; childcare amounts *actually paid*
in that calendar year (a December invoice paid in January counts the next year); meals excluded;
costs retained up to 3,500 € per child; boxes 7GA, 7GB, 7GC by child (oldest first). A payment pays
its invoice's lines pro rata to their amounts, so only its childcare share counts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from pymongo.database import Database

from portal_billing_statement.money import allocate
from portal_billing_statement.store import INVOICES, PAYMENTS
from portal_common.problems import Problem

MAX_PERIOD_DAYS = 3 * 366
CEILING_CENTS = 350_000
BOXES = ["7GA", "7GB", "7GC"]


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


def under_six_on_january_first(birth: str, year: int) -> bool:
    born = date.fromisoformat(birth)
    sixth = born.replace(year=born.year + 6) if not (born.month == 2 and born.day == 29) else date(born.year + 6, 3, 1)
    return sixth > date(year, 1, 1)


def compute(db: Database, account_id: str, first: date, last: date) -> dict[str, Any]:
    """The statement's content (no personal rendering yet). Raises 422 when nothing is period-billed."""
    every_invoice = list(db[INVOICES].find({"account_id": account_id}))
    invoices = [i for i in every_invoice if first.isoformat() <= i["issue_date"] <= last.isoformat()]
    invoices.sort(key=lambda i: (i["issue_date"], i["number"]))
    period_lines = [(inv, line) for inv in invoices for line in inv["lines"] if line["billing_mode"] == "PERIOD"]
    if not period_lines:
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

    children: dict[tuple[str, str], dict[str, Any]] = {}
    tax: dict[tuple[tuple[str, str], int], int] = defaultdict(int)
    for invoice in invoices:
        lines = invoice["lines"]
        for line in lines:
            if line["billing_mode"] != "PERIOD":
                continue
            child_key = (line["child"]["name"], line["child"]["birth_date"])
            child = children.setdefault(
                child_key, {"name": line["child"]["name"], "birth_date": line["child"]["birth_date"], "activities": {}}
            )
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

    # Tax: what was paid in each calendar year, whichever year the invoice is from (a December invoice
    # paid in January counts the next year).
    for invoice in every_invoice:
        lines = invoice["lines"]
        for payment in payments_by_invoice.get(invoice["_id"], []):
            shares = allocate(payment["amount_cents"], [line["amount_cents"] for line in lines])
            for line, share in zip(lines, shares, strict=True):
                if line["billing_mode"] == "PERIOD" and line["kind"] == "CHILDCARE":
                    key = (line["child"]["name"], line["child"]["birth_date"])
                    tax[(key, int(payment["paid_on"][:4]))] += share
                    children.setdefault(key, {"name": key[0], "birth_date": key[1], "activities": {}})

    period_invoices = [
        {
            "number": inv["number"],
            "issue_date": inv["issue_date"],
            "due_date": inv["due_date"],
            "period_billed_cents": sum(
                line["amount_cents"] for line in inv["lines"] if line["billing_mode"] == "PERIOD"
            ),
            "payments": [
                {"paid_on": p["paid_on"], "amount_cents": p["amount_cents"], "method": p["method"]}
                for p in sorted(payments_by_invoice.get(inv["_id"], []), key=lambda p: p["paid_on"])
            ],
        }
        for inv in invoices
        if any(line["billing_mode"] == "PERIOD" for line in inv["lines"])
    ]

    ordered_children = sorted(children.values(), key=lambda c: (c["birth_date"], c["name"]))
    tax_years = []
    for year in range(first.year, last.year + 1):
        rows: list[dict[str, Any]] = []
        for child in ordered_children:
            if not under_six_on_january_first(child["birth_date"], year):
                continue
            paid = tax[((child["name"], child["birth_date"]), year)]
            retained = min(paid, CEILING_CENTS)
            box = BOXES[len(rows)] if len(rows) < len(BOXES) else "7GC"
            rows.append(
                {
                    "child": child["name"],
                    "box": box,
                    "childcare_paid_cents": paid,
                    "retained_cents": retained,
                    "credit_cents": retained // 2,
                }
            )
        if rows:
            tax_years.append({"year": year, "children": rows})
    return {
        "period_start": first.isoformat(),
        "period_end": last.isoformat(),
        "children": [{**c, "activities": list(c["activities"].values())} for c in ordered_children],
        "invoices": period_invoices,
        "totals": {
            "invoiced_cents": sum(i["period_billed_cents"] for i in period_invoices),
            "paid_cents": sum(p["amount_cents"] for i in period_invoices for p in i["payments"]),
        },
        "tax": tax_years,
    }
