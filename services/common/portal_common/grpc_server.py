"""gRPC server bootstrap: metrics interceptor, health service reflecting real readiness, reflection when asked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection as grpc_reflection

from portal_common.grpc_tls import CallerAuthorization, GrpcTls
from portal_common.http import ReadinessChecks, run_checks
from portal_common.metrics import MetricsInterceptor
from portal_common.problems import Problem

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


@dataclass
class GrpcServer:
    server: grpc.Server
    health: health.HealthServicer
    port: int
    service_names: list[str]
    readiness: ReadinessChecks
    _stop: threading.Event = field(default_factory=threading.Event)

    def refresh_health(self) -> bool:
        ready = all(run_checks(self.readiness).values())
        status = health_pb2.HealthCheckResponse.SERVING if ready else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", *self.service_names]:
            self.health.set(name, status)
        return ready

    def start(self, health_interval_s: float = 5.0) -> None:
        self.refresh_health()
        self.server.start()
        threading.Thread(target=self._watch_health, args=(health_interval_s,), name="grpc-health", daemon=True).start()

    def _watch_health(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            self.refresh_health()

    def stop(self, grace_s: float) -> None:
        """Refuse new calls, let running ones finish within `grace_s`."""
        self._stop.set()
        self.health.enter_graceful_shutdown()
        self.server.stop(grace_s).wait()


def create_grpc_server(
    service: str,
    *,
    port: int,
    register: Callable[[grpc.Server], list[str]],
    readiness: ReadinessChecks,
    host: str = "127.0.0.1",
    max_workers: int = 16,
    reflection: bool = False,
    tls: GrpcTls | None,
    callers: Mapping[str, frozenset[str]],
) -> GrpcServer:
    """Build (not start) a server; `register` adds servicers and returns their full service names. With `tls`,
    callers show a certificate of the platform's CA and each method answers only those `callers` names."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{service}-grpc"),
        # Metrics first: a refused call is counted, with its PERMISSION_DENIED.
        interceptors=[MetricsInterceptor(service), CallerAuthorization(service, callers, tls=tls is not None)],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = register(server)
    if reflection:  # the map of every method, for grpcurl while debugging; off in production
        grpc_reflection.enable_server_reflection([*names, health.SERVICE_NAME, grpc_reflection.SERVICE_NAME], server)
    address = f"{host}:{port}"
    bound = server.add_secure_port(address, tls.server_credentials()) if tls else server.add_insecure_port(address)
    if bound == 0:
        raise RuntimeError(f"could not bind gRPC port {host}:{port}")
    return GrpcServer(server=server, health=health_servicer, port=bound, service_names=names, readiness=readiness)


# ---------------------------------------------------------------------------------------------- errors

_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.FAILED_PRECONDITION,
    410: grpc.StatusCode.FAILED_PRECONDITION,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    415: grpc.StatusCode.INVALID_ARGUMENT,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    503: grpc.StatusCode.UNAVAILABLE,
}


def problem_status(problem: Problem) -> grpc.StatusCode:
    return _CODES.get(problem.status, grpc.StatusCode.INTERNAL)


def translate_problems(method: Callable[..., Any]) -> Callable[..., Any]:
    """Servicer-method decorator: a domain Problem becomes the matching gRPC status, same French text."""

    @wraps(method)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except Problem as problem:
            context.abort(problem_status(problem), f"{problem.title} : {problem.detail}")

    return wrapper
