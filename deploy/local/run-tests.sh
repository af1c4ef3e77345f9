#!/usr/bin/env bash
# `make test`: a private, fresh stack, every test, then the stack is stopped whatever happened.
# Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PORTAL_RUN_DIR=${PORTAL_CACHE:?}/run/test
started=$SECONDS
# shellcheck source=private-stack.sh
source "$ROOT/deploy/local/private-stack.sh"
echo "[test] stack up in $((SECONDS - started))s" >&2
cd "$ROOT"
if [ $# -eq 0 ]; then  # the whole suite: the chart checks too (they install helm, which tests/deploy uses)
  "$ROOT/deploy/k8s/check-charts.sh"
fi
echo "[test] running tests" >&2
"$PYTHON" -m pytest "$@"
