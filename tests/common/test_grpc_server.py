"""gRPC bootstrap over a real channel: health follows readiness, reflection only when turned on, calls are
measured; mutual TLS with callers named per method, certificates rotated without a restart (#20 finding 3)."""

from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from deploy.local import pki
from portal_common.grpc_server import create_grpc_server
from portal_common.grpc_tls import GrpcClient, GrpcTls
from portal_common.metrics import GRPC_LATENCY

STATE = {"mongo": True}


@pytest.fixture
def server():
    grpc_server = create_grpc_server(
        "sample", port=0, register=lambda s: [], readiness={"mongo": lambda: STATE["mongo"]}, tls=None, callers={}
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
    debug = create_grpc_server(
        "sample", port=0, register=lambda s: [], readiness={}, reflection=True, tls=None, callers={}
    )
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


# ---------------------------------------------------------------------------------------------- mutual TLS


def echo(register_into: grpc.Server) -> list[str]:
    """A service with one method, `test.Echo/Say`, answering the bytes it gets."""
    say = grpc.unary_unary_rpc_method_handler(lambda request, context: request)
    register_into.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Echo", {"Say": say})])
    return ["test.Echo"]


def identity(directory: Path, name: str) -> GrpcTls:
    cert, key, ca = pki.grpc_identity(directory, name)
    return GrpcTls(str(cert), str(key), str(ca))


def say(target: str, tls: GrpcTls | None, callee: str = "sample") -> bytes:
    client = GrpcClient(target, callee, tls)
    try:
        return client.channel().unary_unary("/test.Echo/Say")(b"bonjour", timeout=5)
    finally:
        client.close()


@pytest.fixture
def tls_server(tmp_path):
    server = create_grpc_server(
        "sample",
        port=0,
        register=echo,
        readiness={},
        tls=identity(tmp_path / "ca", "sample"),
        callers={"Say": frozenset({"notification"})},
    )
    server.start()
    yield server, f"127.0.0.1:{server.port}", tmp_path
    server.stop(1)


def test_only_callers_the_table_names_get_an_answer(tls_server):
    _, target, directory = tls_server
    assert say(target, identity(directory / "ca", "notification")) == b"bonjour"
    with pytest.raises(grpc.RpcError) as refused:
        say(target, identity(directory / "ca", "billing-statement"))  # a real certificate, not on the list
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "billing-statement n'est pas autorisé" in refused.value.details()


def test_anonymous_and_foreign_callers_never_reach_a_method(tls_server):
    _, target, directory = tls_server
    for caller in (None, identity(directory / "elsewhere", "notification")):  # plaintext; another CA's "notification"
        with pytest.raises(grpc.RpcError) as refused:
            say(target, caller)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_client_checks_it_talks_to_the_service_it_names(tls_server):
    _, target, directory = tls_server
    with pytest.raises(grpc.RpcError) as refused:  # the server's certificate says `sample`, not `identity`
        say(target, identity(directory / "ca", "notification"), callee="identity")
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_renewed_certificates_are_used_without_a_restart(tls_server):
    """The server's files are replaced by a certificate of a new CA (what a CA rotation ends with): the next
    handshakes use them, a client of the old CA is refused and one of the new CA answered."""
    _, target, directory = tls_server
    old_client = identity(directory / "ca", "notification")
    assert say(target, old_client) == b"bonjour"
    renewed = identity(directory / "new-ca", "sample")
    current = identity(directory / "ca", "sample")
    for source, destination in (
        (renewed.cert_file, current.cert_file),
        (renewed.key_file, current.key_file),
        (renewed.ca_file, current.ca_file),
    ):
        Path(destination).write_bytes(Path(source).read_bytes())
    assert say(target, identity(directory / "new-ca", "notification")) == b"bonjour"
    with pytest.raises(grpc.RpcError):
        say(target, GrpcTls(old_client.cert_file, old_client.key_file, str(directory / "ca" / "ca.pem")))
