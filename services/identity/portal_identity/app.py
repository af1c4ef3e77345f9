"""Wiring: the Flask app, the gRPC server and the background workers of identity."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from pymongo.database import Database

from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal_common import mongo
from portal_common.auth import TokenVerifier
from portal_common.grpc_server import GrpcServer
from portal_common.http import ReadinessChecks
from portal_common.kafka_client import create_producer
from portal_common.mongo import DocumentLocks
from portal_common.outbox import OutboxRelay
from portal_common.runtime import ServiceRuntime
from portal_common.service import event_consumer, service_app, service_grpc_server, service_runtime
from portal_common.service import readiness as service_readiness
from portal_identity import accounts, activity, api, store
from portal_identity.config import IdentityConfig
from portal_identity.context import Context
from portal_identity.grpc_api import IdentityServicer
from portal_identity.keys import KeyStore
from portal_identity.throttle import Policy, Throttle
from portal_identity.tokens import TokenIssuer

log = logging.getLogger(__name__)
ACTIVITY_GROUP = "identity-activity"


@dataclass
class Identity:
    """Everything identity runs on, built once per process."""

    config: IdentityConfig
    db: Database
    keys: KeyStore
    ctx: Context
    verifier: TokenVerifier
    relay: OutboxRelay
    readiness: ReadinessChecks

    @classmethod
    def build(cls, config: IdentityConfig) -> Identity:
        common = config.common
        db = mongo.connect(common.mongo_uri, common.mongo_db, app_name="identity")
        store.migrate(db)
        keys = KeyStore(
            config.keys_dir, generate_if_empty=config.generate_keys, reload_seconds=config.key_reload_seconds
        )
        issuer = TokenIssuer(
            keys,
            issuer=common.token_issuer,
            audience=common.token_audience,
            ttl_seconds=common.access_token_ttl_seconds,
        )
        relay = OutboxRelay(
            db,
            store.OUTBOX_COLLECTIONS,
            lambda: create_producer(common.kafka_bootstrap, "identity-outbox"),
            topic=common.events_topic,
            service="identity",
        )
        throttle = Throttle(
            db,
            login_policy=Policy(config.login_free_failures, config.login_hourly_cap),
            ip_policy=Policy(config.ip_free_failures, config.ip_hourly_cap),
        )
        ctx = Context(
            db=db, config=config, tokens=issuer, throttle=throttle, locks=DocumentLocks(db), wake_relay=relay.wake
        )
        # Identity checks its own sessions in the database, so no revocation cache is needed here.
        verifier = TokenVerifier(keys, issuer=common.token_issuer, audience=common.token_audience)  # type: ignore[arg-type]
        readiness = service_readiness(db, common)
        return cls(config, db, keys, ctx, verifier, relay, readiness)


def create_app(identity: Identity) -> Flask:
    app = service_app(
        identity.config.common,
        name="identity",
        readiness=identity.readiness,
        verifier=identity.verifier,
        max_request_bytes=min(identity.config.common.max_request_bytes, 64 * 1024),
    )
    app.extensions["identity.context"] = identity.ctx
    app.extensions["identity.keys"] = identity.keys
    for blueprint in (api.auth_api, api.account_api, api.admin_api, api.well_known):
        app.register_blueprint(blueprint)
    return app


def create_identity_grpc_server(identity: Identity) -> GrpcServer:
    def register(server: object) -> list[str]:
        identity_pb2_grpc.add_IdentityServiceServicer_to_server(
            IdentityServicer(identity.ctx, identity.verifier), server
        )
        return [identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name]

    return service_grpc_server(identity.config.common, name="identity", register=register, readiness=identity.readiness)


def housekeeping(identity: Identity, stop: threading.Event) -> None:
    """Purge accounts past their grace period, old history, and long-dead sessions."""
    interval = identity.config.housekeeping_interval_seconds
    while not stop.wait(interval):
        try:
            run_purge(identity)
        except Exception as exc:  # noqa: BLE001 - retried at the next interval
            log.warning("housekeeping failed: %r", exc)


def run_purge(identity: Identity) -> dict[str, int]:
    ctx = identity.ctx
    purged = accounts.purge_expired(ctx)
    old_activity = activity.purge_old(identity.db, identity.config.activity_retention_days)
    cutoff = ctx.now() - timedelta(days=identity.config.session_retention_days)
    old_sessions = identity.db[store.SESSIONS].delete_many({"refresh_expires_at": {"$lt": cutoff}}).deleted_count
    return {"accounts_purged": purged, "activity_deleted": old_activity, "sessions_deleted": old_sessions}


def create_runtime(identity: Identity) -> ServiceRuntime:
    common = identity.config.common
    # History entries are inserted under the event id, a poll's worth at a time: a redelivery is a no-op.
    recorder = activity.ActivityRecorder(identity.db)
    consumer = event_consumer(
        common,
        service="identity",
        group=ACTIVITY_GROUP,
        handler=recorder,
        batch_handler=recorder.record_batch,
        db=identity.db,
        dedupe=False,
        # A history entry may appear half a second later: fetches then carry several events,
        # and the consumer does far fewer round trips and commits per event under load.
        consumer_overrides={"fetch_min_bytes": 64 * 1024, "fetch_max_wait_ms": 500},
    )
    return service_runtime(
        common,
        name="identity",
        app=create_app(identity),
        grpc=create_identity_grpc_server(identity),
        workers={
            "outbox-relay": identity.relay.run,
            "activity-consumer": consumer.run,
            "housekeeping": lambda stop: housekeeping(identity, stop),
        },
    )
