"""Typed settings read from the environment: the only place in the project that reads os.environ.

Each service describes its settings with an `Env` reader; every problem (missing or malformed
variable) is collected and reported at once, naming the variables, before anything starts.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from portal_common.grpc_tls import GrpcTls, parse_callers
from portal_common.kafka_client import KafkaAccess

T = TypeVar("T")
_MISSING = object()


class ConfigError(Exception):
    """Raised at start-up when settings are missing or malformed."""


@dataclass(frozen=True)
class Setting:
    """One variable a service reads: what `settings_table` documents."""

    name: str
    kind: str
    default: object  # _MISSING: required

    @property
    def required(self) -> bool:
        return self.default is _MISSING


class Env:
    """Reads typed values from an environment mapping and collects every problem."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._problems: list[str] = []
        self.settings: dict[str, Setting] = {}  # every variable read, in order

    def _read(self, name: str, parse: Callable[[str], T], default: object, kind: str) -> T:
        self.settings.setdefault(name, Setting(name, kind, default))
        raw = self._environ.get(name)
        if raw is None or raw == "":
            if default is _MISSING:
                self._problems.append(f"{name} is required ({kind}) but not set")
                return None  # type: ignore[return-value]
            return default  # type: ignore[return-value]
        try:
            return parse(raw)
        except ValueError as exc:
            self._problems.append(f"{name}={raw!r} is not a valid {kind}: {exc}")
            return None  # type: ignore[return-value]

    def str(self, name: str, default: object = _MISSING) -> str:
        return self._read(name, str, default, "string")

    def parse(self, name: builtins.str, parse: Callable[[builtins.str], T], default: object, kind: builtins.str) -> T:
        """A value of a shape of its own: `parse` raises ValueError naming what is wrong."""
        return self._read(name, parse, default, kind)

    def int(
        self, name: builtins.str, default: object = _MISSING, *, min_value: builtins.int | None = None
    ) -> builtins.int:
        def parse(raw: builtins.str) -> builtins.int:
            value = builtins.int(raw)
            if min_value is not None and value < min_value:
                raise ValueError(f"must be >= {min_value}")
            return value

        return self._read(name, parse, default, "integer")

    def float(
        self, name: builtins.str, default: object = _MISSING, *, min_value: builtins.float | None = None
    ) -> builtins.float:
        def parse(raw: builtins.str) -> builtins.float:
            value = builtins.float(raw)
            if min_value is not None and not value >= min_value:  # also refuses nan
                raise ValueError(f"must be >= {min_value}")
            return value

        return self._read(name, parse, default, "number")

    def bool(self, name: builtins.str, default: object = _MISSING) -> builtins.bool:
        def parse(raw: builtins.str) -> builtins.bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true/false")

        return self._read(name, parse, default, "boolean")

    def list(self, name: builtins.str, default: object = _MISSING) -> builtins.list[builtins.str]:
        return self._read(name, lambda raw: [p.strip() for p in raw.split(",") if p.strip()], default, "list")

    def problem(self, message: builtins.str) -> None:
        """A problem found across several variables (a protocol that needs a password file)."""
        self._problems.append(message)

    def check(self) -> None:
        """Raise one ConfigError naming every missing or malformed variable."""
        if self._problems:
            raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(self._problems))


@dataclass(frozen=True)
class CommonConfig:
    """Settings every service has. Services embed it in their own config dataclass."""

    service_name: str
    http_host: str
    http_port: int
    grpc_port: int
    http_threads: int
    mongo_uri: str
    mongo_db: str
    kafka: KafkaAccess
    events_topic: str  # the base of every publisher's topic (`<base>.identity`, ...)
    dlq_topic: str
    jwks_url: str
    token_issuer: str
    token_audience: str
    access_token_ttl_seconds: int
    max_request_bytes: int
    log_level: str
    # Reverse proxies in front of the service (gateway, Ingress) whose X-Forwarded-For is believed:
    # the client address that brute-force throttling and the activity history record.
    trusted_proxy_hops: int
    grpc_reflection: bool  # off: reflection hands any caller the map of every method
    grpc_tls: GrpcTls | None  # None only with GRPC_TLS=false
    # Callers added to the service's own table (GrpcApi.callers), per method: another application's identity.
    grpc_callers: dict[str, frozenset[str]]
    # Every HTTP answer checked against the service's OpenAPI document (a 500 naming the difference): for tests.
    check_responses: bool

    @classmethod
    def from_env(
        cls, env: Env, service_name: str, *, http_port: int, grpc_port: int, needs_jwks: bool = True
    ) -> CommonConfig:
        """`needs_jwks=False` for identity, which verifies with its own keys."""
        return cls(
            service_name=service_name,
            http_host=env.str("HTTP_HOST", "127.0.0.1"),
            http_port=env.int("HTTP_PORT", http_port, min_value=0),
            grpc_port=env.int("GRPC_PORT", grpc_port, min_value=0),
            http_threads=env.int("HTTP_THREADS", 8, min_value=1),
            mongo_uri=env.str("MONGO_URI"),
            mongo_db=env.str("MONGO_DB", service_name.replace("-", "_")),
            kafka=KafkaAccess.from_env(env, default_username=service_name),
            events_topic=env.str("EVENTS_TOPIC", "account-events"),
            dlq_topic=env.str("EVENTS_DLQ_TOPIC", "account-events.dlq"),
            jwks_url=env.str("JWKS_URL") if needs_jwks else env.str("JWKS_URL", ""),
            token_issuer=env.str("TOKEN_ISSUER"),
            token_audience=env.str("TOKEN_AUDIENCE", "portal"),
            access_token_ttl_seconds=env.int("ACCESS_TOKEN_TTL_SECONDS", 600, min_value=30),
            max_request_bytes=env.int("MAX_REQUEST_BYTES", 1024 * 1024, min_value=1024),
            log_level=env.str("LOG_LEVEL", "INFO"),
            trusted_proxy_hops=env.int("TRUSTED_PROXY_HOPS", 0, min_value=0),
            grpc_reflection=env.bool("GRPC_REFLECTION", False),
            grpc_tls=GrpcTls.from_env(env),
            grpc_callers=env.parse("GRPC_CALLERS", parse_callers, {}, "Method=caller+caller;..."),
            check_responses=env.bool("CHECK_RESPONSES", False),
        )


def settings_table(settings: Iterable[Setting], skip: Iterable[str] = ()) -> str:
    """A Markdown table of settings (variable, type, default): READMEs embed it, a test keeps it true."""
    skipped = set(skip)
    rows = ["| variable | type | default |", "|---|---|---|"]
    for setting in settings:
        if setting.name in skipped:
            continue
        if setting.required:
            default = "required"
        elif isinstance(setting.default, builtins.list):
            default = f"`{','.join(setting.default)}`" if setting.default else "empty"
        elif setting.default == "":
            default = "empty"
        else:
            default = f"`{setting.default}`"
        rows.append(f"| `{setting.name}` | {setting.kind} | {default} |")
    return "\n".join(rows)
