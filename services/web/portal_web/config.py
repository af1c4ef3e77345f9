"""The web service's settings, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.config import Env


@dataclass(frozen=True)
class WebConfig:
    http_host: str
    http_port: int
    http_threads: int
    mongo_uri: str
    mongo_db: str
    # The services' public HTTP APIs, called with the user's token as any gateway consumer would.
    identity_url: str
    billing_url: str
    documents_url: str
    notification_url: str
    api_timeout_seconds: float
    session_idle_minutes: int  # a browser left alone this long is signed out
    session_max_hours: int  # and any session ends after this long, used or not
    secure_cookies: bool  # false only where the portal is served over plain HTTP (a local run)
    trusted_proxy_hops: int  # the gateway / Ingress in front: the client's address comes from X-Forwarded-For
    max_upload_bytes: int  # what document-store accepts: checked in the page before anything is sent
    log_level: str

    @classmethod
    def from_env(cls, env: Env | None = None) -> WebConfig:
        env = env or Env()
        config = cls(
            http_host=env.str("HTTP_HOST", "127.0.0.1"),
            http_port=env.int("HTTP_PORT", 8085, min_value=0),
            http_threads=env.int("HTTP_THREADS", 8, min_value=1),
            mongo_uri=env.str("MONGO_URI"),
            mongo_db=env.str("MONGO_DB", "web"),
            identity_url=env.str("IDENTITY_URL"),
            billing_url=env.str("BILLING_STATEMENT_URL"),
            documents_url=env.str("DOCUMENT_STORE_URL"),
            notification_url=env.str("NOTIFICATION_URL"),
            api_timeout_seconds=env.float("API_TIMEOUT_SECONDS", 30.0, min_value=0.1),
            session_idle_minutes=env.int("SESSION_IDLE_MINUTES", 30, min_value=1),
            session_max_hours=env.int("SESSION_MAX_HOURS", 12, min_value=1),
            secure_cookies=env.bool("SECURE_COOKIES", True),
            trusted_proxy_hops=env.int("TRUSTED_PROXY_HOPS", 0, min_value=0),
            max_upload_bytes=env.int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024, min_value=1024),
            log_level=env.str("LOG_LEVEL", "INFO"),
        )
        env.check()
        return config
