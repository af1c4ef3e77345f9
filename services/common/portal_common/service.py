"""One shape for every service: a typed context (`ServiceContext`) and a declaration (`Service`) from which
the HTTP app, the gRPC server, the consumers, the workers and `python -m portal_<service>` are built."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, TypeVar

import grpc
from flask import Blueprint, Flask, current_app
from pymongo.database import Database
from pymongo.errors import PyMongoError

from portal_common import events, metrics, mongo, openapi
from portal_common.auth import JwksCache, TokenVerifier
from portal_common.config import CommonConfig, ConfigError
from portal_common.consumer import EventConsumer, Handler
from portal_common.grpc_server import GrpcServer, create_grpc_server
from portal_common.http import ReadinessChecks, create_base_app
from portal_common.kafka_client import create_producer, kafka_reachable
from portal_common.logs import configure_logging
from portal_common.outbox import Outbox, OutboxRelay
from portal_common.revocations import RevocationCache, RevocationListener
from portal_common.runtime import ServiceRuntime, Worker

CONTEXT = "portal.context"
C = TypeVar("C", bound="ServiceContext")


@dataclass(kw_only=True)
class ServiceContext:
    """What every service's views, servicers, consumers and workers are handed. Each service subclasses it
    (`<service>/context.py`, class `Context`) with its own typed fields; nothing else carries dependencies."""

    common: CommonConfig
    db: Database[dict[str, Any]]
    outbox: Outbox
    verifier: TokenVerifier
    # Revocations reach a service through Kafka; None where tokens are checked against sessions (identity).
    revocations: RevocationListener | None = None

    @property
    def readiness(self) -> ReadinessChecks:
        """Ready = able to serve routes, which needs MongoDB, and (where tokens are checked against revocations
        from Kafka) having read the revocations of one token lifetime: a replica that has not would accept
        tokens of ended sessions. Kafka is otherwise only watched (portal_kafka_reachable): once caught up,
        a replica stays ready through an outage, as writes keep their events in the outbox."""
        checks: ReadinessChecks = {"mongodb": lambda: mongo.ping(self.db)}
        if self.revocations is not None:
            checks["revocations"] = self.revocations.caught_up.is_set
        return checks


@dataclass(frozen=True)
class Connected:
    """What every service's context starts from: its database behind the outbox, and token verification."""

    common: CommonConfig
    outbox: Outbox
    verifier: TokenVerifier
    revocations: RevocationListener | None

    def fields(self) -> dict[str, Any]:
        """The ServiceContext fields, for `Context(**connected.fields(), <the service's own fields>)`."""
        return {
            "common": self.common,
            "db": self.outbox.db,
            "outbox": self.outbox,
            "verifier": self.verifier,
            "revocations": self.revocations,
        }


def connect(
    name: str,
    common: CommonConfig,
    indexes: list[mongo.IndexSpec],
    outbox_collections: list[str],
    *,
    verifier: TokenVerifier | None = None,
) -> Connected:
    """The service's database with its indexes, the outbox whose relay publishes `outbox_collections`, and
    token verification: by default against identity's JWKS, with revocations fed from Kafka."""
    db = mongo.connect(common.mongo_uri, common.mongo_db, app_name=name)
    mongo.ensure_indexes(db, indexes)
    relay = OutboxRelay(
        db,
        outbox_collections,
        lambda: create_producer(common.kafka, f"{name}-outbox"),
        topic=events.topic_of(common.events_topic, name),
        service=name,
    )
    listener = None
    if verifier is None:
        revocations = RevocationCache(ttl_s=common.access_token_ttl_seconds + 60)
        verifier = TokenVerifier(
            JwksCache(common.jwks_url),
            issuer=common.token_issuer,
            audience=common.token_audience,
            revocations=revocations,
        )
        listener = RevocationListener(common.kafka, revocations, topic=events.topic_of(common.events_topic, "identity"))
    return Connected(common, Outbox(db, relay), verifier, listener)


def current(kind: type[C]) -> C:
    """The running service's context, typed: each api.py defines `ctx() -> Context` with it."""
    found = current_app.extensions[CONTEXT]
    if not isinstance(found, kind):
        raise TypeError(f"the app carries a {type(found).__name__}, not a {kind.__name__}")
    return found


