"""Notification settings, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.config import CommonConfig, ConfigError, Env
from portal_notification.devices import Offer
from portal_notification.fcm import Fcm
from portal_notification.webpush import DEFAULT_ORIGINS, WebPush


@dataclass(frozen=True)
class NotificationConfig:
    common: CommonConfig
    smtp_host: str
    smtp_port: int
    smtp_mode: str  # insecure | starttls | ssl (apprise's secure modes)
    smtp_user: str
    smtp_password: str
    mail_from: str
    ntfy_url: str
    gotify_url: str
    web_push: WebPush | None  # None: no VAPID key, no Web Push
    fcm: Fcm | None  # None: no service account, no FCM
    unsubscribe_secret: str
    public_url: str
    identity_grpc_target: str  # IssueLink: the activation and reset links of security emails
    billing_grpc_target: str  # GetStructure: the structure named in emails ("": the sender's name instead)
    structure_cache_seconds: int
    send_timeout_seconds: float
    delivery_workers: int
    send_hold_lag_seconds: float
    send_hold_max_seconds: float
    send_processes: int
    max_attempts: int
    retry_base_seconds: float
    delivery_retention_days: int
    feed_retention_days: int
    housekeeping_interval_seconds: int

    def push_offer(self) -> Offer:
        return Offer({"ntfy": self.ntfy_url, "gotify": self.gotify_url}, self.web_push, self.fcm)

    @classmethod
    def from_env(cls, env: Env | None = None) -> NotificationConfig:
        env = env or Env()
        config = cls(
            common=CommonConfig.from_env(env, "notification", http_port=8084, grpc_port=50054),
            smtp_host=env.str("SMTP_HOST"),
            smtp_port=env.int("SMTP_PORT", 25, min_value=1),
            smtp_mode=env.str("SMTP_MODE", "starttls"),
            smtp_user=env.str("SMTP_USER", ""),
            smtp_password=env.str("SMTP_PASSWORD", ""),
            mail_from=env.str("MAIL_FROM", "Portail Famille <ne-pas-repondre@portail-famille.example>"),
            ntfy_url=env.str("NTFY_URL", ""),  # e.g. https://ntfy.example.org: where families' ntfy topics live
            gotify_url=env.str("GOTIFY_URL", ""),
            web_push=web_push(env),
            fcm=fcm(env),
            unsubscribe_secret=env.str("UNSUBSCRIBE_SECRET"),
            public_url=env.str("PORTAL_PUBLIC_URL", "http://127.0.0.1:8080"),
            identity_grpc_target=env.str("IDENTITY_GRPC_TARGET"),
            billing_grpc_target=env.str("BILLING_STATEMENT_GRPC_TARGET", ""),
            # How long a structure's name is reused before it is asked again (a renamed structure shows after it).
            structure_cache_seconds=env.int("STRUCTURE_CACHE_SECONDS", 600, min_value=1),
            send_timeout_seconds=env.float("SEND_TIMEOUT_SECONDS", 5.0),
            delivery_workers=env.int("DELIVERY_WORKERS", 8, min_value=1),
            # The feed first: while the consumer runs this far behind, each send waits (0: never).
            send_hold_lag_seconds=env.float("SEND_HOLD_LAG_SECONDS", 0.3, min_value=0),
            send_hold_max_seconds=env.float("SEND_HOLD_MAX_SECONDS", 1.0, min_value=0),
            # Processes running apprise (CPU-bound per email); the workers above wait on them.
            send_processes=env.int("SEND_PROCESSES", 2, min_value=1),
            max_attempts=env.int("DELIVERY_MAX_ATTEMPTS", 6, min_value=1),
            retry_base_seconds=env.float("DELIVERY_RETRY_BASE_SECONDS", 5.0),
            # Records of sent messages (addresses, texts): longer than the topic's retention (redeliveries).
            delivery_retention_days=env.int("DELIVERY_RETENTION_DAYS", 30, min_value=1),
            feed_retention_days=env.int("FEED_RETENTION_DAYS", 400, min_value=1),  # a year and a bit
            housekeeping_interval_seconds=env.int("HOUSEKEEPING_INTERVAL_SECONDS", 3600, min_value=1),
        )
        env.check()
        return config


def web_push(env: Env) -> WebPush | None:
    key_file = env.str("WEBPUSH_VAPID_KEY_FILE", "")
    if not key_file:
        return None
    origins = env.str("WEBPUSH_ALLOWED_ORIGINS", ",".join(DEFAULT_ORIGINS))
    configured = WebPush(
        key_file=key_file,
        subscriber=env.str("WEBPUSH_SUBSCRIBER", "ne-pas-repondre@portail-famille.example"),
        allowed_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
    )
    configured.public_key()  # a missing or unusable key stops the start, not the first push
    return configured


def fcm(env: Env) -> Fcm | None:
    key_file = env.str("FCM_SERVICE_ACCOUNT_FILE", "")
    if not key_file:
        return None
    try:
        return Fcm.load(key_file)
    except (OSError, ValueError, TypeError) as exc:  # JSON and PEM errors are ValueErrors
        raise ConfigError(f"FCM_SERVICE_ACCOUNT_FILE: {exc}") from None
