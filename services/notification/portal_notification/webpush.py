"""Web Push targets: a browser's push subscription (RFC 8030), messages encrypted for it (RFC 8291)
and signed with the portal's VAPID key (RFC 8292), sent through apprise's `vapid` plugin.

The service POSTs to the endpoint a family hands in, so endpoints are limited to the origins of
known push services (`WEBPUSH_ALLOWED_ORIGINS`): a subscription cannot point the service at an
internal address.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from urllib3.util import parse_url

from portal_common import b64url
from portal_common.problems import Problem

DEFAULT_ORIGINS = (
    "https://fcm.googleapis.com",  # Chrome, Edge, Opera, Samsung
    "https://updates.push.services.mozilla.com",  # Firefox
    "https://web.push.apple.com",  # Safari
    "https://*.notify.windows.com",  # Windows (WNS)
)
INVALID = Problem(
    422,
    "Abonnement Web Push invalide : endpoint https d'un service de notification, clés p256dh et auth.",
    fields=["subscription"],
)


# A host name as HTTP clients resolve it (letters, digits, hyphens, dots): no percent-encoding, no IPv6 literal.
# An IPv4 address passes here and is then refused by the allowlist, which names push services.
_HOST = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def origin_of(endpoint: str) -> str | None:
    """`https://host[:port]` of an endpoint, or None when it is no plain https URL to a host name.

    The host checked must be the host the HTTP client connects to: parsers disagree on backslashes,
    whitespace and percent-encoded authorities (`https://10.0.0.7\\.notify.windows.com/` is an address
    under notify.windows.com for urlsplit, 10.0.0.7 for urllib3), so such endpoints are refused, and both
    parsers must read the same host."""
    if any(char in endpoint for char in "\\ \t\r\n") or not endpoint.isprintable():
        return None
    try:
        parts = urlsplit(endpoint)
        port = parts.port
        client_host = parse_url(endpoint).host
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme != "https" or not host or parts.username or parts.password or parts.fragment:
        return None
    if not _HOST.fullmatch(host) or client_host is None or client_host.lower() != host:
        return None
    return f"https://{host}" + ("" if port in (None, 443) else f":{port}")


def origin_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    for pattern in allowed:
        if pattern.startswith("https://*."):
            suffix = pattern[len("https://*") :]  # ".notify.windows.com"
            if origin.startswith("https://") and origin.endswith(suffix) and ":" not in origin[len("https://") :]:
                return True
        elif origin == pattern:
            return True
    return False


@dataclass(frozen=True)
class WebPush:
    key_file: str  # the portal's VAPID private key (EC P-256, PEM), from a mounted secret
    subscriber: str  # contact the push services may use (RFC 8292 `sub`), an email address
    allowed_origins: tuple[str, ...] = DEFAULT_ORIGINS

    def public_key(self) -> str:
        """What the browser passes as `applicationServerKey` when it subscribes."""
        with open(self.key_file, "rb") as pem:
            key = serialization.load_pem_private_key(pem.read(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("the VAPID key must be an EC P-256 private key")
        point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return b64url.encode(point)

    def subscription(self, data: Any) -> dict[str, Any]:
        """The subscription a browser's PushManager gave, checked; only what sending needs is kept."""
        if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
            raise INVALID
        endpoint, keys = data.get("endpoint"), data["keys"]
        origin = origin_of(endpoint) if isinstance(endpoint, str) and len(endpoint) <= 1000 else None
        if origin is None:
            raise INVALID
        if not origin_allowed(origin, self.allowed_origins):
            raise Problem(
                422,
                "Ce service de notification n'est pas accepté par le portail.",
                slug="push-service-not-allowed",
                fields=["subscription"],
            )
        try:
            p256dh, auth = b64url.decode(keys["p256dh"]), b64url.decode(keys["auth"])
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise INVALID from None
        if len(auth) != 16:
            raise INVALID
        return {"endpoint": endpoint, "keys": {"p256dh": b64url.encode(p256dh), "auth": b64url.encode(auth)}}
