"""HTML and PDF of a statement: autoescaped template, wkhtmltopdf without local file access."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pdfkit
from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import Histogram

from portal_billing_statement.money import euros, whole_euros
from portal_common.french import long_date

RENDER_SECONDS = Histogram(
    "portal_statement_render_seconds", "Time to render one statement PDF", buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
)
METHODS = {
    "CARD": "carte",
    "DIRECT_DEBIT": "prélèvement",
    "CHEQUE": "chèque",
    "CASH": "espèces",
    "CESU": "CESU préfinancés",
    "TRANSFER": "virement",
    "AID": "aide versée à la structure",
}
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"], default=True),  # a child named <img src=...> prints as text
)
TEMPLATES.filters["euros"] = euros
TEMPLATES.filters["whole_euros"] = whole_euros
TEMPLATES.filters["method"] = lambda code: METHODS.get(code, code)
TEMPLATES.filters["fr"] = long_date  # 2025-03-31 -> 31 mars 2025


def html(statement: dict[str, Any]) -> str:
    return TEMPLATES.get_template("statement.html").render(**statement)


class PdfRenderer:
    def __init__(self, wkhtmltopdf: str, concurrency: int) -> None:
        self.configuration = pdfkit.configuration(wkhtmltopdf=wkhtmltopdf)
        self.slots = threading.BoundedSemaphore(concurrency)
        self.options = {
            "disable-local-file-access": None,  # no file:// reads, whatever the HTML says
            "disable-javascript": None,
            "quiet": None,
            "encoding": "UTF-8",
            "page-size": "A4",
            "margin-top": "12mm",
            "margin-bottom": "12mm",
            "margin-left": "12mm",
            "margin-right": "12mm",
        }

    def pdf(self, document: str) -> bytes:
        with self.slots:  # each render is a wkhtmltopdf process: bounded, memory stays flat under load
            started = time.perf_counter()
            result = pdfkit.from_string(document, False, configuration=self.configuration, options=self.options)
            RENDER_SECONDS.observe(time.perf_counter() - started)
            return result
