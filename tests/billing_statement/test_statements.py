"""Statements through real HTTP and a real wkhtmltopdf; the PDF read back with pdftotext and pdftoppm."""

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import jwt
import pytest
from pypdf import PdfReader

from portal.billing.v1 import billing_pb2
from tests.billing_statement.conftest import billing_service, line, pdf_text
from tests.support.kafka import find_events
from tests.support.wait import wait_for

LEA = ("Léa Martin", "2021-03-10")  # under 6 on 1 January 2025
TOM = ("Tom Martin", "2017-05-01")  # not under 6 any more


@pytest.fixture(scope="module")
def martin(billing):
    family = billing.family(name="Famille Martin")
    billing.invoice(
        family, "F-2024-12", "2024-12-20", [line(*LEA, "Crèche", 30_000, start="2024-12-02", end="2024-12-20")]
    )
    billing.pay(family, "F-2024-12", "2025-01-10", 30_000)  # December invoice paid in January: counts in 2025
    billing.invoice(
        family,
        "F-2025-03",
        "2025-03-31",
        [
            line(*LEA, "Garderie périscolaire", 20_000, start="2025-03-03", end="2025-03-28", quantity=20),
            line(
                *LEA,
                "Restauration scolaire",
                5_000,
                kind=billing_pb2.LINE_KIND_MEAL,
                start="2025-03-03",
                end="2025-03-28",
                quantity=10,
            ),
            line(
                *TOM,
                "Accueil de loisirs prépayé",
                8_000,
                mode=billing_pb2.BILLING_MODE_PREPAID,
                start="2025-03-05",
                end="2025-03-26",
                quantity=4,
            ),
        ],
    )
    billing.pay(family, "F-2025-03", "2025-04-15", 33_000, method=billing_pb2.PAYMENT_METHOD_DIRECT_DEBIT)
    billing.invoice(
        family,
        "F-2025-12",
        "2025-12-31",
        [line(*LEA, "Garderie périscolaire", 10_000, start="2025-12-01", end="2025-12-19")],
    )
    billing.pay(family, "F-2025-12", "2026-01-05", 10_000)  # paid in 2026: not in the 2025 tax figure
    return family


def generate(billing, who, **body):
    return billing.call("POST", "/v1/statements", who, json=body)


def test_a_year_statement_with_its_tax_section(billing, martin):
    response = generate(billing, martin, year=2025)
    assert response.status_code == 201, response.text
    statement = response.json()
    assert statement["period_start"] == "2025-01-01"
    # F-2025-03: 33,000 paid over 20,000 childcare + 5,000 meal (period) + 8,000 prepaid: 25,000 pays period
    # lines; F-2025-12: 10,000 paid. Paid for the period's lines = 35,000 = invoiced, never more.
    assert statement["totals"] == {"invoiced_cents": 35_000, "paid_cents": 35_000}
    assert [i["number"] for i in statement["invoices"]] == ["F-2025-03", "F-2025-12"]
    [year] = statement["tax"]
    assert year["year"] == 2025
    # 2025 payments of Léa's childcare: 30,000 (December 2024 invoice paid in January) + 20,000 (the childcare
    # share of the April payment); the December 2025 invoice paid in January 2026 is not in 2025.
    assert year["children"] == [
        {
            "child": "Léa Martin",
            "alternating_residence": False,
            "box": "7GA",
            "childcare_paid_cents": 50_000,
            "declared_euros": 500,
            "retained_cents": 50_000,
            "credit_cents": 25_000,
        }
    ]
    activities = [a["activity"] for c in statement["children"] for a in c["activities"]]
    assert "Accueil de loisirs prépayé" not in activities  # prepaid activities never appear

    pdf = billing.call("GET", f"/v1/statements/{statement['statement_id']}/pdf", martin)
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for expected in (
        "Relevé de facturation",
        "Mairie de Saint-Exemple",
        "Famille Martin",
        statement["number"],
        "Léa Martin",
        "Garderie périscolaire",
        "7GA",
        "500,00",
        "350,00",
        "F-2025-03",
    ):
        assert expected in text, expected
    assert "prépayé" not in text
    assert "Tom Martin" not in text
    find_events(billing.topic, lambda e: e.type == "statement.generated" and e.account_id == martin["account_id"])


