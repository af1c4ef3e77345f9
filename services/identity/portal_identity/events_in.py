"""What identity consumes from `account-events`: every event becomes a line of the family's history."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from portal_common import events
from portal_common.mongo import insert_new
from portal_identity import activity
from portal_identity.context import Context
from portal_identity.store import ACTIVITY


class ActivityRecorder:
    """Consumer handler: one history entry per event, keyed by event id (idempotent)."""

    def __init__(self, db: Database) -> None:
        self.collection = db[ACTIVITY]

    def __call__(self, event: events.AccountEvent) -> None:
        self.handle_batch([event])

    def handle_batch(self, batch: list[events.AccountEvent]) -> None:
        """A poll's events in one insert; a purge first writes what came before it, then erases."""
        entries: list[dict[str, Any]] = []
        for event in batch:
            if event.type == "account.purged":
                insert_new(self.collection, entries)  # a redelivered event is already in the history
                entries = []
                self.collection.delete_many({"account_id": event.account_id})
            elif event.type in activity.LABELS:
                entries.append(activity.entry(event))
        insert_new(self.collection, entries)


def activity_recorder(ctx: Context) -> ActivityRecorder:
    return ActivityRecorder(ctx.db)
