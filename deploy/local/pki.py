"""A certificate authority of the local and test runs, made with openssl: what cert-manager does in a cluster.

  python -m deploy.local.pki grpc DIR NAME...   the gRPC CA under DIR and a certificate for each NAME

A directory holds ca.pem (what every party trusts), ca.key, and <name>.pem / <name>.key, all mode 600.
Certificates serve both ends of a connection (serverAuth and clientAuth): the common name is the identity
a server checks (grpc_tls), the names in subjectAltName what a client checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

DAYS = "825"


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: S607


def _private(path: Path) -> None:
    path.chmod(0o600)


def make_ca(directory: Path, name: str) -> Path:
    """The CA of `directory` (made once): its certificate, what clients and servers trust."""
    ca = directory / "ca.pem"
    if ca.exists():
        return ca
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:  # rename at the end: a reader never sees half a CA
        openssl(
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            DAYS,
            "-subj",
            f"/CN={name}",
            "-keyout",
            f"{tmp}/ca.key",
            "-out",
            f"{tmp}/ca.pem",
        )
        os.replace(f"{tmp}/ca.key", directory / "ca.key")
        os.replace(f"{tmp}/ca.pem", ca)
    _private(directory / "ca.key")
    return ca


def issue(directory: Path, name: str, sans: list[str]) -> tuple[Path, Path]:
    """A certificate with common name `name` and `sans` (DNS:..., IP:...), signed by the directory's CA; made
    again when the names asked for change. Returns (certificate, key)."""
    cert, key, names = directory / f"{name}.pem", directory / f"{name}.key", directory / f"{name}.sans"
    if cert.exists() and names.exists() and names.read_text() == ",".join(sans):
        return cert, key
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        openssl(
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            f"/CN={name}",
            "-keyout",
            f"{tmp}/key",
            "-out",
            f"{tmp}/csr",
        )
        Path(tmp, "ext").write_text(f"subjectAltName={','.join(sans)}\nextendedKeyUsage=serverAuth,clientAuth\n")
        openssl(
            "x509",
            "-req",
            "-in",
            f"{tmp}/csr",
            "-CA",
            str(directory / "ca.pem"),
            "-CAkey",
            str(directory / "ca.key"),
            "-CAcreateserial",
            "-days",
            DAYS,
            "-extfile",
            f"{tmp}/ext",
            "-out",
            f"{tmp}/cert",
        )
        _private(Path(tmp, "key"))
        os.replace(f"{tmp}/key", key)
        os.replace(f"{tmp}/cert", cert)
    names.write_text(",".join(sans))
    _private(cert)
    return cert, key


def grpc_identity(directory: Path, name: str) -> tuple[Path, Path, Path]:
    """Service or caller `name` on the gRPC CA of `directory`: (certificate, key, CA). Its certificate names it
    (DNS:<name>), which is what its clients check (ssl_target_name_override)."""
    ca = make_ca(directory, "portal-grpc-ca")
    cert, key = issue(directory, name, [f"DNS:{name}"])
    return cert, key, ca


def main(argv: list[str]) -> None:
    command, directory = argv[0], Path(argv[1])
    if command == "grpc":
        for name in argv[2:]:
            grpc_identity(directory, name)
    else:
        raise SystemExit(f"unknown command {command!r}; see the module's docstring")


if __name__ == "__main__":
    main(sys.argv[1:])
