"""The settings tables in the READMEs are the ones the typed configs give (`make docs` rewrites them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("settings_docs", ROOT / "deploy/local/settings_docs.py")
assert spec is not None
assert spec.loader is not None
settings_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(settings_docs)


def test_every_readme_table_is_what_the_configs_read() -> None:
    for (readme, name), table in settings_docs.TABLES.items():
        text = (ROOT / readme).read_text()
        assert settings_docs.rendered(text, name, table) == text, f"{readme} ({name}) is stale: run make docs"


def test_a_required_setting_says_so_and_a_default_is_shown() -> None:
    common = settings_docs.TABLES[("README.md", "common")]
    assert "| `MONGO_URI` | string | required |" in common
    assert "| `EVENTS_TOPIC` | string | `account-events` |" in common
    notification = settings_docs.TABLES[("services/notification/README.md", "notification")]
    assert "| `UNSUBSCRIBE_SECRET` | string | required |" in notification
    assert "MONGO_URI" not in notification  # the common ones are listed once, in the top README
