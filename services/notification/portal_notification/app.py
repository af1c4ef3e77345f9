"""notification, declared: its routes, its gRPC servicer, what it consumes, its retry and housekeeping
workers and its operator command."""

from __future__ import annotations

from portal.notification.v1 import notification_pb2, notification_pb2_grpc
from portal_common.consumer import EventConsumer
from portal_common.runtime import periodic
from portal_common.service import Command, Consumer, GrpcApi, Service
from portal_notification import api, events_in
from portal_notification.config import NotificationConfig
from portal_notification.context import NAME, Context
from portal_notification.grpc_api import CALLERS, NotificationServicer
from portal_notification.housekeeping import purge, run_expiry


def hold_sends_while_behind(ctx: Context, consumer: EventConsumer) -> None:
    """Sends wait while the consumer lags (the feed then catches up first), up to the configured lag."""
    lag = ctx.config.send_hold_lag_seconds
    if lag > 0:
        ctx.dispatcher.behind = lambda: consumer.delay_s > lag


SERVICE = Service[Context](
    name=NAME,
    load_config=NotificationConfig.from_env,
    build=Context.build,
    blueprints=[api.api],
    grpc=GrpcApi.of(notification_pb2_grpc, notification_pb2, "NotificationService", NotificationServicer, CALLERS),
    consumers=[Consumer("delivery", events_in.delivery_handler, dedupe=False, started=hold_sends_while_behind)],
    workers=lambda ctx: {
        "delivery-retries": ctx.dispatcher.run_retries,
        "housekeeping": periodic(lambda: run_expiry(ctx), ctx.config.housekeeping_interval_seconds),
    },
    commands=[
        Command[Context](
            "purge",
            "delete delivery records and feed entries past their retention, then exit",
            purge,
        )
    ],
)
