"""January's yearly certificates through the real ledger, renderer and topic: who gets one, once, throttled,
resumed after a replica stopped half-way."""

from datetime import UTC, datetime, timedelta

from portal.billing.v1 import billing_pb2
from portal_billing_statement import certificates
from tests.billing_statement.conftest import line
from tests.support.kafka import find_events

KID = ("Jade Roux", "2022-02-02")


def test_each_family_with_period_billed_childcare_gets_its_certificate_once(billing):
    childcare = billing.family(name="Famille Roux")
    billing.invoice(
        childcare, "C-2025-03", "2025-03-31", [line(*KID, "Crèche", 30_000, start="2025-03-03", end="2025-03-31")]
    )
    prepaid = billing.family(name="Famille Prépayée")
    billing.invoice(
        prepaid,
        "C-2025-04",
        "2025-04-30",
        [line(*KID, "Séjour", 9_000, mode=billing_pb2.BILLING_MODE_PREPAID, start="2025-04-07", end="2025-04-11")],
    )
    meals_only = billing.family(name="Famille Cantine")
    billing.invoice(
        meals_only,
        "C-2025-05",
        "2025-05-31",
        [line(*KID, "Repas", 4_000, kind=billing_pb2.LINE_KIND_MEAL, start="2025-05-05", end="2025-05-30")],
    )
    last_year = billing.family(name="Famille 2024")
    billing.invoice(
        last_year, "C-2024-06", "2024-06-30", [line(*KID, "Crèche", 5_000, start="2024-06-03", end="2024-06-28")]
    )
    others = [billing.family(name=f"Famille {n}") for n in range(3)]
    for n, family in enumerate(others):
        billing.invoice(
            family, f"C-2025-1{n}", "2025-10-31", [line(*KID, "Garderie", 1_000, start="2025-10-06", end="2025-10-31")]
        )

    statements = billing.billing.statements
    expected = {childcare["account_id"]} | {f["account_id"] for f in others}
    assert expected <= set(certificates.eligible(billing.db, 2025))
    assert not {prepaid["account_id"], meals_only["account_id"], last_year["account_id"]} & set(
        certificates.eligible(billing.db, 2025)
    )
    # Throttled: two families per run; the runs resume where the last stopped.
    first = certificates.run(statements, 2025, limit=2)
    assert first["done"] == 2
    while certificates.run(statements, 2025, limit=2)["left"]:
        pass
    again = certificates.run(statements, 2025, limit=100)
    assert again == {"done": 0, "skipped": 0, "left": 0}  # idempotent: nobody twice

    for family in [childcare, *others]:
        [event] = find_events(
            billing.topic,
            lambda e, a=family["account_id"]: e.type == "statement.certificate_available" and e.account_id == a,
        )
        payload = event.statement_certificate_available
        assert payload.year == 2025
        statement = billing.db.statements.find_one({"_id": payload.statement_id})
        assert (statement["view"]["period_start"], statement["view"]["period_end"]) == ("2025-01-01", "2025-12-31")
    for family in (prepaid, meals_only, last_year):
        assert billing.db.yearly_certificates.find_one({"_id": f"2025:{family['account_id']}"}) is None


def test_a_claim_left_by_a_stopped_replica_is_taken_again_later(billing):
    family = billing.family(name="Famille Reprise")
    billing.invoice(
        family, "R-2025-02", "2025-02-28", [line(*KID, "Crèche", 2_000, start="2025-02-03", end="2025-02-28")]
    )
    now = datetime.now(UTC)
    key = f"2025:{family['account_id']}"
    # A replica claimed it a minute ago and is still working on it: left alone.
    billing.db.yearly_certificates.insert_one(
        {"_id": key, "account_id": family["account_id"], "status": "claimed", "claimed_at": now - timedelta(minutes=1)}
    )
    certificates.run(billing.billing.statements, 2025, limit=100, now=now)
    assert billing.db.yearly_certificates.find_one({"_id": key})["status"] == "claimed"
    # Past STALE, the claim is taken again and the family gets its certificate.
    later = now + certificates.STALE + timedelta(minutes=1)
    certificates.run(billing.billing.statements, 2025, limit=100, now=later)
    assert billing.db.yearly_certificates.find_one({"_id": key})["status"] == "done"
    find_events(
        billing.topic, lambda e: e.type == "statement.certificate_available" and e.account_id == family["account_id"]
    )


def test_the_worker_runs_in_january_for_the_year_before_only(billing):
    assert certificates.january(billing.billing.statements, 1, today=datetime(2026, 6, 1, tzinfo=UTC)) is None
    assert certificates.january(billing.billing.statements, 1, today=datetime(2026, 1, 15, tzinfo=UTC)) is not None
