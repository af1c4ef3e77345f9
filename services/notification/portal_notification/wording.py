"""Payload values as a parent reads them: amounts "1 234,56 €", dates "15 mars 2025", statuses and outcomes in
words. No code, ISO date or amount in cents ever reaches a message: a value this module cannot put in words
is left out rather than shown raw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal_common.french import euros, long_date, long_date_in_france, whole_euros

DATES = ("issue_date", "due_date", "effective_from")
MOMENTS = ("restorable_until", "expires_at", "undo_expires_at")  # timestamps: the date in France
PAYMENT_STATUSES = {"unpaid": "non payée", "partially_paid": "partiellement payée", "paid": "payée"}
# What the dossier service sends as a review's outcome, and the sentence a family reads.
REVIEW_OUTCOMES = {
    "accepted": "Votre dossier est complet et accepté.",
    "incomplete": "Il manque des pièces : consultez votre dossier sur le portail.",
    "rejected": "Votre dossier n'a pas été accepté : contactez votre structure.",
}


def moment(value: str) -> str:
    return long_date_in_france(datetime.fromisoformat(value.replace("Z", "+00:00")))


def present(payload: dict[str, Any]) -> dict[str, Any]:
    """The fields a message template may use: the payload's, with every code and number put in words."""
    fields = dict(payload)
    for key, value in payload.items():
        if key.endswith("_cents"):
            fields[key.removesuffix("_cents")] = euros(int(value))
            del fields[key]
    for key in DATES:
        if payload.get(key):
            fields[key] = long_date(payload[key][:10])
    for key in MOMENTS:
        if payload.get(key):
            fields[key] = moment(payload[key])
    if "status" in payload:
        fields["status"] = PAYMENT_STATUSES.get(payload["status"], "mise à jour")
    if "outcome" in payload:
        fields["outcome"] = REVIEW_OUTCOMES.get(payload["outcome"], "")
    if "quotient" in payload:
        fields["quotient"] = whole_euros(int(payload["quotient"]))
    if "dates" in payload:
        fields["dates"] = [long_date(day) for day in payload["dates"]]
    return fields
