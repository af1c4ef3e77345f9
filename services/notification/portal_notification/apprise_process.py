"""apprise calls in worker processes, apart from the service's own threads.

apprise builds a new TLS context and SMTP connection for every email, during which the calling
thread holds the GIL. In threads of the service process that starved the Kafka consumer (events/s
fell 18-fold while mail was sent); in worker processes it only costs the CPU it needs.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import ssl
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import apprise

APPRISE_LOG = logging.getLogger("apprise")
APPRISE_LOG.setLevel(logging.WARNING)  # its debug output can contain target URLs


@dataclass(frozen=True)
class WebPushJob:
    """Browser subscriptions to reach through apprise's `vapid` plugin, which reads them from a file."""

    subscriptions: list[dict[str, Any]]
    key_file: str
    subscriber: str
    timeout_s: float

    def url(self, subscription: dict[str, Any], path: str) -> str:
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            json.dump({"browser": subscription}, out)
        # ttl: how long a push service keeps a message for an offline browser (apprise allows 60 s at most).
        query = {"keyfile": self.key_file, "subfile": path, "ttl": 60, "cto": self.timeout_s, "rto": self.timeout_s}
        return f"vapid://{quote(self.subscriber, safe='@')}/browser?{urlencode(query)}"

    @staticmethod
    def expired(path: str) -> bool:
        """The push service said the subscription no longer exists (404/410): apprise pruned it."""
        with open(path) as kept:
            return "browser" not in json.load(kept)


@dataclass(frozen=True)
class FcmJob:
    """The phone apps to reach through apprise's `fcm` plugin: registration token -> apprise URL."""

    urls: dict[str, str]


Outcome = tuple[bool, str, list[str]]  # (sent, error, Web Push endpoints and FCM tokens gone for good)


def send(urls: list[str], title: str, body: str) -> str:
    """One Apprise object for these targets; the error, or "" when every target took the message."""
    # Memory only: apprise would otherwise keep state (and generate keys) in a directory of its own.
    notifier = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory", pem_autogen=False))
    for url in urls:
        if not notifier.add(url):
            return "apprise refused a target"
    try:
        return "" if notifier.notify(title=title, body=body) else "apprise reported a failure"
    except Exception as exc:  # noqa: BLE001 - a plugin failure is a failed attempt, reported to the parent
        return repr(exc)[:500]


# FCM answers 404 (UNREGISTERED) for a token whose app was uninstalled or reset; not to be confused
# with a failure to get the OAuth token ("Failed to update FCM Access Token error=...").
FCM_UNREGISTERED = re.compile(r"^Failed to send .*FCM notification.*error=404")


@contextmanager
def apprise_warnings() -> Iterator[list[str]]:
    """What apprise warns while sending: the only place its plugins tell an HTTP status."""
    messages: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    APPRISE_LOG.addHandler(handler)
    try:
        yield messages
    finally:
        APPRISE_LOG.removeHandler(handler)


def notify(
    urls: list[str], title: str, body: str, web_push: WebPushJob | None = None, fcm: FcmJob | None = None
) -> Outcome:
    """Runs in a worker process. Each browser and phone apart: one that is gone is no failure."""
    errors = [error] if urls and (error := send(urls, title, body)) else []
    gone: list[str] = []
    for token, url in (fcm.urls if fcm else {}).items():
        with apprise_warnings() as warnings:
            error = send([url], title, body)
        if error and any(FCM_UNREGISTERED.search(w) for w in warnings):
            gone.append(token)
        elif error:
            errors.append(error)
    if web_push is not None:
        with tempfile.TemporaryDirectory(prefix="webpush-") as directory:
            for number, subscription in enumerate(web_push.subscriptions):
                path = os.path.join(directory, f"browser{number}.json")
                error = send([web_push.url(subscription, path)], title, body)
                if error and web_push.expired(path):
                    gone.append(subscription["endpoint"])
                elif error:
                    errors.append(error)
    return not errors, "; ".join(errors), gone


HASHED_CERTIFICATE = re.compile(r"[0-9a-f]{8}\.[0-9]+")


def use_ca_directory() -> None:
    """Worker start: OpenSSL looks CA certificates up in its hashed directory, one by one as needed.

    The context apprise creates for every email otherwise parses the whole CA bundle file first:
    22 ms of CPU per email here, against 0.4 ms with the directory alone. Verification is the same
    (same certificates, same checks). Nothing changes when a bundle was chosen (SSL_CERT_FILE) or
    when the directory holds no hashed certificates.
    """
    if "SSL_CERT_FILE" in os.environ:
        return
    directory = ssl.get_default_verify_paths().capath
    if directory and os.path.isdir(directory) and any(HASHED_CERTIFICATE.fullmatch(n) for n in os.listdir(directory)):
        # A file that does not exist: OpenSSL skips the bundle and keeps the directory lookup.
        os.environ["SSL_CERT_FILE"] = os.path.join(directory, "no-bundle-use-directory")


def create_pool(processes: int) -> ProcessPoolExecutor:
    # spawn, not fork: the service has Kafka, MongoDB and gRPC threads a fork would copy mid-flight.
    return ProcessPoolExecutor(
        max_workers=processes, mp_context=multiprocessing.get_context("spawn"), initializer=use_ca_directory
    )