def residence(billing, family, child, alternating):
    return billing.stub.SetChildResidence(
        billing_pb2.SetChildResidenceRequest(
            structure_id=family["structure"],
            account_id=family["account_id"],
            child=billing_pb2.Child(name=child[0], birth_date=child[1]),
            alternating=alternating,
        ),
        timeout=10,
    )


NINA = ("Nina Dupont", "2019-01-01")  # born on 1 January 2019: counts for 2025 ("nés à compter du 1er janvier 2019")
OSCAR = ("Oscar Dupont", "2018-12-31")  # born the day before: does not count for 2025
PAUL = ("Paul Dupont", "2022-05-05")  # in alternating residence


def test_a_mixed_invoice_aids_alternating_residence_and_a_january_payment_by_hand(billing):
    dupont = billing.family(name="Famille Dupont")
    assert residence(billing, dupont, PAUL, True).alternating is True
    residence(billing, dupont, PAUL, True)  # replayed: the same
    billing.invoice(
        dupont,
        "D-2025-01",
        "2025-01-31",
        [
            line(*NINA, "Crèche", 30_000, start="2025-01-06", end="2025-01-31"),
            line(*NINA, "Repas", 6_000, kind=billing_pb2.LINE_KIND_MEAL, start="2025-01-06", end="2025-01-31"),
            line(*PAUL, "Séjour", 14_000, mode=billing_pb2.BILLING_MODE_PREPAID, start="2025-01-06", end="2025-01-10"),
        ],
    )
    # Each payment over the lines 30,000 / 6,000 / 14,000 (total 50,000): 3/5, 3/25, 7/25.
    billing.pay(dupont, "D-2025-01", "2025-02-10", 25_000)  # 15,000 / 3,000 / 7,000
    billing.pay(
        dupont, "D-2025-01", "2025-02-15", 10_000, method=billing_pb2.PAYMENT_METHOD_CESU
    )  # 6,000 / 1,200 / 2,800
    billing.pay(
        dupont, "D-2025-01", "2025-03-01", 15_000, method=billing_pb2.PAYMENT_METHOD_AID
    )  # 9,000 / 1,800 / 4,200
    billing.invoice(
        dupont,
        "D-2025-12",
        "2025-12-20",
        [
            line(*PAUL, "Garderie", 400_000, start="2025-09-01", end="2025-12-19", quantity=100),
            line(*OSCAR, "Garderie", 20_000, start="2025-09-01", end="2025-12-19", quantity=10),
        ],
    )
    # 210,001 over 400,000 / 20,000: 200,000.95 / 10,000.05 -> 200,000 / 10,000, the leftover cent to Paul.
    billing.pay(dupont, "D-2025-12", "2025-12-28", 210_001)
    # 209,999: 199,999.05 / 9,999.95 -> 199,999 / 9,999, the leftover cent to Oscar; paid in 2026.
    billing.pay(dupont, "D-2025-12", "2026-01-10", 209_999, method=billing_pb2.PAYMENT_METHOD_TRANSFER)

    response = generate(billing, dupont, period_start="2025-01-01", period_end="2026-06-30")
    assert response.status_code == 201, response.text
    statement = response.json()
    january, december = statement["invoices"]
    # Period-billed: 30,000 + 6,000 = 36,000, paid for them 15,000 + 3,000 + 6,000 + 1,200 + 9,000 + 1,800.
    assert (january["period_billed_cents"], january["paid_cents"]) == (36_000, 36_000)
    assert [p["period_billed_cents"] for p in january["payments"]] == [18_000, 7_200, 10_800]
    assert [p["method"] for p in january["payments"]] == ["CARD", "CESU", "AID"]
    assert (december["period_billed_cents"], december["paid_cents"]) == (420_000, 420_000)
    assert statement["totals"] == {"invoiced_cents": 456_000, "paid_cents": 456_000}  # not 470,000 paid

    y2025, y2026 = statement["tax"]
    assert y2025 == {
        "year": 2025,
        "more_than_three": False,
        "children": [
            # Oscar (born 31 December 2018) is not counted. Nina: only the card payment's crèche share, 15,000:
            # the CESU préfinancés (6,000) and the aid (9,000) are not her family's expense, nor is the meal.
            {
                "child": "Nina Dupont",
                "alternating_residence": False,
                "box": "7GA",
                "childcare_paid_cents": 15_000,
                "declared_euros": 150,
                "retained_cents": 15_000,
                "credit_cents": 7_500,
            },
            # Paul, alternating residence: 200,001 paid in December; ceiling 1,750 €, credit 875 €.
            {
                "child": "Paul Dupont",
                "alternating_residence": True,
                "box": "7GE",
                "childcare_paid_cents": 200_001,
                "declared_euros": 2_000,
                "retained_cents": 175_000,
                "credit_cents": 87_500,
            },
        ],
    }
    # 2026: the January transfer only (Paul 199,999 -> 2,000 €); Nina (born 2019) no longer counts.
    assert [(r["child"], r["box"], r["childcare_paid_cents"], r["declared_euros"]) for r in y2026["children"]] == [
        ("Paul Dupont", "7GE", 199_999, 2_000)
    ]

    text = " ".join(
        pdf_text(billing.call("GET", f"/v1/statements/{statement['statement_id']}/pdf", dupont).content).split()
    )
    for expected in (
        "Paul Dupont",
        "7GE",
        "2 000 €",
        "10 janvier 2026",
        "CESU préfinancés",
        "aide versée à la structure",
        "nés à compter du 1er janvier 2019",
        "arrondi à l'euro le plus proche",
    ):
        assert expected in text.replace("\u202f", " ").replace("\u00a0", " "), expected

    # In a narrow cell of the PDF's table, so read from the printable HTML view of the same statement.
    html = billing.call("GET", f"/v1/statements/{statement['statement_id']}/html", dupont).text
    assert "dont 72,00\u00a0€ pour les activités à la période" in html  # the CESU payment's period share
    assert "Paul Dupont (résidence alternée)" in html

    # Paul's residence no longer alternates: the next statement uses the usual list and ceiling.
    residence(billing, dupont, PAUL, False)
    again = generate(billing, dupont, year=2025).json()
    paul = next(r for r in again["tax"][0]["children"] if r["child"] == "Paul Dupont")
    assert (paul["box"], paul["retained_cents"]) == ("7GB", 200_001)


