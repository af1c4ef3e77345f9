"""Identity's periodic clean-up: accounts past their grace period, old history, long-dead sessions."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from portal_identity import accounts, activity, store
from portal_identity.context import Context

log = logging.getLogger(__name__)


def run_purge(ctx: Context) -> dict[str, int]:
    purged = accounts.purge_expired(ctx)
    old_activity = activity.purge_old(ctx.db, ctx.config.activity_retention_days)
    cutoff = ctx.now() - timedelta(days=ctx.config.session_retention_days)
    old_sessions = ctx.db[store.SESSIONS].delete_many({"refresh_expires_at": {"$lt": cutoff}}).deleted_count
    return {"accounts_purged": purged, "activity_deleted": old_activity, "sessions_deleted": old_sessions}


def housekeeping(ctx: Context, stop: threading.Event) -> None:
    """The worker: `run_purge` every `HOUSEKEEPING_INTERVAL_SECONDS`."""
    while not stop.wait(ctx.config.housekeeping_interval_seconds):
        try:
            run_purge(ctx)
        except Exception as exc:  # noqa: BLE001 - retried at the next interval
            log.warning("housekeeping failed: %r", exc)