@dataclass(frozen=True)
class Consumer(Generic[C]):
    """A consumer of the events topic in group `<service>-<group>`, dead-lettering into the DLQ topic.
    `handler(ctx)` builds the handler; one with a `handle_batch(events)` method gets a poll's worth at once."""

    group: str
    handler: Callable[[C], Handler]
    dedupe: bool = True  # False where every effect is keyed by the event id anyway
    overrides: dict[str, Any] | None = None  # kafka-python consumer settings
    started: Callable[[C, EventConsumer], None] | None = None  # hook: what needs the consumer (its lag)


@dataclass(frozen=True)
class GrpcApi(Generic[C]):
    """The service's gRPC servicer: the generated `add_..._to_server`, the service's full name, a factory, and
    who may call each method (caller identities: the common names of their certificates)."""

    add_to_server: Callable[[Any, grpc.Server], None]
    full_name: str
    servicer: Callable[[C], Any]
    callers: Mapping[str, frozenset[str]]

    @classmethod
    def of(
        cls,
        pb2_grpc: ModuleType,
        pb2: ModuleType,
        service: str,
        servicer: Callable[[C], Any],
        callers: Mapping[str, Iterable[str]],
    ) -> GrpcApi[C]:
        """From the generated modules and the proto service's name (`BillingService`); `callers` must name
        every method, an empty list where no one may call it yet."""
        descriptor = pb2.DESCRIPTOR.services_by_name[service]
        methods = {method.name for method in descriptor.methods}
        if set(callers) != methods:
            raise ValueError(f"{service}: callers must name exactly its methods {sorted(methods)}")
        add = getattr(pb2_grpc, f"add_{service}Servicer_to_server")
        return cls(add, descriptor.full_name, servicer, {m: frozenset(c) for m, c in callers.items()})


