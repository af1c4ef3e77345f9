"""#21: an email is headed with the family's structure ("Ville de Montreuil"), asked from billing when it goes
out; it never waits on it: a structure without a record, or billing away, and the sender's name heads it."""

import pytest

from tests.notification.conftest import start_service
from tests.support.billing_standin import BillingStructuresStandIn
from tests.support.sinks import part_of
from tests.support.wait import wait_for

ISSUED = {"invoice_id": "i1", "number": "F-9", "amount_cents": 4200, "due_date": "2026-12-15"}


@pytest.fixture(scope="module")
def billing():
    standin = BillingStructuresStandIn({"montreuil": "Ville de Montreuil"})
    yield standin
    standin.close()


@pytest.fixture(scope="module")
def notif(tmp_path_factory, billing):
    under_test, stop = start_service(
        tmp_path_factory.mktemp("notification"), BILLING_STATEMENT_GRPC_TARGET=billing.target
    )
    yield under_test
    stop()


def invoice_email(notif, structure: str):
    family = notif.family(structure)
    notif.publish("invoice.issued", family["account_id"], structure, **ISSUED)
    [email] = wait_for(
        lambda: notif.smtp.messages(to=family["email"], subject="Nouvelle facture disponible"), timeout=15, what="email"
    )
    return email


def heading(email) -> str:
    return next(line.strip() for line in part_of(email).splitlines() if line.strip())


def test_the_email_is_headed_with_the_family_structure(notif, billing):
    email = invoice_email(notif, "montreuil")
    assert heading(email) == "Ville de Montreuil"
    assert "Ville de Montreuil</p>" in part_of(email, "text/html")
    calls = billing.calls
    invoice_email(notif, "montreuil")
    assert billing.calls == calls  # kept: a flood of emails asks billing once per structure


def test_without_a_record_or_with_billing_away_the_sender_heads_it(notif, billing):
    assert heading(invoice_email(notif, "sans-fiche")) == "Portail Famille"
    billing.down = True
    try:
        assert heading(invoice_email(notif, "autre-structure")) == "Portail Famille"  # sent, not held
    finally:
        billing.down = False
