#!/usr/bin/env bash
# `make bench`: a private, fresh stack, the benchmarks, then the stack is stopped.
# Extra arguments: benchmark names (default: every bench/*_bench.py).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PORTAL_RUN_DIR=${PORTAL_CACHE:?}/run/bench
# The services run as in production: no check of their answers against the OpenAPI document (the tests do that).
export CHECK_RESPONSES=false
# shellcheck source=private-stack.sh
source "$ROOT/deploy/local/private-stack.sh"
cd "$ROOT"
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(cd bench && ls ./*_bench.py | sed 's|./||; s/_bench.py//')
# The cluster benchmark needs the test cluster and the release: up before, down after (whatever happens).
if [[ " ${names[*]} " == *" cluster "* ]]; then
  trap '"$ROOT/deploy/cluster/cluster.sh" down; "$STACK" down' EXIT
  "$ROOT/deploy/cluster/cluster.sh" up
  "$ROOT/deploy/cluster/release.sh" deps
  "$ROOT/deploy/cluster/release.sh" install
fi
for name in "${names[@]}"; do
  echo "== bench: $name" >&2
  "$PYTHON" -m "bench.${name}_bench"
done
