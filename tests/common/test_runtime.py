"""The drain a rollout relies on: after SIGTERM a pod answers what it has already accepted, in full, and takes
nothing new. Seen in the cluster: a feed read still running when the old pod was stopped ended as a 502 at the
Ingress, because the sockets were closed as soon as the worker threads had stopped, before the answer left."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from portal_common.runtime import ServiceRuntime

BODY = b"x" * (4 * 1024 * 1024)  # larger than the socket buffers: it is still being sent when the task ends


class SlowApp:
    """A WSGI app whose answer takes `delay_s`; `entered` is set when a request is being handled."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.entered = threading.Event()

    def __call__(self, environ, start_response):
        self.entered.set()
        time.sleep(self.delay_s)
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BODY)))])
        return [BODY]


@pytest.fixture
def slow_runtime() -> Iterator[tuple[ServiceRuntime, SlowApp]]:
    app = SlowApp(delay_s=1.0)
    runtime = ServiceRuntime(name="sample", wsgi_app=app, grpc=None, http_host="127.0.0.1", http_port=0, grace_s=5)
    runtime.start()
    yield runtime, app
    if not runtime.stop_event.is_set():  # a test that failed before its own stop()
        runtime.stop()


def test_a_request_running_when_the_drain_starts_gets_its_whole_answer(slow_runtime):
    runtime, app = slow_runtime
    url = f"http://127.0.0.1:{runtime.http_port}/feed"
    answers: list[requests.Response] = []
    # A slow reader, like a proxy on a busy node: the answer is still in the server's buffers when the task ends.
    client = threading.Thread(target=lambda: answers.append(requests.get(url, timeout=30, stream=True)))
    client.start()
    assert app.entered.wait(5)
    stopping = threading.Thread(target=runtime.stop)
    stopping.start()
    client.join(10)
    [answer] = answers
    time.sleep(0.5)
    body = answer.raw.read()
    stopping.join(10)
    assert answer.status_code == 200
    assert len(body) == len(BODY)


def test_the_draining_pod_takes_no_new_connection(slow_runtime):
    """Accepting a connection and then dropping it unanswered is what a proxy reports as 502: refuse it instead."""
    runtime, app = slow_runtime
    url = f"http://127.0.0.1:{runtime.http_port}/feed"
    client = threading.Thread(target=lambda: requests.get(url, timeout=30))
    client.start()
    assert app.entered.wait(5)
    stopping = threading.Thread(target=runtime.stop)
    stopping.start()
    time.sleep(0.3)  # the drain has begun; the running request still holds it open
    assert stopping.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", runtime.http_port), timeout=2).close()
    client.join(10)
    stopping.join(10)
    assert not stopping.is_alive()