def test_a_payment_beyond_what_is_left_to_pay_is_refused_and_changes_nothing(billing):
    family = billing.family(name="Famille Petit")
    billing.invoice(
        family, "P-2025-02", "2025-02-28", [line(*NINA, "Crèche", 10_000, start="2025-02-03", end="2025-02-28")]
    )
    billing.pay(family, "P-2025-02", "2025-03-05", 6_000)
    with pytest.raises(grpc.RpcError) as refused:
        billing.pay(family, "P-2025-02", "2025-03-06", 4_001)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "dépasse le reste à payer" in refused.value.details()
    billing.pay(family, "P-2025-02", "2025-03-06", 4_000)  # exactly what is left
    statement = generate(billing, family, year=2025).json()
    assert statement["totals"] == {"invoiced_cents": 10_000, "paid_cents": 10_000}


def test_a_residence_for_a_family_of_another_structure_is_not_found(billing):
    family = billing.family(structure="mairie-2")
    with pytest.raises(grpc.RpcError) as refused:
        residence(billing, {**family, "structure": "mairie-1"}, PAUL, True)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


LYON = {
    "name": "Ville de Lyon – Petite enfance",
    "address": "1 place de la Comédie",
    "postal_code": "69001",
    "city": "Lyon",
    "siret": "217 500 016 00019",
    "email": "petite-enfance@example.org",
    "phone": "04 72 10 30 30",
}


