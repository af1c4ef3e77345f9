"""Billing-statement settings, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from portal_common.config import CommonConfig, Env


@dataclass(frozen=True)
class BillingConfig:
    common: CommonConfig
    wkhtmltopdf: str
    render_concurrency: int
    statement_cache_mib: int
    structure_name: str

    @classmethod
    def from_env(cls, env: Env | None = None) -> BillingConfig:
        env = env or Env()
        config = cls(
            common=CommonConfig.from_env(env, "billing-statement", http_port=8082, grpc_port=50052),
            wkhtmltopdf=env.str("WKHTMLTOPDF", "/usr/bin/wkhtmltopdf"),
            # Each wkhtmltopdf is a process of its own: bounding them bounds memory under load.
            render_concurrency=env.int("RENDER_CONCURRENCY", 2, min_value=1),
            # Stored statements and PDFs a replica keeps in memory (they never change once stored).
            statement_cache_mib=env.int("STATEMENT_CACHE_MIB", 64, min_value=0),
            structure_name=env.str("STRUCTURE_DISPLAY_NAME", "Votre structure"),
        )
        env.check()
        return config
