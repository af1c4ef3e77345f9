"""A gRPC stand-in for identity's `IssueLink`, for the notification tests that run without identity
(the end-to-end tests use the real one): it mints a fresh token per call and says NOT_FOUND for the
event ids marked gone, over a real mutual-TLS channel that admits notification only, as identity does."""

from __future__ import annotations

import threading
import uuid
from concurrent import futures
from typing import Any

import grpc

from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal_common.grpc_tls import CallerAuthorization
from tests.support.env import LAYOUT


class IdentityLinksStandIn(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self) -> None:
        self.issued: dict[str, list[str]] = {}  # event id -> tokens, in order
        self.gone: set[str] = set()
        self.lock = threading.Lock()
        only_notification = CallerAuthorization("identity", {"IssueLink": frozenset({"notification"})}, tls=True)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[only_notification])
        identity_pb2_grpc.add_IdentityServiceServicer_to_server(self, self.server)
        credentials = LAYOUT.grpc_identity("identity").server_credentials()
        self.port = self.server.add_secure_port("127.0.0.1:0", credentials)
        self.server.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def IssueLink(self, request: Any, context: grpc.ServicerContext) -> Any:
        if request.event_id in self.gone:
            context.abort(grpc.StatusCode.NOT_FOUND, "Ce lien n'est plus valable.")
        token = f"link-{uuid.uuid4().hex}"
        with self.lock:
            self.issued.setdefault(request.event_id, []).append(token)
        return identity_pb2.IssueLinkResponse(purpose="activation", token=token)

    def close(self) -> None:
        self.server.stop(0).wait()
