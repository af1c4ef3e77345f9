"""Signing keys: RSA private keys as PEM files in a directory (a mounted Kubernetes Secret).

The key whose file name sorts last signs new tokens; every key in the directory is published in the
JWKS. Rotation: add the next key (e.g. `2027-01.pem`): it signs from the next reload on, and
verifiers fetch it on the first token naming its kid. Remove the old file only after one
access-token lifetime, so tokens it signed stay verifiable until they expire. The directory is
re-read periodically: no restart. The kid is the file name without `.pem`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from portal_common.auth import InvalidToken
from portal_common.config import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


def generate_key_file(directory: Path, kid: str) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = directory / f"{kid}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return path


class KeyStore:
    """Keys loaded from `directory`, reloaded at most every `reload_seconds`."""

    def __init__(self, directory: str, *, generate_if_empty: bool, reload_seconds: float = 60.0) -> None:
        self.directory = Path(directory)
        self.reload_seconds = reload_seconds
        self._lock = threading.Lock()
        self._keys: dict[str, SigningKey] = {}
        self._loaded_at = float("-inf")
        if generate_if_empty:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not any(self.directory.glob("*.pem")):
                generate_key_file(self.directory, time.strftime("%Y%m%d%H%M%S"))
                log.info("generated a signing key in %s (local runs only)", self.directory)
        self.reload()
        if not self._keys:
            raise ConfigError(
                f"IDENTITY_KEYS_DIR={self.directory} holds no readable RSA key (*.pem): mount the signing-keys"
                " Secret there, or set IDENTITY_GENERATE_KEYS=true for a local run"
            )

    def reload(self) -> None:
        keys = {}
        for path in sorted(self.directory.glob("*.pem")):
            try:
                private = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (ValueError, TypeError) as exc:
                log.error("ignoring unreadable key file %s: %s", path.name, exc)
                continue
            if isinstance(private, rsa.RSAPrivateKey):
                keys[path.stem] = SigningKey(path.stem, private)
        with self._lock:
            if keys:
                self._keys = keys
            self._loaded_at = time.monotonic()

    def _fresh(self) -> dict[str, SigningKey]:
        if time.monotonic() - self._loaded_at > self.reload_seconds:
            self.reload()
        return self._keys

    def current(self) -> SigningKey:
        keys = self._fresh()
        return keys[max(keys)]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self._fresh().values()]}

    def key(self, kid: str) -> Any:
        """Public key for `kid`: lets identity's own TokenVerifier work without HTTP."""
        keys = self._fresh()
        if kid not in keys:
            raise InvalidToken("unknown signing key")
        return keys[kid].private_key.public_key()
