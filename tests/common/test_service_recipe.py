"""The README's recipes, followed once: a tiny service declared the way the four are, with an HTTP route and
its schema, a domain function that writes through the outbox, and a consumer of the event it writes.

Everything is real: waitress, FerretDB, Kafka, the relay and the consumer group. If this test needs more
than the pieces the recipes name (config, context, store, api, events_in, app), the shape has a gap.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests
from flask import Blueprint

from deploy.local.topology import grpc_tls_environment, kafka_environment
from portal_common import events
from portal_common.bodies import accepts, body, obj, string
from portal_common.config import CommonConfig, Env
from portal_common.http import principal, require_auth
from portal_common.mongo import IndexSpec
from portal_common.service import Consumer, Service, ServiceContext, connect, current
from tests.support.env import KAFKA, LAYOUT, MONGO_URI
from tests.support.kafka import create_event_topics, create_topics, unique_topic
from tests.support.tokens import AUDIENCE, ISSUER, JwksServer, SigningKey
from tests.support.wait import wait_for

# store.py: collections, indexes, which carry events
RESERVATIONS, SEEN = "reservations", "seen"
INDEXES: list[IndexSpec] = [(RESERVATIONS, [("account_id", 1)], {"name": "by_family"})]
OUTBOX_COLLECTIONS = [RESERVATIONS]


# config.py
@dataclass(frozen=True)
class RecipeConfig:
    common: CommonConfig

    @classmethod
    def from_env(cls, env: Env | None = None) -> RecipeConfig:
        env = env or Env()
        # Named after what it publishes: its Kafka principal may write that topic only (ADR 7).
        config = cls(common=CommonConfig.from_env(env, "reservation", http_port=0, grpc_port=0))
        env.check()
        return config


# context.py
@dataclass(kw_only=True)
class Context(ServiceContext):
    config: RecipeConfig

    @classmethod
    def build(cls, config: RecipeConfig) -> Context:
        return cls(**connect("reservation", config.common, INDEXES, OUTBOX_COLLECTIONS).fields(), config=config)


# a domain module: the write and its event, through the outbox
def book(ctx: Context, account_id: str, structure_id: str, activity: str) -> dict[str, Any]:
    reservation = {"_id": uuid.uuid4().hex, "account_id": account_id, "activity": activity}
    event = events.new_event(
        "reservation.created",
        account_id=account_id,
        structure_id=structure_id,
        source="reservation",
        payload={"reservation_id": reservation["_id"], "activity": activity},
    )
    ctx.outbox.insert(RESERVATIONS, reservation, event)
    return reservation


# api.py
api = Blueprint("recipe", __name__)


def ctx() -> Context:
    return current(Context)


@api.post("/v1/reservations")
@require_auth("family")
@accepts(obj({"activity": string(1, 100)}))
def create_reservation() -> Any:
    me = principal()
    return book(ctx(), me.account_id, me.structure_id, body()["activity"]), 201


# events_in.py
def seen_recorder(ctx: Context) -> Any:
    def record(event: events.AccountEvent) -> None:
        if event.type == "reservation.created":
            ctx.db[SEEN].update_one({"_id": event.event_id}, {"$set": events.payload_dict(event)}, upsert=True)

    return record


# app.py: the declaration (this one serves HTTP only: `grpc` is left out)
SERVICE = Service[Context](
    name="reservation",
    load_config=RecipeConfig.from_env,
    build=Context.build,
    blueprints=[api],
    consumers=[Consumer("seen", seen_recorder)],
)


def test_a_service_built_from_the_recipes_serves_writes_through_the_outbox_and_consumes_its_event() -> None:
    key = SigningKey()
    jwks = JwksServer(key)
    topic = unique_topic("recipe-events")
    create_event_topics(topic)
    create_topics(f"{topic}.dlq")
    settings = {
        "MONGO_URI": MONGO_URI,
        "MONGO_DB": f"recipe_{uuid.uuid4().hex[:10]}",
        # As the stack's admin: the recipe's principal has no consumer-group ACL (a new service gets its own).
        **kafka_environment(KAFKA),
        **grpc_tls_environment(LAYOUT.grpc_identity("reservation")),  # its certificate, as every service has
        "EVENTS_TOPIC": topic,
        "EVENTS_DLQ_TOPIC": f"{topic}.dlq",
        "JWKS_URL": jwks.url,
        "TOKEN_ISSUER": ISSUER,
        "TOKEN_AUDIENCE": AUDIENCE,
    }
    service = Context.build(RecipeConfig.from_env(Env(settings)))
    runtime = SERVICE.runtime(service)
    runtime.start()
    try:
        url = f"http://127.0.0.1:{runtime.http_port}/v1/reservations"
        token = key.mint(sub="fam-1", role="family", structure_id="s-1")
        refused = requests.post(url, json={"activity": ""}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert refused.status_code == 422
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        created = requests.post(
            url, json={"activity": "Centre de loisirs"}, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert created.status_code == 201, created.text
        reservation_id = created.json()["_id"]
        seen = wait_for(
            lambda: service.db[SEEN].find_one({"reservation_id": reservation_id}),
            timeout=30,
            what="the consumer saw the event the route wrote",
        )
        assert seen["activity"] == "Centre de loisirs"
        # the relay pulled the published entry off the document
        wait_for(lambda: service.db[RESERVATIONS].find_one({"_id": reservation_id})["_outbox"] == [], what="relay")
        schema = requests.get(f"http://127.0.0.1:{runtime.http_port}/openapi.json", timeout=10).json()
        assert "/v1/reservations" in schema["paths"]
    finally:
        runtime.stop()
        service.db.client.drop_database(service.db.name)
        jwks.close()
