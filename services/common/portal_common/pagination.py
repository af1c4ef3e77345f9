"""Opaque cursors for `limit` / `cursor` / `next_cursor` pagination (keyset, newest first)."""

from __future__ import annotations

import base64
import json
from typing import Any

from portal_common.problems import Problem

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def encode_cursor(values: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
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
