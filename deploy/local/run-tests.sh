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
  # The cluster's builds (a new machine: Go programs, base image; any change: the service images) run meanwhile,
  # at the lowest CPU and disk priority: the local tests, mostly waiting on their stack, lose little to them.
  prepare_log=$PORTAL_RUN_DIR/cluster-prepare.log
  setsid nice -n 19 ionice -c 3 "$CLUSTER" prepare >"$prepare_log" 2>&1 &  # its own group: killed whole
  prepare=$!
  trap 'kill -- -$prepare 2>/dev/null; "$STACK" down' EXIT
  echo "[test] running tests (cluster builds meanwhile: $prepare_log)" >&2
  "$PYTHON" -m pytest --ignore=tests/cluster --durations=15  # the slowest tests, where CI's time goes
  t=$SECONDS
  wait $prepare || { tail -n 40 "$prepare_log" >&2; echo "[test] cluster prepare failed" >&2; exit 1; }
  echo "[test] local tests done; cluster builds took $((SECONDS - t))s more ($(tail -n 1 "$prepare_log"))" >&2
fi
t=$SECONDS
trap '"$CLUSTER" down; "$STACK" down' EXIT
"$CLUSTER" up
# The images first, outside pytest: built from nothing (a new machine) they take longer than a test's timeout.
"$ROOT/deploy/cluster/images.sh" deps
"$ROOT/deploy/cluster/images.sh" services >/dev/null
echo "[test] cluster up and images ready in $((SECONDS - t))s; running the cluster tests" >&2
"$PYTHON" -m pytest tests/cluster --durations=0 "$@"
