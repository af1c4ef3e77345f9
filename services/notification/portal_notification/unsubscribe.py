"""Signed one-click unsubscribe tokens (RFC 8058): account + category, HMAC-SHA256, no login needed."""

from __future__ import annotations

import base64
import hashlib
import hmac


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign(secret: str, account_id: str, category: str) -> str:
    message = f"{account_id}:{category}".encode()
    mac = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return f"{_b64(message)}.{_b64(mac)}"


def verify(secret: str, token: str) -> tuple[str, str] | None:
    """(account_id, category) if the token is genuine, else None."""
    try:
        encoded, _, mac = token.partition(".")
        message = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        expected = _b64(hmac.new(secret.encode(), message, hashlib.sha256).digest())
        if not hmac.compare_digest(expected, mac):
            return None
        account_id, category = message.decode().split(":", 1)
        return account_id, category
    except (ValueError, UnicodeDecodeError):
        return None
