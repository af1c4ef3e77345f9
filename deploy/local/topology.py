"""Where every process of a local run listens, and the environment each service gets: one table.

Read by `make up` (stack.sh, platform.sh, the gateway, the seed), by the tests and by the benchmarks.
Service names, modules and base ports come from the chart's values, the source for deployment; a layout
adds where the infrastructure listens and shifts the service ports so that runs never collide:

- `local`: `make up` (Kafka 9092, FerretDB 27017, SMTP 1025, gateway 8080, services on the chart's HTTP ports,
  gRPC on 20051-20054: the chart's 50051-50054 lie in the kernel's range of client ports);
- `test`: the private stack of `make test` and `make bench`, and the platform the end-to-end tests start.

    python -m deploy.local.topology exports LAYOUT           shell `export` lines (ports already set win)
    python -m deploy.local.topology services LAYOUT          one line per service: name module http grpc
    python -m deploy.local.topology env LAYOUT NAME RUN_DIR  the service's environment, one KEY=VALUE a line
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml

from deploy.local import kafka_security, pki
from portal_common.grpc_tls import GrpcTls
from portal_common.kafka_client import KafkaAccess

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Service:
    name: str  # as in the chart: identity, billing-statement, ...
    module: str  # the package `python -m` runs
    http_port: int  # the chart's ports; a layout shifts them
    grpc_port: int  # 0: no gRPC (the web service)
    grpc_calls: tuple[str, ...] = ()  # the services it calls over gRPC (the chart's `grpcCalls`)
    http_calls: tuple[str, ...] = ()  # the services whose public HTTP API it calls (the chart's `httpCalls`)
    kafka: bool = True  # the web service has no events

    @property
    def database(self) -> str:
        return self.name.replace("-", "_")


@cache
def services() -> dict[str, Service]:
    values = yaml.safe_load((ROOT / "charts" / "portal" / "values.yaml").read_text())
    return {
        name: Service(
            name,
            svc["module"],
            svc["httpPort"],
            svc.get("grpcPort", 0),
            tuple(svc.get("grpcCalls", ())),
            tuple(svc.get("httpCalls", ())),
            svc.get("kafka", True),
        )
        for name, svc in values["services"].items()
    }


@dataclass(frozen=True)
class Layout:
    name: str
    kafka_port: int
    kafka_controller_port: int
    ferretdb_port: int
    smtp_port: int
    gateway_port: int
    http_offset: int  # added to the chart's HTTP port of each service
    grpc_offset: int
    # The services check each HTTP answer against their OpenAPI document (portal_common.openapi): test runs.
    check_responses: bool = False
    run_dir: Path | None = None  # default: $PORTAL_RUN_DIR, else $PORTAL_CACHE/run/<name>

    @property
    def kafka_dir(self) -> Path:
        """Where the stack keeps this Kafka's CA and the principals' passwords (deploy/local/kafka_security)."""
        if self.run_dir is not None:
            return self.run_dir / "kafka"
        if os.environ.get("PORTAL_KAFKA_DIR"):  # a platform on another run's Kafka and CA (the end-to-end tests)
            return Path(os.environ["PORTAL_KAFKA_DIR"])
        if os.environ.get("PORTAL_RUN_DIR"):
            return Path(os.environ["PORTAL_RUN_DIR"]) / "kafka"
        cache_dir = os.environ.get("PORTAL_CACHE") or str(Path.home() / ".cache" / "portal")
        return Path(cache_dir) / "run" / self.name / "kafka"

    @property
    def grpc_dir(self) -> Path:
        """The run's gRPC CA and certificates (deploy/local/pki.py), next to its Kafka's."""
        return self.kafka_dir.parent / "grpc"

    def grpc_identity(self, name: str) -> GrpcTls:
        """Service or caller `name`'s certificate on this run's gRPC CA (made on first use)."""
        cert, key, ca = pki.grpc_identity(self.grpc_dir, name)
        return GrpcTls(str(cert), str(key), str(ca))

    def kafka_access(self, principal: str = kafka_security.ADMIN) -> KafkaAccess:
        """This layout's Kafka as `principal` (a publisher, or the stack's admin)."""
        return kafka_security.access(self.kafka_dir, self.kafka_bootstrap, principal)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.ferretdb_port}/"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def http_port(self, name: str) -> int:
        return services()[name].http_port + self.http_offset

    def grpc_port(self, name: str) -> int:
        port = services()[name].grpc_port
        return port + self.grpc_offset if port else 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.http_port(name)}"

    def grpc_target(self, name: str) -> str:
        return f"127.0.0.1:{self.grpc_port(name)}"

    def environment(self, name: str, **settings: str) -> dict[str, str]:
        """What service `name` needs to reach this layout's infrastructure on its own ports; `settings` win."""
        service = services()[name]
        if not service.kafka:  # the web service: its database and the HTTP APIs it calls
            return {
                "HTTP_PORT": str(self.http_port(name)),
                "MONGO_URI": self.mongo_uri,
                "MONGO_DB": service.database,
                **{http_url_variable(callee): self.url(callee) for callee in service.http_calls},
            } | settings
        return {
            "HTTP_PORT": str(self.http_port(name)),
            "GRPC_PORT": str(self.grpc_port(name)),
            "MONGO_URI": self.mongo_uri,
            "MONGO_DB": services()[name].database,
            **kafka_environment(self.kafka_access(name)),
            **grpc_tls_environment(self.grpc_identity(name)),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "SMTP_MODE": "insecure",
            **{grpc_target_variable(callee): self.grpc_target(callee) for callee in services()[name].grpc_calls},
            # The benchmarks measure what production runs: `make bench` turns the check off.
            "CHECK_RESPONSES": os.environ.get("CHECK_RESPONSES", str(self.check_responses).lower()),
        } | settings


