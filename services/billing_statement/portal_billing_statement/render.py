"""HTML and PDF of a statement: autoescaped template, wkhtmltopdf without local file access."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from typing import Any

import pdfkit
from prometheus_client import Counter, Histogram

from portal_billing_statement import page_numbers
from portal_common import pages
from portal_common.french import euros, long_date, whole_euros
from portal_common.problems import Problem

log = logging.getLogger(__name__)
RENDER_SECONDS = Histogram(
    "portal_statement_render_seconds", "Time to render one statement PDF", buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
)
RENDER_TIMEOUTS = Counter(
    "portal_statement_render_timeouts_total", "Statement renders killed after RENDER_TIMEOUT_SECONDS"
)
RENDERS_KILLED = Counter(
    "portal_statement_renders_killed_total", "Statement renders whose wkhtmltopdf died of a signal (out of memory)"
)
# A pod at its memory limit loses one process to the kernel: with the highest score, the renderer goes, which
# fails one statement (503, to retry) instead of the service and every request it is serving.
FIRST_TO_GO = ["choom", "-n", "1000", "--"]
RETRY_AFTER_S = 5


def unavailable(detail: str, slug: str) -> Problem:
    return Problem(
        503,
        detail,
        slug=slug,
        title="Relevé momentanément indisponible",
        headers={"Retry-After": str(RETRY_AFTER_S)},
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
TEMPLATES = pages.templates(__file__)  # autoescaped: a child named <img src=...> prints as text
TEMPLATES.filters["euros"] = euros
TEMPLATES.filters["whole_euros"] = whole_euros
TEMPLATES.filters["method"] = lambda code: METHODS.get(code, code)
TEMPLATES.filters["fr"] = long_date  # 2025-03-31 -> 31 mars 2025


def html(statement: dict[str, Any]) -> str:
    return TEMPLATES.get_template("statement.html").render(**statement)


class PdfRenderer:
    def __init__(self, wkhtmltopdf: str, concurrency: int, timeout_s: float = 30) -> None:
        self.configuration = pdfkit.configuration(wkhtmltopdf=wkhtmltopdf)
        self.slots = threading.BoundedSemaphore(concurrency)
        self.timeout_s = timeout_s
        self.options = {
            "disable-local-file-access": None,  # no file:// reads, whatever the HTML says
            "disable-javascript": None,
            "quiet": None,
            "encoding": "UTF-8",
            "page-size": "A4",
            "margin-top": "12mm",
            "margin-bottom": "14mm",  # the page number goes there (page_numbers.numbered)
            "margin-left": "12mm",
            "margin-right": "12mm",
        }

    def pdf(self, document: str) -> bytes:
        # pdfkit builds the command line; it is run here because pdfkit waits for it without a time limit.
        command = [
            *FIRST_TO_GO,
            *pdfkit.PDFKit(document, "string", options=self.options, configuration=self.configuration).command(),
        ]
        with self.slots:  # each render is a wkhtmltopdf process: bounded, memory stays flat under load
            started = time.perf_counter()
            try:
                # The command is pdfkit's, from fixed options and the configured binary; the HTML goes to stdin.
                done = subprocess.run(command, input=document.encode(), capture_output=True, timeout=self.timeout_s)  # noqa: S603
            except subprocess.TimeoutExpired:  # run() has killed it: the slot is free again
                RENDER_TIMEOUTS.inc()
                raise unavailable(
                    "La mise en page du relevé a pris trop de temps ; réessayez dans quelques instants.",
                    "render-timeout",
                ) from None
            if done.returncode < 0:  # SIGKILL from the kernel, most often: the pod reached its memory limit
                RENDERS_KILLED.inc()
                log.warning("statement renderer killed by signal %d", -done.returncode)
                raise unavailable(
                    "La mise en page du relevé a été interrompue ; réessayez dans quelques instants.",
                    "render-interrupted",
                )
            pdfkit.PDFKit.handle_error(done.returncode, done.stderr.decode(errors="replace"))
            result = page_numbers.numbered(done.stdout)
            RENDER_SECONDS.observe(time.perf_counter() - started)
            return result
