"""Operator commands (`portal-identity purge`, `portal-identity create-agent ...`): what ops run by hand or
from a CronJob, with the service's own settings."""

from __future__ import annotations

import argparse
import json
import sys

from portal_common.problems import Problem
from portal_common.service import Command
from portal_identity import accounts
from portal_identity.context import Context
from portal_identity.housekeeping import run_purge


def purge(ctx: Context, args: argparse.Namespace) -> int:
    print(json.dumps(run_purge(ctx)))
    ctx.outbox.relay.publish_pending()  # type: ignore[union-attr]  # the purge events leave before exit
    return 0


def create_agent(ctx: Context, args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        account = accounts.create_account(
            ctx,
            structure_id=args.structure,
            login=args.login,
            contact_email=None,
            display_name=args.display_name,
            role="agent",
            created_by="ops",
            password=password,
        )
    except Problem as refused:  # a taken login or a malformed value: the operator reads why
        print(f"identity: {refused.detail}", file=sys.stderr)
        return 1
    ctx.outbox.relay.publish_pending()  # type: ignore[union-attr]  # the activation email goes out through the event
    # No secret printed (terminals and job logs keep it): the agent activates from the email.
    if password is not None:
        print(json.dumps({"account_id": account["_id"], "status": "active"}))
    else:
        print(json.dumps({"account_id": account["_id"], "activation_email_to": account["contact_email"]}))
    return 0


def _agent_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--structure", required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--display-name", required=True)
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from stdin: active at once, no activation email (an account a deployment uses)",
    )


COMMANDS = [
    Command[Context]("purge", "purge accounts past their grace period, old history and sessions, then exit", purge),
    Command[Context](
        "create-agent",
        "create a structure's first agent; the activation link goes to its email",
        create_agent,
        _agent_arguments,
    ),
]
