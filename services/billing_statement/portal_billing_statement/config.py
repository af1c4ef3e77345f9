"""Billing-statement settings, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.config import CommonConfig, ConfigError, Env


@dataclass(frozen=True)
class BillingConfig:
    common: CommonConfig
    wkhtmltopdf: str
    render_concurrency: int
    render_timeout_s: int
    statement_cache_mib: int
    structure_name: str
    renders_per_hour: int
    statements_kept: int
    certificates_per_run: int
    certificate_interval_s: int

    @classmethod
    def from_env(cls, env: Env | None = None) -> BillingConfig:
        env = env or Env()
        config = cls(
            common=CommonConfig.from_env(env, "billing-statement", http_port=8082, grpc_port=50052),
            wkhtmltopdf=env.str("WKHTMLTOPDF", "/usr/bin/wkhtmltopdf"),
            # Each wkhtmltopdf is a process of its own: bounding them bounds memory under load.
            render_concurrency=env.int("RENDER_CONCURRENCY", 2, min_value=1),
            # A renderer still running after this is killed: its slot is freed, the family gets a 503 to retry.
            render_timeout_s=env.int("RENDER_TIMEOUT_SECONDS", 30, min_value=1),
            # Stored statements and PDFs a replica keeps in memory (they never change once stored).
            statement_cache_mib=env.int("STATEMENT_CACHE_MIB", 64, min_value=0),
            structure_name=env.str("STRUCTURE_DISPLAY_NAME", "Votre structure"),
            # New statements per family and hour (a repeated request is served from the stored one, uncounted).
            renders_per_hour=env.int("STATEMENT_RENDERS_PER_HOUR", 20, min_value=1),
            # Statements kept per family: beyond, the oldest go (the ledger can always make them again).
            statements_kept=env.int("STATEMENTS_KEPT_PER_FAMILY", 100, min_value=1),
            # January's yearly certificates: families per run and runs' interval, per replica (one render at a time).
            certificates_per_run=env.int("CERTIFICATES_PER_RUN", 20, min_value=1),
            certificate_interval_s=env.int("CERTIFICATE_INTERVAL_SECONDS", 60, min_value=1),
        )
        env.check()
        if config.statements_kept < config.renders_per_hour:  # else dropping the oldest would lift the limit
            raise ConfigError("STATEMENTS_KEPT_PER_FAMILY must be at least STATEMENT_RENDERS_PER_HOUR")
        return config
