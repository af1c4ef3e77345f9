"""A gRPC stand-in for billing's `GetStructure`, for the notification tests that run without billing (the
end-to-end tests use the real one), over a real mutual-TLS channel that admits notification, as billing does.
`names` is what the invoicing system has recorded; `down` makes every call fail as an unreachable billing would."""

from __future__ import annotations

from concurrent import futures
from typing import Any

import grpc

from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_common.grpc_tls import CallerAuthorization
from tests.support.env import LAYOUT


class BillingStructuresStandIn(billing_pb2_grpc.BillingServiceServicer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.down = False
        self.calls = 0
        only_notification = CallerAuthorization(
            "billing-statement", {"GetStructure": frozenset({"notification"})}, tls=True
        )
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[only_notification])
        billing_pb2_grpc.add_BillingServiceServicer_to_server(self, self.server)
        credentials = LAYOUT.grpc_identity("billing-statement").server_credentials()
        self.port = self.server.add_secure_port("127.0.0.1:0", credentials)
        self.server.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def GetStructure(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.calls += 1
        if self.down:
            context.abort(grpc.StatusCode.UNAVAILABLE, "billing est arrêté")
        if request.structure_id not in self.names:
            context.abort(grpc.StatusCode.NOT_FOUND, "Cette structure n'a pas encore de fiche.")
        return billing_pb2.Structure(structure_id=request.structure_id, name=self.names[request.structure_id])

    def close(self) -> None:
        self.server.stop(0).wait()
