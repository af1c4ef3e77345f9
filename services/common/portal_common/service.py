"""Wiring every service except identity shares: token verification with revocations, readiness."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.database import Database

from portal_common import mongo
from portal_common.auth import JwksCache, RevocationCache, RevocationListener, TokenVerifier
from portal_common.config import CommonConfig
from portal_common.http import ReadinessChecks
from portal_common.kafka_client import kafka_reachable


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
    return {"mongodb": lambda: mongo.ping(db), "kafka": lambda: kafka_reachable(common.kafka_bootstrap)}
