#!/usr/bin/env bash
# `make test`: a private, fresh stack, every test, then the stack is stopped whatever happened.
# Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PORTAL_RUN_DIR=${PORTAL_CACHE:?}/run/test
started=$SECONDS
# shellcheck source=private-stack.sh
source "$ROOT/deploy/local/private-stack.sh"
echo "[test] stack up in $((SECONDS - started))s; running tests" >&2
cd "$ROOT"
"$PYTHON" -m pytest "$@"
