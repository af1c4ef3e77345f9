"""Identity's periodic clean-up: accounts past their grace period, old history, long-dead sessions, throttle
counters whose hour is over (logins and IP addresses)."""

from __future__ import annotations

from datetime import timedelta

from portal_identity import accounts, activity, store
from portal_identity.context import Context


def run_purge(ctx: Context) -> dict[str, int]:
    purged = accounts.purge_expired(ctx)
    old_activity = activity.purge_old(ctx.db, ctx.config.activity_retention_days)
    cutoff = ctx.now() - timedelta(days=ctx.config.session_retention_days)
    old_sessions = ctx.db[store.SESSIONS].delete_many({"refresh_expires_at": {"$lt": cutoff}}).deleted_count
    stale_counters = ctx.throttle.purge_stale(ctx.now())
    return {
        "accounts_purged": purged,
        "activity_deleted": old_activity,
        "sessions_deleted": old_sessions,
        "throttle_counters_deleted": stale_counters,
    }
