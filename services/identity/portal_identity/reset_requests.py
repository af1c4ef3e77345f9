"""Password-reset requests, answered before anything is looked up.

The answer must not tell whether a login exists, in status, body or time: the view stores the request
(one insert, whatever the login) and answers 202; this worker then looks the account up, applies the
per-account interval and writes the event. Each request is claimed by deleting it, so two replicas never
handle one twice; a crash between the claim and the event loses that request (the parent asks again).
"""

from __future__ import annotations

import logging
import threading
import uuid

from portal_identity import accounts, store
from portal_identity.context import Context

log = logging.getLogger(__name__)
REQUESTS = "reset_requests"


def submit(ctx: Context, login: str) -> None:
    ctx.db[REQUESTS].insert_one({"_id": uuid.uuid4().hex, "login": store.normalize_login(login), "at": ctx.now()})
    ctx.reset_requests_waiting.set()


def handle_waiting(ctx: Context, limit: int = 100) -> int:
    """Handle the requests waiting, oldest first; how many this process claimed."""
    handled = 0
    for request in ctx.db[REQUESTS].find().sort("at", 1).limit(limit):
        if ctx.db[REQUESTS].delete_one({"_id": request["_id"]}).deleted_count != 1:
            continue  # another replica claimed it
        accounts.request_reset(ctx, request["login"])
        handled += 1
    return handled


def worker(ctx: Context, stop: threading.Event, poll_s: float = 1.0) -> None:
    """Woken by this process's requests; polls for the other replicas' (and a previous run's) too."""
    while not stop.is_set():
        ctx.reset_requests_waiting.wait(poll_s)
        ctx.reset_requests_waiting.clear()
        try:
            while handle_waiting(ctx):
                pass
        except Exception as exc:  # noqa: BLE001 - database away: the requests wait for the next round
            log.warning("reset requests not handled: %r", exc)
