"""Signed one-click unsubscribe tokens (RFC 8058): account + category, HMAC-SHA256, no login needed."""

from __future__ import annotations

import hashlib
import hmac

from portal_common import b64url


def sign(secret: str, account_id: str, category: str) -> str:
    message = f"{account_id}:{category}".encode()
    mac = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return f"{b64url.encode(message)}.{b64url.encode(mac)}"


def verify(secret: str, token: str) -> tuple[str, str] | None:
    """(account_id, category) if the token is genuine, else None."""
    try:
        encoded, _, mac = token.partition(".")
        message = b64url.decode(encoded)
        expected = b64url.encode(hmac.new(secret.encode(), message, hashlib.sha256).digest())
        if not hmac.compare_digest(expected, mac):
            return None
        account_id, category = message.decode().split(":", 1)
        return account_id, category
    except (ValueError, UnicodeDecodeError):
        return None
