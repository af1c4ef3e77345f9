"""Generating, reusing and showing statements; who may see which invoices and statements."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bson import Binary
from pymongo.database import Database

from portal_billing_statement import figures, ledger, render, structures
from portal_billing_statement.cache import SizedCache
from portal_billing_statement.store import ACCOUNTS, INVOICES, PDFS, QUOTAS, REQUESTS, STATEMENTS
from portal_common import accounts, events
from portal_common.auth import Principal
from portal_common.mongo import insert_new
from portal_common.outbox import Outbox
from portal_common.problems import Problem

RATE_WINDOW = timedelta(hours=1)
NOT_FOUND = Problem(404, "Ce relevé n'existe pas.", slug="statement-not-found", title="Relevé introuvable")


class Statements:
    def __init__(
        self,
        outbox: Outbox,
        renderer: render.PdfRenderer,
        structure_name: str,
        cache_bytes: int = 64 * 1024 * 1024,
        renders_per_hour: int = 20,
        kept: int = 100,
    ) -> None:
        self.renders_per_hour = renders_per_hour
        self.kept = kept
        self.outbox = outbox
        self.db = outbox.db
        self.cache = SizedCache(cache_bytes)
        self.renderer = renderer
        self.structure_name = structure_name

    def family_for(self, principal: Principal, account_id: str | None) -> dict[str, Any]:
        """The family a request is about: the caller itself, or a family of the agent's structure."""
        target = principal.account_id if principal.is_family else account_id
        if not target:
            raise Problem(422, "account_id est obligatoire pour un agent.", fields=["account_id"])
        account = accounts.find(self.db, target)
        if account is None or account["structure_id"] != principal.structure_id or account["status"] != "active":
            raise Problem(404, "Famille introuvable.", slug="family-not-found", title="Famille introuvable")
        return account

    def generate(self, account: dict[str, Any], start: str, end: str, *, today: date | None = None) -> dict[str, Any]:
        first, last = figures.period(start, end, today or datetime.now(UTC).date())
        family_name = account.get("display_name") or "Famille"
        # The family's structure as its invoicing system described it; the deployment's name until it has.
        structure = structures.find(self.db, account["structure_id"]) or {"name": self.structure_name}
        request = ledger.fingerprint(
            [account["_id"], str(first), str(last), ledger.version(account), family_name, structure]
        )
        known_id = self._request(request)
        if known_id is not None and (statement := self._statement(known_id)):
            return statement  # nothing changed since: not even the ledger is read again
        content = figures.compute(self.db, account["_id"], first, last, ledger.alternating_residence(account))
        view = {**content, "structure": structure, "structure_name": structure["name"], "family_name": family_name}
        inputs_hash = ledger.fingerprint(view)
        same_content = ledger.fingerprint([account["_id"], inputs_hash])
        known = self.db[REQUESTS].find_one({"_id": same_content})
        if known is not None and (existing := self._statement(known["statement_id"])):
            self._remember(existing, request)  # same inputs (the ledger changed elsewhere): no second render
            return existing
        issued = datetime.now(UTC)
        self._check_rate(account["_id"], issued)
        number = f"REL-{issued:%Y%m%d}-{uuid.uuid4().hex[:6].upper()}"
        view |= {"number": number, "issued_on": issued.date().isoformat()}
        pdf = self.renderer.pdf(render.html(view))
        statement = {
            "_id": uuid.uuid4().hex,
            "account_id": account["_id"],
            "structure_id": account["structure_id"],
            "number": number,
            "inputs_hash": inputs_hash,
            "view": view,
            "created_at": issued,
        }
        event = events.new_event(
            "statement.generated",
            account_id=account["_id"],
            structure_id=account["structure_id"],
            source="billing-statement",
            payload={
                "statement_id": statement["_id"],
                "number": number,
                "period_start": content["period_start"],
                "period_end": content["period_end"],
            },
        )
        # The PDF first: a statement is never listed without its PDF.
        self.db[PDFS].insert_one({"_id": statement["_id"], "account_id": account["_id"], "pdf": Binary(pdf)})
        self.outbox.insert(STATEMENTS, statement, event)
        self._remember(statement, request, same_content)
        # Kept as stored, so the PDF asked for next is not read back from the database.
        self._statement(statement["_id"], loaded=statement)
        self._pdf(statement["_id"], loaded=pdf)
        self._count(account["_id"], statement["_id"], issued)
        return statement

    def _check_rate(self, account_id: str, now: datetime) -> None:
        """429 when the family had `renders_per_hour` new statements in the last hour (each costs a render).
        One read by `_id` (the family's quota document): FerretDB answers any other filter by a scan."""
        quota = self.db[QUOTAS].find_one({"_id": account_id}) or {}
        recent = [at for at in quota.get("made_at", []) if at > now - RATE_WINDOW]
        if len(recent) >= self.renders_per_hour:
            wait = max(1, math.ceil((min(recent) + RATE_WINDOW - now).total_seconds()))
            raise Problem(
                429,
                f"Vous avez demandé beaucoup de relevés en peu de temps. Réessayez dans {wait // 60 + 1} minutes.",
                headers={"Retry-After": str(wait)},
                retry_after=wait,
            )

    def _count(self, account_id: str, statement_id: str, now: datetime) -> None:
        """Record a new statement in the family's quota; drop the oldest beyond `kept` (the ledger can make
        them again)."""
        with self.outbox.lock(QUOTAS, account_id):
            quota = self.db[QUOTAS].find_one({"_id": account_id}) or {}
            made_at = [at for at in quota.get("made_at", []) if at > now - RATE_WINDOW] + [now]
            kept = [*quota.get("kept", []), statement_id]
            dropped, kept = kept[: -self.kept], kept[-self.kept :]
            self.db[QUOTAS].update_one(
                {"_id": account_id},
                {"$set": {"made_at": made_at[-self.renders_per_hour :], "kept": kept}},
                upsert=True,
            )
        for old in dropped:
            self.db[STATEMENTS].delete_one({"_id": old})
            self.db[PDFS].delete_one({"_id": old})
        if dropped:
            self.db[REQUESTS].delete_many({"statement_id": {"$in": dropped}})  # rare: beyond the cap only
            self.cache.forget({f"{kind}:{old}" for old in dropped for kind in ("statement", "pdf")})

    def _remember(self, statement: dict[str, Any], *keys: str) -> None:
        # A concurrent twin may have remembered its own statement under a key: either is right.
        owner = {"statement_id": statement["_id"], "account_id": statement["account_id"]}
        insert_new(self.db[REQUESTS], [{"_id": key, **owner} for key in keys])
        for key in keys:
            self._request(key, known=statement["_id"])

    def _request(self, key: str, known: str | None = None) -> str | None:
        """The statement a request key leads to. A key names its inputs (ledger version included), so
        what it leads to never changes: a replica keeps it, and a repeat costs no database read."""

        def load() -> str | None:
            if known is not None:
                return known
            found = self.db[REQUESTS].find_one({"_id": key}, {"statement_id": 1})
            return found["statement_id"] if found else None

        return self.cache.get(f"request:{key}", load, lambda _: 160)

    def _statement(self, statement_id: str, loaded: dict[str, Any] | None = None) -> dict[str, Any] | None:
        def load() -> dict[str, Any] | None:
            return loaded or self.db[STATEMENTS].find_one({"_id": statement_id}, {"_outbox": 0, "_outbox_pending": 0})

        return self.cache.get(f"statement:{statement_id}", load, lambda doc: len(json.dumps(doc["view"])) + 512)

    def _pdf(self, statement_id: str, loaded: bytes | None = None) -> bytes | None:
        def load() -> bytes | None:
            if loaded is not None:
                return loaded
            found = self.db[PDFS].find_one({"_id": statement_id})
            return bytes(found["pdf"]) if found else None

        return self.cache.get(f"pdf:{statement_id}", load, len)

    def pdf(self, statement: dict[str, Any]) -> bytes:
        pdf = self._pdf(statement["_id"])
        if pdf is None:
            raise NOT_FOUND
        return pdf

    def visible(self, principal: Principal, statement_id: str) -> dict[str, Any]:
        statement = self._statement(statement_id)
        if statement is None or statement["structure_id"] != principal.structure_id:
            raise NOT_FOUND
        if principal.is_family and statement["account_id"] != principal.account_id:
            raise NOT_FOUND
        self.family_for(principal, statement["account_id"])  # a deleted family has no access any more
        return statement

    def purge(self, account_id: str) -> None:
        """`account.purged`: pseudonymise the ledger, and forget what this replica kept in memory."""
        removed = pseudonymise(self.outbox, account_id)
        self.cache.forget({f"{kind}:{statement_id}" for statement_id in removed for kind in ("statement", "pdf")})

    def list(self, account_id: str) -> list[dict[str, Any]]:
        found = self.db[STATEMENTS].find({"account_id": account_id}).sort("created_at", -1)
        return [summary(s) for s in found]