def test_the_statement_prints_the_familys_structure_as_its_invoicing_system_describes_it(billing):
    family = billing.family(structure="mairie-lyon", name="Famille Moreau")
    billing.invoice(
        family, "L-2025-05", "2025-05-31", [line(*NINA, "Crèche", 12_000, start="2025-05-05", end="2025-05-30")]
    )
    before = generate(billing, family, year=2025).json()
    assert before["structure"] == {"name": "Mairie de Saint-Exemple"}  # the deployment's name until described
    record = billing_pb2.Structure(structure_id="mairie-lyon", **LYON)
    stored = billing.stub.SetStructure(record, timeout=10)
    assert stored.siret == "21750001600019"
    statement = generate(billing, family, year=2025).json()
    assert statement["statement_id"] != before["statement_id"]  # the structure changed: a new statement
    assert statement["structure"]["city"] == "Lyon"
    text = " ".join(
        pdf_text(billing.call("GET", f"/v1/statements/{statement['statement_id']}/pdf", family).content).split()
    )
    for expected in (
        "Ville de Lyon – Petite enfance",
        "1 place de la Comédie",
        "69001 Lyon",
        "SIRET 217 500 016 00019",
        "petite-enfance@example.org",
        "Famille Moreau",
        "du 1er janvier 2025 au 31 décembre 2025",
    ):
        assert expected in text, expected
    assert "Saint-Exemple" not in text


def test_a_family_reads_how_to_contact_its_own_structure_and_no_other(billing):
    lyon = billing.family(structure="mairie-lyon-contact")
    other = billing.family(structure="mairie-autre-contact")
    assert billing.call("GET", "/v1/structure", lyon).json() == {
        "name": "Mairie de Saint-Exemple",  # not described yet: the deployment's name, nothing invented
        **dict.fromkeys(("address", "postal_code", "city", "email", "phone"), ""),
    }
    billing.stub.SetStructure(billing_pb2.Structure(structure_id="mairie-lyon-contact", **LYON), timeout=10)
    assert billing.call("GET", "/v1/structure", lyon).json() == {k: v for k, v in LYON.items() if k != "siret"}
    assert billing.call("GET", "/v1/structure", other).json()["name"] == "Mairie de Saint-Exemple"
    assert billing.call("GET", "/v1/structure", None).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"siret": "21750001600018"}, "siret"),
        ({"postal_code": "6900"}, "postal_code"),
        ({"name": ""}, "name"),
        ({"email": "pas-une-adresse"}, "email"),
        ({"address": "1 rue\x00"}, "address"),
    ],
)
def test_a_bad_structure_record_is_refused_in_french_and_keeps_the_old_one(billing, change, field):
    good = {
        "structure_id": "mairie-x",
        "name": "Mairie X",
        "address": "2 rue Haute",
        "postal_code": "75001",
        "city": "Paris",
        "siret": "21750001600019",
    }
    billing.stub.SetStructure(billing_pb2.Structure(**good), timeout=10)
    with pytest.raises(grpc.RpcError) as refused:
        billing.stub.SetStructure(billing_pb2.Structure(**{**good, **change}), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused.value.details()
    assert billing.db.structures.find_one({"_id": "mairie-x"})["name"] == "Mairie X"


def test_the_pdf_page_is_really_drawn(billing, martin, tmp_path):
    statement = generate(billing, martin, period_start="2025-01-01", period_end="2025-06-30").json()
    pdf = billing.call("GET", f"/v1/statements/{statement['statement_id']}/pdf", martin).content
    (tmp_path / "s.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", "1", str(tmp_path / "s.pdf"), str(tmp_path / "page")],
        check=True,
    )
    [page] = list(tmp_path.glob("page*.pgm"))
    data = page.read_bytes()
    pixels = data[data.index(b"255\n") + 4 :]  # binary PGM after its header
    dark = sum(1 for value in pixels if value < 128)
    assert len(pixels) > 10_000
    assert 0.005 < dark / len(pixels) < 0.5  # text is drawn, the page is neither blank nor black


