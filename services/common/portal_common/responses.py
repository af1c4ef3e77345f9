"""What an operation answers: declared next to its route, published in /openapi.json, checked on every answer.

A view declares its successes with `@responds(...)` (a JSON schema, an empty 204, a file's media types) and the
refusals that are its own (`errors={409: "..."}`); the refusals every operation of its kind can give are derived
from how it is built (a bearer token: 401; a role: 403; a path id: 404; a JSON body: 400/413/415/422; query
parameters: 400). With `CHECK_RESPONSES` on (every test run), the service checks each answer it sends against
that description and answers 500 naming the difference instead: a response that drifts from its document fails
the test that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from jsonschema import Draft202012Validator

from portal_common.bodies import QUERY_ATTRIBUTE, REQUEST_BODY_ATTRIBUTE

F = TypeVar("F", bound=Callable[..., Any])
RESPONSES_ATTRIBUTE = "openapi_responses"
ROLES_ATTRIBUTE = "openapi_roles"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM = {
    "type": "object",
    "title": "Problem",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "Quel refus : sa dernière partie est stable"},
        "title": {"type": "string", "description": "En français, à afficher"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "En français, à afficher à côté du formulaire"},
        "instance": {"type": "string"},
        "fields": {"type": "array", "items": {"type": "string"}, "description": "Les champs en cause"},
    },
}
RETRY_AFTER = {"Retry-After": {"description": "Secondes à attendre avant de réessayer", "schema": {"type": "integer"}}}
BINARY = {"type": "string", "format": "binary"}


@dataclass(frozen=True)
class Answer:
    """One documented answer that is not a problem: a status, its media types and their schemas."""

    status: int
    content: Mapping[str, dict[str, Any]]  # media type -> schema; empty: no body (204)
    description: str = "Succès"
    headers: Mapping[str, dict[str, Any]] = field(default_factory=dict)


def json_body(status: int, schema: dict[str, Any], description: str = "Succès", **headers: str) -> Answer:
    """A JSON answer; `headers` names the response headers that come with it (name=description)."""
    Draft202012Validator.check_schema(schema)
    described = {
        name.replace("_", "-"): {"description": text, "schema": {"type": "string"}} for name, text in headers.items()
    }
    return Answer(status, {JSON: schema}, description, described)


def empty(description: str = "Fait, sans contenu") -> Answer:
    return Answer(204, {}, description)


def file_body(status: int, *media_types: str, description: str) -> Answer:
    """A file or a page: its media type is checked, not its bytes."""
    return Answer(status, {media_type: BINARY for media_type in media_types}, description)


def responds(*answers: Answer, errors: Mapping[int, str] | None = None) -> Callable[[F], F]:
    """The view's answers (one status may have several media types) and its own refusals (problem+json)."""

    def decorator(view: F) -> F:
        setattr(view, RESPONSES_ATTRIBUTE, (answers, dict(errors or {})))
        return view

    return decorator


def restricted(view: F, roles: Iterable[str]) -> F:
    """Marks an authenticating wrapper: which roles it admits (none: any signed-in user)."""
    setattr(view, ROLES_ATTRIBUTE, tuple(roles))
    return view


def page_of(item: dict[str, Any], title: str, /, **extra: dict[str, Any]) -> dict[str, Any]:
    """A keyset page: its items, the cursor of the next one (null on the last), and what the list adds."""
    return closed(
        title,
        items={"type": "array", "items": item},
        next_cursor=nullable({"type": "string"}),
        **extra,
    )


def closed(title: str, /, **properties: dict[str, Any]) -> dict[str, Any]:
    """An answer object: every property always present (null when it has no value), nothing else."""
    return {
        "type": "object",
        "title": title,
        "required": sorted(properties),
        "properties": properties,
        "additionalProperties": False,
    }


def extend(base: dict[str, Any], title: str, /, **properties: dict[str, Any]) -> dict[str, Any]:
    """`base` with more properties, always present too."""
    return closed(title, **base["properties"], **properties)


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


TEXT: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
INSTANT: dict[str, Any] = {"type": "string", "format": "date-time"}
DAY: dict[str, Any] = {"type": "string", "format": "date"}


# ---------------------------------------------------------------------------------------------- the document


def _problem(description: str, status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
    if status in (429, 503):
        answer["headers"] = RETRY_AFTER
    return answer


def derived_errors(view: Callable[..., Any], *, public: bool, has_path_ids: bool) -> dict[int, str]:
    """The refusals an operation gives by the way it is built."""
    errors: dict[int, str] = {}
    request_body = getattr(view, REQUEST_BODY_ATTRIBUTE, None)
    if request_body is not None or getattr(view, QUERY_ATTRIBUTE, None):
        errors[400] = "Requête mal formée (JSON, encodage, paramètre de requête)"
    if not public:
        errors[401] = "Jeton d'accès absent, invalide, expiré ou révoqué"
    if getattr(view, ROLES_ATTRIBUTE, ()):
        errors[403] = "Le profil de l'utilisateur ne permet pas cette action"
    if has_path_ids:
        errors[404] = "Introuvable, ou pas visible par cet utilisateur"
    if request_body is not None:
        errors[413] = "Corps trop volumineux"
        errors[415] = "Type de contenu non pris en charge"
        errors[422] = "Données invalides (les champs en cause dans `fields`)"
    return errors


def operation_responses(view: Callable[..., Any], *, public: bool, has_path_ids: bool) -> dict[str, Any] | None:
    """The `responses` object of a view that declares them; None for one that does not."""
    declared = getattr(view, RESPONSES_ATTRIBUTE, None)
    if declared is None:
        return None
    answers, own_errors = declared
    responses: dict[str, Any] = {}
    for answer in answers:
        documented = responses.setdefault(str(answer.status), {"description": answer.description})
        if answer.content:
            documented.setdefault("content", {}).update({t: {"schema": s} for t, s in answer.content.items()})
        if answer.headers:
            documented.setdefault("headers", {}).update(answer.headers)
    errors = derived_errors(view, public=public, has_path_ids=has_path_ids) | own_errors
    for status in sorted(errors):
        problem = _problem(errors[status], status)
        if str(status) in responses:  # a refusal also shown as a page (the unsubscribe form)
            responses[str(status)]["content"].update(problem["content"])
        else:
            responses[str(status)] = problem
    responses["default"] = _problem("Erreur du service (5xx), à réessayer plus tard", 500)
    return responses
