"""document-store, declared: its routes, its gRPC servicer and what it consumes."""

from __future__ import annotations

from portal.documents.v1 import documents_pb2, documents_pb2_grpc
from portal_common.service import Consumer, GrpcApi, Service
from portal_document_store import api, events_in
from portal_document_store.config import DocumentsConfig
from portal_document_store.context import NAME, Context
from portal_document_store.grpc_api import CALLERS, DocumentServicer

MULTIPART_OVERHEAD = 64 * 1024

SERVICE = Service[Context](
    name=NAME,
    load_config=DocumentsConfig.from_env,
    build=Context.build,
    blueprints=[api.family_api, api.admin_api],
    configure_app=api.configure_app,
    # The file's own limit is enforced exactly while streaming; this bounds the whole body.
    max_request_bytes=lambda ctx: ctx.config.max_upload_bytes + MULTIPART_OVERHEAD,
    grpc=GrpcApi.of(documents_pb2_grpc, documents_pb2, "DocumentService", DocumentServicer, CALLERS),
    consumers=[Consumer("accounts", events_in.accounts)],
)
