"""How pages write dates and amounts for parents: "1er décembre 2026 à 14 h 05", "1 234,56 €" (in English:
"1 December 2026 at 14:05", "€1,234.56")."""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from flask import Flask, has_request_context
from flask_babel import get_locale

from portal_common.french import PARIS, euros, file_size, long_date, long_date_in_france


def _instant(value: str | datetime) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def english() -> bool:
    """The page is in English (French otherwise, and outside a request: the services' own language)."""
    locale = get_locale() if has_request_context() else None
    return locale is not None and locale.language == "en"


def date_time(value: str | datetime | None) -> str:
    if not value:
        return ""
    at = _instant(value)
    if english():
        return format_datetime(at, "d MMMM y 'at' HH:mm", tzinfo=PARIS, locale="en_GB")
    local = at.astimezone(PARIS)
    return f"{long_date_in_france(at)} à {local.hour} h {local.minute:02d}"


def day(value: str | date | None) -> str:
    """A day ("1er décembre 2026"): a calendar day as the APIs give it (a date, or its text), or the day in France
    of an instant."""
    if not value:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = value.isoformat()
    if english():
        when = datetime.fromisoformat(value).date() if isinstance(value, str) and len(value) == 10 else None
        return format_date(when or _instant(value).astimezone(PARIS).date(), "d MMMM y", locale="en_GB")
    if isinstance(value, str) and len(value) == 10:
        return long_date(value)
    return long_date_in_france(_instant(value))


def money(cents: int) -> str:
    return format_currency(cents / 100, "EUR", locale="en_GB") if english() else euros(cents)


def amount(cents: int | str | None) -> str:
    """An amount in cents as events carry it (a number, or its text): "1 234,56 €"; nothing if it is neither."""
    if isinstance(cents, str) and cents.lstrip("-").isdigit():
        cents = int(cents)
    return money(cents) if isinstance(cents, int) else ""


def register(app: Flask) -> None:
    app.add_template_filter(date_time, "date_time")
    app.add_template_filter(day, "day")
    app.add_template_filter(money, "euros")
    app.add_template_filter(amount, "amount")
    app.add_template_filter(file_size, "file_size")
