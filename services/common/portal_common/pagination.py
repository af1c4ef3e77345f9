"""Opaque cursors for `limit` / `cursor` / `next_cursor` pagination (keyset, newest first)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pymongo.collection import Collection

from portal_common import b64url
from portal_common.problems import Problem

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# The query parameters of every paginated list, for `bodies.describes_query`.
QUERY_PARAMETERS = [
    {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
    {"name": "cursor", "schema": {"type": "string"}, "description": "next_cursor de la page précédente"},
]


def encode_cursor(values: dict[str, Any]) -> str:
    return b64url.encode(json.dumps(values, separators=(",", ":")).encode())


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        values = json.loads(b64url.decode(cursor))
    except (ValueError, RecursionError):  # bad base64, UTF-8 or JSON; absurd nesting
        raise Problem(400, "Le curseur de pagination est invalide.", slug="invalid-cursor") from None
    if not isinstance(values, dict):
        raise Problem(400, "Le curseur de pagination est invalide.", slug="invalid-cursor")
    return values


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise Problem(400, f"limit doit être un entier entre 1 et {MAX_LIMIT}.", slug="invalid-limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise Problem(400, f"limit doit être un entier entre 1 et {MAX_LIMIT}.", slug="invalid-limit")
    return limit


def keyset_page(
    collection: Collection[dict[str, Any]], query: dict[str, Any], *, time_field: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first on (`time_field`, _id); the cursor holds the last item's pair."""
    position = decode_cursor(cursor)
    if position is not None:
        try:
            at = datetime.fromisoformat(position["t"])
            last_id = str(position["id"])
        except (KeyError, TypeError, ValueError):
            raise Problem(400, "Le curseur de pagination est invalide.", slug="invalid-cursor") from None
        query = {**query, "$or": [{time_field: {"$lt": at}}, {time_field: at, "_id": {"$lt": last_id}}]}
    found = list(collection.find(query).sort([(time_field, -1), ("_id", -1)]).limit(limit + 1))
    page = found[:limit]
    next_cursor = (
        encode_cursor({"t": page[-1][time_field].isoformat(), "id": page[-1]["_id"]}) if len(found) > limit else None
    )
    return page, next_cursor
