"""The Kafka clients' selector against a real socket whose error queue holds an ICMP error, the state a Kafka
connection was found in after an outage (kafka_selector.py): epoll reports it in error forever, a read answers
EAGAIN. The standard selector then wakes kafka-python at once on every round (its network thread spun at a full
core); the platform's wakes it once."""

from __future__ import annotations

import selectors
import socket
from collections.abc import Iterator

import pytest

from portal_common.kafka_client import KafkaAccess
from portal_common.kafka_selector import KafkaSelector

IP_RECVERR = 11  # <linux/in.h>; the socket module does not name it


def socket_to_a_closed_port(*, queue_errors: bool) -> socket.socket:
    """A connected UDP socket that sent a datagram to a closed port and got the ICMP "port unreachable" back: as
    its pending error, and in its error queue too when `queue_errors` (IP_RECVERR)."""
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if queue_errors:
        sock.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
    sock.setblocking(False)
    sock.connect(("127.0.0.1", port))
    sock.send(b"?")
    with selectors.EpollSelector() as waiting:  # until the ICMP answer is in
        waiting.register(sock, selectors.EVENT_READ)
        assert waiting.select(timeout=5), "no ICMP error came back"
    return sock


@pytest.fixture
def errored_socket() -> Iterator[socket.socket]:
    """Only the error queue holds the error: its pending one is taken (as an established TCP connection's is)."""
    sock = socket_to_a_closed_port(queue_errors=True)
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0  # reading SO_ERROR clears the pending error
    yield sock
    sock.close()


def wakeups(selector: selectors.BaseSelector, sock: socket.socket, rounds: int) -> int:
    """How many of `rounds` half-second waits end with the socket reported readable and nothing to read, as
    kafka-python's read loop sees them."""
    selector.register(sock, selectors.EVENT_READ)
    woken = 0
    try:
        for _ in range(rounds):
            if selector.select(timeout=0.5):
                woken += 1
                with pytest.raises(BlockingIOError):
                    sock.recv(4096)
    finally:
        selector.unregister(sock)
        selector.close()
    return woken


def test_the_standard_selector_wakes_every_round_on_a_queued_socket_error(errored_socket):
    """The library's default, kept as the proof of the state the platform's selector handles."""
    assert wakeups(selectors.EpollSelector(), errored_socket, rounds=5) == 5


def test_the_platforms_selector_drains_the_error_and_then_waits(errored_socket):
    assert wakeups(KafkaSelector(), errored_socket, rounds=5) <= 1


def test_a_pending_error_still_reaches_the_reader():
    """An error the socket holds outside the queue (what a reset or refused connection gives) is left for the read
    to report, so kafka-python still closes a connection that failed."""
    with socket_to_a_closed_port(queue_errors=False) as sock, KafkaSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        assert selector.select(timeout=5)
        with pytest.raises(ConnectionRefusedError):
            sock.recv(4096)


def test_every_kafka_client_of_the_platform_uses_it():
    assert KafkaAccess("127.0.0.1:9092", "PLAINTEXT").client_settings()["selector"] is KafkaSelector
