"""billing-statement, declared: its routes, its gRPC servicer, what it consumes, its January worker and its
operator command."""

from __future__ import annotations

from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal_billing_statement import api, certificates, events_in, ops
from portal_billing_statement.config import BillingConfig
from portal_billing_statement.context import NAME, Context
from portal_billing_statement.grpc_api import CALLERS, BillingServicer
from portal_common.runtime import periodic
from portal_common.service import Consumer, GrpcApi, Service

SERVICE = Service[Context](
    name=NAME,
    load_config=BillingConfig.from_env,
    build=Context.build,
    blueprints=[api.api],
    grpc=GrpcApi.of(billing_pb2_grpc, billing_pb2, "BillingService", BillingServicer, CALLERS),
    consumers=[Consumer("accounts", events_in.accounts)],
    workers=lambda ctx: {
        "yearly-certificates": periodic(
            lambda: certificates.january(ctx.statements, ctx.config.certificates_per_run),
            ctx.config.certificate_interval_s,
        )
    },
    commands=ops.COMMANDS,
)
