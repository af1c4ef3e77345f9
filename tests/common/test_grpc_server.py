"""gRPC bootstrap over a real channel: health follows readiness, reflection only when turned on, calls are
measured."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from portal_common.grpc_server import create_grpc_server
from portal_common.metrics import GRPC_LATENCY

STATE = {"mongo": True}


@pytest.fixture
def server():
    grpc_server = create_grpc_server(
        "sample", port=0, register=lambda s: [], readiness={"mongo": lambda: STATE["mongo"]}
    )
    grpc_server.start(health_interval_s=0.1)
    yield grpc_server
    grpc_server.stop(1)


def check(port: int) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status


def test_health_reflects_readiness(server):
    assert check(server.port) == health_pb2.HealthCheckResponse.SERVING
    STATE["mongo"] = False
    try:
        assert not server.refresh_health()
        assert check(server.port) == health_pb2.HealthCheckResponse.NOT_SERVING
    finally:
        STATE["mongo"] = True
    assert server.refresh_health()
    assert check(server.port) == health_pb2.HealthCheckResponse.SERVING


def list_services(port: int) -> list[str]:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        [answer] = list(
            stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        )
    return [s.name for s in answer.list_services_response.service]


def test_reflection_is_off_unless_turned_on(server):
    """#20 finding 3: reflection hands any caller the map of every method; a setting turns it on for debugging."""
    with pytest.raises(grpc.RpcError) as refused:
        list_services(server.port)
    assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    debug = create_grpc_server("sample", port=0, register=lambda s: [], readiness={}, reflection=True)
    debug.start()
    try:
        assert "grpc.health.v1.Health" in list_services(debug.port)
    finally:
        debug.stop(1)


def test_calls_are_measured_by_method_and_code(server):
    before = GRPC_LATENCY.labels("sample", "/grpc.health.v1.Health/Check", "OK")._sum.get()
    check(server.port)
    count = [
        s.value
        for m in GRPC_LATENCY.collect()
        for s in m.samples
        if s.name.endswith("_count")
        and s.labels == {"service": "sample", "method": "/grpc.health.v1.Health/Check", "code": "OK"}
    ]
    assert count
    assert count[0] >= 1
    assert GRPC_LATENCY.labels("sample", "/grpc.health.v1.Health/Check", "OK")._sum.get() >= before
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel, pytest.raises(grpc.RpcError) as error:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="nope"), timeout=5)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert GRPC_LATENCY.labels("sample", "/grpc.health.v1.Health/Check", "NOT_FOUND")._sum.get() > 0
