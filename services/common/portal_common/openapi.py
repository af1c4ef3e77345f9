"""The OpenAPI 3.1 document of a service, built from the routes the app really has, and the check of its answers.

Built from Flask's URL map, it cannot drift from the routes: every path and method, its path and query
parameters, the JSON Schema of its body (the one the view validates with, see `bodies`), what it answers (see
`responses`), bearer authentication except on the public operations. With `CHECK_RESPONSES` on (the tests), every
answer is checked against the same document before it leaves (`install_check`).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from jsonschema import Draft202012Validator
from werkzeug.routing import Rule

from portal_common.bodies import QUERY_ATTRIBUTE, REQUEST_BODY_ATTRIBUTE
from portal_common.responses import BINARY, PROBLEM, PROBLEM_JSON, PROBLEM_REF, RESPONSES_ATTRIBUTE, operation_responses

log = logging.getLogger(__name__)

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
# One tag per area of the product (the first segment after /v1), for the gateway's consumers to find their way.
TAGS = {
    "auth": "Connexion, jetons et liens reçus par e-mail",
    "account": "Mon compte : identifiant, mot de passe, connexions, historique, suppression",
    "admin": "Back office des agents d'une structure (familles, agents, documents)",
    "structure": "La structure de l'utilisateur et ses coordonnées",
    "invoices": "Factures du grand livre",
    "statements": "Relevés de période (PDF pour la déclaration d'impôts)",
    "documents": "Documents reçus de la structure",
    "dossier": "Documents envoyés depuis l'onglet Dossier",
    "notifications": "Fil de la page d'accueil",
    "notification-preferences": "Préférences de notification (canaux, catégories)",
    "push-devices": "Supports des notifications push",
    "unsubscribe": "Désabonnement des e-mails (RFC 8058)",
    "pages": "Pages ouvertes depuis les liens des e-mails",
    "service": "Exploitation : santé, métriques, clés publiques, ce document",
}

HTML_PAGE_ATTRIBUTE = "_openapi_html_page"
F = TypeVar("F", bound=Callable[..., Any])


def html_page(view: F) -> F:
    """The view answers a page for a browser (text/html), its own errors too: the document says so."""
    setattr(view, HTML_PAGE_ATTRIBUTE, True)
    return view


def _html_responses() -> dict[str, Any]:
    page = {"text/html": {"schema": {"type": "string"}}}
    problem = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    return {
        "2XX": {"description": "Page", "content": page},
        "4XX": {"description": "Page d'erreur, ou requête invalide (RFC 9457)", "content": {**page, **problem}},
        "default": {"description": "Erreur du service (RFC 9457)", "content": problem},
    }


PATH_PARAMETER = re.compile(r"<(?:([^:>]+):)?([^>]+)>")  # a Flask rule's <converter:name>


def openapi_path(rule: str) -> str:
    return PATH_PARAMETER.sub(r"{\2}", rule)


def _path_parameters(app: Flask, rule: str) -> list[dict[str, Any]]:
    """A Flask rule's path parameters (its converter's schema when it has one)."""
    parameters = []
    for converter, name in PATH_PARAMETER.findall(rule):
        found = app.url_map.converters.get(converter or "default")
        schema = getattr(found, "openapi_schema", {"type": "string"})
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def tag(path: str, view: Callable[..., Any]) -> str:
    if getattr(view, HTML_PAGE_ATTRIBUTE, False) and not path.startswith("/v1/"):
        return "pages"
    area = path.split("/")[2] if path.startswith("/v1/") else "service"
    return area if area in TAGS else "service"


def _operations(app: Flask) -> list[tuple[Rule, str, str, Callable[..., Any]]]:
    """(Flask rule, OpenAPI path, method, view) of every operation, in a stable order."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        for method in methods:
            found.append((rule, openapi_path(rule.rule), method, app.view_functions[rule.endpoint]))
    return found


def undeclared(app: Flask) -> list[str]:
    """The operations that say nothing of their answers: none may be left in an API service."""
    return [
        f"{method} {path}"
        for _, path, method, view in _operations(app)
        if not hasattr(view, RESPONSES_ATTRIBUTE) and not getattr(view, HTML_PAGE_ATTRIBUTE, False)
    ]


