"""apprise calls in worker processes, apart from the service's own threads.

apprise builds a new TLS context and SMTP connection for every email; with OpenSSL 3 loading the CA
bundle alone costs about 40 ms of CPU, during which the calling thread holds the GIL. In threads of
the service process that starved the Kafka consumer (events/s fell 18-fold while mail was sent); in
worker processes it only costs the CPU it needs.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import apprise

logging.getLogger("apprise").setLevel(logging.WARNING)  # its debug output can contain target URLs


def notify(urls: list[str], title: str, body: str) -> tuple[bool, str]:
    """Runs in a worker process: one Apprise object for this message's targets."""
    notifier = apprise.Apprise()
    for url in urls:
        notifier.add(url)
    try:
        sent = bool(notifier.notify(title=title, body=body))
    except Exception as exc:  # noqa: BLE001 - a plugin failure is a failed attempt, reported to the parent
        return False, repr(exc)[:500]
    return sent, "" if sent else "apprise reported a failure"


def create_pool(processes: int) -> ProcessPoolExecutor:
    # spawn, not fork: the service has Kafka, MongoDB and gRPC threads a fork would copy mid-flight.
    return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"))
