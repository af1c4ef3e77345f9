"""Billing's pure rules: cents, French amounts, pro-rata allocation, statement periods, which children count."""

from __future__ import annotations

from datetime import date

import pytest

from portal_billing_statement.figures import period
from portal_billing_statement.money import allocate
from portal_common.french import euros
from portal_common.problems import Problem


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "0,00\u00a0€"), (5, "0,05\u00a0€"), (123456, "1\u202f234,56\u00a0€"), (-1000, "-10,00\u00a0€")],
)
def test_euros_are_written_the_french_way(cents: int, text: str) -> None:
    assert euros(cents) == text


@pytest.mark.parametrize(
    ("total", "weights"),
    [(10_000, [1, 1, 1]), (1, [3, 3, 3]), (99_999, [12_000, 4_500, 1]), (7, [0, 5, 0]), (50_00, [1])],
)
def test_allocation_never_loses_or_invents_a_cent(total: int, weights: list[int]) -> None:
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert all(share >= 0 for share in shares)
    # each share is within one cent of the exact proportion
    assert all(abs(share - total * w / sum(weights)) < 1 for share, w in zip(shares, weights, strict=True))


def test_allocation_without_weights_gives_nothing() -> None:
    assert allocate(1000, [0, 0]) == [0, 0]
    assert allocate(1000, []) == []


def test_a_period_is_two_dates_in_order_not_in_the_future_and_at_most_three_years() -> None:
    today = date(2026, 11, 30)
    assert period("2025-01-01", "2025-12-31", today) == (date(2025, 1, 1), date(2025, 12, 31))
    for start, end, slug in [
        ("2025-13-01", "2025-12-31", "invalid-period"),
        ("31/12/2025", "2025-12-31", "invalid-period"),
        ("2025-12-31", "2025-01-01", "invalid-period"),
        ("2020-01-01", "2025-12-31", "period-too-long"),
        ("2026-01-01", "2026-12-31", "period-in-future"),
    ]:
        with pytest.raises(Problem) as refused:
            period(start, end, today)
        assert refused.value.status == 422
        assert refused.value.slug == slug
