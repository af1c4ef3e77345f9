"""`python -m portal_identity [serve|migrate|purge|create-agent]`."""

from __future__ import annotations

import argparse
import json
import sys

from pymongo.errors import PyMongoError

from portal_common.config import ConfigError
from portal_common.logs import configure_logging
from portal_common.problems import Problem
from portal_common.service import database_failed
from portal_identity import accounts
from portal_identity.app import SERVICE
from portal_identity.config import IdentityConfig
from portal_identity.context import Context
from portal_identity.housekeeping import run_purge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal-identity")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run HTTP, gRPC and the workers (default)")
    sub.add_parser("migrate", help="create indexes and exit")
    sub.add_parser("purge", help="purge accounts past their grace period, old history and sessions, then exit")
    agent = sub.add_parser("create-agent", help="create a structure's first agent and print its activation token")
    agent.add_argument("--structure", required=True)
    agent.add_argument("--login", required=True)
    agent.add_argument("--display-name", required=True)
    args = parser.parse_args(argv)

    try:
        config = IdentityConfig.from_env()
        configure_logging("identity", config.common.log_level)
        ctx = Context.build(config)
    except ConfigError as exc:
        print(f"identity: {exc}", file=sys.stderr)
        return 2
    except PyMongoError as exc:
        return database_failed("identity", config.common, exc)
    command = args.command or "serve"
    if command == "serve":
        SERVICE.runtime(ctx).serve_forever()
        return 0
    if command == "migrate":
        print("indexes ready")
    elif command == "purge":
        print(json.dumps(run_purge(ctx)))
        ctx.outbox.relay.publish_pending()  # type: ignore[union-attr]
    elif command == "create-agent":
        try:
            account, secret = accounts.create_account(
                ctx,
                structure_id=args.structure,
                login=args.login,
                contact_email=None,
                display_name=args.display_name,
                role="agent",
                created_by="ops",
            )
        except Problem as refused:  # a taken login or a malformed value: the operator reads why
            print(f"identity: {refused.detail}", file=sys.stderr)
            return 1
        ctx.outbox.relay.publish_pending()  # type: ignore[union-attr]  # the activation email goes out through the event too
        print(json.dumps({"account_id": account["_id"], "activation_token": secret}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