def _named(schema: Any, components: dict[str, Any]) -> Any:
    """`schema` with every titled object moved to `components` (a `$ref` left in its place): one model per name
    for generated clients, and a document that says each shape once."""
    if isinstance(schema, list):
        return [_named(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    inner = {key: _named(value, components) for key, value in schema.items()}
    title = inner.get("title")
    if not isinstance(title, str) or inner.get("type") != "object":
        return inner
    if components.setdefault(title, inner) != inner:
        raise ValueError(f"two different schemas are both called {title}")
    return {"$ref": f"#/components/schemas/{title}"}


def _with_named_schemas(responses: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    for answer in responses.values():
        for media in answer.get("content", {}).values():
            media["schema"] = _named(media["schema"], components)
    return responses


def document(app: Flask, *, title: str, version: str = "0.1.0") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Problem": PROBLEM}
    operations = _operations(app)
    # operationId: the endpoint's name (the view's, without its blueprint unless another blueprint has the same
    # one), with the method when the endpoint serves several.
    short_names = Counter(endpoint.rpartition(".")[2] for endpoint in {rule.endpoint for rule, *_ in operations})
    methods_of = Counter(rule.endpoint for rule, *_ in operations)
    for rule, path, method, view in operations:
        parameters = _path_parameters(app, rule.rule)
        public = rule.rule in PUBLIC_PATHS
        name = rule.endpoint.rpartition(".")[2]
        if short_names[name] > 1:
            name = rule.endpoint.replace(".", "_")
        operation_id = name + (f"_{method.lower()}" if methods_of[rule.endpoint] > 1 else "")
        operation: dict[str, Any] = {
            "operationId": operation_id,
            "tags": [tag(path, view)],
            "parameters": parameters + getattr(view, QUERY_ATTRIBUTE, []),
        }
        request_body = getattr(view, REQUEST_BODY_ATTRIBUTE, None)
        if request_body is not None:
            operation["requestBody"] = request_body
        if getattr(view, HTML_PAGE_ATTRIBUTE, False):
            operation["responses"] = _html_responses()
        else:
            declared = operation_responses(view, public=public, has_path_ids=bool(parameters))
            operation["responses"] = (
                _with_named_schemas(declared, schemas)
                if declared
                else {
                    "2XX": {"description": "Succès (réponse non décrite)"},
                    "default": {"description": "Erreur (RFC 9457)", "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}},
                }
            )
        if public:
            operation["security"] = []
        paths.setdefault(path, {})[method.lower()] = operation
    used = sorted({o["tags"][0] for methods in paths.values() for o in methods.values()})
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "tags": [{"name": name, "description": TAGS[name]} for name in used],
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": dict(sorted(schemas.items())),
        },
    }


# ---------------------------------------------------------------------------------------------- the check


class ResponseCheck:
    """What differs between an answer and the app's own document (built once, at the first request)."""

    def __init__(self, document: Callable[[], dict[str, Any]]) -> None:
        self.document = document
        self._built: dict[str, Any] | None = None
        self._validators: dict[tuple[str, str, str, str], Draft202012Validator] = {}

    def differences(self, response: Response) -> list[str]:
        if request.url_rule is None or request.method in ("HEAD", "OPTIONS"):
            return []  # no operation: werkzeug's own 404 and 405
        view = current_app.view_functions[request.url_rule.endpoint]
        if not hasattr(view, RESPONSES_ATTRIBUTE) and not getattr(view, HTML_PAGE_ATTRIBUTE, False):
            return []  # says nothing of its answers (the web's pages): `undeclared` lists them
        self._built = self._built or self.document()
        path, method = openapi_path(request.url_rule.rule), request.method.lower()
        operation = self._built["paths"][path][method]
        responses, status = operation["responses"], str(response.status_code)
        declared = responses.get(status) or responses.get(f"{status[0]}XX")
        if declared is None and response.status_code >= 500:
            declared = responses["default"]
        if declared is None:
            return [f"statut {status} non documenté (documentés : {', '.join(responses)})"]
        content = declared.get("content", {})
        if not content:
            has_body = response.is_streamed or bool(response.get_data())
            return [f"un corps alors que {status} n'en a pas"] if has_body else []
        mimetype = response.mimetype or ""
        if mimetype not in content:
            return [f"type {mimetype} non documenté pour {status} (documentés : {', '.join(content)})"]
        schema = content[mimetype]["schema"]
        if schema == BINARY or response.is_streamed or not mimetype.endswith("json"):
            return []
        key = (path, method, status, mimetype)
        if key not in self._validators:
            self._validators[key] = Draft202012Validator({**schema, "components": self._built["components"]})
        try:
            body = json.loads(response.get_data())
        except ValueError:
            return [f"corps JSON illisible pour {status}"]
        errors = self._validators[key].iter_errors(body)
        return [f"{'/'.join(map(str, e.absolute_path)) or 'corps'} : {e.message}" for e in errors][:5]


def service_document(app: Flask) -> dict[str, Any]:
    """The document a service serves at /openapi.json (and checks its answers against)."""
    return document(app, title=f"Portail famille — {app.extensions['portal.service']}")


def install_check(app: Flask, on_difference: Callable[[str], Response]) -> None:
    """Every answer checked before it leaves; a difference is logged and answered as `on_difference(text)`."""
    check = ResponseCheck(lambda: service_document(app))

    @app.after_request  # registered last, so it runs first: the access log and metrics see what was sent
    def check_response(response: Response) -> Response:
        found = check.differences(response)
        if not found:
            return response
        text = f"Réponse non conforme au document OpenAPI ({request.method} {request.path}) : " + " ; ".join(found)
        log.error("%s", text)
        return on_difference(text)
