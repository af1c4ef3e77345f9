"""What the identity flows share: database, keys, token issuer, throttle and the outbox relay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from portal_common import events, outbox
from portal_common.mongo import DocumentLocks, update_locked
from portal_identity.config import IdentityConfig
from portal_identity.throttle import Throttle
from portal_identity.tokens import TokenIssuer

SOURCE = "identity"


@dataclass
class Context:
    db: Database
    config: IdentityConfig
    tokens: TokenIssuer
    throttle: Throttle
    locks: DocumentLocks
    wake_relay: Callable[..., None] = field(default=lambda *hint: None)  # (collection, _id) hint optional
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        # Millisecond precision: what MongoDB stores, so values compare equal after a round trip.
        now = self.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def update(
        self, collection: str, document_id: str, update: dict[str, Any], **conditions: Any
    ) -> dict[str, Any] | None:
        # Every update of accounts and sessions goes through here (see DocumentLocks for why).
        return update_locked(self.db, self.locks, collection, document_id, update, conditions)

    def emit(self, event: events.AccountEvent) -> None:
        """Store an event in an outbox document of its own and tell the relay which one to read."""
        outbox.emit(self.db, event)
        self.wake_relay(outbox.STANDALONE, event.event_id)

    def event(
        self, event_type: str, account: dict[str, Any], payload: dict[str, Any] | None = None
    ) -> events.AccountEvent:
        return events.new_event(
            event_type,
            account_id=account["_id"],
            structure_id=account["structure_id"],
            source=SOURCE,
            payload=payload,
            occurred_at=self.now(),
        )


def account_view(account: dict[str, Any], last_login_at: datetime | None = None) -> dict[str, Any]:
    """What a family (or its structure's agent) sees of an account. No secrets, ever."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "account_id": account["_id"],
        "login": account["login"],
        "login_modifiable": False,
        "contact_email": account.get("contact_email"),
        "display_name": account.get("display_name"),
        "role": account["role"],
        "structure_id": account["structure_id"],
        "status": account["status"],
        "created_at": iso(account["created_at"]),
        "last_login_at": iso(last_login_at),
        "restorable_until": iso(account.get("restorable_until")) if account["status"] == "deleted" else None,
    }
