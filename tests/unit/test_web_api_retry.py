"""The web's calls to the services over kept-alive connections, against a real HTTP server on loopback that does
what a draining pod does in a rollout: it closes a kept-alive connection just as a request arrives on it."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest
from portal_api_client.api.push_devices import register_device, webpush_key
from portal_api_client.models import RegisterDeviceBody, RegisterDeviceBodyKind

from portal_web.api import Api, ServiceUnavailable


class ClosingAfterFirstAnswer(socketserver.BaseRequestHandler):
    """Answers the first request of a connection (kept alive), then closes the connection on the next one without
    answering: the server went away between two requests."""

    seen: list[tuple[int, str]]  # (connection number, request line)
    connections = 0

    def handle(self) -> None:
        cls = type(self)
        cls.connections += 1
        number = cls.connections
        stream = self.request.makefile("rb")
        answered = False
        while line := stream.readline():
            request_line = line.decode().strip()
            length = 0
            while (header := stream.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            stream.read(length)
            cls.seen.append((number, request_line))
            if answered:
                self.request.shutdown(socket.SHUT_RDWR)
                return
            body = b'{"public_key": "BPk"}'
            self.request.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            answered = True


@pytest.fixture
def service() -> Iterator[type[ClosingAfterFirstAnswer]]:
    handler = type("Handler", (ClosingAfterFirstAnswer,), {"seen": [], "connections": 0})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_a_read_on_a_connection_the_service_closed_is_sent_again_on_a_new_one(service):
    api = Api({"notification": service.url}, timeout_s=5)
    assert api.run("notification", webpush_key.sync_detailed, headers={}).public_key == "BPk"
    # The kept-alive connection is reused and dropped by the server: the page still gets its answer.
    assert api.run("notification", webpush_key.sync_detailed, headers={}).public_key == "BPk"
    assert [number for number, _ in service.seen] == [1, 1, 2]


def test_a_change_is_never_sent_twice(service):
    api = Api({"notification": service.url}, timeout_s=5)
    api.run("notification", webpush_key.sync_detailed, headers={})
    body = RegisterDeviceBody(kind=RegisterDeviceBodyKind.NTFY, target="famille-x", label="Téléphone")
    with pytest.raises(ServiceUnavailable):  # the service may have acted on it: the page says so, no resend
        api.run("notification", register_device.sync_detailed, headers={}, body=body)
    assert [line.split()[0] for _, line in service.seen] == ["GET", "POST"]
