"""HTTP API of identity (families and agents, behind the gateway)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, request
from flask.typing import ResponseReturnValue

from portal_common.auth import InvalidToken
from portal_common.bodies import NOT_BLANK, accepts, accepts_query, body, obj, query, string
from portal_common.http import bearer_token, invalid_token
from portal_common.pagination import QUERY_PARAMETERS
from portal_common.problems import Problem
from portal_common.responses import (
    BOOLEAN,
    INSTANT,
    INTEGER,
    TEXT,
    closed,
    empty,
    extend,
    json_body,
    nullable,
    page_of,
    responds,
    restricted,
)
from portal_common.service import current
from portal_identity import accounts, activity, contact_email, reset_requests, sessions, throttle
from portal_identity.context import Context, account_view
from portal_identity.passwords import MAX_LENGTH

F = TypeVar("F", bound=Callable[..., Any])
auth_api = Blueprint("auth", __name__, url_prefix="/v1/auth")
account_api = Blueprint("account", __name__, url_prefix="/v1/account")
admin_api = Blueprint("admin", __name__, url_prefix="/v1/admin")
well_known = Blueprint("well_known", __name__)


def ctx() -> Context:
    return current(Context)


def client_ip() -> str:
    return request.remote_addr or "unknown"


def signed_in(*roles: str) -> Callable[[F], F]:
    """A valid token whose session is still live in identity's own database."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                g.principal, g.account = sessions.authenticate(ctx(), bearer_token())
            except InvalidToken:
                raise invalid_token() from None
            if roles and g.principal.role not in roles:
                raise Problem(403, "Votre profil ne permet pas cette action.")
            return view(*args, **kwargs)

        return restricted(wrapper, roles)  # type: ignore[return-value]

    return decorator


# Bounded by the schema, before any hashing: a huge "password" never reaches Argon2.
PASSWORD = string(1, MAX_LENGTH, format="password")
LOGIN = string(1, 254)
TOKEN = string(1, 200)
ACTIVITY_QUERY: list[dict[str, Any]] = [
    *QUERY_PARAMETERS,
    {
        "name": "type",
        "schema": {"type": "array", "items": {"enum": sorted(activity.LABELS)}, "maxItems": len(activity.LABELS)},
        "style": "form",
        "explode": True,
        "description": "Types d'activité à garder (répétable)",
    },
]


# ---------------------------------------------------------------------------------------------- answers

THROTTLED = "Trop d'essais depuis cette adresse : réessayer après Retry-After secondes"
CURRENT_ONE_REFUSED = "Mot de passe actuel incorrect"
LINK_REFUSED = {400: "Lien invalide ou expiré", 429: THROTTLED}
ACCOUNT = closed(
    "Account",
    account_id=TEXT,
    login={**TEXT, "description": "Identifiant de connexion, jamais modifiable"},
    login_modifiable={**BOOLEAN, "const": False},
    contact_email=nullable(TEXT),
    display_name=nullable(TEXT),
    role={"enum": ["family", "agent"]},
    structure_id=TEXT,
    status={"enum": ["pending_activation", "active", "deleted", "disabled"]},
    created_at=INSTANT,
    last_login_at=nullable(INSTANT),
    restorable_until=nullable({**INSTANT, "description": "Compte supprimé : restaurable par la structure jusque-là"}),
)
PENDING_CONTACT_EMAIL = closed("PendingContactEmail", contact_email=TEXT, expires_at=INSTANT)
MY_ACCOUNT = extend(ACCOUNT, "MyAccount", pending_contact_email=nullable(PENDING_CONTACT_EMAIL))
TOKENS = closed(
    "Tokens",
    access_token=TEXT,
    token_type={"const": "Bearer"},
    expires_in={**INTEGER, "description": "Secondes de validité du jeton d'accès"},
    refresh_token=TEXT,
    session_id=TEXT,
)
SESSION = closed(
    "Session",
    session_id=TEXT,
    current={**BOOLEAN, "description": "La session de ce jeton"},
    user_agent=nullable(TEXT),
    ip=nullable(TEXT),
    created_at=INSTANT,
    last_used_at=INSTANT,
)
ACTIVITY_ENTRY = closed(
    "ActivityEntry",
    event_id=TEXT,
    type={"enum": sorted(activity.LABELS)},
    label={**TEXT, "description": "En français, à afficher"},
    source=TEXT,
    occurred_at=INSTANT,
    details={"type": "object"},
)
ENDED_SESSIONS = closed("EndedSessions", ended_sessions=INTEGER)
STATUS_MESSAGE = closed("Accepted", status={**TEXT, "description": "En français, à afficher"})
SENT_TO = closed("LinkSent", sent_to={**TEXT, "description": "L'adresse où le lien est parti"})
JWKS = closed("Jwks", keys={"type": "array", "items": {"type": "object"}})


