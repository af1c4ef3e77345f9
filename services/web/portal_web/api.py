"""The services' public HTTP APIs, called with the signed-in user's token through the client generated from their
OpenAPI document (portal_api_client, `make openapi`), as any gateway consumer would call them.

A call names its service and a generated operation (`my_account.sync_detailed`); it answers the operation's model
(`MyAccount`, `Statement`, ...), or raises: `ApiError` for a refusal (the service's French problem, with the fields
at fault, which the page shows next to the form), `ServiceUnavailable` when the service does not answer as its
document says."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any, TypeVar

import httpx
from flask import Response, stream_with_context
from portal_api_client import Client
from portal_api_client.api.auth import refresh
from portal_api_client.errors import UnexpectedStatus
from portal_api_client.models import Problem, RefreshBody
from portal_api_client.models import Tokens as IssuedTokens
from portal_api_client.types import Response as Answer

from portal_common.logs import request_id_var
from portal_web.sessions import BrowserSession, SessionStore, Tokens

log = logging.getLogger(__name__)

IDENTITY, BILLING, DOCUMENTS, NOTIFICATION = "identity", "billing-statement", "document-store", "notification"
SAFE_METHODS = frozenset({"GET", "HEAD"})
_REFRESH_BEFORE = timedelta(seconds=30)  # an access token this close to its end is renewed before the call
T = TypeVar("T")
Operation = Callable[..., Answer[T | Problem]]  # a generated operation's `sync_detailed`: its model, or a refusal


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
    def of(cls, status: int, problem: Problem | None, headers: Mapping[str, str]) -> ApiError:
        retry = headers.get("Retry-After", "")
        if problem is None:
            return cls(status, "Le service a refusé la demande.")
        return cls(
            status=status,
            title=problem.title,
            detail=problem.detail or "",
            fields=list(problem.fields or []),
            retry_after=int(retry) if retry.isdigit() else None,
            slug=problem.type_.rstrip("/").rpartition("/")[2],
        )


def relayed(answer: httpx.Response, mimetype: str, disposition: str) -> Response:
    """A file a service streams (`UserApi.stream`), passed on to the browser as it comes, with its length."""

    def chunks() -> Iterator[bytes]:
        try:
            yield from answer.iter_bytes(64 * 1024)
        finally:
            answer.close()

    response = Response(stream_with_context(chunks()), mimetype=mimetype)
    response.headers["Content-Disposition"] = disposition
    for header in ("Content-Length", "ETag"):
        if header in answer.headers:
            response.headers[header] = answer.headers[header]
    return response


class ServiceUnavailable(Exception):
    """A service did not answer (or not as its document says): the page says so, nothing is lost."""


class SignedOut(Exception):
    """The user's tokens no longer work (session ended elsewhere, password changed, account deleted)."""


