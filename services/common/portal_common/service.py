"""Wiring the services share: token verification with revocations, readiness, consumer, runtime, main."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError

from portal_common import metrics, mongo
from portal_common.auth import JwksCache, RevocationCache, RevocationListener, TokenVerifier
from portal_common.config import CommonConfig, ConfigError
from portal_common.consumer import BatchHandler, EventConsumer, Handler
from portal_common.grpc_server import GrpcServer, create_grpc_server
from portal_common.http import ReadinessChecks, create_base_app
from portal_common.kafka_client import create_producer, kafka_reachable
from portal_common.logs import configure_logging
from portal_common.runtime import ServiceRuntime, Worker


@dataclass(frozen=True)
class Authentication:
    verifier: TokenVerifier
    listener: RevocationListener  # run it as a worker: revocations reach this service through Kafka


def authentication(common: CommonConfig) -> Authentication:
    revocations = RevocationCache(ttl_s=common.access_token_ttl_seconds + 60)
    verifier = TokenVerifier(
        JwksCache(common.jwks_url), issuer=common.token_issuer, audience=common.token_audience, revocations=revocations
    )
    return Authentication(verifier, RevocationListener(common.kafka_bootstrap, revocations, topic=common.events_topic))


def readiness(db: Database, common: CommonConfig) -> ReadinessChecks:
    """Ready = able to serve routes, which needs MongoDB. Kafka is only watched (portal_kafka_reachable, set up by
    service_app): writes keep their events in the outbox while it is down, so an outage must not empty the
    Services."""
    return {"mongodb": lambda: mongo.ping(db)}


def event_consumer(
    common: CommonConfig,
    *,
    service: str,
    group: str,
    handler: Handler,
    db: Database,
    dedupe: bool = True,
    batch_handler: BatchHandler | None = None,
    consumer_overrides: dict[str, Any] | None = None,
) -> EventConsumer:
    """A consumer of the events topic in its own group, dead-lettering into the DLQ topic."""
    return EventConsumer(
        bootstrap=common.kafka_bootstrap,
        group_id=group,
        handler=handler,
        db=db,
        topic=common.events_topic,
        dlq_topic=common.dlq_topic,
        dlq_producer_factory=lambda: create_producer(common.kafka_bootstrap, f"{service}-dlq"),
        dedupe=dedupe,
        batch_handler=batch_handler,
        consumer_overrides=consumer_overrides,
    )


def service_app(
    common: CommonConfig,
    *,
    name: str,
    readiness: ReadinessChecks,
    verifier: TokenVerifier,
    max_request_bytes: int | None = None,
) -> Any:
    """The service's Flask app on the common base (problem+json, auth, health, metrics, OpenAPI)."""
    metrics.KAFKA_REACHABLE.labels(service=name).set_function(lambda: float(kafka_reachable(common.kafka_bootstrap)))
    return create_base_app(
        name,
        max_request_bytes=max_request_bytes or common.max_request_bytes,
        readiness=readiness,
        verifier=verifier,
        trusted_proxy_hops=common.trusted_proxy_hops,
    )


def service_grpc_server(
    common: CommonConfig, *, name: str, register: Callable[[Any], list[str]], readiness: ReadinessChecks
) -> GrpcServer:
    """The service's gRPC server on its configured port; `register` adds its servicers."""
    return create_grpc_server(
        name, port=common.grpc_port, host=common.http_host, register=register, readiness=readiness
    )


def service_runtime(
    common: CommonConfig, *, name: str, app: Any, grpc: GrpcServer, workers: dict[str, Worker]
) -> ServiceRuntime:
    return ServiceRuntime(
        name=name,
        wsgi_app=app,
        grpc=grpc,
        http_host=common.http_host,
        http_port=common.http_port,
        http_threads=common.http_threads,
        workers=workers,
    )


def database_failed(name: str, common: CommonConfig, error: PyMongoError) -> int:
    """Start-up (serve or the migrations Job) could not use MongoDB: one line an operator can act on, exit 3."""
    reason = str(error).split(" (configured timeouts", 1)[0].split(", Timeout:", 1)[0][:300]
    print(
        f"{name}: MongoDB is unreachable at {mongo.hosts(common.mongo_uri)} or refused the set-up of database "
        f"{common.mongo_db!r} ({type(error).__name__}: {reason}); check MONGO_URI and that the server is up",
        file=sys.stderr,
    )
    return 3


def main(
    argv: list[str] | None,
    *,
    name: str,
    load_config: Callable[[], Any],
    build: Callable[[Any], Any],
    create_runtime: Callable[[Any], ServiceRuntime],
) -> int:
    """`python -m portal_<service> [serve|migrate]`: refuse bad settings clearly, then serve or migrate."""
    parser = argparse.ArgumentParser(prog=f"portal-{name}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    configure_logging(name, config.common.log_level)
    try:
        service = build(config)  # connects and creates the indexes
    except PyMongoError as exc:
        return database_failed(name, config.common, exc)
    if args.command == "serve":
        create_runtime(service).serve_forever()
    else:
        print("indexes ready")
    return 0
