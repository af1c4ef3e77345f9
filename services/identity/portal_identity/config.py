"""Identity settings, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.config import CommonConfig, Env


@dataclass(frozen=True)
class IdentityConfig:
    common: CommonConfig
    keys_dir: str
    generate_keys: bool
    key_reload_seconds: int
    refresh_token_ttl_seconds: int
    reset_token_ttl_seconds: int
    activation_token_ttl_seconds: int
    email_change_ttl_seconds: int
    email_undo_days: int
    deletion_grace_days: int
    activity_retention_days: int
    session_retention_days: int
    housekeeping_interval_seconds: int
    public_url: str
    login_free_failures: int
    login_hourly_cap: int
    ip_free_failures: int
    ip_hourly_cap: int
    link_ip_free_requests: int
    link_ip_hourly_cap: int
    reset_min_interval_seconds: int

    @classmethod
    def from_env(cls, env: Env | None = None) -> IdentityConfig:
        env = env or Env()
        config = cls(
            common=CommonConfig.from_env(env, "identity", http_port=8081, grpc_port=50051, needs_jwks=False),
            keys_dir=env.str("IDENTITY_KEYS_DIR"),
            # Local runs generate a key when the directory is empty; production mounts a Secret.
            generate_keys=env.bool("IDENTITY_GENERATE_KEYS", True),
            key_reload_seconds=env.int("IDENTITY_KEY_RELOAD_SECONDS", 60, min_value=1),
            refresh_token_ttl_seconds=env.int("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600, min_value=60),
            reset_token_ttl_seconds=env.int("PASSWORD_RESET_TTL_SECONDS", 3600, min_value=60),
            activation_token_ttl_seconds=env.int("ACTIVATION_TTL_SECONDS", 7 * 24 * 3600, min_value=60),
            # A new contact email: its confirmation link lives this long; then the previous address may undo it.
            email_change_ttl_seconds=env.int("EMAIL_CHANGE_TTL_SECONDS", 24 * 3600, min_value=60),
            email_undo_days=env.int("EMAIL_CHANGE_UNDO_DAYS", 7, min_value=1),
            deletion_grace_days=env.int("DELETION_GRACE_DAYS", 30, min_value=0),
            activity_retention_days=env.int("ACTIVITY_RETENTION_DAYS", 365, min_value=1),
            session_retention_days=env.int("SESSION_RETENTION_DAYS", 180, min_value=1),
            housekeeping_interval_seconds=env.int("HOUSEKEEPING_INTERVAL_SECONDS", 3600, min_value=1),
            public_url=env.str("PORTAL_PUBLIC_URL", "http://127.0.0.1:8080"),
            # ASVS 2.2.1: at most 100 failed attempts per account per hour; delays grow after a few.
            login_free_failures=env.int("THROTTLE_LOGIN_FREE_FAILURES", 5, min_value=1),
            login_hourly_cap=env.int("THROTTLE_LOGIN_HOURLY_CAP", 100, min_value=1),
            ip_free_failures=env.int("THROTTLE_IP_FREE_FAILURES", 30, min_value=1),
            ip_hourly_cap=env.int("THROTTLE_IP_HOURLY_CAP", 1000, min_value=1),
            # Reset requests and activation / reset link uses from one address (a town hall's NAT included).
            link_ip_free_requests=env.int("THROTTLE_LINK_IP_FREE_REQUESTS", 20, min_value=1),
            link_ip_hourly_cap=env.int("THROTTLE_LINK_IP_HOURLY_CAP", 200, min_value=1),
            # At most one reset email per account in this interval (later requests: the same 202, no email).
            reset_min_interval_seconds=env.int("PASSWORD_RESET_MIN_INTERVAL_SECONDS", 300, min_value=0),
        )
        env.check()
        return config
