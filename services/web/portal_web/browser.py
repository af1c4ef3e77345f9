"""The browser side of every request: its server-side session (from the cookie), CSRF on every form, the
signed-in user's API client, and the headers that keep pages from being framed, cached or scripted."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Response, abort, g, redirect, request, url_for

from portal_web.api import ApiError, UserApi
from portal_web.context import ctx
from portal_web.sessions import BrowserSession

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Scripts and styles only from the portal itself, no inline code, never inside a frame.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def cookie_name() -> str:
    # __Host-: only ever set by this origin over HTTPS, for every path (a sibling subdomain cannot plant one).
    return "__Host-portal" if ctx().config.secure_cookies else "portal"


def load() -> None:
    """before_request: the session of the cookie, if it is still live."""
    cookie = request.cookies.get(cookie_name(), "")
    g.browser = ctx().store.load(cookie) if cookie else None
    g.new_cookie = None


def browser() -> BrowserSession:
    """This browser's session, started (anonymous) if it has none: a form needs its CSRF token."""
    if g.get("browser") is None:
        g.browser = ctx().store.new()
        g.new_cookie = g.browser.cookie
    found: BrowserSession = g.browser
    return found


def start_signed_in(session: BrowserSession) -> None:
    """Sign-in: the session gets a new id, so a cookie someone planted before is worth nothing now."""
    g.browser = session
    g.new_cookie = session.cookie


def end() -> None:
    """Sign-out: the server forgets the session and the browser its cookie."""
    if g.get("browser") is not None:
        ctx().store.delete(g.browser)
    g.browser = None
    g.new_cookie = ""


def flash(message: str) -> None:
    session = browser()
    session.flashes.append(message)
    ctx().store.save(session)


def take_flashes() -> list[str]:
    session = g.get("browser")
    if session is None or not session.flashes:
        return []
    messages, session.flashes = session.flashes, []
    ctx().store.save(session)
    return messages


def act(action: Callable[[], T], outcome: Callable[[T], str], back: str) -> Any:
    """A button's work on a service, then back to the page `back` with what happened, or the service's refusal in
    its own words (the next page shows either)."""
    try:
        flash(outcome(action()))
    except ApiError as error:
        flash(error.message)
    return redirect(back, code=303)


def page_params(limit: int) -> dict[str, str | int]:
    """A list page's API parameters: its size, and where the page the person asked for starts (`?suite=`)."""
    params: dict[str, str | int] = {"limit": limit}
    if cursor := request.args.get("suite", ""):
        params["cursor"] = cursor
    return params


def check_csrf() -> None:
    """before_request: a form posted here carries the token of this browser's session (or nothing happens)."""
    if request.method not in UNSAFE_METHODS or request.endpoint in (None, "static"):
        return
    session = g.get("browser")
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
    if session is None or not sent or not hmac.compare_digest(sent, session.csrf_token):
        abort(400, description="csrf")


def user_api() -> UserApi:
    session = g.browser
    return UserApi(
        ctx().api,
        ctx().store,
        session,
        client_ip=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", ""),
    )


def signed_in(*roles: str) -> Callable[[F], F]:
    """A page for a signed-in user (of one of `roles`); anyone else is sent to sign in, then brought back."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            session = g.get("browser")
            if session is None or not session.signed_in:
                return redirect(url_for("auth.sign_in", suite=request.full_path.rstrip("?")))
            if roles and session.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def local_path(target: str | None, default: str = "/") -> str:
    """Where to go after signing in: only a path of this site (never //elsewhere or https://elsewhere)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def finish(response: Response) -> Response:
    """after_request: the cookie (set, renewed or cleared) and the headers of a page."""
    cookie = g.get("new_cookie")
    secure = ctx().config.secure_cookies
    if cookie:
        response.set_cookie(cookie_name(), cookie, httponly=True, secure=secure, samesite="Lax", path="/")
    elif cookie == "":
        response.delete_cookie(cookie_name(), httponly=True, secure=secure, samesite="Lax", path="/")
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response
