"""Document-store settings, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.config import CommonConfig, ConfigError, Env

KNOWN_TYPES = ("application/pdf", "image/jpeg", "image/png")


@dataclass(frozen=True)
class DocumentsConfig:
    common: CommonConfig
    max_upload_bytes: int
    allowed_types: tuple[str, ...]
    delete_family_uploads_on_purge: bool

    @classmethod
    def from_env(cls, env: Env | None = None) -> DocumentsConfig:
        env = env or Env()
        allowed = tuple(env.list("ALLOWED_CONTENT_TYPES", list(KNOWN_TYPES)))
        config = cls(
            common=CommonConfig.from_env(env, "document-store", http_port=8083, grpc_port=50053),
            max_upload_bytes=env.int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024, min_value=1),
            allowed_types=allowed,
            # What the family sent is the structure's record: kept after a purge unless a deployment says otherwise.
            delete_family_uploads_on_purge=env.bool("DELETE_FAMILY_UPLOADS_ON_PURGE", False),
        )
        env.check()
        unknown = sorted(set(allowed) - set(KNOWN_TYPES))
        if unknown:
            raise ConfigError(
                f"ALLOWED_CONTENT_TYPES has types this service cannot recognise: {unknown}; known: {KNOWN_TYPES}"
            )
        return config
