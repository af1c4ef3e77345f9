"""What identity's views, servicer, consumer and workers are handed: keys, token issuer, throttle, clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from portal_common import events
from portal_common.auth import TokenVerifier
from portal_common.service import ServiceContext, connect
from portal_identity import store
from portal_identity.config import IdentityConfig
from portal_identity.keys import KeyStore
from portal_identity.throttle import Policy, Throttle
from portal_identity.tokens import TokenIssuer

NAME = SOURCE = "identity"


@dataclass(kw_only=True)
class Context(ServiceContext):
    config: IdentityConfig
    keys: KeyStore
    tokens: TokenIssuer
    throttle: Throttle
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    reset_requests_waiting: threading.Event = field(default_factory=threading.Event)  # wakes the worker

    @classmethod
    def build(cls, config: IdentityConfig) -> Context:
        common = config.common
        keys = KeyStore(
            config.keys_dir, generate_if_empty=config.generate_keys, reload_seconds=config.key_reload_seconds
        )
        # Identity checks its own sessions in the database: its verifier needs no revocation listener.
        verifier = TokenVerifier(keys, issuer=common.token_issuer, audience=common.token_audience)  # type: ignore[arg-type]
        connected = connect(NAME, common, store.INDEXES, store.OUTBOX_COLLECTIONS, verifier=verifier)
        return cls(
            **connected.fields(),
            config=config,
            keys=keys,
            tokens=TokenIssuer(
                keys,
                issuer=common.token_issuer,
                audience=common.token_audience,
                ttl_seconds=common.access_token_ttl_seconds,
            ),
            throttle=Throttle(
                connected.outbox.db,
                login_policy=Policy(config.login_free_failures, config.login_hourly_cap),
                ip_policy=Policy(config.ip_free_failures, config.ip_hourly_cap),
                link_ip_policy=Policy(config.link_ip_free_requests, config.link_ip_hourly_cap),
            ),
        )

    def now(self) -> datetime:
        # Millisecond precision: what MongoDB stores, so values compare equal after a round trip.
        now = self.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

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
