"""Wiring: the Flask app, the gRPC server and the background workers of billing-statement."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from pymongo.database import Database

from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_billing_statement import ledger
from portal_billing_statement.api import api
from portal_billing_statement.config import BillingConfig
from portal_billing_statement.grpc_api import BillingServicer
from portal_billing_statement.ledger import Ledger
from portal_billing_statement.render import PdfRenderer
from portal_billing_statement.service import PDFS, REQUESTS, STATEMENTS, StatementService
from portal_common import mongo
from portal_common.accounts import AccountsProjection
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

SERVICE = "billing-statement"
INDEXES: list[mongo.IndexSpec] = [
    (ledger.INVOICES, [("account_id", 1), ("issue_date", -1)], {"name": "by_family"}),
    (ledger.PAYMENTS, [("invoice", 1)], {"name": "by_invoice"}),
    (STATEMENTS, [("account_id", 1), ("created_at", -1)], {"name": "by_family"}),
    (PDFS, [("account_id", 1)], {"name": "by_family"}),
    (REQUESTS, [("account_id", 1)], {"name": "by_family"}),
]


@dataclass
class Billing:
    config: BillingConfig
    db: Database
    auth: Authentication
    relay: OutboxRelay
    ledger: Ledger
    statements: StatementService

    @classmethod
    def build(cls, config: BillingConfig) -> Billing:
        common = config.common
        db = mongo.connect(common.mongo_uri, common.mongo_db, app_name=SERVICE)
        mongo.ensure_indexes(db, INDEXES)
        relay = OutboxRelay(
            db,
            [ledger.INVOICES, ledger.PAYMENTS, ledger.ACTIONS, STATEMENTS],
            lambda: create_producer(common.kafka_bootstrap, f"{SERVICE}-outbox"),
            topic=common.events_topic,
            service=SERVICE,
        )
        renderer = PdfRenderer(config.wkhtmltopdf, config.render_concurrency)
        return cls(
            config,
            db,
            authentication(common),
            relay,
            Ledger(db, relay.wake),
            StatementService(
                db, renderer, config.structure_name, relay.wake, cache_bytes=config.statement_cache_mib * 1024 * 1024
            ),
        )


def create_app(billing: Billing) -> Flask:
    common = billing.config.common
    app = service_app(common, name=SERVICE, readiness=readiness(billing.db, common), verifier=billing.auth.verifier)
    app.extensions["billing.statements"] = billing.statements
    app.register_blueprint(api)
    return app


def create_billing_grpc_server(billing: Billing) -> GrpcServer:
    def register(server: object) -> list[str]:
        billing_pb2_grpc.add_BillingServiceServicer_to_server(
            BillingServicer(billing.ledger, billing.statements), server
        )
        return [billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name]

    common = billing.config.common
    return service_grpc_server(common, name=SERVICE, register=register, readiness=readiness(billing.db, common))


def create_runtime(billing: Billing) -> ServiceRuntime:
    common = billing.config.common
    consumer = event_consumer(
        common,
        service=SERVICE,
        group=f"{SERVICE}-accounts",
        handler=AccountsProjection(billing.db, on_purged=billing.statements.purge),
        db=billing.db,
    )
    return service_runtime(
        common,
        name=SERVICE,
        app=create_app(billing),
        grpc=create_billing_grpc_server(billing),
        workers={
            "outbox-relay": billing.relay.run,
            "accounts-projection": consumer.run,
            "revocations": billing.auth.listener.run,
        },
    )
