"""What every server-rendered page or email of the services shares: autoescaped Jinja templates from the
module's `templates/` folder, and the headers a page behind a link with a secret in it needs."""

from __future__ import annotations

from pathlib import Path

from flask import Response
from jinja2 import Environment, FileSystemLoader, select_autoescape


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
