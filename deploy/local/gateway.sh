#!/usr/bin/env bash
# The local nginx gateway (Debian package): one port routing the /v1/... prefixes like the chart's Ingress.
#   gateway.sh up|down     (ports from deploy/local/topology.py, layout PORTAL_LAYOUT)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORTAL_CACHE=${PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portal}
PORTAL_RUN_DIR=${PORTAL_RUN_DIR:-$PORTAL_CACHE/run/local}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
DIR=$PORTAL_RUN_DIR/gateway

case ${1:-} in
  up)
    config=$(cd "$ROOT" && "${PYTHON:-python3}" -m deploy.local.gateway "${PORTAL_LAYOUT:-local}" "$DIR")
    [ -f "$DIR/nginx.pid" ] && kill -0 "$(cat "$DIR/nginx.pid")" 2>/dev/null && "$NGINX" -c "$config" -s stop || true
    "$NGINX" -c "$config" -e "$DIR/error.log"
    echo "[gateway] $(head -n1 "$DIR/url")/v1/... (nginx, config $config)" >&2
    ;;
  down)
    [ -f "$DIR/nginx.conf" ] && [ -f "$DIR/nginx.pid" ] && "$NGINX" -c "$DIR/nginx.conf" -e "$DIR/error.log" -s quit 2>/dev/null || true
    ;;
  *) echo "usage: gateway.sh up|down" >&2; exit 2 ;;
esac
