"""The I/O selector every Kafka client of the platform uses (kafka-python's `selector` setting).

kafka-python (3.0.12) reads a socket that epoll reports in error as if it were readable. When the error sits in
the socket's error queue rather than in its pending error, the read answers "nothing yet" (EAGAIN) and epoll reports
the socket again at once, forever: the client's network thread spins at a full core. Seen in the cluster after a
Kafka outage: a connection opened while the broker's Service had no endpoint kept the ICMP "port unreachable"
kube-proxy answered in its error queue once connected, and one notification pod used 0.8 CPU from then on (its
autoscaler never scaled back in). This selector empties the error queue of any socket epoll reports in error,
before kafka-python sees the event: a hard error (the socket's pending one) is left for the read to report.
"""

from __future__ import annotations

import logging
import select
import selectors
import socket

log = logging.getLogger(__name__)

_ERRQUEUE_FLAGS = socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT  # Linux: the platform's images and nodes


def drain_error_queue(fd: int) -> int:
    """Discard what the socket's error queue holds; how many entries it held."""
    sock = socket.socket(fileno=fd)  # a view of kafka-python's socket, detached below: never closed here
    drained = 0
    try:
        while True:
            try:
                sock.recvmsg(1, 1024, _ERRQUEUE_FLAGS)
            except (BlockingIOError, InterruptedError):
                return drained
            except OSError:  # closed meanwhile, or not a socket: nothing to drain
                return drained
            drained += 1
    finally:
        sock.detach()


class _DrainingEpoll:
    """select.epoll, except that `poll` first empties the error queue of the sockets it reports in error."""

    def __init__(self) -> None:
        self._epoll = select.epoll()

    def __getattr__(self, name: str) -> object:  # register, modify, unregister, close, fileno, closed
        return getattr(self._epoll, name)

    def poll(self, timeout: float = -1, maxevents: int = -1) -> list[tuple[int, int]]:
        events = self._epoll.poll(timeout, maxevents)
        for fd, mask in events:
            if mask & select.EPOLLERR and (drained := drain_error_queue(fd)):
                log.warning("dropped %d error(s) queued on Kafka connection socket %d (they made it spin)", drained, fd)
        return events


class KafkaSelector(selectors.EpollSelector):
    """selectors.EpollSelector over a draining epoll object (the class it instantiates): its event mapping and
    bookkeeping are the standard library's, only the poll differs."""

    _selector_cls = _DrainingEpoll
