"""Prometheus metrics shared by every service (one process-wide registry)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "HTTP request latency by route template and status",
    ["service", "method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
GRPC_LATENCY = Histogram(
    "portal_grpc_server_handling_seconds",
    "gRPC call latency by method and status code",
    ["service", "method", "code"],
    buckets=LATENCY_BUCKETS,
)
KAFKA_CONSUMER_LAG = Gauge(
    "portal_kafka_consumer_lag",
    "Records behind the partition end, per consumer group and partition",
    ["group", "topic", "partition"],
)
KAFKA_CONSUMER_DELAY = Gauge(
    "portal_kafka_consumer_delay_seconds",
    "Age of the oldest record of the last poll (0 when caught up), per consumer group",
    ["group"],
)
KAFKA_MESSAGES = Counter(
    "portal_kafka_consumer_messages_total",
    "Records handled by consumers, by outcome (processed, duplicate, retried, dead_lettered)",
    ["group", "outcome"],
)
# Kafka is not a readiness check (an outage must not take pods out of Services: the outbox keeps events until
# it is back); it is watched here and alerted on instead. Set from a callback at scrape time.
KAFKA_REACHABLE = Gauge(
    "portal_kafka_reachable", "1 when a Kafka bootstrap server accepts a connection, else 0", ["service"]
)
OUTBOX_PUBLISHED = Counter("portal_outbox_published_total", "Events published by the outbox relay", ["service"])
OUTBOX_BACKLOG = Gauge(
    "portal_outbox_backlog", "Events seen waiting in the outbox at the last relay round (at most a batch)", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "portal_outbox_oldest_age_seconds", "Age of the oldest event waiting in the outbox (0 when empty)", ["service"]
)
OUTBOX_FAILURES = Counter("portal_outbox_publish_failures_total", "Failed outbox relay rounds", ["service"])


def exposition() -> tuple[bytes, str]:
    """Body and content type of the /metrics endpoint."""
    return generate_latest(), CONTENT_TYPE_LATEST


class MetricsInterceptor(grpc.ServerInterceptor):
    """Times every unary and streaming gRPC call and records its final status code."""

    def __init__(self, service: str) -> None:
        self.service = service

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        service = self.service

        def timed(behaviour: Callable[..., Any], streaming_response: bool) -> Callable[..., Any]:
            def observe(started: float, context: grpc.ServicerContext, failed: bool) -> None:
                code = context.code()  # type: ignore[attr-defined]  # in grpcio since 1.38, not in its stubs
                # No code set means success, or an exception that grpc turns into UNKNOWN.
                name = code.name if isinstance(code, grpc.StatusCode) else ("UNKNOWN" if failed else "OK")
                GRPC_LATENCY.labels(service, method, name).observe(time.perf_counter() - started)

            if streaming_response:

                def stream_wrapper(request: Any, context: grpc.ServicerContext) -> Any:
                    started, failed = time.perf_counter(), True
                    try:
                        yield from behaviour(request, context)
                        failed = False
                    finally:
                        observe(started, context, failed)

                return stream_wrapper

            def unary_wrapper(request: Any, context: grpc.ServicerContext) -> Any:
                started, failed = time.perf_counter(), True
                try:
                    result = behaviour(request, context)
                    failed = False
                    return result
                finally:
                    observe(started, context, failed)

            return unary_wrapper

        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                timed(handler.unary_unary, False), handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                timed(handler.unary_stream, True), handler.request_deserializer, handler.response_serializer
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                timed(handler.stream_unary, False), handler.request_deserializer, handler.response_serializer
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                timed(handler.stream_stream, True), handler.request_deserializer, handler.response_serializer
            )
        return handler