@dataclass(frozen=True)
class Command(Generic[C]):
    """An operator command besides `serve` and `migrate` (`portal-identity create-agent ...`): it gets the
    context once the settings are checked and MongoDB answers, and returns the exit status."""

    name: str
    help: str
    run: Callable[[C, argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


@dataclass(frozen=True, kw_only=True)
class Service(Generic[C]):
    """A service's declaration (its `app.py`): from it `portal_common` builds the HTTP app, the gRPC server,
    the consumers and the workers, and `python -m portal_<service>` runs them."""

    name: str
    load_config: Callable[[], Any]
    build: Callable[[Any], C]  # config -> context: connects, creates the indexes
    blueprints: Sequence[Blueprint]
    grpc: GrpcApi[C] | None = None  # a service may have HTTP only
    consumers: Sequence[Consumer[C]] = ()
    workers: Callable[[C], dict[str, Worker]] = lambda ctx: {}
    max_request_bytes: Callable[[C], int] | None = None
    configure_app: Callable[[Flask], None] | None = None  # hook: request class, teardown handlers
    commands: Sequence[Command[C]] = ()  # operator commands besides serve and migrate

    def create_app(self, ctx: C) -> Flask:
        common = ctx.common
        metrics.KAFKA_REACHABLE.labels(service=self.name).set_function(
            lambda: float(kafka_reachable(common.kafka.bootstrap))
        )
        app = create_base_app(
            self.name,
            max_request_bytes=self.max_request_bytes(ctx) if self.max_request_bytes else common.max_request_bytes,
            readiness=ctx.readiness,
            verifier=ctx.verifier,
            trusted_proxy_hops=common.trusted_proxy_hops,
            check_responses=common.check_responses,
        )
        app.extensions[CONTEXT] = ctx
        return self._with_routes(app)

    def openapi_document(self) -> dict[str, Any]:
        """The OpenAPI document of the HTTP app, built without a context: nothing is connected (`make openapi`)."""
        return openapi.service_document(
            self._with_routes(create_base_app(self.name, max_request_bytes=1, readiness={}))
        )

    def _with_routes(self, app: Flask) -> Flask:
        """The service's own routes (and request hooks) on a base app."""
        if self.configure_app is not None:
            self.configure_app(app)
        for blueprint in self.blueprints:
            app.register_blueprint(blueprint)
        return app

    def create_grpc_server(self, ctx: C) -> GrpcServer | None:
        api = self.grpc
        if api is None:
            return None

        def register(server: grpc.Server) -> list[str]:
            api.add_to_server(api.servicer(ctx), server)
            return [api.full_name]

        common = ctx.common
        callers = {
            method: allowed | common.grpc_callers.get(method, frozenset()) for method, allowed in api.callers.items()
        }
        return create_grpc_server(
            self.name,
            port=common.grpc_port,
            host=common.http_host,
            register=register,
            readiness=ctx.readiness,
            reflection=common.grpc_reflection,
            tls=common.grpc_tls,
            callers=callers,
        )

    def create_consumer(self, ctx: C, consumer: Consumer[C]) -> EventConsumer:
        common, handler = ctx.common, consumer.handler(ctx)
        built = EventConsumer(
            access=common.kafka,
            group_id=f"{self.name}-{consumer.group}",
            handler=handler,
            db=ctx.db,
            topic=common.events_topic,
            dlq_topic=common.dlq_topic,
            dlq_producer_factory=lambda: create_producer(common.kafka, f"{self.name}-dlq"),
            dedupe=consumer.dedupe,
            batch_handler=getattr(handler, "handle_batch", None),
            consumer_overrides=consumer.overrides,
        )
        if consumer.started is not None:
            consumer.started(ctx, built)
        return built

    def runtime(self, ctx: C) -> ServiceRuntime:
        """Everything the service runs, not started (tests start() and stop() it; main serves forever)."""
        workers: dict[str, Worker] = {}
        if ctx.outbox.relay is not None:
            workers["outbox-relay"] = ctx.outbox.relay.run
        for consumer in self.consumers:
            workers[f"{consumer.group}-consumer"] = self.create_consumer(ctx, consumer).run
        if ctx.revocations is not None:
            workers["revocations"] = ctx.revocations.run
        workers |= self.workers(ctx)
        common = ctx.common
        return ServiceRuntime(
            name=self.name,
            wsgi_app=self.create_app(ctx),
            grpc=self.create_grpc_server(ctx),
            http_host=common.http_host,
            http_port=common.http_port,
            http_threads=common.http_threads,
            workers=workers,
        )

    def main(self, argv: list[str] | None = None) -> int:
        """`portal-<service> [serve|migrate|<command> ...]`: refuse bad settings clearly, then run the command."""
        parser = argparse.ArgumentParser(prog=f"portal-{self.name}")
        sub = parser.add_subparsers(dest="command")
        sub.add_parser("serve", help="run HTTP, gRPC, the consumers and the workers (the default)")
        sub.add_parser("migrate", help="create the indexes and exit")
        for command in self.commands:
            command.arguments(sub.add_parser(command.name, help=command.help))
        args = parser.parse_args(argv)
        try:
            config = self.load_config()
        except ConfigError as exc:
            print(f"{self.name}: {exc}", file=sys.stderr)
            return 2
        configure_logging(self.name, config.common.log_level)
        try:
            ctx = self.build(config)  # connects, creates the indexes, reads mounted files (keys)
        except ConfigError as exc:  # a setting that only the build can check (an empty key folder)
            print(f"{self.name}: {exc}", file=sys.stderr)
            return 2
        except PyMongoError as exc:
            return database_failed(self.name, config.common.mongo_uri, config.common.mongo_db, exc)
        if args.command in (None, "serve"):
            self.runtime(ctx).serve_forever()
            return 0
        if args.command == "migrate":
            print("indexes ready")
            return 0
        [command] = [c for c in self.commands if c.name == args.command]
        return command.run(ctx, args)


def database_failed(name: str, mongo_uri: str, mongo_db: str, error: PyMongoError) -> int:
    """Start-up (serve or the migrations Job) could not use MongoDB: one line an operator can act on, exit 3."""
    reason = str(error).split(" (configured timeouts", 1)[0].split(", Timeout:", 1)[0][:300]
    print(
        f"{name}: MongoDB is unreachable at {mongo.hosts(mongo_uri)} or refused the set-up of database "
        f"{mongo_db!r} ({type(error).__name__}: {reason}); check MONGO_URI and that the server is up",
        file=sys.stderr,
    )
    return 3
