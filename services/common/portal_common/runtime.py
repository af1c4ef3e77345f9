"""One process per service: HTTP (waitress), gRPC and background workers, drained on SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from waitress import create_server, wasyncore

from portal_common.grpc_server import GrpcServer

log = logging.getLogger(__name__)
Worker = Callable[[threading.Event], None]


def periodic(job: Callable[[], object], interval_s: float) -> Worker:
    """A worker running `job` every `interval_s` until stopped; a failed run (database away) waits for the next."""

    def run(stop: threading.Event) -> None:
        while not stop.wait(interval_s):
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - retried at the next interval
                log.warning("periodic job %s failed: %r", getattr(job, "__name__", job), exc)

    return run


def _busy(channel: Any) -> bool:
    """A connection with a request being received, queued or run, or an answer not yet sent."""
    return bool(channel.requests or channel.request is not None or channel.total_outbufs_len)


@dataclass
class ServiceRuntime:
    """Starts and stops everything a service runs. Tests use start()/stop(); main uses serve_forever()."""

    name: str
    wsgi_app: Any
    grpc: GrpcServer | None
    http_host: str
    http_port: int
    http_threads: int = 8
    workers: dict[str, Worker] = field(default_factory=dict)
    grace_s: float = 10.0
    stop_event: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._threads = []
        for worker_name, worker in self.workers.items():
            thread = threading.Thread(target=worker, args=(self.stop_event,), name=worker_name, daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.grpc is not None:
            self.grpc.start()
        self._http = create_server(
            self.wsgi_app,
            host=self.http_host,
            port=self.http_port,
            threads=self.http_threads,
            ident=self.name,
            # X-Forwarded-For reaches the app, where ProxyFix believes only the configured proxy hops.
            clear_untrusted_proxy_headers=False,
        )
        self.http_port = self._http.effective_port
        self._http_thread = threading.Thread(target=self._http.run, name=f"{self.name}-http", daemon=True)
        self._http_thread.start()
        log.info(
            "%s listening: http://%s:%s grpc :%s",
            self.name,
            self.http_host,
            self.http_port,
            self.grpc.port if self.grpc else "-",
        )

    def stop(self) -> None:
        """Drain: stop taking work, let running requests finish, then stop the workers."""
        log.info("%s draining", self.name)
        if self.grpc is not None:
            self.grpc.stop(self.grace_s)
        self._drain_http(time.monotonic() + self.grace_s)
        self._http_thread.join(timeout=self.grace_s)
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=self.grace_s)
        log.info("%s stopped", self.name)

    def _drain_http(self, deadline: float) -> None:
        """Refuse new connections, wait until no accepted request is running, queued, half-received or still being
        sent, then close everything. Closing while an answer sat in the send buffer cut it short (a 502 at the
        Ingress during a rollout)."""
        server = self._http
        closed = threading.Event()

        def close_listener() -> None:
            # Inside the HTTP loop, like every socket change (see below); the trigger and the connections stay.
            server.accepting = False
            wasyncore.dispatcher.close(server)
            closed.set()

        server.trigger.pull_trigger(close_listener)
        closed.wait(self.grace_s)
        while time.monotonic() < deadline and any(_busy(channel) for channel in list(server.active_channels.values())):
            time.sleep(0.05)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=max(deadline - time.monotonic(), 0.1))
        # Close the sockets from inside the HTTP loop (the trigger runs the callback there): closing them from
        # this thread while the loop sits in select() makes it fail with EBADF.
        http_map = server._map
        server.trigger.pull_trigger(lambda: wasyncore.close_all(http_map))

    def serve_forever(self) -> None:
        done = threading.Event()

        def on_signal(signum: int, _frame: object) -> None:
            log.info("received signal %s", signal.Signals(signum).name)
            done.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        done.wait()
        self.stop()
