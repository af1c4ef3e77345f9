#!/usr/bin/env bash
# The local nginx gateway (Debian package): one port routing the /v1/... prefixes like the chart's Ingress.
#   gateway.sh up|down     (GATEWAY_PORT, default 8080; service ports as in platform.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORTAL_CACHE=${PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal}
PORTAL_RUN_DIR=${PORTAL_RUN_DIR:-$PORTAL_CACHE/run/local}
GATEWAY_PORT=${GATEWAY_PORT:-8080}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
DIR=$PORTAL_RUN_DIR/gateway

case ${1:-} in
  up)
    config=$("${PYTHON:-python3}" "$ROOT/deploy/local/gateway.py" "$GATEWAY_PORT" "$DIR" \
      identity="${IDENTITY_HTTP_PORT:-8081}" billing-statement="${BILLING_HTTP_PORT:-8082}" \
      document-store="${DOCUMENTS_HTTP_PORT:-8083}" notification="${NOTIFICATION_HTTP_PORT:-8084}")
    [ -f "$DIR/nginx.pid" ] && kill -0 "$(cat "$DIR/nginx.pid")" 2>/dev/null && "$NGINX" -c "$config" -s stop || true
    "$NGINX" -c "$config" -e "$DIR/error.log"
    echo "[gateway] http://127.0.0.1:$GATEWAY_PORT/v1/... (nginx, config $config)" >&2
    ;;
  down)
    [ -f "$DIR/nginx.conf" ] && [ -f "$DIR/nginx.pid" ] && "$NGINX" -c "$DIR/nginx.conf" -e "$DIR/error.log" -s quit 2>/dev/null || true
    ;;
  *) echo "usage: gateway.sh up|down" >&2; exit 2 ;;
esac
