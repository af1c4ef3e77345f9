"""The OpenAPI 3.1 document of a service, built from the routes the app really has.

Built from Flask's URL map, it cannot drift from the routes: every path and method, its path and
query parameters, the JSON Schema of its body (the one the view validates with, see `bodies`),
bearer authentication except on the public operations, and the problem+json errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask

from portal_common.bodies import QUERY_ATTRIBUTE, REQUEST_BODY_ATTRIBUTE

PUBLIC_PATHS = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/.well-known/jwks.json",
    "/v1/auth/login",
    "/v1/auth/refresh",
    "/v1/auth/activate",
    "/v1/auth/password-reset",
    "/v1/auth/password-reset/confirm",
    "/v1/auth/contact-email/confirm",
    "/v1/auth/contact-email/undo",
    "/v1/unsubscribe",
    "/activation",
    "/mot-de-passe/nouveau",
    "/adresse-email/confirmer",
    "/adresse-email/annuler",
}
PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string", "description": "French, fit for display"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}


HTML_PAGE_ATTRIBUTE = "_openapi_html_page"
F = TypeVar("F", bound=Callable[..., Any])


def html_page(view: F) -> F:
    """The view answers a page for a browser (text/html), its own errors too: the document says so."""
    setattr(view, HTML_PAGE_ATTRIBUTE, True)
    return view


def _html_responses(responses: dict[str, Any]) -> dict[str, Any]:
    page = {"text/html": {"schema": {"type": "string"}}}
    problem = responses["default"]["content"]
    return {
        "2XX": {"description": "Page", "content": page},
        "4XX": {"description": "Page d'erreur, ou requête invalide (RFC 9457)", "content": {**page, **problem}},
        "default": responses["default"],
    }


def _path(app: Flask, rule: str) -> tuple[str, list[dict[str, Any]]]:
    """The OpenAPI path of a Flask rule and its path parameters (a converter's schema when it has one)."""
    parameters = []
    for converter, name in re.findall(r"<(?:([^:>]+):)?([^>]+)>", rule):
        found = app.url_map.converters.get(converter or "default")
        schema = getattr(found, "openapi_schema", {"type": "string"})
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule), parameters


def document(app: Flask, *, title: str, version: str = "0.1.0") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        path, path_parameters = _path(app, rule.rule)
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "parameters": path_parameters + getattr(view, QUERY_ATTRIBUTE, []),
                "responses": {
                    "2XX": {"description": "Succès"},
                    "default": {
                        "description": "Erreur (RFC 9457)",
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    },
                },
            }
            if getattr(view, HTML_PAGE_ATTRIBUTE, False):
                operation["responses"] = _html_responses(operation["responses"])
            request_body = getattr(view, REQUEST_BODY_ATTRIBUTE, None)
            if request_body is not None:
                operation["requestBody"] = request_body
            if rule.rule in PUBLIC_PATHS:
                operation["security"] = []
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Problem": PROBLEM},
        },
    }