def test_the_same_inputs_reuse_the_stored_pdf(billing, martin):
    first = generate(billing, martin, period_start="2025-02-01", period_end="2025-05-31").json()
    count = billing.db.statements.count_documents({"account_id": martin["account_id"]})
    second = generate(billing, martin, period_start="2025-02-01", period_end="2025-05-31").json()
    assert second["statement_id"] == first["statement_id"]
    assert billing.db.statements.count_documents({"account_id": martin["account_id"]}) == count
    listed = billing.call("GET", "/v1/statements", martin).json()["items"]
    assert first["statement_id"] in [s["statement_id"] for s in listed]


def test_asking_for_a_pdf_answers_the_pdf_of_the_generated_statement(billing, martin):
    period = {"period_start": "2025-03-01", "period_end": "2025-03-31"}
    asked = billing.call("POST", "/v1/statements", martin, json=period, headers={"Accept": "application/pdf"})
    assert asked.status_code == 201, asked.text
    assert asked.headers["Content-Type"] == "application/pdf"
    statement_id = asked.headers["Location"].rsplit("/", 1)[1]
    statement = billing.call("GET", f"/v1/statements/{statement_id}", martin).json()
    assert asked.headers["Content-Disposition"] == f'attachment; filename="{statement["number"]}.pdf"'
    assert statement["number"] in pdf_text(asked.content)
    assert "Garderie périscolaire" in pdf_text(asked.content)
    # The JSON answer (the default) names the same stored statement.
    again = billing.call("POST", "/v1/statements", martin, json=period, headers={"Accept": "*/*"})
    assert again.headers["Content-Type"] == "application/json"
    assert again.json()["statement_id"] == statement_id
    assert again.headers["Location"].endswith(f"/v1/statements/{statement_id}")


def test_a_ledger_change_is_in_the_next_statement_and_a_change_elsewhere_reuses_the_pdf(billing):
    family = billing.family(name="Famille Leroy")
    billing.invoice(family, "F-L1", "2025-02-28", [line("Noé Leroy", "2022-06-01", "Crèche", 12_000)])
    before = generate(billing, family, period_start="2025-02-01", period_end="2025-02-28").json()
    assert before["totals"]["paid_cents"] == 0
    billing.pay(family, "F-L1", "2025-02-20", 12_000)
    after = generate(billing, family, period_start="2025-02-01", period_end="2025-02-28").json()
    assert after["statement_id"] != before["statement_id"]
    assert after["totals"]["paid_cents"] == 12_000
    pdf = billing.call("GET", f"/v1/statements/{after['statement_id']}/pdf", family)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    # An invoice outside the period changes the ledger, not this statement: the stored PDF is reused.
    billing.invoice(family, "F-L2", "2025-06-30", [line("Noé Leroy", "2022-06-01", "Crèche", 7_000)])
    again = generate(billing, family, period_start="2025-02-01", period_end="2025-02-28").json()
    assert again["statement_id"] == after["statement_id"]


def test_html_injection_in_a_name_prints_as_text(billing):
    family = billing.family(name='<img src="file:///etc/passwd">')
    billing.invoice(
        family,
        "F-INJ",
        "2025-05-31",
        [line('<script>alert(1)</script><img src="file:///etc/passwd">', "2022-01-01", "Garderie", 1_000)],
    )
    statement = generate(billing, family, year=2025).json()
    text = pdf_text(billing.call("GET", f"/v1/statements/{statement['statement_id']}/pdf", family).content)
    assert '<img src="file:///etc/passwd">' in text.replace("\n", "")
    assert "root:" not in text
    page = billing.call("GET", f"/v1/statements/{statement['statement_id']}/html", family)
    assert "&lt;script&gt;" in page.text
    assert "<script>" not in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_prepaid_only_periods_get_a_clear_answer(billing):
    family = billing.family()
    billing.invoice(
        family, "F-PRE", "2025-05-31", [line(*TOM, "Mercredis prépayés", 4_000, mode=billing_pb2.BILLING_MODE_PREPAID)]
    )
    response = generate(billing, family, year=2025)
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Relevé indisponible"
    assert "prépaiement" in body["detail"]


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({"period_start": "2025-06-01", "period_end": "2025-01-01"}, "invalid-period"),
        ({"period_start": "2020-01-01", "period_end": "2025-01-01"}, "period-too-long"),
        ({"period_start": "2026-06-01", "period_end": "2026-12-31"}, "period-in-future"),
        ({"period_start": "01/01/2025", "period_end": "2025-02-01"}, "invalid-period"),
        ({"year": 1999}, "validation-error"),
        ({"year": "2025"}, "validation-error"),
        ({}, "missing-fields"),
        ({"year": 2025, "colour": "red"}, "unknown-fields"),
    ],
)
def test_bad_periods(billing, martin, body, slug):
    response = generate(billing, martin, **body)
    assert response.status_code == 422
    assert response.json()["type"].endswith(slug)


