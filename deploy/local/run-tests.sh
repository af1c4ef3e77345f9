#!/usr/bin/env bash
# `make test`: a private, fresh stack on test ports (so it never collides with `make up`), every
# test, then the stack is stopped whatever happened. Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK=$ROOT/deploy/local/stack.sh
: "${PYTHON:?run through make}"

export PORTAL_RUN_DIR=${PORTAL_CACHE:?}/run/test
export KAFKA_PORT=19092 KAFKA_CONTROLLER_PORT=19093 FERRETDB_PORT=37017 SMTP_PORT=11025
export TEST_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
export TEST_MONGO_URI=mongodb://127.0.0.1:$FERRETDB_PORT/
export TEST_SMTP_PORT=$SMTP_PORT TEST_MAILDIR=$PORTAL_RUN_DIR/smtp/maildir

"$STACK" reset
trap '"$STACK" down' EXIT
started=$SECONDS
"$STACK" up
echo "[test] stack up in $((SECONDS - started))s; running tests" >&2
cd "$ROOT"
"$PYTHON" -m pytest "$@"
