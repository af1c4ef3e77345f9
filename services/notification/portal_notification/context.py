"""What the notification service's views, servicer, consumer and workers are handed."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.service import ServiceContext, connect
from portal_notification import store
from portal_notification.channels import AppriseSender
from portal_notification.config import NotificationConfig
from portal_notification.delivery import Dispatcher
from portal_notification.devices import Offer
from portal_notification.links import IdentityLinks
from portal_notification.preferences import Preferences
from portal_notification.structures import StructureNames

NAME = "notification"


@dataclass(kw_only=True)
class Context(ServiceContext):
    config: NotificationConfig
    preferences: Preferences
    dispatcher: Dispatcher
    push_offer: Offer

    @classmethod
    def build(cls, config: NotificationConfig) -> Context:
        connected = connect(NAME, config.common, store.INDEXES, store.OUTBOX_COLLECTIONS)
        outbox = connected.outbox
        links = IdentityLinks(
            config.identity_grpc_target, config.public_url, config.send_timeout_seconds, config.common.grpc_tls
        )
        structures = StructureNames(
            config.billing_grpc_target,
            config.common.grpc_tls,
            timeout_s=min(config.send_timeout_seconds, 1.0),  # an email never waits long for its heading
            cache_s=config.structure_cache_seconds,
        )
        dispatcher = Dispatcher(
            outbox.db,
            AppriseSender(outbox.db, config, links, structures),
            workers=config.delivery_workers,
            max_attempts=config.max_attempts,
            retry_base_s=config.retry_base_seconds,
            attempt_timeout_s=config.send_timeout_seconds,
            max_hold_s=config.send_hold_max_seconds,
        )
        return cls(
            **connected.fields(),
            config=config,
            preferences=Preferences(outbox),
            dispatcher=dispatcher,
            push_offer=config.push_offer(),
        )