def test_who_sees_what(billing, martin):
    statement = generate(billing, martin, year=2025).json()
    path = f"/v1/statements/{statement['statement_id']}"
    neighbour, agent, outsider = billing.family(), billing.agent(), billing.agent("mairie-2")
    assert billing.call("GET", path, neighbour).status_code == 404
    assert billing.call("GET", path + "/pdf", outsider).status_code == 404
    assert billing.call("GET", path, agent).status_code == 200
    assert billing.call("GET", "/v1/invoices", agent, params={"account_id": martin["account_id"]}).status_code == 200
    assert billing.call("GET", "/v1/invoices", outsider, params={"account_id": martin["account_id"]}).status_code == 404
    assert len(billing.call("GET", "/v1/invoices", martin).json()["items"]) == 3
    assert billing.call("GET", "/v1/invoices", neighbour).json()["items"] == []
    assert billing.call("GET", "/v1/invoices").status_code == 401


def test_deleted_then_purged_family(billing):
    family = billing.family(name="Famille Durand")
    billing.invoice(family, "F-D", "2025-05-31", [line("Zoé Durand", "2022-02-02", "Crèche", 9_000)])
    statement = generate(billing, family, year=2025).json()
    # As identity does: the deletion names the sessions it ends.
    session = jwt.decode(family["token"], options={"verify_signature": False})["sid"]
    billing.publish("account.deleted", family["account_id"], family["structure"], revoked_session_ids=[session])
    wait_for(
        lambda: billing.call("GET", f"/v1/statements/{statement['statement_id']}", family).status_code == 401,
        timeout=10,
        what="deleted family refused",
    )
    billing.publish("account.purged", family["account_id"], family["structure"])
    wait_for(
        lambda: billing.db.statements.count_documents({"account_id": family["account_id"]}) == 0,
        timeout=15,
        what="statements of the purged family removed",
    )
    for kept_apart in ("statement_pdfs", "statement_requests"):
        assert billing.db[kept_apart].count_documents({"account_id": family["account_id"]}) == 0
    stored = billing.db.invoices.find_one({"account_id": family["account_id"]})
    assert stored is not None  # the ledger is kept (accounting retention)
    assert "Zoé" not in str(stored["lines"])
    assert stored["lines"][0]["child"] == {"name": "Enfant 1", "birth_date": "2022-01-01"}


def test_the_memory_cache_is_bounded_and_keeps_the_most_recent():
    from portal_billing_statement.cache import SizedCache

    cache = SizedCache(max_bytes=10)
    loads = []

    def load(value):
        return lambda: (loads.append(value), value)[1]

    assert cache.get("a", load(b"aaaa"), len) == b"aaaa"
    assert cache.get("b", load(b"bbbb"), len) == b"bbbb"
    assert cache.get("a", load(b"xxxx"), len) == b"aaaa"  # kept: not loaded again
    cache.get("c", load(b"cccc"), len)  # 12 bytes > 10: the least recently used ("b") goes
    assert cache.get("b", load(b"BBBB"), len) == b"BBBB"
    assert loads == [b"aaaa", b"bbbb", b"cccc", b"BBBB"]
    assert cache.get("huge", load(b"z" * 11), len) == b"z" * 11  # larger than the budget: served, not kept
    assert "huge" not in cache.entries
    assert list(cache.entries) == ["c", "b"]  # "a" went when "b" came back
    cache.forget({"c", "nothing"})
    assert list(cache.entries) == ["b"]
    assert cache.size == 4


