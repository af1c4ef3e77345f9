"""Pro-rata allocation of integer cents without losing a cent (French formatting: portal_common.french)."""

from __future__ import annotations


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