def kafka_environment(access: KafkaAccess) -> dict[str, str]:
    """The settings a process (a service, the events CLI) reads to reach Kafka as `access`'s principal."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": access.bootstrap,
        "KAFKA_SECURITY_PROTOCOL": access.security_protocol,
        "KAFKA_SASL_USERNAME": access.username,
        "KAFKA_SASL_PASSWORD_FILE": access.password_file,
        "KAFKA_CA_FILE": access.ca_file,
    }


def grpc_tls_environment(tls: GrpcTls) -> dict[str, str]:
    return {"GRPC_TLS_CERT_FILE": tls.cert_file, "GRPC_TLS_KEY_FILE": tls.key_file, "GRPC_TLS_CA_FILE": tls.ca_file}


def http_url_variable(callee: str) -> str:
    """Where a caller finds `callee`'s HTTP API, as the chart's ConfigMap names it."""
    return callee.upper().replace("-", "_") + "_URL"


def grpc_target_variable(callee: str) -> str:
    """Where a caller finds `callee`'s gRPC port, as the chart's ConfigMap names it."""
    return callee.upper().replace("-", "_") + "_GRPC_TARGET"


# Every port below 32768, where Linux never picks a client connection's local port: a service binding a port of
# the ephemeral range may find it taken by another process's connection (CI failed so on gRPC port 60052).
LAYOUTS = {
    "local": Layout("local", 9092, 9093, 27017, 1025, 8080, http_offset=0, grpc_offset=-30000),
    "test": Layout(
        "test", 19092, 19093, 17017, 11025, 28080, http_offset=20000, grpc_offset=-24000, check_responses=True
    ),
}


# Settings a run may give the services from its own environment (the tests' push services and the CA they trust).
PASSED_THROUGH = ("NTFY_URL", "WEBPUSH_ALLOWED_ORIGINS", "REQUESTS_CA_BUNDLE")


def platform_environment(layout: Layout, name: str, run_dir: Path, **settings: str) -> dict[str, str]:
    """A service of the whole platform as `make up` runs it: behind the gateway, with the run's own secrets."""
    if not services()[name].kafka:  # the web service holds none of the run's secrets
        # Served over plain HTTP locally: a Secure cookie would never come back.
        return layout.environment(name, TRUSTED_PROXY_HOPS="1", SECURE_COOKIES="false", **settings)
    identity = layout.url("identity")
    return layout.environment(
        name,
        JWKS_URL=f"{identity}/.well-known/jwks.json",
        TOKEN_ISSUER=identity,
        UNSUBSCRIBE_SECRET=_run_secret(run_dir / "unsubscribe.secret"),
        PORTAL_PUBLIC_URL=os.environ.get("PORTAL_PUBLIC_URL", layout.gateway_url),
        WEBPUSH_VAPID_KEY_FILE=str(_vapid_key(run_dir / "webpush-vapid.pem")),
        IDENTITY_KEYS_DIR=str(run_dir / "identity-keys"),
        TRUSTED_PROXY_HOPS="1",  # the nginx gateway
        **{name: os.environ[name] for name in PASSED_THROUGH if os.environ.get(name)},
        **settings,
    )


def _run_secret(path: Path) -> str:
    """Made once per run directory, for local runs only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _vapid_key(path: Path) -> Path:
    """The Web Push (VAPID) key of local runs, made once per run directory."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(path)],  # noqa: S607
            check=True,
            capture_output=True,
        )
        path.chmod(0o600)
    return path


def from_environment(name: str) -> Layout:
    """Layout `name`, with the infrastructure ports a caller exported (a private Kafka of a test) winning."""
    layout = LAYOUTS[name]

    def port(variable: str, default: int) -> int:
        return int(os.environ.get(variable) or default)

    return replace(
        layout,
        kafka_port=port("KAFKA_PORT", layout.kafka_port),
        kafka_controller_port=port("KAFKA_CONTROLLER_PORT", layout.kafka_controller_port),
        ferretdb_port=port("FERRETDB_PORT", layout.ferretdb_port),
        smtp_port=port("SMTP_PORT", layout.smtp_port),
    )


def main(argv: list[str]) -> None:
    command, layout = argv[0], from_environment(argv[1])
    if command == "exports":
        for variable, value in {
            "KAFKA_PORT": layout.kafka_port,
            "KAFKA_CONTROLLER_PORT": layout.kafka_controller_port,
            "FERRETDB_PORT": layout.ferretdb_port,
            "SMTP_PORT": layout.smtp_port,
        }.items():
            print(f"export {variable}=${{{variable}:-{value}}}")  # a port set by the caller wins
    elif command == "services":
        for name, svc in services().items():
            print(name, svc.module, layout.http_port(name), layout.grpc_port(name))
    elif command == "env":
        for key, setting in platform_environment(layout, argv[2], Path(argv[3])).items():
            print(f"{key}={setting}")
    else:
        raise SystemExit(f"unknown command {command!r}; see the module's docstring")


if __name__ == "__main__":
    main(sys.argv[1:])
