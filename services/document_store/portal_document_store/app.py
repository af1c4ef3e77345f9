"""Wiring: the Flask app, the gRPC server and the background workers of the document store."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from pymongo.database import Database

from portal.documents.v1 import documents_pb2, documents_pb2_grpc
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
from portal_document_store import api, store
from portal_document_store.config import DocumentsConfig
from portal_document_store.files import UploadStream
from portal_document_store.grpc_api import DocumentServicer
from portal_document_store.projection import projection

SERVICE = "document-store"
MULTIPART_OVERHEAD = 64 * 1024


@dataclass
class DocumentStore:
    config: DocumentsConfig
    db: Database
    auth: Authentication
    relay: OutboxRelay

    @classmethod
    def build(cls, config: DocumentsConfig) -> DocumentStore:
        common = config.common
        db = mongo.connect(common.mongo_uri, common.mongo_db, app_name=SERVICE)
        store.migrate(db)
        relay = OutboxRelay(
            db,
            [store.DOCUMENTS],
            lambda: create_producer(common.kafka_bootstrap, f"{SERVICE}-outbox"),
            topic=common.events_topic,
            service=SERVICE,
        )
        return cls(config, db, authentication(common), relay)

    def new_upload(self) -> UploadStream:
        return UploadStream(self.db, max_bytes=self.config.max_upload_bytes, allowed_types=self.config.allowed_types)


def create_app(service: DocumentStore) -> Flask:
    app = service_app(
        service.config.common,
        name=SERVICE,
        readiness=readiness(service.db, service.config.common),
        verifier=service.auth.verifier,
        # The file's own limit is enforced exactly while streaming; this bounds the whole body.
        max_request_bytes=service.config.max_upload_bytes + MULTIPART_OVERHEAD,
    )
    app.extensions["documents.db"] = service.db
    app.extensions["documents.wake_relay"] = service.relay.wake
    api.install(app, service.new_upload)
    return app


def create_documents_grpc_server(service: DocumentStore) -> GrpcServer:
    def register(server: object) -> list[str]:
        documents_pb2_grpc.add_DocumentServiceServicer_to_server(
            DocumentServicer(service.db, service.new_upload, service.relay.wake), server
        )
        return [documents_pb2.DESCRIPTOR.services_by_name["DocumentService"].full_name]

    common = service.config.common
    return service_grpc_server(common, name=SERVICE, register=register, readiness=readiness(service.db, common))


def create_runtime(service: DocumentStore) -> ServiceRuntime:
    common = service.config.common
    consumer = event_consumer(
        common,
        service=SERVICE,
        group=f"{SERVICE}-accounts",
        handler=projection(service.db, delete_family_uploads=service.config.delete_family_uploads_on_purge),
        db=service.db,
    )
    return service_runtime(
        common,
        name=SERVICE,
        app=create_app(service),
        grpc=create_documents_grpc_server(service),
        workers={
            "outbox-relay": service.relay.run,
            "accounts-projection": consumer.run,
            "revocations": service.auth.listener.run,
        },
    )
