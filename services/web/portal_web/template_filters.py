"""How pages write dates and amounts for parents: "1er décembre 2026 à 14 h 05", "1 234,56 €"."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from portal_common.french import PARIS, euros, file_size, long_date, long_date_in_france


def _instant(value: str | datetime) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def date_time(value: str | datetime | None) -> str:
    if not value:
        return ""
    at = _instant(value)
    local = at.astimezone(PARIS)
    return f"{long_date_in_france(at)} à {local.hour} h {local.minute:02d}"


def day(value: str | datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, str) and len(value) == 10:
        return long_date(value)
    return long_date_in_france(_instant(value))


def amount(cents: int | str | None) -> str:
    """An amount in cents as events carry it (a number, or its text): "1 234,56 €"; nothing if it is neither."""
    if isinstance(cents, str) and cents.lstrip("-").isdigit():
        cents = int(cents)
    return euros(cents) if isinstance(cents, int) else ""


def plural(count: int, one: str, many: str) -> str:
    """2, "autre connexion terminée", "autres connexions terminées" -> "2 autres connexions terminées"."""
    return f"{count} {one if count <= 1 else many}"


def register(app: Flask) -> None:
    app.add_template_filter(date_time, "date_time")
    app.add_template_filter(day, "day")
    app.add_template_filter(euros, "euros")
    app.add_template_filter(amount, "amount")
    app.add_template_filter(file_size, "file_size")