def no_content() -> Response:
    return Response(status=204)


# ---------------------------------------------------------------------------------------------- /v1/auth


@auth_api.post("/login")
@responds(json_body(200, TOKENS), errors={401: "Identifiant ou mot de passe incorrect", 429: THROTTLED})
@accepts(obj({"login": LOGIN, "password": PASSWORD}))
def login() -> Any:
    tokens = sessions.login(
        ctx(),
        body()["login"],
        body()["password"],
        ip=client_ip(),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return tokens.as_json()


@auth_api.post("/refresh")
@responds(json_body(200, TOKENS), errors={401: "Jeton de renouvellement invalide ou expiré"})
@accepts(obj({"refresh_token": TOKEN}))
def refresh() -> Any:
    return sessions.refresh(ctx(), body()["refresh_token"], ip=client_ip()).as_json()


@auth_api.post("/logout")
@responds(empty("Session terminée"))
@signed_in()
def logout() -> Response:
    sessions.revoke_session(ctx(), g.account, g.principal.session_id, reason="logout")
    return no_content()


@auth_api.post("/activate")
@responds(empty("Compte activé"), errors=LINK_REFUSED)
@accepts(obj({"token": TOKEN, "password": PASSWORD}))
def activate() -> Response:
    with link_attempt():
        accounts.activate(ctx(), body()["token"], body()["password"])
    return no_content()


@auth_api.post("/password-reset")
@responds(
    json_body(202, STATUS_MESSAGE, "Demande prise en compte (même réponse que le compte existe ou non)"),
    errors={429: THROTTLED},
)
@accepts(obj({"login": LOGIN}))
def password_reset() -> Any:
    # Counted per address whatever the login; the lookup happens later (reset_requests): same answer, same time.
    ctx().throttle.reserve(throttle.link_ip_key(client_ip()), ctx().throttle.link_ip_policy)
    reset_requests.submit(ctx(), body()["login"])
    return {"status": "Si ce compte existe, un e-mail de réinitialisation a été envoyé."}, 202


@auth_api.post("/password-reset/confirm")
@responds(empty("Mot de passe changé"), errors=LINK_REFUSED)
@accepts(obj({"token": TOKEN, "new_password": PASSWORD}))
def password_reset_confirm() -> Response:
    with link_attempt():
        accounts.confirm_reset(ctx(), body()["token"], body()["new_password"])
    return no_content()


@auth_api.post("/contact-email/confirm")
@responds(empty("Adresse de contact changée"), errors=LINK_REFUSED)
@accepts(obj({"token": TOKEN}))
def contact_email_confirm() -> Response:
    with link_attempt():
        contact_email.confirm(ctx(), body()["token"])
    return no_content()


@auth_api.post("/contact-email/undo")
@responds(empty("Changement annulé"), errors=LINK_REFUSED)
@accepts(obj({"token": TOKEN}))
def contact_email_undo() -> Response:
    with link_attempt():
        contact_email.undo(ctx(), body()["token"])
    return no_content()


@contextmanager
def link_attempt() -> Iterator[None]:
    """A link used from an address counts against it until it works: guessing links gets 429, not answers."""
    key, policy = throttle.link_ip_key(client_ip()), ctx().throttle.link_ip_policy
    ctx().throttle.reserve(key, policy)
    yield
    ctx().throttle.release(key, policy)


# ---------------------------------------------------------------------------------------------- /v1/account


@account_api.get("")
@responds(json_body(200, MY_ACCOUNT))
@signed_in()
def my_account() -> Any:
    view = account_view(g.account, sessions.last_login_at(ctx(), g.account["_id"]))
    return view | {"pending_contact_email": contact_email.pending(g.account, ctx().now())}


@account_api.put("/contact-email")
@responds(
    json_body(
        202,
        closed("ContactEmailChange", pending_contact_email=PENDING_CONTACT_EMAIL, message=TEXT),
        "Lien de confirmation envoyé à la nouvelle adresse",
    ),
    errors={403: CURRENT_ONE_REFUSED, 409: "Compte plus actif", 429: THROTTLED},
)
@signed_in()
@accepts(obj({"contact_email": string(3, 254), "password": PASSWORD}))
def change_contact_email() -> Any:
    pending = contact_email.request_change(ctx(), g.account, body()["contact_email"], body()["password"])
    message = (
        f"Un lien de confirmation a été envoyé à {pending['contact_email']}. Votre adresse de contact changera "
        "quand vous l'aurez ouvert."
    )
    return {"pending_contact_email": pending, "message": message}, 202


@account_api.put("/password")
@responds(
    json_body(200, ENDED_SESSIONS, "Mot de passe changé ; les autres sessions terminées"),
    errors={403: CURRENT_ONE_REFUSED, 409: "Changé en même temps ailleurs", 429: THROTTLED},
)
@signed_in()
@accepts(
    obj(
        {"current_password": PASSWORD, "new_password": PASSWORD},
        {"sign_out_other_sessions": {"type": "boolean", "default": True}},
    )
)
def change_password() -> Any:
    ended = accounts.change_password(
        ctx(),
        g.account,
        g.principal.session_id,
        body()["current_password"],
        body()["new_password"],
        sign_out_others=body().get("sign_out_other_sessions", True),
    )
    return {"ended_sessions": len(ended)}


@account_api.delete("")
@responds(
    json_body(200, closed("DeletedAccount", status={"const": "deleted"}, message=TEXT, deleted_at=INSTANT)),
    errors={429: THROTTLED},
)
@signed_in("family")
@accepts(obj({"password": PASSWORD}))
def delete_my_account() -> Any:
    account = accounts.delete_account(ctx(), g.account, body()["password"])
    return {
        "status": "deleted",
        "message": "Votre compte a été supprimé. Cette action est définitive de votre côté.",
        "deleted_at": account["deleted_at"].isoformat(),
    }


@account_api.get("/sessions")
@responds(json_body(200, closed("Sessions", items={"type": "array", "items": SESSION})))
@signed_in()
def my_sessions() -> Any:
    live = sessions.live_sessions(ctx(), g.account)
    return {"items": [sessions.session_view(s, g.principal.session_id) for s in live]}


@account_api.delete("/sessions/<hexid:session_id>")
@responds(empty("Session terminée"))
@signed_in()
def end_session(session_id: str) -> Response:
    if not sessions.revoke_session(ctx(), g.account, session_id, reason="ended_by_user"):
        raise Problem(404, "Cette session n'existe pas ou est déjà terminée.", slug="session-not-found")
    return no_content()


@account_api.post("/sessions/end-others")
@responds(json_body(200, ENDED_SESSIONS))
@signed_in()
def end_other_sessions() -> Any:
    return {"ended_sessions": sessions.end_other_sessions(ctx(), g.account, g.principal.session_id)}


def _activity_page(account_id: str, *, for_owner: bool) -> Any:
    items, next_cursor = activity.list_activity(
        ctx().db,
        account_id,
        limit=query()["limit"],
        cursor=query()["cursor"],
        types=[t for t in query()["type"] or [] if t],
        for_owner=for_owner,
    )
    return {"items": items, "next_cursor": next_cursor}


@account_api.get("/activity")
@responds(json_body(200, page_of(ACTIVITY_ENTRY, "ActivityPage")))
@signed_in()
@accepts_query(ACTIVITY_QUERY)
def my_activity() -> Any:
    return _activity_page(g.account["_id"], for_owner=True)


# ---------------------------------------------------------------------------------------------- /v1/admin


@admin_api.post("/accounts")
@responds(
    json_body(201, ACCOUNT, "Compte créé ; le lien d'activation part par e-mail"), errors={409: "Identifiant déjà pris"}
)
@signed_in("agent")
@accepts(
    obj(
        {"login": string(3, 254), "display_name": string(1, 200, pattern=NOT_BLANK)},
        {"contact_email": string(3, 254)},
    )
)
def create_family_account() -> Any:
    return _create_in_my_structure("family")


def _create_in_my_structure(role: str) -> Any:
    """An account of the signed-in agent's structure, from the request body; its activation link goes by email."""
    account = accounts.create_account(
        ctx(),
        structure_id=g.principal.structure_id,
        login=body()["login"],
        contact_email=body().get("contact_email"),
        display_name=body()["display_name"],
        role=role,
        created_by=g.principal.account_id,
    )
    return account_view(account), 201


@admin_api.get("/accounts")
@responds(json_body(200, page_of(ACCOUNT, "AccountPage")))
@signed_in("agent")
@accepts_query(
    [
        *QUERY_PARAMETERS,
        {"name": "q", "schema": string(0, 200), "description": "Texte cherché dans l'identifiant, le nom, l'e-mail"},
        {"name": "status", "schema": {"enum": list(accounts.FAMILY_STATUSES)}, "description": "Un seul statut"},
    ]
)
def search_family_accounts() -> Any:
    """The agent's structure's families (the back office's search), newest first, paginated."""
    items, next_cursor = accounts.search_families(
        ctx(),
        g.principal.structure_id,
        text=query()["q"] or "",
        status=query()["status"],
        limit=query()["limit"],
        cursor=query()["cursor"],
    )
    return {"items": [account_view(a) for a in items], "next_cursor": next_cursor}


@admin_api.get("/accounts/<account_id>")
@responds(json_body(200, ACCOUNT))
@signed_in("agent")
def get_family_account(account_id: str) -> Any:
    account = accounts.get_for_structure(ctx(), account_id, g.principal.structure_id, role="family")
    return account_view(account, sessions.last_login_at(ctx(), account_id))


@admin_api.post("/accounts/<account_id>/restore")
@responds(
    json_body(200, ACCOUNT, "Compte restauré"),
    errors={409: "Compte pas supprimé, ou changé en même temps", 410: "Délai de restauration dépassé"},
)
@signed_in("agent")
def restore_account(account_id: str) -> Any:
    account = accounts.restore_account(
        ctx(), account_id, structure_id=g.principal.structure_id, restored_by=g.principal.account_id
    )
    return account_view(account)


@admin_api.post("/accounts/<account_id>/password-reset")
@responds(json_body(202, SENT_TO), errors={409: "Compte plus actif"})
@signed_in("agent")
def send_family_reset(account_id: str) -> Any:
    account = accounts.reset_for_family(ctx(), account_id, structure_id=g.principal.structure_id)
    return {"sent_to": account.get("contact_email") or account["login"]}, 202


@admin_api.post("/accounts/<account_id>/activation")
@responds(json_body(202, SENT_TO), errors={409: "Compte déjà activé"})
@signed_in("agent")
def resend_family_activation(account_id: str) -> Any:
    account = accounts.resend_activation(
        ctx(), account_id, structure_id=g.principal.structure_id, resent_by=g.principal.account_id
    )
    return {"sent_to": account.get("contact_email") or account["login"]}, 202


@admin_api.get("/accounts/<account_id>/activity")
@responds(json_body(200, page_of(ACTIVITY_ENTRY, "ActivityPage")))
@signed_in("agent")
@accepts_query(ACTIVITY_QUERY)
def family_activity(account_id: str) -> Any:
    # Families only: an agent does not read other agents' activity.
    accounts.get_for_structure(ctx(), account_id, g.principal.structure_id, role="family")
    return _activity_page(account_id, for_owner=False)


@admin_api.get("/agents")
@responds(json_body(200, page_of(ACCOUNT, "AccountPage")))
@signed_in("agent")
@accepts_query(QUERY_PARAMETERS)
def list_agents() -> Any:
    """The agent's structure's agents (the back office's colleagues page), newest first."""
    items, next_cursor = accounts.agents_of(
        ctx(), g.principal.structure_id, limit=query()["limit"], cursor=query()["cursor"]
    )
    return {"items": [account_view(a) for a in items], "next_cursor": next_cursor}


@admin_api.post("/agents")
@responds(
    json_body(201, ACCOUNT, "Agent créé ; le lien d'activation part par e-mail"), errors={409: "Identifiant déjà pris"}
)
@signed_in("agent")
@accepts(obj({"login": string(3, 254), "display_name": string(1, 200, pattern=NOT_BLANK)}))
def create_agent_account() -> Any:
    """A colleague for the structure; only an agent makes one."""
    return _create_in_my_structure("agent")


@admin_api.post("/agents/<account_id>/disable")
@responds(json_body(200, ACCOUNT, "Agent désactivé"), errors={409: "Soi-même, ou déjà désactivé"})
@signed_in("agent")
def disable_agent(account_id: str) -> Any:
    account = accounts.disable_agent(
        ctx(), account_id, structure_id=g.principal.structure_id, disabled_by=g.principal.account_id
    )
    return account_view(account)


# ---------------------------------------------------------------------------------------------- JWKS


@well_known.get("/.well-known/jwks.json")
@responds(json_body(200, JWKS, "Clés publiques de signature des jetons"))
def jwks() -> ResponseReturnValue:
    keys = ctx().keys
    response = current_app.json.response(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
