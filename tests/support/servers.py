"""Run a Flask app (and optional gRPC server) through the real runtime on ephemeral loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from portal_common.grpc_server import GrpcServer
from portal_common.runtime import ServiceRuntime, Worker


@contextmanager
def running(
    app: Any, grpc: GrpcServer | None = None, workers: dict[str, Worker] | None = None
) -> Iterator[ServiceRuntime]:
    runtime = ServiceRuntime(
        name=app.name, wsgi_app=app, grpc=grpc, http_host="127.0.0.1", http_port=0, workers=workers or {}, grace_s=5
    )
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


def base_url(runtime: ServiceRuntime) -> str:
    return f"http://127.0.0.1:{runtime.http_port}"
