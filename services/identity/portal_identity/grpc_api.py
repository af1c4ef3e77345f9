"""gRPC `portal.identity.v1.IdentityService`, for other back-end services (no end-user tokens: callers prove
who they are with their certificate, CALLERS says who may call what; every call is scoped by `structure_id`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import grpc

from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal_common.auth import InvalidToken
from portal_common.grpc_server import translate_problems
from portal_common.grpc_tls import BACK_OFFICE
from portal_common.pagination import parse_limit
from portal_common.problems import Problem
from portal_identity import accounts, activity, links, sessions
from portal_identity.context import Context

# Who may call each method: caller identities, the common names of their certificates (grpc_tls).
CALLERS = {
    "GetAccount": [BACK_OFFICE],
    "CreateAccount": [BACK_OFFICE],  # families only: agents come from an agent or the ops command
    "RestoreAccount": [BACK_OFFICE],
    "CheckSession": [BACK_OFFICE],
    "ListActivity": [BACK_OFFICE],
    "IssueLink": ["notification"],  # the one service that mails the links (ADR 6)
}

STATUSES = {
    "pending_activation": identity_pb2.ACCOUNT_STATUS_PENDING_ACTIVATION,
    "active": identity_pb2.ACCOUNT_STATUS_ACTIVE,
    "deleted": identity_pb2.ACCOUNT_STATUS_DELETED,
    "purged": identity_pb2.ACCOUNT_STATUS_PURGED,
    "disabled": identity_pb2.ACCOUNT_STATUS_DISABLED,
}


def _set_time(message: Any, field: str, value: datetime | None) -> None:
    if value is not None:
        getattr(message, field).FromDatetime(value)


def to_message(account: dict[str, Any], last_login_at: datetime | None = None) -> identity_pb2.Account:
    message = identity_pb2.Account(
        account_id=account["_id"],
        login=account["login"],
        contact_email=account.get("contact_email") or "",
        display_name=account.get("display_name") or "",
        role=account["role"],
        structure_id=account["structure_id"],
        status=STATUSES[account["status"]],
    )
    _set_time(message, "created_at", account.get("created_at"))
    _set_time(message, "last_login_at", last_login_at)
    if account["status"] == "deleted":
        _set_time(message, "restorable_until", account.get("restorable_until"))
    return message


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @translate_problems
    def GetAccount(self, request: Any, context: grpc.ServicerContext) -> Any:
        account = accounts.get_for_structure(self.ctx, request.account_id, request.structure_id)
        return to_message(account, sessions.last_login_at(self.ctx, account["_id"]))

    @translate_problems
    def CreateAccount(self, request: Any, context: grpc.ServicerContext) -> Any:
        if request.role == "agent":  # agents come from ops or from an agent of the structure, over HTTP
            raise Problem(403, "CreateAccount ne crée que des comptes famille.", slug="agents-not-created-here")
        account = accounts.create_account(
            self.ctx,
            structure_id=request.structure_id,
            login=request.login,
            contact_email=request.contact_email or None,
            display_name=request.display_name,
            role=request.role or "family",
            created_by=request.created_by or "service",
        )
        return identity_pb2.CreateAccountResponse(account=to_message(account))

    @translate_problems
    def RestoreAccount(self, request: Any, context: grpc.ServicerContext) -> Any:
        account = accounts.restore_account(
            self.ctx,
            request.account_id,
            structure_id=request.structure_id,
            restored_by=request.restored_by or "service",
        )
        return to_message(account)

    @translate_problems
    def IssueLink(self, request: Any, context: grpc.ServicerContext) -> Any:
        link = links.issue(self.ctx, request.event_id)
        response = identity_pb2.IssueLinkResponse(purpose=link.purpose, token=link.token)
        response.expires_at.FromDatetime(link.expires_at)
        return response

    def CheckSession(self, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            principal, _ = sessions.authenticate(self.ctx, request.access_token)
        except InvalidToken:
            return identity_pb2.CheckSessionResponse(active=False)
        return identity_pb2.CheckSessionResponse(
            active=True,
            account_id=principal.account_id,
            session_id=principal.session_id,
            role=principal.role,
            structure_id=principal.structure_id,
        )

    @translate_problems
    def ListActivity(self, request: Any, context: grpc.ServicerContext) -> Any:
        accounts.get_for_structure(self.ctx, request.account_id, request.structure_id)
        if request.limit < 0:
            raise Problem(400, "limit doit être positif.")
        items, next_cursor = activity.list_activity(
            self.ctx.db,
            request.account_id,
            limit=parse_limit(str(request.limit) if request.limit else None),
            cursor=request.cursor or None,
            types=list(request.types),
            for_owner=False,  # a structure's view
        )
        response = identity_pb2.ListActivityResponse(next_cursor=next_cursor or "")
        for item in items:
            entry = response.entries.add(
                event_id=item["event_id"], type=item["type"], label=item["label"], source=item["source"]
            )
            entry.occurred_at.FromDatetime(datetime.fromisoformat(item["occurred_at"]))
        return response
