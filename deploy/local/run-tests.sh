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
  # A new machine compiles the cluster's Go programs (about 30 minutes of both cores): they start with the tests, at
  # the lowest CPU priority (ionice only counts with the BFQ scheduler), on what the tests leave idle. Measured on
  # 2026-12-02: Kubernetes compiled during them, which took 3-4 minutes longer; about 7 minutes saved in all.
  # Nothing is compiled when the programs are cached.
  build_log=$PORTAL_RUN_DIR/cluster-build.log
  setsid nice -n 19 ionice -c 3 "$ROOT/deploy/cluster/build.sh" all > "$build_log" 2>&1 &
  build=$!  # its own process group: a failed test run stops the compilers too
  trap 'kill -- -$build 2>/dev/null; "$STACK" down' EXIT
  echo "[test] running tests" >&2
  "$PYTHON" -m pytest --ignore=tests/cluster --durations=15  # the slowest tests, where CI's time goes
  t=$SECONDS
  wait $build || { cat "$build_log" >&2; echo "[test] building the cluster's programs failed" >&2; exit 1; }
  sed 's/^/[test] (built during the tests) /' "$build_log" >&2
  echo "[test] cluster programs ready $((SECONDS - t))s after the tests" >&2
fi
t=$SECONDS
trap '"$CLUSTER" down; "$STACK" down' EXIT
"$CLUSTER" up
# The images first, outside pytest: built from nothing (a new machine) they take longer than a test's timeout.
"$ROOT/deploy/cluster/images.sh" deps
"$ROOT/deploy/cluster/images.sh" services >/dev/null
echo "[test] cluster up and images ready in $((SECONDS - t))s; running the cluster tests" >&2
"$PYTHON" -m pytest tests/cluster --durations=0 "$@"
