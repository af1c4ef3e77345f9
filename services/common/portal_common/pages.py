"""What every server-rendered page or email of the services shares: autoescaped Jinja templates from the
module's `templates/` folder, the headers a page behind a link with a secret in it needs, and the reader's
language (French first, English available)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, request
from jinja2 import Environment, FileSystemLoader, select_autoescape

LANGUAGES = ("fr", "en")
# Set by the web's language switch; the portal is one origin behind the gateway, so every page of it reads it.
LANGUAGE_COOKIE = "langue"
_UNITS = {  # (seconds, French singular, French plural, English singular, English plural)
    "day": (86400, "jour", "jours", "day", "days"),
    "hour": (3600, "heure", "heures", "hour", "hours"),
    "minute": (60, "minute", "minutes", "minute", "minutes"),
}


def language() -> str:
    """The reader's language: the one chosen on the portal (the cookie), else the browser's preference, else French."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"


def duration(seconds: int, lang: str = "fr") -> str:
    """How long a link lasts, as a person says it: "7 jours", "24 heures", "1 hour" (the largest whole unit)."""
    for size, *names in _UNITS.values():
        if (seconds >= size and seconds % size == 0) or size == 60:
            count = max(1, round(seconds / size))
            one, many = names[:2] if lang == "fr" else names[2:]
            return f"{count} {one if count == 1 else many}"
    raise AssertionError("unreachable")  # pragma: no cover - minutes always match


def templates(module_file: str) -> Environment:
    """The templates next to `module_file` (its package's `templates/`), every value escaped: a name written
    `<img src=...>` prints as text."""
    folder = Path(module_file).parent / "templates"
    return Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(default=True))


def page(html: str, status: int = 200) -> Response:
    """A page for a browser: not cached, no Referer (its address may hold a link's secret), nothing but its own
    styles and a form posting to its own origin."""
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    )
    return response
