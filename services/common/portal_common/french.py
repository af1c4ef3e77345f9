"""French as a parent reads it: dates written out ("1er mars 2025", "15 mars 2025"), amounts as "1 234,56 €"."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

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


def long_date_in_france(at: datetime) -> str:
    """An instant as the date it is in France (a naive one is UTC): 2026-06-30T22:30Z -> '1er juillet 2026'."""
    return long_date((at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(PARIS).date())


def euros(cents: int) -> str:
    """1234567 -> '12 345,67 €' (narrow no-break space between thousands, as French typography has it)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", "\u202f") + f",{rest:02d}\u00a0€"


def whole_euros(amount: int) -> str:
    """1234 -> '1 234 €': what a family types in a tax box (no cents)."""
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0€"


def file_size(size: int) -> str:
    """10485760 -> '10 Mo', 1536 -> '1,5 ko', 900 -> '900 octets': a size as a parent reads it."""
    for unit, scale in (("Go", 1024**3), ("Mo", 1024**2), ("ko", 1024)):
        if size >= scale:
            value = f"{size / scale:.1f}".removesuffix(".0").replace(".", ",")
            return f"{value}\u00a0{unit}"
    return f"{size}\u00a0octet{'s' if size > 1 else ''}"
