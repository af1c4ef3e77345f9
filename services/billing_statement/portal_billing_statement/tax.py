"""The childcare tax credit (CGI art. 200 quater B) as the 2042-RICI notice and BOFiP (BOI-IR-RICI-300)
apply it to a structure's invoices: one named function per rule, each with its source.

All amounts are integer cents until `declared_euros`, which gives what the family types in a box.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from portal_billing_statement.money import allocate

CEILING_CENTS = 350_000
CREDIT_RATE_PERCENT = 50
BOXES = ("7GA", "7GB", "7GC")
ALTERNATING_BOXES = ("7GE", "7GF", "7GG")
# Paid by someone else than the family: an exempt employer aid (CESU préfinancés) or another aid the structure
# received for the family (employer, works council). What they paid is not the family's expense.
AID_METHODS = frozenset({"CESU", "AID"})


def counts_for_income_year(birth_date: str, year: int) -> bool:
    """A child counts for income year Y when born on or after 1 January Y-6.

    Source: 2042-RICI notice, "Frais de garde des enfants de moins de 6 ans" ("enfants nés après le
    31 décembre Y-7", i.e. "nés à compter du 1er janvier Y-6"); CGI art. 200 quater B ("enfants âgés de moins
    de six ans au 1er janvier de l'année d'imposition"). The notice's wording by birth year, not an age
    computed to the day: a child born on 1 January Y-6 counts.
    """
    born = date.fromisoformat(birth_date)
    return date(year - 6, 1, 1) <= born <= date(year, 12, 31)


def payment_shares(payment_cents: int, lines: list[dict[str, Any]]) -> list[int]:
    """What one payment paid of each line of its invoice: pro rata of the lines' amounts, to the cent.

    Source: BOI-IR-RICI-300 (only the expenses of childcare proper are retained: meals and other services
    billed with it are left out); the structure's invoice does not say which line a payment paid, so each line
    gets its share. The leftover cents go to the largest remainders (`allocate`),
    so the shares always add up to the payment.
    """
    return allocate(payment_cents, [line["amount_cents"] for line in lines])


def is_childcare(line: dict[str, Any]) -> bool:
    """Only period-billed childcare lines: meals (BOI-IR-RICI-300: "frais de nourriture" excluded) and other
    services are not childcare; prepaid activities are not on statements at all."""
    return line["billing_mode"] == "PERIOD" and line["kind"] == "CHILDCARE"


def paid_by_the_family(payment: dict[str, Any]) -> bool:
    """Expenses are declared net of aids. Source: 2042-RICI notice ("montant des frais ... après déduction
    des aides perçues", among them the exempt employer aid of CGI art. 81, 37° paid as CESU préfinancés) and
    BOI-IR-RICI-300. A payment made with CESU préfinancés or recorded as an aid is not declared."""
    return payment["method"] not in AID_METHODS


def ceiling_cents(alternating: bool) -> int:
    """3,500 € of expenses per child, halved for a child in alternating residence (each parent declares
    his share). Source: CGI art. 200 quater B; BOI-IR-RICI-300 (résidence alternée)."""
    return CEILING_CENTS // 2 if alternating else CEILING_CENTS


def credit_cents(retained_cents: int) -> int:
    """The credit is 50 % of the retained expenses. Source: CGI art. 200 quater B, 1st paragraph."""
    return retained_cents * CREDIT_RATE_PERCENT // 100


def declared_euros(cents: int) -> int:
    """Whole euros as the form asks, rounded to the nearest euro, half a euro counting for one.
    Source: CGI art. 1724 (bases and amounts rounded to the nearest euro, 0.50 counts for 1); 2042 notice
    ("ne portez pas les centimes")."""
    return (cents + 50) // 100


def boxes(alternating: bool) -> tuple[str, ...]:
    """7GA, 7GB, 7GC for the first three children (eldest first), 7GE, 7GF, 7GG for children in alternating
    residence. Source: 2042-RICI, section "Frais de garde des enfants de moins de 6 ans". The form has three
    lines in each list; for more children the family adds them as the notice says (an extra line online, a
    note with a paper return): no box is shown for them, never a box used twice."""
    return ALTERNATING_BOXES if alternating else BOXES


@dataclass(frozen=True)
class Child:
    name: str
    birth_date: str
    alternating: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.birth_date)


def year_section(year: int, children: Iterable[Child], paid_cents: dict[tuple[str, str], int]) -> dict[str, Any] | None:
    """The tax section of one income year: a row per counted child, in its list (usual or alternating
    residence), eldest first, with its box, what the family paid, what is retained and the credit."""
    rows: list[dict[str, Any]] = []
    used = {False: 0, True: 0}
    for child in sorted(children, key=lambda c: (c.birth_date, c.name)):
        if not counts_for_income_year(child.birth_date, year):
            continue
        paid = paid_cents.get(child.key, 0)
        retained = min(paid, ceiling_cents(child.alternating))
        available = boxes(child.alternating)
        rank = used[child.alternating]
        used[child.alternating] += 1
        rows.append(
            {
                "child": child.name,
                "alternating_residence": child.alternating,
                "box": available[rank] if rank < len(available) else None,
                "childcare_paid_cents": paid,
                "declared_euros": declared_euros(paid),
                "retained_cents": retained,
                "credit_cents": credit_cents(retained),
            }
        )
    if not rows:
        return None
    return {"year": year, "children": rows, "more_than_three": any(row["box"] is None for row in rows)}
