"""Mutual TLS for every gRPC server and client, and who may call which method (#20 finding 3, ADR 8).

Each process holds a certificate signed by the platform's CA whose common name is its identity
(`notification`, `invoicing`, ...). Servers demand a client certificate from that CA; the caller's
identity is the certificate's common name, never something the request says. Files are re-read when
they change (cert-manager renews them in place), by servers at the next handshake and by clients at the
next call, so a rotation needs no restart.

Clients name the service they call, not its address: the server's certificate carries the service's
name (`DNS:identity`) and `grpc.ssl_target_name_override` checks that name, wherever the service runs.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

if TYPE_CHECKING:
    from portal_common.config import Env

log = logging.getLogger(__name__)
# Callers outside the platform, by the common name of the certificate the platform's CA gives them.
INVOICING = "invoicing"  # the structure's invoicing system: feeds the ledger
BACK_OFFICE = "back-office"  # the structure's other systems: accounts, documents, preferences
ANYONE_WITH_A_CERTIFICATE = "*"
HEALTH_PREFIX = "/grpc.health.v1.Health/"
REFLECTION_PREFIX = "/grpc.reflection."


@dataclass(frozen=True)
class GrpcTls:
    """This process's certificate, its key and the CA it trusts, as files. Empty: plaintext gRPC, only when
    GRPC_TLS=false says so (a test of the plaintext refusal, nothing else)."""

    cert_file: str
    key_file: str
    ca_file: str

    @classmethod
    def from_env(cls, env: Env) -> GrpcTls | None:
        enabled = env.bool("GRPC_TLS", True)
        tls = cls(
            cert_file=env.str("GRPC_TLS_CERT_FILE", ""),
            key_file=env.str("GRPC_TLS_KEY_FILE", ""),
            ca_file=env.str("GRPC_TLS_CA_FILE", ""),
        )
        if not enabled:
            return None
        for name, value in (
            ("GRPC_TLS_CERT_FILE", tls.cert_file),
            ("GRPC_TLS_KEY_FILE", tls.key_file),
            ("GRPC_TLS_CA_FILE", tls.ca_file),
        ):
            if not value:
                env.problem(f"{name} is required with GRPC_TLS=true (mutual TLS between the services)")
        return tls

    def _files(self) -> tuple[bytes, bytes, bytes]:
        return Path(self.cert_file).read_bytes(), Path(self.key_file).read_bytes(), Path(self.ca_file).read_bytes()

    def _stamp(self) -> tuple[float, ...]:
        return tuple(os.stat(path).st_mtime_ns for path in (self.cert_file, self.key_file, self.ca_file))

    def server_credentials(self) -> grpc.ServerCredentials:
        """Client certificates required; the files are read again at a handshake after they changed."""
        lock, seen = threading.Lock(), [self._stamp()]

        def configuration() -> Any:
            cert, key, ca = self._files()
            return grpc.ssl_server_certificate_configuration([(key, cert)], root_certificates=ca)

        def fetch() -> Any:  # called by grpc before each handshake; None keeps the current configuration
            with lock:
                stamp = self._stamp()
                if stamp == seen[0]:
                    return None
                seen[0] = stamp
            log.info("gRPC certificate files changed: the next handshakes use them")
            return configuration()

        return grpc.dynamic_ssl_server_credentials(configuration(), fetch, require_client_authentication=True)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        cert, key, ca = self._files()
        return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)


class GrpcClient:
    """A channel to another service (`callee` is its name, which its certificate carries), rebuilt when this
    process's certificate files change. Plaintext when `tls` is None."""

    def __init__(self, target: str, callee: str, tls: GrpcTls | None, options: list[tuple[str, Any]] | None = None):
        self.target, self.callee, self.tls = target, callee, tls
        self.options = [*(options or []), ("grpc.ssl_target_name_override", callee)]
        self._lock = threading.Lock()
        self._stamp: tuple[float, ...] = ()
        self._channel: grpc.Channel | None = None

    def channel(self) -> grpc.Channel:
        with self._lock:
            stamp = self.tls._stamp() if self.tls else ()
            if self._channel is None or stamp != self._stamp:
                old, self._stamp = self._channel, stamp
                if self.tls is None:
                    self._channel = grpc.insecure_channel(self.target)
                else:
                    self._channel = grpc.secure_channel(self.target, self.tls.channel_credentials(), self.options)
                if old is not None:
                    old.close()
            return self._channel

    def close(self) -> None:
        with self._lock:
            if self._channel is not None:
                self._channel.close()
                self._channel = None


def caller_identity(context: grpc.ServicerContext) -> str | None:
    """The common name of the caller's verified certificate (None on a plaintext connection)."""
    names: Any = context.auth_context().get("x509_common_name") or []  # a list of bytes
    return bytes(names[0]).decode() if names else None


def parse_callers(raw: str) -> dict[str, frozenset[str]]:
    """`Method=caller+caller;Method=caller` (GRPC_CALLERS) into a table; ValueError names what is wrong."""
    table: dict[str, frozenset[str]] = {}
    for entry in filter(None, (part.strip() for part in raw.split(";"))):
        method, sep, callers = entry.partition("=")
        names = frozenset(filter(None, (c.strip() for c in callers.split("+"))))
        if not sep or not method.strip() or not names:
            raise ValueError(f"expected Method=caller+caller, got {entry!r}")
        table[method.strip()] = names
    return table


class CallerAuthorization(grpc.ServerInterceptor):
    """Each method of the service answers only the callers its table names (`callers`: method name ->
    identities); an unknown method or caller gets PERMISSION_DENIED before the servicer runs."""

    def __init__(self, service: str, callers: Mapping[str, frozenset[str]], tls: bool) -> None:
        self.service, self.callers, self.tls = service, callers, tls

    def _allowed(self, method: str, caller: str | None) -> bool:
        if method.startswith((HEALTH_PREFIX, REFLECTION_PREFIX)):
            return True  # the CA vouched for the caller at the handshake; health and reflection hold no data
        if not self.tls:
            return True  # GRPC_TLS=false: nothing to check against (refused in the chart)
        allowed = self.callers.get(method.rsplit("/", 1)[-1], frozenset())
        return caller is not None and (caller in allowed or ANYONE_WITH_A_CERTIFICATE in allowed)

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method

        def guarded(behaviour: Callable[..., Any], streaming_response: bool) -> Callable[..., Any]:
            def refuse(context: grpc.ServicerContext) -> None:
                caller = caller_identity(context)
                if not self._allowed(method, caller):
                    log.warning("gRPC %s refused to caller %r", method, caller)
                    context.abort(
                        grpc.StatusCode.PERMISSION_DENIED,
                        f"Appel refusé : {caller or 'appelant sans certificat'} n'est pas autorisé à appeler {method}.",
                    )

            if streaming_response:

                def stream(request: Any, context: grpc.ServicerContext) -> Any:
                    refuse(context)
                    yield from behaviour(request, context)

                return stream

            def unary(request: Any, context: grpc.ServicerContext) -> Any:
                refuse(context)
                return behaviour(request, context)

            return unary

        for kind, make, streaming in (
            ("unary_unary", grpc.unary_unary_rpc_method_handler, False),
            ("unary_stream", grpc.unary_stream_rpc_method_handler, True),
            ("stream_unary", grpc.stream_unary_rpc_method_handler, False),
            ("stream_stream", grpc.stream_stream_rpc_method_handler, True),
        ):
            behaviour = getattr(handler, kind)
            if behaviour:
                return make(guarded(behaviour, streaming), handler.request_deserializer, handler.response_serializer)
        return handler
