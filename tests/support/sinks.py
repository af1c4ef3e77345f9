"""Real network peers for delivery tests: an SMTP sink, an HTTP push sink, a server that never answers."""

from __future__ import annotations

import json
import mailbox
import socket
import ssl
import threading
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

from tests.support.http_standin import QuietHandler, serve, stop


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """aiosmtpd writing every received message to a Maildir; can be stopped and started again."""

    def __init__(
        self, directory: Path, port: int | None = None, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.directory = directory
        self.host = host
        self.port = port or free_port()
        self.tls = tls  # given: STARTTLS offered and required, as a production relay does
        self.controller: Controller | None = None

    def start(self) -> None:
        tls = {"tls_context": self.tls, "require_starttls": True} if self.tls else {}
        self.controller = Controller(Mailbox(str(self.directory)), hostname=self.host, port=self.port, **tls)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self, to: str | None = None, subject: str | None = None) -> list[Message]:
        if not self.directory.exists():
            return []
        found = list(mailbox.Maildir(str(self.directory)))
        return [
            m
            for m in found
            if (to is None or to in decoded(m["To"])) and (subject is None or decoded(m["Subject"]) == subject)
        ]


def decoded(header: str | None) -> str:
    """A header as text (non-ASCII subjects travel RFC 2047-encoded)."""
    return str(make_header(decode_header(header or "")))


class PushSink:
    """Accepts ntfy-style JSON POSTs and keeps them."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        owner = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.received.append({"path": self.path, "headers": dict(self.headers), **json.loads(body or b"{}")})
                self.answer_json(200, {})

        self.server = serve(Handler, host=host, port=port)
        self.url = f"http://{host}:{self.server.server_address[1]}"

    def for_topic(self, topic: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r.get("topic") == topic]

    def close(self) -> None:
        stop(self.server)


class SilentServer:
    """Accepts TCP connections and never says a word (an SMTP server that hangs)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(50)
        self.port = self.socket.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self.socket.close()


def part_of(message: Message, content_type: str = "text/plain") -> str:
    """The decoded text of a received email's part (the whole body of a single-part one)."""
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no {content_type} part in {message.get_content_type()}")
