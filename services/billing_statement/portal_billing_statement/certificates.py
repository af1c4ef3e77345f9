"""The yearly certificate without asking: in January, each family with period-billed childcare invoiced the year
before gets its statement for that year made, and an event (`statement.certificate_available`) from which
notification tells it ("Votre attestation fiscale 2025 est disponible").

Idempotent and resumable: a family is claimed by inserting its marker (`yearly_certificates`, one per year and
family), so several replicas share the work and a family is done once; a claim left by a replica that stopped
half-way is taken again after `STALE`. Throttled: each run does at most `limit` families, one render at a time,
so a structure of 10,000 families never holds more than one of the renderer's slots against families asking
for their own statements (bench/billing_statement_bench.py measures both).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from portal_billing_statement import ledger, tax
from portal_billing_statement.statements import Statements
from portal_billing_statement.store import CERTIFICATES, INVOICES
from portal_common import accounts, events
from portal_common.problems import Problem

STALE = timedelta(minutes=10)


def marker_id(year: int, account_id: str) -> str:
    return f"{year}:{account_id}"


def eligible(db: Any, year: int) -> list[str]:
    """The families with a period-billed childcare line on an invoice issued in `year`."""
    found = db[INVOICES].find(
        {"issue_date": {"$gte": f"{year}-01-01", "$lte": f"{year}-12-31"}}, {"account_id": 1, "lines": 1}
    )
    return sorted(
        {invoice["account_id"] for invoice in found if any(tax.is_childcare(line) for line in invoice["lines"])}
    )


def claim(db: Any, year: int, account_id: str, now: datetime) -> bool:
    key = marker_id(year, account_id)
    try:
        db[CERTIFICATES].insert_one({"_id": key, "account_id": account_id, "status": "claimed", "claimed_at": now})
        return True
    except DuplicateKeyError:
        stale = {"_id": key, "status": "claimed", "claimed_at": {"$lt": now - STALE}}
        return db[CERTIFICATES].update_one(stale, {"$set": {"claimed_at": now}}).modified_count == 1


def run(statements: Statements, year: int, limit: int, now: datetime | None = None) -> dict[str, int]:
    """Up to `limit` families not done yet; what was done, skipped (no longer active, nothing to state) and left."""
    db, outbox = statements.db, statements.outbox
    done = skipped = 0
    todo = [
        a
        for a in eligible(db, year)
        if db[CERTIFICATES].find_one({"_id": marker_id(year, a), "status": "done"}) is None
    ]
    for account_id in todo:
        if done + skipped >= limit:
            break
        if not claim(db, year, account_id, now or datetime.now(UTC)):
            continue  # another replica has it
        account = accounts.find(db, account_id)
        key = marker_id(year, account_id)
        if account is None or account["status"] != "active":
            db[CERTIFICATES].update_one({"_id": key}, {"$set": {"status": "done", "outcome": "not active"}})
            skipped += 1
            continue
        try:
            statement = statements.generate(account, f"{year}-01-01", f"{year}-12-31")
        except Problem as refused:
            if refused.status == 429:  # the family's own statements used up its hour: a later run takes it
                db[CERTIFICATES].update_one({"_id": key}, {"$set": {"claimed_at": datetime.min.replace(tzinfo=UTC)}})
            else:  # nothing the family could file: never tried again
                db[CERTIFICATES].update_one({"_id": key}, {"$set": {"status": "done", "outcome": refused.slug}})
            skipped += 1
            continue
        event = events.new_event(
            "statement.certificate_available",
            account_id=account_id,
            structure_id=account["structure_id"],
            source=ledger.SOURCE,
            payload={"statement_id": statement["_id"], "number": statement["number"], "year": year},
        )
        outbox.update(CERTIFICATES, key, {"$set": {"status": "done", "statement_id": statement["_id"]}}, event)
        done += 1
    return {"done": done, "skipped": skipped, "left": max(0, len(todo) - done - skipped)}


def january(statements: Statements, limit: int, today: datetime | None = None) -> dict[str, int] | None:
    """The worker's run: in January only, for the year before."""
    now = today or datetime.now(UTC)
    return run(statements, now.year - 1, limit, now) if now.month == 1 else None
