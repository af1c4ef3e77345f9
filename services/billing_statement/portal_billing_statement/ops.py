"""Operator command (`portal-billing-statement yearly-certificates --year 2025`): January's certificates by hand,
for one year, with the service's own settings (the worker does the same, a few families a minute)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from portal_billing_statement import certificates
from portal_billing_statement.context import Context
from portal_common.service import Command


def yearly_certificates(ctx: Context, args: argparse.Namespace) -> int:
    result = certificates.run(ctx.statements, args.year, args.limit)
    ctx.outbox.relay.publish_pending()  # type: ignore[union-attr]  # the notifications' events leave before exit
    print(json.dumps(result))
    return 0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, default=datetime.now(UTC).year - 1)
    parser.add_argument("--limit", type=int, default=1_000_000, help="families at most in this run")


COMMANDS = [
    Command[Context](
        "yearly-certificates",
        "make the year's statement of each family with period-billed childcare, and notify it (idempotent)",
        yearly_certificates,
        _arguments,
    )
]
