"""Where the private test stack started by `make test` listens (deploy/local/run-tests.sh)."""

from __future__ import annotations

import os
from pathlib import Path

KAFKA_BOOTSTRAP = os.environ.get("TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
MONGO_URI = os.environ.get("TEST_MONGO_URI", "mongodb://127.0.0.1:37017/")
SMTP_PORT = int(os.environ.get("TEST_SMTP_PORT", "11025"))
MAILDIR = Path(os.environ.get("TEST_MAILDIR", "/nonexistent"))
ROOT = Path(__file__).resolve().parents[2]
STACK_SCRIPT = ROOT / "deploy" / "local" / "stack.sh"
