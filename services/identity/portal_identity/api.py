"""HTTP API of identity (families and agents, behind the gateway)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, request

from portal_common.auth import InvalidToken, TokenVerifier
from portal_common.http import bearer_token, invalid_token, json_body, string_field
from portal_common.pagination import parse_limit
from portal_common.problems import Problem
from portal_identity import accounts, activity, sessions
from portal_identity.context import Context, account_view
from portal_identity.keys import KeyStore
from portal_identity.passwords import MAX_LENGTH

F = TypeVar("F", bound=Callable[..., Any])
auth_api = Blueprint("auth", __name__, url_prefix="/v1/auth")
account_api = Blueprint("account", __name__, url_prefix="/v1/account")
admin_api = Blueprint("admin", __name__, url_prefix="/v1/admin")
well_known = Blueprint("well_known", __name__)


def ctx() -> Context:
    return current_app.extensions["identity.context"]


def client_ip() -> str:
    return request.remote_addr or "unknown"


def signed_in(*roles: str) -> Callable[[F], F]:
    """A valid token whose session is still live in identity's own database."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verifier: TokenVerifier = current_app.extensions["portal.verifier"]
            try:
                g.principal, g.account = sessions.authenticate(ctx(), verifier, bearer_token())
            except InvalidToken:
                raise invalid_token() from None
            if roles and g.principal.role not in roles:
                raise Problem(403, "Votre profil ne permet pas cette action.")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def password_field(data: dict[str, Any], name: str) -> str:
    # Bounded before any hashing: a huge "password" never reaches Argon2.
    return string_field(data, name, min_length=1, max_length=MAX_LENGTH)


def bool_field(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise Problem(422, f"Le champ {name} doit être un booléen.", fields=[name])
    return value


def no_content() -> Response:
    return Response(status=204)


# ---------------------------------------------------------------------------------------------- /v1/auth


@auth_api.post("/login")
def login() -> Any:
    data = json_body(required={"login", "password"})
    tokens = sessions.login(
        ctx(),
        string_field(data, "login", min_length=1, max_length=254),
        password_field(data, "password"),
        ip=client_ip(),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return tokens.as_json()


@auth_api.post("/refresh")
def refresh() -> Any:
    data = json_body(required={"refresh_token"})
    return sessions.refresh(
        ctx(), string_field(data, "refresh_token", min_length=1, max_length=200), ip=client_ip()
    ).as_json()


@auth_api.post("/logout")
@signed_in()
def logout() -> Response:
    sessions.revoke_session(ctx(), g.account, g.principal.session_id, reason="logout")
    return no_content()


@auth_api.post("/activate")
def activate() -> Response:
    data = json_body(required={"token", "password"})
    accounts.activate(
        ctx(), string_field(data, "token", min_length=1, max_length=200), password_field(data, "password")
    )
    return no_content()


@auth_api.post("/password-reset")
def password_reset() -> Any:
    data = json_body(required={"login"})
    accounts.request_reset(ctx(), string_field(data, "login", min_length=1, max_length=254))
    return {"status": "Si ce compte existe, un e-mail de réinitialisation a été envoyé."}, 202


@auth_api.post("/password-reset/confirm")
def password_reset_confirm() -> Response:
    data = json_body(required={"token", "new_password"})
    accounts.confirm_reset(
        ctx(), string_field(data, "token", min_length=1, max_length=200), password_field(data, "new_password")
    )
    return no_content()


# ---------------------------------------------------------------------------------------------- /v1/account


@account_api.get("")
@signed_in()
def my_account() -> Any:
    return account_view(g.account, sessions.last_login_at(ctx(), g.account["_id"]))


@account_api.put("/password")
@signed_in()
def change_password() -> Any:
    data = json_body(required={"current_password", "new_password"}, optional={"sign_out_other_sessions"})
    ended = accounts.change_password(
        ctx(),
        g.account,
        g.principal.session_id,
        password_field(data, "current_password"),
        password_field(data, "new_password"),
        sign_out_others=bool_field(data, "sign_out_other_sessions", True),
    )
    return {"ended_sessions": len(ended)}


@account_api.delete("")
@signed_in("family")
def delete_my_account() -> Any:
    data = json_body(required={"password"})
    account = accounts.delete_account(ctx(), g.account, password_field(data, "password"))
    return {
        "status": "deleted",
        "message": "Votre compte a été supprimé. Cette action est définitive de votre côté.",
        "deleted_at": account["deleted_at"].isoformat(),
    }


@account_api.get("/sessions")
@signed_in()
def my_sessions() -> Any:
    live = sessions.live_sessions(ctx(), g.account)
    return {"items": [sessions.session_view(s, g.principal.session_id) for s in live]}


@account_api.delete("/sessions/<session_id>")
@signed_in()
def end_session(session_id: str) -> Response:
    if not sessions.revoke_session(ctx(), g.account, session_id, reason="ended_by_user"):
        raise Problem(404, "Cette session n'existe pas ou est déjà terminée.", slug="session-not-found")
    return no_content()


@account_api.post("/sessions/end-others")
@signed_in()
def end_other_sessions() -> Any:
    return {"ended_sessions": sessions.end_other_sessions(ctx(), g.account, g.principal.session_id)}


def _activity_page(account_id: str) -> Any:
    items, next_cursor = activity.list_activity(
        ctx().db,
        account_id,
        limit=parse_limit(request.args.get("limit")),
        cursor=request.args.get("cursor"),
        types=[t for t in request.args.getlist("type") if t],
    )
    return {"items": items, "next_cursor": next_cursor}


@account_api.get("/activity")
@signed_in()
def my_activity() -> Any:
    return _activity_page(g.account["_id"])


# ---------------------------------------------------------------------------------------------- /v1/admin


@admin_api.post("/accounts")
@signed_in("agent")
def create_family_account() -> Any:
    data = json_body(required={"login", "display_name"}, optional={"contact_email"})
    contact = data.get("contact_email")
    account, _ = accounts.create_account(
        ctx(),
        structure_id=g.principal.structure_id,
        login=string_field(data, "login", min_length=3, max_length=254),
        contact_email=string_field(data, "contact_email", min_length=3, max_length=254)
        if contact is not None
        else None,
        display_name=string_field(data, "display_name", min_length=1, max_length=200),
        role="family",
        created_by=g.principal.account_id,
    )
    return account_view(account), 201


@admin_api.get("/accounts/<account_id>")
@signed_in("agent")
def get_family_account(account_id: str) -> Any:
    account = accounts.get_for_structure(ctx(), account_id, g.principal.structure_id)
    return account_view(account, sessions.last_login_at(ctx(), account_id))


@admin_api.post("/accounts/<account_id>/restore")
@signed_in("agent")
def restore_account(account_id: str) -> Any:
    account = accounts.restore_account(
        ctx(), account_id, structure_id=g.principal.structure_id, restored_by=g.principal.account_id
    )
    return account_view(account)


@admin_api.get("/accounts/<account_id>/activity")
@signed_in("agent")
def family_activity(account_id: str) -> Any:
    accounts.get_for_structure(ctx(), account_id, g.principal.structure_id)
    return _activity_page(account_id)


# ---------------------------------------------------------------------------------------------- JWKS


@well_known.get("/.well-known/jwks.json")
def jwks() -> Response:
    keys: KeyStore = current_app.extensions["identity.keys"]
    response = current_app.json.response(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
