"""Writes the settings tables of the READMEs from the typed configs, so that they cannot drift.

`make docs` runs it; tests/unit/test_settings_docs.py fails when a README's table is not what it writes.
Each table sits between `<!-- settings:<name> -->` and `<!-- /settings -->`.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable
from pathlib import Path

from portal_billing_statement.config import BillingConfig
from portal_common.config import CommonConfig, ConfigError, Env, Setting, settings_table
from portal_document_store.config import DocumentsConfig
from portal_identity.config import IdentityConfig
from portal_notification.config import NotificationConfig
from portal_web.config import WebConfig

ROOT = Path(__file__).resolve().parents[2]


def read_by(load: Callable[[Env], object]) -> list[Setting]:
    """The variables `load` reads (with an empty environment every read still happens, then check() refuses)."""
    env = Env({})
    with contextlib.suppress(ConfigError):
        load(env)
    return list(env.settings.values())


COMMON = read_by(lambda env: CommonConfig.from_env(env, "<service>", http_port=0, grpc_port=0))
COMMON_NAMES = [s.name for s in COMMON]
# (README, table name) -> the table's text
TABLES: dict[tuple[str, str], str] = {
    ("README.md", "common"): settings_table(s for s in COMMON if s.name not in {"HTTP_PORT", "GRPC_PORT"}),
    **{
        (f"services/{package}/README.md", package): settings_table(read_by(config.from_env), skip=COMMON_NAMES)
        for package, config in [
            ("identity", IdentityConfig),
            ("billing_statement", BillingConfig),
            ("document_store", DocumentsConfig),
            ("notification", NotificationConfig),
        ]
    },
    # The web service shares none of the others' settings (no Kafka, gRPC or tokens of its own): its whole table.
    ("services/web/README.md", "web"): settings_table(read_by(WebConfig.from_env)),
}


def rendered(text: str, name: str, table: str) -> str:
    pattern = re.compile(rf"(<!-- settings:{name} -->\n)(?:.*?\n)?(<!-- /settings -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"no <!-- settings:{name} --> block to fill")
    return pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text)


def main() -> int:
    for (readme, name), table in TABLES.items():
        path = ROOT / readme
        path.write_text(rendered(path.read_text(), name, table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
