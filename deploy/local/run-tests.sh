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
build=""
build_log=$PORTAL_RUN_DIR/cluster-build.log
cleanup() {
  if [ -n "$build" ]; then
    kill -- "-$build" 2>/dev/null || true
    grep -v '^go: downloading' "$build_log" | sed 's/^/[test] (compiled in the background) /' >&2 || true
  fi
  [ $cluster_up = 0 ] || "$CLUSTER" down
  "$STACK" down
}
cluster_up=0
trap cleanup EXIT
if [ $cluster_only = 0 ]; then
  if [ $# -gt 0 ]; then "$PYTHON" -m pytest "$@"; exit; fi
  # A new machine compiles the cluster's Go programs (about 40 minutes of both cores): they start now, at the
  # lowest CPU priority (ionice only counts with the BFQ scheduler), on what the chart checks and the tests leave
  # idle, and go on during the cluster tests for skaffold, which only its own test needs. Whoever needs a program
  # (check-charts, cluster.sh up, release.sh, that test) waits for it through build.sh's lock on it.
  # Nothing is compiled when the programs are cached.
  setsid nice -n 19 ionice -c 3 "$ROOT/deploy/cluster/build.sh" all > "$build_log" 2>&1 &
  build=$!  # its own process group: stopped with everything else on exit
  "$ROOT/deploy/k8s/check-charts.sh" manifests  # helm (the first program compiled): tests/deploy and the cluster use it
  echo "[test] running tests" >&2
  "$PYTHON" -m pytest --ignore=tests/cluster --durations=15  # the slowest tests, where CI's time goes
fi
t=$SECONDS
cluster_up=1
"$CLUSTER" node
# The images first, outside pytest: built from nothing (a new machine) they take longer than a test's timeout. They
# are built before the add-ons, whose programs may still be compiling (Traefik is the longest).
"$ROOT/deploy/cluster/images.sh" deps
"$ROOT/deploy/cluster/images.sh" services >/dev/null
"$CLUSTER" addons
echo "[test] cluster up and images ready in $((SECONDS - t))s; running the cluster tests" >&2
"$PYTHON" -m pytest tests/cluster --durations=0 "$@"
"$ROOT/deploy/k8s/check-charts.sh" rules  # last: promtool is compiled during the cluster tests on a new machine
