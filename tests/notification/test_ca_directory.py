"""The apprise worker processes look CA certificates up in OpenSSL's hashed directory instead of
parsing the whole bundle for every email: certificate verification must stay exactly as strict."""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal_notification import apprise_process
from tests.support.pki import make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pki(tmp_path_factory.mktemp("pki"))


def tls_server(certificate: Path, key: Path) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.sendall(b"hello")
            except (ssl.SSLError, OSError):
                pass  # the client refused our certificate

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


@pytest.fixture(scope="module")
def trusted_port(pki: Path) -> Iterator[int]:
    yield from tls_server(pki / "server.pem", pki / "server.key")


@pytest.fixture(scope="module")
def impostor_port(pki: Path) -> Iterator[int]:
    yield from tls_server(pki / "impostor.pem", pki / "impostor.key")


def handshake(port: int) -> tuple[str | None, str]:
    """Runs in an apprise worker process: the default context apprise would build, then a handshake."""
    context = ssl.create_default_context()
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            return os.environ.get("SSL_CERT_FILE"), tls.recv(5).decode()
    except ssl.SSLCertVerificationError as exc:
        return os.environ.get("SSL_CERT_FILE"), f"refused: {exc.verify_message}"


def test_workers_use_the_ca_directory_and_still_verify(pki, trusted_port, impostor_port, monkeypatch):
    monkeypatch.setenv("SSL_CERT_DIR", str(pki / "certs"))  # inherited by the spawned workers
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    pool = apprise_process.create_pool(1)
    try:
        bundle, answer = pool.submit(handshake, trusted_port).result(timeout=60)
        assert bundle is not None
        assert not os.path.exists(bundle)  # the bundle is skipped...
        assert answer == "hello"  # ...and a certificate from a CA of the directory is accepted
        _, refused = pool.submit(handshake, impostor_port).result(timeout=60)
        assert refused.startswith("refused")  # an unknown issuer is still refused
    finally:
        pool.shutdown()


def test_a_chosen_bundle_is_left_alone(pki, trusted_port, impostor_port, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "impostor.pem"))  # an operator's explicit choice
    monkeypatch.setenv("SSL_CERT_DIR", str(pki / "empty-dir-that-does-not-exist"))
    pool = apprise_process.create_pool(1)
    try:
        bundle, answer = pool.submit(handshake, impostor_port).result(timeout=60)
        assert bundle == str(pki / "impostor.pem")
        assert answer == "hello"  # trusted through that bundle only
        _, refused = pool.submit(handshake, trusted_port).result(timeout=60)
        assert refused.startswith("refused")
    finally:
        pool.shutdown()
