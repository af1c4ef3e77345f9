#!/usr/bin/env bash
# The services of the local platform, on top of the stack started by stack.sh.
#
#   platform.sh up     start every service that exists, wait until each is ready, print the URLs
#   platform.sh down   stop them (SIGTERM: each drains its HTTP and gRPC servers)
#   platform.sh status
#
# Ports follow DESIGN.md (identity 8081/50051, billing-statement 8082/50052, document-store
# 8083/50053, notification 8084/50054); override with <SERVICE>_HTTP_PORT / <SERVICE>_GRPC_PORT.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORTAL_CACHE=${PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal}
PORTAL_RUN_DIR=${PORTAL_RUN_DIR:-$PORTAL_CACHE/run/local}
: "${PYTHON:?run through make}"
KAFKA_PORT=${KAFKA_PORT:-9092}
FERRETDB_PORT=${FERRETDB_PORT:-27017}
SMTP_PORT=${SMTP_PORT:-1025}

# name:package:http port:grpc port
SERVICES=(
  "identity:portal_identity:${IDENTITY_HTTP_PORT:-8081}:${IDENTITY_GRPC_PORT:-50051}"
  "billing-statement:portal_billing_statement:${BILLING_HTTP_PORT:-8082}:${BILLING_GRPC_PORT:-50052}"
  "document-store:portal_document_store:${DOCUMENTS_HTTP_PORT:-8083}:${DOCUMENTS_GRPC_PORT:-50053}"
  "notification:portal_notification:${NOTIFICATION_HTTP_PORT:-8084}:${NOTIFICATION_GRPC_PORT:-50054}"
)
IDENTITY_URL=http://127.0.0.1:${IDENTITY_HTTP_PORT:-8081}

say() { printf '[platform] %s\n' "$*" >&2; }

exists() { [ -f "$ROOT/services/${1//-/_}/$2/__main__.py" ]; }

pidfile() { echo "$PORTAL_RUN_DIR/services/$1.pid"; }

running() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }

local_secret() {  # generated once per run directory, for local runs only
  local file=$PORTAL_RUN_DIR/unsubscribe.secret
  [ -s "$file" ] || (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$file")
  cat "$file"
}

local_vapid_key() {  # the Web Push (VAPID) key of local runs, generated once per run directory
  local file=$PORTAL_RUN_DIR/webpush-vapid.pem
  [ -s "$file" ] || (umask 077; openssl ecparam -name prime256v1 -genkey -noout -out "$file")
  echo "$file"
}

service_env() {  # service_env NAME HTTP GRPC: the environment each service process gets locally
  local name=$1 http=$2 grpc=$3
  echo "HTTP_PORT=$http GRPC_PORT=$grpc MONGO_URI=mongodb://127.0.0.1:$FERRETDB_PORT/ MONGO_DB=${name//-/_}"
  echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT JWKS_URL=$IDENTITY_URL/.well-known/jwks.json"
  echo "TOKEN_ISSUER=$IDENTITY_URL SMTP_HOST=127.0.0.1 SMTP_PORT=$SMTP_PORT SMTP_MODE=insecure"
  echo "UNSUBSCRIBE_SECRET=$(local_secret) PORTAL_PUBLIC_URL=${PORTAL_PUBLIC_URL:-http://127.0.0.1:8080}"
  [ -z "${NTFY_URL:-}" ] || echo "NTFY_URL=$NTFY_URL"
  echo "WEBPUSH_VAPID_KEY_FILE=$(local_vapid_key)"
  echo "IDENTITY_KEYS_DIR=$PORTAL_RUN_DIR/identity-keys IDENTITY_GRPC_TARGET=127.0.0.1:${IDENTITY_GRPC_PORT:-50051}"
  echo "TRUSTED_PROXY_HOPS=1"  # the nginx gateway
}

up() {
  mkdir -p "$PORTAL_RUN_DIR/services"
  local entry name package http grpc started=0
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r name package http grpc <<<"$entry"
    exists "$name" "$package" || continue
    if running "$name"; then say "$name already running"; continue; fi
    # Another process on the port would answer /readyz in this one's place.
    if (exec 3<>"/dev/tcp/127.0.0.1/$http") 2>/dev/null; then say "port $http (for $name) is already in use"; exit 1; fi
    service_env "$name" "$http" "$grpc" | tr ' ' '\n' > "$PORTAL_RUN_DIR/services/$name.env"
    # shellcheck disable=SC2046 # word splitting of KEY=VALUE pairs is intended
    env $(service_env "$name" "$http" "$grpc") setsid "$PYTHON" -m "$package" \
      >>"$PORTAL_RUN_DIR/services/$name.log" 2>&1 < /dev/null &
    echo $! > "$(pidfile "$name")"
    local deadline=$((SECONDS + 60))
    until curl -fsS "http://127.0.0.1:$http/readyz" >/dev/null 2>&1; do
      running "$name" || { tail -n 30 "$PORTAL_RUN_DIR/services/$name.log" >&2; say "$name exited"; exit 1; }
      [ $SECONDS -lt $deadline ] || { say "$name not ready after 60s"; exit 1; }
      sleep 0.2
    done
    say "$name ready: http://127.0.0.1:$http (gRPC 127.0.0.1:$grpc, metrics /metrics)"
    started=$((started + 1))
  done
  [ -x "$ROOT/deploy/local/gateway.sh" ] && "$ROOT/deploy/local/gateway.sh" up
  [ -x "$ROOT/deploy/local/seed.sh" ] && "$ROOT/deploy/local/seed.sh"
  cat >&2 <<EOF
[platform] up. Kafka 127.0.0.1:$KAFKA_PORT, FerretDB mongodb://127.0.0.1:$FERRETDB_PORT/, SMTP sink 127.0.0.1:$SMTP_PORT
[platform] mail received locally: $PORTAL_RUN_DIR/smtp/maildir; logs: $PORTAL_RUN_DIR/services/
[platform] events: $PYTHON -m portal_common.events_cli tail --from-beginning
[platform] first agent of a structure (prints a one-time activation token for POST /v1/auth/activate):
[platform]   make agent STRUCTURE=demo LOGIN=agent@example.fr NAME="Agent démo"
EOF
}

down() {
  local entry name
  for entry in "${SERVICES[@]}"; do
    name=${entry%%:*}
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
    name=${entry%%:*}
    if running "$name"; then echo "$name: running"; else echo "$name: stopped"; fi
  done
}

case ${1:-status} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: platform.sh up|down|status" >&2; exit 2 ;;
esac
