#!/usr/bin/env bash
# `make test`: a private, fresh stack, every test, then the cluster tests on the test Kubernetes cluster;
# the stack and the cluster are stopped whatever happened. Extra arguments go to pytest (then only those
# tests run, without the cluster); `--cluster-only [ARGS]` runs only the cluster tests.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PORTAL_RUN_DIR=${PORTAL_CACHE:?}/run/test
CLUSTER=$ROOT/deploy/cluster/cluster.sh
cluster_only=0; [ "${1:-}" = --cluster-only ] && { cluster_only=1; shift; }
started=$SECONDS
# shellcheck source=private-stack.sh
source "$ROOT/deploy/local/private-stack.sh"
echo "[test] stack up in $((SECONDS - started))s" >&2
cd "$ROOT"
if [ $cluster_only = 0 ]; then
  if [ $# -gt 0 ]; then "$PYTHON" -m pytest "$@"; exit; fi
  "$ROOT/deploy/k8s/check-charts.sh"  # also builds helm, which tests/deploy and the cluster use
  echo "[test] running tests" >&2
  "$PYTHON" -m pytest --ignore=tests/cluster --durations=15  # the slowest tests, where CI's time goes
fi
t=$SECONDS
trap '"$CLUSTER" down; "$STACK" down' EXIT
"$CLUSTER" up
# The images first, outside pytest: built from nothing (a new machine) they take longer than a test's timeout.
"$ROOT/deploy/cluster/images.sh" deps
"$ROOT/deploy/cluster/images.sh" services >/dev/null
echo "[test] cluster up and images ready in $((SECONDS - t))s; running the cluster tests" >&2
"$PYTHON" -m pytest tests/cluster --durations=0 "$@"
