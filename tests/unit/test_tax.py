"""The childcare tax credit's rules (portal_billing_statement.tax), each on hand-computed cases."""

import pytest

from portal_billing_statement import tax
from portal_billing_statement.structures import valid_siret
from portal_common.french import long_date, whole_euros


@pytest.mark.parametrize(
    ("birth", "year", "counts"),
    [
        ("2019-01-01", 2025, True),  # "nés à compter du 1er janvier 2019": six on the 1st, still counts
        ("2018-12-31", 2025, False),  # "nés après le 31 décembre 2018": not this one
        ("2019-01-02", 2025, True),
        ("2024-05-01", 2025, True),
        ("2025-11-30", 2025, True),  # born during the year
        ("2020-02-29", 2026, True),  # born in 2020 >= 2026 - 6
        ("2019-12-31", 2026, False),
    ],
)
def test_which_children_count_for_an_income_year_follows_the_notices_birth_dates(birth, year, counts):
    assert tax.counts_for_income_year(birth, year) is counts


def test_a_payment_pays_each_line_pro_rata_to_the_cent():
    lines = [{"amount_cents": 20_000}, {"amount_cents": 5_000}, {"amount_cents": 8_000}]
    # 10,000 over 33,000: 6,060.606 / 1,515.15 / 2,424.24 -> 6,060 / 1,515 / 2,424 = 9,999, the leftover
    # cent to the largest remainder (0.606 of the first line): 6,061 / 1,515 / 2,424.
    assert tax.payment_shares(10_000, lines) == [6_061, 1_515, 2_424]
    assert tax.payment_shares(33_000, lines) == [20_000, 5_000, 8_000]


@pytest.mark.parametrize(
    ("method", "declared"),
    [
        ("CARD", True),
        ("DIRECT_DEBIT", True),
        ("CHEQUE", True),
        ("CASH", True),
        ("TRANSFER", True),
        ("CESU", False),
        ("AID", False),
    ],
)
def test_aids_are_not_the_familys_expense(method, declared):
    assert tax.paid_by_the_family({"method": method}) is declared


def test_only_period_billed_childcare_counts():
    assert tax.is_childcare({"billing_mode": "PERIOD", "kind": "CHILDCARE"})
    assert not tax.is_childcare({"billing_mode": "PERIOD", "kind": "MEAL"})
    assert not tax.is_childcare({"billing_mode": "PERIOD", "kind": "OTHER"})
    assert not tax.is_childcare({"billing_mode": "PREPAID", "kind": "CHILDCARE"})


def test_ceiling_credit_and_rounding():
    assert tax.ceiling_cents(alternating=False) == 350_000
    assert tax.ceiling_cents(alternating=True) == 175_000  # 3,500 / 2
    assert tax.credit_cents(350_000) == 175_000  # 50 %
    assert tax.credit_cents(12_345) == 6_172  # 61.725 € -> 61.72 € (never more than half)
    assert tax.declared_euros(123_449) == 1_234  # 1,234.49 -> 1,234
    assert tax.declared_euros(123_450) == 1_235  # 1,234.50 -> 1,235: half a euro counts for one
    assert tax.declared_euros(0) == 0
    assert whole_euros(1_235) == "1\u202f235\u00a0€"


def child(name, birth, alternating=False):
    return tax.Child(name, birth, alternating)


def test_a_year_section_by_hand():
    anna, ben = child("Anna", "2019-01-01"), child("Ben", "2021-06-01", alternating=True)
    carl = child("Carl", "2018-12-31")  # too old for 2025
    paid = {anna.key: 400_000, ben.key: 200_049, carl.key: 90_000}
    section = tax.year_section(2025, [ben, carl, anna], paid)
    assert section == {
        "year": 2025,
        "more_than_three": False,
        "children": [
            # 4,000 € paid: retained at the 3,500 € ceiling, credit 1,750 €; 4,000 € declared
            {
                "child": "Anna",
                "alternating_residence": False,
                "box": "7GA",
                "childcare_paid_cents": 400_000,
                "declared_euros": 4_000,
                "retained_cents": 350_000,
                "credit_cents": 175_000,
            },
            # alternating residence: its own list (7GE), half ceiling 1,750 €, credit 875 €; 2,000.49 -> 2,000
            {
                "child": "Ben",
                "alternating_residence": True,
                "box": "7GE",
                "childcare_paid_cents": 200_049,
                "declared_euros": 2_000,
                "retained_cents": 175_000,
                "credit_cents": 87_500,
            },
        ],
    }


def test_more_than_three_children_in_a_list_get_no_box_rather_than_one_twice():
    kids = [child(f"Enfant {n}", f"202{n}-01-0{n}") for n in range(1, 5)]
    section = tax.year_section(2025, kids, {k.key: 10_000 for k in kids})
    assert [row["box"] for row in section["children"]] == ["7GA", "7GB", "7GC", None]
    assert section["more_than_three"] is True
    twins = [child("Eve", "2022-01-01", True), child("Fay", "2022-01-01", True)]
    section = tax.year_section(2025, kids[:3] + twins, {})
    # eldest first across both lists, each list numbered on its own
    assert [row["box"] for row in section["children"]] == ["7GA", "7GE", "7GF", "7GB", "7GC"]
    assert section["more_than_three"] is False


def test_a_family_without_a_counted_child_has_no_section():
    assert tax.year_section(2025, [child("Zoé", "2015-04-04")], {("Zoé", "2015-04-04"): 50_000}) is None


@pytest.mark.parametrize(
    ("iso", "text"),
    [("2025-03-15", "15 mars 2025"), ("2025-03-01", "1er mars 2025"), ("2024-12-31", "31 décembre 2024")],
)
def test_dates_are_written_out(iso, text):
    assert long_date(iso) == text


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("21750001600019", True),  # Luhn: a multiple of 10
        ("21750001600018", False),  # last digit changed
        ("2175000160001", False),  # 13 digits
        ("2175000160001A", False),
    ],
)
def test_a_siret_is_fourteen_digits_with_its_luhn_key(siret, valid):
    assert valid_siret(siret) is valid
