"""notification, declared: its routes, its gRPC servicer, what it consumes and its retry worker."""

from __future__ import annotations

from portal.notification.v1 import notification_pb2, notification_pb2_grpc
from portal_common.consumer import EventConsumer
from portal_common.service import Consumer, GrpcApi, Service
from portal_notification import api, events_in
from portal_notification.config import NotificationConfig
from portal_notification.context import NAME, Context
from portal_notification.grpc_api import NotificationServicer


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
    grpc=GrpcApi.of(notification_pb2_grpc, notification_pb2, "NotificationService", NotificationServicer),
    consumers=[Consumer("delivery", events_in.delivery_handler, dedupe=False, started=hold_sends_while_behind)],
    workers=lambda ctx: {"delivery-retries": ctx.dispatcher.run_retries},
)
