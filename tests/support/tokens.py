"""A real JWKS endpoint on loopback and a token minter, for testing verification without identity."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.http_standin import QuietHandler, serve, stop

ISSUER = "http://identity.test"
AUDIENCE = "portal"


class SigningKey:
    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex[:8]
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def mint(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "acc-1",
            "sid": "sess-1",
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 300,
            "role": "family",
            "structure_id": "struct-1",
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


class JwksServer:
    """Serves {"keys": [...]} for the keys currently published; count of fetches kept."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.fetches = 0
        owner = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                self.answer_json(200, {"keys": [k.jwk() for k in owner.keys]})

        self.server = serve(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def close(self) -> None:
        stop(self.server)