class ReadsResentTransport(httpx.HTTPTransport):
    """A pool's transport that sends a read (GET, HEAD) once more, on another connection, when the connection it
    went on failed before any answer: a service pod that stops during a rollout closes its kept-alive connections,
    and one can close just as a request leaves on it (the 503 a family saw once mid-upgrade). A change (POST, PUT,
    PATCH, DELETE) is never sent twice: the service may have acted on it."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            if request.method not in SAFE_METHODS:
                raise
            log.info("%s %s: connection lost (%s), sent again", request.method, request.url.path, type(exc).__name__)
            return super().handle_request(request)


class Api:
    """One connection pool per service (an httpx transport), shared by every call to it."""

    def __init__(self, urls: Mapping[str, str], *, timeout_s: float, pool_size: int = 8) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.timeout = httpx.Timeout(timeout_s)
        limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
        self.transports = {name: ReadsResentTransport(limits=limits) for name in urls}

    def http(self, service: str, headers: Mapping[str, str]) -> httpx.Client:
        """A client with this call's headers on the service's shared pool (never closed: the pool lives on)."""
        return httpx.Client(
            base_url=self.urls[service],
            headers=dict(headers),
            timeout=self.timeout,
            transport=self.transports[service],
            trust_env=False,
        )

    def run(self, service: str, operation: Operation[T], *, headers: Mapping[str, str], **arguments: Any) -> T:
        """The operation's answer, parsed into its model (None for a 204)."""
        client = Client(base_url=self.urls[service], raise_on_unexpected_status=True)
        client.set_httpx_client(self.http(service, headers))
        name = getattr(operation, "__module__", "?").rpartition(".")[2]
        try:
            answer = operation(client=client, **arguments)
        except httpx.HTTPError as exc:
            log.warning("%s on %s failed: %s", name, service, type(exc).__name__)
            raise ServiceUnavailable(service) from exc
        except UnexpectedStatus as exc:  # an answer its document does not list: a fault of the service
            log.warning("%s on %s answered an undocumented %s", name, service, exc.status_code)
            raise ServiceUnavailable(service) from exc
        if answer.status_code >= 500:
            log.warning("%s on %s answered %s", name, service, int(answer.status_code))
            raise ServiceUnavailable(service)
        if answer.status_code >= 400:
            problem = answer.parsed if isinstance(answer.parsed, Problem) else None
            raise ApiError.of(int(answer.status_code), problem, answer.headers)
        return answer.parsed  # type: ignore[return-value]  # a Problem came with a status >= 400

    def stream(
        self, service: str, operation: ModuleType, *, headers: Mapping[str, str], **arguments: Any
    ) -> httpx.Response:
        """A file operation's answer, unread (the caller relays it and closes it): the generated operation reads
        whole files into memory, so only its request is taken from it."""
        request = operation._get_kwargs(**arguments)
        http = self.http(service, headers)
        try:
            answer = http.send(http.build_request(**request), stream=True)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(service) from exc
        if answer.status_code >= 400:
            answer.read()
            answer.close()
            if answer.status_code >= 500:
                raise ServiceUnavailable(service)
            try:
                problem = Problem.from_dict(answer.json())
            except (ValueError, KeyError, TypeError):
                problem = None
            raise ApiError.of(answer.status_code, problem, answer.headers)
        return answer

    @staticmethod
    def headers(
        token: str | None = None, client_ip: str | None = None, user_agent: str | None = None
    ) -> dict[str, str]:
        found = {}
        request_id = request_id_var.get()
        if request_id:  # the service logs the call under the page's request id: one id follows a page end to end
            found["X-Request-ID"] = request_id
        if token:
            found["Authorization"] = f"Bearer {token}"
        if client_ip:  # the services throttle and record the family's address, not this pod's
            found["X-Forwarded-For"] = client_ip
        if user_agent:  # "where I am signed in" names the browser
            found["User-Agent"] = user_agent[:300]
        return found

    def tokens(self, issued: IssuedTokens) -> Tokens:
        """Identity's answer to a sign-in or a refresh, as the session keeps it."""
        expires = datetime.now(UTC) + timedelta(seconds=issued.expires_in)
        return Tokens(issued.access_token, issued.refresh_token, expires)


class UserApi:
    """The APIs as the signed-in user of one browser session: renews the access token when it is about to end
    (or was refused), and stores the renewed pair."""

    def __init__(
        self, api: Api, store: SessionStore, session: BrowserSession, *, client_ip: str, user_agent: str
    ) -> None:
        self.api, self.store, self.session = api, store, session
        self.client_ip, self.user_agent = client_ip, user_agent

    def run(self, service: str, operation: Operation[T], **arguments: Any) -> T:
        return self._signed(lambda headers: self.api.run(service, operation, headers=headers, **arguments))

    def stream(self, service: str, operation: ModuleType, **arguments: Any) -> httpx.Response:
        return self._signed(lambda headers: self.api.stream(service, operation, headers=headers, **arguments))

    def _signed(self, call: Callable[[dict[str, str]], T]) -> T:
        tokens = self.session.tokens
        if tokens is None:
            raise SignedOut()
        if tokens.access_expires_at - _REFRESH_BEFORE <= datetime.now(UTC):
            tokens = self.refresh()
        try:
            return call(self.api.headers(tokens.access_token, self.client_ip, self.user_agent))
        except ApiError as error:
            if error.status != 401:
                raise
        return call(self.api.headers(self.refresh().access_token, self.client_ip, self.user_agent))

    def refresh(self) -> Tokens:
        assert self.session.tokens is not None
        try:
            issued = self.api.run(
                IDENTITY,
                refresh.sync_detailed,
                headers=self.api.headers(None, self.client_ip, self.user_agent),
                body=RefreshBody(refresh_token=self.session.tokens.refresh_token),
            )
        except ApiError as error:
            raise SignedOut() from error
        self.session.tokens = self.api.tokens(issued)
        self.store.save(self.session)
        return self.session.tokens
