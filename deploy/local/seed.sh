#!/usr/bin/env bash
# Demo data for `make up` (idempotent); see seed.py.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORTAL_CACHE=${PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal}
RUN_DIR=${PORTAL_RUN_DIR:-$PORTAL_CACHE/run/local}
cd "$ROOT" && "${PYTHON:?run through make}" -m deploy.local.seed "${PORTAL_LAYOUT:-local}" \
  "$RUN_DIR" "${PORTAL_MAILDIR:-$RUN_DIR/smtp/maildir}"