def test_new_statements_are_limited_per_family_and_hour_and_the_oldest_beyond_the_cap_go():
    """#20 finding 8: each new statement costs a wkhtmltopdf render and is stored; a family (or a stolen token)
    asking in a loop gets 429, and a family keeps its newest STATEMENTS_KEPT_PER_FAMILY."""
    from datetime import UTC, datetime, timedelta

    with billing_service(STATEMENT_RENDERS_PER_HOUR="2", STATEMENTS_KEPT_PER_FAMILY="2") as strict:
        family = strict.family()
        strict.invoice(family, "F-R1", "2025-03-31", [line("Léa R", "2022-01-01", "Crèche", 10_000)])
        first = generate(strict, family, period_start="2025-01-01", period_end="2025-03-31")
        second = generate(strict, family, period_start="2025-01-01", period_end="2025-04-30")
        assert (first.status_code, second.status_code) == (201, 201)
        refused = generate(strict, family, period_start="2025-01-01", period_end="2025-05-31")
        assert refused.status_code == 429
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= 3600
        assert "Réessayez dans" in refused.json()["detail"]
        again = generate(strict, family, period_start="2025-01-01", period_end="2025-03-31")
        assert again.status_code == 201  # a statement already made costs nothing: served, not counted
        assert again.json()["statement_id"] == first.json()["statement_id"]

        # An hour later: a new one is made, and the oldest goes beyond the cap of two.
        two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
        strict.db.statement_quotas.update_one(
            {"_id": family["account_id"]}, {"$set": {"made_at": [two_hours_ago, two_hours_ago]}}
        )
        third = generate(strict, family, period_start="2025-01-01", period_end="2025-05-31")
        assert third.status_code == 201, third.text
        listed = [s["statement_id"] for s in strict.call("GET", "/v1/statements", family).json()["items"]]
        assert listed == [third.json()["statement_id"], second.json()["statement_id"]]
        assert strict.db.statement_pdfs.count_documents({"account_id": family["account_id"]}) == 2


