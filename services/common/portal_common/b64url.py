"""Unpadded base64url (RFC 4648 §5), as in tokens, cursors and Web Push keys."""

from __future__ import annotations

import base64


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode(text: str) -> bytes:
    """Raises ValueError (binascii.Error is one) on text that is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
