"""The services' public HTTP APIs, called with the signed-in user's token, as any gateway consumer would.

Errors come back as RFC 9457 problems with a French title and detail: `ApiError` carries them (and the fields
at fault) to the page, which shows the same words next to the form."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from flask import Response, stream_with_context
from requests.adapters import HTTPAdapter

from portal_web.sessions import BrowserSession, SessionStore, Tokens

log = logging.getLogger(__name__)

IDENTITY, BILLING, DOCUMENTS, NOTIFICATION = "identity", "billing-statement", "document-store", "notification"
_REFRESH_BEFORE = timedelta(seconds=30)  # an access token this close to its end is renewed before the call


@dataclass
class ApiError(Exception):
    status: int
    title: str
    detail: str = ""
    fields: list[str] = field(default_factory=list)
    retry_after: int | None = None
    slug: str = ""  # the last part of the problem's type: which refusal it is, for the page to react to

    @property
    def message(self) -> str:
        return self.detail or self.title

    @classmethod
    def from_response(cls, response: requests.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        retry = response.headers.get("Retry-After", "")
        return cls(
            status=response.status_code,
            title=str(body.get("title") or "Le service a refusé la demande."),
            detail=str(body.get("detail") or ""),
            fields=[str(f) for f in body.get("fields", []) if isinstance(f, str)],
            retry_after=int(retry) if retry.isdigit() else None,
            slug=str(body.get("type") or "").rstrip("/").rpartition("/")[2],
        )


def relayed(answer: requests.Response, mimetype: str, disposition: str) -> Response:
    """A file a service streams (`stream=True`), passed on to the browser as it comes, with its length."""
    response = Response(stream_with_context(answer.iter_content(64 * 1024)), mimetype=mimetype)
    response.headers["Content-Disposition"] = disposition
    for header in ("Content-Length", "ETag"):
        if header in answer.headers:
            response.headers[header] = answer.headers[header]
    return response


class ServiceUnavailable(Exception):
    """A service did not answer: the page says so, nothing is lost (the user tries again)."""


class SignedOut(Exception):
    """The user's tokens no longer work (session ended elsewhere, password changed, account deleted)."""


class Api:
    """One connection pool per service; every call names its service and its public path."""

    def __init__(self, urls: Mapping[str, str], *, timeout_s: float, pool_size: int = 8) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.timeout_s = timeout_s
        self.http = requests.Session()
        adapter = HTTPAdapter(pool_connections=len(urls), pool_maxsize=pool_size)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        client_ip: str | None = None,
        user_agent: str | None = None,
        stream: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if client_ip:  # the services throttle and record the family's address, not this pod's
            headers["X-Forwarded-For"] = client_ip
        if user_agent:  # "where I am signed in" names the browser
            headers["User-Agent"] = user_agent[:300]
        try:
            response = self.http.request(
                method, self.urls[service] + path, headers=headers, timeout=self.timeout_s, stream=stream, **kwargs
            )
        except requests.RequestException as exc:
            log.warning("%s %s on %s failed: %s", method, path, service, type(exc).__name__)
            raise ServiceUnavailable(service) from exc
        if response.status_code >= 500:
            log.warning("%s %s on %s answered %s", method, path, service, response.status_code)
            raise ServiceUnavailable(service)
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    def tokens(self, body: dict[str, Any]) -> Tokens:
        """Identity's answer to a sign-in or a refresh."""
        expires = datetime.now(UTC) + timedelta(seconds=int(body["expires_in"]))
        return Tokens(body["access_token"], body["refresh_token"], expires)


class UserApi:
    """The APIs as the signed-in user of one browser session: renews the access token when it is about to end
    (or was refused), and stores the renewed pair."""

    def __init__(
        self, api: Api, store: SessionStore, session: BrowserSession, *, client_ip: str, user_agent: str
    ) -> None:
        self.api, self.store, self.session = api, store, session
        self.client_ip, self.user_agent = client_ip, user_agent

    def call(self, service: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        tokens = self.session.tokens
        if tokens is None:
            raise SignedOut()
        if tokens.access_expires_at - _REFRESH_BEFORE <= datetime.now(UTC):
            tokens = self.refresh()
        try:
            return self._call(service, method, path, tokens, **kwargs)
        except ApiError as error:
            if error.status != 401:
                raise
        return self._call(service, method, path, self.refresh(), **kwargs)

    def json(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(service, method, path, **kwargs)
        return response.json() if response.content else None

    def _call(self, service: str, method: str, path: str, tokens: Tokens, **kwargs: Any) -> requests.Response:
        return self.api.call(
            service,
            method,
            path,
            token=tokens.access_token,
            client_ip=self.client_ip,
            user_agent=self.user_agent,
            **kwargs,
        )

    def refresh(self) -> Tokens:
        assert self.session.tokens is not None
        try:
            response = self.api.call(
                IDENTITY,
                "POST",
                "/v1/auth/refresh",
                json={"refresh_token": self.session.tokens.refresh_token},
                client_ip=self.client_ip,
                user_agent=self.user_agent,
            )
        except ApiError as error:
            raise SignedOut() from error
        self.session.tokens = self.api.tokens(response.json())
        self.store.save(self.session)
        return self.session.tokens
