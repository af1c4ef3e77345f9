"""Notification's periodic clean-up: delivery records and feed entries past their retention (also
`portal-notification purge`, for ops)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

from portal_notification import deliveries, feed
from portal_notification.context import Context


def run_expiry(ctx: Context) -> dict[str, int]:
    now = datetime.now(UTC)
    return {
        "delivery_records_deleted": deliveries.expire(ctx.db, now - timedelta(days=ctx.config.delivery_retention_days)),
        "feed_entries_deleted": feed.expire(ctx.db, now - timedelta(days=ctx.config.feed_retention_days)),
    }


def purge(ctx: Context, args: argparse.Namespace) -> int:
    print(json.dumps(run_expiry(ctx)))
    return 0