def printed_sizes(pdf: bytes) -> list[set[float]]:
    """Per page, the font sizes text is printed at (points, after every scaling the page applies)."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        sizes: set[float] = set()

        def visit(text, cm, tm, font, size, sizes=sizes):
            if text.strip():
                sizes.add(round(abs(size * tm[3] * cm[3]), 1))

        page.extract_text(visitor_text=visit)
        pages.append(sizes)
    return pages


def test_a_long_statement_is_legible_on_every_page(billing):
    family = billing.family(structure="mairie-legible", name="Famille Nombreuse")
    for month in range(1, 13):
        for week in range(4):  # 48 invoices: more than one page of them
            number = f"N-{month:02d}-{week}"
            day = f"2025-{month:02d}-{week * 7 + 1:02d}"
            billing.invoice(family, number, day, [line(*NINA, "Crèche", 4_000 + week, start=day, end=day)])
            billing.pay(family, number, day, 4_000 + week)
    statement = generate(billing, family, year=2025).json()
    pdf = billing.call("GET", f"/v1/statements/{statement['statement_id']}/pdf", family).content
    count = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode(),
        ).group(1)
    )
    assert count >= 3
    for number in range(1, count + 1):
        page = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), "-layout", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout.decode()
        assert f"page {number} / {count}" in page
        rows = [row.strip() for row in page.splitlines() if row.strip()]
        first_invoice_row = next((i for i, row in enumerate(rows) if row.startswith("N-")), None)
        if first_invoice_row is not None:  # the table's header heads this page's part of it
            assert any(row.startswith("Facture") for row in rows[:first_invoice_row]), rows[:first_invoice_row]
        if number == 1:
            for expected in ("Mairie de Saint-Exemple", "Famille Nombreuse", "du 1er janvier 2025 au 31 décembre 2025"):
                assert expected in " ".join(page.split()), expected
    # Body text at least 9 points on every page, as printed (Debian's wkhtmltopdf shrinks CSS by a quarter).
    assert all(min(sizes) >= 9 for sizes in printed_sizes(pdf)), printed_sizes(pdf)


def test_a_hung_renderer_is_stopped_and_frees_its_slot(tmp_path):
    hung = tmp_path / "wkhtmltopdf"
    hung.write_text("#!/bin/sh\nexec sleep 300\n")  # a renderer that never answers
    hung.chmod(0o755)
    with billing_service(WKHTMLTOPDF=str(hung), RENDER_TIMEOUT_SECONDS="1", RENDER_CONCURRENCY="1") as stuck:
        family = stuck.family()
        stuck.invoice(family, "H-1", "2025-03-31", [line(*NINA, "Crèche", 1_000, start="2025-03-03", end="2025-03-28")])
        for _ in range(2):  # the second one gets the only slot back: it too is answered, not queued forever
            started = time.monotonic()
            response = generate(stuck, family, year=2025)
            assert response.status_code == 503, response.text
            assert response.headers["Content-Type"] == "application/problem+json"
            assert "réessayez" in response.json()["detail"]
            assert time.monotonic() - started < 10
        sleeping = subprocess.run(["pgrep", "-f", f"{hung} "], capture_output=True, text=True).stdout.split()
        assert sleeping == []  # killed, not left behind
        assert stuck.db.statements.count_documents({"account_id": family["account_id"]}) == 0


def renders_killed(svc) -> float:
    found = re.search(r"^portal_statement_renders_killed_total (\S+)$", svc.call("GET", "/metrics").text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def renderer_started(link: Path) -> int:
    """The pid of the wkhtmltopdf started through `link`, once it runs (choom has exec'd it)."""

    def running() -> int | None:
        for pid in subprocess.run(["pgrep", "-f", f"{link} "], capture_output=True, text=True).stdout.split():
            with contextlib.suppress(FileNotFoundError):
                if Path(f"/proc/{pid}/comm").read_text().strip() == "wkhtmltopdf":
                    return int(pid)
        return None

    return wait_for(running, timeout=20, interval=0.005, what="wkhtmltopdf running")


def test_a_renderer_killed_at_the_memory_limit_fails_one_statement_and_keeps_nothing(tmp_path):
    """What the kernel does when a pod reaches its memory limit mid-render (the cluster test makes it happen): the
    renderer is the process it picks first, the family gets a French 503 to retry, nothing is stored or counted."""
    link = tmp_path / "wkhtmltopdf"
    link.symlink_to(shutil.which("wkhtmltopdf"))  # the real renderer, under a name this test alone starts
    with billing_service(WKHTMLTOPDF=str(link), STATEMENT_RENDERS_PER_HOUR="1", STATEMENTS_KEPT_PER_FAMILY="1") as svc:
        family = svc.family()
        svc.invoice(family, "K-1", "2025-03-31", [line(*NINA, "Crèche", 1_000, start="2025-03-03", end="2025-03-28")])
        killed_before = renders_killed(svc)
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(generate, svc, family, year=2025)
            pid = renderer_started(link)
            score = Path(f"/proc/{pid}/oom_score_adj").read_text().strip()
            os.kill(pid, signal.SIGKILL)
            response = answer.result(timeout=30)
        assert score == "1000"  # the highest: chosen before the service's own process
        assert response.status_code == 503, response.text
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.headers["Retry-After"] == "5"
        assert "interrompue ; réessayez" in response.json()["detail"]
        assert svc.db.statements.count_documents({"account_id": family["account_id"]}) == 0
        # Not counted either: the one statement this hour allows is still there, and it renders.
        again = generate(svc, family, year=2025)
        assert again.status_code == 201, again.text
        pdf = svc.call("GET", f"/v1/statements/{again.json()['statement_id']}/pdf", family)
        assert "Nina Dupont" in pdf_text(pdf.content)
        assert renders_killed(svc) == killed_before + 1  # what ops see (and the runbook explains)
