"""Flask pieces every service uses: request ids, access logs, metrics, problem+json for every
error path, request-size limit, bearer-token auth, /healthz, /readyz, /metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar, TypeVar

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter

from portal_common import metrics, openapi
from portal_common.auth import InvalidToken, Principal, TokenVerifier
from portal_common.french import file_size
from portal_common.logs import request_id_var
from portal_common.problems import PROBLEM_CONTENT_TYPE, Problem
from portal_common.responses import BOOLEAN, TEXT, closed, file_body, json_body, responds, restricted

log = logging.getLogger(__name__)
access_log = logging.getLogger("portal.access")

ReadinessChecks = dict[str, Callable[[], bool]]
F = TypeVar("F", bound=Callable[..., Any])
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def problem_response(problem: Problem) -> Response:
    body = json.dumps(problem.to_dict(instance=request.path if request else None), ensure_ascii=False)
    response = Response(body, status=problem.status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


class HexIdConverter(BaseConverter):
    """`<hexid:name>`: an identifier the services mint (uuid4 hex), so a route such as
    /sessions/<hexid:session_id> does not also match its sibling /sessions/end-others."""

    regex = "[0-9a-f]{32}"
    openapi_schema: ClassVar[dict[str, str]] = {"type": "string", "pattern": "^[0-9a-f]{32}$"}


HEALTH = closed("Health", status=TEXT)
READINESS = closed("Readiness", status=TEXT, checks={"type": "object", "additionalProperties": BOOLEAN})
HSTS = "max-age=31536000; includeSubDomains"  # one year: every page of the portal is served over HTTPS


def create_base_app(
    service: str,
    *,
    max_request_bytes: int,
    readiness: ReadinessChecks,
    verifier: TokenVerifier | None = None,
    trusted_proxy_hops: int = 0,
    import_name: str | None = None,
    check_responses: bool = False,
) -> Flask:
    # import_name: the package whose templates/ and static/ the app serves (the web service's pages).
    app = Flask(import_name or service)
    if trusted_proxy_hops:
        # request.remote_addr becomes the client the trusted proxies saw, not the proxy itself.
        # request.scheme too: HSTS is sent on what the client reached over HTTPS.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted_proxy_hops, x_proto=trusted_proxy_hops
        )
    app.url_map.converters["hexid"] = HexIdConverter
    app.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["portal.verifier"] = verifier
    app.extensions["portal.readiness"] = readiness
    app.extensions["portal.service"] = service

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id_token = request_id_var.set(g.request_id)
        g.started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure:  # over plain HTTP browsers ignore it (RFC 6797 8.1)
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.HTTP_LATENCY.labels(service, request.method, route, str(response.status_code)).observe(elapsed)
        if route not in ("/metrics", "/healthz", "/readyz"):
            access_log.info(
                "%s %s %s",
                request.method,
                route,
                response.status_code,
                extra={"duration_ms": round(elapsed * 1000, 2), "status": response.status_code},
            )
        return response

    @app.teardown_request
    def reset_request_id(_: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)

    @app.errorhandler(Problem)
    def on_problem(problem: Problem) -> Response:
        return problem_response(problem)

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        detail = {
            404: "Aucune ressource ne correspond à cette adresse.",
            405: f"La méthode {request.method} n'est pas acceptée sur cette adresse.",
            413: f"La requête dépasse la taille maximale de {file_size(app.config['MAX_CONTENT_LENGTH'])}.",
        }.get(status, error.description or "")
        headers = {}
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return problem_response(Problem(status, detail, headers=headers))

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(Problem(500, "Une erreur inattendue est survenue ; réessayez plus tard."))

    @app.get("/healthz")
    @responds(json_body(200, HEALTH))
    def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/readyz")
    @responds(json_body(200, READINESS), json_body(503, READINESS, "Une dépendance ne répond pas"))
    def readyz() -> Any:
        results = run_checks(readiness)
        ok = all(results.values())
        return {"status": "ready" if ok else "not ready", "checks": results}, 200 if ok else 503

    @app.get("/openapi.json")
    @responds(json_body(200, {"type": "object", "description": "Ce document (OpenAPI 3.1)"}))
    def openapi_document() -> Any:
        # Built on request: the service's blueprints are registered after this base app is made.
        return openapi.service_document(app)

    @app.get("/metrics")
    @responds(file_body(200, "text/plain", description="Métriques Prometheus (format texte)"))
    def metrics_endpoint() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)

    if check_responses:
        openapi.install_check(app, lambda text: problem_response(Problem(500, text, slug="undocumented-response")))
    return app


def run_checks(checks: ReadinessChecks) -> dict[str, bool]:
    results = {}
    for name, check in checks.items():
        try:
            results[name] = bool(check())
        except Exception:  # noqa: BLE001 - a check that raises means "not ready"
            results[name] = False
    return results


# ---------------------------------------------------------------------------------------------- authentication


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            "Un jeton d'accès (Authorization: Bearer) est requis.",
            headers={"WWW-Authenticate": 'Bearer realm="portal"'},
        )
    return token.strip()


def invalid_token() -> Problem:
    """The one answer to any unusable access token (which check failed is not disclosed)."""
    return Problem(
        401,
        "Le jeton d'accès est invalide, expiré ou révoqué.",
        slug="invalid-token",
        headers={"WWW-Authenticate": 'Bearer realm="portal", error="invalid_token"'},
    )


def authenticate() -> Principal:
    verifier: TokenVerifier | None = current_app.extensions.get("portal.verifier")
    if verifier is None:  # pragma: no cover - a wiring error, caught by the app factory tests
        raise RuntimeError("no token verifier configured")
    try:
        principal = verifier.verify(bearer_token())
    except InvalidToken as exc:
        raise invalid_token() from exc
    g.principal = principal
    return principal


def require_auth(*roles: str) -> Callable[[F], F]:
    """Decorator: a valid access token whose role is one of `roles` (any role when empty)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate()
            if roles and principal.role not in roles:
                raise Problem(403, "Votre profil ne permet pas cette action.")
            return view(*args, **kwargs)

        return restricted(wrapper, roles)  # type: ignore[return-value]

    return decorator


def principal() -> Principal:
    found: Principal = g.principal
    return found
