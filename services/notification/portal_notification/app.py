"""Wiring: the Flask app, the gRPC server and the background workers of the notification service."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from pymongo.database import Database

from portal.notification.v1 import notification_pb2, notification_pb2_grpc
from portal_common import mongo
from portal_common.grpc_server import GrpcServer
from portal_common.kafka_client import create_producer
from portal_common.outbox import OutboxRelay
from portal_common.runtime import ServiceRuntime
from portal_common.service import (
    Authentication,
    authentication,
    event_consumer,
    readiness,
    service_app,
    service_grpc_server,
    service_runtime,
)
from portal_notification import delivery, devices, feed
from portal_notification.api import api
from portal_notification.channels import AppriseSender
from portal_notification.config import NotificationConfig
from portal_notification.delivery import Dispatcher
from portal_notification.grpc_api import NotificationServicer
from portal_notification.handler import NotificationHandler
from portal_notification.preferences import PREFERENCES, Preferences

SERVICE = "notification"
INDEXES: list[mongo.IndexSpec] = [
    (feed.FEED, [("account_id", 1), ("created_at", -1)], {"name": "feed"}),
    (devices.DEVICES, [("account_id", 1)], {"name": "by_account"}),
    (delivery.PENDING, [("next_at", 1)], {"name": "due"}),
    (delivery.DELIVERIES, [("account_id", 1)], {"name": "by_account"}),
    (delivery.LOG, [("account_id", 1)], {"name": "by_account"}),
    (delivery.ATTEMPTS, [("account_id", 1)], {"name": "by_account"}),
    (delivery.FINISHED, [("account_id", 1)], {"name": "by_account"}),
]


@dataclass
class Notification:
    config: NotificationConfig
    db: Database
    auth: Authentication
    relay: OutboxRelay
    preferences: Preferences
    dispatcher: Dispatcher

    @classmethod
    def build(cls, config: NotificationConfig) -> Notification:
        common = config.common
        db = mongo.connect(common.mongo_uri, common.mongo_db, app_name=SERVICE)
        mongo.ensure_indexes(db, INDEXES)
        relay = OutboxRelay(
            db,
            [PREFERENCES],
            lambda: create_producer(common.kafka_bootstrap, f"{SERVICE}-outbox"),
            topic=common.events_topic,
            service=SERVICE,
        )
        dispatcher = Dispatcher(
            db,
            AppriseSender(db, config),
            workers=config.delivery_workers,
            max_attempts=config.max_attempts,
            retry_base_s=config.retry_base_seconds,
            attempt_timeout_s=config.send_timeout_seconds,
            max_hold_s=config.send_hold_max_seconds,
        )
        return cls(config, db, authentication(common), relay, Preferences(db, relay.wake), dispatcher)


def create_app(service: Notification) -> Flask:
    common = service.config.common
    app = service_app(common, name=SERVICE, readiness=readiness(service.db, common), verifier=service.auth.verifier)
    app.extensions |= {
        "notification.db": service.db,
        "notification.preferences": service.preferences,
        "notification.unsubscribe_secret": service.config.unsubscribe_secret,
        "notification.push_offer": service.config.push_offer(),
    }
    app.register_blueprint(api)
    return app


def create_notification_grpc_server(service: Notification) -> GrpcServer:
    def register(server: object) -> list[str]:
        notification_pb2_grpc.add_NotificationServiceServicer_to_server(
            NotificationServicer(service.db, service.preferences), server
        )
        return [notification_pb2.DESCRIPTOR.services_by_name["NotificationService"].full_name]

    common = service.config.common
    return service_grpc_server(common, name=SERVICE, register=register, readiness=readiness(service.db, common))


def create_runtime(service: Notification) -> ServiceRuntime:
    common = service.config.common
    # Every effect is keyed by the event id (feed entry, per-channel delivery claim): a redelivery is a no-op.
    handler = NotificationHandler(service.db, service.config, service.preferences, service.dispatcher)
    consumer = event_consumer(
        common,
        service=SERVICE,
        group=f"{SERVICE}-delivery",
        handler=handler,
        batch_handler=handler.handle_batch,
        db=service.db,
        dedupe=False,
    )
    lag = service.config.send_hold_lag_seconds
    if lag > 0:
        service.dispatcher.behind = lambda: consumer.delay_s > lag
    return service_runtime(
        common,
        name=SERVICE,
        app=create_app(service),
        grpc=create_notification_grpc_server(service),
        workers={
            "outbox-relay": service.relay.run,
            "delivery-consumer": consumer.run,
            "delivery-retries": service.dispatcher.run_retries,
            "revocations": service.auth.listener.run,
        },
    )
