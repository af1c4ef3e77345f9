"""The invoice ledger, fed by the structure's invoicing system.

Every call is idempotent by the invoicing system's own id: the same id with the same content returns
what is stored; the same id with different content is refused (never silently overwritten). Amounts
are integer cents in EUR. Each change is an insert that carries its own event (outbox), so nothing
needs a multi-document transaction; an invoice's paid total is recomputed from its payments under
the invoice's lock. After each change the family's ledger version is renewed: a statement cached
under an older version is not reused (see `service.StatementService.generate`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from portal_billing_statement.store import ACCOUNTS, ACTIONS, INVOICES, PAYMENTS
from portal_common import events
from portal_common.bodies import check_text
from portal_common.outbox import Outbox
from portal_common.problems import Problem

VERSION = "ledger_version"  # on the family's account: a new random value after every change of its ledger
ALTERNATING = "alternating_residence"  # on the family's account: [{name, birth_date}] of such children
BILLING_MODES = {"PERIOD", "PREPAID"}
LINE_KINDS = {"CHILDCARE", "MEAL", "OTHER"}
# CESU: CESU préfinancés (an employer aid); AID: another aid paid to the structure for the family (employer,
# works council). Both settle the invoice; neither is the family's own expense (tax.paid_by_the_family).
PAYMENT_METHODS = {"CARD", "DIRECT_DEBIT", "CHEQUE", "CASH", "CESU", "TRANSFER", "AID"}
STATUSES = {"unpaid", "partially_paid", "paid"}
SOURCE = "billing-statement"
MAX_AMOUNT_CENTS = 10_000_000  # 100,000 € on one line or payment: beyond is a data error


def iso_date(value: str, field: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise Problem(422, f"{field} doit être une date AAAA-MM-JJ.", fields=[field]) from None


def cents(value: Any, field: str, *, allow_zero: bool = True) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (value == 0 and not allow_zero):
        raise Problem(422, f"{field} doit être un montant positif en centimes entiers.", fields=[field])
    if value > MAX_AMOUNT_CENTS:
        raise Problem(422, f"{field} dépasse le montant maximal accepté.", fields=[field])
    return value


def text(value: str, field: str, max_length: int = 200) -> str:
    """Required text from the invoicing system: printed on statements, so no control characters."""
    return check_text(value or "", field, max_length=max_length, required=True)


def fingerprint(content: Any) -> str:
    """A stable hash of JSON-like content (key order does not matter)."""
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def renew_version(db: Database, account_id: str) -> None:
    """After (never before) a change of the family's ledger: statements cached under the old version
    are not reused. A random value, so concurrent renewals cannot land back on an old one. Kept on
    the account, which every statement request reads anyway: one lookup fewer."""
    db[ACCOUNTS].update_one({"_id": account_id}, {"$set": {VERSION: uuid.uuid4().hex}})


def version(account: dict[str, Any]) -> str:
    return account.get(VERSION, "")


def alternating_residence(account: dict[str, Any]) -> frozenset[tuple[str, str]]:
    return frozenset((child["name"], child["birth_date"]) for child in account.get(ALTERNATING, []))


def family(db: Database, account_id: str, structure_id: str) -> dict[str, Any]:
    account = db[ACCOUNTS].find_one({"_id": account_id})
    if account is None or account["structure_id"] != structure_id or account["status"] == "purged":
        raise Problem(404, "Famille inconnue de cette structure.", slug="family-not-found", title="Famille introuvable")
    return account


def validate_invoice(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("currency", "EUR") != "EUR":
        raise Problem(422, "Seules les factures en euros (EUR) sont acceptées.", slug="unsupported-currency")
    lines = []
    for index, line in enumerate(request.get("lines") or []):
        where = f"lines[{index}]"
        if line.get("billing_mode") not in BILLING_MODES:
            raise Problem(422, f"{where}.billing_mode doit valoir PERIOD ou PREPAID.", fields=[f"{where}.billing_mode"])
        if line.get("kind") not in LINE_KINDS:
            raise Problem(422, f"{where}.kind doit valoir CHILDCARE, MEAL ou OTHER.", fields=[f"{where}.kind"])
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or quantity <= 0:
            raise Problem(422, f"{where}.quantity doit être un entier positif.", fields=[f"{where}.quantity"])
        unit = cents(line.get("unit_price_cents"), f"{where}.unit_price_cents")
        amount = cents(line.get("amount_cents"), f"{where}.amount_cents")
        if amount != quantity * unit:
            raise Problem(
                422, f"{where}.amount_cents doit valoir quantity × unit_price_cents.", fields=[f"{where}.amount_cents"]
            )
        start = iso_date(line.get("service_start", ""), f"{where}.service_start")
        end = iso_date(line.get("service_end", ""), f"{where}.service_end")
        if end < start:
            raise Problem(422, f"{where} : la fin de la prestation précède son début.", fields=[f"{where}.service_end"])
        child = line.get("child") or {}
        lines.append(
            {
                "child": {
                    "name": text(child.get("name", ""), f"{where}.child.name", 100),
                    "birth_date": iso_date(child.get("birth_date", ""), f"{where}.child.birth_date"),
                },
                "activity": text(line.get("activity", ""), f"{where}.activity"),
                "billing_mode": line["billing_mode"],
                "kind": line["kind"],
                "service_start": start,
                "service_end": end,
                "quantity": quantity,
                "unit_price_cents": unit,
                "amount_cents": amount,
            }
        )
    if not lines:
        raise Problem(422, "Une facture a au moins une ligne.", fields=["lines"])
    issue = iso_date(request.get("issue_date", ""), "issue_date")
    due = iso_date(request.get("due_date", ""), "due_date")
    if due < issue:
        raise Problem(422, "L'échéance précède la date de la facture.", fields=["due_date"])
    return {
        "number": text(request.get("number", ""), "number", 50),
        "issue_date": issue,
        "due_date": due,
        "currency": "EUR",
        "lines": lines,
        "amount_cents": sum(line["amount_cents"] for line in lines),
    }


class Ledger:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.db = outbox.db

    def _event(self, event_type: str, account_id: str, structure_id: str, payload: dict[str, Any]) -> Any:
        return events.new_event(
            event_type, account_id=account_id, structure_id=structure_id, source=SOURCE, payload=payload
        )

    def record_invoice(self, structure_id: str, account_id: str, external_id: str, request: dict[str, Any]) -> dict:
        external_id = text(external_id, "external_id", 100)
        content = validate_invoice(request)
        family(self.db, account_id, structure_id)
        key = f"{structure_id}:{external_id}"
        existing = self.db[INVOICES].find_one({"_id": key})
        digest = fingerprint({**content, "account_id": account_id})
        if existing is not None:
            return self._same_or_conflict(existing, digest)
        invoice = {
            "_id": key,
            "invoice_id": uuid.uuid4().hex,
            "external_id": external_id,
            "structure_id": structure_id,
            "account_id": account_id,
            **content,
            "paid_cents": 0,
            "payment_status": "unpaid",
            "fingerprint": digest,
            "recorded_at": datetime.now(UTC),
        }
        event = self._event(
            "invoice.issued",
            account_id,
            structure_id,
            {
                "invoice_id": invoice["invoice_id"],
                "number": content["number"],
                "amount_cents": content["amount_cents"],
                "currency": "EUR",
                "issue_date": content["issue_date"],
                "due_date": content["due_date"],
            },
        )
        try:
            self.outbox.insert(INVOICES, invoice, event)
        except DuplicateKeyError:  # a concurrent identical call won the race
            return self._same_or_conflict(self.db[INVOICES].find_one({"_id": key}), digest)
        renew_version(self.db, account_id)
        return invoice

    @staticmethod
    def _same_or_conflict(existing: dict[str, Any] | None, digest: str) -> dict[str, Any]:
        # None: the concurrent insert that won was removed since (by a purge); the caller's is not stored either
        if existing is None or existing["fingerprint"] != digest:
            raise Problem(
                409,
                "Cet identifiant est déjà enregistré avec un contenu différent ; rien n'a été modifié.",
                slug="conflicting-replay",
            )
        return existing

    def invoice(self, structure_id: str, invoice_external_id: str) -> dict[str, Any]:
        found = self.db[INVOICES].find_one({"_id": f"{structure_id}:{invoice_external_id}"})
        if found is None:
            raise Problem(404, "Facture inconnue.", slug="invoice-not-found", title="Facture introuvable")
        return found

    def record_payment(
        self, structure_id: str, external_id: str, invoice_external_id: str, paid_on: str, amount: Any, method: str
    ) -> dict[str, Any]:
        external_id = text(external_id, "external_id", 100)
        amount = cents(amount, "amount_cents", allow_zero=False)
        paid_on = iso_date(paid_on, "paid_on")
        if method not in PAYMENT_METHODS:
            raise Problem(422, "method doit être un moyen de paiement connu.", fields=["method"])
        invoice = self.invoice(structure_id, invoice_external_id)
        key = f"{structure_id}:{external_id}"
        digest = fingerprint({"invoice": invoice["_id"], "paid_on": paid_on, "amount": amount, "method": method})
        with self.outbox.lock(INVOICES, invoice["_id"]):
            existing = self.db[PAYMENTS].find_one({"_id": key})
            if existing is not None:
                return self._same_or_conflict(existing, digest)
            paid = amount + sum(p["amount_cents"] for p in self.db[PAYMENTS].find({"invoice": invoice["_id"]}))
            if paid > invoice["amount_cents"]:  # pro rata shares would pay more than the lines are worth
                raise Problem(
                    422,
                    "Ce paiement dépasse le reste à payer de la facture ; rien n'a été enregistré.",
                    slug="overpayment",
                    fields=["amount_cents"],
                )
            status = "paid" if paid >= invoice["amount_cents"] else "partially_paid"
            payment = {
                "_id": key,
                "payment_id": uuid.uuid4().hex,
                "external_id": external_id,
                "invoice": invoice["_id"],
                "account_id": invoice["account_id"],
                "structure_id": structure_id,
                "paid_on": paid_on,
                "amount_cents": amount,
                "method": method,
                "fingerprint": digest,
            }
            event = self._event(
                "invoice.payment_status_changed",
                invoice["account_id"],
                structure_id,
                {
                    "invoice_id": invoice["invoice_id"],
                    "number": invoice["number"],
                    "status": status,
                    "paid_cents": paid,
                    "amount_cents": invoice["amount_cents"],
                },
            )
            self.outbox.insert(PAYMENTS, payment, event)
            # A cache of the payments' sum, recomputed each time: a crash before this line heals at the next payment.
            self.db[INVOICES].update_one(
                {"_id": invoice["_id"]}, {"$set": {"paid_cents": paid, "payment_status": status}}
            )
        renew_version(self.db, invoice["account_id"])
        return payment

    def set_child_residence(
        self, structure_id: str, account_id: str, name: str, birth_date: str, alternating: bool
    ) -> dict[str, Any]:
        """Whether a child lives in alternating residence (halved tax ceiling, boxes 7GE-7GG): set, not added,
        so replaying the call changes nothing. The child is named as on its invoice lines."""
        child = {"name": text(name, "child.name", 100), "birth_date": iso_date(birth_date, "child.birth_date")}
        family(self.db, account_id, structure_id)
        change = {"$addToSet": {ALTERNATING: child}} if alternating else {"$pull": {ALTERNATING: child}}
        self.db[ACCOUNTS].update_one({"_id": account_id}, change)
        renew_version(self.db, account_id)
        return {**child, "alternating": alternating}

    def invoice_action(
        self,
        structure_id: str,
        invoice_external_id: str,
        event_key: str,
        event_type: str,
        payload: dict[str, Any],
        status: str | None = None,
    ) -> dict[str, Any]:
        """Status change, refused direct debit, reminder, blocked online payment: one event each."""
        event_key = text(event_key, "event_key", 100)
        invoice = self.invoice(structure_id, invoice_external_id)
        if status is not None and status not in STATUSES:
            raise Problem(422, "status doit valoir unpaid, partially_paid ou paid.", fields=["status"])
        payload = {"invoice_id": invoice["invoice_id"], "number": invoice["number"], **payload}
        event = self._event(event_type, invoice["account_id"], structure_id, payload)
        action = {
            "_id": f"{structure_id}:{event_key}",
            "invoice": invoice["_id"],
            "type": event_type,
            "fingerprint": fingerprint({"type": event_type, **payload}),
        }
        try:
            self.outbox.insert(ACTIONS, action, event)
        except DuplicateKeyError:
            self._same_or_conflict(self.db[ACTIONS].find_one({"_id": action["_id"]}), action["fingerprint"])
            return invoice
        if status is not None:
            self.outbox.update(INVOICES, invoice["_id"], {"$set": {"payment_status": status}})
        renew_version(self.db, invoice["account_id"])
        return self.invoice(structure_id, invoice_external_id)
