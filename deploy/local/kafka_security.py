"""The local and test Kafka's security, made by the stack: a CA, the broker's certificate, one SCRAM principal
per publisher and the ACLs of ADR 7. Production does the same with Strimzi (`KafkaUser`) and cert-manager.

  python -m deploy.local.kafka_security tls DIR SAN...              CA + broker keystore under DIR/tls (once)
  python -m deploy.local.kafka_security grant DIR BOOTSTRAP BASE DLQ   principals and ACLs for topic base BASE

Layout of DIR: tls/ca.pem (what clients trust), tls/broker.p12 (+ .password), secrets/<principal>.password.
"""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from deploy.local import pki
from portal_common import events
from portal_common.kafka_client import KafkaAccess, create_admin

ADMIN = "admin"  # the broker's own principal and the stack's: a super user, never given to a service
BROKER_CN = "kafka-broker"  # the broker's certificate, which it shows to its controller (mutual TLS)
# Our services publish and consume; the external publishers (dossier, reservations) only publish.
SERVICES = ("identity", "billing-statement", "document-store", "notification")
TOPICS_USER = "portal-topics"  # the chart's migrations Job: creates the topics of its base, nothing else


def ca_file(directory: Path) -> Path:
    return directory / "tls" / "ca.pem"


def password_file(directory: Path, principal: str) -> Path:
    """The principal's SCRAM password, made once per directory (mode 600)."""
    path = directory / "secrets" / f"{principal}.password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path


def access(directory: Path, bootstrap: str, principal: str = ADMIN) -> KafkaAccess:
    return KafkaAccess(
        bootstrap, "SASL_SSL", principal, str(password_file(directory, principal)), str(ca_file(directory))
    )


def make_tls(directory: Path, sans: list[str]) -> None:
    """The broker's certificate for `sans` (IP:127.0.0.1, DNS:kafka...) on the Kafka CA, as a PKCS12 keystore."""
    tls = directory / "tls"
    pki.make_ca(tls, "portal-kafka-ca")
    cert, key = pki.issue(tls, BROKER_CN, sans)
    store = tls / "broker.p12"
    if store.exists() and store.stat().st_mtime_ns >= cert.stat().st_mtime_ns:
        return
    store_password = secrets.token_urlsafe(18)
    (tls / "broker.p12.password").write_text(store_password)
    pki.openssl(
        "pkcs12",
        "-export",
        "-in",
        str(cert),
        "-inkey",
        str(key),
        "-certfile",
        str(tls / "ca.pem"),
        "-name",
        "broker",
        "-passout",
        f"pass:{store_password}",
        "-out",
        str(store),
    )
    for path in (store, tls / "broker.p12.password"):
        path.chmod(0o600)


def platform_acls(base: str, dlq: str) -> list[ACL]:
    """Write: each publisher its own topic only (what makes an event's `source` true). Read: our services read
    every publisher's topic and use consumer groups named after themselves. The DLQ: every service writes it."""
    acls: list[ACL] = []

    def allow(principal: str, operation: ACLOperation, kind: ResourceType, name: str, prefixed: bool = False) -> None:
        pattern = ResourcePattern(
            kind, name, ACLResourcePatternType.PREFIXED if prefixed else ACLResourcePatternType.LITERAL
        )
        acls.append(ACL(f"User:{principal}", "*", operation, ACLPermissionType.ALLOW, pattern))

    for publisher in events.PUBLISHERS:
        allow(publisher, ACLOperation.WRITE, ResourceType.TOPIC, events.topic_of(base, publisher))
    for service in SERVICES:
        for topic in events.topics(base):
            allow(service, ACLOperation.READ, ResourceType.TOPIC, topic)
        allow(service, ACLOperation.WRITE, ResourceType.TOPIC, dlq)
        allow(service, ACLOperation.READ, ResourceType.GROUP, f"{service}-", prefixed=True)
    for operation in (ACLOperation.CREATE, ACLOperation.DESCRIBE):  # every topic of the base and its DLQ
        allow(TOPICS_USER, operation, ResourceType.TOPIC, base, prefixed=True)
        allow(TOPICS_USER, operation, ResourceType.TOPIC, dlq)
    return acls


def grant(directory: Path, bootstrap: str, base: str, dlq: str) -> None:
    """Every publisher's principal (created when missing) and its ACLs on topic base `base`."""
    admin = create_admin(access(directory, bootstrap), "portal-stack")
    try:
        # Upserting an unchanged password is harmless: one call for the first grant and for every test's base.
        admin.alter_user_scram_credentials(
            [
                UserScramCredentialUpsertion(p, ScramMechanism.SCRAM_SHA_512, password_file(directory, p).read_text())
                for p in (*events.PUBLISHERS, TOPICS_USER)
            ]
        )
        acls = platform_acls(base, dlq)
        admin.create_acls(acls)
        wait_enforced(admin, acls)
    finally:
        admin.close()


def wait_enforced(admin: KafkaAdminClient, acls: list[ACL], timeout_s: float = 30.0) -> None:
    """Return once the broker enforces `acls`. CreateAcls returns when the controller has them; the broker's
    authorizer applies them a moment later, and a client refused meanwhile is not told again for a while. The
    broker answers DescribeAcls from that authorizer, so what it lists is enforced (one broker here)."""
    deadline = time.monotonic() + timeout_s
    missing = set(acls)
    while True:
        for pattern in {acl.resource_pattern for acl in missing}:
            found, _ = admin.describe_acls(ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY, pattern))
            missing -= set(found)
        if not missing:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the broker does not enforce {len(missing)} of {len(acls)} ACLs after {timeout_s}s")
        time.sleep(0.1)


def main(argv: list[str]) -> None:
    command, directory = argv[0], Path(argv[1])
    if command == "tls":
        make_tls(directory, argv[2:])
        password_file(directory, ADMIN)
    elif command == "grant":
        grant(directory, argv[2], argv[3], argv[4])
    else:
        raise SystemExit(f"unknown command {command!r}; see the module's docstring")


if __name__ == "__main__":
    main(sys.argv[1:])
