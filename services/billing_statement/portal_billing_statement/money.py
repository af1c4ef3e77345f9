"""Integer cents, French formatting, and pro-rata allocation without losing a cent."""

from __future__ import annotations


def euros(cents: int) -> str:
    """1234567 -> '12 345,67 €' (narrow no-break space between thousands, as French typography has it)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", "\u202f") + f",{rest:02d}\u00a0€"


def whole_euros(amount: int) -> str:
    """1234 -> '1 234 €': what a family types in a tax box (no cents)."""
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0€"


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` cents in proportion to `weights`; largest remainders get the leftover cents."""
    weight_sum = sum(weights)
    if weight_sum <= 0:
        return [0] * len(weights)
    exact = [total * w / weight_sum for w in weights]
    shares = [int(x) for x in exact]
    leftover = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)[:leftover]:
        shares[index] += 1
    return shares
