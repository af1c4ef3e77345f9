#!/usr/bin/env bash
# The services of the local platform, on top of the stack started by stack.sh.
#
#   platform.sh up     start every service that exists, wait until each is ready, print the URLs
#   platform.sh down   stop them (SIGTERM: each drains its HTTP and gRPC servers)
#   platform.sh status
#
# Names, modules, ports and environments come from deploy/local/topology.py (the chart's ports, shifted by the
# layout PORTAL_LAYOUT: `local` for `make up`, `test` for the end-to-end tests).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORTAL_CACHE=${PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal}
PORTAL_RUN_DIR=${PORTAL_RUN_DIR:-$PORTAL_CACHE/run/local}
: "${PYTHON:?run through make}"
export PORTAL_LAYOUT=${PORTAL_LAYOUT:-local}
topology() { (cd "$ROOT" && "$PYTHON" -m deploy.local.topology "$1" "$PORTAL_LAYOUT" "${@:2}"); }
eval "$(topology exports)"
mapfile -t SERVICES < <(topology services)  # "name module http grpc"

say() { printf '[platform] %s\n' "$*" >&2; }

exists() { [ -f "$ROOT/services/${1//-/_}/$2/__main__.py" ]; }

pidfile() { echo "$PORTAL_RUN_DIR/services/$1.pid"; }

running() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }

up() {
  mkdir -p "$PORTAL_RUN_DIR/services"
  local entry name package http grpc started=0 envfile
  for entry in "${SERVICES[@]}"; do
    read -r name package http grpc <<<"$entry"
    exists "$name" "$package" || continue
    if running "$name"; then say "$name already running"; continue; fi
    # Another process on the port would answer /readyz in this one's place.
    if (exec 3<>"/dev/tcp/127.0.0.1/$http") 2>/dev/null; then say "port $http (for $name) is already in use"; exit 1; fi
    envfile=$PORTAL_RUN_DIR/services/$name.env
    topology env "$name" "$PORTAL_RUN_DIR" > "$envfile"
    # shellcheck disable=SC2046 # one KEY=VALUE per line, none with spaces
    env $(cat "$envfile") setsid "$PYTHON" -m "$package" \
      >>"$PORTAL_RUN_DIR/services/$name.log" 2>&1 < /dev/null &
    echo $! > "$(pidfile "$name")"
    local deadline=$((SECONDS + 60))
    until curl -fsS "http://127.0.0.1:$http/readyz" >/dev/null 2>&1; do
      running "$name" || { tail -n 30 "$PORTAL_RUN_DIR/services/$name.log" >&2; say "$name exited"; exit 1; }
      [ $SECONDS -lt $deadline ] || { say "$name not ready after 60s"; exit 1; }
      sleep 0.2
    done
    if [ "$grpc" = 0 ]; then say "$name ready: http://127.0.0.1:$http (metrics /metrics)"
    else say "$name ready: http://127.0.0.1:$http (gRPC 127.0.0.1:$grpc, metrics /metrics)"; fi
    started=$((started + 1))
  done
  [ -x "$ROOT/deploy/local/gateway.sh" ] && "$ROOT/deploy/local/gateway.sh" up
  [ -x "$ROOT/deploy/local/seed.sh" ] && "$ROOT/deploy/local/seed.sh"
  cat >&2 <<EOF
[platform] the portal, in a browser: $(cat "$PORTAL_RUN_DIR/gateway/url" 2>/dev/null || echo "http://127.0.0.1:8080")/ (sign in with the demo accounts above)
[platform] up. Kafka 127.0.0.1:$KAFKA_PORT, FerretDB mongodb://127.0.0.1:$FERRETDB_PORT/, SMTP sink 127.0.0.1:$SMTP_PORT
[platform] mail received locally: $PORTAL_RUN_DIR/smtp/maildir; logs: $PORTAL_RUN_DIR/services/
[platform] events: $(dirname "$PYTHON")/portal-events tail --from-beginning
[platform] first agent of a structure (prints a one-time activation token for POST /v1/auth/activate):
[platform]   make agent STRUCTURE=demo LOGIN=agent@example.fr NAME="Agent démo"
EOF
}

down() {
  local entry name
  for entry in "${SERVICES[@]}"; do
    name=${entry%% *}
    running "$name" || continue
    kill -TERM "$(cat "$(pidfile "$name")")" 2>/dev/null || true
    for _ in $(seq 1 75); do running "$name" || break; sleep 0.2; done
    running "$name" && kill -KILL "$(cat "$(pidfile "$name")")" 2>/dev/null || true
    rm -f "$(pidfile "$name")"
    say "$name stopped"
  done
  [ -x "$ROOT/deploy/local/gateway.sh" ] && "$ROOT/deploy/local/gateway.sh" down || true
}

status() {
  local entry name
  for entry in "${SERVICES[@]}"; do
    name=${entry%% *}
    if running "$name"; then echo "$name: running"; else echo "$name: stopped"; fi
  done
}

case ${1:-status} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: platform.sh up|down|status" >&2; exit 2 ;;
esac
