"""A throw-away PKI made with the openssl command: a CA (also in a hashed directory, as OpenSSL
looks certificates up), a `localhost` server certificate it signed, and a self-signed impostor."""

from __future__ import annotations

import subprocess
from pathlib import Path


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(root: Path, hosts: tuple[str, ...] = ("localhost",)) -> Path:
    """Writes ca.pem, server.pem/.key for `hosts` (signed by the CA), impostor.pem/.key and certs/ (hashed CA)."""
    new_key = ("-newkey", "rsa:2048", "-nodes")
    openssl("req", "-x509", *new_key, "-days", "2", "-subj", "/CN=Portal Test CA", "-keyout", "ca.key",
            "-out", "ca.pem", cwd=root)  # fmt: skip
    openssl("req", *new_key, "-subj", f"/CN={hosts[0]}", "-keyout", "server.key", "-out", "server.csr", cwd=root)
    (root / "san.ext").write_text("subjectAltName=" + ",".join(f"DNS:{host}" for host in hosts) + "\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "server.pem", cwd=root)  # fmt: skip
    openssl("req", "-x509", *new_key, "-days", "2", "-subj", "/CN=localhost", "-addext",
            "subjectAltName=DNS:localhost", "-keyout", "impostor.key", "-out", "impostor.pem", cwd=root)  # fmt: skip
    certs = root / "certs"
    certs.mkdir()
    (certs / "ca.pem").write_bytes((root / "ca.pem").read_bytes())
    openssl("rehash", str(certs), cwd=root)
    return root