def summary(statement: dict[str, Any]) -> dict[str, Any]:
    view = statement["view"]
    return {
        "statement_id": statement["_id"],
        "number": statement["number"],
        "period_start": view["period_start"],
        "period_end": view["period_end"],
        "issued_on": view["issued_on"],
        "created_at": statement["created_at"].isoformat(),
        "totals": view["totals"],
    }


def detail(statement: dict[str, Any]) -> dict[str, Any]:
    view = statement["view"]
    return {
        **summary(statement),
        "children": view["children"],
        "invoices": view["invoices"],
        "tax": view["tax"],
        "structure_name": view["structure_name"],
        "structure": view.get("structure", {"name": view["structure_name"]}),  # stored before the record existed
        "family_name": view["family_name"],
    }


def invoice_view(invoice: dict[str, Any]) -> dict[str, Any]:
    return {
        key: invoice[key]
        for key in (
            "invoice_id",
            "number",
            "issue_date",
            "due_date",
            "currency",
            "amount_cents",
            "paid_cents",
            "payment_status",
            "lines",
        )
    }


def invoices_of(db: Database, account_id: str) -> list[dict[str, Any]]:
    return [invoice_view(i) for i in db[INVOICES].find({"account_id": account_id}).sort("issue_date", -1)]


def pseudonymise(outbox: Outbox, account_id: str) -> set[str]:
    """`account.purged`: the ledger is kept (10-year accounting retention), without personal data."""
    db = outbox.db
    for invoice in db[INVOICES].find({"account_id": account_id}):
        names: dict[str, str] = {}
        lines = []
        for line in invoice["lines"]:
            alias = names.setdefault(line["child"]["name"], f"Enfant {len(names) + 1}")
            lines.append({**line, "child": {"name": alias, "birth_date": line["child"]["birth_date"][:4] + "-01-01"}})
        outbox.update(INVOICES, invoice["_id"], {"$set": {"lines": lines}})
    removed = {s["_id"] for s in db[STATEMENTS].find({"account_id": account_id}, {"_id": 1})}
    # Statements carry names (regenerate if ever needed). They go last: while one is left, so may be its PDF or
    # request, and a redelivered `account.purged` finds the work unfinished.
    for collection in (PDFS, REQUESTS, STATEMENTS):
        db[collection].delete_many({"account_id": account_id})
    db[QUOTAS].delete_one({"_id": account_id})
    db[ACCOUNTS].update_one({"_id": account_id}, {"$unset": {ledger.ALTERNATING: ""}})  # children's names
    ledger.renew_version(db, account_id)
    return removed
