"""Web Push as the tests see it: the keys a browser makes when it subscribes and its decryption (RFC 8291), and a
push service over TLS (as FCM or Mozilla's are) that keeps what it is sent. Used by notification's own tests and
by the browser journey (the one part of Web Push a test cannot run for real is the browser vendor's service)."""

from __future__ import annotations

import base64
import os
import ssl
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tests.support.http_standin import QuietHandler, serve, stop


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def hkdf(salt: bytes, secret: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


class BrowserKeys:
    """The keys a browser creates when it subscribes, and the decryption it applies (RFC 8291)."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict[str, Any]:
        keys = {"p256dh": b64url(point(self.key.public_key())), "auth": b64url(self.auth)}
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": keys}

    def decrypt(self, body: bytes) -> str:
        salt, record_size, key_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        server_public = body[21 : 21 + key_length]
        ciphertext = body[21 + key_length :]
        assert len(ciphertext) <= record_size
        shared = self.key.exchange(
            ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), server_public)
        )
        info = b"WebPush: info\x00" + point(self.key.public_key()) + server_public
        ikm = hkdf(self.auth, shared, info, 32)
        cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
        return padded.rstrip(b"\x00")[:-1].decode()  # the last record ends with 0x02, then padding


class PushService:
    """A push service over TLS (as FCM or Mozilla's are): keeps what it is sent, answers 201."""

    def __init__(self, pki: Path) -> None:
        self.received: list[dict[str, Any]] = []
        self.ca_file = pki / "ca.pem"  # what its senders must trust
        owner = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(410 if "/expired/" in self.path else 201)  # RFC 8030: gone for good
                self.send_header("Content-Length", "0")
                self.end_headers()

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki / "server.pem", pki / "server.key")
        self.server = serve(Handler, tls=context)
        self.origin = f"https://localhost:{self.server.server_address[1]}"

    def close(self) -> None:
        stop(self.server)
