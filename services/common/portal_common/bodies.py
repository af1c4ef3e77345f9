"""Request bodies and query strings: one JSON Schema per route, used both to validate and to document.

A view declares its body with `@accepts(schema)` and its query parameters with `@accepts_query(...)`;
they are parsed and validated before the view runs (after authentication, when the auth decorator
sits above), and `/openapi.json` publishes the same schemas, so the description cannot drift from
what the service accepts. Errors become French problem+json answers naming the fields at fault.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from jsonschema import Draft202012Validator, ValidationError

from portal_common.problems import Problem

F = TypeVar("F", bound=Callable[..., Any])
REQUEST_BODY_ATTRIBUTE = "openapi_request_body"
QUERY_ATTRIBUTE = "openapi_query_parameters"

_TYPE_NAMES = {
    "string": "une chaîne de caractères",
    "integer": "un entier",
    "number": "un nombre",
    "boolean": "un booléen",
    "object": "un objet JSON",
    "array": "une liste",
}


# ---------------------------------------------------------------------------------------------- schema helpers


# Patterns for free text shown to people: no control characters but tab and newline ...
NO_CONTROL_CHARACTERS = r"^[^\u0000-\u0008\u000b-\u001f]*$"
# ... and at least one visible character.
NOT_BLANK = r"^[^\u0000-\u0008\u000b-\u001f]*[^\s\u0000-\u001f][^\u0000-\u0008\u000b-\u001f]*$"

_TEXT_RULES = {
    NO_CONTROL_CHARACTERS: "ne doit pas contenir de caractères de contrôle",
    NOT_BLANK: "ne doit pas être vide ni contenir de caractères de contrôle",
}


def check_text(value: str, field: str, *, max_length: int, required: bool) -> str:
    """The domain-side twin of the two patterns, for values that arrive without a JSON Schema (gRPC)."""
    # Length first, on what was sent: the published schema bounds the raw value.
    if len(value) > max_length:
        raise Problem(422, f"Le champ {field} ne peut dépasser {max_length} caractères.", fields=[field])
    value = value.strip()
    if required and not value:
        raise Problem(422, f"Le champ {field} est obligatoire.", fields=[field])
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise Problem(422, f"Le champ {field} contient des caractères de contrôle.", fields=[field])
    return value


def string(min_length: int = 0, max_length: int = 200, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length, **extra}


def obj(required: dict[str, Any] | None = None, optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """A closed object: every property named, unknown ones refused."""
    required, optional = required or {}, optional or {}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {**required, **optional},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = sorted(required)
    return schema


# ---------------------------------------------------------------------------------------------- decorators


def accepts(schema: dict[str, Any]) -> Callable[[F], F]:
    """The view takes a JSON body matching `schema`; read it with `body()`."""
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.json_body = validated(parse_json_object(), validator)
            return view(*args, **kwargs)

        setattr(
            wrapper,
            REQUEST_BODY_ATTRIBUTE,
            {"required": True, "content": {"application/json": {"schema": schema}}},
        )
        return wrapper  # type: ignore[return-value]

    return decorator


def accepts_query(parameters: Iterable[dict[str, Any]]) -> Callable[[F], F]:
    """The view reads these query parameters (OpenAPI Parameter objects); read them with `query()`.

    Values are converted to the schema's type (integer, boolean, array of strings) and validated;
    absent optional ones take the schema's default. Unknown parameters are ignored, as HTTP expects.
    """
    declared = [{"in": "query", **p} for p in parameters]
    validators = {p["name"]: Draft202012Validator(p["schema"]) for p in declared}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.query = {p["name"]: _query_value(p, validators[p["name"]]) for p in declared}
            return view(*args, **kwargs)

        setattr(wrapper, QUERY_ATTRIBUTE, declared)
        return wrapper  # type: ignore[return-value]

    return decorator


def _query_value(parameter: dict[str, Any], validator: Draft202012Validator) -> Any:
    name, schema = parameter["name"], parameter["schema"]
    raw = request.args.getlist(name)
    if not raw:
        if parameter.get("required"):
            raise Problem(400, f"Le paramètre {name} est obligatoire.", slug="invalid-query", fields=[name])
        return schema.get("default")
    if schema.get("type") == "array":
        value: Any = [_convert(name, item, schema.get("items", {})) for item in raw]
    elif len(raw) > 1:
        raise Problem(400, f"Le paramètre {name} ne peut être donné qu'une fois.", slug="invalid-query", fields=[name])
    else:
        value = _convert(name, raw[0], schema)
    error = next(iter(validator.iter_errors(value)), None)
    if error is not None:
        raise Problem(400, f"Le paramètre {name} est invalide : {_rule(error)}.", slug="invalid-query", fields=[name])
    return value


def _convert(name: str, raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?[0-9]{1,18}", raw):
        return int(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    if kind in ("integer", "boolean"):
        raise Problem(400, f"Le paramètre {name} doit être {_TYPE_NAMES[kind]}.", slug="invalid-query", fields=[name])
    return raw


def describes_body(request_body: dict[str, Any]) -> Callable[[F], F]:
    """Documents a body the view parses itself (multipart uploads)."""

    def decorator(view: F) -> F:
        setattr(view, REQUEST_BODY_ATTRIBUTE, request_body)
        return view

    return decorator


def body() -> dict[str, Any]:
    checked: dict[str, Any] = g.json_body
    return checked


def query() -> dict[str, Any]:
    checked: dict[str, Any] = g.query
    return checked


# ---------------------------------------------------------------------------------------------- parsing


def parse_json_object() -> Any:
    if request.mimetype != "application/json":
        raise Problem(415, "Le corps de la requête doit être du JSON (Content-Type: application/json).")
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Problem(400, "Le corps de la requête n'est pas encodé en UTF-8.", slug="invalid-encoding") from None
    except ValueError as exc:
        raise Problem(400, f"JSON mal formé : {exc}", slug="malformed-json") from None
    except RecursionError:  # nesting deeper than the parser's stack: no real body looks like that
        raise Problem(400, "JSON mal formé : imbrication trop profonde.", slug="malformed-json") from None


def validated(data: Any, validator: Draft202012Validator) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Problem(422, "Le corps de la requête doit être un objet JSON.")
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), e.validator != "required"))
    if errors:
        raise _problem(errors[0])
    return data


def _rule(error: ValidationError) -> str:
    """What a value broke, in French."""
    schema, kind = error.schema, error.validator
    if kind in ("minLength", "maxLength"):
        return f"entre {schema.get('minLength', 0)} et {schema.get('maxLength', '∞')} caractères attendus"
    if kind in ("minimum", "maximum"):
        return f"valeur entre {schema.get('minimum')} et {schema.get('maximum')} attendue"
    if kind == "enum":
        return "valeurs possibles : " + ", ".join(str(v) for v in error.validator_value)
    return "format inattendu"


def _field(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path)


def _problem(error: ValidationError) -> Problem:
    where = _field(error)
    kind = error.validator
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - allowed)
        names = [f"{where}.{u}" if where else u for u in unknown]
        return Problem(422, f"Champs inconnus : {', '.join(names)}.", slug="unknown-fields", fields=names)
    if kind == "required":
        missing = sorted(set(error.validator_value) - set(error.instance))
        names = [f"{where}.{m}" if where else m for m in missing]
        return Problem(422, f"Champs obligatoires manquants : {', '.join(names)}.", slug="missing-fields", fields=names)
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else error.validator_value[0]
        detail = f"Le champ {where} doit être {_TYPE_NAMES.get(expected, expected)}."
    elif kind in ("minLength", "maxLength"):
        schema = error.schema
        detail = (
            f"Le champ {where} doit contenir entre {schema.get('minLength', 0)} "
            f"et {schema.get('maxLength', '∞')} caractères."
        )
    elif kind in ("minimum", "maximum"):
        schema = error.schema
        detail = f"Le champ {where} doit être compris entre {schema.get('minimum')} et {schema.get('maximum')}."
    elif kind == "enum":
        choices = ", ".join(str(v) for v in error.validator_value)
        detail = f"Le champ {where} doit valoir l'une de ces valeurs : {choices}."
    elif kind == "pattern" and error.validator_value in _TEXT_RULES:
        detail = f"Le champ {where} {_TEXT_RULES[error.validator_value]}."
    else:
        detail = f"Le champ {where or 'racine'} n'a pas le format attendu."
    return Problem(422, detail, fields=[where] if where else [])
