"""Where the private test stack started by `make test` listens: the `test` layout of deploy/local/topology.py."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import grpc

from deploy.local.topology import LAYOUTS, services
from portal_common.grpc_tls import BACK_OFFICE, GrpcClient
from tests.support.tokens import AUDIENCE, ISSUER

LAYOUT = LAYOUTS["test"]
KAFKA_BOOTSTRAP = LAYOUT.kafka_bootstrap
KAFKA = LAYOUT.kafka_access()  # the stack's admin: creates topics, grants, reads anything
MONGO_URI = LAYOUT.mongo_uri
SMTP_PORT = LAYOUT.smtp_port
MAILDIR = Path(os.environ.get("TEST_MAILDIR", "/nonexistent"))
ROOT = Path(__file__).resolve().parents[2]
STACK_SCRIPT = ROOT / "deploy" / "local" / "stack.sh"


def service_environment(name: str, topic: str, *, layout_ports: bool = False, **settings: str) -> dict[str, str]:
    """Service `name` alone on the test stack: its own database and topic, tokens of the tests' issuer
    (tests.support.tokens); ports picked by the system, or the layout's for a process others call (benchmarks);
    `settings` win."""
    isolated = {
        "MONGO_DB": f"{services()[name].database}_{uuid.uuid4().hex[:10]}",
        "EVENTS_TOPIC": topic,
        "TOKEN_ISSUER": ISSUER,
        "TOKEN_AUDIENCE": AUDIENCE,
    }
    if not layout_ports:
        isolated |= {"HTTP_PORT": "0", "GRPC_PORT": "0"}
    return LAYOUT.environment(name, **(isolated | settings))


def grpc_channel(target: str, callee: str, caller: str = BACK_OFFICE) -> grpc.Channel:
    """A mutual-TLS channel to `callee` at `target`, as `caller` (a certificate of the test run's gRPC CA)."""
    return GrpcClient(target, callee, LAYOUT.grpc_identity(caller)).channel()
