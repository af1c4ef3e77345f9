"""French as a parent reads it: dates written out ("1er mars 2025", "15 mars 2025")."""

from __future__ import annotations

from datetime import date

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def long_date(value: date | str) -> str:
    """2025-03-15 -> '15 mars 2025'; the first of the month is '1er'."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"
