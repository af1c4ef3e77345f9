"""identity, declared: its routes, its gRPC servicer, what it consumes, its housekeeping worker and its
operator commands."""

from __future__ import annotations

from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal_common.runtime import periodic
from portal_common.service import Consumer, GrpcApi, Service
from portal_identity import api, events_in, link_pages, ops, reset_requests
from portal_identity.config import IdentityConfig
from portal_identity.context import NAME, Context
from portal_identity.grpc_api import CALLERS, IdentityServicer
from portal_identity.housekeeping import run_purge

SERVICE = Service[Context](
    name=NAME,
    load_config=IdentityConfig.from_env,
    build=Context.build,
    blueprints=[api.auth_api, api.account_api, api.admin_api, api.well_known, link_pages.link_pages],
    max_request_bytes=lambda ctx: min(ctx.common.max_request_bytes, 64 * 1024),
    grpc=GrpcApi.of(identity_pb2_grpc, identity_pb2, "IdentityService", IdentityServicer, CALLERS),
    consumers=[
        Consumer(
            "activity",
            events_in.activity_recorder,
            dedupe=False,  # history entries are inserted under the event id: a redelivery is a no-op
            # A history entry may appear half a second later: fetches then carry several events,
            # and the consumer does far fewer round trips and commits per event under load.
            overrides={"fetch_min_bytes": 64 * 1024, "fetch_max_wait_ms": 500},
        )
    ],
    workers=lambda ctx: {
        "housekeeping": periodic(lambda: run_purge(ctx), ctx.config.housekeeping_interval_seconds),
        "reset-requests": lambda stop: reset_requests.worker(ctx, stop),
    },
    commands=ops.COMMANDS,
)
