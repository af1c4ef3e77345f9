"""Operator commands (`portal-identity purge`, `portal-identity create-agent ...`): what ops run by hand or
from a CronJob, with the service's own settings."""

from __future__ import annotations

import argparse
import json
import sys

from portal_common.problems import Problem
from portal_common.service import Command
from portal_identity import accounts, store
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


def disable_agent(ctx: Context, args: argparse.Namespace) -> int:
    account = store.find_by_login(ctx.db, args.login)
    if account is None or account["role"] != "agent":
        print(f"identity: aucun agent n'a l'identifiant {args.login}.", file=sys.stderr)
        return 1
    try:
        accounts.disable_agent(ctx, account["_id"], structure_id=account["structure_id"], disabled_by="ops")
    except Problem as refused:
        print(f"identity: {refused.detail}", file=sys.stderr)
        return 1
    ctx.outbox.relay.publish_pending()  # type: ignore[union-attr]  # the revocations leave before exit
    print(json.dumps({"account_id": account["_id"], "status": "disabled"}))
    return 0


def _login_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--login", required=True)


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
    Command[Context](
        "disable-agent",
        "disable an agent (sessions end everywhere; the history says ops did it)",
        disable_agent,
        _login_argument,
    ),
    Command[Context]("purge", "purge accounts past their grace period, old history and sessions, then exit", purge),
    Command[Context](
        "create-agent",
        "create a structure's first agent; the activation link goes to its email",
        create_agent,
        _agent_arguments,
    ),
]
