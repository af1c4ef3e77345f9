#!/usr/bin/env bash
# Demo data for `make up` (idempotent); see seed.py.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORTAL_CACHE=${PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal}
RUN_DIR=${PORTAL_RUN_DIR:-$PORTAL_CACHE/run/local}
"${PYTHON:?run through make}" "$ROOT/deploy/local/seed.py" "http://127.0.0.1:${GATEWAY_PORT:-8080}" \
  "$RUN_DIR" "127.0.0.1:${BILLING_GRPC_PORT:-50052}" "${PORTAL_MAILDIR:-$RUN_DIR/smtp/maildir}"
